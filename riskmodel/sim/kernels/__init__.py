"""The engine's inner loops, on one of two backends that give the same numbers.

``BACKEND`` says which one runs:

- ``"compiled"``: C functions (``riskmodel/sim/_kernels.c``, compiled when the package is
  installed with a C compiler) called through ctypes, the fast one;
- ``"numpy"``: the same loops in NumPy (``_numpy.py``), bit for bit the same numbers
  (``tests/sim/test_backends.py``), for installs without a compiler.

The environment variable ``RISKMODEL_KERNELS`` chooses (``numpy`` or ``compiled``; a
``compiled`` that is not built is an ``ImportError``); unset, the compiled loops run if
they are built, else NumPy, silently (``BACKEND`` tells). It is read at import, so set
it before importing riskmodel (worker processes inherit it).

Each loop works on one row (an input, or a workstream) at a time, so its data stays in
cache and nothing is allocated per element. The modules that call these (``random``,
``distributions``, ``pert``, ``network``) keep the meaning and the documentation; here
every array is checked before either backend sees it, so a mistake raises an error
instead of reading the wrong memory: ``ctypes.ArgumentError`` for a wrong type or memory
order (both backends check the C prototypes' types, ``_signatures.py``), and
``ValueError`` for a wrong shape.
"""
from __future__ import annotations

import contextlib
import ctypes
import operator
import os
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np

from ._signatures import ARGTYPES

__all__ = [
    "BACKEND",
    "BACKENDS",
    "available_backends",
    "using",
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
    "start_rows",
    "forward_rows",
    "level_rows",
    "critical_rows",
    "reschedule_cols",
    "rank_reorder_rows",
    "fte_by_week",
]

BACKENDS = ("compiled", "numpy")
_LOADED: dict[str, SimpleNamespace] = {}
_MISSING: dict[str, ImportError] = {}  # why a backend could not load


def _checked(name: str, fn):
    """``fn`` with the argument checks ctypes makes for the C function ``name``."""
    argtypes = ARGTYPES[name]

    def call(*args):
        if len(args) != len(argtypes):
            raise TypeError(f"{name} takes {len(argtypes)} arguments ({len(args)} given)")
        for i, (kind, arg) in enumerate(zip(argtypes, args)):
            try:
                kind.from_param(arg)
            except Exception as exc:  # as ctypes reports it
                raise ctypes.ArgumentError(
                    f"argument {i + 1}: {type(exc).__name__}: {exc}") from None
        with np.errstate(all="ignore"):
            return fn(*args)

    call.__name__ = name
    return call


def _load(backend: str) -> SimpleNamespace:
    """The raw functions of a backend (C signatures), loaded once; ImportError if the
    compiled loops are not built."""
    if backend in _MISSING:
        raise _MISSING[backend]
    if backend not in _LOADED:
        if backend == "compiled":
            try:
                from ._compiled import FUNCTIONS
            except ImportError as exc:
                _MISSING[backend] = exc
                raise
            _LOADED[backend] = FUNCTIONS
        elif backend == "numpy":
            from . import _numpy
            _LOADED[backend] = SimpleNamespace(
                **{name: _checked(name, getattr(_numpy, name)) for name in ARGTYPES})
        else:
            raise ValueError(f"unknown kernels backend {backend!r}; choose one of {BACKENDS}")
    return _LOADED[backend]


def available_backends() -> tuple[str, ...]:
    """The backends this install can run (``"numpy"`` always).

    Returns
    -------
    tuple of str
        Of ``BACKENDS``, in that order.
    """
    found = []
    for backend in BACKENDS:
        try:
            _load(backend)
        except ImportError:
            continue
        found.append(backend)
    return tuple(found)


def _choose() -> str:
    wanted = os.environ.get("RISKMODEL_KERNELS", "").strip().lower()
    if wanted not in ("", *BACKENDS):
        raise ImportError(f"RISKMODEL_KERNELS={wanted!r}: choose 'compiled' or 'numpy' "
                          "(or leave it unset)")
    if wanted == "numpy":
        return wanted
    try:
        _load("compiled")
    except ImportError as exc:
        if wanted == "compiled":
            raise ImportError(
                "RISKMODEL_KERNELS=compiled, but riskmodel's compiled loops are not built "
                f"({exc}); reinstall with a C compiler (`pip install -e .`), or unset "
                "RISKMODEL_KERNELS to run on the NumPy backend") from exc
        return "numpy"
    return "compiled"


