"""The workstream network: order, cycles, calendar and the vectorised passes.

A workstream starts at the latest finish (+ lag) of what it depends on, or at 0; the
programme ends at the latest finish of all. Arrays are (workstreams x iterations).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = [
    "CycleError",
    "topological_order",
    "find_cycle",
    "WorkCalendar",
    "forward_pass",
    "start_times",
    "critical_mask",
]


class CycleError(ValueError):
    """The dependencies contain a cycle; ``cycle`` lists its node indices in order."""

    def __init__(self, cycle: list[int]):
        super().__init__(f"dependency cycle through nodes {cycle}")
        self.cycle = cycle


def find_cycle(preds: Sequence[Sequence[int]]) -> list[int] | None:
    """One cycle as a list of indices (first repeated at the end), or ``None``."""
    n = len(preds)
    state = [0] * n  # 0 new, 1 on stack, 2 done
    for root in range(n):
        if state[root]:
            continue
        stack = [(root, iter(preds[root]))]
        path = [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state[nxt] == 1:
                cycle = path[path.index(nxt):] + [nxt]
                return cycle[::-1]  # predecessor order -> dependency order
            elif state[nxt] == 0:
                state[nxt] = 1
                stack.append((nxt, iter(preds[nxt])))
                path.append(nxt)
    return None


def topological_order(preds: Sequence[Sequence[int]]) -> list[int]:
    """Indices so that every node comes after its predecessors (stable: input order)."""
    n = len(preds)
    remaining = [len(set(p)) for p in preds]
    succs: list[list[int]] = [[] for _ in range(n)]
    for j, ps in enumerate(preds):
        for p in set(ps):
            succs[p].append(j)
    ready = [j for j in range(n) if remaining[j] == 0]
    order: list[int] = []
    import heapq

    heapq.heapify(ready)
    while ready:
        j = heapq.heappop(ready)
        order.append(j)
        for s in succs[j]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(ready, s)
    if len(order) < n:
        raise CycleError(find_cycle(preds) or [])
    return order


@dataclass(frozen=True)
class WorkCalendar:
    """Working capacity over time: blackout windows where work goes at a fraction of pace.

    ``knots_t`` are times (weeks) and ``knots_w`` the cumulative working time at them;
    between knots the capacity is constant. Past the last knot capacity is 1.
    """

    knots_t: np.ndarray
    knots_w: np.ndarray

    @classmethod
    def from_blackouts(cls, blackouts: Sequence[tuple[float, float, float]]) -> "WorkCalendar":
        """Build from (from_week, to_week, capacity); overlaps take the lower capacity."""
        edges = sorted({0.0, *(max(0.0, b) for a, b, _ in blackouts),
                        *(max(0.0, a) for a, b, _ in blackouts)})
        t, w = [0.0], [0.0]
        for lo, hi in zip(edges[:-1], edges[1:]):
            mid = 0.5 * (lo + hi)
            cap = min([c for a, b, c in blackouts if a <= mid < b], default=1.0)
            t.append(hi)
            w.append(w[-1] + cap * (hi - lo))
        t.append(t[-1] + 1e6)
        w.append(w[-1] + 1e6)
        return cls(np.array(t), np.array(w))

    def work(self, t: np.ndarray) -> np.ndarray:
        """Working time done between 0 and calendar time ``t``."""
        return np.interp(t, self.knots_t, self.knots_w)

    def time(self, w: np.ndarray) -> np.ndarray:
        """Earliest calendar time by which ``w`` working time is done."""
        kt, kw = self.knots_t, self.knots_w
        i = np.clip(np.searchsorted(kw, w, side="left"), 1, len(kw) - 1)
        w0, w1, t0, t1 = kw[i - 1], kw[i], kt[i - 1], kt[i]
        slope = np.where(w1 > w0, (t1 - t0) / np.where(w1 > w0, w1 - w0, 1.0), 0.0)
        return np.where(w <= 0, 0.0, t0 + (w - w0) * slope)

    def latest_time(self, w: np.ndarray) -> np.ndarray:
        """Latest calendar time at which only ``w`` working time has been done."""
        kt, kw = self.knots_t, self.knots_w
        i = np.clip(np.searchsorted(kw, w, side="right"), 1, len(kw) - 1)
        w0, w1, t0, t1 = kw[i - 1], kw[i], kt[i - 1], kt[i]
        slope = np.where(w1 > w0, (t1 - t0) / np.where(w1 > w0, w1 - w0, 1.0), 0.0)
        return t0 + (w - w0) * slope


def _start(j, finish, preds, lags, n, earliest=None, pinned=None):
    """Start of workstream j: latest predecessor finish + lag, not before ``earliest[j]``;
    a ``pinned`` start (an actual start) overrides both."""
    if pinned is not None and not np.isnan(pinned[j]):
        return np.full(n, pinned[j])
    start = np.zeros(n)
    for p, lag in zip(preds[j], lags[j]):
        np.maximum(start, finish[p] + lag, out=start)
    if earliest is not None and earliest[j] > 0:
        np.maximum(start, earliest[j], out=start)
    return start


def start_times(finish: np.ndarray, order: Sequence[int], preds, lags,
                earliest: np.ndarray | None = None,
                pinned: np.ndarray | None = None) -> np.ndarray:
    """Start times implied by finish times (the forward pass's own rule)."""
    n = finish.shape[1]
    start = np.empty_like(finish)
    for j in order:
        start[j] = _start(j, finish, preds, lags, n, earliest, pinned)
    return start


def forward_pass(
    duration: np.ndarray,
    order: Sequence[int],
    preds: Sequence[Sequence[int]],
    lags: Sequence[Sequence[float]],
    calendar: WorkCalendar | None = None,
    earliest: np.ndarray | None = None,
    pinned: np.ndarray | None = None,
) -> np.ndarray:
    """Finish times (workstreams x iterations) for working durations ``duration``.

    ``earliest`` (weeks, per workstream) is a date before which it cannot start (the
    status date, in a re-forecast); ``pinned`` fixes actual starts (NaN where none).
    """
    finish = np.empty_like(duration)
    n = duration.shape[1]
    for j in order:
        start = _start(j, finish, preds, lags, n, earliest, pinned)
        if calendar is None:
            np.add(start, duration[j], out=finish[j])
        else:
            finish[j] = calendar.time(calendar.work(start) + duration[j])
    return finish


def critical_mask(
    duration: np.ndarray,
    finish: np.ndarray,
    end: np.ndarray,
    order: Sequence[int],
    succs: Sequence[Sequence[int]],
    succ_lags: Sequence[Sequence[float]],
    calendar: WorkCalendar | None = None,
    rtol: float = 1e-9,
) -> np.ndarray:
    """Which workstreams have zero total float in each iteration (boolean array).

    A backward pass from the programme end gives each workstream's latest finish;
    a workstream is critical when its latest finish equals its finish.
    """
    late_start = np.empty_like(duration)
    critical = np.empty(duration.shape, dtype=bool)
    tol = rtol * np.maximum(end, 1.0)
    for j in reversed(order):
        if succs[j]:
            late_finish = late_start[succs[j][0]] - succ_lags[j][0]
            for s, lag in zip(succs[j][1:], succ_lags[j][1:]):
                np.minimum(late_finish, late_start[s] - lag, out=late_finish)
        else:
            late_finish = end.copy()
        critical[j] = late_finish - finish[j] <= tol
        if calendar is None:
            np.subtract(late_finish, duration[j], out=late_start[j])
        else:
            late_start[j] = calendar.latest_time(calendar.work(late_finish) - duration[j])
    return critical
