"""Beta-PERT with a fast inverse CDF (interpolation tables checked against the exact one)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import numpy as np
from scipy import special

from .base import (
    Distribution,
    DistributionError,
    _check_three_point,
    _fmt,
    _number,
    _one_row,
    _rows_into_new,
)
from .kernels import cubic_rows, pert_rows

__all__ = ["Pert"]

_PERT_TABLES: dict[tuple[float, float], tuple | None] = {}
_PERT_STACKS: dict[tuple, tuple] = {}


class _CubicTable:
    """Piecewise cubic Hermite interpolation on a uniform grid (Horner form per cell)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, dydx: np.ndarray):
        self.x0, self.h = float(x[0]), float(x[1] - x[0])
        self.last = len(x) - 2
        m = dydx * self.h
        y0, y1, m0, m1 = y[:-1], y[1:], m[:-1], m[1:]
        self.coef = np.column_stack([y0, m0, 3 * (y1 - y0) - 2 * m0 - m1,
                                     2 * (y0 - y1) + m0 + m1])

    @classmethod
    def stack(cls, tables: Sequence[_CubicTable]) -> _CubicTable:
        """Several tables on the same grid, evaluated together on rows (k x n)."""
        out = cls.__new__(cls)
        out.x0, out.h, out.last = tables[0].x0, tables[0].h, tables[0].last
        out.coef = np.concatenate([t.coef for t in tables])
        return out

    @property
    def grid(self) -> np.ndarray:
        """(first knot, 1 / spacing, last cell) as the kernels take them."""
        return np.array([self.x0, 1.0 / self.h, self.last], dtype=float)

    def __call__(self, x: np.ndarray, table: np.ndarray | int | None = None) -> np.ndarray:
        """Values at ``x``; in a stack, ``table`` says which table each x reads
        (by default row r of a 2-D ``x`` reads table r)."""
        x = np.asarray(x, dtype=float)
        if table is None:
            table = np.arange(x.shape[0])[:, None] if x.ndim == 2 else 0
        table = np.broadcast_to(np.asarray(table, dtype=np.int64), x.shape)
        out = np.empty(x.size)
        cubic_rows(self.coef, self.x0, 1.0 / self.h, self.last,
                   np.ascontiguousarray(x).ravel(), np.ascontiguousarray(table).ravel(), out)
        return out.reshape(x.shape)


class Pert(Distribution):
    """Beta-PERT: a beta on [min, max] with alpha = 1 + lambda (mode - min) / (max - min).

    The beta inverse CDF is costly, so it is read from tables by cubic Hermite
    interpolation whose knot slopes are the exact 1 / density: a uniform grid for
    probabilities in [2^-8, 1 - 2^-8], and grids uniform in log(u) and log(1 - u) for
    the tails, down to e^-40 (below that, the exact inverse). Each table is checked
    against the exact inverse when built, and the exact inverse is used if a check
    fails. The error stays below 2e-8 of (max - min) (``benchmarks/run.py`` measures it).
    """

    name = "pert"
    required = ("min", "mode", "max")
    optional = {"lambda": 4.0}

    TAIL = 2.0**-8
    KNOTS = 4096
    TAIL_KNOTS = 1024
    LOG_FLOOR = -36.0
    TOLERANCE = 2e-8
    ROW_CHUNK = 32

    def _check(self) -> None:
        _check_three_point(self, "min", "mode", "max")
        lam = self.params["lambda"] = _number("lambda", self.params["lambda"])
        if not 0 < lam <= 50:
            raise DistributionError(f"lambda must be in (0, 50], got {_fmt(lam)}")
        span = self.max - self.min
        self.alpha = 1.0 + lam * (self.mode - self.min) / span
        self.beta = 1.0 + lam * (self.max - self.mode) / span

    def _exact(self, u):
        return special.betaincinv(self.alpha, self.beta, u)

    def _exact_upper(self, q):
        """Exact inverse at u = 1 - q, accurate for tiny q (by the beta's symmetry)."""
        return 1.0 - special.betaincinv(self.beta, self.alpha, q)

    def _slope(self, x):
        """du/dx: the beta density at x."""
        log_b = special.betaln(self.alpha, self.beta)
        with np.errstate(divide="ignore"):
            log_a = (self.alpha - 1) * np.log(x) if self.alpha != 1 else 0.0
            log_c = (self.beta - 1) * np.log1p(-x) if self.beta != 1 else 0.0
        return np.exp(log_a + log_c - log_b)

    @property
    def _tables(self) -> tuple | None:
        """(central, lower tail, upper tail) tables; built once per shape and process."""
        key = (self.alpha, self.beta)
        if key not in _PERT_TABLES:
            _PERT_TABLES[key] = self._build_tables()
        return _PERT_TABLES[key]

    def _build_tables(self) -> tuple | None:
        u = np.linspace(self.TAIL, 1.0 - self.TAIL, self.KNOTS + 1)
        x = self._exact(u)
        central = _CubicTable(u, x, 1.0 / self._slope(x))
        v = np.linspace(self.LOG_FLOOR, math.log(self.TAIL), self.TAIL_KNOTS + 1)
        ev = np.exp(v)
        xl = self._exact(ev)
        lower = _CubicTable(v, xl, ev / self._slope(xl))       # dx/dv, v = log u
        xu = self._exact_upper(ev)
        upper = _CubicTable(v, xu, -ev / self._slope(xu))      # dx/dw, w = log(1 - u)
        # check mid-cells: every tail cell, the central cells next to the tails, a sample
        mid_v = v[:-1] + 0.5 * (v[1] - v[0])
        cells = np.r_[0:8, self.KNOTS - 8 : self.KNOTS, 0 : self.KNOTS : 61]
        mid_u = u[cells] + 0.5 * (u[1] - u[0])
        worst = max(
            np.max(np.abs(central(mid_u) - self._exact(mid_u))),
            np.max(np.abs(lower(mid_v) - self._exact(np.exp(mid_v)))),
            np.max(np.abs(upper(mid_v) - self._exact_upper(np.exp(mid_v)))),
        )
        return (central, lower, upper) if worst <= self.TOLERANCE else None

    ppf_rows = classmethod(_rows_into_new)

    @classmethod
    def ppf_rows_into(cls, dists, u, out, rows=None):
        _pert_rows(dists, u, out=out, rows=rows)

    def ppf(self, u):
        return _one_row(self, u)

    def cdf(self, x):
        """P(X <= x): the regularised incomplete beta at (x - min) / (max - min)."""
        z = np.clip((np.asarray(x, dtype=float) - self.min) / (self.max - self.min), 0, 1)
        return special.betainc(self.alpha, self.beta, z)


