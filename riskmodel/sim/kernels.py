"""The engine's inner loops: C functions (``_kernels.c``) called through ctypes.

Each loop works on one row (an input, or a workstream) at a time, so its data stays in
cache and nothing is allocated per element. The modules that call these (``random``,
``distributions``, ``pert``, ``network``) keep the meaning and the documentation; here
every array is checked before C sees it, so a mistake raises an error instead of reading
the wrong memory: ``ctypes.ArgumentError`` for a wrong type or memory order, and
``ValueError`` for a wrong shape.

The C file is compiled when the package is installed (``pip install -e .``).
"""
from __future__ import annotations

import ctypes

import numpy as np
from numpy.ctypeslib import ndpointer

try:
    from . import _kernels
except ImportError as exc:  # pragma: no cover - only without an install
    raise ImportError(
        "riskmodel's compiled loops are not built; install the package first "
        "(`make venv`, or `pip install -e .` with a C compiler)") from exc

__all__ = [
    "philox4x32",
    "uniform_rows",
    "triangular_rows",
    "cubic_rows",
    "pert_rows",
    "apply_risks",
    "weighted_sum",
    "gaussian_copula",
    "calendar_work",
    "calendar_time",
    "calendar_latest_time",
    "start_rows",
    "forward_rows",
    "critical_rows",
]

_LIB = ctypes.CDLL(_kernels.__file__)
_I64, _F64, _INT = ctypes.c_int64, ctypes.c_double, ctypes.c_int
_IN_F, _IN_I, _IN_U64, _IN_U32, _IN_U8 = (
    ndpointer(t, flags="C_CONTIGUOUS") for t in (np.float64, np.int64, np.uint64, np.uint32,
                                                 np.uint8))
_OUT_F, _OUT_B, _OUT_U32 = (ndpointer(t, flags="C_CONTIGUOUS,WRITEABLE")
                            for t in (np.float64, np.uint8, np.uint32))


def _bind(name: str, restype, *argtypes):
    fn = getattr(_LIB, name)
    fn.restype, fn.argtypes = restype, list(argtypes)
    return fn


_c = {
    "philox4x32_10": _bind("philox4x32_10", None, _IN_U32, _IN_U32, _OUT_U32),
    "uniform_rows": _bind("uniform_rows_variant", _INT, _INT, _IN_U64, _I64, _I64, _I64, _INT,
                          _OUT_F),
    "triangular_rows": _bind("triangular_rows", None, _IN_F, _IN_F, _IN_F, _I64, _I64, _IN_F,
                             _IN_I, _OUT_F),
    "cubic_rows": _bind("cubic_rows", None, _IN_F, _F64, _F64, _I64, _I64, _IN_F, _IN_I,
                        _OUT_F),
    "pert_rows": _bind("pert_rows", _I64, _IN_F, _IN_F, _IN_F, _IN_F, _IN_F, _F64, _F64, _IN_F,
                       _IN_F, _I64, _I64, _IN_F, _IN_I, _OUT_F),
    "apply_risks": _bind("apply_risks", None, _IN_F, _I64, _I64, _IN_U8, _IN_F, _I64, _IN_I,
                         _IN_I, _IN_I, _OUT_F),
    "weighted_sum": _bind("weighted_sum", None, _IN_F, _IN_F, _I64, _I64, _OUT_F),
    "gaussian_copula": _bind("gaussian_copula", _INT, _IN_F, _IN_F, _I64, _I64, _OUT_F),
    "calendar_work": _bind("calendar_work", None, _IN_F, _IN_F, _I64, _I64, _IN_F, _OUT_F),
    "calendar_time": _bind("calendar_time", None, _IN_F, _IN_F, _I64, _I64, _IN_F, _OUT_F),
    "calendar_latest_time": _bind("calendar_latest_time", None, _IN_F, _IN_F, _I64, _I64,
                                  _IN_F, _OUT_F),
    "start_rows": _bind("start_rows", None, _IN_F, _I64, _I64, _IN_I, _IN_I, _IN_I, _IN_F,
                        _IN_F, _IN_F, _OUT_F),
    "forward_rows": _bind("forward_rows", _INT, _IN_F, _I64, _I64, _IN_I, _IN_I, _IN_I, _IN_F,
                          _IN_F, _IN_F, _IN_F, _IN_F, _I64, _OUT_F),
    "critical_rows": _bind("critical_rows", _INT, _IN_F, _IN_F, _IN_F, _I64, _I64, _IN_I,
                           _IN_I, _IN_I, _IN_F, _IN_F, _IN_F, _I64, _F64, _OUT_F, _OUT_B),
}


def _same_shape(*arrays: np.ndarray) -> None:
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"arrays must have the same shape, got {sorted(shapes)}")


def _lengths(n_rows: int, *per_row: np.ndarray, first: np.ndarray | None = None) -> None:
    """Each ``per_row`` array has a value per row; CSR ``first`` has one more."""
    if any(a.shape != (n_rows,) for a in per_row) or (
            first is not None and first.shape != (n_rows + 1,)):
        raise ValueError("per-row arrays and links must have a value per row")


