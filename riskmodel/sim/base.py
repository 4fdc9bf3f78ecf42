"""The base of every distribution: parameters, checks, description, sampling rows.

A distribution is a small class with a ``ppf`` (inverse CDF), a ``cdf`` and a check of
its parameters; this module gives the rest (parsing of parameters, description,
scaling, sampling from uniforms, conditioning on a lower bound) and the registry that
``riskmodel.sim.distributions.from_spec`` reads. Families live in ``distributions.py``
and ``pert.py``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

__all__ = ["DistributionError", "Distribution", "Conditioned", "DISTRIBUTIONS"]

DISTRIBUTIONS: dict[str, type[Distribution]] = {}


class DistributionError(ValueError):
    """A distribution's parameters are missing, of the wrong type or inconsistent."""


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DistributionError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise DistributionError(f"{name} must be a finite number, got {value}")
    return value


def _fmt(x: float) -> str:
    return f"{x:g}"


class Distribution:
    """Base class: a distribution defined by its inverse CDF.

    Subclasses set ``name``, ``required`` and ``optional`` (parameter names with
    defaults) and implement ``_check`` (raise ``DistributionError``) and ``ppf``; they
    override ``support`` and ``plan_value`` unless they have ``min``, ``mode``, ``max``.

    Parameters
    ----------
    **params
        The family's parameters by name (``required`` ones and any of ``optional``);
        each becomes a float attribute (``values``, a list, stays as given).

    Raises
    ------
    DistributionError
        A parameter the family does not take, a required one missing, one that is not a
        finite number, or parameters that are inconsistent (the family's ``_check``).
    """

    name: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[dict[str, float | None]] = {}
    # parameters become float attributes in __init__; these three are read by the
    # default ``support`` and ``plan_value`` (families without them override those)
    min: float
    mode: float
    max: float

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            DISTRIBUTIONS[cls.name] = cls

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.required) - set(self.optional))
        if unknown:
            allowed = ", ".join(self.required + tuple(self.optional))
            raise DistributionError(
                f"{self.name} does not take {', '.join(unknown)} (it takes {allowed})"
            )
        missing = [p for p in self.required if p not in params]
        if missing:
            raise DistributionError(f"{self.name} needs {', '.join(missing)}")
        self.params = {**params, **{k: v for k, v in self.optional.items() if k not in params}}
        self.params = {k: self.params[k] for k in (*self.required, *self.optional)
                       if k in self.params}
        self.params = {k: v for k, v in self.params.items() if v is not None}
        for key, value in self.params.items():
            if key != "values":
                setattr(self, key, _number(key, value))
        self._check()

    # -- hooks ---------------------------------------------------------------------
    def _check(self) -> None:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at probabilities ``u`` in [0, 1).

        Parameters
        ----------
        u : ndarray
            Probabilities in [0, 1).

        Returns
        -------
        ndarray
            The values, in the shape of ``u``.
        """
        raise NotImplementedError

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x), the inverse of ``ppf`` (right-continuous for discrete families).

        Parameters
        ----------
        x : ndarray
            Values.

        Returns
        -------
        ndarray
            Probabilities in [0, 1], in the shape of ``x``.
        """
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take (default: min, max)."""
        return (self.min, self.max)

    @property
    def plan_value(self) -> float:
        """The single-point estimate a planner writes (default: the mode)."""
        return self.mode

    # -- shared --------------------------------------------------------------------
    @property
    def is_fixed(self) -> bool:
        """True when the distribution has no spread (no random draw is needed)."""
        lo, hi = self.support
        return lo == hi

    @classmethod
    def ppf_rows(cls, dists: Sequence[Distribution], u: np.ndarray) -> np.ndarray:
        """Each distribution's inverse CDF on its row of ``u`` (k x n).

        One call for many inputs of the same family; subclasses vectorise it.

        Parameters
        ----------
        dists : sequence of Distribution
            k distributions of this family.
        u : ndarray
            k x n uniforms, one row per distribution.

        Returns
        -------
        ndarray
            k x n values.
        """
        return np.stack([d.sample(row) for d, row in zip(dists, u)]) if len(dists) else \
            np.empty_like(u)

    @classmethod
    def ppf_rows_into(cls, dists: Sequence[Distribution], u: np.ndarray, out: np.ndarray,
                      rows: Sequence[int] | None = None) -> None:
        """``ppf_rows`` written straight into rows ``rows`` of ``out`` (default: the same
        rows as ``u``); families with compiled loops avoid the intermediate array.

        Parameters
        ----------
        dists : sequence of Distribution
            k distributions of this family.
        u : ndarray
            k x n uniforms, one row per distribution.
        out : ndarray
            Where the values go (written in place), n columns.
        rows : sequence of int, optional
            The k rows of ``out`` to write (default: rows 0 to k - 1).
        """
        out[slice(None) if rows is None else list(rows)] = cls.ppf_rows(dists, u)

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Values at uniforms ``u`` (alias of ``ppf`` that always returns float64).

        Parameters
        ----------
        u : array_like
            Uniforms in [0, 1).

        Returns
        -------
        ndarray of float64
            The values, in the shape of ``u``.
        """
        return np.asarray(self.ppf(np.asarray(u, dtype=float)), dtype=float)

    def given_above(self, lo: float) -> Distribution:
        """This distribution given that it exceeds ``lo`` (see ``Conditioned``).

        Itself when nothing is at or below ``lo``; raises ``DistributionError`` when
        nothing is above it.

        Parameters
        ----------
        lo : float
            The lower bound, e.g. the weeks a workstream has already been under way.

        Returns
        -------
        Distribution
            ``self`` or a ``Conditioned``.

        Raises
        ------
        DistributionError
            Nothing is above ``lo``.
        """
        p = float(self.cdf(np.array(float(lo))))
        if p <= 0.0:
            return self
        if p >= 1.0:
            raise DistributionError(f"nothing is above {_fmt(lo)}")
        return Conditioned(self, lo)

    def to_spec(self) -> dict[str, Any]:
        """The spec this distribution was built from (round-trips through ``from_spec``).

        Returns
        -------
        dict
            ``{"dist": name, **parameters}``.
        """
        return {"dist": self.name, **self.params}

    SCALE_FREE: ClassVar[frozenset[str]] = frozenset({"lambda", "low_pct", "high_pct"})

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every value multiplied by ``factor`` (> 0).

        Parameters that are values (min, mode, max, mean, sd, percentiles...) scale;
        shape parameters (lambda, low_pct, high_pct) do not.

        Parameters
        ----------
        factor : float
            The multiplier, greater than 0.

        Returns
        -------
        Distribution
            A new distribution of the same family.

        Raises
        ------
        DistributionError
            ``factor`` is not positive, or the scaled parameters are not valid.
        """
        if not factor > 0:
            raise DistributionError(f"scale factor must be positive, got {factor}")
        params = {k: ([x * factor for x in v] if isinstance(v, list) else
                      v if k in self.SCALE_FREE else v * factor)
                  for k, v in self.params.items()}
        return type(self)(**params)

    def describe(self) -> str:
        """Short text for people, e.g. ``PERT(1.5, 2, 3)``.

        Returns
        -------
        str
        """
        args = ", ".join(
            _fmt(v) if not isinstance(v, list) else f"{len(v)} values"
            for v in self.params.values()
        )
        return f"{self.name}({args})"

    def __repr__(self) -> str:
        return f"<{self.describe()}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Distribution) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(repr(self.to_spec()))


def _check_three_point(d: Distribution, lo: str, mode: str, hi: str) -> None:
    a, m, b = (getattr(d, k) for k in (lo, mode, hi))
    if a > m:
        raise DistributionError(f"{lo} {_fmt(a)} > {mode} {_fmt(m)}")
    if m > b:
        raise DistributionError(f"{mode} {_fmt(m)} > {hi} {_fmt(b)}")
    if not a < b:
        raise DistributionError(
            f"{lo} and {hi} are both {_fmt(a)}: use a fixed value for a certain quantity"
        )


def _columns(dists, *names):
    """Parameters of several distributions as column vectors (k x 1), for row-wise ppf."""
    return [np.array([getattr(d, name) for d in dists], dtype=float)[:, None] for name in names]


def _rows_into_new(cls, dists, u):
    """``ppf_rows`` for a family that implements ``ppf_rows_into``."""
    u = np.ascontiguousarray(u, dtype=float)
    out = np.empty_like(u)
    cls.ppf_rows_into(dists, u, out)
    return out


def _one_row(dist: Distribution, u) -> np.ndarray:
    """``ppf`` through the family's ``ppf_rows``, for uniforms of any shape."""
    u = np.asarray(u, dtype=float)
    return type(dist).ppf_rows([dist], u.reshape(1, -1))[0].reshape(u.shape)


