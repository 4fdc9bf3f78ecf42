"""What the engine computes for one block: the spec, the draws, the evaluation.

``EngineSpec`` holds everything the engine needs as plain numbers, indices and
distributions; ``sample_block`` draws a block's inputs from their own streams;
``evaluate`` applies the risks, runs the network forward and backward and adds up the
cost. ``BLOCK`` iterations make a block.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, cast

import numpy as np

from .correlation import correlate_uniforms, rank_reorder
from .distributions import Distribution
from .kernels import apply_risks, weighted_sum
from .network import WorkCalendar, critical_mask, forward_pass, topological_order
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


@dataclass(frozen=True)
class RiskSpec:
    """A discrete risk event: fires with ``probability``; one impact draw for all it affects."""

    key: str
    probability: float
    affects: tuple[int, ...] = ()
    kind: Literal["delay", "factor"] | None = None
    impact: Distribution | None = None
    cost: Distribution | None = None


@dataclass
class EngineSpec:
    """Everything the engine needs, as plain numbers, indices and distributions.

    ``weekly_rate[j]`` is workstream j's labour cost per working week (staffing x rates);
    ``overhead`` holds (weekly cost, workstream index or -1 for the end) pairs: a cost
    accruing from the start until that finish; ``milestones`` are workstream indices
    whose finish is kept per iteration. For a re-forecast from a status date,
    ``earliest``/``pinned`` hold earliest and actual starts (NaN: none),
    ``duration_offset`` working time already done, ``frozen`` the finished
    workstreams, which risks no longer touch, and ``cost_offset`` a constant added to
    every iteration's cost (recorded actual costs in place of the plan's).
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
    correlated: tuple[int, ...] = ()
    corr_factor: np.ndarray | None = None
    calendar: WorkCalendar | None = None
    sampling: Sampling = "lhs"
    rank_risks: bool = True
    earliest: np.ndarray | None = None
    pinned: np.ndarray | None = None
    duration_offset: np.ndarray | None = None
    frozen: tuple[int, ...] = ()
    cost_offset: float = 0.0
    order: list[int] = field(init=False, repr=False)
    succs: list[list[int]] = field(init=False, repr=False)
    succ_lags: list[list[float]] = field(init=False, repr=False)
    sinks: list[int] = field(init=False, repr=False)
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
        self.sinks = [j for j in range(n) if not self.succs[j]]
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

    def without_risks(self, keys: Sequence[str]) -> EngineSpec:
        """The same spec with the named risks switched off (their draws are still made)."""
        off = set(keys)
        risks = tuple(replace(r, probability=0.0) if r.key in off else r for r in self.risks)
        return replace(self, risks=risks)


@dataclass
class Draws:
    """Sampled inputs for one block (arrays are inputs x iterations).

    ``fixed`` has a row per workstream with a fixed cost (``spec.fixed_index``).
    """

    duration: np.ndarray
    fixed: np.ndarray
    fired: np.ndarray
    impact: np.ndarray
    risk_cost: np.ndarray
    programme: np.ndarray


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


def _sample_rows(spec: EngineSpec, root, block: int, keys: Sequence[str],
                 dists: Sequence[Distribution | None], out: np.ndarray, work=None,
                 correlated: Sequence[int] = ()) -> np.ndarray:
    """Values of the inputs ``keys`` (distribution ``dists[i]``; None is zero) in the rows
    of ``out``: uniforms from each input's own stream, the ``correlated`` rows given the
    scenario's rank correlation, then one inverse-CDF call per distribution family."""
    families: dict[type[Distribution], list[int]] = {}
    for i, dist in enumerate(dists):
        if dist is None:
            out[i] = 0.0
        elif dist.is_fixed and i not in correlated:
            out[i] = dist.support[0]
        else:
            families.setdefault(type(dist), []).append(i)
    drawn = [i for rows in families.values() for i in rows]  # each family's rows together
    u = uniforms(root, block, [keys[i] for i in drawn], out.shape[1], spec.sampling,
                 out=None if work is None else work.array("scratch", (len(drawn), out.shape[1])))
    if correlated:
        pos = [drawn.index(i) for i in correlated]
        assert spec.corr_factor is not None  # set whenever inputs are correlated
        scores = correlate_uniforms(u[pos], spec.corr_factor)
        if spec.sampling == "lhs":  # keep every row's strata: its own values, reordered
            scores = rank_reorder(u[pos], scores)
        u[pos] = scores
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
    def rows(keys, dists):
        return _sample_rows(spec, root, block, keys, dists, np.empty((len(keys), n)))

    ws = spec.workstreams
    duration = _sample_rows(spec, root, block, [f"duration:{w}" for w in ws], spec.durations,
                            _array(work, "base_duration", (len(ws), n)), work, spec.correlated)
    fixed = rows([f"fixed_cost:{ws[j]}" for j in spec.fixed_index],
                 [spec.fixed_costs[j] for j in spec.fixed_index])  # rows: spec.fixed_index
    risks = spec.risks
    occurs = uniforms(root, block, [f"risk:{r.key}:occurs" for r in risks], n, spec.sampling)
    fired = occurs < np.array([r.probability for r in risks]).reshape(-1, 1)
    impact = rows([f"risk:{r.key}:impact" for r in risks], [r.impact for r in risks])
    risk_cost = rows([f"risk:{r.key}:cost" for r in risks], [r.cost for r in risks])
    programme = rows([f"programme_cost:{key}" for key, _ in spec.programme_costs],
                     [dist for _, dist in spec.programme_costs])
    return Draws(duration, fixed, fired, impact, risk_cost, programme)


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


def _schedule(spec: EngineSpec, duration: np.ndarray,
              work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    finish = forward_pass(duration, spec.order, spec.preds, spec.lags, spec.calendar,
                          spec.earliest, spec.pinned,
                          out=_array(work, "finish", duration.shape))
    return finish, finish[spec.sinks].max(axis=0)


def _time_cost(spec: EngineSpec, duration, finish, end) -> np.ndarray:
    """Costs that depend on time: labour on working durations, overhead to milestones."""
    cost = np.empty(duration.shape[1])
    weighted_sum(spec.weekly_rate, np.ascontiguousarray(duration), cost)
    for weekly, until in spec.overhead:
        cost += weekly * (end if until < 0 else finish[until])
    return cost


def evaluate(spec: EngineSpec, draws: Draws, work: Workspace | None = None) -> Outcome:
    """Apply risks, run the network forward and backward, and add up the cost.

    A workstream's working duration is its base duration times the factors of the
    risks that fired on it, plus their delays. With a ``work`` space, the
    workstream-by-iteration arrays live in it until the next block.
    """
    duration = _apply_risks(spec, draws.duration, draws.fired, draws.impact, work)
    finish, end = _schedule(spec, duration, work)
    late_start = _array(work, "scratch", duration.shape)
    critical = critical_mask(duration, finish, end, spec.order, spec.succs, spec.succ_lags,
                             spec.calendar, out=_array(work, "critical", duration.shape, bool),
                             scratch=late_start)
    time_cost = _time_cost(spec, duration, finish, end)
    cost = time_cost.copy()
    cost += draws.fixed.sum(axis=0)
    cost += draws.programme.sum(axis=0)
    cost += np.where(draws.fired, draws.risk_cost, 0.0).sum(axis=0)
    if spec.cost_offset:
        cost += spec.cost_offset
    return Outcome(duration, finish, end, cost, critical, late_start, time_cost)
