"""The engine's loops in NumPy: the reference backend, with the C loops' numbers bit for bit.

Every function here takes the arguments of the C function of the same name in
``riskmodel/sim/_kernels.c`` (already checked by ``kernels/__init__.py``; arrays are
C-ordered, so flat and reshaped views share memory) and does the same IEEE double
operations in the same order, so the results are identical, not merely close:

- no fused multiply-adds on either side (the C is built with ``-ffp-contract=off``;
  NumPy's ufuncs round after every operation);
- ``sqrt`` is correctly rounded everywhere;
- ``log`` and ``erfc`` are taken from the C library, as the C loops do, through Python's
  ``math.log`` and ``math.erfc`` (one element at a time, only where needed), and never
  from NumPy's SIMD ``np.log`` (which differs from the C library's in about 0.2% of
  values, in the last bit);
- ``a > b ? a : b`` is ``np.where(a > b, a, b)``, not ``np.maximum`` (NaN differs);
- Philox4x32-10 runs on 32-bit words held in uint64 lanes (``np.random.Philox`` is
  Philox4x64-10, a different generator), vectorised over iterations;
- the Latin hypercube's strata order is a sort of distinct 64-bit keys, which NumPy's
  ``np.sort`` and the C bucket sort put in the same order.

``tests/sim/test_backends.py`` checks every function against the C on random inputs,
tails and edge cases included, and whole simulations of the shipped scenarios.
"""
from __future__ import annotations

import math

import numpy as np

from ._signatures import VERSION

# ---- random numbers: Philox4x32-10 ------------------------------------------------------

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_LOW = np.uint64(0xFFFFFFFF)
_32, _21, _11 = np.uint64(32), np.uint64(21), np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0
_CHUNK = 1 << 14  # elements per pass of the generator (its temporaries stay in cache)


def _philox(c0, c1, c2, c3, k0, k1):
    """Ten Philox4x32 rounds on uint64 arrays of 32-bit words (broadcasting)."""
    for r in range(10):
        if r:
            k0 = (k0 + _W0) & _LOW
            k1 = (k1 + _W1) & _LOW
        p0 = c0 * _M0
        p1 = c2 * _M1
        c0, c2 = (p1 >> _32) ^ c1 ^ k0, (p0 >> _32) ^ c3 ^ k1
        c1, c3 = p1 & _LOW, p0 & _LOW
    return c0, c1, c2, c3


def kernels_version():
    return VERSION


def philox4x32_10(counter, key, out):
    words = [np.uint64(int(w)) for w in counter]
    result = _philox(*words, np.uint64(int(key[0])), np.uint64(int(key[1])))
    out[:] = [int(w) for w in result]


def _index_bits(n: int) -> int:
    """Bits needed for n - 1 (0 for n <= 1)."""
    return max(0, int(n) - 1).bit_length()


