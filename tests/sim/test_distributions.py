"""Each distribution's moments and percentiles against exact answers."""
import math

import numpy as np
import pytest
from scipy import special, stats

from riskmodel.sim.distributions import DistributionError, Pert, from_spec
from tests.conftest import mean_tol, prob_tol, var_tol

N = 400_000


def draws(spec, n=N, seed=1):
    return from_spec(spec).sample(np.random.default_rng(seed).random(n))


def tri_var(a, c, b):
    return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


CASES = [
    # spec, exact mean, exact variance
    ({"dist": "pert", "min": 2, "mode": 3, "max": 7}, (2 + 12 + 7) / 6,
     ((21 / 6) - 2) * (7 - 21 / 6) / 7),
    ({"dist": "pert", "min": 1.5, "mode": 2, "max": 2.5}, 2.0, (0.5 * 0.5) / 7),
    ({"dist": "triangular", "min": 1, "mode": 2, "max": 6}, 3.0, tri_var(1, 2, 6)),
    ({"dist": "uniform", "min": 2, "max": 5}, 3.5, 9 / 12),
    ({"dist": "empirical", "values": [1, 2, 2, 7]}, 3.0, np.var([1, 2, 2, 7])),
    ({"dist": "lognormal", "median": 2, "p90": 5},
     math.exp(math.log(2) + 0.5 * (math.log(2.5) / special.ndtri(0.9)) ** 2),
     (math.exp((math.log(2.5) / special.ndtri(0.9)) ** 2) - 1)
     * math.exp(2 * math.log(2) + (math.log(2.5) / special.ndtri(0.9)) ** 2)),
    ({"dist": "normal", "mean": 1, "sd": 1}, stats.truncnorm(-1, np.inf, 1, 1).mean(),
     stats.truncnorm(-1, np.inf, 1, 1).var()),
]


@pytest.mark.parametrize("spec,mean,var", CASES, ids=lambda c: str(c)[:40])
def test_moments_match_exact_values(spec, mean, var):
    x = draws(spec)
    assert abs(x.mean() - mean) < mean_tol(x)
    assert abs(x.var() - var) < var_tol(x)


def test_pert_variance_is_not_the_textbook_shortcut():
    # (mean-a)(b-mean)/7 differs from ((b-a)/6)^2 for a skewed PERT; the sample agrees
    # with the former.
    x = draws({"dist": "pert", "min": 0, "mode": 1, "max": 10})
    mean = (0 + 4 + 10) / 6
    exact, shortcut = (mean - 0) * (10 - mean) / 7, (10 / 6) ** 2
    assert abs(x.var() - exact) < var_tol(x) < abs(shortcut - exact)


def test_pert_lambda_changes_shape():
    x = draws({"dist": "pert", "min": 0, "mode": 2, "max": 10, "lambda": 2})
    assert abs(x.mean() - (0 + 2 * 2 + 10) / 4) < mean_tol(x)


@pytest.mark.parametrize("a,m,b,lam", [(0, 0.7, 1, 4), (1, 1, 4, 4), (1, 4, 4, 4),
                                       (0, 0.1, 1, 10), (2.5, 3.5, 4.5, 4)])
def test_fast_pert_inverse_cdf_matches_the_exact_one(a, m, b, lam):
    d = Pert(min=a, mode=m, max=b, **{"lambda": lam})
    u = np.r_[np.random.default_rng(3).random(200_000), np.linspace(0, 1 - 1e-12, 100_001)]
    exact = a + (b - a) * special.betaincinv(d.alpha, d.beta, u)
    assert np.max(np.abs(d.ppf(u) - exact)) <= 2e-8 * (b - a)


def test_fixed_and_plain_numbers():
    assert np.all(draws(3.5, n=10) == 3.5)
    assert from_spec({"dist": "fixed", "value": 2}).is_fixed