def _links_ok(first: np.ndarray, node: np.ndarray, n_nodes: int, *lists: np.ndarray) -> None:
    """CSR links that C can follow safely: ``first`` runs from 0 to len(node) without
    going back, and every node (and every entry of ``lists``, such as an order) exists."""
    if first.size == 0 or first[0] != 0 or first[-1] != node.size or np.any(np.diff(first) < 0):
        raise ValueError("links are not in CSR form")
    for ids in (node, *lists):
        if ids.size and (ids.min() < 0 or ids.max() >= n_nodes):
            raise ValueError("a link or an order names a workstream that does not exist")


def _ok(status: int) -> None:
    if status != 0:
        raise MemoryError("riskmodel kernels: out of memory")


def philox4x32(counter, key) -> tuple[int, int, int, int]:
    """Philox4x32-10 of a 4-word counter under a 2-word key (32-bit words)."""
    out = np.empty(4, dtype=np.uint32)
    _c["philox4x32_10"](np.asarray(counter, dtype=np.uint32),
                        np.asarray(key, dtype=np.uint32), out)
    return tuple(int(x) for x in out)


def uniform_rows(keys: np.ndarray, block: int, latin: bool, out: np.ndarray,
                 variant: int = 0) -> None:
    """Uniforms for one block: row r of ``out`` from the Philox stream keyed ``keys[r]``.

    Iteration i of block b reads counter (i, b mod 2^32, b div 2^32, 0); of its two
    53-bit uniforms the first is the point (plain sampling) and, for a Latin hypercube
    (``latin``), the second drives an inside-out Fisher-Yates shuffle of the strata
    (index floor(v (i + 1)), uniform up to 2^-53), the first placing the point in its
    stratum. ``variant`` picks the build (0 the best this CPU runs, 1 plain, 2 AVX2,
    3 AVX-512); all give the same numbers.
    """
    if keys.shape != (out.shape[0], 2):
        raise ValueError("keys must be (rows, 2)")
    status = _c["uniform_rows"](variant, keys, out.shape[0], out.shape[1], int(block),
                                int(bool(latin)), out)
    if status == -2:
        raise ValueError(f"this CPU cannot run variant {variant}")
    _ok(status)


