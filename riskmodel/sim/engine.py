"""The Monte Carlo engine: sample a block of iterations, evaluate it, summarise it.

Work is split into fixed blocks of ``BLOCK`` iterations. Block ``b`` always draws the
same numbers for the same seed and input keys, whichever worker runs it and however
blocks are grouped into tasks, so results never depend on worker count or chunking.
Per-iteration outputs (finish, cost, milestone finishes) are kept; everything else is
reduced to per-block sums, so memory is bounded by the block size.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Iterator, Literal, Sequence

import numpy as np

from .correlation import correlate_uniforms, rank_reorder
from .distributions import Distribution
from .kernels import apply_risks, weighted_sum
from .network import (WorkCalendar, critical_mask, forward_pass, start_times,
                      topological_order)
from .random import Sampling, uniforms

__all__ = [
    "BLOCK",
    "Workspace",
    "RiskSpec",
    "EngineSpec",
    "Draws",
    "Outcome",
    "BlockResult",
    "sample_block",
    "evaluate",
    "run_block",
    "run_blocks",
    "Collector",
    "RiskOff",
    "plan_draws",
]

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


def _array(work: "Workspace | None", name: str, shape: tuple[int, ...], dtype=float):
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
    ``duration_offset`` working time already done, ``duration_floor`` the least
    working duration (time already spent), and ``frozen`` the finished workstreams,
    which risks no longer touch.
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
    duration_floor: np.ndarray | None = None
    frozen: tuple[int, ...] = ()
    cost_offset: float = 0.0
    order: list[int] = field(init=False, repr=False)
    succs: list[list[int]] = field(init=False, repr=False)
    succ_lags: list[list[float]] = field(init=False, repr=False)
    sinks: list[int] = field(init=False, repr=False)
    fixed_index: list[int] = field(init=False, repr=False)
    risk_links: tuple[np.ndarray, ...] = field(init=False, repr=False)

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
            np.array([{"factor": 1, "delay": 2}.get(r.kind, 0) for r in self.risks], np.int64),
            np.concatenate([[0], np.cumsum([len(h) for h in hit])]).astype(np.int64),
            np.array([j for h in hit for j in h], dtype=np.int64),
        )

    def without_risks(self, keys: Sequence[str]) -> "EngineSpec":
        """The same spec with the named risks switched off (their draws are still made)."""
        keys = set(keys)
        risks = tuple(replace(r, probability=0.0) if r.key in keys else r for r in self.risks)
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
    without_risk: dict[str, np.ndarray] | None = None
    no_risks: dict[str, np.ndarray] | None = None
    norisk_duration_sum: np.ndarray | None = None
    norisk_finish_sum: np.ndarray | None = None


def _sample_rows(spec: EngineSpec, root, block: int, keys: Sequence[str],
                 dists: Sequence[Distribution | None], out: np.ndarray, work=None,
                 correlated: Sequence[int] = ()) -> np.ndarray:
    """Values of the inputs ``keys`` (distribution ``dists[i]``; None is zero) in the rows
    of ``out``: uniforms from each input's own stream, the ``correlated`` rows given the
    scenario's rank correlation, then one inverse-CDF call per distribution family."""
    families: dict[type, list[int]] = {}
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
        scores = correlate_uniforms(u[pos], spec.corr_factor)
        if spec.sampling == "lhs":  # keep every row's strata: its own values, reordered
            scores = rank_reorder(u[pos], scores)
        u[pos] = scores
    first = 0
    for family, rows in families.items():
        family.ppf_rows_into([dists[i] for i in rows], u[first:first + len(rows)], out, rows)
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
        fixed=col([spec.fixed_costs[j].plan_value for j in spec.fixed_index]),
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
    if spec.duration_floor is not None:
        np.maximum(duration, spec.duration_floor[:, None], out=duration)
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


