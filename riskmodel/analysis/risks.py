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
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..results import SimulationResult

__all__ = ["risk_ranking", "RISK_ORDER"]

RISK_ORDER = {
    "expected": ["mean_finish_impact", "mean_cost_impact"],
    "p80": ["p80_finish_shift", "p80_cost_shift"],
    "p90": ["p90_finish_shift", "p90_cost_shift"],
    "cost": ["mean_cost_impact", "p90_cost_shift"],
}
"""Orders of the risk table: by expected impact (default), by the P80 or P90 shift, or
by expected cost impact."""


def _headline_without(result: "SimulationResult") -> np.ndarray:
    w = result.without_risk
    milestone = result.primary_target.milestone
    if milestone == "end":
        return w["end"]
    names = list(result.milestone_finish)
    return w["milestones"][:, names.index(milestone), :]


def _impact_mean(dist) -> float:
    """Mean of a distribution on a fine quantile grid (exact enough for a table)."""
    return float(dist.sample(np.linspace(0.5 / 4096, 1 - 0.5 / 4096, 4096)).mean())


def risk_ranking(result: "SimulationResult",
                 by: Literal["expected", "p80", "p90", "cost"] = "expected") -> pd.DataFrame:
    """Per risk, what it does to the forecast (AACE 57R-09 / GAO risk ranking).

    Every shift compares the run with the same run with the risk switched off (common
    random numbers); positive means the risk makes things later or dearer.

    Columns
    -------
    fired : share of iterations in which the risk occurred.
    p_meet_shift : change in P(headline target) it causes (negative: lowers the odds).
    mean_finish_impact, mean_cost_impact : rise of the mean programme end (weeks) and of
        the mean cost; the cost counts the risk's own cost and the time it adds
        (``own_cost`` + ``time_cost``).
    p80_finish_shift, p80_cost_shift, p90_finish_shift, p90_cost_shift : rise of the P80
        and P90 end and cost (a rare, large risk shows in P90, not in P80).
    own_cost : the risk events' own mean cost (what 0.1 called ``expected_cost``).
    time_cost : the mean cost of the time the risk adds (labour and overhead).
    expected_delay : probability x mean delay of the risk's own impact (delay risks).

    Sorted by ``by`` (see ``RISK_ORDER``). NaN shifts mean the run was made with
    ``rank_risks=False``.
    """
    if by not in RISK_ORDER:
        raise ValueError(f"by must be one of {', '.join(RISK_ORDER)}, got {by!r}")
    s = result.scenario
    k = len(s.risks)
    names = ("p_meet_shift", "mean_finish_impact", "mean_cost_impact", "time_cost",
             "p80_finish_shift", "p80_cost_shift", "p90_finish_shift", "p90_cost_shift")
    shift = {key: np.full(k, np.nan) for key in names}
    w = result.without_risk
    if w is not None and k:
        target = result.primary_target
        when = result.weeks(target.date) + 1e-12
        base = result.finish_of(target.milestone)
        shift["p_meet_shift"] = np.mean(base <= when) - np.mean(_headline_without(result)
                                                                <= when, axis=1)
        shift["mean_finish_impact"] = result.finish.mean() - w["end"].mean(axis=1)
        shift["mean_cost_impact"] = result.cost.mean() - w["cost"].mean(axis=1)
        shift["time_cost"] = shift["mean_cost_impact"] - result.mean_risk_cost_
        for q in (80, 90):
            shift[f"p{q}_finish_shift"] = (np.percentile(result.finish, q)
                                           - np.percentile(w["end"], q, axis=1))
            shift[f"p{q}_cost_shift"] = (np.percentile(result.cost, q)
                                         - np.percentile(w["cost"], q, axis=1))
    delay_means = [_impact_mean(r.delay) if r.delay is not None else np.nan for r in s.risks]
    table = pd.DataFrame(
        {
            "name": [r.name or r.id for r in s.risks],
            "probability": [r.probability for r in s.risks],
            "fired": result.fired_,
            "affects": [", ".join(r.affects) for r in s.risks],
            **shift,
            "own_cost": result.mean_risk_cost_,
            "expected_delay": [r.probability * m for r, m in zip(s.risks, delay_means)],
        },
        index=pd.Index([r.id for r in s.risks], name="risk"),
    )
    table["mean_finish_shift"] = table["mean_finish_impact"]  # the 0.1 name
    return table.sort_values(RISK_ORDER[by], ascending=False, kind="stable")
