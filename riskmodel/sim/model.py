"""What the engine works on: the spec, a block's draws and what it produces.

``EngineSpec`` holds everything the engine needs as plain numbers, indices and
distributions; ``Draws`` are a block's sampled inputs, ``Outcome`` what evaluating them
gives, ``BlockResult`` what a block keeps. ``BLOCK`` iterations make a block. Sampling and
evaluating a block are in ``block.py``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from .conditions import risk_stages
from .distributions import Distribution
from .network import (
    FS,
    WorkCalendar,
    end_nodes,
    topological_order,
)
from .random import Sampling

__all__ = ["BLOCK", "Workspace", "Clause", "RiskSpec", "EngineSpec", "Draws", "Outcome",
           "BlockResult"]

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
        """An uninitialised array called ``name``, in memory kept from earlier blocks.

        Parameters
        ----------
        name : str
            The buffer's name; one buffer per name and dtype.
        shape : tuple of int
            The array's shape.
        dtype : dtype, default float

        Returns
        -------
        ndarray
            A view of the buffer (grown if it was too small), overwritten by the next use
            of ``name``.
        """
        key = (name, np.dtype(dtype))
        size = math.prod(shape)
        buf = self._buffers.get(key)
        if buf is None or buf.size < size:
            buf = self._buffers[key] = np.empty(size, dtype)
        return buf[:size].reshape(shape)


def _array(work: Workspace | None, name: str, shape: tuple[int, ...], dtype=float):
    return np.empty(shape, dtype) if work is None else work.array(name, shape, dtype)


Clause = tuple[Literal["risk", "not_risk", "late", "on_time"], int, float]
"""A condition on a risk: ("risk" | "not_risk", risk index, 0) on another risk firing, or
("late" | "on_time", milestone workstream index or -1 for the end, weeks) on a finish
being after (late) or by (on time) that many weeks from the start."""


@dataclass(frozen=True)
class RiskSpec:
    """A discrete risk event: fires with ``probability``; one impact draw for all it affects.

    With ``when`` clauses it is drawn only in the iterations where every clause holds,
    and ``probability`` is the probability given that they hold.
    """

    key: str
    probability: float
    affects: tuple[int, ...] = ()
    kind: Literal["delay", "factor"] | None = None
    impact: Distribution | None = None
    cost: Distribution | None = None
    when: tuple[Clause, ...] = ()


@dataclass
class EngineSpec:
    """Everything the engine needs, as plain numbers, indices and distributions.

    Workstream j depends on ``preds[j]`` with ``lags[j]`` (weeks; negative: a lead) and
    ``link_types[j]`` (codes of ``network.LINK_TYPES``: 0 FS, 1 SS, 2 FF, 3 SF; None:
    every link FS); ``sinks`` are the workstreams whose finish can be the end.
    ``weekly_rate[j]`` is workstream j's labour cost per working week (staffing x rates);
    ``overhead`` holds (weekly cost, workstream index or -1 for the end) pairs: a cost
    accruing from the start until that finish. Both hold the certain part of the money:
    ``rates`` are the uncertain unit rates (input key, distribution): role weekly rates
    (``rate:<role>``) and overhead weekly costs (``overhead:<id>``); workstream j uses
    ``rate_staffing[k, j]`` units of rate k per working week and overhead o
    ``overhead_staffing[o, k]`` per week (``labour_rates``, ``overhead_rates``).
    ``correlated`` are the input keys given rank correlation by one Gaussian copula
    (lower Cholesky factor ``corr_factor``, rows in that order); ``milestones`` are
    workstream indices whose finish is kept per iteration. For a re-forecast from a
    status date, ``earliest``/``pinned`` hold earliest and actual starts (NaN: none),
    ``duration_offset`` working time already done, ``frozen`` the finished
    workstreams, which risks no longer touch, and ``cost_offset`` a constant added to
    every iteration's cost (recorded actual costs in place of the plan's), and
    ``rate_offset[k]`` the units of uncertain rate k it takes off (priced per iteration).
    Levelling (``levelling``): ``limited_roles`` have a capacity, ``capacity[r]`` = (from
    times, FTE) steps with the first time -inf; workstream j needs ``demand[r, j]`` FTE of
    role r; ``priority`` is the order workstreams are placed in (None: no levelling).
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
    correlated: tuple[str, ...] = ()
    corr_factor: np.ndarray | None = None
    calendar: WorkCalendar | None = None
    sampling: Sampling = "lhs"
    rank_risks: bool = True
    earliest: np.ndarray | None = None
    pinned: np.ndarray | None = None
    duration_offset: np.ndarray | None = None
    frozen: tuple[int, ...] = ()
    cost_offset: float = 0.0
    link_types: tuple[tuple[int, ...], ...] | None = None
    rates: tuple[tuple[str, Distribution], ...] = ()
    rate_staffing: np.ndarray | None = None
    overhead_staffing: np.ndarray | None = None
    rate_offset: np.ndarray | None = None
    limited_roles: tuple[str, ...] = ()
    demand: np.ndarray | None = None
    capacity: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    priority: tuple[int, ...] | None = None
    order: list[int] = field(init=False, repr=False)
    succs: list[list[int]] = field(init=False, repr=False)
    succ_lags: list[list[float]] = field(init=False, repr=False)
    succ_types: list[list[int]] | None = field(init=False, repr=False)
    sinks: list[int] = field(init=False, repr=False)
    risk_stages: list[list[int]] = field(init=False, repr=False)
    fixed_index: list[int] = field(init=False, repr=False)
    risk_links: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False, repr=False)

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
        self.succ_types = None
        if self.link_types is not None:  # successor links' types, as succs and succ_lags
            self.succ_types = [[] for _ in range(n)]
            for ps, ts in zip(self.preds, self.link_types):
                for p, t in zip(ps, ts):
                    self.succ_types[p].append(t)
        self.sinks = end_nodes(self.succ_lags, self.succ_types)
        self.fixed_index = [j for j, d in enumerate(self.fixed_costs) if d is not None]
        # (kind, first, node): risk r is a factor (1) or delay (2) on node[first[r]:first[r+1]]
        frozen = set(self.frozen)
        hit = [[j for j in r.affects if j not in frozen] for r in self.risks]
        self.risk_links = (
            np.array([{"factor": 1, "delay": 2}.get(r.kind or "", 0) for r in self.risks],
                     np.int64),
            np.concatenate([[0], np.cumsum([len(h) for h in hit])]).astype(np.int64),
            np.array([j for h in hit for j in h], dtype=np.int64),
        )
        self.risk_stages = risk_stages(self)

    @property
    def conditional(self) -> bool:
        """Whether any risk has ``when`` clauses."""
        return any(r.when for r in self.risks)

    @property
    def sparse_risk_off(self) -> bool:
        """Whether ``risk_off``'s sparse re-scheduling applies: switching a risk off
        changes only what that risk hits and what follows. Otherwise (a risk that
        conditions another, uncertain rates, or levelling, where a shorter workstream
        frees people for another) each switched-off run is evaluated again in full."""
        # typed links too: the sparse pass knows FS links only (leads are fine)
        return (not self.conditional and not self.rates and not self.typed_links
                and not self.levelling)

    @property
    def levelling(self) -> bool:
        """Whether workstreams wait for limited people (some role has a capacity)."""
        return self.priority is not None

    @property
    def typed_links(self) -> bool:
        """Whether any dependency is SS, FF or SF (not finish-to-start)."""
        return self.link_types is not None and any(
            t != FS for ts in self.link_types for t in ts)

    def labour_rates(self, rate: np.ndarray | None) -> np.ndarray:
        """Each workstream's labour cost per working week, per iteration of the
        uncertain rates' draws ``rate`` (rates x iterations): workstreams x iterations
        (x 1 without uncertain rates).

        Parameters
        ----------
        rate : ndarray or None
            Draws of the uncertain rates, rates x iterations (None when there are none).

        Returns
        -------
        ndarray
            Workstreams x iterations, or workstreams x 1 without uncertain rates.
        """
        out = self.weekly_rate[:, None]
        if self.rates:
            assert rate is not None and self.rate_staffing is not None  # set together
            out = out + sum(self.rate_staffing[k][:, None] * rate[k]
                            for k in range(len(self.rates)))
        return out

    def overhead_rates(self, rate: np.ndarray | None) -> list[float | np.ndarray]:
        """Each overhead's cost per week: a number, or per iteration of ``rate``.

        Parameters
        ----------
        rate : ndarray or None
            Draws of the uncertain rates, rates x iterations (None when there are none).

        Returns
        -------
        list of float or ndarray
            One entry per overhead (in the order of ``overhead``).
        """
        out: list[float | np.ndarray] = [weekly for weekly, _ in self.overhead]
        if self.rates:
            assert rate is not None and self.overhead_staffing is not None  # set together
            for o, units in enumerate(self.overhead_staffing):
                for k in np.flatnonzero(units):
                    out[o] = out[o] + units[k] * rate[k]
        return out

    def without_risks(self, keys: Sequence[str]) -> EngineSpec:
        """The same spec with the named risks switched off (their draws are still made).

        Parameters
        ----------
        keys : sequence of str
            The risks' keys.

        Returns
        -------
        EngineSpec
            A copy whose named risks have probability 0.
        """
        off = set(keys)
        risks = tuple(replace(r, probability=0.0) if r.key in off else r for r in self.risks)
        return replace(self, risks=risks)