@dataclass(frozen=True)
class _Variant:
    """What switching some risks off can change, worked out once per spec.

    ``hit``: the workstreams whose working duration can change (sorted), re-derived from
    the base durations with the ``kept`` risks only (``links``: their links into ``hit``,
    renumbered); ``rows``: a sub-network of the workstreams whose finish can change
    (``down``: ``hit`` and everything after it, in topological order) preceded by the
    ``ext`` workstreams they wait for, whose finishes are taken as they were; ``first``:
    the first row whose labour cost changes (sums before it are taken as they were).
    """

    hit: np.ndarray
    kept: np.ndarray
    links: tuple[np.ndarray, np.ndarray, np.ndarray]
    ext: np.ndarray
    down: np.ndarray
    preds: tuple[tuple[int, ...], ...]
    lags: tuple[tuple[float, ...], ...]
    earliest: np.ndarray
    pinned: np.ndarray
    hit_at: np.ndarray          # position of each hit row in ``rows``
    first: int
    weights: np.ndarray         # (1, weekly_rate[first:]): the prefix, then the rows
    sinks_down: np.ndarray      # positions in ``rows`` of the sinks that can change
    sinks_kept: np.ndarray      # sinks that cannot
    milestones: tuple[int, ...]  # per milestone: position in ``rows``, or -1: unchanged
    overhead: tuple[int, ...]    # per overhead: position in ``rows``, -1 unchanged, -2 end

    @property
    def rows(self) -> np.ndarray:
        return np.concatenate([self.ext, self.down])


def _variant(spec: "EngineSpec", off: Sequence[int]) -> _Variant:
    """The re-scheduling plan for switching the risks ``off`` (indices) off."""
    kind, first, node = spec.risk_links
    off = set(off)
    hit = sorted({int(j) for r in off for j in node[first[r]:first[r + 1]]})
    local = {j: q for q, j in enumerate(hit)}
    kept = [r for r in range(len(spec.risks)) if r not in off
            and any(int(j) in local for j in node[first[r]:first[r + 1]])]
    links = (kind[kept].astype(np.int64),
             np.concatenate([[0], np.cumsum([sum(int(j) in local for j in
                                                 node[first[r]:first[r + 1]])
                                             for r in kept])]).astype(np.int64),
             np.array([local[int(j)] for r in kept for j in node[first[r]:first[r + 1]]
                       if int(j) in local], dtype=np.int64))
    reach = set(hit)
    for j in spec.order:  # topological: a workstream after a changed one can change
        if j not in reach and any(p in reach for p in spec.preds[j]):
            reach.add(j)
    down = [j for j in spec.order if j in reach]
    ext = sorted({p for j in down for p in spec.preds[j] if p not in reach})
    pos = {j: q for q, j in enumerate(ext + down)}
    n_ext = len(ext)
    m = len(spec.workstreams)
    earliest = np.full(m, np.nan) if spec.earliest is None else np.asarray(spec.earliest, float)
    pinned = np.full(m, np.nan) if spec.pinned is None else np.asarray(spec.pinned, float)
    top = hit[0] if hit else m
    return _Variant(
        hit=np.array(hit, dtype=np.int64), kept=np.array(kept, dtype=np.int64), links=links,
        ext=np.array(ext, dtype=np.int64), down=np.array(down, dtype=np.int64),
        preds=tuple(() for _ in ext) + tuple(tuple(pos[p] for p in spec.preds[j])
                                             for j in down),
        lags=tuple(() for _ in ext) + tuple(tuple(spec.lags[j]) for j in down),
        # workstreams taken as they were start at 0 (pinned) and last their finish
        earliest=np.concatenate([np.full(n_ext, np.nan), earliest[down]]),
        pinned=np.concatenate([np.zeros(n_ext), pinned[down]]),
        hit_at=np.array([pos[j] for j in hit], dtype=np.int64),
        first=top,
        weights=np.concatenate([[1.0], spec.weekly_rate[top:]]),
        sinks_down=np.array([pos[j] for j in spec.sinks if j in reach], dtype=np.int64),
        sinks_kept=np.array([j for j in spec.sinks if j not in reach], dtype=np.int64),
        milestones=tuple(pos[j] if j in reach else -1 for j in spec.milestones),
        overhead=tuple(-2 if until < 0 else (pos[until] if until in reach else -1)
                       for _, until in spec.overhead),
    )


