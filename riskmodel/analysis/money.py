"""Money and time at confidence levels: contingency, plan confidence, cost by timing,
cash flow."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .percentiles import percentiles, sorted_percentiles
from .table import Table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .sample import Sample

__all__ = ["contingency_table", "contingency_columns", "contingency_levels",
           "plan_confidence", "cost_given_timing", "cash_flow", "CASH_FLOW_SAMPLE"]

CASH_FLOW_SAMPLE = 20_000
"""Iterations used for cash-flow bands (the first ones; percentiles of spend to ~1%)."""


def contingency_table(result: Sample,
                      levels: Sequence[float] = (50, 70, 80, 90, 95)) -> pd.DataFrame:
    """Finish and cost at each confidence level, and the contingency over the plan.

    The contingency (P-level minus the deterministic plan) splits into what estimate
    uncertainty gives, merge bias included (``from_estimates``: the same run with every
    risk switched off, on the same draws, minus the plan) and what the risks add on top
    (``from_risks``: the run minus that risk-free run), as AACE 57R-09 keeps them apart.
    The split columns are NaN for a run made with ``rank_risks=False``.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    levels : sequence of float
        Confidence levels in percent.

    Returns
    -------
    pandas.DataFrame
        Indexed ``p50``, ``p70``... (``confidence``).
    """
    return contingency_columns(result, levels).frame()


def contingency_columns(result: Sample,
                        levels: Sequence[float] = (50, 70, 80, 90, 95)) -> Table:
    """``contingency_table``'s table as columns (no pandas), indexed ``p50``, ``p70``...
    (``confidence``); the parameters are ``contingency_table``'s."""
    q = list(levels)
    weeks = sorted_percentiles(result.sorted_values("finish"), q)
    money = sorted_percentiles(result.sorted_values("cost"), q)
    if result.no_risks is not None:
        free_weeks = percentiles(result.no_risks["end"], q)
        free_money = percentiles(result.no_risks["cost"], q)
    elif not result.scenario.risks:  # no risks: estimates are everything
        free_weeks, free_money = weeks, money
    else:
        free_weeks = free_money = np.full(len(q), np.nan)
    return Table("confidence", [f"p{x:g}" for x in levels], {
        "finish_weeks": weeks,
        "finish_date": [result.date_of(x) for x in weeks],
        "schedule_contingency_weeks": weeks - result.plan["finish"],
        "cost": money,
        "cost_contingency": money - result.plan["cost"],
        "from_estimates_weeks": free_weeks - result.plan["finish"],
        "from_risks_weeks": weeks - free_weeks,
        "from_estimates_cost": free_money - result.plan["cost"],
        "from_risks_cost": money - free_money,
    })


def contingency_levels(table: Table | pd.DataFrame) -> dict[str, dict]:
    """A ``contingency_table`` as the summary document writes it: per level, ``weeks``
    and ``cost`` over the plan and, where the run ranked risks, ``from_risks`` and
    ``from_estimates`` ({weeks, cost}).

    Parameters
    ----------
    table : Table or pandas.DataFrame
        ``contingency_columns``' or ``contingency_table``'s.

    Returns
    -------
    dict
        Keyed ``p50``, ``p70``...
    """
    out: dict[str, dict] = {}
    rows = table.rows() if isinstance(table, Table) else table.iterrows()
    for label, row in rows:
        level: dict = {"weeks": float(row["schedule_contingency_weeks"]),
                       "cost": float(row["cost_contingency"])}
        if not math.isnan(row["from_risks_weeks"]):
            for part in ("from_risks", "from_estimates"):
                level[part] = {"weeks": float(row[f"{part}_weeks"]),
                               "cost": float(row[f"{part}_cost"])}
        out[str(label)] = level
    return out


def plan_confidence(result: Sample) -> dict[str, float]:
    """How likely the deterministic plan's own date and cost are (merge bias made visible).

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).

    Returns
    -------
    dict
        ``finish``, ``cost`` and ``both``: the shares of futures within the plan's date,
        cost, and both.
    """
    f, c = result.plan["finish"], result.plan["cost"]
    on_time, on_budget = result.finish <= f + 1e-9, result.cost <= c + 1e-6
    return {"finish": float(on_time.mean()), "cost": float(on_budget.mean()),
            "joint": float((on_time & on_budget).mean())}


