"""Merging partial scenarios: how ``extends`` and what-if changes combine with a base."""
from __future__ import annotations

from typing import Any

from .tables import TABLE_KEYS

__all__ = ["merge_scenarios"]


def merge_scenarios(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child keys override the base; tables merge item by item on ``id``.

    In a table, an item whose id is in the base updates that item's keys, a new id is
    appended, and ``{id: x, remove: true}`` drops item x.

    Parameters
    ----------
    base : dict
        The scenario data to change.
    child : dict
        A partial scenario.

    Returns
    -------
    dict
        A new mapping; ``base`` and ``child`` are not changed.

    Examples
    --------
    >>> base = {"workstreams": [{"id": "scoping", "duration": 2},
    ...                         {"id": "pen_test", "duration": 3}]}
    >>> merge_scenarios(base, {"workstreams": [{"id": "scoping", "duration": 1},
    ...                                        {"id": "pen_test", "remove": True}]})
    {'workstreams': [{'id': 'scoping', 'duration': 1}]}
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
