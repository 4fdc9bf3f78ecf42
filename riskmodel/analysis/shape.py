"""The shape of a forecast: does a date or a cost have a second peak worth naming?

A forecast with two peaks (most iterations near one value, a real minority near
another, and few in between) is badly summarised by P50/P80: the P80 may sit in the
empty valley, and the minority is usually one discrete event (a qualified opinion, a
re-audit) that deserves its own sentence. ``bimodality`` finds such a second peak and
describes it; the words are the report's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["bimodality", "peak_cause", "MIN_SHARE", "VALLEY_RATIO", "MIN_SAMPLE"]

MIN_SHARE = 0.05
"""Least share of iterations a second peak must hold to be named (5%: one in twenty)."""

VALLEY_RATIO = 0.5
"""The valley between two peaks must be at most this fraction of the lower peak's height.

Half the height is a dip no smoothing noise makes at the sample sizes we run (the
density estimate's relative error is about 1% at 100,000 iterations) and no smooth
unimodal shape has; a mere shoulder (a risk that adds a little to a minority of
iterations) has no dip at all and is not named.
"""

MIN_SAMPLE = 200
"""Fewer values than this are too few to tell a peak from noise: no second peak is named."""

_TAIL = 0.005  # the density is estimated on the 0.5%-99.5% quantile range
_GRID = 512  # bins of the density estimate
_MIN_BANDWIDTH = 1 / 100  # of the robust range: keeps a lumpy sample from sprouting peaks
_DIP_Z = 4.5  # standard errors a valley must lie below the lower peak (tests' Z)
_KERNEL_R = 1 / (2 * np.sqrt(np.pi))  # integral of the squared Gaussian kernel


def _density(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Gaussian kernel density of ``x`` on a grid over its robust range (binned, then
    smoothed): grid centres, density, bandwidth."""
    lo, hi = np.quantile(x, [_TAIL, 1 - _TAIL])
    q25, q75 = np.quantile(x, [0.25, 0.75])
    spread = min(x.std(), (q75 - q25) / 1.349) or x.std()
    h = max(0.9 * spread * len(x) ** -0.2, (hi - lo) * _MIN_BANDWIDTH)  # Silverman's rule
    if not h > 0:  # all the robust range is one value
        h = max(x.std(), abs(lo) * 1e-9, 1e-12)
    edges = np.linspace(lo - 3 * h, hi + 3 * h, _GRID + 1)
    counts, _ = np.histogram(x, edges)  # values past the range do not shape the density
    dx = edges[1] - edges[0]
    half = int(np.ceil(4 * h / dx))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * dx / h) ** 2)
    smooth = np.convolve(counts, kernel / kernel.sum(), mode="full")[half:half + _GRID]
    return 0.5 * (edges[:-1] + edges[1:]), smooth / (len(x) * dx), h


def _peaks(f: np.ndarray) -> list[int]:
    """Indices of the local maxima of ``f`` (the left end of a plateau), where f > 0."""
    g = np.concatenate([[-np.inf], f, [-np.inf]])
    return [i - 1 for i in range(1, len(g) - 1)
            if g[i] > 0 and g[i] > g[i - 1] and g[i] >= g[i + 1]]


def _valley(f: np.ndarray, a: int, b: int) -> int:
    """Index of the lowest point of ``f`` between peaks ``a`` < ``b``."""
    return a + int(np.argmin(f[a:b + 1]))


def _merge_shallow(f: np.ndarray, peaks: list[int], valley_ratio: float,
                   noise: float) -> list[int]:
    """Merge adjacent peaks whose valley is not deep enough, shallowest first, keeping
    the higher peak of each merged pair.

    A valley is deep enough when it is at most ``valley_ratio`` x the lower peak and the
    dip exceeds ``_DIP_Z`` standard errors of the density estimate, whose variance is
    about f x ``noise`` (``noise`` = R(K) / (n h), R(K) = 1 / (2 sqrt(pi)) for a
    Gaussian kernel): in the thin tail of a small sample, noise makes dips of a half.
    """
    peaks = list(peaks)
    while len(peaks) > 1:
        worst, merge = -np.inf, None
        for i, (a, b) in enumerate(zip(peaks, peaks[1:])):
            low, valley = min(f[a], f[b]), f[_valley(f, a, b)]
            ratio = valley / low
            dip_z = (low - valley) / np.sqrt((low + valley) * noise)
            if (ratio > valley_ratio or dip_z < _DIP_Z) and ratio > worst:
                worst, merge = ratio, i
        if merge is None:
            break
        i = merge
        peaks.pop(i if f[peaks[i]] < f[peaks[i + 1]] else i + 1)
    return peaks


def _shares(x: np.ndarray, grid: np.ndarray, f: np.ndarray, peaks: list[int]) -> np.ndarray:
    cuts = [grid[_valley(f, a, b)] for a, b in zip(peaks, peaks[1:])]
    counts = np.bincount(np.searchsorted(cuts, x, side="right"), minlength=len(peaks))
    return counts / len(x)


