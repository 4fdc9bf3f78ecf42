"""The loops against plain NumPy and SciPy, their guards against bad arrays (on every
backend), and the ctypes binding against the C prototypes.

(``test_backends.py`` checks that the two backends give the same numbers.)
"""
import ctypes
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from riskmodel.sim import kernels
from riskmodel.sim.correlation import copula_factor, correlate_uniforms
from riskmodel.sim.kernels._signatures import ARGTYPES, CTYPES, RESTYPE, SIGNATURES, VERSION
from riskmodel.sim.network import WorkCalendar

RNG = np.random.default_rng(3)


def test_weighted_sum_equals_the_matrix_product(backend):
    w, x = RNG.normal(size=40), RNG.normal(size=(40, 1000))
    out = np.empty(1000)
    kernels.weighted_sum(w, x, out)
    np.testing.assert_allclose(out, w @ x, rtol=1e-12, atol=1e-12)


def test_gaussian_copula_equals_scipy_normal_functions(backend):
    # the same map with SciPy's normal quantile and CDF, to 1e-13 (Wichura's AS241
    # and erfc against Cephes); with the identity factor it is the identity, tails too
    # (a quantile with relative error e comes back with about z^2 e: 1e-13 allows z ~ 7)
    factor = np.linalg.cholesky(np.corrcoef(RNG.normal(size=(6, 50))))
    u = RNG.random((6, 2000))
    u[0, :6] = [1e-300, 1e-20, 1e-9, 0.5, 1 - 1e-9, 1 - 1e-16]
    out = np.empty_like(u)
    kernels.gaussian_copula(u, factor, out)
    eps = np.finfo(float).eps
    expected = special.ndtr(factor @ special.ndtri(np.clip(u, eps, 1 - eps)))
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-300)
    same = np.empty_like(u)
    kernels.gaussian_copula(u, np.eye(6), same)
    np.testing.assert_allclose(same, np.clip(u, eps, 1 - eps), rtol=1e-13)


def test_triangular_kernel_is_the_closed_form(backend):
    a, c, b = np.array([1.0]), np.array([2.0]), np.array([5.0])
    u = np.array([[0.0, 0.25, 0.5, 0.99]])
    out = np.empty_like(u)
    kernels.triangular_rows(a, c, b, u, out)
    # F(mode) = (2 - 1) / (5 - 1) = 0.25: below it a + sqrt(u (b - a)(c - a)), above it
    # b - sqrt((1 - u)(b - a)(b - c)); at the mode both give 2
    expected = [1.0, 2.0, 5 - np.sqrt(0.5 * 4 * 3), 5 - np.sqrt(0.01 * 4 * 3)]
    np.testing.assert_allclose(out[0], expected, rtol=1e-15)


def test_calendar_work_is_linear_interpolation(backend):
    cal = WorkCalendar.from_blackouts([(2.0, 4.0, 0.25), (6.0, 6.5, 0.0)])
    t = np.concatenate([RNG.uniform(-1, 12, 2000), cal.knots_t])
    np.testing.assert_array_equal(cal.work(t), np.interp(t, cal.knots_t, cal.knots_w))
    # time() inverts work() wherever work advances
    w = RNG.uniform(0.01, 10, 2000)
    np.testing.assert_allclose(cal.work(cal.time(w)), w, rtol=1e-12)


@pytest.fixture(params=kernels.available_backends())
def backend(request):
    """Each backend this install runs, in turn."""
    with kernels.using(request.param):
        yield request.param


def test_wrong_arrays_are_refused_before_they_reach_c(backend):
    out = np.empty(4)
    with pytest.raises(ctypes.ArgumentError, match="float64"):
        kernels.weighted_sum(np.ones(3, dtype=np.float32), np.ones((3, 4)), out)
    with pytest.raises(ctypes.ArgumentError, match="C_CONTIGUOUS"):
        kernels.weighted_sum(np.ones(3), np.ones((3, 8))[:, ::2], out)
    frozen = np.empty(4)
    frozen.flags.writeable = False
    with pytest.raises(ctypes.ArgumentError, match="WRITEABLE"):
        kernels.weighted_sum(np.ones(3), np.ones((3, 4)), frozen)
    with pytest.raises(ValueError, match="weight per row"):
        kernels.weighted_sum(np.ones(2), np.ones((3, 4)), out)
    with pytest.raises(ValueError, match="same shape"):
        kernels.triangular_rows(np.ones(1), np.ones(1), np.ones(1), np.ones((1, 5)),
                                np.empty((1, 4)))
    # calendars: two knots or more, in order (else the loops would read past them)
    for kt, kw in [([1.0, 0.0], [0.0, 1.0]), ([0.0], [0.0]), ([0.0, 1.0], [1.0, np.nan])]:
        with pytest.raises(ValueError, match="two or more knots"):
            kernels.calendar_time(np.array(kt), np.array(kw), out, np.empty(4))


