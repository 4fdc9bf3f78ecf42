"""Batch files: read, check and expand into the scenarios to run (``load_batch``).

A batch file names scenarios (files, a base with overrides or named changes, grids).
Its notebook parameters are data, never code: each is plain data (text, numbers,
true/false, lists and mappings of those) of the type the notebook declares, checked
before anything runs. Problems with the batch file itself (unknown keys, unknown
notebook parameters, unsafe or duplicate names, too many scenarios) stop everything
before anything is written, as one line each.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem, ScenarioError
from ..scenario.load import read_yaml
from ..scenario.problems import nearest
from ..scenario.schema import MAX_ITERATIONS
from .provenance import plain

__all__ = ["BatchItem", "Batch", "load_batch", "slug", "plain_parameter", "NOTEBOOK",
           "MAX_SCENARIOS"]

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "scenario_report.ipynb"
"""The report notebook, shipped inside the package (``notebooks/`` in a checkout links
to the same folder)."""
_BATCH_KEYS = {"name", "title", "notebook", "iterations", "seed", "scenarios", "grids",
               "kernel", "start_timeout", "cell_timeout"}
_ITEM_KEYS = {"name"}  # every other key of an item is a notebook parameter
_GRID_KEYS = {"name", "scenario", "audit_date", "options"}
_RESERVED = {"output_dir"}  # set by the runner


def slug(text: str) -> str:
    """A safe folder name: lower case letters, digits and dashes (no dots, no slashes)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:60]


@dataclass
class BatchItem:
    """One scenario of a batch: its folder id, its label and its notebook parameters."""

    id: str
    label: str
    parameters: dict[str, Any]


@dataclass
class Batch:
    """A validated batch file."""

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


MAX_SCENARIOS = 200
"""Most scenarios one batch may expand to (files plus grid combinations)."""
_TIMEOUTS = {"start_timeout": (120, 1, 3600), "cell_timeout": (600, 1, 86_400)}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
_MAX_LABEL = 200


def _declared_parameters(notebook: Path) -> dict[str, Any]:
    import papermill

    return papermill.inspect_notebook(str(notebook))


def _kernel_of(notebook: Path) -> str:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return nb.metadata.get("kernelspec", {}).get("name", "python3")


def _quote(key: Any) -> str:
    if isinstance(key, str) and _NAME.fullmatch(key):
        return f"'{key}'"
    return "a key that is not a name"


def _kind(value: Any) -> str:
    """What a YAML value is, in words, for a message (never the value itself)."""
    if isinstance(value, bytes):
        return "binary data (!!binary)"
    if isinstance(value, (set, frozenset)):
        return "a set (!!set)"
    if isinstance(value, dt.datetime):
        return "a timestamp"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, float):
        return "a number that is not finite"
    if isinstance(value, dict):
        return "a mapping with a key that is not text"
    return f"a {type(value).__name__}"


def plain_parameter(value: Any, declared: str | None, where: str) -> Any:
    """A notebook parameter as plain JSON data, checked against its declared type.

    Only text, whole and finite numbers, true/false, null, and lists and mappings of
    them (with text keys) pass: papermill writes anything else into the notebook's
    code as ``f'"{value}"'``, which a crafted value can break out of. A date becomes
    ISO text where the notebook declares ``str`` (``audit_date: 2027-03-15``) and
    inside lists and mappings (the scenario schema reads ISO dates); elsewhere it is
    refused. Raises ``ValueError`` with a sentence naming ``where``.
    """
    if isinstance(value, (dt.date, dt.datetime)) and declared == "str":
        value = value.isoformat()
    _check_plain(value, where, top=True)
    expected = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
                "dict": (dict,), "list": (list,)}.get(declared or "")
    if expected is not None:
        wrong_bool = isinstance(value, bool) and declared != "bool"
        if wrong_bool or not isinstance(value, expected):
            words = {"str": "text", "int": "a whole number", "float": "a number",
                     "bool": "true or false", "dict": "a mapping", "list": "a list"}[declared or ""]
            plain = isinstance(value, (str, int, float, list, dict, type(None)))
            got = _plain_kind(value) if plain else _kind(value)
            raise ValueError(f"{where}: expected {words} (the notebook declares {declared}), "
                             f"got {got}")
    return _iso_dates(value)


def _plain_kind(value: Any) -> str:
    return {str: "text", bool: "true/false", int: "a whole number", float: "a number",
            list: "a list", dict: "a mapping", type(None): "nothing (null)"}[type(value)]