def _prefix_sums(spec: EngineSpec, duration: np.ndarray, rows) -> dict[int, np.ndarray]:
    """Labour cost of rows [0, a) for each ``a`` in ``rows``, summed in row order as
    ``weighted_sum`` does (so a sum continued from one equals the whole sum)."""
    n = duration.shape[1]
    out: dict[int, np.ndarray] = {}
    acc, at = np.zeros(n), 0
    for a in sorted(set(rows)):
        if a > at:
            nxt = np.empty(n)
            if at == 0:
                weighted_sum(spec.weekly_rate[:a], duration[:a], nxt)
            else:  # 0 + 1 x acc is acc exactly; then the rows, as weighted_sum adds them
                stack = np.empty((a - at + 1, n))
                stack[0] = acc
                stack[1:] = duration[at:a]
                weighted_sum(np.concatenate([[1.0], spec.weekly_rate[at:a]]), stack, nxt)
            acc, at = nxt, a
        out[a] = acc
    return out


def _forward_rows(spec: EngineSpec, v: _Variant, duration: np.ndarray) -> np.ndarray:
    """Finishes of the sub-network ``v.rows``: ``duration`` holds the finishes of the
    ``ext`` rows (taken as they were) and the working durations of the ``down`` rows."""
    if spec.calendar is None:
        # ext rows start at 0 (pinned) and last their old finish: 0 + f is f exactly
        return forward_pass(duration, range(len(v.preds)), v.preds, v.lags, None,
                            v.earliest, v.pinned)
    finish = np.empty_like(duration)
    n_ext = v.ext.size
    finish[:n_ext] = duration[:n_ext]
    start = np.empty(duration.shape[1])
    for q in range(n_ext, len(v.preds)):  # the forward pass's own rule, in numpy
        if not np.isnan(v.pinned[q]):
            start.fill(v.pinned[q])
        else:
            start.fill(v.earliest[q] if v.earliest[q] > 0 else 0.0)
            for p, lag in zip(v.preds[q], v.lags[q]):
                np.maximum(start, finish[p] + lag, out=start)
        finish[q] = spec.calendar.time(spec.calendar.work(start) + duration[q])
    return finish


def _switched_off(spec: EngineSpec, draws: Draws, out: Outcome, v: _Variant,
                  cols: np.ndarray, prefix: dict[int, np.ndarray], removed_cost: np.ndarray):
    """End, cost, milestone finishes, and the changed rows, of iterations ``cols``
    re-scheduled without the risks of ``v`` (``removed_cost``: their own cost there).

    Only what the risks can change is computed again: the working durations of the
    workstreams they hit, the finishes from there on, and the labour sum from the first
    row that changes (continued from the sum before it, in the same order, so every
    number equals a re-run of the whole network)."""
    k = cols.size
    n_ms = len(spec.milestones)
    if k == 0:
        return (np.empty(0), np.empty(0), np.empty((n_ms, 0)), np.empty((v.hit.size, 0)),
                np.empty((v.ext.size + v.down.size, 0)))
    dur_hit = np.empty((v.hit.size, k))
    if v.hit.size:
        apply_risks(draws.duration[np.ix_(v.hit, cols)], draws.fired[np.ix_(v.kept, cols)],
                    draws.impact[np.ix_(v.kept, cols)], *v.links, dur_hit)
        if spec.duration_offset is not None:
            dur_hit += spec.duration_offset[v.hit][:, None]
        if spec.duration_floor is not None:
            np.maximum(dur_hit, spec.duration_floor[v.hit][:, None], out=dur_hit)
    n_ext, m = v.ext.size, out.duration.shape[0]
    # durations of rows lo.. in those iterations (one slab: a contiguous take is about
    # twice as fast as gathering scattered rows), after a row kept for the labour prefix
    lo = min(v.first, int(v.down.min()) if v.down.size else m)
    slab = np.empty((m - lo + 1, k))
    if lo < m:
        np.take(out.duration[lo:], cols, axis=1, out=slab[1:], mode="clip")  # unbuffered
    # finishes taken as they were: of the ext rows and the sinks that cannot change
    old_rows = np.concatenate([v.ext, v.sinks_kept])
    old = np.empty((0, k))
    if old_rows.size:
        f_lo, f_hi = int(old_rows.min()), int(old_rows.max()) + 1
        if f_hi - f_lo <= 2 * old_rows.size:
            old = np.take(out.finish[f_lo:f_hi].take(cols, axis=1), old_rows - f_lo,
                          axis=0)
        else:
            old = out.finish[np.ix_(old_rows, cols)]
    finish = np.empty((n_ext + v.down.size, k))
    if v.down.size:
        finish[:n_ext] = old[:n_ext]
        np.take(slab, 1 + v.down - lo, axis=0, out=finish[n_ext:], mode="clip")
        finish[v.hit_at] = dur_hit
        finish = _forward_rows(spec, v, finish)
    if v.sinks_kept.size:
        end = old[n_ext:].max(axis=0)
        if v.sinks_down.size:
            np.maximum(end, finish[v.sinks_down].max(axis=0), out=end)
    else:
        end = finish[v.sinks_down].max(axis=0)
    if v.hit.size:
        # labour: the sum of the rows before the first changed one, then the rest in order
        stack = slab[v.first - lo:]
        stack[0] = prefix[v.first][cols]
        stack[1 + v.hit - v.first] = dur_hit
        time_cost = np.empty(k)
        weighted_sum(v.weights, stack, time_cost)
        for (weekly, until), at in zip(spec.overhead, v.overhead):
            time_cost += weekly * (end if at == -2 else finish[at] if at >= 0
                                   else out.finish[until, cols])
    else:  # nothing the risks touch is left (finished work): the time cost stays
        time_cost = out.time_cost[cols]
    change = time_cost - out.time_cost[cols] - removed_cost
    milestones = np.empty((n_ms, k))
    for q, (j, at) in enumerate(zip(spec.milestones, v.milestones)):
        milestones[q] = finish[at] if at >= 0 else out.finish[j, cols]
    return end, out.cost[cols] + change, milestones, dur_hit, finish


