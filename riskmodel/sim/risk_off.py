"""The same block with risks switched off, on the same draws.

For each risk, the iterations where it fired are evaluated again without it: its cost
changes by the labour of the workstreams it hits, and the schedule only where one of
them was critical or gets longer without it (a shorter workstream off every critical
path cannot move the end), and there only the workstreams it can reach (the ones it hits
and everything downstream) are re-scheduled; once more with every risk off in every
iteration (the risk-free run behind the contingency split). Results are kept sparse:
only the iterations that change.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .block import evaluate
from .kernels import apply_risks, reschedule_cols, weighted_sum
from .model import Draws, EngineSpec, Outcome
from .network import calendar_knots

__all__ = ["_variants", "_without_each_risk", "_without_any_risk"]


@dataclass(frozen=True)
class _Variant:
    """What switching some risks off can change, worked out once per spec.

    ``hit``: the workstreams whose working duration can change (sorted), re-derived from
    the base durations with the ``kept`` risks only (``links``: their links into ``hit``,
    renumbered); ``down``: ``hit`` and everything after it, in topological order, the
    workstreams whose finish can change (``local``: each workstream's row in ``down``, or
    -1); ``first``/``pred``/``lag``: their links (CSR over ``down``, predecessors as
    workstream ids); ``shortcut``: nothing the run keeps reads a finish in ``down`` other
    than the end's (no milestone there, no overhead running until one) and there is no
    calendar, so an iteration where no workstream of ``hit`` is critical or longer keeps
    its end and needs no re-scheduling (``_switched_off``).
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
    shortcut: bool
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
    milestones = tuple(int(local[j]) for j in spec.milestones)
    overhead = tuple(-2 if until < 0 else int(local[until]) for _, until in spec.overhead)
    return _Variant(
        hit=np.array(hit, dtype=np.int64), kept=np.array(kept, dtype=np.int64), links=links,
        down=np.array(down, dtype=np.int64), local=local,
        first=np.concatenate([[0], np.cumsum([len(spec.preds[j]) for j in down])]
                             ).astype(np.int64),
        pred=np.array([p for j in down for p in spec.preds[j]], dtype=np.int64),
        lag=np.array([g for j in down for g in spec.lags[j]], dtype=float),
        earliest=earliest[down], pinned=pinned[down],
        hit_row=np.array([in_hit.get(j, -1) for j in down], dtype=np.int64),
        shortcut=spec.calendar is None and all(at < 0 for at in milestones + overhead),
        sinks=np.array(spec.sinks, dtype=np.int64),
        milestones=milestones, overhead=overhead,
    )


def _switched_off(spec: EngineSpec, draws: Draws, out: Outcome, v: _Variant,
                  cols: np.ndarray, removed_cost: np.ndarray, every: bool = False):
    """End, cost, milestone finishes, and the changed rows, of iterations ``cols``
    re-scheduled without the risks of ``v`` (``removed_cost``: their own cost there).

    Only what the risks can change is computed again: the working durations of the
    workstreams they hit, the labour cost by the change in those durations, and the
    finishes from there on (``reschedule_cols``, reading the block's arrays in place, so
    each equals a forward pass of the whole network). With ``every``, ``cols`` is every
    iteration of the block and every row of ``down`` is returned as ``finish``
    (otherwise ``finish`` is None). Otherwise, when nothing else is kept and there is no
    calendar (``v.shortcut``), an iteration is re-scheduled only where a workstream of
    ``hit`` was critical or is longer without the risks (a factor below 1): elsewhere
    every workstream they hit only gets shorter and none of them is on a critical path,
    so every critical path is unchanged, every other path no longer, and the end stays,
    bit for bit. (A calendar's float counts non-working time, so a workstream with float
    can still drive the end: no shortcut there.)"""
    k = cols.size
    n_ms = len(spec.milestones)
    if k == 0:
        return (np.empty(0), np.empty(0), np.empty((n_ms, 0)), np.empty((v.hit.size, 0)),
                np.empty((v.down.size, 0)) if every else None)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    assert not every or k == out.end.size  # every iteration, in order

    def at(a: np.ndarray, rows=None) -> np.ndarray:  # rows (all) of a at cols (a copy)
        if rows is None:
            return a.copy() if every else a[..., cols]
        return a[rows] if every else a[np.ix_(rows, cols)]

    if v.kept.size:
        dur_hit = np.empty((v.hit.size, k))
        apply_risks(at(draws.duration, v.hit), at(draws.fired, v.kept),
                    at(draws.impact, v.kept), *v.links, dur_hit)
    else:  # no risk left on what they hit: the base durations
        dur_hit = at(draws.duration, v.hit)
    was = at(out.duration, v.hit)
    cost = np.zeros(k)  # the change in cost, then (at the end) the cost
    if v.hit.size:
        if spec.duration_offset is not None:
            dur_hit += spec.duration_offset[v.hit][:, None]
        weighted_sum(spec.weekly_rate[v.hit], dur_hit - was, cost)
    moved = np.arange(k)
    if v.shortcut and not every:
        moved = np.flatnonzero(at(out.critical, v.hit).any(axis=0) | (dur_hit > was).any(axis=0))
    finish, end = np.empty((v.down.size, moved.size)), at(out.end)
    if moved.size:
        end_moved = np.empty(moved.size)
        whole = moved.size == k
        reschedule_cols(out.duration, out.finish, cols if whole else cols[moved],
                        v.down, v.local, v.first, v.pred, v.lag, v.earliest, v.pinned,
                        v.hit_row, dur_hit if whole else np.ascontiguousarray(dur_hit[:, moved]),
                        *calendar_knots(spec.calendar), finish, v.sinks, end_moved)
        end[moved] = end_moved
    for (weekly, until), row in zip(spec.overhead, v.overhead):
        if row == -2:
            cost += weekly * (end - at(out.end))
        elif row >= 0:  # no shortcut: every iteration was re-scheduled
            cost += weekly * (finish[row] - at(out.finish[until]))
    cost -= removed_cost
    milestones = np.empty((n_ms, k))
    for q, (j, row) in enumerate(zip(spec.milestones, v.milestones)):
        milestones[q] = finish[row] if row >= 0 else at(out.finish[j])
    cost += at(out.cost)
    return end, cost, milestones, dur_hit, finish if every else None


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


