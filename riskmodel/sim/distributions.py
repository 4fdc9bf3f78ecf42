"""Probability distributions sampled by inverse CDF.

Every distribution is a small class with a ``ppf`` (inverse CDF) and a check of its
parameters; the base class gives parsing from a spec, description and sampling from
uniforms. Because sampling is by inverse CDF, Latin hypercube sampling and rank
correlation apply to every distribution alike.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import (
    DISTRIBUTIONS,
    Conditioned,
    Distribution,
    DistributionError,
    _check_three_point,
    _columns,
    _fmt,
    _number,
    _one_row,
    _rows_into_new,
)
from .kernels import triangular_rows
from .pert import Pert

__all__ = [
    "DistributionError",
    "Distribution",
    "Fixed",
    "Uniform",
    "Triangular",
    "Pert",
    "Trigen",
    "Lognormal",
    "Normal",
    "Empirical",
    "Conditioned",
    "from_spec",
    "DISTRIBUTIONS",
]


class Fixed(Distribution):
    """A single value: ``{dist: fixed, value: 3}`` or just ``3``.

    Parameters
    ----------
    value : float
        The value every draw takes.
    """

    name = "fixed"
    required = ("value",)

    def _check(self) -> None:
        pass

    def ppf(self, u):
        return np.full(np.shape(u), self.value)

    def cdf(self, x):
        return (np.asarray(x, dtype=float) >= self.value).astype(float)

    @property
    def support(self):
        return (self.value, self.value)

    @property
    def plan_value(self):
        return self.value


class Uniform(Distribution):
    """Uniform on [min, max].

    Parameters
    ----------
    min, max : float
        The ends; ``min`` must be below ``max``.
    """

    name = "uniform"
    required = ("min", "max")

    def _check(self) -> None:
        if not self.min < self.max:
            raise DistributionError(f"min {_fmt(self.min)} must be below max {_fmt(self.max)}")

    def ppf(self, u):
        return self.min + u * (self.max - self.min)

    def cdf(self, x):
        return np.clip((np.asarray(x, dtype=float) - self.min) / (self.max - self.min), 0, 1)

    @classmethod
    def ppf_rows(cls, dists, u):
        lo, hi = _columns(dists, "min", "max")
        return lo + u * (hi - lo)

    @property
    def plan_value(self):
        return 0.5 * (self.min + self.max)


def _triangular_rows_into(cls, dists, u, out, rows=None):
    a, c, b = (np.array([getattr(d, k) for d in dists], dtype=float)
               for k in ("min", "mode", "max"))
    triangular_rows(a, c, b, np.ascontiguousarray(u, dtype=float), out, rows)


def _triangular_cdf(a: float, c: float, b: float, x) -> np.ndarray:
    """CDF of the triangle with min a, mode c, max b."""
    x = np.clip(np.asarray(x, dtype=float), a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        rising = (x - a) ** 2 / ((b - a) * (c - a))
        falling = 1.0 - (b - x) ** 2 / ((b - a) * (b - c))
    return np.where(x <= c, np.where(c > a, rising, 0.0), np.where(b > c, falling, 1.0))


class Triangular(Distribution):
    """Triangular on [min, max] with its peak at mode.

    Parameters
    ----------
    min, mode, max : float
        The smallest, most likely and largest values (min <= mode <= max, min < max).
    """

    name = "triangular"
    required = ("min", "mode", "max")

    def _check(self) -> None:
        _check_three_point(self, "min", "mode", "max")

    def ppf(self, u):
        return _one_row(self, u)

    def cdf(self, x):
        return _triangular_cdf(self.min, self.mode, self.max, x)

    ppf_rows = classmethod(_rows_into_new)
    ppf_rows_into = classmethod(_triangular_rows_into)


class Trigen(Distribution):
    """Triangular given by percentiles: low and high are the low_pct / high_pct points.

    Parameters
    ----------
    low, mode, high : float
        The low_pct point, the most likely value and the high_pct point.
    low_pct, high_pct : float, default 10 and 90
        The percentiles ``low`` and ``high`` stand at (0 <= low_pct < high_pct <= 100).
    """

    name = "trigen"
    required = ("low", "mode", "high")
    optional = {"low_pct": 10.0, "high_pct": 90.0}
    low: float
    high: float
    low_pct: float
    high_pct: float

    def _check(self) -> None:
        _check_three_point(self, "low", "mode", "high")
        pl, ph = self.low_pct / 100.0, self.high_pct / 100.0
        if not 0 <= pl < ph <= 1:
            raise DistributionError(
                f"low_pct {_fmt(self.low_pct)} and high_pct {_fmt(self.high_pct)} must "
                "satisfy 0 <= low_pct < high_pct <= 100"
            )
        l, c, h = self.low, self.mode, self.high  # noqa: E741 - low, mode, high

        def equations(ab):
            a, b = ab
            f_low = (l - a) ** 2 / ((b - a) * (c - a)) if c > a else 0.0
            f_high = 1 - (b - h) ** 2 / ((b - a) * (b - c)) if b > c else 1.0
            return [f_low - pl, f_high - ph]

        from scipy import optimize  # here only: importing it costs a tenth of a second

        w = h - l
        sol = optimize.fsolve(equations, [l - 0.5 * w * pl - 1e-9, h + 0.5 * w * (1 - ph) + 1e-9],
                              full_output=True, xtol=1e-13)
        a, b = sol[0]
        if sol[2] != 1 or not (a <= l <= c <= h <= b) or max(map(abs, equations((a, b)))) > 1e-9:
            raise DistributionError(
                f"no triangle has low {_fmt(l)} at P{_fmt(self.low_pct)}, mode {_fmt(c)} "
                f"and high {_fmt(h)} at P{_fmt(self.high_pct)}"
            )
        self.min, self.max = float(a), float(b)

    def ppf(self, u):
        return _one_row(self, u)

    def cdf(self, x):
        return _triangular_cdf(self.min, self.mode, self.max, x)

    ppf_rows = classmethod(_rows_into_new)
    ppf_rows_into = classmethod(_triangular_rows_into)


_Z90 = 1.2815515655446004
"""scipy.special.ndtri(0.9): the standard normal's P90 (scipy is imported when a
normal or lognormal input is used, not by every run)."""


class Lognormal(Distribution):
    """Lognormal given by ``{p10, p90}`` or ``{median, p90}``.

    Parameters
    ----------
    p10 : float, optional
        The 10th percentile (positive); give it or ``median``, not both.
    median : float, optional
        The 50th percentile (positive).
    p90 : float
        The 90th percentile, above the other one.
    """

    name = "lognormal"
    optional = {"p10": None, "median": None, "p90": None}
    p90: float  # with p10 or median: the parameters given

    def _check(self) -> None:
        given = set(self.params)
        if given not in ({"p10", "p90"}, {"median", "p90"}):
            raise DistributionError("lognormal needs either p10 and p90, or median and p90")
        lower_key = "median" if "median" in given else "p10"
        lower, p90 = getattr(self, lower_key), self.p90
        if lower <= 0:
            raise DistributionError(f"{lower_key} must be positive, got {_fmt(lower)}")
        if not lower < p90:
            raise DistributionError(f"{lower_key} {_fmt(lower)} must be below p90 {_fmt(p90)}")
        if lower_key == "median":
            self.mu = math.log(lower)
            self.sigma = (math.log(p90) - self.mu) / _Z90
        else:
            self.mu = 0.5 * (math.log(lower) + math.log(p90))
            self.sigma = (math.log(p90) - math.log(lower)) / (2 * _Z90)

    def ppf(self, u):
        from scipy import special
        return np.exp(self.mu + self.sigma * special.ndtri(u))

    def cdf(self, x):
        from scipy import special
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(x > 0, special.ndtr((np.log(np.maximum(x, 0.0)) - self.mu)
                                                / self.sigma), 0.0)

    @property
    def support(self):
        return (0.0, math.inf)

    @property
    def plan_value(self):
        return math.exp(self.mu)  # the median: a planner's "typical" figure


class Normal(Distribution):
    """Normal with mean and sd, truncated at 0 (no quantity in a scenario is negative).

    Parameters
    ----------
    mean : float
        The mean before truncation.
    sd : float
        The standard deviation before truncation, positive.
    """

    name = "normal"
    required = ("mean", "sd")
    mean: float
    sd: float

    def _check(self) -> None:
        from scipy import special
        if not self.sd > 0:
            raise DistributionError(f"sd must be positive, got {_fmt(self.sd)}")
        self._p0 = float(special.ndtr(-self.mean / self.sd))
        if self._p0 > 1 - 1e-9:
            raise DistributionError(
                f"mean {_fmt(self.mean)} is so far below 0 that almost nothing is left "
                "after truncation at 0"
            )

    def ppf(self, u):
        from scipy import special
        q = self._p0 + u * (1.0 - self._p0)
        return np.maximum(self.mean + self.sd * special.ndtri(q), 0.0)

    def cdf(self, x):
        from scipy import special
        x = np.asarray(x, dtype=float)
        p = (special.ndtr((x - self.mean) / self.sd) - self._p0) / (1.0 - self._p0)
        return np.where(x >= 0, np.clip(p, 0.0, 1.0), 0.0)

    @property
    def support(self):
        return (0.0, math.inf)

    @property
    def plan_value(self):
        return max(self.mean, 0.0)


class Empirical(Distribution):
    """Equal-weight draws from a list of observed values.

    Parameters
    ----------
    values : list of float
        The observed values (at least one).
    """

    name = "empirical"
    required = ("values",)

    def _check(self) -> None:
        values = self.params["values"]
        if not isinstance(values, (list, tuple, np.ndarray)) or len(values) == 0:
            raise DistributionError("values must be a non-empty list of numbers")
        self.values = np.sort(np.array([_number("values[]", v) for v in values]))
        self.params["values"] = [float(v) for v in values]

    def ppf(self, u):
        n = len(self.values)
        return self.values[np.minimum((np.asarray(u) * n).astype(np.intp), n - 1)]

    def cdf(self, x):
        return np.searchsorted(self.values, np.asarray(x, dtype=float), "right") / len(
            self.values)

    def given_above(self, lo):
        """The observed values above ``lo``, equally weighted (exactly the conditioned
        distribution, without rounding at the edge of a step).

        Parameters
        ----------
        lo : float
            The lower bound, e.g. the weeks a workstream has already been under way.

        Returns
        -------
        Empirical
            ``self`` when every value is above ``lo``.

        Raises
        ------
        DistributionError
            No value is above ``lo``.
        """
        above = [v for v in self.params["values"] if v > lo]
        if not above:
            raise DistributionError(f"nothing is above {_fmt(lo)}")
        return self if len(above) == len(self.values) else Empirical(values=above)

    @property
    def support(self):
        return (float(self.values[0]), float(self.values[-1]))

    @property
    def plan_value(self):
        return float(np.median(self.values))


def from_spec(spec: Any) -> Distribution:
    """Build a distribution from a number or a mapping with a ``dist`` key.

    Parameters
    ----------
    spec : float, dict or Distribution
        A number (a ``Fixed`` value), a mapping such as ``{"dist": "pert", "min": 1,
        "mode": 2, "max": 4}``, or a distribution (returned as it is).

    Returns
    -------
    Distribution

    Raises
    ------
    DistributionError
        ``spec`` is neither a number nor a mapping, has no ``dist``, names an unknown
        family, or has parameters that family does not accept.

    Examples
    --------
    >>> from_spec(3).describe()
    'fixed(3)'
    >>> from_spec({"dist": "pert", "min": 1, "mode": 2, "max": 4}).plan_value
    2.0
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, bool):
        raise DistributionError(f"expected a number or a distribution, got {spec!r}")
    if isinstance(spec, (int, float, np.integer, np.floating)):
        return Fixed(value=spec)
    if not isinstance(spec, dict):
        raise DistributionError(
            f"expected a number or a mapping like {{dist: pert, min: .., mode: .., max: ..}}, "
            f"got {type(spec).__name__} {spec!r}"
        )
    if "dist" not in spec:
        raise DistributionError(f"missing 'dist' (one of {', '.join(DISTRIBUTIONS)})")
    name = spec["dist"]
    cls = DISTRIBUTIONS.get(name) if isinstance(name, str) else None
    if cls is None:
        import difflib

        near = difflib.get_close_matches(str(name), DISTRIBUTIONS, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise DistributionError(
            f"unknown distribution '{name}'{hint}; known: {', '.join(DISTRIBUTIONS)}"
        )
    return cls(**{k: v for k, v in spec.items() if k != "dist"})
