"""Batch files: read, check and expand into the scenarios to run (``load_batch``).

A batch file names scenarios (files, a base with overrides or named changes, grids).
Its keys are validated by the models of ``batch_model`` (``BatchFile``); this module
checks what depends on more than one key or on other files: the notebook and the
parameters it declares, folder names (unsafe or duplicate), the number of scenarios
and the scenario files, resolved relative to the batch file. Notebook parameters are
data, never code: each is plain data (text, numbers, true/false, lists and mappings of
those) of the type the notebook declares (``plain_parameter``). Every problem stops
everything before anything is written, as one line each.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from ..scenario.changes import check_changes
from ..scenario.fields import MAX_ITERATIONS
from ..scenario.load import identifier_like, quote_key, read_yaml
from ..scenario.problems import nearest, problems_from_validation
from .batch_model import BatchFile, GridEntry, plain_parameter
from .provenance import plain

__all__ = ["BatchItem", "Batch", "load_batch", "slug", "plain_parameter", "NOTEBOOK",
           "MAX_SCENARIOS"]

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "scenario_report.ipynb"
"""The report notebook, shipped inside the package (``notebooks/`` in a checkout links
to the same folder)."""
MAX_SCENARIOS = 200
"""Most scenarios one batch may expand to (files plus grid combinations)."""
_RESERVED = {"output_dir"}  # set by the runner


def slug(text: str) -> str:
    """A safe folder name: lower case letters, digits and dashes (no dots, no slashes).

    Parameters
    ----------
    text : str
        A name (``"Audit 2027-03-01, SF contractor"``).

    Returns
    -------
    str
        At most 60 characters (``"audit-2027-03-01-sf-contractor"``); empty if ``text``
        has no letters or digits.
    """
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:60]


@dataclass
class BatchItem:
    """One scenario of a batch.

    Attributes
    ----------
    id : str
        Its folder name (``slug`` of the label), unique in the batch.
    label : str
        Its name as written.
    parameters : dict
        Its notebook parameters: plain JSON data, the scenario file an absolute path.
    """

    id: str
    label: str
    parameters: dict[str, Any]


@dataclass
class Batch:
    """A validated batch file, expanded into the scenarios to run.

    Attributes
    ----------
    path : Path
        The batch file.
    name, title : str
        The batch's folder name and its title.
    notebook : Path
        The notebook run once per scenario.
    kernel : str
        The Jupyter kernel that runs it.
    items : list of BatchItem
        The scenarios, files first, then grid combinations.
    start_timeout, cell_timeout : int
        Seconds for the kernel to start and for one cell to run.
    sha256 : str
        The batch file's hash.
    settings : dict
        The parameters given to every scenario (``iterations``, ``seed``).
    """

    path: Path
    name: str
    title: str
    notebook: Path
    kernel: str
    items: list[BatchItem]
    start_timeout: int = 120
    cell_timeout: int = 600
    sha256: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


def load_batch(path: str | Path) -> Batch:
    """Read and check a batch file, and expand it into the scenarios to run.

    Every notebook parameter is checked to be plain data of the type the notebook
    declares before anything runs; names, grid patterns, timeouts, scenario files and
    the number of scenarios (at most ``MAX_SCENARIOS``) are checked too.

    Parameters
    ----------
    path : str or Path
        The batch YAML file; relative paths in it are read from its folder.

    Returns
    -------
    Batch

    Raises
    ------
    ScenarioError
        Listing every problem, one line each, naming the file and the key path.
    """
    path = Path(path)
    data, digest = read_yaml(path)
    src = str(path)
    _check_is_batch(data, src)
    spec, where, problems = _read_fields(data, src)
    notebook, declared, default_kernel = _notebook(spec.notebook, path.parent, src, problems)
    reading = _Reading(src, path.parent, declared, problems)
    name = slug(spec.name or path.stem)
    if not name:
        problems.append(Problem("name", "the batch needs a name made of letters or digits", src))
    defaults = _defaults(spec, reading)
    _check_count(spec, reading)
    raw_items = _expand(spec, where)
    items = _checked(raw_items, defaults, reading)
    if not raw_items and not problems:
        problems.append(Problem("scenarios", "the batch names no scenario", src))
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return Batch(path=path, name=name, title=spec.title or spec.name or name,
                 notebook=notebook, kernel=spec.kernel or default_kernel, items=items,
                 start_timeout=spec.start_timeout, cell_timeout=spec.cell_timeout,
                 sha256=digest, settings=plain(defaults))


# -- the file's keys ----------------------------------------------------------------------------
def _check_is_batch(data: Any, src: str) -> None:
    """Refuse, as a whole, a file that is not a batch file (quoting nothing from it)."""
    if not isinstance(data, dict) or not data:
        raise ScenarioError(Problem("", "not a riskmodel batch file (a batch file is a "
                                        "mapping of keys to values)", src))
    if (not all(identifier_like(k) for k in data)
            or not any(k in BatchFile.model_fields for k in data)):
        raise ScenarioError(Problem("", "not a riskmodel batch file (its keys are not batch "
                                        "keys)", src))


def _read_fields(data: dict[str, Any], src: str
                 ) -> tuple[BatchFile, dict[str, list[str]], list[Problem]]:
    """The file's keys, validated by ``BatchFile``, and their problems.

    With problems, the keys, scenarios and grids that are valid on their own are kept,
    so that the checks across keys find their problems in the same pass. Returns the
    fields, where each kept scenario and grid is in the file (``scenarios[2]``), and
    the problems found.
    """
    bad: set[tuple[Any, ...]] = set()
    problems: list[Problem] = []
    try:
        spec = BatchFile.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, BatchFile, src)
        bad = {tuple(err["loc"][:2]) for err in exc.errors()}
        if ("notebook",) in bad:  # its parameters cannot be checked without it
            raise ScenarioError(problems) from None
    kept = {key: [i for i in range(len(data[key])) if (key, i) not in bad]
            for key in ("scenarios", "grids")
            if isinstance(data.get(key), list) and (key,) not in bad}
    if bad:
        valid = {k: v for k, v in data.items() if (k,) not in bad}
        valid.update({key: [data[key][i] for i in kept[key]] for key in kept})
        try:
            spec = BatchFile.model_validate(valid)
        except ValidationError:  # pragma: no cover - each key is checked on its own
            raise ScenarioError(problems) from None
    where = {key: [f"{key}[{i}]" for i in kept.get(key, [])] for key in ("scenarios", "grids")}
    return spec, where, problems


def _notebook(value: str | None, base: Path, src: str, problems: list[Problem]
              ) -> tuple[Path, dict[str, Any], str]:
    """The notebook, its declared parameters and its kernel name; refuses non-notebooks.

    A notebook that cannot be used stops the checks here, with the problems so far.
    """
    notebook = NOTEBOOK if value is None else (base / value).resolve()

    def refuse(where: str, message: str) -> ScenarioError:
        return ScenarioError([*problems, Problem(where, message, src)])

    if not notebook.is_file():
        raise refuse("notebook", f"notebook {notebook} not found")
    try:
        import nbformat
        import papermill
    except ImportError:  # the notebook tools come with riskmodel[reports]
        raise refuse("", "riskmodel batch needs the report tools: "
                         "pip install 'riskmodel[reports]'") from None
    try:
        if notebook.stat().st_size > 20_000_000:
            raise ValueError("too big")
        declared = papermill.inspect_notebook(str(notebook))
        kernel = nbformat.read(notebook, as_version=4).metadata.get(
            "kernelspec", {}).get("name", "python3")
    except Exception:  # whatever the file holds, quote none of it
        raise refuse("notebook", f"{notebook} is not a Jupyter notebook") from None
    if not declared:
        raise refuse("notebook", f"{notebook} has no cell tagged 'parameters'")
    return notebook, declared, kernel


@dataclass
class _Reading:
    """What the checks across keys share: the file, the notebook's parameters, problems."""

    src: str
    base: Path
    declared: dict[str, Any]
    problems: list[Problem]
    files: dict[Any, tuple[str, str | None]] = field(default_factory=dict)

    def type_of(self, key: str) -> str | None:
        """The type the notebook declares for parameter ``key`` (``"int"``), if any."""
        return self.declared.get(key, {}).get("inferred_type_name")

    def add(self, where: str, message: str) -> None:
        """Record a problem at key path ``where``."""
        self.problems.append(Problem(where, message, self.src))

    def refuse(self, exc: ValueError) -> None:
        """Record a check's ``ValueError`` ("where: what") as a problem."""
        where, _, message = str(exc).partition(": ")
        self.add(where, message)


