"""Compiled inner loops (Numba) for the engine's hot paths.

Each kernel loops over one row (an input, or a workstream) at a time, so its data stays
in cache and nothing is allocated per element. They are plain functions of arrays and
numbers, compiled on first use and cached on disk (``cache=True``), and they release
the GIL. The modules that call them (``random``, ``distributions``, ``pert``,
``network``) keep the meaning and the documentation; these are only the loops.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "philox4x32",
    "uniform_rows",
    "triangular_rows",
    "cubic_rows",
    "pert_rows",
    "calendar_work",
    "calendar_time",
    "calendar_latest_time",
    "start_rows",
    "forward_rows",
    "critical_rows",
]

_JIT = dict(cache=True, nogil=True)


# -- random numbers: Philox4x32-10 (Salmon et al., SC11; Random123), keyed per input ------

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32, _SHIFT11 = np.uint64(32), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53


@njit(inline="always", **_JIT)
def _round(c0, c1, c2, c3, k0, k1):
    p0 = _M0 * c0
    p1 = _M1 * c2
    return (p1 >> _SHIFT32) ^ c1 ^ k0, p1 & _LOW32, (p0 >> _SHIFT32) ^ c3 ^ k1, p0 & _LOW32


@njit(inline="always", **_JIT)
def _bump(k0, k1):
    return (k0 + _W0) & _LOW32, (k1 + _W1) & _LOW32


@njit(inline="always", **_JIT)
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter (c0..c3) under key (k0, k1); 32-bit words held in uint64.

    Ten rounds written out, so that the compiler vectorises a loop of calls.
    """
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    k0, k1 = _bump(k0, k1)
    return _round(c0, c1, c2, c3, k0, k1)


@njit(inline="always", **_JIT)
def _unit(hi, lo):
    """A double in [0, 1) from the top 53 of 64 bits (via int64, which vectorises)."""
    return np.float64(np.int64(((hi << _SHIFT32) | lo) >> _SHIFT11)) * _TO_UNIT


@njit(**_JIT)
def _shuffle_strata(v, out):
    """Latin hypercube: ``out`` holds n jitters in [0, 1) and becomes the sample.

    ``v`` (n uniforms) drives an inside-out Fisher-Yates shuffle of the strata (index
    floor(v * (i + 1)), uniform up to 2^-53); point i lands in stratum perm[i].
    """
    n = out.shape[0]
    perm = np.empty(n, np.int32)
    for i in range(n):
        j = min(np.int32(v[i] * (i + 1)), i)
        perm[i] = perm[j]
        perm[j] = i
    scale = 1.0 / n
    for i in range(n):
        out[i] = (perm[i] + out[i]) * scale


@njit(**_JIT)
def uniform_rows(keys, block, latin, out):
    """Uniforms for one block: row r from the Philox stream keyed ``keys[r]``.

    Iteration i of block b reads counter (i, b mod 2^32, b div 2^32, 0): its two 53-bit
    uniforms are the point (plain sampling uses the first) and, for a Latin hypercube
    (``latin``), the shuffle draw.
    """
    n = out.shape[1]
    b0 = np.uint64(block) & _LOW32
    b1 = np.uint64(block) >> _SHIFT32
    zero = np.uint64(0)
    shuffle = np.empty(n)
    for r in range(out.shape[0]):
        k0, k1 = np.uint64(keys[r, 0]), np.uint64(keys[r, 1])
        row = out[r]
        for i in range(n):
            x0, x1, x2, x3 = philox4x32(np.uint64(i), b0, b1, zero, k0, k1)
            row[i] = _unit(x0, x1)
            shuffle[i] = _unit(x2, x3)
        if latin:
            _shuffle_strata(shuffle, row)


@njit(**_JIT)
def triangular_rows(a, c, b, u, out):
    """Triangular inverse CDF: row k of ``u`` with min a[k], mode c[k], max b[k]."""
    for k in range(u.shape[0]):
        lo, mode, hi = a[k], c[k], b[k]
        split = (mode - lo) / (hi - lo)
        left_area = (hi - lo) * (mode - lo)
        right_area = (hi - lo) * (hi - mode)
        for i in range(u.shape[1]):
            x = u[k, i]
            if x < split:
                out[k, i] = lo + np.sqrt(x * left_area)
            else:
                out[k, i] = hi - np.sqrt((1.0 - x) * right_area)


@njit(**_JIT)
def _cubic(coef, base, x0, inv_h, last, x):
    """One cubic Hermite table read (Horner form), clamped to the table's range."""
    s = min(max((x - x0) * inv_h, 0.0), last + 1.0)
    cell = min(int(s), last)  # s >= 0: truncation is the floor
    t = s - cell
    r = base + cell
    return coef[r, 0] + t * (coef[r, 1] + t * (coef[r, 2] + t * coef[r, 3]))


@njit(**_JIT)
def cubic_rows(coef, x0, inv_h, last, x, table, out):
    """Read table ``table[i]`` of a stack at ``x[i]`` (flat arrays)."""
    for i in range(x.shape[0]):
        out[i] = _cubic(coef, table[i] * (last + 1), x0, inv_h, last, x[i])


