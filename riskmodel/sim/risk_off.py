"""The same block with risks switched off, on the same draws.

For each risk, the iterations where it fired are evaluated again without it, and only
the workstreams it can reach (the ones it hits and everything downstream) are
re-scheduled; once more with every risk off (the risk-free run behind the contingency
split). Results are kept sparse: only the iterations that change.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .block import evaluate
from .kernels import apply_risks, weighted_sum
from .model import Draws, EngineSpec, Outcome
from .network import forward_pass

__all__ = ["_variants", "_prefix_sums", "_without_each_risk", "_without_any_risk"]


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


def _variant(spec: EngineSpec, off: Sequence[int]) -> _Variant:
    """The re-scheduling plan for switching the risks ``off`` (indices) off."""
    kind, first, node = spec.risk_links
    off = set(off)  # type: ignore[assignment]  # a set from here on: many lookups
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
    assert out.time_cost is not None  # every simulated block has it
    dur_hit = np.empty((v.hit.size, k))
    if v.hit.size:
        apply_risks(draws.duration[np.ix_(v.hit, cols)], draws.fired[np.ix_(v.kept, cols)],
                    draws.impact[np.ix_(v.kept, cols)], *v.links, dur_hit)
        if spec.duration_offset is not None:
            dur_hit += spec.duration_offset[v.hit][:, None]
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


def _reevaluated(spec: EngineSpec, draws: Draws, out: Outcome, off: Sequence[int],
                 cols: np.ndarray):
    """What ``_switched_off`` gives, by evaluating iterations ``cols`` again in full with
    the risks ``off`` not drawn: for a spec where switching a risk off can change more
    than what it hits (``EngineSpec.sparse_risk_off`` is False), for example a risk that
    conditions another."""
    drawn = draws.fired[:, cols]
    drawn[list(off)] = False
    sub = Draws(draws.duration[:, cols], draws.fixed[:, cols], drawn, draws.impact[:, cols],
                draws.risk_cost[:, cols], draws.programme[:, cols],
                None if draws.rate is None else draws.rate[:, cols])
    again = evaluate(spec, sub, brief=True)
    return (again.end, again.cost, again.finish[list(spec.milestones)], again.duration,
            again.finish, again.fired)


def _variants(spec: EngineSpec) -> tuple[list[_Variant], _Variant]:
    """Per-risk plans and the all-risks-off plan of a spec (built once per spec)."""
    cached = spec.__dict__.get("_variants_cache")
    if cached is None:
        cached = ([_variant(spec, [i]) for i in range(len(spec.risks))],
                  _variant(spec, range(len(spec.risks))))
        spec.__dict__["_variants_cache"] = cached
    return cached


def _without_each_risk(spec: EngineSpec, draws: Draws, out: Outcome,
                       prefix: dict[int, np.ndarray]) -> tuple[dict[str, tuple], np.ndarray]:
    """End, cost and milestone finishes with each risk switched off, on the same draws,
    in the iterations where it fired (the only ones that can change), as
    {"cols": per risk the block's iterations, "end", "cost", "milestones": the values};
    and per risk the sum over the block of the other risks' own cost that fired only
    with it (zero unless risks condition one another).

    Only those iterations, and in them only the workstreams the risk can reach, are
    re-scheduled; their cost changes by the difference in time-dependent cost, less the
    risk's own cost.
    """
    kept: dict[str, list] = {"cols": [], "end": [], "cost": [], "milestones": []}
    triggered = np.zeros(len(spec.risks))
    for i in range(len(spec.risks)):
        if spec.sparse_risk_off:
            cols = np.flatnonzero(draws.fired[i])
            end, cost, milestones, _, _ = _switched_off(
                spec, draws, out, _variants(spec)[0][i], cols, prefix,
                draws.risk_cost[i, cols])
        else:
            assert out.fired is not None  # evaluate sets it
            cols = np.flatnonzero(out.fired[i])
            end, cost, milestones, _, _, fired = _reevaluated(spec, draws, out, [i], cols)
            # the other risks' own cost that came with this one (less any it prevented)
            others = np.ones(len(spec.risks), bool)
            others[i] = False
            triggered[i] = (np.where(out.fired[others][:, cols],
                                     draws.risk_cost[others][:, cols], 0.0).sum()
                            - np.where(fired[others], draws.risk_cost[others][:, cols],
                                       0.0).sum())
        for name, value in (("cols", cols.astype(np.int32)), ("end", end), ("cost", cost),
                            ("milestones", milestones)):
            kept[name].append(value)
    return {name: tuple(values) for name, values in kept.items()}, triggered


def _without_any_risk(spec: EngineSpec, draws: Draws, out: Outcome,
                      prefix: dict[int, np.ndarray]):
    """End, cost and milestone finishes (per iteration) with every risk switched off, on
    the same draws: what estimate uncertainty alone gives (the split of contingency,
    AACE 57R-09); and the sums over iterations of each workstream's working duration and
    finish in that run."""
    end, cost = out.end.copy(), out.cost.copy()
    ms = list(spec.milestones)
    milestones = out.finish[ms].copy()
    duration_sum, finish_sum = out.duration.sum(axis=1), out.finish.sum(axis=1)
    if not spec.sparse_risk_off:
        assert out.fired is not None  # evaluate sets it
        cols = np.flatnonzero(out.fired.any(axis=0))
        if cols.size:
            end[cols], cost[cols], milestones[:, cols], duration, finish, _ = _reevaluated(
                spec, draws, out, range(len(spec.risks)), cols)
            duration_sum += duration.sum(axis=1) - out.duration[:, cols].sum(axis=1)
            finish_sum += finish.sum(axis=1) - out.finish[:, cols].sum(axis=1)
        return {"end": end, "cost": cost, "milestones": milestones}, duration_sum, finish_sum
    _, v = _variants(spec)
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