@pytest.mark.parametrize("spec,level,pct", [
    ({"dist": "trigen", "low": 2, "mode": 3, "high": 6}, 2, 0.10),
    ({"dist": "trigen", "low": 2, "mode": 3, "high": 6}, 6, 0.90),
    ({"dist": "trigen", "low": 2, "mode": 3, "high": 6, "low_pct": 5, "high_pct": 80}, 6, 0.80),
    ({"dist": "lognormal", "p10": 1, "p90": 4}, 1, 0.10),
    ({"dist": "lognormal", "p10": 1, "p90": 4}, 4, 0.90),
    ({"dist": "lognormal", "median": 2, "p90": 5}, 2, 0.50),
])
def test_percentile_parametrisations(spec, level, pct):
    x = draws(spec)
    assert abs(np.mean(x <= level) - pct) < prob_tol(pct, N)


def test_trigen_mode_is_the_peak():
    d = from_spec({"dist": "trigen", "low": 2, "mode": 3, "high": 6})
    assert d.min < 2 < 3 < 6 < d.max
    assert d.plan_value == 3


@pytest.mark.parametrize("spec,message", [
    ({"dist": "pert", "min": 5, "mode": 4, "max": 6}, "min 5 > mode 4"),
    ({"dist": "triangular", "min": 1, "mode": 7, "max": 6}, "mode 7 > max 6"),
    ({"dist": "uniform", "min": 3, "max": 3}, "min 3 must be below max 3"),
    ({"dist": "pert", "min": 3, "mode": 3, "max": 3}, "use a fixed value"),
    ({"dist": "normal", "mean": 1, "sd": -1}, "sd must be positive"),
    ({"dist": "lognormal", "p10": 3, "p90": 2}, "p10 3 must be below p90 2"),
    ({"dist": "lognormal", "p10": 1}, "needs either p10 and p90"),
    ({"dist": "empirical", "values": []}, "non-empty list"),
    ({"dist": "pert", "min": 1, "mode": 2, "max": float("nan")}, "finite"),
    ({"dist": "pert", "min": 1, "mode": "2", "max": 3}, "mode must be a number"),
    ({"dist": "triangle", "min": 1}, "did you mean 'triangular'"),
    ({"min": 1, "max": 2}, "missing 'dist'"),
    ({"dist": "trigen", "low": 2, "mode": 3, "high": 6, "low_pct": 50, "high_pct": 40},
     "low_pct"),
    ("three weeks", "expected a number"),
])
def test_bad_parameters_are_named(spec, message):
    with pytest.raises(DistributionError, match=None) as info:
        from_spec(spec)
    assert message in str(info.value)


def test_spec_round_trip():
    for spec, *_ in CASES:
        d = from_spec(spec)
        assert from_spec(d.to_spec()) == d


@pytest.mark.parametrize("spec", [c[0] for c in CASES] + [
    {"dist": "trigen", "low": 2, "mode": 3, "high": 6}], ids=lambda s: s["dist"])
def test_rows_written_into_place_equal_each_distribution_alone(spec):
    # the engine writes a family's rows straight into the workstream rows they belong to;
    # row k must be that distribution's own inverse CDF, and no other row is touched.
    # The tiny and near-1 uniforms take PERT's exact-inverse path beyond its tables.
    d = from_spec(spec)
    other = from_spec({**spec, **{k: v * 1.5 for k, v in spec.items()
                                  if k in ("max", "high", "p90", "sd")}})
    u = np.random.default_rng(4).random((2, 50))
    u[:, :3] = [[1e-19, 0.5, 1 - 1e-17], [1e-17, 0.25, 0.999]]
    out = np.full((4, 50), -1.0)
    type(d).ppf_rows_into([d, other], u, out, [3, 1])
    np.testing.assert_allclose(out[3], d.ppf(u[0]), rtol=1e-15)
    np.testing.assert_allclose(out[1], other.ppf(u[1]), rtol=1e-15)
    assert (out[[0, 2]] == -1.0).all()
    if spec["dist"] == "pert":
        exact = d.min + (d.max - d.min) * special.betaincinv(d.alpha, d.beta, u[0, :3])
        np.testing.assert_allclose(out[3, :3], exact, rtol=1e-12)


def test_the_normal_p90_constant_is_scipys():
    from scipy import special

    from riskmodel.sim.distributions import _Z90

    assert _Z90 == float(special.ndtri(0.9))