def _pert_stack(dists: Sequence[Pert]) -> tuple:
    """Stacked tables and shape parameters of several PERTs (cached per shape tuple)."""
    key = tuple((d.alpha, d.beta) for d in dists)
    if key not in _PERT_STACKS:
        tables = cast("list[tuple]", [d._tables for d in dists])  # tabled PERTs only
        _PERT_STACKS[key] = (*(_CubicTable.stack([t[k] for t in tables]) for k in range(3)),
                             np.array([d.alpha for d in dists]),
                             np.array([d.beta for d in dists]))
    return _PERT_STACKS[key]


def _pert_rows(dists: Sequence[Pert], u: np.ndarray, out: np.ndarray | None = None,
               rows: Sequence[int] | None = None) -> np.ndarray:
    """Inverse CDFs of PERT i at the uniforms of row i of ``u``, into row ``rows[i]`` of
    ``out`` (default: a new array, row i)."""
    u = np.ascontiguousarray(u, dtype=float)
    if out is None:
        out = np.empty_like(u)
    dest = np.arange(len(dists)) if rows is None else np.asarray(rows, dtype=np.int64)
    lo = np.array([d.min for d in dists], dtype=float)
    hi = np.array([d.max for d in dists], dtype=float)
    for i, d in enumerate(dists):
        if d._tables is None:
            out[dest[i]] = lo[i] + (hi[i] - lo[i]) * d._exact(u[i])
    tabled = [i for i, d in enumerate(dists) if d._tables is not None]
    for start in range(0, len(tabled), Pert.ROW_CHUNK):
        rows_ = tabled[start:start + Pert.ROW_CHUNK]
        central, lower, upper, alpha, beta = _pert_stack([dists[i] for i in rows_])
        together = rows_[-1] - rows_[0] == len(rows_) - 1  # a slice of u: no copy
        block = u[rows_[0]:rows_[-1] + 1] if together else u[rows_]
        if pert_rows(central.coef, lower.coef, upper.coef, central.grid, lower.grid,
                     Pert.TAIL, math.exp(Pert.LOG_FLOOR), lo[rows_], hi[rows_], block, out,
                     dest[rows_]):
            # beyond the tables: the exact inverse (the upper tail by symmetry)
            x = out[dest[rows_]]
            r, c = np.nonzero(np.isnan(x))
            q = block[r, c]
            high = q > 0.5
            y = special.betaincinv(np.where(high, beta[r], alpha[r]),
                                   np.where(high, alpha[r], beta[r]),
                                   np.where(high, 1.0 - q, q))
            low = lo[rows_][r]
            out[dest[rows_][r], c] = low + (hi[rows_][r] - low) * np.where(high, 1.0 - y, y)
    return out
