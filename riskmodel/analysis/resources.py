"""What limited people do to the forecast: demand against capacity, and time spent waiting.

Both compare the levelled schedule (workstreams wait for their people) with the schedule
had nobody waited, on the same draws (``SimulationResult.unlevelled``, and the
``free_start``/``free_finish`` detail): the difference is what levelling costs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..sim.kernels import fte_by_week
from .table import Table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .sample import Sample

__all__ = ["waiting", "role_demand", "role_demand_columns", "bottleneck", "nearest_capacity",
           "MATTERS_WEEKS", "MATTERS_POINTS"]

MATTERS_WEEKS = 0.5
"""Waiting that moves the P80 date by at least this many weeks is worth a sentence."""
MATTERS_POINTS = 0.02
"""... as is a change in P(meet) of at least this much."""


def waiting(result: Sample) -> dict[str, Any] | None:
    """Lateness due to waiting for people (None without capacities).

    ``p50_shift_weeks``/``p80_shift_weeks``: how far waiting moves the P50 and P80 of the
    programme end (the percentile with levelling minus the one had nobody waited, on the
    same draws: what the dates shown move by); ``p50_weeks``/``p80_weeks``/``mean_weeks``:
    percentiles and mean over the futures of each one's own wait (in one future in five
    it adds ``p80_weeks`` or more); ``share_waiting``: share of futures where waiting
    moved the end; ``p_meet_change``: P(headline target) with levelling minus without
    (negative: waiting lowers the odds); ``matters``: whether a report should say so.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).

    Returns
    -------
    dict or None
    """
    spec = result.spec
    if spec is None or not spec.limited_roles:
        return None
    free = result.unlevelled
    if free is None:  # capacities that can never bind (``levelling.can_bind``)
        target = result.primary_target
        return {"p50_shift_weeks": 0.0, "p80_shift_weeks": 0.0, "p50_weeks": 0.0,
                "p80_weeks": 0.0, "mean_weeks": 0.0, "share_waiting": 0.0,
                "p_meet_change": 0.0, "target": target.id, "matters": False}
    wait = result.finish - free["end"]
    target = result.primary_target
    when = result.weeks(target.date) + 1e-12
    if target.milestone in result.milestone_finish:
        at = result.spec.milestones.index(result.spec.workstreams.index(target.milestone))
        p_free = float(np.mean(free["milestones"][at] <= when))
    else:
        p_free = float(np.mean(free["end"] <= when))
    change = result.p_meet(target.date, target.milestone) - p_free
    p50, p80 = (float(x) for x in np.percentile(wait, [50, 80]))
    with_, without = np.percentile(result.finish, [50, 80]), np.percentile(free["end"],
                                                                            [50, 80])
    s50, s80 = (float(a - b) for a, b in zip(with_, without))
    return {"p50_shift_weeks": s50, "p80_shift_weeks": s80, "p50_weeks": p50,
            "p80_weeks": p80, "mean_weeks": float(wait.mean()),
            "share_waiting": float(np.mean(wait > 1e-9)), "p_meet_change": change,
            "target": target.id,
            "matters": bool(s80 >= MATTERS_WEEKS or abs(change) >= MATTERS_POINTS)}


def _weekly(start: np.ndarray, finish: np.ndarray, fte: np.ndarray, weeks: int,
            work: np.ndarray) -> tuple[int, np.ndarray]:
    """FTE in use in each week [k, k + 1) (weeks x iterations): each workstream's FTE times
    the share of the week it runs; as (first, table), the table holding the weeks from
    ``first`` on in which anyone works (the others are all zero).

    A workstream running over [s, f) adds ``fte * clip(k + 1 - s, 0, 1)`` to week k and
    takes ``fte * clip(k + 1 - f, 0, 1)`` away: each edge x is a ramp that puts
    ``1 - frac(x)`` in its own week and ``frac(x)`` in the next, summed over the weeks
    after it. So each edge is written once and a running sum gives the table (a pass
    over the workstreams that need the role, not over every week of every workstream).
    The table is written in ``work`` (at least weeks + 2 x iterations).
    """
    rows = np.flatnonzero(fte)
    if not rows.size:
        return 0, np.zeros((0, start.shape[1]))
    # an edge before week 0 counts from week 0 (fte_by_week clips each edge)
    first = int(max(min(start[j].min() for j in rows), 0.0))
    last = min(weeks, int(max(max(finish[j].max() for j in rows), 0.0)) + 1)
    if first >= last:
        return 0, np.zeros((0, start.shape[1]))
    table = work[:last - first + 2]  # the two rows after the last are workspace
    # the running sum's last bits where nobody works (and no -0.0): they grow with the FTE
    fte_by_week(start, finish, rows, fte, first, last, 1e-12 * fte[rows].sum(), table)
    out = table[:last - first]
    return first, out


def _by_week(start, finish, fte, weeks: int, levels, work: np.ndarray) -> np.ndarray:
    """The ``levels`` percentiles of ``_weekly``'s FTE in each week (levels x weeks)."""
    first, table = _weekly(start, finish, fte, weeks, work)
    out = np.zeros((len(levels), weeks))
    if len(table):
        out[:, first:first + len(table)] = np.percentile(table, levels, axis=1,
                                                         overwrite_input=True)
    return out