class Conditioned(Distribution):
    """``base`` given that it exceeds ``lo``: inverse CDF base.ppf(F(lo) + u (1 - F(lo))).

    A workstream already ``lo`` weeks under way is drawn from its estimate's upper part,
    so its futures keep the estimate's shape beyond the time spent. The uniform is
    transformed row by row, so Latin hypercube strata and rank correlation carry over.
    Draws are never below ``lo``. Build it with ``base.given_above(lo)``.

    Parameters
    ----------
    base : Distribution
        The unconditioned distribution.
    lo : float
        The lower bound the draws exceed.

    Raises
    ------
    DistributionError
        ``lo`` is not a finite number, or nothing in ``base`` is above it.
    """

    name = ""  # not a scenario-file family: ``from_spec`` does not know it

    def __init__(self, base: Distribution, lo: float) -> None:
        self.base, self.lo = base, _number("lo", lo)
        self.p_lo = float(base.cdf(np.array(self.lo)))
        if not self.p_lo < 1.0:
            raise DistributionError(f"nothing is above {_fmt(self.lo)}")
        self.params = {"base": base.to_spec(), "above": self.lo}

    def _check(self) -> None:
        pass

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        return np.maximum(self.base.ppf(self.p_lo + u * (1.0 - self.p_lo)), self.lo)

    def cdf(self, x):
        p = (self.base.cdf(x) - self.p_lo) / (1.0 - self.p_lo)
        return np.clip(p, 0.0, 1.0)

    @classmethod
    def ppf_rows_into(cls, dists, u, out, rows=None):
        """Lift each row's uniforms onto (F(lo), 1), then one call per base family.

        Parameters
        ----------
        dists : sequence of Conditioned
            k conditioned distributions (of any base families).
        u : ndarray
            k x n uniforms, one row per distribution.
        out : ndarray
            Where the values go (written in place), n columns.
        rows : sequence of int, optional
            The k rows of ``out`` to write (default: rows 0 to k - 1).
        """
        dest = np.arange(len(dists)) if rows is None else np.asarray(rows, dtype=np.intp)
        p = np.array([d.p_lo for d in dists], dtype=float)[:, None]
        lifted = p + np.asarray(u, dtype=float) * (1.0 - p)
        families: dict[type, list[int]] = {}
        for i, d in enumerate(dists):
            families.setdefault(type(d.base), []).append(i)
        for family, idx in families.items():
            family.ppf_rows_into([dists[i].base for i in idx], np.ascontiguousarray(lifted[idx]),
                                 out, dest[idx])
        lo = np.array([d.lo for d in dists], dtype=float)[:, None]
        out[dest] = np.maximum(out[dest], lo)

    ppf_rows = classmethod(_rows_into_new)

    @property
    def support(self):
        return (max(self.lo, self.base.support[0]), self.base.support[1])

    @property
    def plan_value(self):
        return max(self.base.plan_value, self.lo)  # the plan value, or the time spent past it

    def scaled(self, factor: float) -> Distribution:
        return Conditioned(self.base.scaled(factor), self.lo * factor)

    def to_spec(self) -> dict[str, Any]:
        return {"dist": "conditioned", **self.params}

    def describe(self) -> str:
        return f"{self.base.describe()} given > {_fmt(self.lo)}"
