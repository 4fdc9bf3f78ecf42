"""What the engine computes for one block: draw its inputs, then evaluate them.

``sample_block`` draws every uncertain input from its own stream (correlated inputs
through one copula); ``evaluate`` decides the conditional risks, applies the risks, runs
the network forward (levelled where people can wait) and backward, and adds up the cost.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np

from .conditions import resolve_fired
from .correlation import correlate_uniforms, rank_reorder
from .distributions import Distribution
from .kernels import apply_risks, weighted_sum
from .model import Draws, EngineSpec, Outcome, Workspace, _array
from .network import critical_mask, forward_pass, levelled_pass, start_times
from .random import uniforms

__all__ = ["sample_block", "plan_draws", "evaluate", "start_of"]


def _correlated_uniforms(spec: EngineSpec, root, block: int, n: int) -> dict[str, np.ndarray]:
    """Uniforms of the correlated inputs (``spec.correlated``, of any kind), by key: each
    from its own stream, then all given the scenario's rank correlation through the one
    Gaussian copula (under Latin hypercube sampling, each row's own values reordered)."""
    if not spec.correlated:
        return {}
    assert spec.corr_factor is not None  # set whenever inputs are correlated
    u = uniforms(root, block, spec.correlated, n, spec.sampling)
    if spec.sampling == "lhs":  # keep every row's strata: its own values, reordered
        mixed = rank_reorder(u, correlate_uniforms(u, spec.corr_factor, scores=True),
                             normal=True)
    else:
        mixed = correlate_uniforms(u, spec.corr_factor)
    return dict(zip(spec.correlated, mixed))


def _sample_rows(spec: EngineSpec, root, block: int, keys: Sequence[str],
                 dists: Sequence[Distribution | None], out: np.ndarray, work=None,
                 correlated: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Values of the inputs ``keys`` (distribution ``dists[i]``; None is zero) in the rows
    of ``out``: uniforms from each input's own stream, or from ``correlated`` (by key:
    ``_correlated_uniforms``), then one inverse-CDF call per distribution family."""
    correlated = correlated or {}
    families: dict[type[Distribution], list[int]] = {}
    for i, dist in enumerate(dists):
        if dist is None:
            out[i] = 0.0
        elif dist.is_fixed and keys[i] not in correlated:
            out[i] = dist.support[0]
        else:
            families.setdefault(type(dist), []).append(i)
    # each family's rows together, its inputs with their own streams first (drawn in
    # place), then its correlated ones (their rows copied from the copula's)
    for rows in families.values():
        rows.sort(key=lambda i: keys[i] in correlated)
    n = out.shape[1]
    u = _array(work, "scratch", (sum(map(len, families.values())), n))
    first = 0
    for family, rows in families.items():
        own = [keys[i] for i in rows if keys[i] not in correlated]
        uniforms(root, block, own, n, spec.sampling, out=u[first:first + len(own)])
        for q, i in enumerate(rows[len(own):], start=first + len(own)):
            u[q] = correlated[keys[i]]
        family.ppf_rows_into([cast(Distribution, dists[i]) for i in rows],  # never None
                             u[first:first + len(rows)], out, rows)
        first += len(rows)
    return out


def sample_block(spec: EngineSpec, root: np.random.SeedSequence, block: int, n: int,
                 work: Workspace | None = None) -> Draws:
    """Draw every uncertain input of block ``block`` (``n`` iterations).

    With a ``work`` space, the durations live in it until the next block.

    Parameters
    ----------
    spec : EngineSpec
        The compiled scenario.
    root : SeedSequence
        The run's root seed; every input draws from its own stream under it.
    block : int
        The block's number (its streams' key).
    n : int
        Iterations in the block.
    work : Workspace, optional
        Reused arrays for the durations.

    Returns
    -------
    Draws
        Base durations, fixed costs, which risks fired, their impacts and costs,
        programme costs and (with uncertain rates) rates, each inputs x ``n``.
    """
    given = _correlated_uniforms(spec, root, block, n)

    def rows(keys, dists):
        return _sample_rows(spec, root, block, keys, dists, np.empty((len(keys), n)),
                            correlated=given)

    ws = spec.workstreams
    duration = _sample_rows(spec, root, block, [f"duration:{w}" for w in ws], spec.durations,
                            _array(work, "base_duration", (len(ws), n)), work, given)
    fixed = rows([f"fixed_cost:{ws[j]}" for j in spec.fixed_index],
                 [spec.fixed_costs[j] for j in spec.fixed_index])  # rows: spec.fixed_index
    risks = spec.risks
    occurs = uniforms(root, block, [f"risk:{r.key}:occurs" for r in risks], n, spec.sampling)
    fired = occurs < np.array([r.probability for r in risks]).reshape(-1, 1)
    impact = rows([f"risk:{r.key}:impact" for r in risks], [r.impact for r in risks])
    risk_cost = rows([f"risk:{r.key}:cost" for r in risks], [r.cost for r in risks])
    programme = rows([f"programme_cost:{key}" for key, _ in spec.programme_costs],
                     [dist for _, dist in spec.programme_costs])
    rate = rows([key for key, _ in spec.rates], [d for _, d in spec.rates]) \
        if spec.rates else None
    return Draws(duration, fixed, fired, impact, risk_cost, programme, rate)


def plan_draws(spec: EngineSpec) -> Draws:
    """The deterministic plan as a one-iteration draw: plan values, no risk fired.

    Parameters
    ----------
    spec : EngineSpec
        The compiled scenario.

    Returns
    -------
    Draws
        One column: every input at its plan value, no risk fired.
    """
    col = lambda values: np.array(values, dtype=float).reshape(-1, 1)  # noqa: E731
    n_risk = len(spec.risks)
    return Draws(
        duration=col([d.plan_value for d in spec.durations]),
        fixed=col([d.plan_value for d in spec.fixed_costs if d is not None]),  # fixed_index
        fired=np.zeros((n_risk, 1), dtype=bool),
        impact=np.zeros((n_risk, 1)),
        risk_cost=np.zeros((n_risk, 1)),
        programme=col([d.plan_value for _, d in spec.programme_costs]),
        rate=col([d.plan_value for _, d in spec.rates]) if spec.rates else None,
    )


def _apply_risks(spec: EngineSpec, base: np.ndarray, fired: np.ndarray,
                 impact: np.ndarray, work: Workspace | None = None) -> np.ndarray:
    """Working durations: base times the factors of the risks that fired, plus their delays."""
    duration = _array(work, "duration", base.shape)
    apply_risks(np.ascontiguousarray(base), np.ascontiguousarray(fired),
                np.ascontiguousarray(impact), *spec.risk_links, duration)
    if spec.duration_offset is not None:
        duration += spec.duration_offset[:, None]
    return duration


def _schedule(spec: EngineSpec, duration: np.ndarray, work: Workspace | None = None,
              levelled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Finishes and end: with levelling where the spec has it (and ``levelled``)."""
    out = _array(work, "finish" if levelled else "free_finish", duration.shape)
    if levelled and spec.levelling:
        assert spec.demand is not None and spec.priority is not None  # set with priority
        _, finish = levelled_pass(duration, spec.priority, spec.preds, spec.lags,
                                  spec.calendar, spec.earliest, spec.pinned,
                                  types=spec.link_types, demand=spec.demand,
                                  capacity=spec.capacity, out=out)
    else:
        finish = forward_pass(duration, spec.order, spec.preds, spec.lags, spec.calendar,
                              spec.earliest, spec.pinned, types=spec.link_types, out=out)
    return finish, finish[spec.sinks].max(axis=0)


