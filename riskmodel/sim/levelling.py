"""Resource levelling: workstreams that need the same limited people wait for them.

In every iteration the network is scheduled in one fixed *priority order* (a serial
schedule-generation scheme with a fixed activity list, the textbook levelling rule): each
workstream in turn starts at the earliest time that its dependencies allow *and* at which,
for its whole duration, the FTE it needs of every capacity-limited role fit beside the
workstreams already placed. Roles without a capacity are unlimited, so a scenario without
capacities is scheduled exactly as without levelling.

The priority order is worked out once per scenario from the deterministic plan without
levelling: earliest planned start first (the order the plan means to do the work), then
least total float (protect the critical path), then the order of the file; always after
every predecessor. One order for every iteration keeps iterations comparable and the
result reproducible; it is the rule Primavera-style levellers default to (early start,
then float), stated here so it can be argued with.

``capacity_at`` and ``levelled_start`` are the NumPy reference of what the engine's
forward pass does per workstream when roles are limited.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["priority_order", "capacity_at", "levelled_start", "FIT_TOLERANCE"]

FIT_TOLERANCE = 1e-9
"""FTE by which demand may exceed capacity (rounding of fractional FTEs)."""


def priority_order(preds: Sequence[Sequence[int]], plan_start: np.ndarray,
                   plan_float: np.ndarray) -> list[int]:
    """Workstream indices in levelling priority: predecessors first; among the ready ones,
    earliest planned start, then least total float, then file order."""
    n = len(preds)
    remaining = [len(set(p)) for p in preds]
    succs: list[list[int]] = [[] for _ in range(n)]
    for j, ps in enumerate(preds):
        for p in set(ps):
            succs[p].append(j)

    def key(j: int) -> tuple[float, float, int]:
        return (round(float(plan_start[j]), 9), round(float(plan_float[j]), 9), j)

    ready = [key(j) for j in range(n) if remaining[j] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        j = heapq.heappop(ready)[2]
        order.append(j)
        for s in succs[j]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(ready, key(s))
    return order


def capacity_at(times: np.ndarray, fte: np.ndarray, t: np.ndarray) -> np.ndarray:
    """A role's capacity at times ``t``: ``fte[i]`` from ``times[i]`` on (``times[0]`` is
    -inf)."""
    return fte[np.searchsorted(times, t, side="right") - 1]


Finish = Callable[[np.ndarray], np.ndarray]


def levelled_start(ready: np.ndarray, finish_from: Finish, j: int, placed: Sequence[int],
                   start: np.ndarray, finish: np.ndarray, demand: np.ndarray,
                   capacity: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The earliest start of workstream ``j`` at or after ``ready`` (per iteration) at
    which its demand fits: for every limited role r, the FTE ``demand[r, k]`` of the
    ``placed`` workstreams running at each moment of [start, finish) plus its own stay
    within the role's capacity then. ``finish_from(s)`` is its finish if it starts at s;
    ``start``/``finish`` (workstreams x iterations) hold the placed ones'.

    The answer is ``ready`` or a moment when a placed workstream sharing a role finishes
    or a capacity rises; it exists because every workstream fits the last capacity.
    """
    roles = [r for r in range(demand.shape[0]) if demand[r, j] > 0]
    if not roles:
        return ready
    sharing = [k for k in placed if any(demand[r, k] > 0 for r in roles)]
    changes = sorted({float(t) for r in roles for t in capacity[r][0][1:]})
    candidates = [ready] + [np.maximum(ready, finish[k]) for k in sharing] + [
        np.maximum(ready, t) for t in changes]
    best = np.full(ready.shape, np.inf)
    for c in candidates:
        f = finish_from(c)
        fits = np.ones(ready.shape, dtype=bool)
        for r in roles:
            times, fte = capacity[r]
            points = [c] + [start[k] for k in sharing if demand[r, k] > 0] + [
                np.full(ready.shape, t) for t in times[1:]]
            for p in points:
                inside = (p >= c) & (p < f)
                used = np.zeros(ready.shape)
                for k in sharing:
                    if demand[r, k] > 0:
                        used = used + np.where((start[k] <= p) & (p < finish[k]),
                                               demand[r, k], 0.0)
                fits &= ~inside | (used + demand[r, j] <= capacity_at(times, fte, p)
                                   + FIT_TOLERANCE)
        best = np.where(fits & (c < best), c, best)
    return best