def uniform_rows_variant(variant, keys, rows, n, block, latin, out):
    # ``variant`` picks a build of the C loop; they all give these numbers
    if rows == 0 or n == 0:
        return 0
    out2 = out.reshape(rows, n)
    block = int(block) % (1 << 64)
    b0, b1 = np.uint64(block & 0xFFFFFFFF), np.uint64(block >> 32)
    i = np.arange(n, dtype=np.uint64)
    c0 = (i & _LOW)[None, :]
    bits = _index_bits(n)
    low = np.uint64((1 << bits) - 1)
    k = np.asarray(keys, dtype=np.uint64).reshape(rows, 2) & _LOW  # (uint32_t) in C
    step = max(1, _CHUNK // n)
    for r in range(0, rows, step):
        k0, k1 = k[r:r + step, 0:1], k[r:r + step, 1:2]
        w0, w1, w2, w3 = _philox(c0, b0, b1, np.uint64(0), k0, k1)
        w0, w1 = np.broadcast_arrays(w0, w1)
        u = ((w0 << _21) | (w1 >> _11)).astype(np.float64)
        u *= _TWO_M53
        if latin:
            key = (((w2 << _32) | w3) & ~low) | i
            key.sort(axis=1)
            perm = (key & low).astype(np.int64).astype(np.float64)
            perm += u
            perm *= 1.0 / n
            u = perm
        out2[r:r + step] = u
    return 0


# ---- library functions: the C library's, as the C loops call them ------------------------

def _log(x: np.ndarray) -> np.ndarray:
    """C's log(x) elementwise: math.log is the C library's log, which the C loops call."""
    out = np.empty(x.shape)
    positive = x > 0
    out[positive] = np.fromiter(map(math.log, x[positive].tolist()), dtype=float,
                                count=int(positive.sum()))
    out[x == 0] = -np.inf
    other = ~positive & (x != 0)  # negative (NaN in C) or NaN (passed through)
    out[other] = np.where(np.isnan(x[other]), x[other], np.nan)
    return out


def _erfc(x: np.ndarray) -> np.ndarray:
    """C's erfc(x) elementwise, through math.erfc (the C library's erfc)."""
    return np.fromiter(map(math.erfc, x.ravel().tolist()), dtype=float,
                       count=x.size).reshape(x.shape)


# ---- inverse CDFs ----------------------------------------------------------------------

def triangular_rows(a, c, b, rows, n, u, dest, out):
    if n == 0:
        return
    u2, out2 = u.reshape(-1, n), out.reshape(-1, n)
    for k in range(rows):
        lo, mode, hi = a[k], c[k], b[k]
        split = (mode - lo) / (hi - lo)
        left_area = (hi - lo) * (mode - lo)
        right_area = (hi - lo) * (hi - mode)
        x = u2[k]
        out2[dest[k]] = np.where(x < split, lo + np.sqrt(x * left_area),
                                 hi - np.sqrt((1.0 - x) * right_area))


def _cubic(coef2, base, x0, inv_h, last, x):
    """One cubic Hermite table read per x (Horner form), clamped to the table's range;
    ``coef2`` is (cells, 4), ``base`` the first cell of the table each x reads."""
    s = (x - x0) * inv_h
    s = np.where(s > 0.0, s, 0.0)
    top = float(last) + 1.0
    s = np.where(s < top, s, top)
    cell = s.astype(np.int32)
    cell = np.where(cell < np.int32(last), cell, np.int32(last))
    t = s - cell
    q = coef2[base + cell.astype(np.int64)]
    return q[..., 0] + t * (q[..., 1] + t * (q[..., 2] + t * q[..., 3]))


def cubic_rows(coef, x0, inv_h, last, n, x, table, out):
    if n == 0:
        return
    out[:] = _cubic(coef.reshape(-1, 4), table * (last + 1), float(x0), float(inv_h),
                    int(last), x)


def pert_rows(central, lower, upper, c_grid, t_grid, tail, floor_, lo, hi, rows, n, u, dest,
              out):
    if n == 0:
        return 0
    c_last, t_last = int(c_grid[2]), int(t_grid[2])
    c_x0, c_inv, t_x0, t_inv = float(c_grid[0]), float(c_grid[1]), float(t_grid[0]), float(
        t_grid[1])
    central, lower, upper = (t.reshape(-1, 4) for t in (central, lower, upper))
    u2, out2 = u.reshape(-1, n), out.reshape(-1, n)
    beyond = 0
    for k in range(rows):
        c_base, t_base = k * (c_last + 1), k * (t_last + 1)
        low, span = lo[k], hi[k] - lo[k]
        x, y = u2[k], out2[dest[k]]
        # every point from the central table first, then the tails again (as the C does)
        y[:] = low + span * _cubic(central, c_base, c_x0, c_inv, c_last, x)
        v = x
        at = np.flatnonzero(~((tail <= v) & (v <= 1.0 - tail)))
        if at.size == 0:
            continue
        v = v[at]
        near = np.where(v < 1.0 - v, v, 1.0 - v)
        out_of_range = near < floor_
        low_tail = ~out_of_range & (v < tail)
        high_tail = ~out_of_range & ~(v < tail)
        z = np.empty(at.size)
        z[out_of_range] = np.nan
        z[low_tail] = _cubic(lower, t_base, t_x0, t_inv, t_last, _log(v[low_tail]))
        z[high_tail] = _cubic(upper, t_base, t_x0, t_inv, t_last, _log(1.0 - v[high_tail]))
        y[at] = low + span * z
        beyond += int(out_of_range.sum())
    return beyond


# ---- risks -------------------------------------------------------------------------------

def apply_risks(base, m, n, fired, impact, risks, kind, first, node, out):
    out[...] = base
    if n == 0:
        return
    out2, hit2, size2 = out.reshape(m, n), fired.reshape(-1, n), impact.reshape(-1, n)
    for kind_now, neutral, op in ((1, 1.0, np.multiply), (2, 0.0, np.add)):
        for r in range(risks):
            if kind[r] != kind_now:
                continue
            change = np.where(hit2[r] != 0, size2[r], neutral)
            for q in range(first[r], first[r + 1]):
                d = out2[node[q]]
                op(d, change, out=d)


# ---- sums over rows -------------------------------------------------------------------------

def weighted_sum(w, x, rows, n, out):
    out[:] = 0.0
    if n == 0:
        return
    x2 = x.reshape(-1, n)
    for j in range(rows):
        out += w[j] * x2[j]


def rank_reorder_rows(values, scores, rows, n, normal, out):
    if n == 0:
        return 0
    v2, s2, o2 = values.reshape(rows, n), scores.reshape(rows, n), out.reshape(rows, n)
    for r in range(rows):
        o2[r, np.argsort(s2[r], kind="stable")] = np.sort(v2[r], kind="stable")
    return 0


# ---- rank correlation: a Gaussian copula -------------------------------------------------

def _normal_quantile(p: np.ndarray) -> np.ndarray:
    """Wichura's AS241, the C's normal_quantile term for term."""
    q = p - 0.5
    out = np.empty(p.shape)
    mid = np.abs(q) <= 0.425
    qm = q[mid]
    r = 0.180625 - qm * qm
    num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r +
              1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
            1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) * qm
    den = (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r +
              5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
            4.2313330701600911252e+1) * r + 1.0)
    out[mid] = num / den
    far = ~mid
    qf, pf = q[far], p[far]
    r = np.sqrt(-_log(np.where(qf <= 0.0, pf, 1.0 - pf)))
    res = np.empty(r.shape)
    near = r <= 5.0
    s = r[near] - 1.6
    num = (((((((7.74545014278341407640e-4 * s + 2.27238449892691845833e-2) * s +
                2.41780725177450611770e-1) * s + 1.27045825245236838258e+0) * s +
              3.64784832476320460504e+0) * s + 5.76949722146069140550e+0) * s +
            4.63033784615654529590e+0) * s + 1.42343711074968357734e+0)
    den = (((((((1.05075007164441684324e-9 * s + 5.47593808499534494600e-4) * s +
                1.51986665636164571966e-2) * s + 1.48103976427480074590e-1) * s +
              6.89767334985100004550e-1) * s + 1.67638483018380384940e+0) * s +
            2.05319162663775882187e+0) * s + 1.0)
    res[near] = num / den
    s = r[~near] - 5.0
    num = (((((((2.01033439929228813265e-7 * s + 2.71155556874348757815e-5) * s +
                1.24266094738807843860e-3) * s + 2.65321895265761230930e-2) * s +
              2.96560571828504891230e-1) * s + 1.78482653991729133580e+0) * s +
            5.46378491116411436990e+0) * s + 6.65790464350110377720e+0)
    den = (((((((2.04426310338993978564e-15 * s + 1.42151175831644588870e-7) * s +
                1.84631831751005468180e-5) * s + 7.86869131145613259100e-4) * s +
              1.48753612908506148525e-2) * s + 1.36929880922735805310e-1) * s +
            5.99832206555887937690e-1) * s + 1.0)
    res[~near] = num / den
    out[far] = np.where(qf < 0.0, -res, res)
    return out


