"""What the engine computes for one block: the spec, the draws, the evaluation.

``EngineSpec`` holds everything the engine needs as plain numbers, indices and
distributions; ``sample_block`` draws a block's inputs from their own streams;
``evaluate`` applies the risks, runs the network forward and backward and adds up the
cost. ``BLOCK`` iterations make a block.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, cast

import numpy as np

from .conditions import resolve_fired, risk_stages
from .correlation import correlate_uniforms, rank_reorder
from .distributions import Distribution
from .kernels import apply_risks, weighted_sum
from .network import (
    FS,
    WorkCalendar,
    critical_mask,
    end_nodes,
    forward_pass,
    levelled_pass,
    start_times,
    topological_order,
)
from .random import Sampling, uniforms

__all__ = ["BLOCK", "Workspace", "RiskSpec", "EngineSpec", "Draws", "Outcome", "BlockResult",
           "sample_block", "plan_draws", "evaluate"]

BLOCK = 8192
"""Iterations per random-number block (part of what a seed means; do not change lightly)."""


class Workspace:
    """Block-sized arrays reused from one block to the next.

    A fresh array of a few megabytes costs page faults each time it is first written;
    reusing a handful of them saves about a sixth of a block's time on the 200-workstream
    benchmark network (70 against 83 ms a block, measured 2026-11-28).
    Arrays handed out are overwritten by the next block, so results copy what they keep.
    Two uses that never overlap in time may share a name (``"scratch"``).
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, np.dtype], np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype=float) -> np.ndarray:
        """An uninitialised array called ``name``, in memory kept from earlier blocks."""
        key = (name, np.dtype(dtype))
        size = math.prod(shape)
        buf = self._buffers.get(key)
        if buf is None or buf.size < size:
            buf = self._buffers[key] = np.empty(size, dtype)
        return buf[:size].reshape(shape)


def _array(work: Workspace | None, name: str, shape: tuple[int, ...], dtype=float):
    return np.empty(shape, dtype) if work is None else work.array(name, shape, dtype)


Clause = tuple[Literal["risk", "not_risk", "late", "on_time"], int, float]
"""A condition on a risk: ("risk" | "not_risk", risk index, 0) on another risk firing, or
("late" | "on_time", milestone workstream index or -1 for the end, weeks) on a finish
being after (late) or by (on time) that many weeks from the start."""


@dataclass(frozen=True)
class RiskSpec:
    """A discrete risk event: fires with ``probability``; one impact draw for all it affects.

    With ``when`` clauses it is drawn only in the iterations where every clause holds,
    and ``probability`` is the probability given that they hold.
    """

    key: str
    probability: float
    affects: tuple[int, ...] = ()
    kind: Literal["delay", "factor"] | None = None
    impact: Distribution | None = None
    cost: Distribution | None = None
    when: tuple[Clause, ...] = ()


