"""Turn pydantic validation errors into one readable line per problem."""
from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, ScenarioError

__all__ = ["NAME", "format_loc", "problems_from_validation", "nearest", "find"]


NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
"""A short name (a key, an id...) that a message may quote as written; anything else is
described, never quoted (it may be file content)."""


def _safe_key(part: Any) -> str:
    """A key as written if it is a short name, else ``?`` (never quote file content)."""
    return part if isinstance(part, str) and NAME.fullmatch(part) else "?"


def nearest(name: str, known: typing.Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or an empty string.

    Parameters
    ----------
    name : str
        The name given.
    known : iterable of str
        The names it could have meant.

    Returns
    -------
    str
        Starts with a space, to follow a message.

    Examples
    --------
    >>> nearest("gap", ["gap_analysis", "pen_test"])
    " (did you mean 'gap_analysis'?)"
    """
    name, known = str(name), [str(k) for k in known]
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not match:  # a shortened or lengthened id: 'gap' for 'gap_analysis' and back
        match = sorted((k for k in known if k and (k in name or name in k)), key=len)[-1:]
    return f" (did you mean '{match[0]}'?)" if match else ""


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('workstreams', 3, 'duration')`` -> ``workstreams[3].duration``.

    Parameters
    ----------
    loc : tuple
        Keys (str) and list positions (int); a key that is not a short name is shown
        as ``?``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_loc(("workstreams", 3, "duration"))
    'workstreams[3].duration'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = _safe_key(part)
            out += f".{part}" if out else part
    return out


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the key at the end of ``loc`` (for suggestions)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(err: Mapping[str, Any], root: type[BaseModel]) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        owner = _model_at(root, loc)
        known = [f.alias or name for name, f in owner.model_fields.items()] if owner else []
        if _safe_key(loc[-1]) == "?":
            return "an unknown key that is not a name"
        return f"unknown key '{loc[-1]}'{nearest(loc[-1], known)}"
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    if kind.startswith(("float", "int", "bool", "string", "list", "dict", "tuple",
                        "literal", "model", "greater", "less", "too_")):
        return f"{msg[0].lower()}{msg[1:]} (got {_short(err.get('input'))})"
    return msg


def problems_from_validation(
    exc: ValidationError,
    root: type[BaseModel],
    source: str | None = None,
    table_sources: dict[str, str] | None = None,
) -> list[Problem]:
    """One ``Problem`` per pydantic error, naming the key path or the CSV row.

    Parameters
    ----------
    exc : pydantic.ValidationError
    root : type of BaseModel
        The model the data was validated against (for suggesting known keys).
    source : str, optional
        The file the data came from.
    table_sources : dict of str to str, optional
        The CSV file each table came from, by table name.

    Returns
    -------
    list of Problem
        In the order of the errors, without repeats.
    """
    table_sources = table_sources or {}
    problems = []
    seen = set()
    for err in exc.errors():
        loc = tuple(err["loc"])
        where, src = format_loc(loc), source
        if loc and loc[0] in table_sources and len(loc) > 1 and isinstance(loc[1], int):
            src = table_sources[loc[0]]
            rest = format_loc(loc[2:])
            where = f"row {loc[1] + 2}" + (f": {rest}" if rest else "")
        problem = Problem(where, _message(err, root), src)
        if str(problem) not in seen:
            seen.add(str(problem))
            problems.append(problem)
    return problems


def find(items, key: str, kind: str):
    """The item of ``items`` whose id is ``key``, or a ``ScenarioError`` naming the nearest
    (``unknown workstream 'gap' (did you mean 'gap_analysis'?)``).

    Parameters
    ----------
    items : iterable
        Items with an ``id``, e.g. a scenario's workstreams.
    key : str
        The id to find.
    kind : str
        What the items are, for the message (``"workstream"``).

    Returns
    -------
    object
        The first item with that id.

    Raises
    ------
    ScenarioError
        No item has that id.
    """
    for item in items:
        if item.id == key:
            return item
    raise ScenarioError(f"unknown {kind} '{key}'{nearest(key, [i.id for i in items])}")
