"""Where the money goes: the mean cost by item, with what the risks add kept apart."""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..results import SimulationResult

__all__ = ["cost_breakdown", "CATEGORIES"]

CATEGORIES = ("workstream", "fixed cost", "overhead", "time added by risks",
              "risk events' own cost", "actuals")
"""Categories of ``cost_breakdown``, in the order they are listed."""


def cost_breakdown(result: SimulationResult) -> pd.DataFrame:
    """Mean cost by item; the means add up to the mean total cost.

    Workstream labour (by role) and overhead are given at the durations and finish of
    the same run with every risk switched off (same draws); what the risks add to them,
    the labour and overhead that keep running while risks delay the work, is the
    category ``time added by risks``; the risks' own costs are ``risk events' own
    cost``. A run made with ``rank_risks=False`` has no risk-free run, so its workstream
    and overhead rows include the time added by risks (``attrs["note"]`` says so).

    Columns: ``category``, ``item`` (id), ``name``, ``role`` (or empty), ``mean``.
    """
    s = result.scenario
    rates = {r.id: r.weekly_rate for r in s.roles}
    split = result.norisk_mean_duration_ is not None  # then the risk-free run's are all set
    dur_free = cast(np.ndarray, result.norisk_mean_duration_ if split else result.mean_duration_)
    fin_free = cast(np.ndarray, result.norisk_mean_finish_ if split else result.mean_finish_)
    end_free = float(cast(dict, result.no_risks)["end"].mean()) if split else \
        float(result.finish.mean())
    rows, added = [], []
    for j, w in enumerate(s.workstreams):
        name = w.name or w.id
        for role, fte in w.staffing.items():
            rows.append(("workstream", w.id, name, role, fte * rates[role] * dur_free[j]))
            extra = fte * rates[role] * (result.mean_duration_[j] - dur_free[j])
            if split and extra:
                added.append(("time added by risks", w.id, name, role, extra))
        if result.mean_fixed_[j]:
            rows.append(("workstream", w.id, name, "", result.mean_fixed_[j]))
    for f, mean in zip(s.fixed_costs, result.mean_programme_cost_):
        rows.append(("fixed cost", f.id, f.name or f.id, "", mean))
    index = {w.id: j for j, w in enumerate(s.workstreams)}
    for o in s.overhead:
        if o.until == "end":
            free, full = end_free, float(result.finish.mean())
        else:
            free, full = fin_free[index[o.until]], result.mean_finish_[index[o.until]]
        weekly = ({"": o.weekly_cost} if o.weekly_cost is not None else
                  {role: fte * rates[role] for role, fte in (o.staffing or {}).items()})
        for role, rate in weekly.items():
            rows.append(("overhead", o.id, o.name or o.id, role, rate * free))
            if split and full != free:
                added.append(("time added by risks", o.id, o.name or o.id, role,
                              rate * (full - free)))
    rows += added
    for r, mean in zip(s.risks, result.mean_risk_cost_):
        rows.append(("risk events' own cost", r.id, r.name or r.id, "", mean))
    offset = getattr(result.spec, "cost_offset", 0.0)
    if offset:
        rows.append(("actuals", "recorded_actuals", "Recorded actual costs in place of the "
                     "plan's", "", offset))
    table = pd.DataFrame(rows, columns=["category", "item", "name", "role", "mean"])
    if not split and s.risks:
        table.attrs["note"] = ("the run was made without risk ranking, so the time added by "
                               "risks is inside the workstream and overhead rows")
    return table