BACKEND: str = _choose()
_impl: SimpleNamespace = _load(BACKEND)


@contextlib.contextmanager
def using(backend: str) -> Iterator[None]:
    """Run the loops on ``backend`` inside the ``with`` block (this process only; for
    tests and benchmarks: it is not thread-safe, and worker processes follow
    ``RISKMODEL_KERNELS``).

    Parameters
    ----------
    backend : {"compiled", "numpy"}

    Returns
    -------
    context manager
        ``BACKEND`` is ``backend`` inside the block and what it was after.

    Raises
    ------
    ImportError
        ``backend`` is ``"compiled"`` and the compiled loops are not built.
    ValueError
        ``backend`` is not one of ``BACKENDS``.
    """
    global BACKEND, _impl
    saved = BACKEND, _impl
    _impl, BACKEND = _load(backend), backend
    try:
        yield
    finally:
        BACKEND, _impl = saved


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


def _calendar_ok(kt: np.ndarray, kw: np.ndarray) -> None:
    """Knots both backends read the same way: two or more, both sorted (no NaN)."""
    _same_shape(kt, kw)
    if kt.size < 2 or not (np.all(np.diff(kt) >= 0) and np.all(np.diff(kw) >= 0)):
        raise ValueError("a calendar needs two or more knots, in order")


def _ok(status: int) -> None:
    if status != 0:
        raise MemoryError("riskmodel kernels: out of memory")


def philox4x32(counter, key) -> tuple[int, int, int, int]:
    """Philox4x32-10 of a 4-word counter under a 2-word key (32-bit words).

    Parameters
    ----------
    counter : sequence of 4 int
        The counter's words.
    key : sequence of 2 int
        The key's words.

    Returns
    -------
    tuple of 4 int
        The output words.

    Examples
    --------
    >>> [hex(w) for w in philox4x32([0, 0, 0, 0], [0, 0])]  # Random123's known answer
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    out = np.empty(4, dtype=np.uint32)
    _impl.philox4x32_10(np.asarray(counter, dtype=np.uint32),
                        np.asarray(key, dtype=np.uint32), out)
    a, b, c, d = (int(x) for x in out)
    return a, b, c, d


def uniform_rows(keys: np.ndarray, block: int, latin: bool, out: np.ndarray,
                 variant: int = 0) -> None:
    """Uniforms for one block: row r of ``out`` from the Philox stream keyed ``keys[r]``.

    Iteration i of block b reads counter (i, b mod 2^32, b div 2^32, 0). Its first two
    words make a 53-bit uniform, the point (plain sampling). For a Latin hypercube
    (``latin``) that uniform places the point within its stratum, and iteration i gets
    stratum perm[i] = the index of the i-th smallest key, key[j] being iteration j's last
    two words (a 64-bit number) with their low bits, as many as n - 1 has, replaced by j:
    distinct keys, so sorting them is well defined (``np.sort(key) & mask``; riskmodel
    up to 0.2.0 used an inside-out Fisher-Yates shuffle instead, so its Latin hypercube
    draws differ). ``variant`` picks the C build (0 the best this CPU runs, 1 plain, 2 AVX2,
    3 AVX-512); all give the same numbers, and the NumPy backend ignores it.

    Parameters
    ----------
    keys : ndarray of uint64
        Each row's Philox key, rows x 2 (``random.stream_keys``).
    block : int
        The block's number b.
    latin : bool
        Latin hypercube (True) or plain (False) sampling.
    out : ndarray of float64
        Rows x n, written in place.
    variant : int
        The C build to run (0 to 3).

    Raises
    ------
    ValueError
        ``keys`` is not rows x 2, or this CPU cannot run ``variant``.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    if keys.shape != (out.shape[0], 2):
        raise ValueError("keys must be (rows, 2)")
    status = _impl.uniform_rows_variant(int(variant), keys, out.shape[0], out.shape[1],
                                        int(block), int(bool(latin)), out)
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
    row ``rows[k]`` of ``out`` (default row k).

    Parameters
    ----------
    a, c, b : ndarray of float64
        Each row's min, mode and max, one value per row of ``u``.
    u : ndarray of float64
        Uniforms, k x n.
    out : ndarray of float64
        n columns, written in place.
    rows : ndarray of int64, optional
        The row of ``out`` for each row of ``u``.

    Raises
    ------
    ValueError
        ``a``, ``c`` or ``b`` without a value per row, or ``rows`` not naming a row of
        ``out`` for each row of ``u`` (without ``rows``: ``u`` and ``out`` differ in shape).
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    dest = _destination(u, out, rows)
    _lengths(u.shape[0], a, c, b)
    _impl.triangular_rows(a, c, b, u.shape[0], u.shape[1], u, dest, out)


