"""Read scenario files: YAML (safe, size-limited), CSV tables, ``extends``."""
from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ScenarioError
from .merge import merge_scenarios
from .schema import Scenario
from .tables import TABLE_KEYS, TableError, check_header, rows_to_records

__all__ = ["load_scenario", "read_yaml", "merge_scenarios", "source_hashes",
           "check_scenario_shape", "MAX_BYTES"]

MAX_BYTES = 2_000_000
"""Largest scenario, table or batch file read (a scenario is a few kilobytes)."""
_MAX_EXTENDS = 8
MAX_DEPTH = 40
"""Deepest nesting of lists and mappings read from YAML (a scenario needs about 6)."""
MAX_DIGITS = 40
"""Longest number read from YAML, in digits (a seed needs at most 20)."""
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")


def identifier_like(key: Any) -> bool:
    """A short name made of letters, digits, ``_ . -``: safe to quote in a message."""
    return isinstance(key, str) and _IDENTIFIER.fullmatch(key) is not None


def quote_key(key: Any) -> str:
    """``'key'`` for an identifier-like key, else ``an unknown key`` (never file content)."""
    return f"'{key}'" if identifier_like(key) else "a key that is not a name"


class _Checks:
    """Safe loading that refuses aliases, duplicate keys, deep nesting and huge numbers.

    YAML 1.1's base-60 numbers (``1:30`` = 90) are read as text, so they fail
    validation instead of silently becoming another number; an impossible date
    (``2027-02-30``) is read as text, so it fails as "expected an ISO date".
    """

    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (*name) are not supported", event.start_mark)
        if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {quote_key(str(key))}", key_node.start_mark)
            if isinstance(key, (str, int, float, bool)):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def _too_long(self, node) -> None:
        if sum(c.isdigit() for c in node.value) > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number longer than {MAX_DIGITS} digits", node.start_mark)

    def construct_yaml_int(self, node):
        if _SEXAGESIMAL.match(node.value):
            return node.value
        self._too_long(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        if _SEXAGESIMAL.match(node.value):
            return node.value
        self._too_long(node)
        return super().construct_yaml_float(node)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return node.value


class _Loader(_Checks, yaml.SafeLoader):
    """The checked safe loader, all in Python."""


_LOADERS: list[Any] = [_Loader]  # loader classes (the stubs' types do not fit the mixin)
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser  # what yaml.cyaml uses (libyaml's parser)

    class _FastLoader(_Checks, yaml.composer.Composer, CParser,
                      yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """The same checks on libyaml's scanner and parser (the composer and the
        constructor stay in Python): a 500 kB file reads in about a second, not 20."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)

    _LOADERS.append(_FastLoader)
for _cls in _LOADERS:
    _cls.add_constructor("tag:yaml.org,2002:int", _Checks.construct_yaml_int)
    _cls.add_constructor("tag:yaml.org,2002:float", _Checks.construct_yaml_float)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _Checks.construct_yaml_timestamp)
_YAML_LOADER = _LOADERS[-1]


def _read_bytes(path: Path, label: str) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ScenarioError(Problem("", "file not found", label)) from None
    except OSError as exc:
        raise ScenarioError(Problem("", f"cannot read: {exc.strerror}", label)) from None
    if not path.is_file():
        raise ScenarioError(Problem("", "not a file", label))
    if size > MAX_BYTES:
        raise ScenarioError(Problem("", f"file is {size:,} bytes; the limit is {MAX_BYTES:,}",
                                    label))
    try:
        with open(path, "rb") as fh:  # /proc files say 0 bytes: read at most the limit
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(Problem("", f"cannot read: {exc.strerror}", label)) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(Problem("", f"file is over the limit of {MAX_BYTES:,} bytes", label))
    return raw


def read_yaml(path: str | Path) -> tuple[Any, str]:
    """Parse a YAML file safely; returns (data, sha256). Raises ``ScenarioError``.

    Parameters
    ----------
    path : str or Path
        The YAML file (at most ``MAX_BYTES``).

    Returns
    -------
    data : object
        What the file holds (a mapping, for a scenario).
    sha256 : str
        The file's SHA-256, in hex.

    Raises
    ------
    ScenarioError
        The file cannot be read, is over ``MAX_BYTES``, is not UTF-8 text or is not
        valid YAML.
    """
    path = Path(path)
    raw = _read_bytes(path, str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(Problem("", "not UTF-8 text", str(path))) from None
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or "cannot be read"
        raise ScenarioError(Problem(where, f"invalid YAML: {what}", str(path))) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops it first
        raise ScenarioError(Problem("", "invalid YAML: nested too deeply", str(path))) from None
    return data, hashlib.sha256(raw).hexdigest()


def _read_csv(path: Path, table: str, label: str) -> tuple[list[dict[str, Any]], str]:
    raw = _read_bytes(path, label)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(Problem("", "not UTF-8 text", label)) from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if header is None:
            raise ScenarioError(Problem("", f"not a riskmodel {table} table (empty)", label))
        problem = check_header(table, header)
        if problem is not None:
            raise ScenarioError(Problem("row 1", problem, label))
        names = [h.strip() for h in header]
        rows = []
        for line in reader:
            row: dict[str | None, Any] = dict(zip(names, line))
            if len(line) > len(names):
                row[None] = line[len(names):]
            rows.append(row)
        return rows_to_records(table, rows), hashlib.sha256(raw).hexdigest()
    except TableError as exc:
        raise ScenarioError(Problem(f"row {exc.row + 2}: {exc.column}", str(exc), label)) from None
    except csv.Error as exc:
        raise ScenarioError(Problem(f"line {reader.line_num}", f"invalid CSV: {exc}", label)) \
            from None


def scenario_keys() -> set[str]:
    """The keys a scenario file may have at the top."""
    return {f.alias or name for name, f in Scenario.model_fields.items()} | {"extends"}


def check_scenario_shape(data: Any, label: str) -> None:
    """Refuse, quoting nothing from it, a file that is not a scenario at all.

    A scenario (or a base that another extends) is a mapping whose keys are names, at
    least one of them a scenario key; anything else (a password file read as YAML, a
    list, a bare value) is "not a riskmodel scenario file", so that no other file's
    content ever reaches a message or an output.

    Parameters
    ----------
    data : object
        What the file holds (``read_yaml``).
    label : str
        The file's name, for the message.

    Raises
    ------
    ScenarioError
        ``data`` is not a scenario: empty, not a mapping, or without a scenario key.
    """
    if not isinstance(data, dict) or not data:
        what = "empty" if data is None or data == {} else "not a mapping of keys to values"
        raise ScenarioError(Problem("", f"not a riskmodel scenario file ({what})", label))
    known = scenario_keys()
    if not all(identifier_like(k) for k in data) or not any(k in known for k in data):
        raise ScenarioError(Problem("", "not a riskmodel scenario file (its keys are not "
                                        "scenario keys)", label))


def _resolve(path: Path, chain: tuple[Path, ...], sources: dict[str, str],
             tables: dict[str, str]) -> dict[str, Any]:
    label = str(path)
    if len(chain) > _MAX_EXTENDS:
        raise ScenarioError(Problem("extends", f"more than {_MAX_EXTENDS} levels of extends",
                                    label))
    data, digest = read_yaml(path)
    sources[label] = digest
    check_scenario_shape(data, label)
    for key in TABLE_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.lower().endswith(".csv"):
            csv_path = path.parent / value
            data[key], sources[str(csv_path)] = _read_csv(csv_path, key, str(csv_path))
            tables[key] = str(csv_path)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(Problem("extends", "must be the path of a scenario file", label))
    base_path = (path.parent / base).resolve()
    if base_path in chain or base_path == path.resolve():
        raise ScenarioError(Problem("extends", f"'{base}' extends itself in a loop", label))
    parent = _resolve(base_path, chain + (path.resolve(),), sources, tables)
    return merge_scenarios(_audit_as_target(parent, full=True), _audit_as_target(data, full=False))


def _audit_as_target(data: dict[str, Any], full: bool) -> dict[str, Any]:
    """Turn ``audit_date`` into the target ``audit`` so that files can be merged by id.

    In a base file it becomes the whole target (on ``end``); in an extending file only
    its date, so a child that moves the audit date keeps the base's milestone.
    """
    if data.get("audit_date") is None or not isinstance(data.get("targets", []), list):
        return data
    data = dict(data)
    target = {"id": "audit", "date": data.pop("audit_date")}
    if full:
        target["milestone"] = "end"
    data["targets"] = [target, *data.get("targets", [])]
    return data


def source_hashes(path: str | Path) -> dict[str, str]:
    """SHA-256 of a scenario file and of every file it reads (extends, CSV tables).

    Parameters
    ----------
    path : str or Path
        The scenario's YAML file.

    Returns
    -------
    dict of str to str
        The SHA-256 in hex, by file path.

    Raises
    ------
    ScenarioError
        A file cannot be read or is not a scenario (as ``load_scenario``; the fields are
        not validated).
    """
    sources: dict[str, str] = {}
    _resolve(Path(path), (), sources, {})
    return sources


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML, with optional CSV tables and ``extends``).

    Parameters
    ----------
    path : str or Path
        The scenario's YAML file.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem, each naming the file and the key path or CSV row.

    Examples
    --------
    >>> s = load_scenario("data/scenarios/soc2_readiness.yaml")
    >>> s.audit_date
    datetime.date(2027, 3, 1)
    """
    path = Path(path)
    sources: dict[str, str] = {}
    tables: dict[str, str] = {}
    data = _resolve(path, (), sources, tables)
    return Scenario.from_dict(data, source=str(path), table_sources=tables, sources=sources)
