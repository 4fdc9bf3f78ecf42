"""Tables of a scenario written as CSV files or pandas DataFrames.

A table row is flat; it becomes the same nested mapping as in YAML:
- a header with a dot nests (``duration.min`` -> ``{"duration": {"min": ...}}``);
- ``dist``, ``min``, ``mode``, ``max``... without a prefix describe ``duration`` in the
  workstreams table and ``cost`` in the fixed-costs table;
- list columns (``depends_on``, ``affects``) are separated by ``;``, and a dependency may
  carry a lag as ``id:0.5``, a type as ``id:SS`` or both as ``id:SS:2``; mapping columns
  (``staffing``) read ``role=1.0; role2=0.5``;
- empty cells are left out, numbers are read as numbers.
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["TABLE_KEYS", "rows_to_records", "normalise_tables", "check_header", "table_columns"]

TABLE_KEYS = ("roles", "workstreams", "risks", "correlations", "fixed_costs", "overhead",
              "targets")
_LIST_COLUMNS = {"depends_on", "affects", "between", "criteria", "values"}
_MAP_COLUMNS = {"staffing"}
_DIST_PARAMS = {"dist", "value", "min", "mode", "max", "lambda", "low", "high", "low_pct",
                "high_pct", "p10", "median", "p90", "mean", "sd", "values"}
_BARE_DIST_TARGET = {"workstreams": "duration", "fixed_costs": "cost"}


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}")


def table_columns(table: str) -> set[str]:
    """The first parts of the column headers a table may have.

    Parameters
    ----------
    table : str
        One of ``TABLE_KEYS``.

    Returns
    -------
    set of str
        The table's field names and ``remove`` (and, for workstreams and fixed costs, the
        distribution parameters written without a prefix).

    Examples
    --------
    >>> sorted(table_columns("targets"))
    ['date', 'id', 'milestone', 'remove']
    """
    from . import models as schema

    models: dict[str, type[BaseModel]] = {
        "roles": schema.Role, "workstreams": schema.Workstream, "risks": schema.Risk,
        "correlations": schema.Correlation, "fixed_costs": schema.FixedCost,
        "overhead": schema.Overhead, "targets": schema.Target}
    model = models[table]
    known = {f.alias or name for name, f in model.model_fields.items()} | {"remove"}
    if table in _BARE_DIST_TARGET:
        known |= _DIST_PARAMS
    return known


def check_header(table: str, header: list[str]) -> str | None:
    """What is wrong with a CSV header, quoting only names; ``None`` if it is fine.

    A header that is not made of names (a password file, a spreadsheet export of
    something else) makes the file "not a riskmodel table", with nothing quoted.

    Parameters
    ----------
    table : str
        One of ``TABLE_KEYS``.
    header : list of str
        The CSV file's column headers.

    Returns
    -------
    str or None
        The first thing wrong, in words.

    Examples
    --------
    >>> check_header("workstreams", ["id", "duraton.min"])
    "unknown column 'duraton.min' (did you mean 'duration'?)"
    """
    names = [str(h).strip() for h in header]
    if not names or not all(all(_NAME.fullmatch(part) for part in h.split(".")) for h in names):
        return f"not a riskmodel {table} table (its header is not made of column names)"
    known = table_columns(table)
    if not any(h.split(".")[0] in known for h in names):
        return f"not a riskmodel {table} table (none of its columns is a {table} column)"
    for h in names:
        if h.split(".")[0] not in known:
            from .problems import nearest

            return f"unknown column '{h}'{nearest(h.split('.')[0], known)}"
    seen = set()
    for h in names:
        if h in seen:
            return f"column '{h}' appears twice"
        seen.add(h)
    return None


class TableError(ValueError):
    """A cell that cannot be read; ``row`` is 0-based, ``column`` its header."""

    def __init__(self, row: int, column: str, message: str, table: str = ""):
        super().__init__(message)
        self.row, self.column, self.table = row, column, table


def _scalar(text: Any) -> Any:
    if not isinstance(text, str):
        if isinstance(text, float) and math.isnan(text):
            return None
        return text.item() if hasattr(text, "item") else text
    text = text.strip()
    if text == "":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _cell(column: str, value: Any, row: int) -> Any:
    leaf = column.rsplit(".", 1)[-1]
    if leaf in _LIST_COLUMNS and isinstance(value, str):
        items = [_scalar(v) for v in value.split(";") if v.strip()]
        if leaf == "depends_on":
            out = []
            for item in items:
                if isinstance(item, str) and ":" in item:
                    ws, *rest = (part.strip() for part in item.split(":", 2))
                    dep: dict[str, Any] = {"id": ws}
                    if rest and rest[0].upper() in ("FS", "SS", "FF", "SF"):
                        dep["type"] = rest.pop(0).upper()
                    if rest:
                        dep["lag"] = _scalar(":".join(rest))
                    out.append(dep)
                else:
                    out.append(item)
            return out
        return items
    if leaf in _MAP_COLUMNS and isinstance(value, str):
        shares: dict[str, Any] = {}
        for part in value.split(";"):
            if not part.strip():
                continue
            if "=" not in part:
                raise TableError(row, column, f"'{part.strip()}' should read role=FTE")
            key, fte = part.split("=", 1)
            shares[key.strip()] = _scalar(fte)
        return shares
    return _scalar(value)


def rows_to_records(table: str, rows: list[dict[str | None, Any]]) -> list[dict[str, Any]]:
    """Nest flat rows (from CSV or a DataFrame) into the records the schema expects (a
    ``None`` column holds a CSV row's cells beyond the header).

    Parameters
    ----------
    table : str
        One of ``TABLE_KEYS``.
    rows : list of dict
        Each row's cells by column header.

    Returns
    -------
    list of dict
        One record per row.

    Raises
    ------
    TableError
        A row with more cells than the header, a ``staffing`` cell not read as
        ``role=FTE``, or a header that is both a value and a group.

    Examples
    --------
    >>> rows_to_records("workstreams", [{"id": "scoping", "min": "1", "mode": "2",
    ...                                  "max": "3", "depends_on": "kickoff:SS:2"}])
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'id': 'scoping', 'duration': {'min': 1, 'mode': 2, 'max': 3},
      'depends_on': [{'id': 'kickoff', 'type': 'SS', 'lag': 2}]}]
    """
    records = []
    bare = _BARE_DIST_TARGET.get(table)
    for i, row in enumerate(rows):
        record: dict[str, Any] = {}
        for column, raw in row.items():
            if column is None:
                raise TableError(i, "?", "this row has more cells than the header")
            column = str(column).strip()
            value = _cell(column, raw, i)
            if value is None or column == "":
                continue
            path = column.split(".")
            if bare and len(path) == 1 and path[0] in _DIST_PARAMS:
                path = [bare, path[0]]
            node = record
            for key in path[:-1]:
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    raise TableError(i, column, f"'{key}' is both a value and a group")
            node[path[-1]] = value
        if bare and isinstance(record.get(bare), dict) and "dist" not in record[bare]:
            if set(record[bare]) == {"value"}:
                record[bare] = record[bare]["value"]
        records.append(record)
    return records


def normalise_tables(data: dict[str, Any]) -> dict[str, Any]:
    """Replace DataFrame tables by lists of records (other values are left alone).

    Parameters
    ----------
    data : dict
        Scenario data; the tables are the keys of ``TABLE_KEYS``.

    Returns
    -------
    dict
        A shallow copy of ``data``.

    Raises
    ------
    TableError
        A cell that cannot be read (``rows_to_records``), with ``table`` set.
    """
    out = dict(data)
    for key in TABLE_KEYS:
        value: Any = out.get(key)
        if hasattr(value, "to_dict") and hasattr(value, "columns"):
            try:
                out[key] = rows_to_records(key, value.to_dict(orient="records"))
            except TableError as exc:
                exc.table = key
                raise
    return out
