"""Where the money goes: the mean cost by item, with what the risks add kept apart."""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .sample import Sample

__all__ = ["cost_breakdown", "CATEGORIES"]

CATEGORIES = ("workstream", "fixed cost", "overhead", "time added by risks",
              "risk events' own cost", "actuals")
"""Categories of ``cost_breakdown``, in the order they are listed."""


def cost_breakdown(result: Sample) -> pd.DataFrame:
    """Mean cost by item; the means add up to the mean total cost.

    Workstream labour (by role) and overhead are given at the durations and finish of
    the same run with every risk switched off (same draws); what the risks add to them,
    the labour and overhead that keep running while risks delay the work, is the
    category ``time added by risks``; the risks' own costs are ``risk events' own
    cost``. A run made with ``rank_risks=False`` has no risk-free run, so its workstream
    and overhead rows include the time added by risks (``attrs["note"]`` says so).

    Columns: ``category``, ``item`` (id), ``name``, ``role`` (or empty), ``mean``.

    Uncertain rates (a role's ``weekly_rate`` or an overhead's ``weekly_cost`` given as a
    distribution) are priced per iteration: a row is the mean of rate x time, which is
    not the mean rate x the mean time when they are correlated.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    s = result.scenario
    split = result.norisk_mean_duration_ is not None  # then the risk-free run's are all set
    priced, uncertain = _pricing(result, split)
    rows, added = _workstream_rows(result, priced, split)
    for f, mean in zip(s.fixed_costs, result.mean_programme_cost_):
        rows.append(("fixed cost", f.id, f.name or f.id, "", mean))
    overhead, overhead_added = _overhead_rows(result, priced, uncertain, split)
    rows += overhead + added + overhead_added  # what the risks' time adds comes after
    for r, mean in zip(s.risks, result.mean_risk_cost_):
        rows.append(("risk events' own cost", r.id, r.name or r.id, "", mean))
    offset = getattr(result.spec, "cost_offset", 0.0)
    rate_offset = getattr(result.spec, "rate_offset", None)
    if rate_offset is not None:  # units of uncertain rates, priced per iteration
        offset += float(rate_offset @ (result.rate_means_ or {})["rate"])
    if offset:
        rows.append(("actuals", "recorded_actuals", "Recorded actual costs in place of the "
                     "plan's", "", offset))
    table = pd.DataFrame(rows, columns=["category", "item", "name", "role", "mean"])
    if not split and s.risks:
        table.attrs["note"] = ("the run was made without risk ranking, so the time added by "
                               "risks is inside the workstream and overhead rows")
    return table


_Row = tuple[str, str, str, str, float]
"""(category, item, name, role, mean): a row of ``cost_breakdown``."""


def _pricing(result: Sample, split: bool):
    """``priced(key, units, column, table, free, full)`` and the keys of the uncertain
    rates (priced per iteration).

    ``priced`` is the mean cost of ``units`` of the rate ``key`` over the weeks of a
    workstream or overhead (``column`` of ``table``) in the risk-free run (mean ``free``
    weeks), and what the risks add to it (mean ``full`` weeks in the run)."""
    s = result.scenario
    means = result.rate_means_ or {}
    row = {key: k for k, (key, _) in enumerate(getattr(result.spec, "rates", ()))}
    rates = {f"rate:{r.id}": r.weekly_rate.support[0] for r in s.roles}  # certain ones
    rates.update({f"overhead:{o.id}": o.weekly_cost.support[0] for o in s.overhead
                  if o.weekly_cost is not None})

    def priced(key: str, units: float, column: int, table: str, free: float, full: float):
        k = row.get(key)
        if k is None:  # a certain rate: rate x mean time
            value = units * rates[key]
            return value * free, value * (full - free)
        at_full = units * means[table][k, column]
        at_free = units * means[f"norisk_{table}"][k, column] if split else at_full
        return at_free, at_full - at_free

    return priced, set(row)


def _workstream_rows(result: Sample, priced, split: bool) -> tuple[list[_Row], list[_Row]]:
    """Each workstream's labour by role (at its risk-free durations) and fixed cost; and
    the labour the risks' time adds."""
    dur_free = cast(np.ndarray, result.norisk_mean_duration_ if split else result.mean_duration_)
    rows: list[_Row] = []
    added: list[_Row] = []
    for j, w in enumerate(result.scenario.workstreams):
        name = w.name or w.id
        for role, fte in w.staffing.items():
            free, extra = priced(f"rate:{role}", fte, j, "rate_duration", dur_free[j],
                                 result.mean_duration_[j])
            rows.append(("workstream", w.id, name, role, free))
            if split and extra:
                added.append(("time added by risks", w.id, name, role, extra))
        if result.mean_fixed_[j]:
            rows.append(("workstream", w.id, name, "", result.mean_fixed_[j]))
    return rows, added


def _overhead_rows(result: Sample, priced, uncertain: set[str],
                   split: bool) -> tuple[list[_Row], list[_Row]]:
    """Each overhead's cost (by role when staffed) until its workstream or the end in the
    risk-free run; and what the risks' time adds."""
    s = result.scenario
    fin_free = cast(np.ndarray, result.norisk_mean_finish_ if split else result.mean_finish_)
    end_free = float(cast(dict, result.no_risks)["end"].mean()) if split else \
        float(result.finish.mean())
    index = {w.id: j for j, w in enumerate(s.workstreams)}
    rows: list[_Row] = []
    added: list[_Row] = []
    for i, o in enumerate(s.overhead):
        if o.until == "end":
            free_weeks, full_weeks = end_free, float(result.finish.mean())
        else:
            free_weeks = fin_free[index[o.until]]
            full_weeks = result.mean_finish_[index[o.until]]
        units = ({("", f"overhead:{o.id}"): 1.0} if o.weekly_cost is not None else
                 {(role, f"rate:{role}"): fte for role, fte in (o.staffing or {}).items()})
        for (role, key), fte in units.items():
            free, extra = priced(key, fte, i, "rate_weeks", free_weeks, full_weeks)
            rows.append(("overhead", o.id, o.name or o.id, role, free))
            if split and (extra if key in uncertain else full_weeks != free_weeks):
                added.append(("time added by risks", o.id, o.name or o.id, role, extra))
    return rows, added