def test_fte_by_week_is_the_share_of_each_week_worked_and_refuses_what_it_cannot_place(
        backend):
    """A workstream of 2 FTE from week 1.25 to 3.5 works 0.75, 1 and 0.5 of weeks 1-3;
    one running past the last week counts to its end; an edge before ``first``, NaN or
    a row out of range is refused."""
    start, finish = np.array([[1.25, 0.0]]), np.array([[3.5, 9.0]])
    table = np.full((6, 2), 7.0)
    kernels.fte_by_week(start, finish, np.array([0]), np.array([2.0]), 0, 4, 1e-12, table)
    np.testing.assert_array_equal(table[:4], [[0, 2], [1.5, 2], [2, 2], [1, 2]])
    for bad_start, rows, first in [(0.5, [0], 1), (np.nan, [0], 0), (1.0, [1], 0)]:
        with pytest.raises(ValueError, match="before week|out of range"):
            kernels.fte_by_week(np.array([[bad_start, 1.0]]), finish, np.array(rows),
                                np.array([2.0]), first, 4, 0.0, np.empty((4 - first + 2, 2)))
    with pytest.raises(ValueError, match="last - first"):
        kernels.fte_by_week(start, finish, np.array([0]), np.array([2.0]), 0, 4, 0.0,
                            np.empty((5, 2)))
    # weeks whose doubles round (helper-37: the C wrote a row outside its table)
    for first in (2**53 + 1, 2**63 - 3, 2**64 + 1):
        with pytest.raises(ValueError, match="MAX_WEEK"):
            kernels.fte_by_week(start * 2.0**53, finish * 2.0**60, np.array([0]),
                                np.array([2.0]), first, first + 1, 0.0, np.empty((3, 2)))


def test_correlation_needs_a_lower_triangular_factor():
    factor = copula_factor(np.array([[1.0, 0.5], [0.5, 1.0]]))
    u = RNG.random((2, 20_000))
    mixed = correlate_uniforms(u, factor)
    # the first row keeps its values (its factor row is [1, 0]); the second takes on the
    # target rank correlation, 0.5 (the factor is built from the Spearman target)
    np.testing.assert_allclose(mixed[0], u[0], rtol=0, atol=1e-12)
    from scipy import stats

    assert abs(stats.spearmanr(mixed[0], mixed[1])[0] - 0.5) < 0.02
    with pytest.raises(ValueError, match="lower triangular"):
        correlate_uniforms(u, factor.T)


def test_links_that_would_read_outside_the_arrays_are_refused(backend):
    d = np.ones((2, 3))
    order = np.array([0, 1])
    none = np.full(2, np.nan)
    finish = np.empty_like(d)
    empty = np.empty(0)
    fs = np.array([0])
    good = (np.array([0, 0, 1]), np.array([0]), np.array([0.0]), fs)
    kernels.forward_rows(d, order, *good, none, none, empty, empty, finish)
    np.testing.assert_array_equal(finish, [[1, 1, 1], [2, 2, 2]])
    for first, pred in [(np.array([0, 0, 2]), np.array([0])),       # runs past pred
                        (np.array([0, 0, 1]), np.array([5]))]:      # no workstream 5
        with pytest.raises(ValueError):
            kernels.forward_rows(d, order, first, pred, np.zeros(pred.size), fs, none, none,
                                 empty, empty, finish)
    with pytest.raises(ValueError):
        kernels.forward_rows(d, np.array([0, 7]), *good, none, none, empty, empty, finish)
    # a link type per link, each one of FS, SS, FF, SF (0 to 3)
    for kind in (np.array([4]), np.array([-1]), np.array([0, 0])):
        with pytest.raises(ValueError, match="link type|same shape"):
            kernels.forward_rows(d, order, *good[:3], kind, none, none, empty, empty, finish)
    with pytest.raises(ValueError, match="link type"):
        kernels.critical_rows(d, finish, finish[1], order, *good[:3], np.array([7]), empty,
                              empty, 1e-9, np.empty_like(d), np.zeros(d.shape, dtype=bool))