def start_of(spec: EngineSpec, finish: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Each workstream's start (workstreams x iterations) in a schedule with these
    finishes and working durations: the forward pass's rule, or, where people were
    waited for (levelling), the start that ends at the finish.

    Parameters
    ----------
    spec : EngineSpec
        The compiled scenario.
    finish : ndarray
        Finishes in weeks from the start, workstreams x iterations.
    duration : ndarray
        Working durations in weeks, workstreams x iterations.

    Returns
    -------
    ndarray
        Starts in weeks from the start, workstreams x iterations.
    """
    if not spec.levelling:
        return start_times(finish, spec.order, spec.preds, spec.lags, spec.earliest,
                           spec.pinned, types=spec.link_types, duration=duration,
                           calendar=spec.calendar)
    if spec.calendar is None:
        return finish - duration
    return spec.calendar.time(spec.calendar.work(finish) - duration)


def _time_cost(spec: EngineSpec, duration, finish, end, rate=None) -> np.ndarray:
    """Costs that depend on time: labour on working durations, overhead to milestones;
    with uncertain rates, at each iteration's draws of them (``rate``)."""
    cost = np.empty(duration.shape[1])
    if spec.rates:
        np.sum(spec.labour_rates(rate) * duration, axis=0, out=cost)
        for weekly, (_, until) in zip(spec.overhead_rates(rate), spec.overhead):
            cost += weekly * (end if until < 0 else finish[until])
        return cost
    weighted_sum(spec.weekly_rate, np.ascontiguousarray(duration), cost)
    for weekly, until in spec.overhead:
        cost += weekly * (end if until < 0 else finish[until])
    return cost


def evaluate(spec: EngineSpec, draws: Draws, work: Workspace | None = None,
             brief: bool = False) -> Outcome:
    """Apply risks, run the network forward and backward, and add up the cost.

    Conditional risks are decided first (``conditions.resolve_fired``). A workstream's
    working duration is its base duration times the factors of the risks that fired on
    it, plus their delays. Where roles have capacities, workstreams wait for their
    people (``levelling``), and ``Outcome.unlevelled`` holds the finishes had nobody
    waited, on the same draws. With a ``work`` space, the workstream-by-iteration arrays
    live in it until the next block. ``brief``: no backward pass (``critical`` and
    ``late_start`` empty) and no unlevelled schedule, for re-runs that need the end, the
    finishes and the cost only.

    Parameters
    ----------
    spec : EngineSpec
        The compiled scenario.
    draws : Draws
        The block's inputs (``sample_block`` or ``plan_draws``).
    work : Workspace, optional
        Reused arrays for the workstream-by-iteration results.
    brief : bool
        Skip the backward pass and the unlevelled schedule.

    Returns
    -------
    Outcome
        Working durations, finishes, the end, cost, the critical mask, late starts,
        time-dependent cost, the risks that fired and the unlevelled finishes.
    """
    fired = resolve_fired(spec, draws.fired, lambda fired: _schedule(
        spec, _apply_risks(spec, draws.duration, fired, draws.impact)))
    duration = _apply_risks(spec, draws.duration, fired, draws.impact, work)
    finish, end = _schedule(spec, duration, work)
    if brief:
        late_start, critical = None, np.empty((0, duration.shape[1]), dtype=bool)
    else:
        late_start = _array(work, "scratch", duration.shape)
        critical = critical_mask(duration, finish, end, spec.order, spec.succs,
                                 spec.succ_lags, spec.calendar, succ_types=spec.succ_types,
                                 out=_array(work, "critical", duration.shape, bool),
                                 scratch=late_start)
    cost = _time_cost(spec, duration, finish, end, draws.rate)
    cost += draws.fixed.sum(axis=0)
    cost += draws.programme.sum(axis=0)
    cost += np.where(fired, draws.risk_cost, 0.0).sum(axis=0)
    if spec.cost_offset:
        cost += spec.cost_offset
    if spec.rate_offset is not None:
        assert draws.rate is not None  # drawn whenever there are uncertain rates
        for k in np.flatnonzero(spec.rate_offset):
            cost += spec.rate_offset[k] * draws.rate[k]
    unlevelled = (_schedule(spec, duration, work, levelled=False)[0]
                  if spec.levelling and not brief else None)
    return Outcome(duration, finish, end, cost, critical, late_start, fired, unlevelled)
