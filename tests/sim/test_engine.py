"""The engine against exact answers: sums, Clark's max, risks, cost, zero variance."""
import math

import numpy as np
import pytest
from scipy import stats

from riskmodel import simulate
from tests.conftest import make, mean_tol, prob_tol, var_tol, ws

N = 200_000


def run(scenario, n=N, sampling="random", **kw):
    return simulate(scenario, iterations=n, sampling=sampling, **kw)


def pert(a, m, b):
    return {"dist": "pert", "min": a, "mode": m, "max": b}


def test_chain_is_the_sum_of_independent_durations():
    s = make([ws("a", pert(1, 2, 4)), ws("b", pert(2, 3, 7), ["a"]),
              ws("c", {"dist": "uniform", "min": 1, "max": 3}, ["b"])])
    r = run(s)
    mean = (1 + 8 + 4) / 6 + (2 + 12 + 7) / 6 + 2
    var = sum((mu - a) * (b - mu) / 7 for a, mu, b in [(1, 13 / 6, 4), (2, 21 / 6, 7)]) + 4 / 12
    assert abs(r.finish.mean() - mean) < mean_tol(r.finish)
    assert abs(r.finish.var() - var) < var_tol(r.finish)
    assert r.criticality_.tolist() == [1.0, 1.0, 1.0]


def test_latin_hypercube_gives_the_same_mean_more_tightly():
    s = make([ws("a", pert(1, 2, 4)), ws("b", pert(2, 3, 7), ["a"])])
    lhs = run(s, sampling="lhs")
    mean = 13 / 6 + 21 / 6
    # LHS of a sum of monotone inputs: error far below the iid standard error
    assert abs(lhs.finish.mean() - mean) < mean_tol(lhs.finish) / 10


def clark(m1, s1, m2, s2):
    a = math.hypot(s1, s2)
    al = (m1 - m2) / a
    phi, Phi = stats.norm.pdf(al), stats.norm.cdf(al)
    mean = m1 * Phi + m2 * (1 - Phi) + a * phi
    second = (m1**2 + s1**2) * Phi + (m2**2 + s2**2) * (1 - Phi) + (m1 + m2) * a * phi
    return mean, second - mean**2


def test_merge_of_two_parallel_normals_follows_clark():
    # truncation at 0 is 10 sd away: negligible
    s = make([ws("a", {"dist": "normal", "mean": 10, "sd": 1}),
              ws("b", {"dist": "normal", "mean": 10.5, "sd": 2})])
    r = run(s)
    mean, var = clark(10, 1, 10.5, 2)
    assert abs(r.finish.mean() - mean) < mean_tol(r.finish)
    assert abs(r.finish.var() - var) < var_tol(r.finish)
    # merge bias: the planned 10.5 weeks is met well under half the time
    assert r.p_meet(10.5) < 0.45
    assert abs(r.criticality_.sum() - 1.0) < 1e-12


def test_shared_predecessor_is_propagated_once():
    s = make([ws("a", pert(1, 2, 4)), ws("b", pert(2, 3, 5), ["a"]),
              ws("c", {"dist": "uniform", "min": 1, "max": 4}, ["a"]),
              ws("d", 1.0, ["b", "c"])])
    r = run(s, n=20_000)
    dur = r.detail["duration"].astype(float)
    expected = dur[0] + np.maximum(dur[1], dur[2]) + 1.0
    np.testing.assert_allclose(r.finish, expected, rtol=1e-6)


def test_zero_variance_equals_the_deterministic_critical_path():
    # a(2) -> b(3) -> d(1); a -> c(1.5, lag 1) -> d: critical path a-b-d = 6
    s = make([ws("a", 2), ws("b", 3, ["a"]), ws("c", 1.5, [{"id": "a", "lag": 1}]),
              ws("d", 1, ["b", "c"])])
    r = run(s, n=1000)
    assert np.all(r.finish == 6.0)
    assert r.plan["finish"] == 6.0
    assert r.criticality_.tolist() == [1.0, 1.0, 0.0, 1.0]
    assert r.plan["critical"].tolist() == [True, True, False, True]
    assert r.p_meet(6.0) == 1.0 and r.p_meet(5.99) == 0.0


def test_lag_delays_the_successor():
    s = make([ws("a", 2), ws("b", 3, [{"id": "a", "lag": 0.5}])])
    assert run(s, n=10).plan["finish"] == 5.5


def test_risk_mixture_mean_variance_and_cdf():
    p = 0.3
    s = make([ws("a", 4)], risks=[{"id": "r", "probability": p, "affects": ["a"],
                                   "delay": {"dist": "uniform", "min": 1, "max": 3}}])
    r = run(s)
    e_d, e_d2 = 2.0, 1 / 3 + 4.0
    mean, var = 4 + p * e_d, p * e_d2 - (p * e_d) ** 2
    assert abs(r.finish.mean() - mean) < mean_tol(r.finish)
    assert abs(r.finish.var() - var) < var_tol(r.finish)
    for t, cdf in [(4.0, 1 - p), (5.0, 1 - p), (5.5, 1 - p + p * 0.25), (7.0, 1.0)]:
        assert abs(r.p_meet(t) - cdf) < prob_tol(cdf, N)
    assert abs(r.fired_[0] - p) < prob_tol(p, N)