def _defaults(spec: BatchFile, r: _Reading) -> dict[str, Any]:
    """The parameters given to every scenario (``iterations``, ``seed``), checked."""
    defaults: dict[str, Any] = {}
    for key in ("iterations", "seed"):
        if key in spec.model_fields_set:
            try:
                defaults[key] = plain_parameter(getattr(spec, key), r.type_of(key), key)
            except ValueError as exc:
                r.refuse(exc)
    _check_iterations(defaults.get("iterations"), "iterations", r)
    return defaults


def _check_iterations(value: Any, where: str, r: _Reading) -> None:
    if isinstance(value, int) and not 1 <= value <= MAX_ITERATIONS:
        r.add(where, f"must be from 1 to {MAX_ITERATIONS:,}")


# -- scenarios -----------------------------------------------------------------------------------
def _check_count(spec: BatchFile, r: _Reading) -> None:
    """Refuse a batch of more than ``MAX_SCENARIOS`` before building its scenarios."""
    total = len(spec.scenarios) + sum(len(g.audit_date) * len(g.options) for g in spec.grids)
    if total > MAX_SCENARIOS:
        r.add("grids" if spec.grids else "scenarios",
              f"the batch expands to {total:,} scenarios; the limit is {MAX_SCENARIOS} "
              "(split it into several batches)")
        raise ScenarioError(list(dict.fromkeys(r.problems)))


