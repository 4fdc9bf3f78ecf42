"""Which risks matter: each risk's effect on the same draws with it switched off.

A risk's *impact* is the difference between the run and the same run with that risk
switched off (common random numbers), so it counts everything the risk does: its own
cost, and the labour and overhead that keep running while it delays the work. Impacts do
not add up across risks (two delays on parallel paths overlap; one on the critical path
can hide another), so removing the top k risks together is measured, not summed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from .percentiles import replaced_percentiles, sorted_percentiles
from .table import Table, descending

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .sample import Sample

__all__ = ["risk_ranking", "risk_columns", "condition_text", "RISK_ORDER", "RiskOrder"]

RiskOrder = Literal["expected", "p80", "p90", "cost"]
"""The ``by`` of ``risk_ranking``: a key of ``RISK_ORDER``."""

RISK_ORDER = {
    "expected": ["mean_finish_impact", "mean_cost_impact"],
    "p80": ["p80_finish_shift", "p80_cost_shift"],
    "p90": ["p90_finish_shift", "p90_cost_shift"],
    "cost": ["mean_cost_impact", "p90_cost_shift"],
}
"""Orders of the risk table: by expected impact (default), by the P80 or P90 shift, or
by expected cost impact."""


def _headline_row(result: Sample) -> int | None:
    """Row of the headline milestone in the kept milestone finishes (None: the end)."""
    milestone = result.primary_target.milestone
    return None if milestone == "end" else list(result.milestone_finish).index(milestone)


def _shifts(result: Sample, shift: dict[str, np.ndarray]) -> None:
    """Fill ``shift`` from the run without each risk, one risk at a time.

    ``result.without_risk`` keeps each risk's cost where it fired, and its end and
    milestones where it moved them (the others are those of the run). The mean without
    a risk is taken of its whole vector, rebuilt in one buffer risk by risk (so it is
    the same number as on a dense array, and memory stays at a few vectors of the run
    whatever the number of risks); its P80 and P90 are read from the run sorted
    (``result.sorted_values``, shared with the rest of the document) and the kept
    iterations' values before and after (``replaced_percentiles``: the same numbers as
    ``np.percentile`` of the whole vector).
    """
    w = result.without_risk
    assert w is not None  # called only for a run with its risks ranked
    target = result.primary_target
    when = result.weeks(target.date) + 1e-12
    base = result.finish_of(target.milestone)
    row = _headline_row(result)
    n = base.size
    on_time = base <= when
    met = int(np.count_nonzero(on_time))
    levels = (80, 90)
    for name, what in (("end", "finish"), ("cost", "cost")):
        run = w.base[name]  # the run's own: result.finish and result.cost
        ordered = result.sorted_values(what)
        assert len(ordered) == len(run)
        mean, quantiles = run.mean(), sorted_percentiles(ordered, levels)
        alone = np.empty_like(run)  # one risk's whole vector at a time
        for i in range(w.risks):
            cols, off = w.at(name, i), w.values[name][i]  # cols: made anew from bits
            if name == "end":  # P(meet) without the risk: counts change where it moved
                head = off if row is None else w.values["milestones"][i][row]
                met_i = (met - int(np.count_nonzero(on_time[cols]))
                         + int(np.count_nonzero(head <= when)))
                shift["p_meet_shift"][i] = met / n - met_i / n
            np.copyto(alone, run)
            alone[cols] = off
            mean_off = alone.mean()
            shift[f"mean_{what}_impact"][i] = mean - mean_off
            if np.isfinite(mean_off):  # every value finite
                q = replaced_percentiles(ordered, run[cols], off, levels)
            else:
                q = np.percentile(alone, levels)
            for k, level in enumerate(levels):
                shift[f"p{level}_{what}_shift"][i] = quantiles[k] - q[k]
    triggered = result.mean_triggered_cost_
    if triggered is None:
        triggered = np.zeros_like(result.mean_risk_cost_)
    shift["triggered_cost"] = triggered
    shift["time_cost"] = shift["mean_cost_impact"] - result.mean_risk_cost_ - triggered


def _impact_mean(dist) -> float:
    """Mean of a distribution on a fine quantile grid (exact enough for a table)."""
    return float(dist.sample(np.linspace(0.5 / 4096, 1 - 0.5 / 4096, 4096)).mean())


def condition_text(scenario, risk, names: dict[str, str] | None = None) -> str:
    """A risk's ``when`` in words ("if not audit-ready by 1 Mar 2027 and if
    permission_sprawl occurs"; risks by ``names`` if given), or "" for none.

    Parameters
    ----------
    scenario : Scenario
    risk : Risk
    names : dict of str to str, optional
        Risk names by id.

    Returns
    -------
    str
    """
    import datetime as dt
    import math

    from ..formatting import long_date, target_name

    targets = {t.id: t for t in scenario.all_targets}

    def target(tid: str, by: float) -> str:
        day = targets[tid].date + dt.timedelta(days=math.ceil(round(by * 7, 9)))
        return f"{target_name(tid)} by {long_date(day)}"

    return " and ".join(c.describe(names, target) for c in risk.when)


def risk_ranking(result: Sample,
                 by: RiskOrder = "expected") -> pd.DataFrame:
    """Per risk, what it does to the forecast (AACE 57R-09 / GAO risk ranking).

    Every shift compares the run with the same run with the risk switched off (common
    random numbers); positive means the risk makes things later or dearer.

    Columns
    -------
    fired : share of iterations in which the risk occurred.
    p_meet_shift : change in P(headline target) it causes (negative: lowers the odds).
    mean_finish_impact, mean_cost_impact : rise of the mean programme end (weeks) and of
        the mean cost; the cost counts the risk's own cost, the time it adds and the
        risks it brings with it (``own_cost`` + ``time_cost`` + ``triggered_cost``).
    p80_finish_shift, p80_cost_shift, p90_finish_shift, p90_cost_shift : rise of the P80
        and P90 end and cost (a rare, large risk shows in P90, not in P80).
    own_cost : the risk events' own mean cost (what 0.1 called ``expected_cost``).
    time_cost : the mean cost of the time the risk adds (labour and overhead).
    triggered_cost : the mean own cost of other risks that fire because this one did
        (``when`` clauses; negative where it prevents them); 0 without conditions.
    expected_delay : P(it fires) x mean delay of the risk's own impact (delay risks);
        P(it fires) is ``probability``, or for a conditional risk the share ``fired``.
    condition : the ``when`` clauses in words ("" for none); ``probability`` is then the
        probability given them.

    Sorted by ``by`` (see ``RISK_ORDER``). NaN shifts mean the run was made with
    ``rank_risks=False``.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    by : {"expected", "p80", "p90", "cost"}
        The order.

    Returns
    -------
    pandas.DataFrame
        Indexed by risk id, with the columns above and ``name``, ``probability``.

    Raises
    ------
    ValueError
        ``by`` is not one of ``RISK_ORDER``.
    """
    return risk_columns(result, by).frame()


def risk_columns(result: Sample, by: RiskOrder = "expected") -> Table:
    """``risk_ranking``'s table as columns (no pandas), indexed by risk id; the
    parameters and errors are ``risk_ranking``'s."""
    if by not in RISK_ORDER:
        raise ValueError(f"by must be one of {', '.join(RISK_ORDER)}, got {by!r}")
    s = result.scenario
    k = len(s.risks)
    names = ("p_meet_shift", "mean_finish_impact", "mean_cost_impact", "time_cost",
             "triggered_cost", "p80_finish_shift", "p80_cost_shift", "p90_finish_shift",
             "p90_cost_shift")
    shift = {key: np.full(k, np.nan) for key in names}
    if result.without_risk is not None and k:
        _shifts(result, shift)
    delay_means = [_impact_mean(r.delay) if r.delay is not None else np.nan for r in s.risks]
    table = Table("risk", [r.id for r in s.risks], {
        "name": [r.name or r.id for r in s.risks],
        "probability": [r.probability for r in s.risks],
        "fired": result.fired_,
        "affects": [", ".join(r.affects) for r in s.risks],
        **shift,
        "own_cost": result.mean_risk_cost_,
        "expected_delay": [(f if r.when else r.probability) * m
                           for r, f, m in zip(s.risks, result.fired_, delay_means)],
        "condition": [condition_text(s, r) for r in s.risks],
        "mean_finish_shift": shift["mean_finish_impact"],  # the 0.1 name
    })
    return descending(table, RISK_ORDER[by])