def _variants(spec: EngineSpec) -> tuple[list[_Variant], _Variant]:
    """Per-risk plans and the all-risks-off plan of a spec (built once per spec)."""
    cached = spec.__dict__.get("_variants_cache")
    if cached is None:
        cached = ([_variant(spec, [i]) for i in range(len(spec.risks))],
                  _variant(spec, range(len(spec.risks))))
        spec.__dict__["_variants_cache"] = cached
    return cached


def _without_each_risk(spec: EngineSpec, draws: Draws, out: Outcome,
                       prefix: dict[int, np.ndarray]) -> dict[str, tuple]:
    """End, cost and milestone finishes with each risk switched off, on the same draws,
    in the iterations where it fired (the only ones that can change), as
    {"cols": per risk the block's iterations, "end", "cost", "milestones": the values}.

    Only those iterations, and in them only the workstreams the risk can reach, are
    re-scheduled; their cost changes by the difference in time-dependent cost, less the
    risk's own cost.
    """
    plans, _ = _variants(spec)
    kept: dict[str, list] = {"cols": [], "end": [], "cost": [], "milestones": []}
    for i, v in enumerate(plans):
        cols = np.flatnonzero(draws.fired[i])
        end, cost, milestones, _, _ = _switched_off(spec, draws, out, v, cols, prefix,
                                                    draws.risk_cost[i, cols])
        for name, value in (("cols", cols.astype(np.int32)), ("end", end), ("cost", cost),
                            ("milestones", milestones)):
            kept[name].append(value)
    return {name: tuple(values) for name, values in kept.items()}


def _without_any_risk(spec: EngineSpec, draws: Draws, out: Outcome,
                      prefix: dict[int, np.ndarray]):
    """End, cost and milestone finishes (per iteration) with every risk switched off, on
    the same draws: what estimate uncertainty alone gives (the split of contingency,
    AACE 57R-09); and the sums over iterations of each workstream's working duration and
    finish in that run."""
    _, v = _variants(spec)
    end, cost = out.end.copy(), out.cost.copy()
    ms = list(spec.milestones)
    milestones = out.finish[ms].copy()
    duration_sum, finish_sum = out.duration.sum(axis=1), out.finish.sum(axis=1)
    cols = np.flatnonzero(draws.fired.any(axis=0))
    if cols.size:
        removed = np.where(draws.fired[:, cols], draws.risk_cost[:, cols], 0.0).sum(axis=0)
        end[cols], cost[cols], milestones[:, cols], dur_hit, finish = _switched_off(
            spec, draws, out, v, cols, prefix, removed)
        # rows that did not change add x - x = 0 exactly: only the changed ones
        duration_sum[v.hit] += (dur_hit.sum(axis=1)
                                - out.duration[np.ix_(v.hit, cols)].sum(axis=1))
        finish_sum[v.down] += (finish[v.ext.size:].sum(axis=1)
                               - out.finish[np.ix_(v.down, cols)].sum(axis=1))
    return {"end": end, "cost": cost, "milestones": milestones}, duration_sum, finish_sum