def cubic_rows(coef: np.ndarray, x0: float, inv_h: float, last: int, x: np.ndarray,
               table: np.ndarray, out: np.ndarray) -> None:
    """Read table ``table[i]`` of a stack of cubic tables (``coef``: cells x 4) at ``x[i]``.

    Parameters
    ----------
    coef : ndarray of float64
        Each cell's four cubic coefficients, (tables x cells) x 4, table after table.
    x0 : float
        Where every table's grid starts.
    inv_h : float
        1 / the width of a cell.
    last : int
        The last cell's index (a table has ``last + 1`` cells).
    x : ndarray of float64
        The points.
    table : ndarray of int64
        The table each point reads, shaped like ``x``.
    out : ndarray of float64
        Shaped like ``x``, written in place.

    Raises
    ------
    ValueError
        ``x``, ``table`` and ``out`` differ in shape, ``coef`` is not (tables x cells) x 4,
        or a table id is not in the stack.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(x, table, out)
    if coef.ndim != 2 or coef.shape[1] != 4 or (table.size and (
            table.min() < 0 or (table.max() + 1) * (last + 1) > coef.shape[0])):
        raise ValueError("coef must be (tables x cells, 4) and table ids must exist")
    _impl.cubic_rows(coef, float(x0), float(inv_h), int(last), x.size, x, table, out)


def pert_rows(central, lower, upper, c_grid, t_grid, tail: float, floor: float,
              lo: np.ndarray, hi: np.ndarray, u: np.ndarray, out: np.ndarray,
              rows: np.ndarray | None = None) -> int:
    """PERT inverse CDFs from stacked tables of the standard beta, row k reading table k,
    scaled to [lo[k], hi[k]], into row ``rows[k]`` of ``out`` (default row k).

    ``c_grid``/``t_grid`` are (x0, 1/h, last cell) of the central and tail tables; the
    tails are read on log(u) and log(1 - u). Beyond ``floor`` the result is NaN, for the
    caller to fill with the exact inverse; returns how many there are.

    Parameters
    ----------
    central, lower, upper : ndarray of float64
        Stacked cubic tables of the standard beta's inverse, (k x cells) x 4: on u, on
        log(u) and on log(1 - u).
    c_grid, t_grid : ndarray of float64
        (x0, 1/h, last cell) of the central and of the tail tables.
    tail : float
        Where the central table hands over to the tails: u below ``tail`` or above
        1 - ``tail``.
    floor : float
        u or 1 - u below it gives NaN.
    lo, hi : ndarray of float64
        Each row's min and max, one value per row of ``u``.
    u : ndarray of float64
        Uniforms, k x n.
    out : ndarray of float64
        n columns, written in place.
    rows : ndarray of int64, optional
        The row of ``out`` for each row of ``u``.

    Returns
    -------
    int
        How many values are NaN (beyond ``floor``).

    Raises
    ------
    ValueError
        A table stack that does not match the rows, ``lo`` or ``hi`` without a value per
        row, or ``rows`` not naming a row of ``out`` for each row of ``u``.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    dest = _destination(u, out, rows)
    _lengths(u.shape[0], lo, hi)
    for coef, grid in ((central, c_grid), (lower, t_grid), (upper, t_grid)):
        if coef.shape != (u.shape[0] * (int(grid[2]) + 1), 4):
            raise ValueError("a PERT table stack does not match the rows")
    return _impl.pert_rows(central, lower, upper, c_grid, t_grid, float(tail), float(floor),
                           lo, hi, u.shape[0], u.shape[1], u, dest, out)


