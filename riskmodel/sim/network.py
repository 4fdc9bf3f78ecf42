"""The workstream network: order, cycles, calendar and the vectorised passes.

A workstream starts as early as its links allow, or at 0; the programme ends at the
latest finish of all. A link from p with lag g (negative: a lead) is one of ``LINK_TYPES``:
FS (0) starts it at p's finish + g, SS (1) at p's start + g, FF (2) makes it finish no
earlier than p's finish + g, SF (3) no earlier than p's start + g; a start before the
programme's (a lead) is clamped to 0. Arrays are (workstreams x iterations).
"""
from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import kernels

__all__ = [
    "calendar_knots",
    "LINK_TYPES",
    "FS",
    "SS",
    "FF",
    "SF",
    "CycleError",
    "topological_order",
    "find_cycle",
    "WorkCalendar",
    "forward_pass",
    "levelled_pass",
    "start_times",
    "critical_mask",
    "end_nodes",
]

LINK_TYPES = ("FS", "SS", "FF", "SF")
"""Dependency types by code: a link's type is its index here."""
FS, SS, FF, SF = range(4)


class CycleError(ValueError):
    """The dependencies contain a cycle; ``cycle`` lists its node indices in order.

    Parameters
    ----------
    cycle : list of int
        The cycle's node indices in dependency order, the first repeated at the end.
    """

    def __init__(self, cycle: list[int]):
        super().__init__(f"dependency cycle through nodes {cycle}")
        self.cycle = cycle


def find_cycle(preds: Sequence[Sequence[int]]) -> list[int] | None:
    """One cycle as a list of indices (first repeated at the end), or ``None``.

    Parameters
    ----------
    preds : sequence of sequence of int
        Each node's predecessors (indices).

    Returns
    -------
    list of int or None
        The cycle in dependency order, or None when there is none.

    Examples
    --------
    >>> find_cycle([[1], [0]])
    [0, 1, 0]
    >>> find_cycle([[], [0]]) is None
    True
    """
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


def topological_order(preds: Sequence[Sequence[int]],
                      key: Callable[[int], Any] | None = None) -> list[int]:
    """Indices so that every node comes after its predecessors; among the nodes ready
    at a time, the one with the least ``key(j)`` (default: input order) first.

    Parameters
    ----------
    preds : sequence of sequence of int
        Each node's predecessors (indices).
    key : callable, optional
        ``key(j)``: the priority of node j among the ready ones (ties: input order).

    Returns
    -------
    list of int
        Every index once.

    Raises
    ------
    CycleError
        The predecessors contain a cycle.

    Examples
    --------
    >>> topological_order([[1], [], []])
    [1, 0, 2]
    """
    n = len(preds)
    remaining = [len(set(p)) for p in preds]
    succs: list[list[int]] = [[] for _ in range(n)]
    for j, ps in enumerate(preds):
        for p in set(ps):
            succs[p].append(j)
    rank = (lambda j: j) if key is None else (lambda j: (key(j), j))
    ready = [(rank(j), j) for j in range(n) if remaining[j] == 0]
    order: list[int] = []
    heapq.heapify(ready)
    while ready:
        _, j = heapq.heappop(ready)
        order.append(j)
        for s in succs[j]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(ready, (rank(s), s))
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
        """Build from (from_week, to_week, capacity); overlaps take the lower capacity.

        Parameters
        ----------
        blackouts : sequence of (float, float, float)
            Windows in weeks from the start and the fraction of pace kept in each.

        Returns
        -------
        WorkCalendar

        Examples
        --------
        >>> half_pace = WorkCalendar.from_blackouts([(2.0, 4.0, 0.5)])
        >>> float(half_pace.work(6.0)), float(half_pace.time(5.0))
        (5.0, 6.0)
        """
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
        """Working time done between 0 and calendar time ``t``.

        Parameters
        ----------
        t : array_like
            Calendar times in weeks.

        Returns
        -------
        ndarray
            Working time in weeks, in the shape of ``t``.
        """
        return _elementwise(kernels.calendar_work, self, t)

    def time(self, w: np.ndarray) -> np.ndarray:
        """Earliest calendar time by which ``w`` working time is done.

        Parameters
        ----------
        w : array_like
            Working time in weeks.

        Returns
        -------
        ndarray
            Calendar times in weeks, in the shape of ``w``.
        """
        return _elementwise(kernels.calendar_time, self, w)


_NO_KNOTS = np.empty(0)