@dataclass
class EngineSpec:
    """Everything the engine needs, as plain numbers, indices and distributions.

    Workstream j depends on ``preds[j]`` with ``lags[j]`` (weeks; negative: a lead) and
    ``link_types[j]`` (codes of ``network.LINK_TYPES``: 0 FS, 1 SS, 2 FF, 3 SF; None:
    every link FS); ``sinks`` are the workstreams whose finish can be the end.
    ``weekly_rate[j]`` is workstream j's labour cost per working week (staffing x rates);
    ``overhead`` holds (weekly cost, workstream index or -1 for the end) pairs: a cost
    accruing from the start until that finish. Both hold the certain part of the money:
    ``rates`` are the uncertain unit rates (input key, distribution): role weekly rates
    (``rate:<role>``) and overhead weekly costs (``overhead:<id>``); workstream j uses
    ``rate_staffing[k, j]`` units of rate k per working week and overhead o
    ``overhead_staffing[o, k]`` per week (``labour_rates``, ``overhead_rates``).
    ``correlated`` are the input keys given rank correlation by one Gaussian copula
    (lower Cholesky factor ``corr_factor``, rows in that order); ``milestones`` are
    workstream indices whose finish is kept per iteration. For a re-forecast from a
    status date, ``earliest``/``pinned`` hold earliest and actual starts (NaN: none),
    ``duration_offset`` working time already done, ``frozen`` the finished
    workstreams, which risks no longer touch, and ``cost_offset`` a constant added to
    every iteration's cost (recorded actual costs in place of the plan's), and
    ``rate_offset[k]`` the units of uncertain rate k it takes off (priced per iteration).
    Levelling (``levelling``): ``limited_roles`` have a capacity, ``capacity[r]`` = (from
    times, FTE) steps with the first time -inf; workstream j needs ``demand[r, j]`` FTE of
    role r; ``priority`` is the order workstreams are placed in (None: no levelling).
    """

    workstreams: tuple[str, ...]
    durations: tuple[Distribution, ...]
    preds: tuple[tuple[int, ...], ...]
    lags: tuple[tuple[float, ...], ...]
    weekly_rate: np.ndarray
    fixed_costs: tuple[Distribution | None, ...]
    risks: tuple[RiskSpec, ...] = ()
    programme_costs: tuple[tuple[str, Distribution], ...] = ()
    overhead: tuple[tuple[float, int], ...] = ()
    milestones: tuple[int, ...] = ()
    correlated: tuple[str, ...] = ()
    corr_factor: np.ndarray | None = None
    calendar: WorkCalendar | None = None
    sampling: Sampling = "lhs"
    rank_risks: bool = True
    earliest: np.ndarray | None = None
    pinned: np.ndarray | None = None
    duration_offset: np.ndarray | None = None
    frozen: tuple[int, ...] = ()
    cost_offset: float = 0.0
    link_types: tuple[tuple[int, ...], ...] | None = None
    rates: tuple[tuple[str, Distribution], ...] = ()
    rate_staffing: np.ndarray | None = None
    overhead_staffing: np.ndarray | None = None
    rate_offset: np.ndarray | None = None
    limited_roles: tuple[str, ...] = ()
    demand: np.ndarray | None = None
    capacity: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    priority: tuple[int, ...] | None = None
    order: list[int] = field(init=False, repr=False)
    succs: list[list[int]] = field(init=False, repr=False)
    succ_lags: list[list[float]] = field(init=False, repr=False)
    succ_types: list[list[int]] | None = field(init=False, repr=False)
    sinks: list[int] = field(init=False, repr=False)
    risk_stages: list[list[int]] = field(init=False, repr=False)
    fixed_index: list[int] = field(init=False, repr=False)
    risk_links: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.weekly_rate = np.asarray(self.weekly_rate, dtype=float)
        self.order = topological_order(self.preds)
        n = len(self.workstreams)
        self.succs = [[] for _ in range(n)]
        self.succ_lags = [[] for _ in range(n)]
        for j, (ps, ls) in enumerate(zip(self.preds, self.lags)):
            for p, lag in zip(ps, ls):
                self.succs[p].append(j)
                self.succ_lags[p].append(lag)
        self.succ_types = None
        if self.link_types is not None:  # successor links' types, as succs and succ_lags
            self.succ_types = [[] for _ in range(n)]
            for ps, ts in zip(self.preds, self.link_types):
                for p, t in zip(ps, ts):
                    self.succ_types[p].append(t)
        self.sinks = end_nodes(self.succ_lags, self.succ_types)
        self.fixed_index = [j for j, d in enumerate(self.fixed_costs) if d is not None]
        # (kind, first, node): risk r is a factor (1) or delay (2) on node[first[r]:first[r+1]]
        frozen = set(self.frozen)
        hit = [[j for j in r.affects if j not in frozen] for r in self.risks]
        self.risk_links = (
            np.array([{"factor": 1, "delay": 2}.get(r.kind or "", 0) for r in self.risks],
                     np.int64),
            np.concatenate([[0], np.cumsum([len(h) for h in hit])]).astype(np.int64),
            np.array([j for h in hit for j in h], dtype=np.int64),
        )
        self.risk_stages = risk_stages(self)

    @property
    def conditional(self) -> bool:
        """Whether any risk has ``when`` clauses."""
        return any(r.when for r in self.risks)

    @property
    def sparse_risk_off(self) -> bool:
        """Whether ``risk_off``'s sparse re-scheduling applies: switching a risk off
        changes only what that risk hits and what follows. Otherwise (a risk that
        conditions another, uncertain rates, or levelling, where a shorter workstream
        frees people for another) each switched-off run is evaluated again in full."""
        # typed links too: the sparse pass knows FS links only (leads are fine)
        return (not self.conditional and not self.rates and not self.typed_links
                and not self.levelling)

    @property
    def levelling(self) -> bool:
        """Whether workstreams wait for limited people (some role has a capacity)."""
        return self.priority is not None

    @property
    def typed_links(self) -> bool:
        """Whether any dependency is SS, FF or SF (not finish-to-start)."""
        return self.link_types is not None and any(
            t != FS for ts in self.link_types for t in ts)

    def labour_rates(self, rate: np.ndarray | None) -> np.ndarray:
        """Each workstream's labour cost per working week, per iteration of the
        uncertain rates' draws ``rate`` (rates x iterations): workstreams x iterations
        (x 1 without uncertain rates)."""
        out = self.weekly_rate[:, None]
        if self.rates:
            assert rate is not None and self.rate_staffing is not None  # set together
            out = out + sum(self.rate_staffing[k][:, None] * rate[k]
                            for k in range(len(self.rates)))
        return out

    def overhead_rates(self, rate: np.ndarray | None) -> list[float | np.ndarray]:
        """Each overhead's cost per week: a number, or per iteration of ``rate``."""
        out: list[float | np.ndarray] = [weekly for weekly, _ in self.overhead]
        if self.rates:
            assert rate is not None and self.overhead_staffing is not None  # set together
            for o, units in enumerate(self.overhead_staffing):
                for k in np.flatnonzero(units):
                    out[o] = out[o] + units[k] * rate[k]
        return out

    def without_risks(self, keys: Sequence[str]) -> EngineSpec:
        """The same spec with the named risks switched off (their draws are still made)."""
        off = set(keys)
        risks = tuple(replace(r, probability=0.0) if r.key in off else r for r in self.risks)
        return replace(self, risks=risks)


