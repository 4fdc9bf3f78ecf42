"""The scenario as the engine sees it: ``Scenario`` -> ``EngineSpec`` (plain numbers,
indices and distributions). The seam (``simulate``), the schedule health check and the
status conditioning build on it.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .errors import ScenarioError
from .scenario.checks import correlation_inputs, correlation_matrix
from .scenario.schema import RESERVED_MILESTONE, Scenario
from .sim.correlation import copula_factor, is_psd, nearest_correlation
from .sim.engine import EngineSpec, RiskSpec, evaluate, plan_draws
from .sim.levelling import can_bind, priority_order
from .sim.model import Clause
from .sim.network import LINK_TYPES, WorkCalendar, start_times
from .sim.random import Sampling

__all__ = ["build_spec"]


def _cost_or_none(dist):
    return None if dist.is_fixed and dist.support[0] == 0 else dist


def _link_types(scenario: Scenario) -> tuple[tuple[int, ...], ...] | None:
    """Each dependency's type as its index in ``LINK_TYPES`` (None: every one FS)."""
    types = tuple(tuple(LINK_TYPES.index(d.type) for d in w.depends_on)
                  for w in scenario.workstreams)
    return types if any(t for ts in types for t in ts) else None


def _clauses(scenario: Scenario, risk, index: dict[str, int]) -> tuple[Clause, ...]:
    """A risk's ``when`` as engine clauses: risks by index, targets as (milestone
    index or -1 for the end, weeks from the start by which the target counts as met)."""
    risk_index = {r.id: i for i, r in enumerate(scenario.risks)}
    targets = {t.id: t for t in scenario.all_targets}
    out: list[Clause] = []
    for c in risk.when:
        if c.kind in ("risk", "not_risk"):
            out.append((c.kind, risk_index[c.ref], 0.0))
        else:
            t = targets[c.ref]
            at = -1 if t.milestone == RESERVED_MILESTONE else index[t.milestone]
            out.append((c.kind, at, scenario.weeks_from_start(t.date) + (c.by or 0.0)))
    return tuple(out)


def _uncertain_money(scenario: Scenario) -> dict:
    """The uncertain rates as ``EngineSpec`` fields: role weekly rates (``rate:<role>``)
    and overhead weekly costs (``overhead:<id>``) given as distributions, with the units
    of each that every workstream and overhead uses per week (empty when none)."""
    rates = [(f"rate:{r.id}", r.weekly_rate) for r in scenario.roles
             if not r.weekly_rate.is_fixed]
    rates += [(f"overhead:{o.id}", o.weekly_cost) for o in scenario.overhead
              if o.weekly_cost is not None and not o.weekly_cost.is_fixed]
    if not rates:
        return {}
    row = {key: k for k, (key, _) in enumerate(rates)}
    staffing = np.zeros((len(rates), len(scenario.workstreams)))
    for j, w in enumerate(scenario.workstreams):
        for role, fte in w.staffing.items():
            if f"rate:{role}" in row:
                staffing[row[f"rate:{role}"], j] += fte
    overhead = np.zeros((len(scenario.overhead), len(rates)))
    for i, o in enumerate(scenario.overhead):
        if f"overhead:{o.id}" in row:
            overhead[i, row[f"overhead:{o.id}"]] = 1.0
        for role, fte in (o.staffing or {}).items():
            if f"rate:{role}" in row:
                overhead[i, row[f"rate:{role}"]] += fte
    return {"rates": tuple(rates), "rate_staffing": staffing, "overhead_staffing": overhead}


def _not_before(scenario: Scenario) -> np.ndarray | None:
    """Weeks before which each workstream cannot start (NaN: none; None: none at all)."""
    if all(w.not_before is None for w in scenario.workstreams):
        return None
    return np.array([np.nan if w.not_before is None else scenario.weeks_from_start(w.not_before)
                     for w in scenario.workstreams])


def build_spec(scenario: Scenario, sampling: Sampling | None = None) -> EngineSpec:
    """Translate a validated scenario into the engine's plain spec.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    sampling : {"lhs", "random"}, optional
        Default: the scenario's ``simulation.sampling``.

    Returns
    -------
    EngineSpec
    """
    ws_ids = [w.id for w in scenario.workstreams]
    index = {w: j for j, w in enumerate(ws_ids)}
    # the certain part of the money (uncertain rates: ``_uncertain_money``)
    rates = {r.id: r.weekly_rate.support[0] for r in scenario.roles if r.weekly_rate.is_fixed}
    weekly_rate = [sum(fte * rates[r] for r, fte in w.staffing.items() if r in rates)
                   for w in scenario.workstreams]
    correlated, factor = _correlation(scenario)
    spec = EngineSpec(
        workstreams=tuple(ws_ids),
        durations=tuple(w.duration for w in scenario.workstreams),
        preds=tuple(tuple(index[d.id] for d in w.depends_on) for w in scenario.workstreams),
        lags=tuple(tuple(d.lag for d in w.depends_on) for w in scenario.workstreams),
        link_types=_link_types(scenario),
        weekly_rate=np.array(weekly_rate, dtype=float),
        fixed_costs=tuple(_cost_or_none(w.fixed_cost) for w in scenario.workstreams),
        risks=_risk_specs(scenario, index),
        programme_costs=tuple((f.id, f.cost) for f in scenario.fixed_costs),
        overhead=_overhead_specs(scenario, rates, index),
        milestones=_milestones(scenario, index),
        correlated=correlated,
        corr_factor=factor,
        calendar=_work_calendar(scenario),
        sampling=sampling or scenario.simulation.sampling,
        earliest=_not_before(scenario),
        **_uncertain_money(scenario),
        **_capacities(scenario),
    )
    if spec.demand is not None and can_bind(spec.preds, spec.lags, spec.link_types,
                                            spec.demand, spec.capacity):
        return with_priority(spec)
    return spec  # the roles' capacities cover every set of workstreams that can overlap


