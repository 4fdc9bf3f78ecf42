"""Joint confidence of date and cost (NASA JCL)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..results import SimulationResult

__all__ = ["jcl_frontier"]


def jcl_frontier(result: "SimulationResult", confidence: float = 0.7,
                 milestone: str | None = None, points: int = 40) -> pd.DataFrame:
    """(date, budget) pairs with a joint confidence of ``confidence`` (NASA JCL).

    For each date from the ``confidence`` percentile of the finish to the latest
    finish, the smallest budget B with P(finish <= date and cost <= B) >= confidence.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    milestone = result.primary_target.milestone if milestone is None else milestone
    finish, cost = result.finish_of(milestone), result.cost
    n = len(finish)
    need = math.ceil(confidence * n)
    order = np.argsort(finish, kind="stable")
    f_sorted, c_by_f = finish[order], cost[order]
    rows = []
    for d in np.linspace(f_sorted[need - 1], f_sorted[-1], points):
        k = int(np.searchsorted(f_sorted, d, side="right"))
        if k < need:
            continue
        budget = float(np.partition(c_by_f[:k], need - 1)[need - 1])
        rows.append({"weeks": float(d), "date": result.date_of(d), "budget": budget})
    return pd.DataFrame(rows)