_EPS = 2.220446049250313e-16
_SQRT2 = 1.4142135623730951  # M_SQRT2


def gaussian_copula(u, factor, k, n, uniform, out):
    if k * n == 0:
        return 0
    p = np.where(u < _EPS, _EPS, np.where(u > 1.0 - _EPS, 1.0 - _EPS, u)).reshape(k, n)
    z = _normal_quantile(p)
    f2, out2 = factor.reshape(k, k), out.reshape(k, n)
    for r in range(k):
        weighted_sum(f2[r], z, r + 1, n, out2[r])
    if uniform:
        out[...] = 0.5 * _erfc(-out / _SQRT2)
    return 0


# ---- calendar ------------------------------------------------------------------------------

def _work_at(kt, kw, t):
    """np.interp(t, kt, kw) as the C computes it (kt sorted, two knots or more)."""
    m = kt.size
    lo = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, m - 2)
    slope = (kw[1:] - kw[:-1]) / (kt[1:] - kt[:-1])
    value = slope[lo] * (t - kt[lo]) + kw[lo]
    value = np.where(kt[lo] == t, kw[lo], value)
    value = np.where(t >= kt[m - 1], kw[m - 1], value)
    return np.where(t < kt[0], kw[0], value)


def _time_at(kt, kw, w, right: bool):
    """Calendar time from working time (kw sorted): the segment np.searchsorted finds."""
    m = kw.size
    i = np.clip(np.searchsorted(kw, w, side="right" if right else "left"), 1, m - 1)
    w0, w1, t0, t1 = kw[:-1], kw[1:], kt[:-1], kt[1:]
    slope = np.where(w1 > w0, (t1 - t0) / np.where(w1 > w0, w1 - w0, 1.0), 0.0)
    return t0[i - 1] + (w - w0[i - 1]) * slope[i - 1]