def _risk_specs(scenario: Scenario, index: dict[str, int]) -> tuple[RiskSpec, ...]:
    """The risks as the engine reads them (workstreams by their row in ``index``)."""
    return tuple(
        RiskSpec(
            key=r.id,
            probability=r.probability,
            affects=tuple(index[a] for a in r.affects),
            kind="delay" if r.delay is not None else "factor" if r.factor is not None else None,
            impact=r.delay if r.delay is not None else r.factor,
            cost=_cost_or_none(r.cost),
            when=_clauses(scenario, r, index),
        )
        for r in scenario.risks
    )


def _overhead_specs(scenario: Scenario, rates: dict[str, float],
                    index: dict[str, int]) -> tuple[tuple[float, int], ...]:
    """Each overhead's certain weekly cost (its ``weekly_cost``, or its staffing at the
    certain ``rates``) and the workstream it runs until (-1: the end)."""
    return tuple(
        ((o.weekly_cost.support[0] if o.weekly_cost.is_fixed else 0.0)
         if o.weekly_cost is not None
         else sum(fte * rates[r] for r, fte in (o.staffing or {}).items() if r in rates),
         -1 if o.until == RESERVED_MILESTONE else index[o.until])
        for o in scenario.overhead
    )


def _milestones(scenario: Scenario, index: dict[str, int]) -> tuple[int, ...]:
    """The workstreams a target is set on (not ``end``), each once, in the targets' order."""
    milestones: list[int] = []
    for t in scenario.all_targets:
        if t.milestone != RESERVED_MILESTONE and index[t.milestone] not in milestones:
            milestones.append(index[t.milestone])
    return tuple(milestones)


def _correlation(scenario: Scenario) -> tuple[tuple, np.ndarray | None]:
    """The correlated inputs and the copula's factor of their correlation matrix (the
    nearest valid matrix when the one given is not); ``((), None)`` without
    correlations."""
    corr_ids, matrix = correlation_matrix(scenario)
    inputs = correlation_inputs(scenario) if corr_ids else {}
    factor = None
    if corr_ids:
        if not is_psd(matrix):
            matrix = nearest_correlation(matrix)
        factor = copula_factor(matrix)
    return tuple(inputs[c][0][1] for c in corr_ids), factor


def _work_calendar(scenario: Scenario) -> WorkCalendar | None:
    """The calendar's blackouts in weeks from the start (None without any)."""
    if not (scenario.calendar and scenario.calendar.blackouts):
        return None
    return WorkCalendar.from_blackouts([
        (scenario.weeks_from_start(b.start), scenario.weeks_from_start(b.to), b.capacity)
        for b in scenario.calendar.blackouts
    ])


def _capacities(scenario: Scenario) -> dict:
    """The roles with a capacity, each workstream's demand of them, and their steps."""
    limited = [r for r in scenario.roles if r.capacity is not None]
    if not limited:
        return {}
    demand = np.array([[w.staffing.get(r.id, 0.0) for w in scenario.workstreams]
                       for r in limited])
    capacity = []
    for r in limited:
        steps = r.capacity_steps() or []
        times = [-np.inf] + [scenario.weeks_from_start(d) for d, _ in steps[1:] if d]
        capacity.append((np.array(times), np.array([f for _, f in steps])))
    return {"limited_roles": tuple(r.id for r in limited), "demand": demand,
            "capacity": tuple(capacity)}


def with_priority(spec: EngineSpec) -> EngineSpec:
    """``spec`` with its levelling priority worked out from its deterministic plan without
    levelling (``sim.levelling.priority_order``); a re-forecast keeps it."""
    plan = evaluate(replace(spec, priority=None), plan_draws(spec))
    start = start_times(plan.finish, spec.order, spec.preds, spec.lags, spec.earliest,
                        spec.pinned, types=spec.link_types, duration=plan.duration,
                        calendar=spec.calendar)
    assert plan.late_start is not None  # evaluate always fills it
    total_float = (plan.late_start - start)[:, 0]
    try:
        return replace(spec, priority=tuple(priority_order(spec.preds, start[:, 0],
                                                           total_float)))
    except ValueError as exc:  # a condition on a finish the risk moves through people
        raise ScenarioError(f"risks: {exc}, through the people it holds up") from None
