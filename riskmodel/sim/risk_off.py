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
from .kernels import apply_risks, labour_cols, reschedule_cols, weighted_sum
from .model import Draws, EngineSpec, Outcome
from .network import calendar_knots

__all__ = ["_variants", "_prefix_sums", "_without_each_risk", "_without_any_risk"]


@dataclass(frozen=True)
class _Variant:
    """What switching some risks off can change, worked out once per spec.

    ``hit``: the workstreams whose working duration can change (sorted), re-derived from
    the base durations with the ``kept`` risks only (``links``: their links into ``hit``,
    renumbered); ``down``: ``hit`` and everything after it, in topological order, the
    workstreams whose finish can change (``local``: each workstream's row in ``down``, or
    -1); ``first``/``pred``/``lag``: their links (CSR over ``down``, predecessors as
    workstream ids); ``top``: the first row whose labour cost changes (sums before it are
    taken as they were).
    """

    hit: np.ndarray
    kept: np.ndarray
    links: tuple[np.ndarray, np.ndarray, np.ndarray]
    down: np.ndarray
    local: np.ndarray
    first: np.ndarray
    pred: np.ndarray
    lag: np.ndarray
    earliest: np.ndarray        # per row of down
    pinned: np.ndarray          # per row of down
    hit_row: np.ndarray         # per row of down: its row in ``hit``, or -1
    top: int
    labour_hit: np.ndarray      # per workstream from ``top`` on: its row in ``hit``, or -1
    sinks: np.ndarray           # the network's sinks (the end is the latest of them)
    milestones: tuple[int, ...]  # per milestone: its row in ``down``, or -1: unchanged
    overhead: tuple[int, ...]    # per overhead: row in ``down``, -1 unchanged, -2 end


