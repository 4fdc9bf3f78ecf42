"""Which risks matter: each risk's effect on the same draws with it switched off."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..results import SimulationResult

__all__ = ["risk_ranking"]


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
