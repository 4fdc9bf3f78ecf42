"""Beta-PERT with a fast inverse CDF (interpolation tables checked against the exact one)."""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np

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

CACHE_LAYOUT = 2
"""Version of what a cache file holds (the exact inverse at the points of ``_points``, in
that order, then the log of the beta function): raise it when the points, their order or
the file format change. 2: the log of the beta function added, so that a warm cache
builds the tables without importing SciPy (0.2 s a process)."""
_MAGIC = b"riskmodel PERT exact inverse\n"


def cache_dir() -> Path | None:
    """Where the PERT set-up keeps the exact inverse at the table knots, or None (off).

    ``RISKMODEL_NO_CACHE`` (any value but empty or 0) turns the cache off;
    ``RISKMODEL_CACHE_DIR`` moves it; by default it is the user cache folder (as
    platformdirs' ``user_cache_dir``: ~/.cache/riskmodel, $XDG_CACHE_HOME/riskmodel,
    ~/Library/Caches/riskmodel, %LOCALAPPDATA%\\riskmodel\\Cache), sub-folder ``pert``.
    """
    if os.environ.get("RISKMODEL_NO_CACHE", "").strip() not in ("", "0"):
        return None
    chosen = os.environ.get("RISKMODEL_CACHE_DIR", "").strip()
    if chosen:
        root = Path(chosen).expanduser()
    elif sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        root = Path(local) / "riskmodel" / "Cache"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "riskmodel"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache")
        root = root / "riskmodel"
    return root / "pert"


_POINTS: dict[tuple, tuple] = {}


def _points(cls: type[Pert]) -> tuple:
    """(u, v, e^v, mid-cells of u, of v, e^mid-v, digest): the table knots and the points
    of the check, the same for every shape, and a digest of the points the exact inverse
    is taken at (a cache file is for those bits only)."""
    layout = (cls.TAIL, cls.KNOTS, cls.TAIL_KNOTS, cls.LOG_FLOOR)
    if layout not in _POINTS:
        u = np.linspace(cls.TAIL, 1.0 - cls.TAIL, cls.KNOTS + 1)
        v = np.linspace(cls.LOG_FLOOR, math.log(cls.TAIL), cls.TAIL_KNOTS + 1)
        ev = np.exp(v)
        # check mid-cells: every tail cell, the central cells next to the tails, a sample
        mid_v = v[:-1] + 0.5 * (v[1] - v[0])
        cells = np.r_[0:8, cls.KNOTS - 8 : cls.KNOTS, 0 : cls.KNOTS : 61]
        mid_u = u[cells] + 0.5 * (u[1] - u[0])
        emid = np.exp(mid_v)
        digest = hashlib.sha256(b"".join(a.astype("<f8").tobytes()
                                         for a in (u, ev, mid_u, emid))).hexdigest()
        _POINTS[layout] = (u, v, ev, mid_u, mid_v, emid, digest)
    return _POINTS[layout]