@dataclass
class Draws:
    """Sampled inputs for one block (arrays are inputs x iterations).

    ``fixed`` has a row per workstream with a fixed cost (``spec.fixed_index``).
    ``fired`` is whether each risk is drawn; a conditional risk fires only where its
    clauses also hold (``Outcome.fired``). ``rate`` has a row per uncertain rate
    (``spec.rates``; None when there are none).
    """

    duration: np.ndarray
    fixed: np.ndarray
    fired: np.ndarray
    impact: np.ndarray
    risk_cost: np.ndarray
    programme: np.ndarray
    rate: np.ndarray | None = None


@dataclass
class Outcome:
    """What one block of iterations produced."""

    duration: np.ndarray  # working duration including risk impacts
    finish: np.ndarray
    end: np.ndarray
    cost: np.ndarray
    critical: np.ndarray
    late_start: np.ndarray | None = None  # latest start keeping the end (backward pass)
    time_cost: np.ndarray | None = None  # labour and overhead (the cost that moves with time)
    fired: np.ndarray | None = None  # risks that fired (drawn, and their clauses hold)
    unlevelled: np.ndarray | None = None  # finishes had nobody waited for people


@dataclass
class BlockResult:
    """Per-iteration outputs and per-block sums of one block."""

    index: int
    size: int
    end: np.ndarray
    cost: np.ndarray
    milestones: np.ndarray
    duration_sum: np.ndarray
    finish_sum: np.ndarray
    fixed_sum: np.ndarray
    risk_cost_sum: np.ndarray
    programme_sum: np.ndarray
    fired_count: np.ndarray
    critical_count: np.ndarray
    detail: dict[str, np.ndarray] | None = None
    without_risk: dict[str, tuple[np.ndarray, ...]] | None = None
    no_risks: dict[str, np.ndarray] | None = None
    norisk_duration_sum: np.ndarray | None = None
    norisk_finish_sum: np.ndarray | None = None
    triggered_cost_sum: np.ndarray | None = None  # per risk: other risks' cost it brings
    unlevelled: dict[str, np.ndarray] | None = None  # end, milestones without levelling
    # with uncertain rates (spec.rates): sums of each rate ("rate"), of rate k x workstream
    # j's working duration ("rate_duration", rates x workstreams) and x the weeks overhead
    # o runs ("rate_weeks", rates x overheads); "norisk_...": in the run without risks
    rate_sums: dict[str, np.ndarray] | None = None


def _correlated_uniforms(spec: EngineSpec, root, block: int, n: int) -> dict[str, np.ndarray]:
    """Uniforms of the correlated inputs (``spec.correlated``, of any kind), by key: each
    from its own stream, then all given the scenario's rank correlation through the one
    Gaussian copula (under Latin hypercube sampling, each row's own values reordered)."""
    if not spec.correlated:
        return {}
    assert spec.corr_factor is not None  # set whenever inputs are correlated
    u = uniforms(root, block, spec.correlated, n, spec.sampling)
    scores = correlate_uniforms(u, spec.corr_factor)
    if spec.sampling == "lhs":  # keep every row's strata: its own values, reordered
        scores = rank_reorder(u, scores)
    return dict(zip(spec.correlated, scores))


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
    drawn = [i for rows in families.values() for i in rows]  # each family's rows together
    u = uniforms(root, block, [keys[i] for i in drawn], out.shape[1], spec.sampling,
                 out=None if work is None else work.array("scratch", (len(drawn), out.shape[1])))
    for q, i in enumerate(drawn):  # the same stream's values, in the copula's order
        if keys[i] in correlated:
            u[q] = correlated[keys[i]]
    first = 0
    for family, rows in families.items():
        family.ppf_rows_into([cast(Distribution, dists[i]) for i in rows],  # never None
                             u[first:first + len(rows)], out, rows)
        first += len(rows)
    return out


def sample_block(spec: EngineSpec, root: np.random.SeedSequence, block: int, n: int,
                 work: Workspace | None = None) -> Draws:
    """Draw every uncertain input of block ``block`` (``n`` iterations).

    With a ``work`` space, the durations live in it until the next block.
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
    """The deterministic plan as a one-iteration draw: plan values, no risk fired."""
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
    waited for (levelling), the start that ends at the finish."""
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
    time_cost = _time_cost(spec, duration, finish, end, draws.rate)
    cost = time_cost.copy()
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
    return Outcome(duration, finish, end, cost, critical, late_start, time_cost, fired,
                   unlevelled)
