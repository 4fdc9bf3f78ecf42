"""Bimodality detection on samples whose shape is known by construction."""
import numpy as np
import pytest

from riskmodel import load_scenario, simulate
from riskmodel.analysis.shape import MIN_SAMPLE, bimodality
from tests.conftest import TYPE2, Z, prob_tol

N = 100_000


def rng(seed=0):
    return np.random.default_rng(seed)


def median_tol(sd, n):
    """Z standard errors of the median of n normal draws: 1.2533 sd / sqrt(n)."""
    return Z * 1.2533 * sd / np.sqrt(n)


@pytest.mark.parametrize("name, draw", [
    ("normal", lambda g: g.normal(10, 1, N)),
    ("pert(1, 2, 4)", lambda g: 1 + 3 * g.beta(1 + 4 / 3, 1 + 8 / 3, N)),
    ("triangular", lambda g: g.triangular(0, 0.2, 1, N)),
    ("uniform", lambda g: g.uniform(0, 1, N)),
    ("lognormal", lambda g: g.lognormal(0, 1, N)),
    ("exponential", lambda g: g.exponential(1, N)),
    ("student t3", lambda g: g.standard_t(3, N)),
])
@pytest.mark.parametrize("n", [1000, N])
def test_unimodal_samples_have_no_second_peak(name, draw, n):
    assert bimodality(draw(rng(3))[:n]) is None


def test_a_mixture_of_two_close_equal_normals_is_unimodal():
    # 1/2 N(0, 1) + 1/2 N(d, 1) has one peak exactly when d <= 2
    g = rng(1)
    pick = g.random(N) < 0.5
    assert bimodality(np.where(pick, g.normal(0, 1, N), g.normal(1.5, 1, N))) is None
    m = bimodality(np.where(pick, g.normal(0, 1, N), g.normal(4, 1, N)))
    assert m is not None and m["modes"] == 2
    assert abs(m["second"]["share"] - 0.5) < prob_tol(0.5, N)
    assert 1 < m["valley"] < 3  # by symmetry at 2, to within a few bandwidths


def test_an_85_15_mixture_names_the_minority_peak_and_its_share():
    g = rng(2)
    minority = g.random(N) < 0.15
    m = bimodality(np.where(minority, g.normal(25, 2, N), g.normal(10, 1, N)))
    second, main = m["second"], m["main"]
    assert abs(second["share"] - 0.15) < prob_tol(0.15, N)
    assert abs(second["value"] - 25) < median_tol(2, 0.15 * N)
    assert abs(main["value"] - 10) < median_tol(1, 0.85 * N)
    assert second["share"] + main["share"] == 1
    assert m["side"] == "above" and 13 < m["valley"] < 19  # in the empty gap
    assert m["valley_ratio"] < 0.01
    # from/to: the 5th and 95th percentiles of the minority, 25 -/+ 1.645 x 2; the SE
    # of a sample quantile is sqrt(p (1 - p) / n) / density there
    q_se = np.sqrt(0.05 * 0.95 / (0.15 * N)) / (np.exp(-1.645**2 / 2) / np.sqrt(2 * np.pi) / 2)
    assert abs(second["from"] - (25 - 1.645 * 2)) < Z * q_se
    assert abs(second["to"] - (25 + 1.645 * 2)) < Z * q_se
    # the density's highest point is noisier on a flat top: sd 0.19 over 40 seeds
    assert abs(second["peak"] - 25) < Z * 0.2


def test_a_peak_below_the_least_share_is_not_named():
    g = rng(4)
    minority = g.random(N) < 0.03
    x = np.where(minority, g.normal(25, 2, N), g.normal(10, 1, N))
    assert bimodality(x) is None
    m = bimodality(x, min_share=0.02)
    assert abs(m["second"]["share"] - 0.03) < prob_tol(0.03, N)


def test_a_qualified_opinion_like_cost_is_flagged():
    # readiness and audit cost about $380k +- 30k; 15% of the time a qualified opinion
    # adds $180k-450k (triangular, mode 260k)
    g = rng(5)
    fired = g.random(N) < 0.15
    cost = g.normal(380e3, 30e3, N) + fired * g.triangular(180e3, 260e3, 450e3, N)
    m = bimodality(cost)
    assert m["side"] == "above"
    assert abs(m["second"]["share"] - fired.mean()) < prob_tol(0.15, N)
    assert m["second"]["value"] == pytest.approx(np.median(cost[fired]), rel=0.01)


def test_the_type2_scenario_shows_the_qualified_opinion_as_a_second_peak():
    r = simulate(load_scenario(TYPE2), iterations=20_000)
    fired = r.risks().loc["qualified_opinion", "fired"]
    for sample in (r.finish_of("report_issuance"), r.cost):
        m = bimodality(sample)
        assert m is not None and m["side"] == "above"
        assert abs(m["second"]["share"] - fired) < prob_tol(fired, r.iterations)
    # 13-26 weeks of delay on a finish spread of a few weeks: the split is exact
    m = bimodality(r.finish_of("report_issuance"))
    assert m["second"]["share"] == pytest.approx(fired)
    assert m["second"]["from"] - m["main"]["to"] > 8


def test_the_readiness_scenario_is_unimodal(default_result):
    assert bimodality(default_result.finish) is None
    assert bimodality(default_result.cost) is None


def test_two_atoms_are_two_peaks_at_their_values():
    x = np.where(rng(6).random(N) < 0.85, 100e3, 400e3)
    m = bimodality(x)
    assert (m["main"]["value"], m["second"]["value"]) == (100e3, 400e3)
    assert m["second"]["share"] == pytest.approx(np.mean(x == 400e3))


def test_degenerate_samples():
    assert bimodality(np.full(1000, 3.0)) is None
    assert bimodality(np.r_[np.zeros(MIN_SAMPLE // 2 - 1), np.ones(MIN_SAMPLE // 2)]) is None
    g = rng(7)
    x = np.where(g.random(N) < 0.8, g.normal(10, 1, N), g.normal(25, 1, N))
    x[::100] = np.nan  # NaNs are left out
    assert abs(bimodality(x)["second"]["share"] - 0.2) < prob_tol(0.2, N)


def test_the_risk_behind_a_second_peak_is_named():
    from riskmodel import simulate
    from tests.conftest import make, ws

    # a 20% risk adds 10 weeks to a 4-6 week job: a second group, all with that risk; a
    # 30% risk adding a tenth of a week is in both groups alike and is not named
    s = make([ws("a", {"dist": "uniform", "min": 4, "max": 6})],
             risks=[{"id": "big", "name": "Big slip", "probability": 0.2, "affects": ["a"],
                     "delay": 10},
                    {"id": "small", "probability": 0.3, "affects": ["a"], "delay": 0.1}])
    second = simulate(s, iterations=20_000).modes()["second"]
    assert second["cause"] == {"risk": "big", "name": "Big slip", "share": 1.0}
