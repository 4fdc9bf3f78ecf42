"""The compiled loops against plain NumPy, and their guards against bad arrays."""
import ctypes

import numpy as np
import pytest
from scipy import special

from riskmodel.sim import kernels
from riskmodel.sim.correlation import copula_factor, correlate_uniforms
from riskmodel.sim.network import WorkCalendar

RNG = np.random.default_rng(3)


def test_weighted_sum_equals_the_matrix_product():
    w, x = RNG.normal(size=40), RNG.normal(size=(40, 1000))
    out = np.empty(1000)
    kernels.weighted_sum(w, x, out)
    np.testing.assert_allclose(out, w @ x, rtol=1e-12, atol=1e-12)


def test_gaussian_copula_equals_scipy_normal_functions():
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


def test_triangular_kernel_is_the_closed_form():
    a, c, b = np.array([1.0]), np.array([2.0]), np.array([5.0])
    u = np.array([[0.0, 0.25, 0.5, 0.99]])
    out = np.empty_like(u)
    kernels.triangular_rows(a, c, b, u, out)
    # F(mode) = (2 - 1) / (5 - 1) = 0.25: below it a + sqrt(u (b - a)(c - a)), above it
    # b - sqrt((1 - u)(b - a)(b - c)); at the mode both give 2
    expected = [1.0, 2.0, 5 - np.sqrt(0.5 * 4 * 3), 5 - np.sqrt(0.01 * 4 * 3)]
    np.testing.assert_allclose(out[0], expected, rtol=1e-15)


def test_calendar_work_is_linear_interpolation():
    cal = WorkCalendar.from_blackouts([(2.0, 4.0, 0.25), (6.0, 6.5, 0.0)])
    t = np.concatenate([RNG.uniform(-1, 12, 2000), cal.knots_t])
    np.testing.assert_array_equal(cal.work(t), np.interp(t, cal.knots_t, cal.knots_w))
    # time() inverts work() wherever work advances
    w = RNG.uniform(0.01, 10, 2000)
    np.testing.assert_allclose(cal.work(cal.time(w)), w, rtol=1e-12)


def test_wrong_arrays_are_refused_before_they_reach_c():
    out = np.empty(4)
    with pytest.raises(ctypes.ArgumentError, match="float64"):
        kernels.weighted_sum(np.ones(3, dtype=np.float32), np.ones((3, 4)), out)
    with pytest.raises(ctypes.ArgumentError, match="C_CONTIGUOUS"):
        kernels.weighted_sum(np.ones(3), np.ones((3, 8))[:, ::2], out)
    with pytest.raises(ValueError, match="weight per row"):
        kernels.weighted_sum(np.ones(2), np.ones((3, 4)), out)
    with pytest.raises(ValueError, match="same shape"):
        kernels.triangular_rows(np.ones(1), np.ones(1), np.ones(1), np.ones((1, 5)),
                                np.empty((1, 4)))


def test_correlation_needs_a_lower_triangular_factor():
    factor = copula_factor(np.array([[1.0, 0.5], [0.5, 1.0]]))
    u = RNG.random((2, 100))
    assert correlate_uniforms(u, factor).shape == (2, 100)
    with pytest.raises(ValueError, match="lower triangular"):
        correlate_uniforms(u, factor.T)


def test_links_that_would_read_outside_the_arrays_are_refused():
    d = np.ones((2, 3))
    order = np.array([0, 1])
    none = np.full(2, np.nan)
    finish = np.empty_like(d)
    empty = np.empty(0)
    good = (np.array([0, 0, 1]), np.array([0]), np.array([0.0]))
    kernels.forward_rows(d, order, *good, none, none, empty, empty, finish)
    np.testing.assert_array_equal(finish, [[1, 1, 1], [2, 2, 2]])
    for first, pred in [(np.array([0, 0, 2]), np.array([0])),       # runs past pred
                        (np.array([0, 0, 1]), np.array([5]))]:      # no workstream 5
        with pytest.raises(ValueError):
            kernels.forward_rows(d, order, first, pred, np.zeros(pred.size), none, none,
                                 empty, empty, finish)
    with pytest.raises(ValueError):
        kernels.forward_rows(d, np.array([0, 7]), *good, none, none, empty, empty, finish)