def _per_workstream(spec: EngineSpec, values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(spec.workstreams))
    out[spec.fixed_index] = values
    return out


def run_block(
    spec: EngineSpec, root: np.random.SeedSequence, index: int, size: int, detail: bool = False,
    work: Workspace | None = None,
) -> BlockResult:
    """Sample and evaluate one block and reduce it to what the results keep."""
    draws = sample_block(spec, root, index, size, work)
    out = evaluate(spec, draws, work)
    kept = None
    if detail:
        start = start_times(out.finish, spec.order, spec.preds, spec.lags, spec.earliest,
                            spec.pinned)
        kept = {
            "duration": out.duration.astype(np.float32),
            "base_duration": draws.duration.astype(np.float32),
            "total_float": (out.late_start - start).astype(np.float32),
            "finish": out.finish.astype(np.float32),
            "fired": draws.fired.copy(),
            "cost": out.cost.copy(),
            "fixed": draws.fixed.copy(),
            "risk_cost": np.where(draws.fired, draws.risk_cost, 0.0),
            "programme": draws.programme.copy(),
        }
    no_risks = norisk_duration_sum = norisk_finish_sum = without_risk = None
    if spec.rank_risks and spec.risks:
        plans, every = _variants(spec)
        prefix = _prefix_sums(spec, out.duration, [v.first for v in (*plans, every)
                                                   if v.first < out.duration.shape[0]])
        no_risks, norisk_duration_sum, norisk_finish_sum = _without_any_risk(spec, draws, out,
                                                                             prefix)
        without_risk = _without_each_risk(spec, draws, out, prefix)
    return BlockResult(
        index=index,
        size=size,
        end=out.end,
        cost=out.cost,
        milestones=out.finish[list(spec.milestones)] if spec.milestones else np.empty((0, size)),
        duration_sum=out.duration.sum(axis=1),
        finish_sum=out.finish.sum(axis=1),
        fixed_sum=_per_workstream(spec, draws.fixed.sum(axis=1)),
        risk_cost_sum=np.where(draws.fired, draws.risk_cost, 0.0).sum(axis=1),
        programme_sum=draws.programme.sum(axis=1),
        fired_count=np.count_nonzero(draws.fired, axis=1),
        critical_count=np.count_nonzero(out.critical, axis=1),
        detail=kept,
        without_risk=without_risk,
        no_risks=no_risks,
        norisk_duration_sum=norisk_duration_sum,
        norisk_finish_sum=norisk_finish_sum,
    )


def run_blocks(
    spec: EngineSpec, root: np.random.SeedSequence, blocks: Sequence[tuple[int, int, bool]]
) -> list[BlockResult]:
    """Run several blocks given as (index, size, keep detail); the unit of work of a task."""
    work = Workspace()
    return [run_block(spec, root, i, n, d, work) for i, n, d in blocks]