def _earliest_time(kt, kw, w):
    return np.where(w <= 0, 0.0, _time_at(kt, kw, w, False))


def calendar_work(kt, kw, m, n, t, out):
    out[:] = _work_at(kt, kw, t)


def calendar_time(kt, kw, m, n, w, out):
    out[:] = _earliest_time(kt, kw, w)


# ---- the network ---------------------------------------------------------------------------

_FS, _SS, _FF, _SF = 0, 1, 2, 3  # link types, as the C's


def _start_row(j, finish2, start2, d, first, pred, lag, kind, earliest, pinned, kt, kw, knots,
               out):
    if not math.isnan(pinned[j]):
        out[:] = pinned[j]
        return
    out[:] = earliest[j] if earliest[j] > 0 else 0.0
    for q in range(first[j], first[j + 1]):
        k = kind[q]
        s = (start2 if k == _SS or k == _SF else finish2)[pred[q]] + lag[q]
        if k == _FF or k == _SF:  # the start that finishes at s (the constraint: by then)
            s = _earliest_time(kt, kw, _work_at(kt, kw, s) - d) if knots else s - d
        np.copyto(out, s, where=~(out > s))


def _starts_needed(kind) -> bool:
    """Whether a link reads its predecessor's start (SS or SF)."""
    return bool(np.any((kind == _SS) | (kind == _SF)))


def start_rows(finish, duration, m, n, order, first, pred, lag, kind, earliest, pinned, kt, kw,
               knots, start):
    if n == 0:
        return
    finish2, start2, d2 = finish.reshape(m, n), start.reshape(m, n), duration.reshape(m, n)
    for j in order.tolist():
        _start_row(j, finish2, start2, d2[j], first, pred, lag, kind, earliest, pinned, kt, kw,
                   knots, start2[j])


def forward_rows(duration, m, n, order, first, pred, lag, kind, earliest, pinned, kt, kw, knots,
                 finish):
    if n == 0:
        return 0
    d2, f2 = duration.reshape(m, n), finish.reshape(m, n)
    every = np.empty((m, n)) if _starts_needed(kind) else None  # starts kept for SS, SF
    start = np.empty(n)
    for j in order.tolist():
        if every is not None:
            start = every[j]
        _start_row(j, f2, every, d2[j], first, pred, lag, kind, earliest, pinned, kt, kw, knots,
                   start)
        if knots == 0:
            np.add(start, d2[j], out=f2[j])
        else:
            f2[j] = _earliest_time(kt, kw, _work_at(kt, kw, start) + d2[j])
    return 0


