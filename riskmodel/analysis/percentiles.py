"""Percentiles as ``np.percentile`` gives them, read from a sample sorted once.

``np.percentile`` partitions the whole sample on every call. Where many percentiles of
one sample are read (the summary document reads the finish and the cost at a dozen
levels, in several tables), sorting it once and reading the order statistics is
quicker and gives the same numbers: numpy's default ("linear") method takes the two
order statistics either side of (n - 1) q and weights them as numpy weights them, which
``sorted_percentiles`` repeats step for step (the tests check it against
``np.percentile``).

``replaced_percentiles`` reads the percentiles of a sample with some of its values
replaced (the run with one risk switched off: only the futures where it occurred
change) from the sorted sample and the old and new values alone, without building and
partitioning the whole changed sample, and sorting only the old and new values near the
percentiles asked for.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["percentiles", "sorted_percentiles", "replaced_percentiles"]


def _positions(n: int, levels: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """numpy's linear method: the order statistics below and above each level's
    position (n - 1) q in a sample of ``n``, and the weight of the one above; levels
    outside [0, 100] (or NaN) are refused as ``np.percentile`` refuses them."""
    q = np.asarray(levels, dtype=float)
    if not ((q >= 0) & (q <= 100)).all():
        raise ValueError("Percentiles must be in the range [0, 100]")
    at = (n - 1) * (q / 100)
    below = np.floor(at)
    weight = at - below
    lower = below.astype(np.intp)
    return lower, np.minimum(lower + 1, n - 1), weight


def _interpolate(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """numpy's interpolation between order statistics ``a`` and ``b`` (from the nearer
    one: the same floats as ``np.percentile``)."""
    step = b - a
    return np.where(weight >= 0.5, b - step * (1 - weight), a + step * weight)


def sorted_percentiles(ordered: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """``np.percentile(x, levels)`` of a sample ``x``, read from ``np.sort(x)``.

    Parameters
    ----------
    ordered : ndarray
        The sample, one-dimensional float64, sorted ascending (NaNs last, as
        ``np.sort`` leaves them).
    levels : sequence of float
        Percentile levels from 0 to 100.

    Returns
    -------
    ndarray
        One value per level: the same floats as ``np.percentile`` (all NaN if the
        sample holds a NaN).

    Raises
    ------
    ValueError
        A level is outside [0, 100], as ``np.percentile`` says.
    """
    lower, upper, weight = _positions(len(ordered), levels)
    if np.isnan(ordered[-1]):
        return np.full(len(weight), ordered[-1])
    return _interpolate(ordered[lower], ordered[upper], weight)


def percentiles(values: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, levels)``, read from the values sorted (quicker than
    ``np.percentile`` for several levels; the same floats).

    Parameters
    ----------
    values : ndarray
        The sample, one-dimensional float64, in any order.
    levels : sequence of float
        Percentile levels from 0 to 100.

    Returns
    -------
    ndarray
        One value per level.
    """
    return sorted_percentiles(np.sort(values), levels)


def replaced_percentiles(ordered: np.ndarray, removed: np.ndarray, added: np.ndarray,
                         levels: Sequence[float]) -> np.ndarray:
    """``np.percentile`` of a sample with some values replaced, from its parts.

    The sample is ``ordered`` (sorted) with the values ``removed`` taken out and
    ``added`` put in: for the run with a risk switched off, the run's finishes sorted,
    the finishes of the futures where the risk occurred, and those futures' finishes
    without it. Costs a few counts over ``removed`` and ``added`` and a sort of those of
    their values that lie near each percentile, instead of building the changed sample
    and partitioning it.

    Parameters
    ----------
    ordered : ndarray
        The sample before the change, one-dimensional float64, sorted ascending.
    removed : ndarray
        Values of ``ordered`` taken out, in any order.
    added : ndarray
        Values put in, in any order.
    levels : sequence of float
        Percentile levels from 0 to 100.

    Returns
    -------
    ndarray
        One value per level: the same floats as ``np.percentile`` of the changed sample
        (but for the sign of a zero).

    Raises
    ------
    ValueError
        A value is not finite (NaN or infinite: take ``np.percentile`` of the whole
        changed sample instead), the changed sample is empty, or a level is outside
        [0, 100].
    """
    if not (np.isfinite(ordered[[0, -1]]).all() if len(ordered) else True) or \
            not all(np.isfinite(x).all() for x in (removed, added)):
        raise ValueError("replaced_percentiles needs finite values")
    size = len(ordered) - len(removed) + len(added)
    if size < 1:
        raise ValueError("replaced_percentiles: the changed sample is empty")
    lower, upper, weight = _positions(size, levels)
    values = np.empty((len(lower), 2))
    for k in range(len(lower)):  # each level's two ranks, side by side
        ranks = np.array([lower[k], upper[k]])
        near, out, into, below = _window(ordered, removed, added, ranks)
        values[k] = _order_statistics(near, out, into, ranks - below)
    return _interpolate(values[:, 0], values[:, 1], weight)