def apply_risks(base: np.ndarray, fired: np.ndarray, impact: np.ndarray, kind: np.ndarray,
                first: np.ndarray, node: np.ndarray, out: np.ndarray) -> None:
    """Working durations: ``base`` times the factors of the risks that fired, then plus
    their delays, risks in order. Risk r is a factor (``kind`` 1) or a delay (2) on the
    workstreams ``node[first[r]:first[r + 1]]``; ``fired`` (bool) and ``impact`` are
    risks x iterations.

    Parameters
    ----------
    base : ndarray of float64
        Base durations, workstreams x iterations.
    fired : ndarray of bool
        Whether each risk fired, risks x iterations.
    impact : ndarray of float64
        Each risk's impact draw, risks x iterations.
    kind : ndarray of int64
        Per risk: 1 a factor, 2 a delay, 0 neither (it changes no duration).
    first, node : ndarray of int64
        The workstreams each risk hits, in CSR form.
    out : ndarray of float64
        Shaped like ``base``, written in place.

    Raises
    ------
    ValueError
        Shapes that do not match, ``fired`` not boolean, or links not in CSR form or
        naming a workstream that does not exist.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(base, out)
    _same_shape(fired, impact)
    risks = fired.shape[0]
    if fired.dtype != np.bool_ or (risks and fired.shape[1] != base.shape[1]):
        raise ValueError("fired must be boolean, risks x iterations")
    _lengths(risks, kind, first=first)
    _links_ok(first, node, base.shape[0])
    _impl.apply_risks(base, base.shape[0], base.shape[1], fired.view(np.uint8), impact, risks,
                      kind, first, node, out)


def weighted_sum(w: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out = w @ x, summing the rows of ``x`` in order (no BLAS, so no threads).

    Parameters
    ----------
    w : ndarray of float64
        A weight per row of ``x``.
    x : ndarray of float64
        Rows x n.
    out : ndarray of float64
        A value per column of ``x``, written in place.

    Raises
    ------
    ValueError
        ``w`` without a weight per row, or ``out`` without a value per column.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    if w.shape != (x.shape[0],) or out.shape != (x.shape[1],):
        raise ValueError("weighted_sum: w must have a weight per row, out a value per column")
    _impl.weighted_sum(w, x, x.shape[0], x.shape[1], out)


def gaussian_copula(u: np.ndarray, factor: np.ndarray, out: np.ndarray,
                    uniform: bool = True) -> None:
    """Rows of ``u`` (k x n) given the rank correlation of the lower Cholesky ``factor``:
    normal quantiles (Wichura's AS241; ``u`` kept within [eps, 1 - eps]), mixed by
    ``factor``, and, with ``uniform``, back through the normal CDF (0.5 erfc(-x /
    sqrt 2)); without it, the mixed standard normals themselves (scores in the same
    order, but for two whose CDFs round to one double).

    Parameters
    ----------
    u : ndarray of float64
        Independent uniforms, k x n.
    factor : ndarray of float64
        Lower Cholesky factor, k x k.
    out : ndarray of float64
        k x n, written in place.
    uniform : bool
        Uniforms (True) or standard normal scores (False).

    Raises
    ------
    ValueError
        ``factor`` is not k x k, or ``out`` is not shaped like ``u``.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    k = u.shape[0]
    if factor.shape != (k, k):
        raise ValueError("gaussian_copula: factor must be square with a row per row of u")
    _same_shape(u, out)
    _ok(_impl.gaussian_copula(u, factor, k, u.shape[1], int(bool(uniform)), out))


def _calendar(name: str, kt: np.ndarray, kw: np.ndarray, x: np.ndarray, out: np.ndarray):
    _same_shape(x, out)
    _calendar_ok(kt, kw)
    getattr(_impl, name)(kt, kw, kt.size, x.size, x, out)


def calendar_work(kt, kw, t, out) -> None:
    """Working time done by calendar times ``t`` (flat): np.interp(t, kt, kw), for knots
    ``kt`` (sorted) and cumulative working times ``kw`` (sorted), two or more.

    Parameters
    ----------
    kt, kw : ndarray of float64
        The calendar's knots: times and the working time done by them.
    t : ndarray of float64
        Calendar times.
    out : ndarray of float64
        Shaped like ``t``, written in place.

    Raises
    ------
    ValueError
        ``t`` and ``out`` differ in shape, or the knots are fewer than two or not in order.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _calendar("calendar_work", kt, kw, t, out)


def calendar_time(kt, kw, w, out) -> None:
    """Earliest calendar times by which working times ``w`` (flat) are done.

    Parameters
    ----------
    kt, kw : ndarray of float64
        The calendar's knots, as ``calendar_work``'s.
    w : ndarray of float64
        Working times.
    out : ndarray of float64
        Shaped like ``w``, written in place.

    Raises
    ------
    ValueError
        ``w`` and ``out`` differ in shape, or the knots are fewer than two or not in order.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _calendar("calendar_time", kt, kw, w, out)


def _kinds_ok(pred: np.ndarray, lag: np.ndarray, kind: np.ndarray) -> None:
    """A lag and a link type per link, the types 0 (FS) to 3 (SF)."""
    _same_shape(pred, lag, kind)
    if kind.size and (kind.min() < 0 or kind.max() > 3):
        raise ValueError("link types must be 0 (FS), 1 (SS), 2 (FF) or 3 (SF)")


def _knots_ok(kt: np.ndarray, kw: np.ndarray) -> None:
    _same_shape(kt, kw)
    if kt.size:
        _calendar_ok(kt, kw)


def start_rows(finish, duration, order, first, pred, lag, kind, earliest, pinned, kt, kw,
               start) -> None:
    """Start times implied by finish times (the forward pass's rule, below); ``duration``
    and the calendar are read for FF and SF links only.

    Parameters
    ----------
    finish, duration : ndarray of float64
        Finishes and working durations, workstreams x iterations.
    order, first, pred, lag, kind, earliest, pinned, kt, kw
        As ``forward_rows``'s.
    start : ndarray of float64
        Workstreams x iterations, written in place.

    Raises
    ------
    ValueError
        Shapes that do not match, links not in CSR form or naming a workstream that does
        not exist, a link type outside 0 to 3, or knots out of order.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(finish, duration, start)
    _knots_ok(kt, kw)
    _lengths(finish.shape[0], order, earliest, pinned, first=first)
    _links_ok(first, pred, finish.shape[0], order)
    _kinds_ok(pred, lag, kind)
    _impl.start_rows(finish, duration, finish.shape[0], finish.shape[1], order, first, pred,
                     lag, kind, earliest, pinned, kt, kw, kt.size, start)


def forward_rows(duration, order, first, pred, lag, kind, earliest, pinned, kt, kw,
                 finish) -> None:
    """Finish times: each workstream starts at the latest its links allow, not before
    ``earliest`` nor 0, or at its ``pinned`` actual start (not NaN), and works through the
    calendar (``kt`` empty: none). Links are in CSR form: workstream j's predecessors are
    ``pred[first[j]:first[j + 1]]`` with lags ``lag[...]`` and types ``kind[...]``: 0 FS
    (the predecessor's finish + lag), 1 SS (its start + lag), 2 FF (the start that
    finishes at its finish + lag), 3 SF (the start that finishes at its start + lag).

    Parameters
    ----------
    duration : ndarray of float64
        Working durations, workstreams x iterations.
    order : ndarray of int64
        A topological order of the workstreams.
    first, pred : ndarray of int64
        Each workstream's predecessors, in CSR form.
    lag : ndarray of float64
        Each link's lag in weeks.
    kind : ndarray of int64
        Each link's type, 0 to 3.
    earliest, pinned : ndarray of float64
        Per workstream: the earliest start and the actual start (NaN where none).
    kt, kw : ndarray of float64
        The calendar's knots (empty: no calendar).
    finish : ndarray of float64
        Workstreams x iterations, written in place.

    Raises
    ------
    ValueError
        Shapes that do not match, links not in CSR form or naming a workstream that does
        not exist, a link type outside 0 to 3, or knots out of order.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(duration, finish)
    _knots_ok(kt, kw)
    _lengths(duration.shape[0], order, earliest, pinned, first=first)
    _links_ok(first, pred, duration.shape[0], order)
    _kinds_ok(pred, lag, kind)
    _ok(_impl.forward_rows(duration, duration.shape[0], duration.shape[1], order, first, pred,
                           lag, kind, earliest, pinned, kt, kw, kt.size, finish))


def level_rows(duration, order, first, pred, lag, kind, earliest, pinned, kt, kw, demand,
               cap_first, cap_time, cap_fte, start, finish) -> None:
    """``forward_rows`` with levelling: workstreams are placed in ``order`` (the priority),
    each at the earliest time at or after what its links allow at which, over its whole
    run, the FTE ``demand[r, j]`` it needs of each limited role r fit beside the ones
    placed before it within the role's capacity: ``cap_fte[i]`` from ``cap_time[i]`` on,
    for i in ``cap_first[r]:cap_first[r + 1]`` (the first time -inf). A pinned start is
    kept. Writes every workstream's ``start`` and ``finish``.

    Parameters
    ----------
    duration, order, first, pred, lag, kind, earliest, pinned, kt, kw
        As ``forward_rows``'s (``order``: the priority order).
    demand : ndarray of float64
        FTE of each limited role each workstream needs, roles x workstreams.
    cap_first : ndarray of int64
        Each role's capacity steps in CSR form (roles + 1 values).
    cap_time, cap_fte : ndarray of float64
        Each step's from time and FTE.
    start, finish : ndarray of float64
        Workstreams x iterations, written in place.

    Raises
    ------
    ValueError
        Shapes that do not match, links not in CSR form, an order that is not a
        permutation, a role without capacity steps, or capacity times that do not start
        at -inf and rise.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(duration, finish, start)
    _knots_ok(kt, kw)
    m = duration.shape[0]
    _lengths(m, order, earliest, pinned, first=first)
    _links_ok(first, pred, m, order)
    _kinds_ok(pred, lag, kind)
    roles = cap_first.size - 1
    if (demand.shape != (roles, m) or roles < 0 or cap_time.shape != cap_fte.shape
            or cap_first[0] != 0 or cap_first[-1] != cap_time.size
            or np.any(np.diff(cap_first) < 1)
            or sorted(order.tolist()) != list(range(m))):
        raise ValueError("level_rows: demand must be roles x workstreams, each role with "
                         "one or more capacity steps, and order a permutation")
    for r in range(roles):
        times = cap_time[cap_first[r]:cap_first[r + 1]]
        if times[0] != -np.inf or np.any(np.diff(times) <= 0):
            raise ValueError("level_rows: a role's capacity times start at -inf and rise")
    _ok(_impl.level_rows(duration, m, duration.shape[1], order, first, pred, lag, kind,
                         earliest, pinned, kt, kw, kt.size, roles,
                         np.ascontiguousarray(demand).ravel(), cap_first, cap_time, cap_fte,
                         start, finish))


def critical_rows(duration, finish, end, order, first, succ, lag, kind, kt, kw, rtol: float,
                  late_start, critical) -> None:
    """Zero total float: a backward pass from ``end`` gives each workstream's latest
    finish; critical where it equals the finish (within ``rtol`` of the end). Successor
    links (CSR) have lags and types as ``forward_rows``'s. ``late_start`` receives the
    latest starts; ``critical`` is boolean.

    Parameters
    ----------
    duration, finish : ndarray of float64
        Working durations and finishes, workstreams x iterations.
    end : ndarray of float64
        The programme end, one value per iteration.
    order : ndarray of int64
        A topological order of the workstreams.
    first, succ : ndarray of int64
        Each workstream's successors, in CSR form.
    lag : ndarray of float64
        Each link's lag in weeks.
    kind : ndarray of int64
        Each link's type, 0 to 3.
    kt, kw : ndarray of float64
        The calendar's knots (empty: no calendar).
    rtol : float
        Relative tolerance of "equals".
    late_start : ndarray of float64
        Workstreams x iterations, written in place.
    critical : ndarray of bool
        Workstreams x iterations, written in place.

    Raises
    ------
    ValueError
        Shapes that do not match, links not in CSR form or naming a workstream that does
        not exist, a link type outside 0 to 3, knots out of order, ``end`` without a
        value per iteration, or ``critical`` not boolean.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(duration, finish, late_start, critical)
    _knots_ok(kt, kw)
    _lengths(duration.shape[0], order, first=first)
    _links_ok(first, succ, duration.shape[0], order)
    _kinds_ok(succ, lag, kind)
    if end.shape != (duration.shape[1],) or critical.dtype != np.bool_:
        raise ValueError("end must have one value per iteration; critical must be boolean")
    _ok(_impl.critical_rows(duration, finish, end, duration.shape[0], duration.shape[1], order,
                            first, succ, lag, kind, kt, kw, kt.size, float(rtol), late_start,
                            critical.view(np.uint8)))


def _in_range(ids: np.ndarray, lo: int, hi: int) -> bool:
    return not ids.size or (int(ids.min()) >= lo and int(ids.max()) < hi)


def reschedule_cols(duration, finish, cols, down, local, first, pred, lag, earliest, pinned,
                    hit_row, dur_hit, kt, kw, out, sinks, end) -> None:
    """Finishes of the workstreams ``down`` (in topological order) in the iterations
    ``cols``, scheduled again (``forward_rows``'s rule, finish-to-start links only) on the
    working durations ``duration`` (workstreams x iterations), a row ``q`` with
    ``hit_row[q] >= 0`` working ``dur_hit[hit_row[q]]`` instead; a predecessor ``p`` with
    ``local[p] < 0`` keeps its finish from ``finish``, one with ``local[p] = q`` is row q
    of ``out`` (scheduled before). Links in CSR form over the rows of ``down``, ``pred``
    naming workstreams; ``earliest``, ``pinned`` and ``hit_row`` per row of ``down``.
    ``out``: len(down) x len(cols); ``end``: per iteration the latest finish of the
    workstreams ``sinks`` (one or more) in that schedule.

    Parameters
    ----------
    duration, finish : ndarray of float64
        The run's working durations and finishes, workstreams x iterations.
    cols : ndarray of int64
        The iterations to schedule again.
    down : ndarray of int64
        The workstreams to schedule again, in topological order.
    local : ndarray of int64
        Per workstream: its row in ``down``, or -1.
    first, pred : ndarray of int64
        The predecessors of each row of ``down``, in CSR form (workstream ids).
    lag : ndarray of float64
        Each link's lag in weeks.
    earliest, pinned : ndarray of float64
        Per row of ``down``: the earliest start and the actual start (NaN where none).
    hit_row : ndarray of int64
        Per row of ``down``: its row in ``dur_hit``, or -1.
    dur_hit : ndarray of float64
        The changed working durations, rows x len(cols).
    kt, kw : ndarray of float64
        The calendar's knots (empty: no calendar).
    out : ndarray of float64
        len(down) x len(cols), written in place; it must not overlap ``duration``,
        ``finish`` or ``dur_hit`` (the compiled loop reads them as separate arrays).
    sinks : ndarray of int64
        The workstreams whose finish can be the end.
    end : ndarray of float64
        One value per iteration of ``cols``, written in place.

    Raises
    ------
    ValueError
        Shapes that do not match, links not in CSR form, an index that names no
        iteration, workstream or row, or ``out`` overlapping an input.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(duration, finish)
    if any(np.may_share_memory(out, a) for a in (duration, finish, dur_hit)):
        raise ValueError("reschedule_cols: out must not overlap duration, finish or dur_hit")
    m, n = duration.shape
    nd, k = down.size, cols.size
    _knots_ok(kt, kw)
    _lengths(nd, earliest, pinned, hit_row, first=first)
    _links_ok(first, pred, m)
    _same_shape(pred, lag)
    if (out.shape != (nd, k) or local.shape != (m,) or dur_hit.ndim != 2
            or dur_hit.shape[1] != k or not _in_range(cols, 0, n)
            or not _in_range(down, 0, m) or not _in_range(local, -1, nd)
            or not _in_range(hit_row, -1, dur_hit.shape[0]) or sinks.ndim != 1
            or not sinks.size or not _in_range(sinks, 0, m) or end.shape != (k,)):
        raise ValueError("reschedule_cols: out must be rows x iterations, cols name "
                         "iterations, down, local and sinks workstreams, hit_row rows of "
                         "dur_hit, end a value per iteration")
    _impl.reschedule_cols(duration, finish, m, n, cols, k, down, nd, local, first, pred, lag,
                          earliest, pinned, hit_row, dur_hit, kt, kw, kt.size, out, sinks,
                          sinks.size, end)


def rank_reorder_rows(values: np.ndarray, scores: np.ndarray, out: np.ndarray,
                      normal: bool = False) -> None:
    """Iman and Conover's reordering: row r of ``out`` is row r of ``values`` sorted, put
    in the rank order of row r of ``scores`` (``out[r, argsort(scores[r])] =
    sort(values[r])``, both stable). Every value and score must be finite. The compiled
    loops are quickest on values in [0, 1) and scores in [0, 1) or, with ``normal``,
    standard normal; any finite numbers give the same result.

    Parameters
    ----------
    values, scores : ndarray of float64
        Rows x iterations.
    out : ndarray of float64
        Rows x iterations, written in place.
    normal : bool
        The scores are standard normal rather than uniform (only the speed depends on it).

    Raises
    ------
    ValueError
        The arrays differ in shape or are not two-dimensional, or a value or score is
        not finite.
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(values, scores, out)
    if values.ndim != 2:
        raise ValueError("rank_reorder_rows: values must be rows x iterations")
    if not (np.isfinite(values).all() and np.isfinite(scores).all()):
        raise ValueError("rank_reorder_rows: values and scores must be finite")
    _ok(_impl.rank_reorder_rows(values, scores, values.shape[0], values.shape[1],
                                int(bool(normal)), out))


MAX_WEEK = 2**31
"""The latest week ``fte_by_week`` counts to (weeks are whole numbers of doubles, exact
far beyond it; a simulated finish is refused past ``simulate.MAX_WEEKS``, 10,000)."""


def fte_by_week(start: np.ndarray, finish: np.ndarray, rows: np.ndarray, fte: np.ndarray,
                first: int, last: int, zero_below: float, fte_week: np.ndarray) -> None:
    """The FTE in use in each of weeks ``first`` to ``last - 1`` and each iteration, in
    rows 0 to ``last - first - 1`` of ``fte_week`` (the two rows after them are
    workspace): the listed workstreams' FTE times the share of each week they run, what
    is below ``zero_below`` set to 0 (``analysis.resources._weekly`` defines it).

    Each workstream's start and finish, in that order, are ramps of ``fte[j]`` and
    ``-fte[j]`` a week wide: an edge x (below 0 counts as 0) puts ``weight * (1 - frac)``
    in its week ``w = min(floor(x), last)`` and ``weight * frac`` in the next (``frac = x
    - w``); a running sum down the weeks gives the FTE.

    Parameters
    ----------
    start, finish : ndarray of float64
        Workstreams x iterations.
    rows : ndarray of int64
        The workstreams to add, in order.
    fte : ndarray of float64
        A weight per workstream.
    first, last : int
        The weeks covered.
    zero_below : float
        FTE below this is set to 0 (a running sum's last bits where nobody works).
    fte_week : ndarray of float64
        (last - first + 2) x iterations, written in place.

    Raises
    ------
    ValueError
        Shapes that do not fit, a row out of range, or an edge before week ``first`` (or
        not a number).
    ctypes.ArgumentError
        An array of the wrong dtype or not C-contiguous (or, for an output, not writeable).
    """
    _same_shape(start, finish)
    first, last = operator.index(first), operator.index(last)
    if start.ndim != 2 or fte.shape != (start.shape[0],) or rows.ndim != 1 \
            or not 0 <= first <= last <= MAX_WEEK \
            or fte_week.shape != (last - first + 2, start.shape[1]):
        raise ValueError("fte_by_week: start and finish workstreams x iterations, an fte "
                         "each, 0 <= first <= last <= MAX_WEEK, fte_week (last - first + 2) "
                         "x iterations")
    if not _in_range(rows, 0, start.shape[0]):
        raise ValueError("fte_by_week: a row out of range")
    if _impl.fte_by_week(start, finish, start.shape[0], start.shape[1], rows, rows.size, fte,
                         first, last, zero_below, fte_week):
        raise ValueError("fte_by_week: an edge before week `first`, or not a number")
