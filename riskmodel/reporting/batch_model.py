"""The batch file's fields (DESIGN §5): pydantic models that validate each key.

``BatchFile`` is a batch file as written: its settings, its ``scenarios``
(``ScenarioEntry``: a name, a scenario file and other notebook parameters) and its
``grids`` (``GridEntry``). Each key is checked on its own and unknown keys are refused
(``Model``); ``problems_from_validation`` turns the errors into one line each. What
depends on more than one key or on other files (the notebook's declared parameters,
folder names, the number of scenarios, paths) is checked in ``batch_file``, which
uses ``plain_parameter`` here to check each notebook parameter: plain data, never
code, of the type the notebook declares.
"""
from __future__ import annotations

import datetime as dt
import math
import string
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, model_validator

from ..scenario.fields import Model
from ..scenario.load import identifier_like

__all__ = ["BatchFile", "ScenarioEntry", "GridEntry", "plain_parameter", "describe",
           "MAX_LABEL"]

MAX_LABEL = 200
"""Most characters in a batch's, scenario's or grid's name."""
_WORDS = {str: "text", bool: "true/false", int: "a whole number", float: "a number",
          list: "a list", dict: "a mapping", type(None): "nothing (null)"}
_DECLARED: dict[str, tuple[str, tuple[type, ...]]] = {
    "str": ("text", (str,)), "int": ("a whole number", (int,)),
    "float": ("a number", (int, float)), "bool": ("true or false", (bool,)),
    "dict": ("a mapping", (dict,)), "list": ("a list", (list,))}


def describe(value: Any) -> str:
    """What a YAML value is, in words, for a message (never the value itself).

    Parameters
    ----------
    value : Any
        A value as read from YAML.

    Returns
    -------
    str
        ``"text"``, ``"a list"``, ``"a date"``, ``"binary data (!!binary)"``...
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "a number that is not finite"
    if type(value) in _WORDS:
        return _WORDS[type(value)]
    if isinstance(value, bytes):
        return "binary data (!!binary)"
    if isinstance(value, (set, frozenset)):
        return "a set (!!set)"
    if isinstance(value, dt.datetime):
        return "a timestamp"
    if isinstance(value, dt.date):
        return "a date"
    return f"a {type(value).__name__}"


# -- notebook parameters are plain data ----------------------------------------------------
def plain_parameter(value: Any, declared: str | None, where: str) -> Any:
    """A notebook parameter as plain JSON data, checked against its declared type.

    Only text, whole and finite numbers, true/false, null, and lists and mappings of
    them (with text keys) pass: papermill writes anything else into the notebook's
    code as ``f'"{value}"'``, which a crafted value can break out of. A date becomes
    ISO text where the notebook declares ``str`` (``audit_date: 2027-03-15``) and
    inside lists and mappings (the scenario schema reads ISO dates); elsewhere it is
    refused.

    Parameters
    ----------
    value : Any
        The value as read from YAML.
    declared : str or None
        The type the notebook declares (papermill's ``inferred_type_name``: ``"int"``,
        ``"str"``...); None or another name checks plain data only.
    where : str
        The key path to name in a problem (``scenarios[0].seed``).

    Returns
    -------
    Any
        The value as plain JSON data, dates as ISO text.

    Raises
    ------
    ValueError
        ``"where: what is wrong"``, one sentence.
    """
    if isinstance(value, dt.date) and declared == "str":
        value = value.isoformat()
    _check_plain(value, where, top=True)
    if declared in _DECLARED:
        words, types = _DECLARED[declared]
        if (isinstance(value, bool) and declared != "bool") or not isinstance(value, types):
            raise ValueError(f"{where}: expected {words} (the notebook declares {declared}), "
                             f"got {describe(value)}")
    return _iso_dates(value)


def _check_plain(value: Any, where: str, top: bool = False) -> None:
    """Raise ``ValueError`` naming the first part of ``value`` that is not plain data."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if math.isfinite(value):
            return
    elif isinstance(value, dt.date) and not top:
        return
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _check_plain(v, f"{where}[{k}]")
        return
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: a mapping key must be text, got {describe(k)}")
            _check_plain(v, f"{where}.{k}" if identifier_like(k) else f"{where}.?")
        return
    raise ValueError(f"{where}: a notebook parameter must be plain data (text, numbers, "
                     f"true/false, lists, mappings), got {describe(value)}")