@dataclass
class Draws:
    """Sampled inputs for one block (arrays are inputs x iterations).

    ``fixed`` has a row per workstream with a fixed cost (``spec.fixed_index``).
    ``fired`` is whether each risk is drawn; a conditional risk fires only where its
    clauses also hold (``Outcome.fired``). ``rate`` has a row per uncertain rate
    (``spec.rates``; None when there are none).
    """

    duration: np.ndarray
    fixed: np.ndarray
    fired: np.ndarray
    impact: np.ndarray
    risk_cost: np.ndarray
    programme: np.ndarray
    rate: np.ndarray | None = None


@dataclass
class Outcome:
    """What one block of iterations produced."""

    duration: np.ndarray  # working duration including risk impacts
    finish: np.ndarray
    end: np.ndarray
    cost: np.ndarray
    critical: np.ndarray
    late_start: np.ndarray | None = None  # latest start keeping the end (backward pass)
    fired: np.ndarray | None = None  # risks that fired (drawn, and their clauses hold)
    unlevelled: np.ndarray | None = None  # finishes had nobody waited for people


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
    without_risk: dict[str, tuple[np.ndarray, ...]] | None = None
    no_risks: dict[str, np.ndarray] | None = None
    norisk_duration_sum: np.ndarray | None = None
    norisk_finish_sum: np.ndarray | None = None
    triggered_cost_sum: np.ndarray | None = None  # per risk: other risks' cost it brings
    unlevelled: dict[str, np.ndarray] | None = None  # end, milestones without levelling
    # with uncertain rates (spec.rates): sums of each rate ("rate"), of rate k x workstream
    # j's working duration ("rate_duration", rates x workstreams) and x the weeks overhead
    # o runs ("rate_weeks", rates x overheads); "norisk_...": in the run without risks
    rate_sums: dict[str, np.ndarray] | None = None