def _destination(u: np.ndarray, out: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """Rows of ``out`` that the rows of ``u`` go to (default: the same rows)."""
    if rows is None:
        _same_shape(u, out)
        return np.arange(u.shape[0], dtype=np.int64)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if rows.shape != (u.shape[0],) or out.shape[1:] != u.shape[1:] or (rows.size and (
            rows.min() < 0 or rows.max() >= out.shape[0])):
        raise ValueError("rows must name a row of out for each row of u")
    return rows


def triangular_rows(a: np.ndarray, c: np.ndarray, b: np.ndarray, u: np.ndarray,
                    out: np.ndarray, rows: np.ndarray | None = None) -> None:
    """Triangular inverse CDF: row k of ``u`` with min a[k], mode c[k], max b[k], into
    row ``rows[k]`` of ``out`` (default row k)."""
    dest = _destination(u, out, rows)
    _lengths(u.shape[0], a, c, b)
    _c["triangular_rows"](a, c, b, u.shape[0], u.shape[1], u, dest, out)


def cubic_rows(coef: np.ndarray, x0: float, inv_h: float, last: int, x: np.ndarray,
               table: np.ndarray, out: np.ndarray) -> None:
    """Read table ``table[i]`` of a stack of cubic tables (``coef``: cells x 4) at ``x[i]``."""
    _same_shape(x, table, out)
    if coef.ndim != 2 or coef.shape[1] != 4 or (table.size and (
            table.min() < 0 or (table.max() + 1) * (last + 1) > coef.shape[0])):
        raise ValueError("coef must be (tables x cells, 4) and table ids must exist")
    _c["cubic_rows"](coef, float(x0), float(inv_h), int(last), x.size, x, table, out)


def pert_rows(central, lower, upper, c_grid, t_grid, tail: float, floor: float,
              lo: np.ndarray, hi: np.ndarray, u: np.ndarray, out: np.ndarray,
              rows: np.ndarray | None = None) -> int:
    """PERT inverse CDFs from stacked tables of the standard beta, row k reading table k,
    scaled to [lo[k], hi[k]], into row ``rows[k]`` of ``out`` (default row k).

    ``c_grid``/``t_grid`` are (x0, 1/h, last cell) of the central and tail tables; the
    tails are read on log(u) and log(1 - u). Beyond ``floor`` the result is NaN, for the
    caller to fill with the exact inverse; returns how many there are.
    """
    dest = _destination(u, out, rows)
    _lengths(u.shape[0], lo, hi)
    for coef, grid in ((central, c_grid), (lower, t_grid), (upper, t_grid)):
        if coef.shape != (u.shape[0] * (int(grid[2]) + 1), 4):
            raise ValueError("a PERT table stack does not match the rows")
    return _c["pert_rows"](central, lower, upper, c_grid, t_grid, float(tail), float(floor),
                           lo, hi, u.shape[0], u.shape[1], u, dest, out)


def apply_risks(base: np.ndarray, fired: np.ndarray, impact: np.ndarray, kind: np.ndarray,
                first: np.ndarray, node: np.ndarray, out: np.ndarray) -> None:
    """Working durations: ``base`` times the factors of the risks that fired, then plus
    their delays, risks in order. Risk r is a factor (``kind`` 1) or a delay (2) on the
    workstreams ``node[first[r]:first[r + 1]]``; ``fired`` (bool) and ``impact`` are
    risks x iterations."""
    _same_shape(base, out)
    _same_shape(fired, impact)
    risks = fired.shape[0]
    if fired.dtype != np.bool_ or (risks and fired.shape[1] != base.shape[1]):
        raise ValueError("fired must be boolean, risks x iterations")
    _lengths(risks, kind, first=first)
    _links_ok(first, node, base.shape[0])
    _c["apply_risks"](base, base.shape[0], base.shape[1], fired.view(np.uint8), impact, risks,
                      kind, first, node, out)


def weighted_sum(w: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out = w @ x, summing the rows of ``x`` in order (no BLAS, so no threads)."""
    if w.shape != (x.shape[0],) or out.shape != (x.shape[1],):
        raise ValueError("weighted_sum: w must have a weight per row, out a value per column")
    _c["weighted_sum"](w, x, x.shape[0], x.shape[1], out)


def gaussian_copula(u: np.ndarray, factor: np.ndarray, out: np.ndarray) -> None:
    """Rows of ``u`` (k x n) given the rank correlation of the lower Cholesky ``factor``:
    normal quantiles (Wichura's AS241; ``u`` kept within [eps, 1 - eps]), mixed by
    ``factor``, and back through the normal CDF (0.5 erfc(-x / sqrt 2))."""
    k = u.shape[0]
    if factor.shape != (k, k):
        raise ValueError("gaussian_copula: factor must be square with a row per row of u")
    _same_shape(u, out)
    _ok(_c["gaussian_copula"](u, factor, k, u.shape[1], out))


def _calendar(name: str, kt: np.ndarray, kw: np.ndarray, x: np.ndarray, out: np.ndarray):
    _same_shape(x, out)
    _same_shape(kt, kw)
    if kt.size == 0:
        raise ValueError("a calendar needs knots")
    _c[name](kt, kw, kt.size, x.size, x, out)


def calendar_work(kt, kw, t, out) -> None:
    """Working time done by calendar times ``t`` (flat): np.interp(t, kt, kw)."""
    _calendar("calendar_work", kt, kw, t, out)


def calendar_time(kt, kw, w, out) -> None:
    """Earliest calendar times by which working times ``w`` (flat) are done."""
    _calendar("calendar_time", kt, kw, w, out)


def calendar_latest_time(kt, kw, w, out) -> None:
    """Latest calendar times at which only ``w`` (flat) working time is done."""
    _calendar("calendar_latest_time", kt, kw, w, out)


def start_rows(finish, order, first, pred, lag, earliest, pinned, start) -> None:
    """Start times implied by finish times (the forward pass's rule, below)."""
    _same_shape(finish, start)
    _lengths(finish.shape[0], order, earliest, pinned, first=first)
    _links_ok(first, pred, finish.shape[0], order)
    _same_shape(pred, lag)
    _c["start_rows"](finish, finish.shape[0], finish.shape[1], order, first, pred, lag,
                     earliest, pinned, start)


def forward_rows(duration, order, first, pred, lag, earliest, pinned, kt, kw, finish) -> None:
    """Finish times: each workstream starts at the latest predecessor finish + lag, not
    before ``earliest``, or at its ``pinned`` actual start (not NaN), and works through the
    calendar (``kt`` empty: none). Links are in CSR form: workstream j's predecessors are
    ``pred[first[j]:first[j + 1]]`` with lags ``lag[...]``."""
    _same_shape(duration, finish)
    _same_shape(kt, kw)
    _lengths(duration.shape[0], order, earliest, pinned, first=first)
    _links_ok(first, pred, duration.shape[0], order)
    _same_shape(pred, lag)
    _ok(_c["forward_rows"](duration, duration.shape[0], duration.shape[1], order, first, pred,
                           lag, earliest, pinned, kt, kw, kt.size, finish))


def critical_rows(duration, finish, end, order, first, succ, lag, kt, kw, rtol: float,
                  late_start, critical) -> None:
    """Zero total float: a backward pass from ``end`` gives each workstream's latest
    finish; critical where it equals the finish (within ``rtol`` of the end).
    ``late_start`` is scratch space shaped like ``duration``; ``critical`` is boolean."""
    _same_shape(duration, finish, late_start, critical)
    _same_shape(kt, kw)
    _lengths(duration.shape[0], order, first=first)
    _links_ok(first, succ, duration.shape[0], order)
    _same_shape(succ, lag)
    if end.shape != (duration.shape[1],) or critical.dtype != np.bool_:
        raise ValueError("end must have one value per iteration; critical must be boolean")
    _ok(_c["critical_rows"](duration, finish, end, duration.shape[0], duration.shape[1], order,
                            first, succ, lag, kt, kw, kt.size, float(rtol), late_start,
                            critical.view(np.uint8)))