def _variant(spec: EngineSpec, off: Sequence[int]) -> _Variant:
    """The re-scheduling plan for switching the risks ``off`` (indices) off."""
    kind, first, node = spec.risk_links
    off = set(off)  # type: ignore[assignment]  # a set from here on: many lookups
    hit = sorted({int(j) for r in off for j in node[first[r]:first[r + 1]]})
    in_hit = {j: q for q, j in enumerate(hit)}
    kept = [r for r in range(len(spec.risks)) if r not in off
            and any(int(j) in in_hit for j in node[first[r]:first[r + 1]])]
    links = (kind[kept].astype(np.int64),
             np.concatenate([[0], np.cumsum([sum(int(j) in in_hit for j in
                                                 node[first[r]:first[r + 1]])
                                             for r in kept])]).astype(np.int64),
             np.array([in_hit[int(j)] for r in kept for j in node[first[r]:first[r + 1]]
                       if int(j) in in_hit], dtype=np.int64))
    reach = set(hit)
    for j in spec.order:  # topological: a workstream after a changed one can change
        if j not in reach and any(p in reach for p in spec.preds[j]):
            reach.add(j)
    down = [j for j in spec.order if j in reach]
    m = len(spec.workstreams)
    local = np.full(m, -1, dtype=np.int64)
    local[down] = np.arange(len(down))
    earliest = np.full(m, np.nan) if spec.earliest is None else np.asarray(spec.earliest, float)
    pinned = np.full(m, np.nan) if spec.pinned is None else np.asarray(spec.pinned, float)
    top = hit[0] if hit else m
    return _Variant(
        hit=np.array(hit, dtype=np.int64), kept=np.array(kept, dtype=np.int64), links=links,
        down=np.array(down, dtype=np.int64), local=local,
        first=np.concatenate([[0], np.cumsum([len(spec.preds[j]) for j in down])]
                             ).astype(np.int64),
        pred=np.array([p for j in down for p in spec.preds[j]], dtype=np.int64),
        lag=np.array([g for j in down for g in spec.lags[j]], dtype=float),
        earliest=earliest[down], pinned=pinned[down],
        hit_row=np.array([in_hit.get(j, -1) for j in down], dtype=np.int64),
        top=top,
        labour_hit=np.array([in_hit.get(j, -1) for j in range(top, m)], dtype=np.int64),
        sinks=np.array(spec.sinks, dtype=np.int64),
        milestones=tuple(int(local[j]) for j in spec.milestones),
        overhead=tuple(-2 if until < 0 else int(local[until]) for _, until in spec.overhead),
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


def _switched_off(spec: EngineSpec, draws: Draws, out: Outcome, v: _Variant,
                  cols: np.ndarray, prefix: dict[int, np.ndarray], removed_cost: np.ndarray):
    """End, cost, milestone finishes, and the changed rows, of iterations ``cols``
    re-scheduled without the risks of ``v`` (``removed_cost``: their own cost there).

    Only what the risks can change is computed again, in place (``reschedule_cols``,
    ``labour_cols`` read the block's arrays at ``cols``): the working durations of the
    workstreams they hit, the finishes from there on, and the labour sum from the first
    row that changes (continued from the sum before it, in the same order, so every
    number equals a re-run of the whole network)."""
    k = cols.size
    n_ms = len(spec.milestones)
    if k == 0:
        return (np.empty(0), np.empty(0), np.empty((n_ms, 0)), np.empty((v.hit.size, 0)),
                np.empty((v.down.size, 0)))
    assert out.time_cost is not None  # every simulated block has it
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    dur_hit = np.empty((v.hit.size, k))
    if v.hit.size:
        apply_risks(draws.duration[np.ix_(v.hit, cols)], draws.fired[np.ix_(v.kept, cols)],
                    draws.impact[np.ix_(v.kept, cols)], *v.links, dur_hit)
        if spec.duration_offset is not None:
            dur_hit += spec.duration_offset[v.hit][:, None]
    finish, end = np.empty((v.down.size, k)), np.empty(k)
    reschedule_cols(out.duration, out.finish, cols, v.down, v.local, v.first, v.pred, v.lag,
                    v.earliest, v.pinned, v.hit_row, dur_hit, *calendar_knots(spec.calendar),
                    finish, v.sinks, end)
    if v.hit.size:
        time_cost = np.empty(k)
        labour_cols(out.duration, cols, v.top, spec.weekly_rate, v.labour_hit, dur_hit,
                    prefix[v.top], time_cost)
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
                      prefix: dict[int, np.ndarray], duration_sum: np.ndarray,
                      finish_sum: np.ndarray):
    """End, cost and milestone finishes (per iteration) with every risk switched off, on
    the same draws: what estimate uncertainty alone gives (the split of contingency,
    AACE 57R-09); and the sums over iterations of each workstream's working duration and
    finish in that run (``duration_sum``, ``finish_sum``: the run's own, changed here)."""
    if not spec.sparse_risk_off:
        end, cost = out.end.copy(), out.cost.copy()
        milestones = out.finish[list(spec.milestones)].copy()
        assert out.fired is not None  # evaluate sets it
        cols = np.flatnonzero(out.fired.any(axis=0))
        if cols.size:
            end[cols], cost[cols], milestones[:, cols], duration, finish, _ = _reevaluated(
                spec, draws, out, range(len(spec.risks)), cols)
            duration_sum += duration.sum(axis=1) - out.duration[:, cols].sum(axis=1)
            finish_sum += finish.sum(axis=1) - out.finish[:, cols].sum(axis=1)
        return {"end": end, "cost": cost, "milestones": milestones}, duration_sum, finish_sum
    # every iteration (nearly all have a risk that fired): the sums are then the no-risk
    # run's own, and where no risk fired the numbers come out as they were, bit for bit
    _, v = _variants(spec)
    every = np.arange(out.end.size, dtype=np.int64)
    removed = np.where(draws.fired, draws.risk_cost, 0.0).sum(axis=0)
    end, cost, milestones, dur_hit, finish = _switched_off(spec, draws, out, v, every, prefix,
                                                           removed)
    duration_sum[v.hit] = dur_hit.sum(axis=1)
    finish_sum[v.down] = finish.sum(axis=1)
    return {"end": end, "cost": cost, "milestones": milestones}, duration_sum, finish_sum