def _check_plain(value: Any, where: str, top: bool = False) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if math.isfinite(value):
            return
    elif isinstance(value, (dt.date, dt.datetime)) and not top:
        return
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _check_plain(v, f"{where}[{k}]")
        return
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: a mapping key must be text, got {_kind(k)}")
            _check_plain(v, f"{where}.{k}" if _NAME.fullmatch(k) else f"{where}.?")
        return
    raise ValueError(f"{where}: a notebook parameter must be plain data (text, numbers, "
                     f"true/false, lists, mappings), got {_kind(value)}")


def _iso_dates(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    return value


def _label(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        plain = isinstance(value, (bool, list, dict, type(None)))
        raise ValueError(f"{where}: a name must be text, got "
                         f"{_plain_kind(value) if plain else _kind(value)}")
    text = str(value)
    if len(text) > _MAX_LABEL or any(ord(c) < 32 for c in text):
        raise ValueError(f"{where}: a name must be one line of at most {_MAX_LABEL} characters")
    return text


def _grid_pattern(pattern: Any, where: str) -> str:
    """Check a grid's name pattern: only ``{audit_date}`` and ``{option}``, as they are."""
    import string

    text = _label(pattern, where)
    try:
        fields = [(f, c, spec) for _, f, spec, c in string.Formatter().parse(text)
                  if f is not None]
    except ValueError:
        raise ValueError(f"{where}: a grid name may hold only {{audit_date}} and {{option}} "
                         "(write {{ and }} for braces)") from None
    for f, conv, spec in fields:
        if f not in ("audit_date", "option") or conv or spec:
            raise ValueError(f"{where}: a grid name may hold only {{audit_date}} and "
                             "{option} (write {{ and }} for braces)")
    return text


def _notebook(data: dict[str, Any], base: Path, src: str) -> tuple[Path, dict[str, Any], str]:
    """The notebook, its declared parameters and its kernel name; refuses non-notebooks."""
    value = data.get("notebook")
    if value is None:
        notebook = NOTEBOOK
    elif isinstance(value, str) and value.strip():
        notebook = (base / value).resolve()
    else:
        raise ScenarioError(Problem("notebook", "expected the path of a notebook", src))
    if not notebook.is_file():
        raise ScenarioError(Problem("notebook", f"notebook {notebook} not found", src))
    try:
        import nbformat  # noqa: F401 - the notebook tools come with riskmodel[reports]
        import papermill  # noqa: F401
    except ImportError:
        raise ScenarioError(Problem("", "riskmodel batch needs the report tools: "
                                        "pip install 'riskmodel[reports]'", src)) from None
    try:
        if notebook.stat().st_size > 20_000_000:
            raise ValueError("too big")
        declared = _declared_parameters(notebook)
        kernel = _kernel_of(notebook)
    except Exception:  # whatever the file holds, quote none of it
        raise ScenarioError(Problem("notebook", f"{notebook} is not a Jupyter notebook", src)) \
            from None
    if not declared:
        raise ScenarioError(Problem("notebook", f"{notebook} has no cell tagged 'parameters'",
                                    src))
    return notebook, declared, kernel


def _scenario_file(value: Any, base: Path, where: str, src: str) -> tuple[str, Problem | None]:
    """An item's scenario path, checked to exist and to be a scenario file (by shape)."""
    from ..scenario.load import check_scenario_shape

    if not isinstance(value, str) or not value.strip():
        return "", Problem(f"{where}.scenario", "expected the path of a scenario file", src)
    path = (base / value).resolve()
    if not path.is_file():
        return str(path), Problem(f"{where}.scenario", f"file not found: {path}", src)
    try:
        data, _ = read_yaml(path)
    except ScenarioError:
        return str(path), None  # a YAML error: the scenario fails and is recorded
    try:
        check_scenario_shape(data, str(path))
    except ScenarioError:
        return str(path), Problem(f"{where}.scenario", f"{path} is not a riskmodel scenario "
                                                       "file", src)
    return str(path), None


@dataclass
class _Reading:
    """What the checks of one batch file share: the file, its data, the problems found."""

    path: Path
    src: str
    data: dict[str, Any]
    problems: list[Problem]

    def refuse(self, exc: ValueError) -> None:
        """Record a check's ``ValueError`` ("where: what") as a problem."""
        where, _, message = str(exc).partition(": ")
        self.problems.append(Problem(where, message, self.src))


def load_batch(path: str | Path) -> Batch:
    """Read and check a batch file; raises ``ScenarioError`` listing every problem.

    Every notebook parameter is checked to be plain data of the type the notebook
    declares before anything runs; names, grid patterns, timeouts and the number of
    scenarios (at most ``MAX_SCENARIOS``) are checked too.
    """
    path = Path(path)
    data, digest = read_yaml(path)
    src = str(path)
    if not isinstance(data, dict) or not data:
        raise ScenarioError(Problem("", "not a riskmodel batch file (a batch file is a "
                                        "mapping of keys to values)", src))
    if not all(isinstance(k, str) and _NAME.fullmatch(k) for k in data) \
            or not any(k in _BATCH_KEYS for k in data):
        raise ScenarioError(Problem("", "not a riskmodel batch file (its keys are not batch "
                                        "keys)", src))
    problems: list[Problem] = []
    ctx = _Reading(path, src, data, problems)
    base, notebook, declared, types, settings, name, timeouts, kernel, defaults = \
        _settings(ctx)
    raw_items = _expand(ctx)
    items = _checked(ctx, raw_items, declared, types, defaults, base)
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return Batch(path=path, name=name, title=settings.get("title") or settings.get("name") or name,
                 notebook=notebook, kernel=kernel, items=items,
                 start_timeout=timeouts["start_timeout"], cell_timeout=timeouts["cell_timeout"],
                 sha256=digest, settings=plain(defaults))


def _settings(ctx: _Reading):
    """The batch-level keys: notebook, name, title, timeouts, kernel, defaults."""
    problems = ctx.problems
    src = ctx.src
    refuse = ctx.refuse
    data = ctx.data
    path = ctx.path
    for key in data:
        if key not in _BATCH_KEYS:
            problems.append(Problem(str(key), f"unknown key {_quote(key)}"
                                              f"{nearest(key, _BATCH_KEYS)}", src))
    base = path.parent
    notebook, declared, default_kernel = _notebook(data, base, src)
    types = {k: v.get("inferred_type_name") for k, v in declared.items()}
    settings: dict[str, Any] = {}
    for key in ("name", "title"):
        if data.get(key) is not None:
            try:
                settings[key] = _label(data[key], key)
            except ValueError as exc:
                refuse(exc)
    name = slug(settings.get("name") or path.stem)
    if not name:
        problems.append(Problem("name", "the batch needs a name made of letters or digits", src))
    timeouts = {}
    for key, (default, low, high) in _TIMEOUTS.items():
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(Problem(key, f"expected a whole number of seconds from {low} to "
                                         f"{high:,}", src))
        else:
            timeouts[key] = value
    kernel = data.get("kernel", default_kernel)
    if not isinstance(kernel, str) or not _NAME.fullmatch(kernel):
        problems.append(Problem("kernel", "expected the name of a Jupyter kernel", src))
        kernel = default_kernel
    defaults = {}
    for key in ("iterations", "seed"):
        if key in data:
            try:
                defaults[key] = plain_parameter(data[key], types.get(key), key)
            except ValueError as exc:
                refuse(exc)
    iterations = defaults.get("iterations")
    if isinstance(iterations, int) and not 1 <= iterations <= MAX_ITERATIONS:
        problems.append(Problem("iterations", f"must be from 1 to {MAX_ITERATIONS:,}", src))
    return base, notebook, declared, types, settings, name, timeouts, kernel, defaults


def _expand(ctx: _Reading) -> list[tuple[str, str, dict[str, Any]]]:
    """Scenarios and grids as (where, label, parameters), after the count cap."""
    problems = ctx.problems
    src = ctx.src
    refuse = ctx.refuse
    data = ctx.data
    for key in ("scenarios", "grids"):
        if data.get(key) is not None and not isinstance(data[key], list):
            problems.append(Problem(key, "expected a list", src))
    scenarios = data["scenarios"] if isinstance(data.get("scenarios"), list) else []
    grids = data["grids"] if isinstance(data.get("grids"), list) else []

    # count before expanding: a grid of 100 dates x 100 options is refused, not built
    total = len(scenarios)
    for grid in grids:
        if isinstance(grid, dict):
            dates, options = grid.get("audit_date") or [""], grid.get("options") or {"": {}}
            total += (len(dates) if isinstance(dates, list) else 1) * \
                (len(options) if isinstance(options, dict) else 1)
    if total > MAX_SCENARIOS:
        raise ScenarioError(Problem("grids" if grids else "scenarios",
                                    f"the batch expands to {total:,} scenarios; the limit is "
                                    f"{MAX_SCENARIOS} (split it into several batches)", src))

    raw_items: list[tuple[str, str, dict[str, Any]]] = []
    for i, item in enumerate(scenarios):
        where = f"scenarios[{i}]"
        if not isinstance(item, dict) or "name" not in item or "scenario" not in item:
            problems.append(Problem(where, "each scenario needs a name and a scenario file", src))
            continue
        try:
            label = _label(item["name"], f"{where}.name")
        except ValueError as exc:
            refuse(exc)
            continue
        params = {k: v for k, v in item.items() if k not in _ITEM_KEYS}
        raw_items.append((where, label, params))
    for g, grid in enumerate(grids):
        where = f"grids[{g}]"
        if not isinstance(grid, dict):
            problems.append(Problem(where, "a grid is a mapping", src))
            continue
        for key in grid:
            if key not in _GRID_KEYS:
                problems.append(Problem(f"{where}.{key}" if _NAME.fullmatch(str(key)) else where,
                                        f"unknown key {_quote(key)}{nearest(key, _GRID_KEYS)}",
                                        src))
        dates = grid.get("audit_date") or [""]
        dates = dates if isinstance(dates, list) else [dates]
        options = grid.get("options") or {"": {}}
        if not isinstance(options, dict):
            problems.append(Problem(f"{where}.options", "options map a label to parameters", src))
            continue
        try:
            pattern = _grid_pattern(grid.get("name", "{audit_date} {option}"), f"{where}.name")
        except ValueError as exc:
            refuse(exc)
            continue
        for k, date in enumerate(dates):
            if isinstance(date, (dt.date, dt.datetime)):
                dates[k] = date.isoformat()
            elif not isinstance(date, str):
                problems.append(Problem(f"{where}.audit_date", "expected ISO dates", src))
                dates = []
                break
        for date, (label, extra) in itertools.product(dates, options.items()):
            if not isinstance(label, str) or not isinstance(extra, dict):
                named = isinstance(label, str) and _NAME.fullmatch(label)
                problems.append(Problem(f"{where}.options" + (f".{label}" if named else ""),
                                        "expected a label mapped to parameters", src))
                continue
            params = {"scenario": grid.get("scenario"), **extra}
            if date:
                params["audit_date"] = date
            raw_items.append((where, pattern.format(audit_date=date, option=label), params))
    if not raw_items and not problems:
        problems.append(Problem("scenarios", "the batch names no scenario", src))
    return raw_items


def _checked(ctx: _Reading, raw_items, declared, types, defaults, base) -> list[BatchItem]:
    """Each scenario as a BatchItem: its folder name and plain, declared parameters."""
    problems = ctx.problems
    src = ctx.src
    refuse = ctx.refuse
    items: list[BatchItem] = []
    seen: dict[str, str] = {}
    known = [k for k in declared if k not in _RESERVED]
    checked_files: dict[Any, tuple[str, Problem | None]] = {}
    for where, label, params in raw_items:
        ident = slug(label)
        if not ident:
            problems.append(Problem(f"{where}.name", f"'{label}' has no letters or digits to "
                                                     "make a folder name from", src))
            continue
        if ident in seen:
            problems.append(Problem(f"{where}.name", f"'{label}' gives the same folder "
                                                     f"'{ident}' as '{seen[ident]}'", src))
            continue
        seen[ident] = label
        own = set(params)
        params = {**defaults, **params, "title": params.get("title", label)}
        clean: dict[str, Any] = {}
        for key, value in params.items():
            if not isinstance(key, str) or key not in declared or key in _RESERVED:
                shown = f"{where}.{key}" if isinstance(key, str) and _NAME.fullmatch(key) else where
                problems.append(Problem(shown, f"unknown parameter {_quote(key)}"
                                        f"{nearest(str(key), known)}; the notebook takes "
                                        f"{', '.join(known)}", src))
                continue
            try:
                clean[key] = plain_parameter(value, types.get(key), f"{where}.{key}")
            except ValueError as exc:
                refuse(exc)
        if "scenario" in params:
            ref = params["scenario"]
            cache_key = ref if isinstance(ref, str) else id(ref)
            if cache_key not in checked_files:
                checked_files[cache_key] = _scenario_file(ref, base, where, src)
            clean["scenario"], problem = checked_files[cache_key]
            if problem is not None:
                problems.append(Problem(f"{where}.scenario", problem.message, src))
        if "iterations" in own and isinstance(clean.get("iterations"), int) \
                and not 1 <= clean["iterations"] <= MAX_ITERATIONS:
            problems.append(Problem(f"{where}.iterations", f"must be from 1 to {MAX_ITERATIONS:,}",
                                    src))
        items.append(BatchItem(ident, label, clean))
    return items