def _finish_from(kt, kw, knots, s, d):
    return s + d if knots == 0 else _earliest_time(kt, kw, _work_at(kt, kw, s) + d)


_LEVEL_TOLERANCE = 1e-9


def _fits(j, o, c, f, m, order, roles, demand, cap_first, cap_time, cap_fte, s2, f2):
    """Per iteration: whether workstream j fits over [c, f) (the C's ``fits``)."""
    ok = np.ones(c.shape, dtype=bool)
    for r in range(roles):
        need = demand[r * m + j]
        if not need > 0:
            continue
        times = cap_time[cap_first[r]:cap_first[r + 1]]
        fte = cap_fte[cap_first[r]:cap_first[r + 1]]
        placed = [k for k in order[:o] if demand[r * m + k] > 0]
        total = np.zeros(c.shape)  # the quick check: every overlapping one, the least capacity
        for k in placed:
            total = total + np.where((s2[k] < f) & (f2[k] > c), demand[r * m + k], 0.0)
        least = fte[np.searchsorted(times, c, side="right") - 1]
        for t, x in zip(times[1:], fte[1:]):
            least = np.where((t > c) & (t < f) & (x < least), x, least)
        sure = total + need <= least + _LEVEL_TOLERANCE
        points = [c] + [s2[k] for k in placed] + [np.full(c.shape, t) for t in times[1:]]
        for p in points:
            used = np.zeros(c.shape)
            for k in placed:
                used = used + np.where((s2[k] <= p) & (p < f2[k]), demand[r * m + k], 0.0)
            cap = fte[np.searchsorted(times, p, side="right") - 1]
            ok &= sure | ~((p >= c) & (p < f)) | (used + need <= cap + _LEVEL_TOLERANCE)
    return ok


def level_rows(duration, m, n, order, first, pred, lag, kind, earliest, pinned, kt, kw, knots,
               roles, demand, cap_first, cap_time, cap_fte, start, finish):
    if n == 0:
        return 0
    d2, s2, f2 = duration.reshape(m, n), start.reshape(m, n), finish.reshape(m, n)
    order = order.tolist()
    for o, j in enumerate(order):
        _start_row(j, f2, s2, d2[j], first, pred, lag, kind, earliest, pinned, kt, kw, knots,
                   s2[j])
        mine = [r for r in range(roles) if demand[r * m + j] > 0]
        if mine and math.isnan(pinned[j]):
            ready = s2[j].copy()
            sharing = [k for k in order[:o] if any(demand[r * m + k] > 0 for r in mine)]
            changes = [t for r in mine for t in cap_time[cap_first[r] + 1:cap_first[r + 1]]]
            best = np.full(n, np.inf)
            for c in [ready] + [np.where(f2[k] > ready, f2[k], ready) for k in sharing] + [
                    np.where(t > ready, t, ready) for t in changes]:
                fc = _finish_from(kt, kw, knots, c, d2[j])
                take = (c < best) & _fits(j, o, c, fc, m, order, roles, demand, cap_first,
                                          cap_time, cap_fte, s2, f2)
                best = np.where(take, c, best)
            s2[j] = best
        f2[j] = _finish_from(kt, kw, knots, s2[j], d2[j])
    return 0