def _without_each_risk(spec: EngineSpec, draws: Draws, out: Outcome
                       ) -> tuple[dict[str, tuple], np.ndarray]:
    """End, cost and milestone finishes with each risk switched off, on the same draws,
    in the iterations where it fired (the only ones that can change), as
    {"cols": per risk the block's iterations where it fired, "cost": its cost there,
    "moved": those of them where the end or a milestone's finish changed (in about a
    third of them on the benchmark network: a risk off the critical path moves nothing),
    "end", "milestones": their values there}; and per risk the sum over the block of the
    other risks' own cost that fired only with it (zero unless risks condition one
    another).

    Only those iterations where a workstream it hits was critical or gets longer without
    it (all of them when a milestone or an overhead reads a finish it can reach, or under
    a calendar), and in them only the workstreams the risk can reach, are re-scheduled;
    their cost changes by the labour of the workstreams it hits and the overhead of the
    time it took, less the risk's own cost (``_switched_off``).
    """
    kept: dict[str, list] = {"cols": [], "cost": [], "moved": [], "end": [], "milestones": []}
    triggered = np.zeros(len(spec.risks))
    milestones_run = out.finish[list(spec.milestones)]
    for i in range(len(spec.risks)):
        if spec.sparse_risk_off:
            cols = np.flatnonzero(draws.fired[i])
            end, cost, milestones, _, _ = _switched_off(
                spec, draws, out, _variants(spec)[0][i], cols, draws.risk_cost[i, cols])
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
        moved = _changed(end, out.end[cols]) | _changed(milestones, milestones_run[:, cols])
        for name, value in (("cols", cols.astype(np.int32)), ("cost", cost),
                            ("moved", cols[moved].astype(np.int32)), ("end", end[moved]),
                            ("milestones", milestones[:, moved])):
            kept[name].append(value)
    return {name: tuple(values) for name, values in kept.items()}, triggered


def _changed(values: np.ndarray, was: np.ndarray) -> np.ndarray:
    """Per iteration (the last axis), whether any of ``values`` differs from ``was`` in
    its bits (so an iteration kept as unchanged gives the run's own value back)."""
    differ = np.ascontiguousarray(values).view(np.int64) != \
        np.ascontiguousarray(was).view(np.int64)
    return differ if differ.ndim == 1 else differ.any(axis=0)


def _without_any_risk(spec: EngineSpec, draws: Draws, out: Outcome, duration_sum: np.ndarray,
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
    cols = np.arange(out.end.size, dtype=np.int64)
    removed = np.where(draws.fired, draws.risk_cost, 0.0).sum(axis=0)
    end, cost, milestones, dur_hit, finish = _switched_off(spec, draws, out, v, cols, removed,
                                                           every=True)
    duration_sum[v.hit] = dur_hit.sum(axis=1)
    finish_sum[v.down] = finish.sum(axis=1)
    return {"end": end, "cost": cost, "milestones": milestones}, duration_sum, finish_sum
