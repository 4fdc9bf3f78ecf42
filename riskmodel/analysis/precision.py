"""Monte Carlo precision of the figures a run reports."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["quantile_std_error"]


def quantile_std_error(sample: np.ndarray, q: float, h: float = 0.01) -> float:
    """Monte Carlo standard error of the q-quantile: sqrt(q(1-q)/n) / density at it.

    The density is estimated from the sample as 2h / (Q(q+h) - Q(q-h)).
    """
    n = len(sample)
    lo, hi = np.percentile(sample, [100 * max(q - h, 0), 100 * min(q + h, 1)])
    if hi <= lo:
        return 0.0
    return math.sqrt(q * (1 - q) / n) * (hi - lo) / (min(q + h, 1) - max(q - h, 0))
