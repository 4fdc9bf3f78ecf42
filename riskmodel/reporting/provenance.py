"""Where a number came from: version, inputs and their hashes, seed, time, parameters."""
from __future__ import annotations

import datetime as dt
import os
import platform
from typing import Any

__all__ = ["provenance", "plain"]


def plain(value: Any) -> Any:
    """Parameters as plain JSON types (dates as ISO text, paths as text, tuples as lists).

    Parameters
    ----------
    value : object
        A value, or dicts and lists of them (converted all the way down).

    Returns
    -------
    object
        Dict keys become text; NumPy scalars become Python numbers; anything else is
        returned as it is.

    Examples
    --------
    >>> plain({"audit_date": dt.date(2027, 3, 15), "levels": (0.5, 0.8)})
    {'audit_date': '2027-03-15', 'levels': [0.5, 0.8]}
    """
    import pathlib

    import numpy as np

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, pathlib.PurePath):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return path


def provenance(result, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance block every output carries.

    Parameters
    ----------
    result : SimulationResult
        Read: ``seed``, ``iterations``, ``sampling`` and the scenario's ``sha256`` and
        ``sources``.
    parameters : dict, optional
        The parameters the output was made with (stored as ``plain`` JSON types).

    Returns
    -------
    dict
        riskmodel, Python and NumPy versions, the time it was made (UTC), seed,
        iterations, sampling, the scenario's hash, each input file's hash and the
        parameters.
    """
    import numpy

    from .. import __version__

    return {
        "riskmodel_version": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "seed": result.seed,
        "iterations": result.iterations,
        "sampling": result.sampling,
        "scenario_sha256": result.scenario.sha256,
        "input_files": {_relative(p): h for p, h in result.scenario.sources.items()},
        "parameters": plain(parameters or {}),
    }
