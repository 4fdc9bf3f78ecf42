"""Joint confidence of date and cost (NASA JCL)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .percentiles import sorted_percentiles

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .sample import Sample

__all__ = ["jcl_frontier", "promise", "jcl_summary"]


def jcl_frontier(result: Sample, confidence: float = 0.7,
                 milestone: str | None = None, points: int = 40) -> pd.DataFrame:
    """(date, budget) pairs with a joint confidence of ``confidence`` (NASA JCL).

    For each date from the ``confidence`` percentile of the finish to the latest
    finish, the smallest budget B with P(finish <= date and cost <= B) >= confidence.
    Indexed by the date (the finish in ``weeks`` rounded up to a day, as shown to
    people); columns ``weeks`` and ``budget``.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    confidence : float
        Joint confidence between 0 and 1.
    milestone : str, optional
        Default: the headline target's milestone.
    points : int
        How many dates.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        ``confidence`` is not strictly between 0 and 1.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    import pandas as pd

    milestone = result.primary_target.milestone if milestone is None else milestone
    dates, weeks, budgets = _frontier(result, _by_finish(result, milestone), confidence,
                                      points)
    return pd.DataFrame({"weeks": weeks, "budget": budgets},
                        index=pd.DatetimeIndex([pd.Timestamp(d) for d in dates], name="date"))


def _by_finish(result: Sample, milestone: str) -> tuple[np.ndarray, np.ndarray]:
    """The finishes in order, and the costs in the same order (among equal finishes in
    any order: a date takes all of them or none)."""
    finish = result.finish_of(milestone)
    order = np.argsort(finish)
    return finish[order], result.cost[order]


def _frontier(result: Sample, by_finish: tuple[np.ndarray, np.ndarray], confidence: float,
              points: int) -> tuple[list, list[float], list[float]]:
    """``jcl_frontier``'s dates, weeks and budgets from the finishes in order and their
    costs (``_by_finish``).

    The budget at a date is the need-th least cost of the futures finished by then
    (need = ``confidence`` x the futures). Later dates never need more, and no date
    needs less than the need-th least cost of all futures (``floor``): the costs below
    it are only counted, and only those from it up to the last budget are searched.
    """
    f_sorted, c_by_f = by_finish
    need = math.ceil(confidence * len(f_sorted) - 1e-9)
    floor = np.partition(c_by_f, need - 1)[need - 1]
    high = c_by_f >= floor  # fewer than need futures cost less than the floor
    f_high, c_high = f_sorted[high], c_by_f[high]
    dates: list = []
    weeks: list[float] = []
    budgets: list[float] = []
    bound = np.inf
    for d in np.linspace(f_sorted[need - 1], f_sorted[-1], points):
        k = int(np.searchsorted(f_sorted, d, side="right"))
        if k < need:
            continue
        k_high = int(np.searchsorted(f_high, d, side="right"))
        rank = need - (k - k_high)  # the budget's rank among the costs from the floor up
        low = c_high[:k_high][c_high[:k_high] <= bound]  # holds the rank smallest of them
        budget = float(np.partition(low, rank - 1)[rank - 1])
        bound = budget
        dates.append(result.date_of(d))
        weeks.append(float(d))
        budgets.append(budget)
    return dates, weeks, budgets


def promise(result: Sample, confidence: float, budget: float | None = None,
            when=None, milestone: str | None = None) -> dict:
    """The date and budget pairs to promise at a joint confidence (NASA JCL).

    ``date_at_budget``: the earliest date d with P(finish <= d and cost <= budget) >=
    ``confidence`` (None if the budget alone is reached less often than that);
    ``budget_at_date``: the least budget B with P(finish <= the target date and cost <= B)
    >= ``confidence`` (None if the date alone is met less often than that). Defaults: the
    result's budget, the headline target's date and milestone.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    confidence : float
        Joint confidence between 0 and 1.
    budget : float, optional
    when : date, str or float, optional
    milestone : str, optional
        The defaults above.

    Returns
    -------
    dict
        ``confidence``, ``budget``, ``date_at_budget``, ``weeks_at_budget``, ``date``,
        ``budget_at_date``.

    Raises
    ------
    ValueError
        ``confidence`` is not strictly between 0 and 1.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    target = result.primary_target
    milestone = target.milestone if milestone is None else milestone
    budget = result.budget if budget is None else float(budget)
    when = target.date if when is None else when
    limit = result.weeks(when) + 1e-12
    finish, cost = result.finish_of(milestone), result.cost
    need = math.ceil(confidence * len(finish) - 1e-9)
    weeks = _nth_least(finish[cost <= budget], need)
    return {"confidence": confidence, "budget": budget,
            "date_at_budget": None if weeks is None else result.date_of(weeks).isoformat(),
            "weeks_at_budget": weeks,
            "date": when.isoformat() if hasattr(when, "isoformat") else str(when),
            "budget_at_date": _nth_least(cost[finish <= limit], need)}


def _nth_least(values: np.ndarray, n: int) -> float | None:
    """The n-th least of ``values`` (None if there are fewer); ``values`` is reordered."""
    if len(values) < n:
        return None
    values.partition(n - 1)
    return float(values[n - 1])


def jcl_summary(result: Sample, levels=(70, 80), points: int = 20) -> dict:
    """The ``jcl`` block of the summary document: P(target date and budget), the joint
    confidence of the separate P80 date and P80 cost, each level's frontier and the pair
    to promise from it.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Sample``).
    levels : sequence of int
        Joint confidence levels in percent.
    points : int
        Dates on each frontier.

    Returns
    -------
    dict
    """
    target = result.primary_target
    by_finish = _by_finish(result, target.milestone)  # sorted once for every level
    p80_weeks = float(sorted_percentiles(by_finish[0], [80])[0])
    p80_cost = float(np.percentile(result.cost, 80))
    p80_date = result.date_of(p80_weeks)  # as people see it: rounded up to a day
    out: dict[str, Any] = {"date": target.date.isoformat(), "budget": result.budget,
           "budget_source": result.budget_source, "probability": result.jcl(),
           "at_p80": {"date": p80_date.isoformat(), "budget": p80_cost,
                      "probability": result.jcl(p80_date, p80_cost)},
           "frontier": {}, "promise": {}}
    for level in levels:
        out["frontier"][str(level)] = [
            {"date": d.isoformat(), "weeks": w, "budget": b}
            for d, w, b in zip(*_frontier(result, by_finish, level / 100, points))]
        out["promise"][str(level)] = promise(result, level / 100)
    return out
