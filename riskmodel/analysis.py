"""What drives the date and the cost: drivers, risk ranking, contingency, JCL, cash flow.

Functions of a ``SimulationResult``; the result exposes each as a method. Nothing here
draws random numbers: every figure comes from the run's iterations (risk shifts from
the same draws with the risk switched off, made during the run).
"""
from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .results import SimulationResult

__all__ = [
    "drivers",
    "risk_ranking",
    "contingency_table",
    "plan_confidence",
    "jcl_frontier",
    "cost_given_timing",
    "cash_flow",
    "quantile_std_error",
    "CASH_FLOW_SAMPLE",
]

CASH_FLOW_SAMPLE = 20_000
"""Iterations used for cash-flow bands (the first ones; percentiles of spend to ~1%)."""


def _rank_corr(x, y):
    from .results import rank_correlation

    return rank_correlation(x, y)


def drivers(result: "SimulationResult") -> pd.DataFrame:
    """Per workstream: criticality, sensitivities, cruciality, schedule sensitivity index.

    - criticality: share of iterations in which the workstream has zero total float;
    - sensitivity (finish / cost): Spearman correlation of its duration with the
      programme finish / total cost;
    - cruciality: criticality x finish sensitivity (Acumen-style ranking);
    - ssi: schedule sensitivity index, criticality x sd(duration) / sd(finish)
      (PMI Practice Standard for Project Risk Management).
    """
    d = result.detail
    n = d["duration"].shape[1]
    dur = d["duration"].astype(float)
    finish, cost = result.finish[:n], result.cost[:n]
    sens_f = _rank_corr(dur, finish)
    sens_c = _rank_corr(dur, cost)
    sd_f = finish.std()
    ssi = result.criticality_ * dur.std(axis=1) / sd_f if sd_f > 0 else np.zeros(len(dur))
    return pd.DataFrame(
        {
            "name": [w.name or w.id for w in result.scenario.workstreams],
            "criticality": result.criticality_,
            "sensitivity": sens_f,
            "cost_sensitivity": sens_c,
            "cruciality": result.criticality_ * sens_f,
            "ssi": ssi,
            "mean_duration": result.mean_duration_,
            "plan_duration": result.plan["workstream_duration"],
            "finish_p50": np.percentile(d["finish"], 50, axis=1).astype(float),
            "finish_p80": np.percentile(d["finish"], 80, axis=1).astype(float),
            "plan_finish": result.plan["workstream_finish"],
            "on_plan_critical_path": result.plan["critical"],
        },
        index=pd.Index(result.workstream_ids, name="workstream"),
    )


def _primary_without(result: "SimulationResult") -> np.ndarray | None:
    w = result.without_risk
    if w is None:
        return None
    milestone = result.primary_target.milestone
    if milestone == "end":
        return w["end"]
    names = list(result.milestone_finish)
    return w["milestones"][:, names.index(milestone), :]


def risk_ranking(result: "SimulationResult") -> pd.DataFrame:
    """Per risk, what it does to the forecast (AACE 57R-09 / GAO risk ranking).

    Shifts compare the run with the same run with the risk switched off (common random
    numbers): ``p_meet_shift`` is the change in P(audit target) it causes (negative:
    it lowers the odds), ``p80_finish_shift`` and ``p80_cost_shift`` the rise of the P80
    date (weeks) and cost, ``mean_finish_shift`` that of the mean finish. Expected
    values are probability x mean impact. Sorted by P80 finish shift, then cost shift.
    NaN shifts mean the run was made with ``rank_risks=False``.
    """
    s = result.scenario
    ids = [r.id for r in s.risks]
    k = len(ids)
    shift = {key: np.full(k, np.nan) for key in
             ("p_meet_shift", "p80_finish_shift", "p80_cost_shift", "mean_finish_shift")}
    w = result.without_risk
    if w is not None and k:
        target = result.primary_target
        when = result.weeks(target.date) + 1e-12
        alt = _primary_without(result)
        base = result.finish_of(target.milestone)
        shift["p_meet_shift"] = np.mean(base <= when) - np.mean(alt <= when, axis=1)
        shift["p80_finish_shift"] = np.percentile(result.finish, 80) - np.percentile(
            w["end"], 80, axis=1)
        shift["p80_cost_shift"] = np.percentile(result.cost, 80) - np.percentile(
            w["cost"], 80, axis=1)
        shift["mean_finish_shift"] = result.finish.mean() - w["end"].mean(axis=1)
    impact_mean = []
    for r in s.risks:
        dist = r.delay if r.delay is not None else r.factor
        impact_mean.append(np.nan if dist is None else float(
            dist.sample(np.linspace(0.5 / 4096, 1 - 0.5 / 4096, 4096)).mean()))
    table = pd.DataFrame(
        {
            "name": [r.name or r.id for r in s.risks],
            "probability": [r.probability for r in s.risks],
            "fired": result.fired_,
            "affects": [", ".join(r.affects) for r in s.risks],
            **shift,
            "expected_delay": [r.probability * m if r.delay is not None else np.nan
                               for r, m in zip(s.risks, impact_mean)],
            "expected_cost": result.mean_risk_cost_,
        },
        index=pd.Index(ids, name="risk"),
    )
    return table.sort_values(["p80_finish_shift", "p80_cost_shift"], ascending=False)


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
    from .sim.network import start_times

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


def quantile_std_error(sample: np.ndarray, q: float, h: float = 0.01) -> float:
    """Monte Carlo standard error of the q-quantile: sqrt(q(1-q)/n) / density at it.

    The density is estimated from the sample as 2h / (Q(q+h) - Q(q-h)).
    """
    n = len(sample)
    lo, hi = np.percentile(sample, [100 * max(q - h, 0), 100 * min(q + h, 1)])
    if hi <= lo:
        return 0.0
    return math.sqrt(q * (1 - q) / n) * (hi - lo) / (min(q + h, 1) - max(q - h, 0))
