"""The workstream network: order, cycles, calendar and the vectorised passes.

A workstream starts at the latest finish (+ lag) of what it depends on, or at 0; the
programme ends at the latest finish of all. Arrays are (workstreams x iterations).
"""
from __future__ import annotations

import functools
import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import kernels

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
    def from_blackouts(cls, blackouts: Sequence[tuple[float, float, float]]) -> WorkCalendar:
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
        return _elementwise(kernels.calendar_work, self, t)

    def time(self, w: np.ndarray) -> np.ndarray:
        """Earliest calendar time by which ``w`` working time is done."""
        return _elementwise(kernels.calendar_time, self, w)


_NO_KNOTS = np.empty(0)


def _elementwise(kernel, calendar: WorkCalendar, x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    flat = np.ascontiguousarray(x).ravel()
    out = np.empty_like(flat)
    kernel(calendar.knots_t, calendar.knots_w, flat, out)
    return out.reshape(x.shape)


def _knots(calendar: WorkCalendar | None) -> tuple[np.ndarray, np.ndarray]:
    return (_NO_KNOTS, _NO_KNOTS) if calendar is None else (calendar.knots_t, calendar.knots_w)


@functools.lru_cache(maxsize=256)
def _links(links: tuple[tuple[int, ...], ...], lags: tuple[tuple[float, ...], ...]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Links in CSR form: node j's links are ``node[first[j]:first[j + 1]]``."""
    first = np.zeros(len(links) + 1, dtype=np.int64)
    first[1:] = np.cumsum([len(x) for x in links])
    node = np.array([i for x in links for i in x], dtype=np.int64)
    lag = np.array([g for x in lags for g in x], dtype=float)
    return first, node, lag


def _csr(links, lags) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _links(tuple(map(tuple, links)), tuple(map(tuple, lags)))


def _per_node(values: np.ndarray | None, n: int) -> np.ndarray:
    return np.full(n, np.nan) if values is None else np.asarray(values, dtype=float)


def start_times(finish: np.ndarray, order: Sequence[int], preds, lags,
                earliest: np.ndarray | None = None,
                pinned: np.ndarray | None = None) -> np.ndarray:
    """Start times implied by finish times (the forward pass's own rule)."""
    m = finish.shape[0]
    start = np.empty_like(finish)
    kernels.start_rows(finish, np.asarray(order, dtype=np.int64), *_csr(preds, lags),
                       _per_node(earliest, m), _per_node(pinned, m), start)
    return start


def forward_pass(
    duration: np.ndarray,
    order: Sequence[int],
    preds: Sequence[Sequence[int]],
    lags: Sequence[Sequence[float]],
    calendar: WorkCalendar | None = None,
    earliest: np.ndarray | None = None,
    pinned: np.ndarray | None = None,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Finish times (workstreams x iterations) for working durations ``duration``.

    A workstream starts at the latest finish (+ lag) of its predecessors, or at 0, and
    works through the ``calendar``. ``earliest`` (weeks, per workstream) is a date before
    which it cannot start (the status date, in a re-forecast); ``pinned`` fixes actual
    starts (NaN where none). ``out``: an array to write the finishes into.
    """
    duration = np.ascontiguousarray(duration, dtype=float)
    m = duration.shape[0]
    finish = np.empty_like(duration) if out is None else out
    kernels.forward_rows(duration, np.asarray(order, dtype=np.int64), *_csr(preds, lags),
                         _per_node(earliest, m), _per_node(pinned, m), *_knots(calendar),
                         finish)
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
    *,
    out: np.ndarray | None = None,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """Which workstreams have zero total float in each iteration (boolean array).

    A backward pass from the programme end gives each workstream's latest finish;
    a workstream is critical when its latest finish equals its finish. ``out`` (bool)
    and ``scratch`` (float), shaped like ``duration``, avoid allocating.
    """
    duration = np.ascontiguousarray(duration, dtype=float)
    critical = np.empty(duration.shape, dtype=bool) if out is None else out
    late_start = np.empty_like(duration) if scratch is None else scratch
    kernels.critical_rows(duration, np.ascontiguousarray(finish, dtype=float),
                          np.ascontiguousarray(end, dtype=float),
                          np.asarray(order, dtype=np.int64), *_csr(succs, succ_lags),
                          *_knots(calendar), rtol, late_start, critical)
    return critical