def test_factor_risk_multiplies_duration():
    s = make([ws("a", 4)], risks=[{"id": "r", "probability": 0.5, "affects": ["a"],
                                   "factor": 1.5}])
    r = run(s, n=10_000)
    assert set(np.unique(r.finish)) == {4.0, 6.0}


def test_one_impact_draw_is_shared_and_the_cost_added_once():
    s = make([ws("a", 2), ws("b", 2)],
             risks=[{"id": "r", "probability": 0.4, "affects": ["a", "b"],
                     "delay": {"dist": "uniform", "min": 1, "max": 2}, "cost": 1000}])
    r = run(s, n=50_000)
    fin = r.detail["finish"]
    np.testing.assert_array_equal(fin[0], fin[1])
    fired = r.detail["fired"][0]
    np.testing.assert_allclose(r.cost, np.where(fired, 1000.0, 0.0))


def test_cost_is_linear_in_its_parts():
    # cost = rate x duration (incl. delay) + workstream fixed + programme fixed
    #        + overhead x end + fired risk costs
    roles = [{"id": "eng", "weekly_rate": 5000}, {"id": "pm", "weekly_rate": 2000}]
    s = make(
        [ws("a", pert(1, 2, 4), staffing={"eng": 1.5},
            fixed_cost={"dist": "triangular", "min": 1000, "mode": 2000, "max": 6000}),
         ws("b", {"dist": "uniform", "min": 2, "max": 4}, ["a"], staffing={"eng": 1, "pm": 0.5})],
        roles=roles,
        risks=[{"id": "r", "probability": 0.25, "affects": ["b"], "delay": 2,
                "cost": {"dist": "uniform", "min": 0, "max": 8000}}],
        fixed_costs=[{"id": "fee", "cost": {"dist": "uniform", "min": 10000, "max": 20000}}],
        overhead=[{"id": "pmo", "weekly_cost": 1000}],
    )
    r = run(s)
    e_a, e_b = 13 / 6, 3.0 + 0.25 * 2
    expected = (7500 * e_a + 6000 * e_b + 3000 + 15000 + 1000 * (e_a + e_b) + 0.25 * 4000)
    assert abs(r.cost.mean() - expected) < mean_tol(r.cost)
    assert r.plan["cost"] == pytest.approx(7500 * 2 + 6000 * 3 + 2000 + 15000 + 1000 * 5)


def test_overhead_until_a_milestone():
    s = make([ws("a", 2), ws("b", 3, ["a"])],
             overhead=[{"id": "x", "weekly_cost": 100, "until": "a"}])
    assert run(s, n=10).plan["cost"] == 200


def test_achieved_rank_correlations_hit_their_targets():
    s = make([ws("a", pert(1, 2, 4)), ws("b", {"dist": "lognormal", "p10": 1, "p90": 3}),
              ws("c", {"dist": "uniform", "min": 1, "max": 2})],
             correlations=[{"between": ["a", "b"], "rho": 0.6},
                           {"between": ["b", "c"], "rho": -0.3}])
    r = simulate(s, iterations=100_000)
    d = r.detail["duration"].astype(float)
    assert abs(stats.spearmanr(d[0], d[1])[0] - 0.6) < 0.03
    assert abs(stats.spearmanr(d[1], d[2])[0] + 0.3) < 0.03
    assert abs(stats.spearmanr(d[0], d[2])[0] - 0.0) < 0.03 + abs(0.6 * -0.3)
    # marginals are kept exactly: the PERT mean is still (a+4m+b)/6
    assert abs(d[0].mean() - 13 / 6) < mean_tol(d[0])


@pytest.mark.parametrize("capacity,finish", [(0.0, 4.0), (0.5, 3.5), (0.25, 3.75)])
def test_blackout_stretches_work_that_falls_in_it(capacity, finish):
    # start 2027-01-04; blackout weeks 1-2 (2027-01-11 to 2027-01-18); 3 weeks of work
    s = make([ws("a", 3)], calendar={"blackouts": [
        {"from": "2027-01-11", "to": "2027-01-18", "capacity": capacity}]})
    r = run(s, n=10)
    assert r.plan["finish"] == pytest.approx(finish)
    assert np.allclose(r.finish, finish)


def test_work_after_a_blackout_is_not_stretched():
    s = make([ws("a", 3), ws("b", 2, ["a"])],
             calendar={"blackouts": [{"from": "2027-01-11", "to": "2027-01-18"}]})
    # a: 0-1 work, 1-2 stopped, 2-4 work; b: 4-6
    assert run(s, n=10).plan["finish"] == pytest.approx(6.0)
    assert run(s, n=10).criticality_.tolist() == [1.0, 1.0]