def _elementwise(kernel, calendar: WorkCalendar, x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    flat = np.ascontiguousarray(x).ravel()
    out = np.empty_like(flat)
    kernel(calendar.knots_t, calendar.knots_w, flat, out)
    return out.reshape(x.shape)


def calendar_knots(calendar: WorkCalendar | None) -> tuple[np.ndarray, np.ndarray]:
    """A calendar's knots as the kernels take them (``kt``, ``kw``; both empty: none).

    Parameters
    ----------
    calendar : WorkCalendar or None

    Returns
    -------
    tuple of ndarray
        Calendar times and the working time done by each.
    """
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


@functools.lru_cache(maxsize=256)
def _kinds_of(types: tuple[tuple[int, ...], ...] | int) -> np.ndarray:
    if isinstance(types, int):  # that many FS links
        return np.zeros(types, dtype=np.int64)
    return np.array([t for x in types for t in x], dtype=np.int64)


def _kinds(types, links: np.ndarray) -> np.ndarray:
    """The links' types aligned with CSR ``links`` (``types`` None: every one FS)."""
    kinds = _kinds_of(links.size if types is None else tuple(map(tuple, types)))
    if kinds.shape != links.shape:
        raise ValueError("link types must have a type per link")
    return kinds


def end_nodes(succ_lags: Sequence[Sequence[float]],
              succ_types: Sequence[Sequence[int]] | None = None) -> list[int]:
    """The workstreams whose finish can be the programme's end: those that no FS link of
    lag >= 0 holds back (its successor then finishes later), so the end is the latest
    finish of these alone. Without typed links or leads, the workstreams without
    successors.

    Parameters
    ----------
    succ_lags : sequence of sequence of float
        The lags of each workstream's links to its successors.
    succ_types : sequence of sequence of int, optional
        Those links' type codes (default: every one FS).

    Returns
    -------
    list of int
        Workstream indices, ascending.

    Examples
    --------
    >>> end_nodes([[0.0], [], []])  # 0 -> 1; 2 stands alone
    [1, 2]
    """
    if succ_types is None:
        succ_types = [[FS] * len(g) for g in succ_lags]
    return [j for j, (gs, ts) in enumerate(zip(succ_lags, succ_types))
            if not any(t == FS and g >= 0 for g, t in zip(gs, ts))]


def _per_node(values: np.ndarray | None, n: int) -> np.ndarray:
    return np.full(n, np.nan) if values is None else np.asarray(values, dtype=float)


def start_times(finish: np.ndarray, order: Sequence[int], preds, lags,
                earliest: np.ndarray | None = None,
                pinned: np.ndarray | None = None, *, types=None,
                duration: np.ndarray | None = None,
                calendar: WorkCalendar | None = None) -> np.ndarray:
    """Start times implied by finish times (the forward pass's own rule); FF and SF links
    (``types``) also need the working ``duration`` and the ``calendar``.

    Parameters
    ----------
    finish : ndarray
        Finishes in weeks, workstreams x iterations.
    order : sequence of int
        A topological order of the workstreams.
    preds : sequence of sequence of int
        Each workstream's predecessors.
    lags : sequence of sequence of float
        Those links' lags in weeks.
    earliest, pinned : ndarray, optional
        Per workstream: the earliest start and an actual start (NaN where none).
    types : sequence of sequence of int, optional
        Those links' type codes (default: every one FS).
    duration : ndarray, optional
        Working durations, workstreams x iterations; needed with FF or SF links.
    calendar : WorkCalendar, optional

    Returns
    -------
    ndarray
        Starts in weeks, workstreams x iterations.

    Raises
    ------
    ValueError
        FF or SF links without ``duration``, or ``types`` not aligned with ``preds``.
    """
    finish = np.ascontiguousarray(finish, dtype=float)
    m = finish.shape[0]
    first, node, lag = _csr(preds, lags)
    kinds = _kinds(types, node)
    if duration is None:
        if np.any(kinds >= FF):
            raise ValueError("start_times: FF and SF links need the durations")
        duration = finish  # not read
    start = np.empty_like(finish)
    kernels.start_rows(finish, np.ascontiguousarray(duration, dtype=float),
                       np.asarray(order, dtype=np.int64), first, node, lag, kinds,
                       _per_node(earliest, m), _per_node(pinned, m),
                       *calendar_knots(calendar), start)
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
    types: Sequence[Sequence[int]] | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Finish times (workstreams x iterations) for working durations ``duration``.

    A workstream starts as early as its links allow (``types``, codes of ``LINK_TYPES``
    aligned with ``preds``; None: all FS), and not before 0, and works through the
    ``calendar``: FS at the predecessor's finish + lag, SS at its start + lag; FF at the
    earliest start that finishes (working time through the calendar) by its finish + lag,
    time(work(finish + lag) - duration), SF the same from its start + lag. ``earliest``
    (weeks, per workstream) is a date before which it cannot start (the status date, in a
    re-forecast); ``pinned`` fixes actual starts (NaN where none), whatever the links say.
    ``out``: an array to write the finishes into.

    Parameters
    ----------
    duration : ndarray
        Working durations in weeks, workstreams x iterations.
    order : sequence of int
        A topological order of the workstreams.
    preds : sequence of sequence of int
        Each workstream's predecessors.
    lags : sequence of sequence of float
        Those links' lags in weeks (negative: a lead).
    calendar : WorkCalendar, optional
    earliest, pinned : ndarray, optional
        Per workstream: the earliest start and an actual start (NaN where none).
    types : sequence of sequence of int, optional
        Those links' type codes (default: every one FS).
    out : ndarray, optional
        Shaped like ``duration``.

    Returns
    -------
    ndarray
        Finishes in weeks, workstreams x iterations (``out`` when given).

    Raises
    ------
    ValueError
        ``types`` is not aligned with ``preds``.
    """
    duration = np.ascontiguousarray(duration, dtype=float)
    m = duration.shape[0]
    finish = np.empty_like(duration) if out is None else out
    first, node, lag = _csr(preds, lags)
    kernels.forward_rows(duration, np.asarray(order, dtype=np.int64), first, node, lag,
                         _kinds(types, node), _per_node(earliest, m), _per_node(pinned, m),
                         *calendar_knots(calendar), finish)
    return finish


def levelled_pass(
    duration: np.ndarray,
    order: Sequence[int],
    preds: Sequence[Sequence[int]],
    lags: Sequence[Sequence[float]],
    calendar: WorkCalendar | None,
    earliest: np.ndarray | None,
    pinned: np.ndarray | None,
    *,
    types: Sequence[Sequence[int]] | None,
    demand: np.ndarray,
    capacity: Sequence[tuple[np.ndarray, np.ndarray]],
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and finishes (workstreams x iterations) with levelling (``sim.levelling``):
    workstreams placed in ``order`` (the priority), each as early as its links allow and
    its people are free: the FTE ``demand[r, j]`` of each capacity-limited role r fit
    beside the workstreams placed before it, for its whole run, within the role's
    ``capacity[r]`` (from times, the first -inf; FTE). Otherwise as ``forward_pass``.

    Parameters
    ----------
    duration, order, preds, lags, calendar, earliest, pinned, types
        As for ``forward_pass`` (``order``: the priority order, ``levelling.priority_order``).
    demand : ndarray
        FTE of each limited role each workstream needs, roles x workstreams.
    capacity : sequence of (ndarray, ndarray)
        Each limited role's capacity steps: (from times, FTE).
    out : ndarray, optional
        Where the finishes go, shaped like ``duration``.

    Returns
    -------
    start, finish : ndarray
        Weeks, workstreams x iterations.

    Raises
    ------
    ValueError
        ``types`` is not aligned with ``preds``.
    """
    duration = np.ascontiguousarray(duration, dtype=float)
    m = duration.shape[0]
    finish = np.empty_like(duration) if out is None else out
    start = np.empty_like(duration)
    first, node, lag = _csr(preds, lags)
    cap_first = np.concatenate([[0], np.cumsum([t.size for t, _ in capacity])]).astype(np.int64)
    kernels.level_rows(duration, np.asarray(order, dtype=np.int64), first, node, lag,
                       _kinds(types, node), _per_node(earliest, m), _per_node(pinned, m),
                       *calendar_knots(calendar), np.ascontiguousarray(demand, dtype=float),
                       cap_first,
                       np.concatenate([t for t, _ in capacity]).astype(float),
                       np.concatenate([f for _, f in capacity]).astype(float), start, finish)
    return start, finish


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
    succ_types: Sequence[Sequence[int]] | None = None,
    out: np.ndarray | None = None,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """Which workstreams have zero total float in each iteration (boolean array).

    A backward pass from the programme end gives each workstream's latest finish; a
    workstream is critical when its latest finish equals its finish. From a successor
    with late start LS and late finish LF by a link of lag g: FS bounds the late finish
    by LS - g, FF by LF - g; SS bounds the late start by LS - g, SF by LF - g (and so the
    late finish, by that start plus the duration); a finish no FS link of lag >= 0 holds
    back is bounded by the end. ``succ_types`` are the successor links' types (None: all
    FS). ``out`` (bool) and ``scratch`` (float, receiving the latest starts), shaped like
    ``duration``, avoid allocating.

    Parameters
    ----------
    duration : ndarray
        Working durations in weeks, workstreams x iterations.
    finish : ndarray
        Finishes in weeks (the forward pass), workstreams x iterations.
    end : ndarray
        The programme end in each iteration.
    order : sequence of int
        A topological order of the workstreams (walked backwards).
    succs : sequence of sequence of int
        Each workstream's successors.
    succ_lags : sequence of sequence of float
        Those links' lags in weeks.
    calendar : WorkCalendar, optional
    rtol : float
        Relative tolerance of "equals".
    succ_types : sequence of sequence of int, optional
        Those links' type codes (default: every one FS).
    out, scratch : ndarray, optional
        Where the mask and the latest starts go.

    Returns
    -------
    ndarray of bool
        Workstreams x iterations (``out`` when given).

    Raises
    ------
    ValueError
        ``succ_types`` is not aligned with ``succs``.
    """
    duration = np.ascontiguousarray(duration, dtype=float)
    critical = np.empty(duration.shape, dtype=bool) if out is None else out
    late_start = np.empty_like(duration) if scratch is None else scratch
    first, node, lag = _csr(succs, succ_lags)
    kernels.critical_rows(duration, np.ascontiguousarray(finish, dtype=float),
                          np.ascontiguousarray(end, dtype=float),
                          np.asarray(order, dtype=np.int64), first, node, lag,
                          _kinds(succ_types, node), *calendar_knots(calendar), rtol, late_start,
                          critical)
    return critical