def _cache_entry(dist: Pert) -> tuple[Path, bytes, int] | None:
    """(file, the header it must start with, number of values) for this shape, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    u, v, _, mid_u, mid_v, _, digest = _points(type(dist))
    key = {"layout": CACHE_LAYOUT, "alpha": float(dist.alpha).hex(),
           "beta": float(dist.beta).hex(), "points": digest, "numpy": np.__version__,
           "scipy": _scipy_version(), "machine": platform.machine(), "platform": sys.platform}
    header = _MAGIC + json.dumps(key, sort_keys=True).encode() + b"\n"
    name = hashlib.sha256(header).hexdigest()[:40] + ".bin"
    return folder / name, header, len(u) + 2 * len(v) + len(mid_u) + 2 * len(mid_v) + 1


def _scipy_version() -> str:
    import scipy

    return str(scipy.__version__)


def _cache_read(dist: Pert) -> np.ndarray | None:
    """The cached exact values for this shape; None if off, missing, corrupt or foreign."""
    entry = _cache_entry(dist)
    if entry is None:
        return None
    path, header, n = entry
    try:
        data = path.read_bytes()
    except OSError:
        return None
    end = len(header) + 8 * n
    if (len(data) != end + 32 or not data.startswith(header)
            or hashlib.sha256(data[:end]).digest() != data[end:]):
        return None
    return np.frombuffer(data, dtype="<f8", count=n, offset=len(header)).astype(float)


def _cache_write(dist: Pert, values: np.ndarray) -> None:
    """Keep the exact values for this shape: written to a temporary file, then renamed
    into place (readers see a whole file or none); a cache that cannot be written is
    skipped."""
    entry = _cache_entry(dist)
    if entry is None:
        return
    path, header, n = entry
    body = header + np.ascontiguousarray(values, dtype="<f8").tobytes()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(body + hashlib.sha256(body).digest())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep a shared cache folder private
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


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

    Parameters
    ----------
    min, mode, max : float
        The smallest, most likely and largest values (min <= mode <= max, min < max).
    lambda : float, default 4
        The weight of the mode, in (0, 50] (passed by name: ``Pert(**{"lambda": 6, ...})``
        or ``lambda: 6`` in a scenario file).
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
        from scipy import special
        return special.betaincinv(self.alpha, self.beta, u)

    def _exact_upper(self, q):
        """Exact inverse at u = 1 - q, accurate for tiny q (by the beta's symmetry)."""
        from scipy import special
        return 1.0 - special.betaincinv(self.beta, self.alpha, q)

    def _slope(self, x, log_b):
        """du/dx: the beta density at x (``log_b``: the log of the beta function)."""
        with np.errstate(divide="ignore"):
            log_a = (self.alpha - 1) * np.log(x) if self.alpha != 1 else 0.0
            log_c = (self.beta - 1) * np.log1p(-x) if self.beta != 1 else 0.0
        return np.exp(log_a + log_c - log_b)

    @property
    def _tables(self) -> tuple | None:
        """(central, lower tail, upper tail) tables, or None if they failed their check;
        built once per shape and process (``_prepare``)."""
        key = (self.alpha, self.beta)
        if key not in _PERT_TABLES:
            _prepare([self])
        return _PERT_TABLES[key]

    def _exact_values(self) -> np.ndarray:
        """The exact inverse at the knots and at the points of the check, and the log of
        the beta function last, in one vector: the costly part of the set-up (about 10 ms
        a shape), all of what needs SciPy."""
        from scipy import special

        u, _, ev, mid_u, _, emid, _ = _points(type(self))
        return np.concatenate([self._exact(u), self._exact(ev), self._exact_upper(ev),
                               self._exact(mid_u), self._exact(emid), self._exact_upper(emid),
                               [special.betaln(self.alpha, self.beta)]])

    def _unchecked_tables(self, values: np.ndarray) -> tuple:
        """(central, lower, upper) tables from ``_exact_values``, and the exact inverse at
        the points of their check (central, lower, upper)."""
        u, v, ev, mid_u, mid_v, _, _ = _points(type(self))
        ends = np.cumsum([len(u), len(v), len(v), len(mid_u), len(mid_v), len(mid_v)])
        x, xl, xu, exact_u, exact_l, exact_w, (log_b,) = (np.array(p) for p in
                                                          np.split(values, ends))
        central = _CubicTable(u, x, 1.0 / self._slope(x, log_b))
        lower = _CubicTable(v, xl, ev / self._slope(xl, log_b))     # dx/dv, v = log u
        upper = _CubicTable(v, xu, -ev / self._slope(xu, log_b))    # dx/dw, w = log(1 - u)
        return (central, lower, upper), (exact_u, exact_l, exact_w)

    ppf_rows = classmethod(_rows_into_new)

    @classmethod
    def ppf_rows_into(cls, dists, u, out, rows=None):
        _pert_rows(dists, u, out=out, rows=rows)

    def ppf(self, u):
        return _one_row(self, u)

    def cdf(self, x):
        """P(X <= x): the regularised incomplete beta at (x - min) / (max - min).

        Parameters
        ----------
        x : array_like
            Values.

        Returns
        -------
        ndarray
            Probabilities in [0, 1], in the shape of ``x``.
        """
        from scipy import special
        z = np.clip((np.asarray(x, dtype=float) - self.min) / (self.max - self.min), 0, 1)
        return special.betainc(self.alpha, self.beta, z)


def _prepare(dists: Sequence[Pert]) -> None:
    """Build the tables of the shapes not built yet in this process, together: the exact
    inverse at the knots from the disk cache (or computed, then cached), the tables, and
    one check of them all against the exact inverse at mid-cells (the same numbers as
    checking one shape at a time: each point reads its own table)."""
    todo: dict[tuple[float, float], Pert] = {}
    for d in dists:
        key = (d.alpha, d.beta)
        if key not in _PERT_TABLES:
            todo.setdefault(key, d)
    groups: dict[type[Pert], list[tuple[tuple[float, float], Pert]]] = {}
    for key, d in todo.items():  # one grid per class
        groups.setdefault(type(d), []).append((key, d))
    for cls, members in groups.items():
        built = []
        for _, d in members:
            values = _cache_read(d)
            if values is None:
                values = d._exact_values()
                _cache_write(d, values)
            built.append(d._unchecked_tables(values))
        _, _, _, mid_u, mid_v, _, _ = _points(cls)
        k = len(built)
        central = _CubicTable.stack([t[0] for t, _ in built])
        tails = _CubicTable.stack([t[1] for t, _ in built] + [t[2] for t, _ in built])
        got_u = central(np.broadcast_to(mid_u, (k, len(mid_u))))  # row i reads table i
        got_t = tails(np.broadcast_to(mid_v, (2 * k, len(mid_v))))
        for i, ((key, _), (tables, (exact_u, exact_l, exact_w))) in enumerate(
                zip(members, built)):
            worst = max(np.max(np.abs(got_u[i] - exact_u)),
                        np.max(np.abs(got_t[i] - exact_l)),
                        np.max(np.abs(got_t[k + i] - exact_w)))
            _PERT_TABLES[key] = tables if worst <= cls.TOLERANCE else None


def _pert_stack(dists: Sequence[Pert]) -> tuple:
    """Stacked tables and shape parameters of several PERTs (cached per shape tuple)."""
    key = tuple((d.alpha, d.beta) for d in dists)
    if key not in _PERT_STACKS:
        tables = cast("list[tuple]", [d._tables for d in dists])  # tabled PERTs only
        stacks = [_CubicTable.stack([t[k] for t in tables]) for k in range(3)]
        for k, stack in enumerate(stacks):  # each shape's table now reads its rows there
            for i, t in enumerate(tables):  # (one copy of the numbers, not two)
                rows = len(t[k].coef)
                t[k].coef = stack.coef[i * rows:(i + 1) * rows]
        _PERT_STACKS[key] = (*stacks, np.array([d.alpha for d in dists]),
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
    _prepare(dists)  # the shapes new to this process, built together
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
            from scipy import special

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
