"""What drives the date: criticality, near-criticality, sensitivities, cruciality, SSI.

Workstreams are measured by their *base* estimate (the sampled duration before any
risk fires), not by their working duration: a risk's delay is the risk's doing and is
ranked once, in the risk table (``analysis.risks``). Measuring working durations would
count the same events twice, once in each tornado, and let a workstream that a big
risk hits look like a driver whatever its own estimate says.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .table import Table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .sample import Sample

__all__ = ["drivers", "driver_columns", "rank_correlation", "near_criticality",
           "NEAR_CRITICAL_WEEKS", "DRIVER_MEASURE"]

NEAR_CRITICAL_WEEKS = 0.5
"""Total float (calendar weeks) at or below which a workstream counts as near-critical.

Half a week is 2.5 working days (float is in calendar weeks: 3.5 days). The
scenarios' estimates are given in half weeks (``min: 1.5, mode: 2, max: 2.5``), so a
float smaller than that is inside the resolution of the estimates themselves: one
slip of the size already in the ranges makes the workstream critical. Where estimates
are finer or coarser, pass another ``near_critical_weeks``.
"""

DRIVER_MEASURE = "cruciality"
"""The column the default driver chart ranks by (``plots.driver_tornado``).

Cruciality = criticality x sensitivity. It is zero for a workstream that is never
critical, however strongly its estimate is correlated with the finish through other
workstreams; it is rank-based and so bounded in [-1, 1] and not dominated by one
long-tailed estimate; and it reads as "how often it sets the date, times how closely
its estimate moves the date". The SSI (criticality x sd ratio) is also zero off the
critical path, but its sd ratio counts the whole spread of the estimate, also the part
spent while another path is longer, and it is unbounded and moment-based, so one
long-tailed estimate can top the chart.
"""

_FLOAT_ATOL = 1e-6
"""Weeks (under a second): total float is kept in float32, so 0.5 may read 0.5000001."""


def _average_ranks(x: np.ndarray, rows: int = 16) -> np.ndarray:
    """Ranks along the last axis, ties given their average rank: the numbers of
    ``scipy.stats.rankdata(x, axis=-1)`` (half-integers, exact), without importing
    scipy.stats, a few rows at a time so that the sort's scratch stays small. A value
    tied with none has rank 1 + its place in order; only runs of equal values (rare in
    continuous samples) are averaged, and they get one rank whatever their order, so
    the sort need not be stable."""
    x = np.atleast_2d(x)
    n = x.shape[-1]
    out = np.empty(x.shape, dtype=float)
    untied = np.arange(1.0, n + 1)
    for r0 in range(0, x.shape[0], rows):
        part = x[r0:r0 + rows]
        order = np.argsort(part, axis=-1)
        xs = np.take_along_axis(part, order, axis=-1)
        rank = np.tile(untied, (len(part), 1))
        row, at = np.nonzero(xs[:, 1:] == xs[:, :-1])  # place ``at`` ties with at + 1
        if len(at):
            first = np.ones(len(at), dtype=bool)  # the first tie of a run of equal values
            first[1:] = (row[1:] != row[:-1]) | (at[1:] != at[:-1] + 1)
            last = np.append(first[1:], True)
            mean = 0.5 * (at[first] + at[last] + 1) + 1.0  # of the places from first to last
            run = np.cumsum(first) - 1
            rank[row, at] = mean[run]
            rank[row, at + 1] = mean[run]
        np.put_along_axis(out[r0:r0 + rows], order, rank, axis=-1)
    return out


def _centred(y: np.ndarray) -> tuple[np.ndarray, float]:
    """Ranks of ``y`` less their mean, and the root of their sum of squares."""
    ry = _average_ranks(np.asarray(y, dtype=float))[0]
    ry -= ry.mean()
    return ry, math.sqrt((ry**2).sum())


def _spearman_rows(x: np.ndarray, ys: list, rows: int = 16) -> np.ndarray:
    """Spearman correlation of each row of ``x`` with each of ``ys`` (0 where either is
    constant), ranked ``rows`` rows at a time: the ranks of 16 rows are held at once, not
    of all of them (26 MB at 200 workstreams x 16,384 kept iterations). Each row's mean,
    squares and products are summed pairwise along the row: not BLAS, whose sums depend
    on the CPU and whose threads would spin beside a single-process run."""
    centred = [_centred(y) for y in ys]
    out = np.empty((len(ys), len(x)))
    for r0 in range(0, len(x), rows):
        part = x[r0:r0 + rows]
        rx = _average_ranks(part)
        rx -= rx.mean(axis=1, keepdims=True)
        sx = np.sqrt((rx**2).sum(axis=1))
        flat = np.ptp(part, axis=1) == 0
        for k, (ry, sy) in enumerate(centred):
            with np.errstate(invalid="ignore", divide="ignore"):
                rho = (rx * ry).sum(axis=1) / (sx * sy)
            out[k, r0:r0 + rows] = np.where(flat | (sy == 0), 0.0, rho)
    return out


def _row_moments(x: np.ndarray, rows: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each row in float64: the numbers of
    ``x.astype(float).mean(axis=1)`` and ``.std(axis=1)``, a few rows at a time so that
    no float64 copy of the whole of ``x`` is made."""
    means, sds = [], []
    for r0 in range(0, len(x), rows):
        part = x[r0:r0 + rows].astype(float)
        means.append(part.mean(axis=1))
        sds.append(part.std(axis=1))
    return np.concatenate(means), np.concatenate(sds)