def bimodality(sample, *, min_share: float = MIN_SHARE,
               valley_ratio: float = VALLEY_RATIO) -> dict[str, Any] | None:
    """Describe a second peak of a sample, or return None if it has none worth naming.

    Rule: estimate the density (Gaussian kernel, Silverman's bandwidth on the robust
    spread min(sd, IQR/1.349), at least 1% of the 0.5%-99.5% quantile range, on that
    range); take its local maxima; merge any two neighbouring peaks whose valley is
    higher than ``valley_ratio`` x the lower of the two (a wiggle, not a valley); split
    the iterations at the valleys; fold any peak holding less than ``min_share`` of the
    iterations into its less separated neighbour. A valley also has to lie 4.5 standard
    errors of the density estimate below the lower peak, so that the thin tail of a
    small sample does not pass for a peak. A second peak is named when two or more
    peaks remain: the two holding the most iterations are reported. Checked on
    unimodal normal, PERT, triangular, uniform, exponential, gamma, lognormal and t
    samples of 300 to 100,000 values (none named) and on a risk's shoulder (a 35%
    chance of 1-3 weeks more on a 1-week spread: no valley, not named).

    Parameters
    ----------
    sample : array_like
        Per-iteration finish (weeks) or cost; NaNs are ignored.
    min_share : float
        Least share of iterations in the second peak (default ``MIN_SHARE`` = 5%).
    valley_ratio : float
        Greatest valley height as a fraction of the lower peak (default
        ``VALLEY_RATIO`` = 0.5).

    Returns
    -------
    dict or None
        None for a sample with one peak (or fewer than ``MIN_SAMPLE`` values). Else::

            {"main":   {"value", "peak", "share", "from", "to"},
             "second": {"value", "peak", "share", "from", "to"},
             "side": "above" | "below",   # the second peak against the main one
             "valley": float,             # where the density is lowest between them
             "valley_ratio": float,       # its height over the lower peak's
             "modes": int}                # peaks found (2 unless the sample has more)

        For each peak: ``share`` of the iterations on its side of the valley,
        ``value`` their median (stable: the centre of the cluster), ``peak`` the
        highest point of the density (precise to about a bandwidth), ``from``/``to``
        their 5th and 95th percentiles.

    Notes
    -----
    Meant for continuous samples, as the engine's finishes and costs are. A sample of a
    few distinct values spaced wider than about three bandwidths (a lattice) has a peak
    at each of them and is named as such.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.concatenate([rng.normal(10, 1, 8500), rng.normal(25, 2, 1500)])
    >>> m = bimodality(x)
    >>> round(m["second"]["share"], 2), round(m["second"]["value"])
    (0.15, 25)
    >>> bimodality(rng.normal(10, 1, 10_000)) is None
    True
    """
    x = np.asarray(sample, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if len(x) < MIN_SAMPLE or np.ptp(x) == 0:
        return None
    grid, f, h = _density(x)
    peaks = _merge_shallow(f, _peaks(f), valley_ratio, _KERNEL_R / (len(x) * h))
    shares = _shares(x, grid, f, peaks)
    while len(peaks) > 1 and shares.min() < min_share:
        i = int(np.argmin(shares))
        if i == 0:
            j = 1
        elif i == len(peaks) - 1:
            j = i - 1
        else:  # the neighbour across the higher (shallower) valley
            left = f[_valley(f, peaks[i - 1], peaks[i])]
            right = f[_valley(f, peaks[i], peaks[i + 1])]
            j = i - 1 if left >= right else i + 1
        peaks.pop(i if f[peaks[i]] < f[peaks[j]] else j)
        shares = _shares(x, grid, f, peaks)
    if len(peaks) < 2:
        return None
    main, second = (int(k) for k in np.argsort(-shares, kind="stable")[:2])
    a, b = sorted((peaks[main], peaks[second]))
    v = _valley(f, a, b)
    cuts = np.concatenate([[-np.inf], [grid[_valley(f, p, q)] for p, q in
                                      zip(peaks, peaks[1:])], [np.inf]])

    def describe(k: int) -> dict[str, float]:
        part = x[(x >= cuts[k]) & (x < cuts[k + 1])]
        p5, p50, p95 = np.percentile(part, [5, 50, 95])
        return {"value": float(p50), "peak": float(grid[peaks[k]]),
                "share": float(shares[k]), "from": float(p5), "to": float(p95)}

    return {"main": describe(main), "second": describe(second),
            "side": "above" if peaks[second] > peaks[main] else "below",
            "valley": float(grid[v]),
            "valley_ratio": float(f[v] / min(f[a], f[b])),
            "modes": len(peaks)}


def peak_cause(values: np.ndarray, fired: np.ndarray, shape: dict[str, Any],
               ids: list[str]) -> dict[str, Any] | None:
    """The risk behind a second peak: of the futures in ``values`` (with ``fired``, risks x
    the same futures), the risk that occurred in most of the second group's, far more
    often than in the main group's (at least half of the group, and 25 points more than
    in the main one); None if no risk stands out. Returns its id and ``share``, the
    share of the second group's futures in which it occurred.

    Parameters
    ----------
    values : ndarray
        The futures kept in detail.
    fired : ndarray of bool
        Risks x the same futures.
    shape : dict
        ``bimodality``'s description.
    ids : list of str
        The risks' ids, in ``fired``'s order.

    Returns
    -------
    dict or None
        ``risk`` and ``share``.
    """
    values = np.asarray(values)
    if not len(ids) or values.size == 0:
        return None
    second = values > shape["valley"] if shape["side"] == "above" else values < shape["valley"]
    if not second.any() or second.all():
        return None
    in_second = fired[:, second].mean(axis=1)
    in_main = fired[:, ~second].mean(axis=1)
    best = int(np.argmax(in_second - in_main))
    if in_second[best] < 0.5 or in_second[best] - in_main[best] < 0.25:
        return None
    return {"risk": ids[best], "share": float(in_second[best])}
