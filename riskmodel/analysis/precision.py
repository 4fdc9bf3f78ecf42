"""Monte Carlo precision of the figures a run reports."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["quantile_std_error", "block_std_error", "MIN_REPLICATES"]


def quantile_std_error(sample: np.ndarray, q: float, h: float = 0.01) -> float:
    """Monte Carlo standard error of the q-quantile: sqrt(q(1-q)/n) / density at it.

    The density is estimated from the sample as 2h / (Q(q+h) - Q(q-h)).

    Parameters
    ----------
    sample : ndarray
    q : float
        The quantile, between 0 and 1.
    h : float
        Half the width of the density estimate, in probability.

    Returns
    -------
    float
    """
    n = len(sample)
    lo, hi = np.percentile(sample, [100 * max(q - h, 0), 100 * min(q + h, 1)])
    if hi <= lo:
        return 0.0
    return math.sqrt(q * (1 - q) / n) * (hi - lo) / (min(q + h, 1) - max(q - h, 0))


MIN_REPLICATES = 8
"""Full blocks needed before the spread between blocks is used as the standard error."""


def block_std_error(values: np.ndarray, block: int) -> float | None:
    """Standard error of the mean of ``values`` from the spread between blocks.

    Under Latin hypercube sampling each block of ``block`` iterations is an independent
    replicate (its own strata), so the variance of the overall mean is estimated from
    the variance between the full blocks' means, scaled to the whole run:
    se = sd(block means) x sqrt(block / n). Returns None with fewer than
    ``MIN_REPLICATES`` full blocks (too few replicates to estimate a spread).

    Parameters
    ----------
    values : ndarray
        Per iteration (0/1 for a probability).
    block : int
        Iterations a block.

    Returns
    -------
    float or None
    """
    values = np.asarray(values, dtype=float)
    full = len(values) // block
    if full < MIN_REPLICATES:
        return None
    means = values[:full * block].reshape(full, block).mean(axis=1)
    return float(means.std(ddof=1) * math.sqrt(block / len(values)))