@njit(**_JIT)
def pert_rows(central, lower, upper, c_grid, t_grid, tail, floor, u, out):
    """Standard-beta inverse CDFs from stacked PERT tables, row k reading table k.

    ``c_grid``/``t_grid`` are (x0, 1/h, last) of the central and tail tables. The tails
    are read on log(u) and log(1 - u). Beyond ``floor`` the result is NaN, for the
    caller to fill with the exact inverse; returns how many there are.
    """
    c_x0, c_inv, c_last = c_grid[0], c_grid[1], int(c_grid[2])
    t_x0, t_inv, t_last = t_grid[0], t_grid[1], int(t_grid[2])
    beyond = 0
    for k in range(u.shape[0]):
        c_base = k * (c_last + 1)
        t_base = k * (t_last + 1)
        for i in range(u.shape[1]):
            x = u[k, i]
            if tail <= x <= 1.0 - tail:
                out[k, i] = _cubic(central, c_base, c_x0, c_inv, c_last, x)
            elif min(x, 1.0 - x) < floor:
                out[k, i] = np.nan
                beyond += 1
            elif x < tail:
                out[k, i] = _cubic(lower, t_base, t_x0, t_inv, t_last, np.log(x))
            else:
                out[k, i] = _cubic(upper, t_base, t_x0, t_inv, t_last, np.log(1.0 - x))
    return beyond


# -- calendar: cumulative working time is piecewise linear in calendar time ------------

@njit(**_JIT)
def _work(kt, kw, t):
    return np.interp(t, kt, kw)


@njit(**_JIT)
def _time(kt, kw, w, side_right):
    if side_right:
        i = np.searchsorted(kw, w, side="right")
    else:
        i = np.searchsorted(kw, w, side="left")
    i = min(max(i, 1), kw.shape[0] - 1)
    w0, w1, t0, t1 = kw[i - 1], kw[i], kt[i - 1], kt[i]
    slope = (t1 - t0) / (w1 - w0) if w1 > w0 else 0.0
    return t0 + (w - w0) * slope


@njit(**_JIT)
def calendar_work(kt, kw, t, out):
    """Working time done by calendar times ``t`` (flat)."""
    for i in range(t.shape[0]):
        out[i] = _work(kt, kw, t[i])


@njit(**_JIT)
def calendar_time(kt, kw, w, out):
    """Earliest calendar times by which working times ``w`` (flat) are done."""
    for i in range(w.shape[0]):
        out[i] = 0.0 if w[i] <= 0 else _time(kt, kw, w[i], False)


@njit(**_JIT)
def calendar_latest_time(kt, kw, w, out):
    """Latest calendar times at which only ``w`` (flat) working time is done."""
    for i in range(w.shape[0]):
        out[i] = _time(kt, kw, w[i], True)


# -- the network -------------------------------------------------------------------------

@njit(**_JIT)
def _start_row(j, finish, first, pred, lag, earliest, pinned, out):
    """Start of workstream j in every iteration: the latest predecessor finish + lag,
    not before ``earliest[j]``; an actual start ``pinned[j]`` (not NaN) overrides both."""
    n = out.shape[0]
    if not np.isnan(pinned[j]):
        for i in range(n):
            out[i] = pinned[j]
        return
    floor = earliest[j] if earliest[j] > 0 else 0.0
    for i in range(n):
        out[i] = floor
    for q in range(first[j], first[j + 1]):
        f = finish[pred[q]]
        gap = lag[q]
        for i in range(n):
            out[i] = max(out[i], f[i] + gap)


@njit(**_JIT)
def start_rows(finish, order, first, pred, lag, earliest, pinned, start):
    """Start times implied by finish times (the forward pass's rule)."""
    for j in order:
        _start_row(j, finish, first, pred, lag, earliest, pinned, start[j])


@njit(**_JIT)
def forward_rows(duration, order, first, pred, lag, earliest, pinned, kt, kw, finish):
    """Finish times: start plus working duration, through the calendar when given
    (``kt`` empty: no calendar). Links are in CSR form: workstream j's predecessors are
    ``pred[first[j]:first[j + 1]]`` with lags ``lag[...]``."""
    n = duration.shape[1]
    start = np.empty(n)
    for j in order:
        _start_row(j, finish, first, pred, lag, earliest, pinned, start)
        d, f = duration[j], finish[j]
        if kt.shape[0] == 0:
            for i in range(n):
                f[i] = start[i] + d[i]
        else:
            for i in range(n):
                w = _work(kt, kw, start[i]) + d[i]
                f[i] = 0.0 if w <= 0 else _time(kt, kw, w, False)


@njit(**_JIT)
def critical_rows(duration, finish, end, order, first, succ, lag, kt, kw, rtol, late_start,
                  critical):
    """Zero total float: a backward pass from ``end`` gives each workstream's latest
    finish; critical where it equals the finish (within ``rtol`` of the end).
    ``late_start`` is scratch space shaped like ``duration``."""
    m, n = duration.shape
    late_finish = np.empty(n)
    tol = np.empty(n)
    for i in range(n):
        tol[i] = rtol * max(end[i], 1.0)
    for jj in range(m - 1, -1, -1):
        j = order[jj]
        if first[j + 1] > first[j]:
            late_finish[:] = np.inf
            for q in range(first[j], first[j + 1]):
                ls = late_start[succ[q]]
                gap = lag[q]
                for i in range(n):
                    late_finish[i] = min(late_finish[i], ls[i] - gap)
        else:
            late_finish[:] = end
        f, d, c, ls = finish[j], duration[j], critical[j], late_start[j]
        for i in range(n):
            c[i] = late_finish[i] - f[i] <= tol[i]
        if kt.shape[0] == 0:
            for i in range(n):
                ls[i] = late_finish[i] - d[i]
        else:
            for i in range(n):
                ls[i] = _time(kt, kw, _work(kt, kw, late_finish[i]) - d[i], True)
