"""Read scenario files: YAML (safe, size-limited), CSV tables, ``extends``."""
from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ScenarioError
from .schema import Scenario
from .tables import TABLE_KEYS, TableError, rows_to_records

__all__ = ["load_scenario", "read_yaml", "merge_scenarios", "MAX_BYTES"]

MAX_BYTES = 2_000_000
"""Largest scenario, table or batch file read (a scenario is a few kilobytes)."""
_MAX_EXTENDS = 8


class _Loader(yaml.SafeLoader):
    """Safe loader that refuses aliases and duplicate keys."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (*name) are not supported", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark)
            if isinstance(key, (str, int, float, bool)):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


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
    return path.read_bytes()


def read_yaml(path: str | Path) -> tuple[Any, str]:
    """Parse a YAML file safely; returns (data, sha256). Raises ``ScenarioError``."""
    path = Path(path)
    raw = _read_bytes(path, str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(Problem("", "not UTF-8 text", str(path))) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(Problem(where, f"invalid YAML: {what}", str(path))) from None
    return data, hashlib.sha256(raw).hexdigest()


def _read_csv(path: Path, table: str, label: str) -> tuple[list[dict[str, Any]], str]:
    raw = _read_bytes(path, label)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(Problem("", "not UTF-8 text", label)) from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        rows = list(reader)
        return rows_to_records(table, rows), hashlib.sha256(raw).hexdigest()
    except TableError as exc:
        raise ScenarioError(Problem(f"row {exc.row + 2}: {exc.column}", str(exc), label)) from None
    except csv.Error as exc:
        raise ScenarioError(Problem(f"line {reader.line_num}", f"invalid CSV: {exc}", label)) \
            from None


def merge_scenarios(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child keys override the base; tables merge item by item on ``id``.

    In a table, an item whose id is in the base updates that item's keys, a new id is
    appended, and ``{id: x, remove: true}`` drops item x.
    """
    out = dict(base)
    for key, value in child.items():
        old = out.get(key)
        if key in TABLE_KEYS and isinstance(old, list) and isinstance(value, list):
            items = [dict(x) if isinstance(x, dict) else x for x in old]
            index = {x.get("id"): k for k, x in enumerate(items) if isinstance(x, dict)}
            for item in value:
                if isinstance(item, dict) and item.get("id") in index:
                    k = index[item["id"]]
                    if item.get("remove") is True:
                        items[k] = None
                    else:
                        merged = {**items[k], **item}
                        items[k] = {f: v for f, v in merged.items() if v is not None}
                else:
                    items.append(item)
            out[key] = [x for x in items if x is not None]
        elif isinstance(old, dict) and isinstance(value, dict) and key != "cost_band":
            out[key] = {**old, **value}
        else:
            out[key] = value
    return out


def _resolve(path: Path, chain: tuple[Path, ...], sources: dict[str, str],
             tables: dict[str, str]) -> dict[str, Any]:
    label = str(path)
    if len(chain) > _MAX_EXTENDS:
        raise ScenarioError(Problem("extends", f"more than {_MAX_EXTENDS} levels of extends",
                                    label))
    data, digest = read_yaml(path)
    sources[label] = digest
    if not isinstance(data, dict):
        raise ScenarioError(Problem("", "a scenario file must be a mapping of keys to values "
                                        f"(found {type(data).__name__})", label))
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


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML, with optional CSV tables and ``extends``).

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
