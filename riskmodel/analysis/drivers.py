"""What drives the date: criticality, sensitivities, cruciality, SSI."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..results import SimulationResult

__all__ = ["drivers", "rank_correlation"]


def rank_correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``x`` with ``y`` (0 where a row is constant).

    Ties get their average rank, so discrete inputs (empirical durations, fired or not)
    are measured correctly.
    """
    from scipy.stats import rankdata

    x = np.atleast_2d(np.asarray(x, dtype=float))
    rx, ry = rankdata(x, axis=-1), rankdata(np.asarray(y, dtype=float))
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean()
    sx = np.sqrt((rx**2).sum(axis=1))
    sy = math.sqrt((ry**2).sum())
    constant = (np.ptp(x, axis=1) == 0) | (sy == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rx @ ry) / (sx * sy)
    return np.where(constant, 0.0, rho)


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
    sens_f = rank_correlation(dur, finish)
    sens_c = rank_correlation(dur, cost)
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