def cost_given_timing(result: Sample, when=None,
                      levels: Sequence[float] = (10, 50, 80, 90)) -> pd.DataFrame:
    """Cost percentiles for iterations that meet ``when`` (audit target by default) and not.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    when : date, str or float, optional
        Default: the headline target's date.
    levels : sequence of float
        Percentile levels.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

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


def _starts(result: Sample, finish: np.ndarray, duration: np.ndarray) -> np.ndarray:
    from ..sim.block import start_of

    return start_of(result.spec, finish, duration)


def _worked_time(calendar):
    """Working time done by calendar time t (weeks): ``calendar.work``, or t itself."""
    return (lambda t: np.asarray(t, dtype=float)) if calendar is None else calendar.work


def _labour_share(work_t: np.ndarray, t: float, work_start: np.ndarray,
                  work_span: np.ndarray, finish: np.ndarray) -> np.ndarray:
    """Share of each workstream's labour spent by calendar time ``t``.

    (work(t) - work(start)) / (work(finish) - work(start)), clipped to [0, 1]: the
    share of its working time done. A workstream with no working time (zero length, or
    wholly inside a blackout at capacity 0) spends all of it at its finish.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip((work_t - work_start) / work_span, 0.0, 1.0)
    return np.where(work_span > 0, share, (t >= finish).astype(float))


def cash_flow(result: Sample, freq: str = "W",
              levels: Sequence[float] = (10, 50, 90)) -> pd.DataFrame:
    """Cumulative spend over time with percentile bands.

    ``freq="W"`` gives weekly points from the start date, ``"M"`` month ends. Money is
    spent on the same clock as the totals are computed: a workstream's labour accrues
    on its *working* time, through the run's calendar (``result.spec.calendar``), so a
    blackout at capacity c spends at c of the pace and one at capacity 0 spends nothing
    (see ``_labour_share``); overhead accrues on elapsed time until its milestone;
    workstream fixed costs are paid at its start, programme fixed costs at the start
    date, a fired risk's cost at the finish of the first workstream it affects. The
    last point therefore equals each iteration's total cost.

    Columns ``p10``/``p50``/``p90`` (cumulative), ``mean`` and, per period,
    ``spend_p50`` (median spend in the period). Uses the first ``CASH_FLOW_SAMPLE``
    iterations. The first row is the start date.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    freq : {"W", "M"}
        Weekly points or month ends.
    levels : sequence of float
        Percentile levels of the cumulative spend.

    Returns
    -------
    pandas.DataFrame
        On a ``DatetimeIndex`` named ``date``.

    Raises
    ------
    ValueError
        ``freq`` is neither ``"W"`` nor ``"M"``.
    """
    import pandas as pd

    d, spec = result.detail, result.spec
    n = min(CASH_FLOW_SAMPLE, d["duration"].shape[1])
    dur = d["duration"][:, :n].astype(float)
    fin = d["finish"][:, :n].astype(float)
    start = _starts(result, fin, dur)
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
    rate = d["rate"][:, :n] if "rate" in d else None  # uncertain rates, per iteration
    labour = spec.labour_rates(rate) * dur
    overhead = list(zip(spec.overhead_rates(rate), (until for _, until in spec.overhead)))
    worked = _worked_time(spec.calendar)
    work_start = worked(start)
    work_span = worked(fin) - work_start
    # what does not depend on the time point, once
    fixed, fixed_start = d["fixed"][:, :n], start[spec.fixed_index]
    programme = d["programme"][:, :n].sum(axis=0)
    paid_at = [fin[list(r.affects)].min(axis=0) if r.affects else 0.0 for r in spec.risks]
    # a re-forecast's recorded actuals (in place of the plan's spend before the status
    # date) count from the status date
    offset = getattr(spec, "cost_offset", 0.0)
    if getattr(spec, "rate_offset", None) is not None:  # units of uncertain rates
        assert rate is not None  # kept in the detail whenever there are uncertain rates
        offset = offset + sum(units * rate[k] for k, units in enumerate(spec.rate_offset))
    as_of = (result.scenario.weeks_from_start(result.status.as_of)
             if result.status is not None else 0.0)
    cum = np.empty((len(times), n))
    for k, t in enumerate(times):
        share = _labour_share(worked(np.array(t)), t, work_start, work_span, fin)
        total = (labour * share).sum(axis=0)
        total += (fixed * (t >= fixed_start)).sum(axis=0)
        total += programme
        for weekly, until in overhead:
            stop = end if until < 0 else fin[until]
            total += weekly * np.minimum(t, stop)
        for i, when in enumerate(paid_at):
            total += d["risk_cost"][i, :n] * (t >= when)
        if np.any(offset) and t >= as_of:
            total += offset
        cum[k] = total
    dates = [start_date + dt.timedelta(days=round(t * 7)) for t in times]
    out = pd.DataFrame({f"p{q:g}": np.percentile(cum, q, axis=1) for q in levels},
                       index=pd.DatetimeIndex(dates, name="date"))
    out["mean"] = cum.mean(axis=1)
    spend = np.diff(cum, axis=0, prepend=0.0)
    out["spend_p50"] = np.percentile(spend, 50, axis=1)
    out.attrs["iterations"] = n
    return out
