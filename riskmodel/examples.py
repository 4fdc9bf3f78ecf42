"""The example scenarios, batches and status files shipped inside the package.

``riskmodel example DIR`` copies them to a folder so that a pip user has something to
start from; ``path("scenarios/soc2_readiness.yaml")`` finds one where the package is
installed. In a checkout, ``data/`` is a link to the same files.
"""
from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

__all__ = ["path", "copy_examples", "FOLDERS", "DEFAULT_SCENARIO"]

FOLDERS = ("scenarios", "batches", "status")
DEFAULT_SCENARIO = "scenarios/soc2_readiness.yaml"


def path(name: str = "") -> Path:
    """The installed path of an example file or folder.

    Parameters
    ----------
    name : str
        Relative to the examples folder (``"scenarios/soc2_readiness.yaml"``); ``""``
        for the folder itself.

    Returns
    -------
    Path
    """
    root = Path(str(resources.files("riskmodel") / "data"))
    return root / name if name else root


def copy_examples(folder: str | Path) -> list[Path]:
    """Copy the examples and the notebooks into ``folder`` as a checkout lays them out.

    ``data/scenarios``, ``data/batches``, ``data/status`` and ``notebooks``, so batch
    files and the notebooks' defaults find their scenarios. Existing files are left
    alone.

    Parameters
    ----------
    folder : str or Path
        Created if needed.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    written = []
    sources = [(path(f), folder / "data" / f) for f in FOLDERS]
    sources.append((Path(str(resources.files("riskmodel") / "notebooks")),
                    folder / "notebooks"))
    for src, dest in sources:
        for item in sorted(src.rglob("*")):
            if item.is_dir() or item.name.startswith(".") or "__pycache__" in item.parts:
                continue
            target = dest / item.relative_to(src)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item, target)
            written.append(target)
    return written