def critical_rows(duration, finish, end, m, n, order, first, succ, lag, kind, kt, kw, knots,
                  rtol, late_start, critical):
    if n == 0:
        return 0
    d2, f2 = duration.reshape(m, n), finish.reshape(m, n)
    ls2, c2 = late_start.reshape(m, n), critical.reshape(m, n)
    # late finishes kept for FF and SF links
    lf2 = np.empty((m, n)) if np.any((kind == _FF) | (kind == _SF)) else None
    tol = rtol * np.where(end > 1.0, end, 1.0)
    for j in order.tolist()[::-1]:
        links = range(first[j], first[j + 1])
        # a finish no FS link (lag >= 0) holds back is held by the end
        closed = any(kind[q] == _FS and lag[q] >= 0 for q in links)
        late_finish = np.full(n, np.inf) if closed else end.copy()
        late_begin = None  # the bound on the late start from SS and SF links
        for q in links:
            k = kind[q]
            v = (lf2 if k == _FF or k == _SF else ls2)[succ[q]] - lag[q]
            if k == _FS or k == _FF:
                late_finish = np.where(late_finish < v, late_finish, v)
            else:
                late_begin = v if late_begin is None else np.where(late_begin < v, late_begin, v)
        if knots == 0:
            ls = late_finish - d2[j]
        else:
            ls = _time_at(kt, kw, _work_at(kt, kw, late_finish) - d2[j], True)
        if late_begin is not None:  # the start's bound, and the finish that start gives
            ls = np.where(ls < late_begin, ls, late_begin)
            if knots == 0:
                v = late_begin + d2[j]
            else:
                v = _earliest_time(kt, kw, _work_at(kt, kw, late_begin) + d2[j])
            late_finish = np.where(late_finish < v, late_finish, v)
        c2[j] = late_finish - f2[j] <= tol
        ls2[j] = ls
        if lf2 is not None:
            lf2[j] = late_finish
    return 0


# ---- risks switched off: the same iterations again, only what they can change ----------

def reschedule_cols(duration, finish, m, n, cols, k, down, nd, local, first, pred, lag, earliest,
                    pinned, hit_row, dur_hit, kt, kw, knots, out, sinks, ns, end):
    if k == 0:
        return
    d2, f2, o2 = duration.reshape(m, n), finish.reshape(m, n), out.reshape(nd, k)
    h2 = dur_hit.reshape(-1, k)
    for q in range(nd):
        o = o2[q]
        if not math.isnan(pinned[q]):
            o[:] = pinned[q]
        else:
            o[:] = earliest[q] if earliest[q] > 0 else 0.0
            for link in range(first[q], first[q + 1]):
                p = pred[link]
                s = (o2[local[p]] if local[p] >= 0 else f2[p, cols]) + lag[link]
                np.copyto(o, s, where=~(o > s))
        w = h2[hit_row[q]] if hit_row[q] >= 0 else d2[down[q], cols]
        if knots == 0:
            np.add(o, w, out=o)
        else:
            o[:] = _earliest_time(kt, kw, _work_at(kt, kw, o) + w)
    for s, j in enumerate(sinks.tolist()):
        x = o2[local[j]] if local[j] >= 0 else f2[j, cols]
        end[:] = x if s == 0 else np.where(x > end, x, end)


# ---- people: the FTE in use each week ------------------------------------------------------

def fte_by_week(start, finish, m, n, rows, k, fte, first, last, zero_below, fte_week):
    if n == 0:
        return 0
    weeks = last - first
    table = fte_week.reshape(-1, n)
    table[:] = 0.0
    flat, columns = fte_week.reshape(-1), np.arange(n)
    for j in rows[:k].tolist():
        for x, weight in ((start.reshape(m, n)[j], fte[j]), (finish.reshape(m, n)[j], -fte[j])):
            edge = np.maximum(x, 0.0)
            if not (edge >= first).all():  # NaN too
                return -1
            week = np.minimum(np.floor(edge), last)
            frac = edge - week
            at = (week.astype(np.intp) - first) * n + columns
            # one edge an iteration, so no index twice: the sums of flat[at] += ..., in
            # the same order (np.add.at: 2.5 times as fast)
            np.add.at(flat, at, weight * (1.0 - frac))
            np.add.at(flat, at + n, weight * frac)
    for w in range(1, weeks):  # the running sum, a row at a time (rows are contiguous)
        np.add(table[w - 1], table[w], out=table[w])
    out = table[:weeks]
    out[out < zero_below] = 0.0
    return 0
