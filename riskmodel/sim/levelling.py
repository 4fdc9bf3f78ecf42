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
result reproducible. The rule is stated here so that it can be argued with.

The pass itself is ``network.levelled_pass`` (the kernels' ``level_rows``, compiled and
NumPy). ``can_bind`` tells, once per scenario, whether waiting can ever happen.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .network import topological_order

__all__ = ["priority_order", "can_bind", "FIT_TOLERANCE"]

FIT_TOLERANCE = 1e-9
"""FTE by which demand may exceed capacity (rounding of fractional FTEs)."""


def priority_order(preds: Sequence[Sequence[int]], plan_start: np.ndarray,
                   plan_float: np.ndarray) -> list[int]:
    """Workstream indices in levelling priority: predecessors first; among the ready ones,
    earliest planned start, then least total float, then file order.

    Parameters
    ----------
    preds : sequence of sequence of int
        Each workstream's predecessors (indices).
    plan_start : ndarray
        Each workstream's planned start in weeks (the plan without levelling).
    plan_float : ndarray
        Each workstream's total float in weeks in that plan.

    Returns
    -------
    list of int
        Every workstream index once.
    """
    return topological_order(preds, key=lambda j: (round(float(plan_start[j]), 9),
                                                   round(float(plan_float[j]), 9)))


def can_bind(preds: Sequence[Sequence[int]], lags: Sequence[Sequence[float]],
             types: Sequence[Sequence[int]] | None, demand: np.ndarray,
             capacity: Sequence[tuple[np.ndarray, np.ndarray]]) -> bool:
    """Whether waiting for people can ever happen: for some role, a workstream needing it
    plus all the others needing it that the links let run at the same time (neither
    waits, through finish-to-start links without a lead, for the other) need more than
    the role's least capacity from the start on. If not, levelling changes nothing in
    any iteration, and the engine skips it (the same numbers, at no cost).

    Parameters
    ----------
    preds : sequence of sequence of int
        Each workstream's predecessors (indices).
    lags : sequence of sequence of float
        The lag of each of those links in weeks (negative: a lead).
    types : sequence of sequence of int or None
        Each link's type code (0 FS, 1 SS, 2 FF, 3 SF); None: every link FS.
    demand : ndarray
        FTE of each limited role each workstream needs, roles x workstreams.
    capacity : sequence of (ndarray, ndarray)
        Each limited role's capacity steps: (from times, FTE), the first time -inf.

    Returns
    -------
    bool
    """
    m = len(preds)
    before = [0] * m  # bit k of before[j]: k finishes before j starts (FS, lag >= 0)
    for j in topological_order(preds):
        for q, p in enumerate(preds[j]):
            kind = 0 if types is None else types[j][q]
            if kind == 0 and lags[j][q] >= 0:
                before[j] |= before[p] | (1 << p)
    for r, (times, fte) in enumerate(capacity):
        ends = list(times[1:]) + [np.inf]
        least = min(f for f, end in zip(fte, ends) if end > 0)
        users = [j for j in range(m) if demand[r, j] > 0]
        for j in users:
            together = demand[r, j] + sum(
                demand[r, k] for k in users
                if k != j and not (before[j] >> k) & 1 and not (before[k] >> j) & 1)
            if together > least + FIT_TOLERANCE:
                return True
    return False
