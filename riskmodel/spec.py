"""The scenario as the engine sees it: ``Scenario`` -> ``EngineSpec`` (plain numbers,
indices and distributions). The seam (``simulate``), the schedule health check and the
status conditioning build on it.
"""
from __future__ import annotations

import numpy as np

from .scenario.checks import correlation_matrix
from .scenario.schema import RESERVED_MILESTONE, Scenario
from .sim.correlation import copula_factor, is_psd, nearest_correlation
from .sim.engine import EngineSpec, RiskSpec
from .sim.network import WorkCalendar
from .sim.random import Sampling

__all__ = ["build_spec"]


def _cost_or_none(dist):
    return None if dist.is_fixed and dist.support[0] == 0 else dist


def build_spec(scenario: Scenario, sampling: Sampling | None = None) -> EngineSpec:
    """Translate a validated scenario into the engine's plain spec."""
    ws_ids = [w.id for w in scenario.workstreams]
    index = {w: j for j, w in enumerate(ws_ids)}
    rates = {r.id: r.weekly_rate for r in scenario.roles}
    weekly_rate = [sum(fte * rates[r] for r, fte in w.staffing.items())
                   for w in scenario.workstreams]
    risks = tuple(
        RiskSpec(
            key=r.id,
            probability=r.probability,
            affects=tuple(index[a] for a in r.affects),
            kind="delay" if r.delay is not None else "factor" if r.factor is not None else None,
            impact=r.delay if r.delay is not None else r.factor,
            cost=_cost_or_none(r.cost),
        )
        for r in scenario.risks
    )
    overhead = tuple(
        (o.weekly_cost if o.weekly_cost is not None
         else sum(fte * rates[r] for r, fte in (o.staffing or {}).items()),
         -1 if o.until == RESERVED_MILESTONE else index[o.until])
        for o in scenario.overhead
    )
    milestones = []
    for t in scenario.all_targets:
        if t.milestone != RESERVED_MILESTONE and index[t.milestone] not in milestones:
            milestones.append(index[t.milestone])
    corr_ids, matrix = correlation_matrix(scenario)
    factor = None
    if corr_ids:
        if not is_psd(matrix):
            matrix = nearest_correlation(matrix)
        factor = copula_factor(matrix)
    calendar = None
    if scenario.calendar and scenario.calendar.blackouts:
        calendar = WorkCalendar.from_blackouts([
            (scenario.weeks_from_start(b.start), scenario.weeks_from_start(b.to), b.capacity)
            for b in scenario.calendar.blackouts
        ])
    return EngineSpec(
        workstreams=tuple(ws_ids),
        durations=tuple(w.duration for w in scenario.workstreams),
        preds=tuple(tuple(index[d.id] for d in w.depends_on) for w in scenario.workstreams),
        lags=tuple(tuple(d.lag for d in w.depends_on) for w in scenario.workstreams),
        weekly_rate=np.array(weekly_rate, dtype=float),
        fixed_costs=tuple(_cost_or_none(w.fixed_cost) for w in scenario.workstreams),
        risks=risks,
        programme_costs=tuple((f.id, f.cost) for f in scenario.fixed_costs),
        overhead=overhead,
        milestones=tuple(milestones),
        correlated=tuple(index[c] for c in corr_ids),
        corr_factor=factor,
        calendar=calendar,
        sampling=sampling or scenario.simulation.sampling,
    )