def _expand(spec: BatchFile, where: dict[str, list[str]]
            ) -> list[tuple[str, str, dict[Any, Any]]]:
    """Scenarios and grid combinations as (where, label, parameters), in file order."""
    raw: list[tuple[str, str, dict[Any, Any]]] = [
        (at, entry.name, {"scenario": entry.scenario, **entry.parameters})
        for at, entry in zip(where["scenarios"], spec.scenarios)]
    for at, grid in zip(where["grids"], spec.grids):
        raw += [(at, label, params) for label, params in _grid_items(grid)]
    return raw


def _grid_items(grid: GridEntry) -> list[tuple[str, dict[Any, Any]]]:
    """Each audit date with each option: its label and its parameters."""
    items = []
    for date, (option, extra) in itertools.product(grid.audit_date, grid.options.items()):
        params = {"scenario": grid.scenario, **extra}
        if date:
            params["audit_date"] = date
        items.append((grid.name.format(audit_date=date, option=option), params))
    return items


def _checked(raw_items: list[tuple[str, str, dict[Any, Any]]], defaults: dict[str, Any],
             r: _Reading) -> list[BatchItem]:
    """Each scenario as a BatchItem: its folder name and plain, declared parameters."""
    items: list[BatchItem] = []
    seen: dict[str, str] = {}
    for where, label, params in raw_items:
        ident = slug(label)
        if not ident:
            r.add(f"{where}.name", f"'{label}' has no letters or digits to make a folder "
                                   "name from")
            continue
        if ident in seen:
            r.add(f"{where}.name", f"'{label}' gives the same folder '{ident}' as "
                                   f"'{seen[ident]}'")
            continue
        seen[ident] = label
        merged = {**defaults, **params, "title": params.get("title", label)}
        clean = _parameters(where, merged, r)
        clean["scenario"] = _scenario_file(where, merged.get("scenario"), r)
        if "iterations" in params:
            _check_iterations(clean.get("iterations"), f"{where}.iterations", r)
        items.append(BatchItem(ident, label, clean))
    return items


def _parameters(where: str, params: dict[Any, Any], r: _Reading) -> dict[str, Any]:
    """The parameters the notebook declares, as plain data of the declared types."""
    known = [k for k in r.declared if k not in _RESERVED]
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str) or key not in r.declared or key in _RESERVED:
            r.add(f"{where}.{key}" if identifier_like(key) else where,
                  f"unknown parameter {quote_key(key)}{nearest(str(key), known)}; the notebook "
                  f"takes {', '.join(known)}")
            continue
        try:
            clean[key] = plain_parameter(value, r.type_of(key), f"{where}.{key}")
        except ValueError as exc:
            r.refuse(exc)
            continue
        if key == "changes":  # named changes checked before anything runs
            for problem in check_changes(clean[key], f"{where}.changes"):
                r.add(problem.where, problem.message)
    return clean


def _scenario_file(where: str, value: Any, r: _Reading) -> str:
    """A scenario's file as an absolute path, checked to be a scenario file (by shape).

    Each file is read once; its problem, if any, is recorded for every scenario using it.
    """
    key = value if isinstance(value, str) else id(value)
    if key not in r.files:
        if isinstance(value, str) and value.strip():
            resolved = (r.base / value).resolve()
            r.files[key] = (str(resolved), _not_a_scenario(resolved))
        else:
            r.files[key] = ("", "expected the path of a scenario file")
    path, message = r.files[key]
    if message is not None:
        r.add(f"{where}.scenario", message)
    return path


def _not_a_scenario(path: Path) -> str | None:
    """What is wrong with ``path`` as a scenario file, judged by its shape only.

    A file that cannot be read as YAML, or that is a scenario with other problems,
    passes: that scenario fails when it runs, and the failure is recorded.
    """
    from ..scenario.load import check_scenario_shape

    if not path.is_file():
        return f"file not found: {path}"
    try:
        data, _ = read_yaml(path)
    except ScenarioError:
        return None
    try:
        check_scenario_shape(data, str(path))
    except ScenarioError:
        return f"{path} is not a riskmodel scenario file"
    return None