def role_demand(result: Sample, levels=(50, 90)) -> dict[str, pd.DataFrame]:
    """Per capacity-limited role, by week from the start: the FTE demanded had nobody
    waited (``demand_p50``, ``demand_p90``), the FTE at work in the levelled schedule
    (``in_use_p50``, ``in_use_p90``) and the ``capacity``. From the iterations kept in
    detail. Empty without capacities.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    levels : sequence of int
        The two percentile levels (default P50 and P90).

    Returns
    -------
    dict of str to pandas.DataFrame
        Indexed by week from the start.
    """
    return {role: table.frame() for role, table in role_demand_columns(result, levels).items()}


def role_demand_columns(result: Sample, levels=(50, 90)) -> dict[str, Table]:
    """``role_demand``'s tables as columns (no pandas), by role, indexed by week from
    the start; the parameters are ``role_demand``'s."""
    spec = result.spec
    if spec is None or not spec.limited_roles:
        return {}
    from ..sim.block import start_of

    d = result.detail
    finish = d["finish"].astype(float)
    start = start_of(spec, finish, d["duration"].astype(float))
    if "free_finish" in d:
        free_s, free_f = d["free_start"].astype(float), d["free_finish"].astype(float)
    else:  # nobody could wait: demanded is what ran
        free_s, free_f = start, finish
    weeks = int(np.ceil(np.percentile(finish.max(axis=0), 99))) + 1
    out = {}
    work = np.empty((weeks + 2, start.shape[1]))  # one table's space, for every table
    for r, role in enumerate(spec.limited_roles):
        in_use = _by_week(start, finish, spec.demand[r], weeks, levels, work)
        demand = in_use if free_f is finish else \
            _by_week(free_s, free_f, spec.demand[r], weeks, levels, work)
        times, fte = spec.capacity[r]
        table = {f"demand_p{q}": values for q, values in zip(levels, demand)}
        table.update({f"in_use_p{q}": values for q, values in zip(levels, in_use)})
        table["capacity"] = fte[np.searchsorted(times, np.arange(weeks), side="right") - 1]
        out[role] = Table("week", list(np.arange(weeks)), table)
    return out


def bottleneck(demand: dict[str, Table] | dict[str, pd.DataFrame]) -> tuple[str, list[int]] | None:
    """The role whose median demand exceeds its capacity in the most weeks, and those
    weeks (None if no role's does).

    Parameters
    ----------
    demand : dict of str to Table or DataFrame
        ``role_demand_columns``' or ``role_demand``'s tables.

    Returns
    -------
    tuple of (str, list of int) or None
    """
    best = None
    for role, table in demand.items():
        short = np.asarray(table["demand_p50"]) > np.asarray(table["capacity"]) + 1e-9
        over = [int(k) for k, hit in zip(table.index, short) if hit]
        if over and (best is None or len(over) > len(best[1])):
            best = (role, over)
    return best


def nearest_capacity(demand: dict[str, Table] | dict[str, pd.DataFrame]) -> str | None:
    """The role whose P90 demand comes nearest its capacity (as a share of it), in its
    closest week: the role to show when none is over capacity (None without roles).

    Parameters
    ----------
    demand : dict of str to Table or DataFrame
        ``role_demand_columns``' or ``role_demand``'s tables.

    Returns
    -------
    str or None
        The role's id.
    """
    if not demand:
        return None

    def share(table) -> float:
        capacity = np.asarray(table["capacity"], dtype=float)
        some = capacity > 0
        if not some.any():
            return 0.0
        shares = np.asarray(table["demand_p90"], dtype=float)[some] / capacity[some]
        shares = shares[~np.isnan(shares)]
        return float(shares.max()) if shares.size else np.nan

    return max(demand, key=lambda role: share(demand[role]))