WINDOW = 1024
"""How many values of the sorted sample ``_window`` first looks at either side of the
ranks asked for, and adds to each move out."""


def _window(ordered: np.ndarray, removed: np.ndarray, added: np.ndarray,
            ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The parts of the changed sample in a range of values (lo, hi] that holds the
    values at ``ranks`` (0 the smallest): ``ordered``'s, and ``removed``'s and
    ``added``'s sorted, and how many values of the changed sample are at or below lo.

    lo and hi are values of ``ordered`` (or -inf, inf) either side of the ranks, moved
    out until at most min(ranks) values of the changed sample are at or below lo and
    more than max(ranks) at or below hi (each move by as many values as were too many,
    or too few, and ``WINDOW`` more): the value at each rank is then above lo and at
    most hi, and within the range it is at its rank less the count below lo.
    """
    n = len(ordered)
    if not len(ranks):
        return ordered, np.sort(removed), np.sort(added), 0

    def at_most(v: float) -> int:  # values of the changed sample <= v
        return int(np.searchsorted(ordered, v, side="right")
                   - np.count_nonzero(removed <= v) + np.count_nonzero(added <= v))

    least, most = int(ranks.min()), int(ranks.max())
    first = min(least - WINDOW, n - 1)  # the changed sample can be larger than ordered
    while (below := at_most(lo := ordered[first] if first >= 0 else -np.inf)) > least:
        first -= below - least + WINDOW
    last = most + WINDOW
    while (upto := at_most(hi := ordered[last] if last < n else np.inf)) <= most:
        last += most + 1 - upto + WINDOW

    def inside(x: np.ndarray) -> np.ndarray:
        return np.sort(x[(x > lo) & (x <= hi)])

    start, stop = np.searchsorted(ordered, [lo, hi], side="right")
    return ordered[start:stop], inside(removed), inside(added), below


def _order_statistics(ordered: np.ndarray, removed: np.ndarray, added: np.ndarray,
                      ranks: np.ndarray) -> np.ndarray:
    """The values at ``ranks`` (0 the smallest) of ``ordered`` less ``removed`` plus
    ``added`` (all sorted).

    The value at rank r is the least value v of the changed sample with at least r + 1
    of its values <= v. Bisection finds the least such v among ``ordered``'s values
    and the least among ``added``'s; the smaller of the two is it: each is at least it
    (r + 1 values of the changed sample lie at or below each, even below a removed
    value of ``ordered``), and it is one of the values searched.
    """
    def at_most(v: np.ndarray) -> np.ndarray:
        return (np.searchsorted(ordered, v, side="right")
                - np.searchsorted(removed, v, side="right")
                + np.searchsorted(added, v, side="right"))

    def least(values: np.ndarray) -> np.ndarray:
        lo = np.zeros(len(ranks), dtype=np.intp)
        hi = np.full(len(ranks), len(values), dtype=np.intp)  # len: no such value
        while (open_ := lo < hi).any():
            mid = (lo + hi) // 2
            enough = at_most(values[np.minimum(mid, len(values) - 1)]) > ranks
            hi = np.where(open_ & enough, mid, hi)
            lo = np.where(open_ & ~enough, mid + 1, lo)
        found = values[np.minimum(lo, len(values) - 1)] if len(values) else np.inf
        return np.where(lo < len(values), found, np.inf)  # len: no value holds it

    return np.minimum(least(ordered), least(added))
