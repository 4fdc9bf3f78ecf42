"""Conditional risks: in which order their conditions can be decided, and deciding them.

A risk with ``when`` clauses is drawn as any other (its uniforms are the same whether or
not its conditions hold: common random numbers) and then kept only in the iterations
where every clause holds. A clause on another risk needs that risk decided first; a
clause on a target needs the target's milestone finish, so every risk that can move that
finish decided first and the network scheduled with them.

Risks therefore fall into *stages*: stage 0 needs no schedule; stage k is decided on the
schedule with the risks of stages below k. A risk conditioned on a target must not
affect anything leading to that target's milestone (the scenario check says so in a
sentence; here it is a ``ValueError``), so the stages are well defined.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

__all__ = ["risk_stages", "upstream", "resolve_fired", "LATE_TOLERANCE"]

LATE_TOLERANCE = 1e-12
"""A finish counts as on time up to this many weeks after the date (as ``p_meet``)."""


class _Spec(Protocol):  # what this module reads of an EngineSpec
    workstreams: tuple[str, ...]
    preds: tuple[tuple[int, ...], ...]
    risks: tuple
    risk_links: tuple[np.ndarray, np.ndarray, np.ndarray]
    risk_stages: list[list[int]]
    priority: tuple[int, ...] | None

    @property
    def conditional(self) -> bool: ...


def upstream(preds: Sequence[Sequence[int]], milestone: int) -> set[int]:
    """The workstreams whose finish can move ``milestone``'s finish (itself included);
    every workstream for the programme end (-1).

    Parameters
    ----------
    preds : sequence of sequence of int
        Each workstream's predecessors (indices).
    milestone : int
        The milestone workstream's index, or -1 for the programme end.

    Returns
    -------
    set of int
        Workstream indices.
    """
    if milestone < 0:
        return set(range(len(preds)))
    seen, todo = {milestone}, [milestone]
    while todo:
        for p in preds[todo.pop()]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def _can_move(spec: _Spec, milestone: int) -> set[int]:
    """The workstreams whose work can move ``milestone``'s finish: ``upstream`` by the
    links; where people wait (``priority``: the order workstreams are placed in), also
    every workstream placed before it, as it may hold people the milestone waits for."""
    up = upstream(spec.preds, milestone)
    if spec.priority is not None and milestone >= 0:
        placed = list(spec.priority)
        up |= set(placed[:placed.index(milestone) + 1])
    return up


def risk_stages(spec: _Spec) -> list[list[int]]:
    """Risk indices by stage, each stage in an order where a risk comes after the risks
    its clauses name. Raises ``ValueError`` for a loop (a risk conditioned on a target it
    delays, or conditions that go round).

    Parameters
    ----------
    spec : EngineSpec
        Read: ``risks``, ``risk_links``, ``preds`` and ``priority``.

    Returns
    -------
    list of list of int
        Stage 0 first; without conditional risks, one stage holding every risk.

    Raises
    ------
    ValueError
        A risk depends on a finish it delays, or risk conditions go round.
    """
    risks = spec.risks
    if not any(r.when for r in risks):
        return [list(range(len(risks)))]
    kind, first, node = spec.risk_links
    hits = [set(int(j) for j in node[first[r]:first[r + 1]]) for r in range(len(risks))]
    level: dict[int, int] = {}
    visiting: list[int] = []

    def level_of(r: int) -> int:
        if r in level:
            return level[r]
        if r in visiting:
            loop = " -> ".join(risks[i].key for i in visiting[visiting.index(r):] + [r])
            raise ValueError(f"risk conditions go round: {loop}")
        visiting.append(r)
        lv = 0
        for clause, target, _ in risks[r].when:
            if clause in ("risk", "not_risk"):
                lv = max(lv, level_of(target))
                continue
            up = _can_move(spec, target)
            movers = [a for a in range(len(risks)) if hits[a] & up]
            if r in movers:
                raise ValueError(f"risk {risks[r].key!r} depends on a finish it delays")
            lv = max(lv, 1 + max((level_of(a) for a in movers), default=0))
        visiting.pop()
        level[r] = lv
        return lv

    order: list[int] = []
    placed: set[int] = set()

    def place(r: int) -> None:  # parents first
        if r in placed:
            return
        for clause, target, _ in risks[r].when:
            if clause in ("risk", "not_risk"):
                place(target)
        placed.add(r)
        order.append(r)

    for r in range(len(risks)):
        level_of(r)
    for r in range(len(risks)):
        place(r)
    stages: list[list[int]] = [[] for _ in range(max(level.values()) + 1)]
    for r in order:
        stages[level[r]].append(r)
    return stages


def _holds(clause: str, target: int, weeks: float, fired: np.ndarray,
           finish: np.ndarray | None, end: np.ndarray | None) -> np.ndarray:
    if clause == "risk":
        return fired[target]
    if clause == "not_risk":
        return ~fired[target]
    assert finish is not None and end is not None  # target clauses come after a schedule
    at = end if target < 0 else finish[target]
    late = at > weeks + LATE_TOLERANCE
    return late if clause == "late" else ~late


Schedule = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def resolve_fired(spec: _Spec, drawn: np.ndarray, schedule: Schedule) -> np.ndarray:
    """Which risks fire (risks x iterations): ``drawn`` where every clause holds.

    ``schedule(fired)`` gives (finish, end) with the risks ``fired``; it is called once
    per stage after the first, with the later stages' risks not (yet) fired.

    Parameters
    ----------
    spec : EngineSpec
        Read: ``risks``, ``risk_stages`` and ``conditional``.
    drawn : ndarray of bool
        Whether each risk was drawn to fire, risks x iterations.
    schedule : callable
        ``schedule(fired) -> (finish, end)``.

    Returns
    -------
    ndarray of bool
        Risks x iterations; ``drawn`` itself when no risk is conditional.
    """
    if not spec.conditional:
        return drawn
    fired = drawn.copy()
    later = [r for stage in spec.risk_stages[1:] for r in stage]
    fired[later] = False
    finish = end = None
    for k, stage in enumerate(spec.risk_stages):
        if k:
            finish, end = schedule(fired)
        for r in stage:
            keep = drawn[r].copy()
            for clause, target, weeks in spec.risks[r].when:
                keep &= _holds(clause, target, weeks, fired, finish, end)
            fired[r] = keep
    return fired