class Collector:
    """Gathers block results into whole-run arrays as they arrive.

    Per-iteration arrays (finish, cost, milestone finishes, the risk-off variants) are
    copied into place, at ``index x BLOCK``, and dropped from the block at once, so
    memory holds one copy of them however many blocks there are; the blocks keep their
    small sums and the detail. A block added again (a partial last block re-run whole)
    replaces the earlier one.
    """

    PER_ITERATION = ("end", "cost", "milestones")

    def __init__(self, n: int):
        self.n = n
        self.arrays: dict[str, np.ndarray] = {}
        self.blocks: dict[int, BlockResult] = {}
        self.risk_parts: list[dict[int, tuple]] = []  # per risk: block -> (cols, values)

    def grow(self, n: int) -> None:
        """Make room for ``n`` iterations in all."""
        if n <= self.n:
            return
        for name, old in self.arrays.items():
            new = np.empty(old.shape[:-1] + (n,), dtype=old.dtype)
            new[..., :self.n] = old
            self.arrays[name] = new
        self.n = n

    def _put(self, name: str, value: np.ndarray, at: int) -> None:
        if name not in self.arrays:
            self.arrays[name] = np.empty(value.shape[:-1] + (self.n,), dtype=value.dtype)
        self.arrays[name][..., at:at + value.shape[-1]] = value

    def add(self, block: BlockResult) -> None:
        at = block.index * BLOCK
        for name in self.PER_ITERATION:
            self._put(name, getattr(block, name), at)
            setattr(block, name, None)
        if block.no_risks is not None:
            for name, value in block.no_risks.items():
                self._put(f"no_risks:{name}", value, at)
            block.no_risks = None
        if block.without_risk is not None:
            w = block.without_risk
            if not self.risk_parts:
                self.risk_parts = [{} for _ in w["cols"]]
            for i, parts in enumerate(self.risk_parts):
                parts[block.index] = tuple(w[name][i] for name in ("cols", *RiskOff.NAMES))
            block.without_risk = None
        self.blocks[block.index] = block

    @property
    def size(self) -> int:
        """Iterations collected so far."""
        return sum(b.size for b in self.blocks.values())

    def ordered(self) -> list[BlockResult]:
        """The blocks in iteration order."""
        return [self.blocks[i] for i in sorted(self.blocks)]

    def risk_off(self) -> "RiskOff | None":
        """The per-risk variants gathered into a ``RiskOff`` (None without ranking);
        the parts are released risk by risk as they are joined."""
        if not self.risk_parts:
            return None
        n = self.size
        index_type = np.int32 if n < 2**31 else np.int64
        cols, values = [], {name: [] for name in RiskOff.NAMES}
        for parts in self.risk_parts:
            order = sorted(parts)
            cols.append(np.concatenate([parts[b][0].astype(index_type) + b * BLOCK
                                        for b in order]))
            for q, name in enumerate(RiskOff.NAMES, start=1):
                values[name].append(np.concatenate([parts[b][q] for b in order], axis=-1))
            parts.clear()
        self.risk_parts = []
        base = {"end": self.arrays["end"][:n], "cost": self.arrays["cost"][:n],
                "milestones": self.arrays["milestones"][:, :n]}
        return RiskOff(base, cols, values)


class RiskOff(Mapping):
    """End, cost and milestone finishes of a run with each risk switched off in turn, on
    the same draws, kept sparse: a risk can only change the iterations where it fired,
    so only those are kept (``cols[i]``, sorted, and ``values[name][i]``); memory grows
    with the sum of the risks' probabilities, not with their number.

    ``risk_off["end"][i]`` (likewise ``"cost"``, ``"milestones"``) is the whole run
    without risk i, built on demand from the run itself (``base``) with its fired
    iterations replaced; ``dense(name, i)`` is the same. ``np.asarray(risk_off["end"])``
    builds every risk's at once (risks x iterations: large for long runs).
    """

    NAMES = ("end", "cost", "milestones")

    def __init__(self, base: dict[str, np.ndarray], cols: list[np.ndarray],
                 values: dict[str, list[np.ndarray]]):
        self.base, self.cols, self.values = base, cols, values

    def __len__(self) -> int:
        return len(self.NAMES)

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __getitem__(self, name: str) -> "_RiskRows":
        if name not in self.NAMES:
            raise KeyError(name)
        return _RiskRows(self, name)

    @property
    def risks(self) -> int:
        return len(self.cols)

    def dense(self, name: str, i: int) -> np.ndarray:
        """The whole run's ``name`` with risk ``i`` switched off (a new array)."""
        full = self.base[name].copy()
        full[..., self.cols[i]] = self.values[name][i]
        return full


class _RiskRows:
    """``RiskOff[name]``: indexable by risk like the dense (risks x ...) array it stands for."""

    def __init__(self, owner: RiskOff, name: str):
        self.owner, self.name = owner, name

    def __len__(self) -> int:
        return self.owner.risks

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.owner.risks, *self.owner.base[self.name].shape)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            i = range(self.owner.risks)[i]
            return self.owner.dense(self.name, i)
        return np.asarray(self)[i]

    def __iter__(self):
        return (self.owner.dense(self.name, i) for i in range(self.owner.risks))

    def __array__(self, dtype=None, copy=None):
        full = np.stack(list(self)) if self.owner.risks else np.empty(self.shape)
        return full if dtype is None else full.astype(dtype)
