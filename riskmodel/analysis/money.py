"""Money and time at confidence levels: contingency, plan confidence, cost by timing,
cash flow."""
from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..results import SimulationResult

__all__ = ["contingency_table", "plan_confidence", "cost_given_timing", "cash_flow",
           "CASH_FLOW_SAMPLE"]

CASH_FLOW_SAMPLE = 20_000
"""Iterations used for cash-flow bands (the first ones; percentiles of spend to ~1%)."""


def contingency_table(result: "SimulationResult",
                      levels: Sequence[float] = (50, 70, 80, 90, 95)) -> pd.DataFrame:
    """Finish and cost at each confidence level, and the contingency over the plan."""
    weeks = np.percentile(result.finish, list(levels))
    money = np.percentile(result.cost, list(levels))
    return pd.DataFrame(
        {
            "finish_weeks": weeks,
            "finish_date": [result.date_of(x) for x in weeks],
            "schedule_contingency_weeks": weeks - result.plan["finish"],
            "cost": money,
            "cost_contingency": money - result.plan["cost"],
        },
        index=pd.Index([f"P{q:g}" for q in levels], name="confidence"),
    )


def plan_confidence(result: "SimulationResult") -> dict[str, float]:
    """How likely the deterministic plan's own date and cost are (merge bias made visible)."""
    f, c = result.plan["finish"], result.plan["cost"]
    on_time, on_budget = result.finish <= f + 1e-9, result.cost <= c + 1e-6
    return {"finish": float(on_time.mean()), "cost": float(on_budget.mean()),
            "joint": float((on_time & on_budget).mean())}


def cost_given_timing(result: "SimulationResult", when=None,
                      levels: Sequence[float] = (10, 50, 80, 90)) -> pd.DataFrame:
    """Cost percentiles for iterations that meet ``when`` (audit target by default) and not."""
    target = result.primary_target
    when = target.date if when is None else when
    late = result.finish_of(target.milestone) > result.weeks(when) + 1e-12
    rows = {}
    for label, mask in (("on time", ~late), ("late", late)):
        part = result.cost[mask]
        row = {"probability": float(mask.mean()),
               "mean": float(part.mean()) if part.size else np.nan}
        row.update({f"p{q:g}": float(np.percentile(part, q)) if part.size else np.nan
                    for q in levels})
        rows[label] = row
    return pd.DataFrame(rows).T.rename_axis("timing")


def _starts(result: "SimulationResult", finish: np.ndarray) -> np.ndarray:
    from ..sim.network import start_times

    spec = result.spec
    return start_times(finish, spec.order, spec.preds, spec.lags, spec.earliest, spec.pinned)


def cash_flow(result: "SimulationResult", freq: str = "W",
              levels: Sequence[float] = (10, 50, 90)) -> pd.DataFrame:
    """Cumulative spend over time with percentile bands.

    ``freq="W"`` gives weekly points from the start date, ``"M"`` month ends. Labour
    accrues evenly from a workstream's start to its finish; workstream fixed costs are
    paid at its start, programme fixed costs at the start date, overhead weekly until
    its milestone, a fired risk's cost at the finish of the first workstream it affects.
    Columns ``p10``/``p50``/``p90`` (cumulative) and, per period, ``spend_p50`` (median
    spend in the period). Uses the first ``CASH_FLOW_SAMPLE`` iterations. The first row is the start date.
    """
    d, spec = result.detail, result.spec
    n = min(CASH_FLOW_SAMPLE, d["duration"].shape[1])
    dur = d["duration"][:, :n].astype(float)
    fin = d["finish"][:, :n].astype(float)
    start = _starts(result, fin)
    end = result.finish[:n]
    horizon = float(end.max())
    start_date = result.scenario.start_date
    if freq == "W":
        times = np.arange(0.0, math.ceil(horizon) + 1.0)
    elif freq == "M":
        last = start_date + dt.timedelta(days=math.ceil(horizon * 7))
        month_ends = pd.date_range(start_date, last + pd.offsets.MonthEnd(1), freq="ME")
        times = np.array([0.0, *((m.date() - start_date).days / 7 for m in month_ends)])
    else:
        raise ValueError(f"freq must be 'W' (weekly) or 'M' (monthly), got {freq!r}")
    labour = spec.weekly_rate[:, None] * dur
    span = np.maximum(fin - start, 1e-12)
    cum = np.empty((len(times), n))
    for k, t in enumerate(times):
        share = np.clip((t - start) / span, 0.0, 1.0)
        total = (labour * share).sum(axis=0)
        total += (d["fixed"][:, :n] * (t >= start[spec.fixed_index])).sum(axis=0)
        total += d["programme"][:, :n].sum(axis=0)
        for weekly, until in spec.overhead:
            stop = end if until < 0 else fin[until]
            total += weekly * np.minimum(t, stop)
        for i, r in enumerate(spec.risks):
            paid_at = fin[list(r.affects)].min(axis=0) if r.affects else 0.0
            total += d["risk_cost"][i, :n] * (t >= paid_at)
        cum[k] = total
    dates = [start_date + dt.timedelta(days=round(t * 7)) for t in times]
    out = pd.DataFrame({f"p{q:g}": np.percentile(cum, q, axis=1) for q in levels},
                       index=pd.Index(dates, name="date"))
    out["mean"] = cum.mean(axis=1)
    spend = np.diff(cum, axis=0, prepend=0.0)
    out["spend_p50"] = np.percentile(spend, 50, axis=1)
    out.attrs["iterations"] = n
    return out