def rank_correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``x`` with ``y`` (0 where a row is constant).

    Ties get their average rank, so discrete inputs (empirical durations, fired or not)
    are measured correctly.

    Parameters
    ----------
    x : array_like, shape (rows, n) or (n,)
        One sample per row.
    y : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (rows,)
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    return _spearman_rows(x, [y])[0]


def near_criticality(total_float: np.ndarray,
                     threshold: float = NEAR_CRITICAL_WEEKS) -> np.ndarray:
    """Share of iterations in which each workstream's total float is at most ``threshold``.

    Parameters
    ----------
    total_float : ndarray, shape (workstreams, iterations)
        Latest start less start, in calendar weeks (``detail["total_float"]``).
    threshold : float
        Weeks of float at or below which a workstream is near-critical
        (``NEAR_CRITICAL_WEEKS`` = half a week by default). Zero gives the criticality.

    Returns
    -------
    ndarray, shape (workstreams,)
        Includes the iterations in which the workstream is critical (zero float).

    Raises
    ------
    ValueError
        ``threshold`` is negative.
    """
    if threshold < 0:
        raise ValueError(f"near-critical threshold must be >= 0 weeks, got {threshold}")
    return (np.asarray(total_float) <= threshold + _FLOAT_ATOL).mean(axis=1)


def drivers(result: Sample,
            near_critical_weeks: float = NEAR_CRITICAL_WEEKS) -> pd.DataFrame:
    """Per workstream: how often it sets the date, and how much its own estimate moves it.

    Parameters
    ----------
    result : SimulationResult
    near_critical_weeks : float
        Float threshold of the near-critical index (default ``NEAR_CRITICAL_WEEKS``,
        half a week = 2.5 working days: the resolution of the estimates).

    Returns
    -------
    DataFrame
        Indexed by workstream id, columns:

        - ``criticality``: share of iterations with zero total float (all iterations);
        - ``near_criticality``: share of iterations with total float <= ``near_critical_weeks``
          (so at least the criticality, up to Monte Carlo noise; from the detail sample);
        - ``sensitivity``: Spearman correlation of the workstream's *base* duration
          (its sampled estimate, before risks) with the programme finish;
        - ``cost_sensitivity``: the same with the total cost;
        - ``cruciality``: criticality x sensitivity; zero for a never-critical workstream.
          The default ranking (``DRIVER_MEASURE``);
        - ``ssi``: schedule sensitivity index, criticality x sd(base duration) / sd(finish)
          (PMI Practice Standard for Project Risk Management); 1 for a single task;
        - ``mean_duration`` (working, with risks), ``mean_base_duration``,
          ``plan_duration`` (working weeks), ``finish_p50``, ``finish_p80``,
          ``plan_start``, ``plan_finish`` (weeks from the start date),
          ``on_plan_critical_path``.

        ``attrs["near_critical_weeks"]`` holds the threshold used.

    Notes
    -----
    Risk delays and factors are left out of every sensitivity on purpose: a risk's
    effect is measured once, by switching it off on the same draws (``risk_ranking``).
    A workstream with a fixed estimate therefore has sensitivity 0 even when a risk on
    it moves the finish. Sensitivities, near-criticality and the SSI use the
    iterations kept in ``result.detail`` (all of them up to ``DETAIL_CELLS``).
    """
    return driver_columns(result, near_critical_weeks).frame()


def driver_columns(result: Sample, near_critical_weeks: float = NEAR_CRITICAL_WEEKS) -> Table:
    """``drivers``' table as columns (no pandas), indexed by workstream id, with
    ``attrs["near_critical_weeks"]``; the parameters and errors are ``drivers``'."""
    d = result.detail
    base = d["base_duration"]  # ranked as kept (float32): the same order as in float64
    n = base.shape[1]
    finish, cost = result.finish[:n], result.cost[:n]
    crit = np.array(result.criticality_, dtype=float)  # a copy: the table is handed out
    sens_f, sens_c = _spearman_rows(base, [finish, cost])  # ranked once for both
    mean_base, sd_base = _row_moments(base)
    sd_f = finish.std()
    ssi = crit * sd_base / sd_f if sd_f > 0 else np.zeros(len(base))
    # sorted once (numpy partitions sorted rows quickly), then partitioned in place: the
    # same percentiles, and no second copy of the rows
    finishes = np.sort(d["finish"], axis=1)
    p50, p80 = (np.percentile(finishes, q, axis=1, overwrite_input=True) for q in (50, 80))
    return Table(
        "workstream", list(result.workstream_ids),
        {
            "name": [w.name or w.id for w in result.scenario.workstreams],
            "criticality": crit,
            "near_criticality": near_criticality(d["total_float"], near_critical_weeks),
            "sensitivity": sens_f,
            "cost_sensitivity": sens_c,
            "cruciality": crit * sens_f,
            "ssi": ssi,
            "mean_duration": result.mean_duration_.copy(),
            "mean_base_duration": mean_base,
            "plan_duration": result.plan["workstream_duration"].copy(),
            "finish_p50": p50.astype(float),
            "finish_p80": p80.astype(float),
            "plan_start": result.plan["workstream_start"].copy(),
            "plan_finish": result.plan["workstream_finish"].copy(),
            "on_plan_critical_path": result.plan["critical"].copy(),
        },
        {"near_critical_weeks": float(near_critical_weeks)},
    )