def _iso_dates(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    return value


# -- the checks of one value each (a ValueError's text is the problem's message) ------------
def _label(value: Any) -> str:
    """A name or title: one line of text (a number is read as text)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"a name must be text, got {describe(value)}")
    text = str(value)
    if len(text) > MAX_LABEL or any(ord(c) < 32 for c in text):
        raise ValueError(f"a name must be one line of at most {MAX_LABEL} characters")
    return text


def _optional_label(value: Any) -> str | None:
    return None if value is None else _label(value)


def _grid_pattern(value: Any) -> str:
    """A grid's name pattern: only ``{audit_date}`` and ``{option}``, as they are."""
    text = _label(value)
    refused = ("a grid name may hold only {audit_date} and {option} "
               "(write {{ and }} for braces)")
    try:
        fields = [(f, c, spec) for _, f, spec, c in string.Formatter().parse(text)
                  if f is not None]
    except ValueError:
        raise ValueError(refused) from None
    if any(f not in ("audit_date", "option") or c or spec for f, c, spec in fields):
        raise ValueError(refused)
    return text


def _path_of(what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expected the path of {what}")
        return value
    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _kernel(value: Any) -> str:
    if not identifier_like(value):
        raise ValueError("expected the name of a Jupyter kernel")
    return value


def _seconds(high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ValueError(f"expected a whole number of seconds from 1 to {high:,}")
        return value
    return check


def _a_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _dates(value: Any) -> list[str]:
    """A grid's audit dates as ISO text; ``[""]`` (no date) when none are given."""
    dates = (value if isinstance(value, list) else [value]) if value else [""]
    if not all(isinstance(d, (str, dt.date)) for d in dates):
        raise ValueError("expected ISO dates")
    return [d.isoformat() if isinstance(d, dt.date) else d for d in dates]


def _options(value: Any) -> dict[Any, Any]:
    """A grid's options (label: parameters); one unnamed option when none are given."""
    if not value:
        return {"": {}}
    if not isinstance(value, dict):
        raise ValueError("options map a label to parameters")
    if not all(isinstance(label, str) for label in value):
        raise ValueError("expected a label mapped to parameters")
    return value


def _parameters(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise ValueError("expected a label mapped to parameters")
    return value


Label = Annotated[str, BeforeValidator(_label)]
"""A name: one line of text of at most ``MAX_LABEL`` characters."""
OptionalLabel = Annotated[str | None, BeforeValidator(_optional_label)]
Seconds = Annotated[int, BeforeValidator(_seconds(3600))]
LongSeconds = Annotated[int, BeforeValidator(_seconds(86_400))]
ScenarioPath = Annotated[str, BeforeValidator(_path_of("a scenario file"))]


# -- the models ---------------------------------------------------------------------------------
class ScenarioEntry(Model):
    """One item of a batch's ``scenarios``: a name, a scenario file, notebook parameters.

    Every key of the item but ``name`` is a notebook parameter; ``scenario`` is required
    and kept apart, the others go to ``parameters`` as written (they are checked against
    the notebook's declared types by ``batch_file``).

    Attributes
    ----------
    name : str
        The scenario's name (its folder is the slug of it).
    scenario : str
        Its scenario file, as written (relative to the batch file).
    parameters : dict
        Its other notebook parameters, as written.
    """

    name: Label
    scenario: ScenarioPath
    parameters: dict[Any, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "name" not in data or "scenario" not in data:
            raise ValueError("each scenario needs a name and a scenario file")
        rest = {k: v for k, v in data.items() if k not in ("name", "scenario")}
        return {"name": data["name"], "scenario": data["scenario"], "parameters": rest}


class GridEntry(Model):
    """One item of a batch's ``grids``: every audit date with every option.

    ``name`` is a pattern (``"Audit {audit_date}, {option}"``); each option maps a label
    to notebook parameters, which may also give the ``scenario``.

    Attributes
    ----------
    name : str
        The pattern naming each combination.
    scenario : str or None
        The scenario file of every combination, unless an option gives one.
    audit_date : list of str
        ISO dates; ``[""]`` (no date) when none are given.
    options : dict
        Label: notebook parameters; ``{"": {}}`` (one unnamed option) when none are given.
    """

    name: Annotated[str, BeforeValidator(_grid_pattern)] = "{audit_date} {option}"
    scenario: Annotated[str | None, BeforeValidator(_optional(_path_of("a scenario file")))] \
        = None
    audit_date: Annotated[list[str], BeforeValidator(_dates)] = [""]
    options: Annotated[dict[str, Annotated[dict[Any, Any], BeforeValidator(_parameters)]],
                       BeforeValidator(_options)] = {"": {}}

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a grid is a mapping")
        if not all(isinstance(key, str) for key in data):
            raise ValueError("an unknown key that is not a name")
        return data


class BatchFile(Model):
    """A batch file's keys (DESIGN §5), each checked on its own.

    ``iterations`` and ``seed`` are notebook parameters given to every scenario: their
    type is the notebook's to say, so they are kept as written. ``notebook`` and
    ``kernel`` are None when not given (the report notebook and its kernel).

    Attributes
    ----------
    name, title : str or None
        The batch's name (its folder is the slug of it) and title.
    notebook : str or None
        The notebook to run, as written (relative to the batch file).
    iterations, seed : Any
        Notebook parameters for every scenario, as written.
    scenarios : list of ScenarioEntry
    grids : list of GridEntry
    kernel : str or None
        The Jupyter kernel's name.
    start_timeout, cell_timeout : int
        Seconds for the kernel to start (1 to 3,600) and for a cell (1 to 86,400).
    """

    name: OptionalLabel = None
    title: OptionalLabel = None
    notebook: Annotated[str | None, BeforeValidator(_optional(_path_of("a notebook")))] = None
    iterations: Any = None
    seed: Any = None
    scenarios: Annotated[list[ScenarioEntry], BeforeValidator(_a_list)] = []
    grids: Annotated[list[GridEntry], BeforeValidator(_a_list)] = []
    kernel: Annotated[str | None, BeforeValidator(_kernel)] = None
    start_timeout: Seconds = 120
    cell_timeout: LongSeconds = 600