# ---- the ctypes binding is the C prototypes' -----------------------------------------------

C_SOURCE = Path(__file__).resolve().parents[2] / "riskmodel" / "sim" / "_kernels.c"


def c_prototypes(text: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name: (return type, parameter types) of every EXPORT function of a C file, types
    normalised to "const double *" form (parameter names and RESTRICT dropped)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)  # directives

    def c_type(tokens: list[str]) -> str:
        return " ".join(t for t in tokens if t not in ("RESTRICT", "restrict"))

    found = {}
    for m in re.finditer(r"\bEXPORT\b([\w\s*]*?)\b(\w+)\s*\(([^)]*)\)\s*\{", text):
        ret, name, params = m.groups()
        types = []
        for param in ([] if params.strip() == "void" else params.split(",")):
            tokens = re.findall(r"\w+|\*", param)
            assert len(tokens) >= 2 and re.fullmatch(r"[A-Za-z_]\w*", tokens[-1]), (
                f"{name}: cannot read parameter {param.strip()!r} (write it out: type name)")
            types.append(c_type(tokens[:-1]))
        assert name not in found, f"{name} exported twice"
        found[name] = (c_type(re.findall(r"\w+|\*", ret)), tuple(types))
    return found


def test_the_binding_names_the_c_prototypes_types_exactly():
    prototypes = c_prototypes(C_SOURCE.read_text())
    assert len(prototypes) >= 14
    assert sorted(prototypes) == sorted(SIGNATURES), "a function missing on one side"
    for name, (ret, params) in prototypes.items():
        table_ret, table_params = SIGNATURES[name]
        assert ret == table_ret, f"{name}: returns {ret}, the binding says {table_ret}"
        assert len(params) == len(table_params), f"{name}: {len(params)} parameters in C"
        for i, (c, py) in enumerate(zip(params, table_params)):
            assert c == py, f"{name} parameter {i + 1}: C has {c!r}, the binding {py!r}"


def test_the_parser_reads_what_it_should():
    demo = """
    #define EXPORT
    /* EXPORT void commented_out(int x) { } */
    static int helper(int a) { return a; }
    MULTIVERSION EXPORT int64_t f(const double *RESTRICT a, int64_t n,
                                  uint8_t *out) { return 0; }
    EXPORT void g(void *p) { }
    EXPORT int v(void) { return 2; }
    """
    assert c_prototypes(demo) == {"f": ("int64_t", ("const double *", "int64_t", "uint8_t *")),
                                  "g": ("void", ("void *",)), "v": ("int", ())}
    with pytest.raises(AssertionError, match="write it out"):
        c_prototypes("EXPORT int h(int variant, UNIFORM_ARGS) { }")


def test_each_c_type_maps_to_the_ctypes_type_of_its_size_and_constness():
    sizes = {"double": 8, "int64_t": 8, "uint64_t": 8, "uint32_t": 4, "uint8_t": 1}
    for c_type, ct in CTYPES.items():
        if c_type.endswith("*"):
            base = c_type.replace("const ", "").rstrip(" *")
            assert ct._dtype_.itemsize == sizes[base]
            assert ct._dtype_.kind == ("f" if base == "double" else
                                       "u" if base.startswith("u") else "i")
            assert bool(ct._flags_ & 0x400) == (not c_type.startswith("const"))  # WRITEABLE
            assert ct._flags_ & 0x1  # C_CONTIGUOUS
    assert CTYPES["int"] is ctypes.c_int and CTYPES["int64_t"] is ctypes.c_int64
    assert CTYPES["double"] is ctypes.c_double and CTYPES["void"] is None


@pytest.mark.skipif("compiled" not in kernels.available_backends(),
                    reason="the compiled loops are not built")
def test_the_loaded_library_is_bound_from_the_table():
    from riskmodel.sim.kernels._compiled import FUNCTIONS

    for name in SIGNATURES:
        fn = getattr(FUNCTIONS, name)
        assert fn.restype is RESTYPE[name] and list(fn.argtypes) == ARGTYPES[name]
    assert FUNCTIONS.kernels_version() == VERSION
    assert re.search(rf"#define KERNELS_VERSION {VERSION}\n", C_SOURCE.read_text())
