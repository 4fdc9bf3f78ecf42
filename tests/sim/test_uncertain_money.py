"""Uncertain money: role rates and overhead weekly costs as distributions, correlated
with durations, risk impacts and fixed costs through the one copula.

Exact answers: a uniform(1,000, 3,000) weekly rate on a fixed 10-week workstream (1 FTE)
costs 10 x U(1,000, 3,000) = U(10,000, 30,000): mean 20,000, P10 12,000; an overhead of
U(2,000, 4,000) a week on a fixed 10-week programme costs 30,000 on average. Monte Carlo
tolerances are Z standard errors (tests/conftest.py).
"""
import warnings

import numpy as np
import pytest
from scipy import stats

import riskmodel as rm
from riskmodel.errors import ScenarioWarning
from riskmodel.reforecast import reforecast
from riskmodel.scenario.status import Status
from riskmodel.sim.engine import BLOCK, sample_block
from riskmodel.sim.random import as_seed_sequence
from riskmodel.simulate import build_spec
from tests.conftest import Z, make, mean_tol, ws

N = 100_000
UNIFORM_RATE = {"dist": "uniform", "min": 1000, "max": 3000}


def one_workstream(rate=UNIFORM_RATE, sampling="random", **extra):
    """One fixed 10-week workstream staffed by one FTE of ``eng`` at ``rate``."""
    return make([ws("a", 10, staffing={"eng": 1})],
                roles=[{"id": "eng", "weekly_rate": rate}],
                simulation={"seed": 11, "sampling": sampling}, **extra)


def quantile_tol(n: int, p: float, density: float) -> float:
    """Z standard errors of the sample p-quantile of n iid draws (density at it)."""
    return Z * np.sqrt(p * (1 - p) / n) / density


def spearman_tol(rho: float, n: int) -> float:
    """Z standard errors of a sample Spearman correlation (Fieller et al.: var of its
    Fisher z is about 1.06 / (n - 3))."""
    return Z * np.sqrt(1.06 / (n - 3)) * (1 - rho ** 2)


@pytest.mark.parametrize("sampling", ["random", "lhs"])
def test_a_uniform_rate_on_fixed_work_gives_its_exact_mean_and_p10(sampling):
    r = rm.simulate(one_workstream(sampling=sampling), iterations=N)
    assert abs(r.cost.mean() - 20_000) < mean_tol(r.cost)  # sd 20,000 / sqrt 12 = 5,774
    # cost is U(10,000, 30,000): density 1 / 20,000, P10 = 12,000
    assert abs(np.percentile(r.cost, 10) - 12_000) < quantile_tol(N, 0.1, 1 / 20_000)
    assert r.cost.min() >= 10_000 and r.cost.max() <= 30_000
    np.testing.assert_allclose(r.finish, 10)
    assert r.to_dict()["deterministic"]["cost"] == pytest.approx(20_000)  # plan: midpoint


def test_uncertain_overhead_on_a_fixed_programme_gives_its_exact_mean():
    s = make([ws("a", 10)], overhead=[{"id": "pmo", "weekly_cost": {
        "dist": "uniform", "min": 2000, "max": 4000}}], simulation={"seed": 3,
                                                                    "sampling": "random"})
    r = rm.simulate(s, iterations=N)
    assert abs(r.cost.mean() - 30_000) < mean_tol(r.cost)
    assert r.cost.min() >= 20_000 and r.cost.max() <= 40_000
    table = r.cost_breakdown()
    assert table["mean"].sum() == pytest.approx(r.cost.mean(), rel=1e-12)


def test_a_staffed_overhead_follows_its_roles_uncertain_rate():
    s = make([ws("a", 10)], roles=[{"id": "pm", "weekly_rate": UNIFORM_RATE}],
             overhead=[{"id": "pmo", "staffing": {"pm": 0.5}}],
             simulation={"seed": 3, "sampling": "random"})
    r = rm.simulate(s, iterations=N)
    assert abs(r.cost.mean() - 10_000) < mean_tol(r.cost)  # 0.5 x 2,000 x 10 weeks


def rate_and_duration(rho: float, sampling: str):
    """A role's rate correlated with a workstream's duration, and the sampled pairs."""
    s = make([ws("a", {"dist": "triangular", "min": 2, "mode": 3, "max": 6},
                 staffing={"eng": 1})],
             roles=[{"id": "eng", "weekly_rate": {"dist": "pert", "min": 4200, "mode": 4800,
                                                  "max": 6000}}],
             correlations=[{"between": ["eng", "a"], "rho": rho}],
             simulation={"seed": 5, "sampling": sampling})
    r = rm.simulate(s, iterations=N)
    return s, r, r.detail["rate"][0], r.detail["base_duration"][0].astype(float)


@pytest.mark.parametrize("sampling", ["random", "lhs"])
@pytest.mark.parametrize("rho", [0.6, -0.4])
def test_a_rate_correlated_with_a_duration_has_the_requested_rank_correlation(rho, sampling):
    _, r, rate, duration = rate_and_duration(rho, sampling)
    assert rate.size == N
    achieved = stats.spearmanr(rate, duration)[0]
    assert abs(achieved - rho) < spearman_tol(rho, N), achieved
    # the marginals are kept: the rate stays PERT(4,200, 4,800, 6,000), mean 4,900
    assert 4200 <= rate.min() and rate.max() <= 6000
    assert abs(rate.mean() - 4900) < mean_tol(rate)


def test_the_breakdown_prices_rate_times_time_not_mean_rate_times_mean_time():
    s, r, rate, duration = rate_and_duration(0.8, "lhs")
    labour = rate * r.detail["duration"][0].astype(float)
    table = r.cost_breakdown()
    row = table[(table.category == "workstream") & (table.role == "eng")]["mean"].item()
    # no risks: the risk-free run is the run, and the row is E[rate x duration] exactly
    assert row == pytest.approx(labour.mean(), rel=1e-5)  # float32 detail durations
    assert row > rate.mean() * duration.mean() * 1.001  # correlated: larger than the product
    assert table["mean"].sum() == pytest.approx(r.cost.mean(), rel=1e-12)


def test_a_risk_impact_correlated_with_a_duration_and_a_rate_with_a_fixed_cost():
    s = make([ws("a", {"dist": "uniform", "min": 2, "max": 4}, staffing={"eng": 1}),
              ws("b", 3, ["a"])],
             roles=[{"id": "eng", "weekly_rate": UNIFORM_RATE}],
             risks=[{"id": "slip", "probability": 0.3, "affects": ["b"],
                     "delay": {"dist": "triangular", "min": 1, "mode": 2, "max": 4}}],
             fixed_costs=[{"id": "tool", "cost": {"dist": "uniform", "min": 10, "max": 20}}],
             correlations=[{"between": ["slip", "a"], "rho": 0.5},
                           {"between": ["eng", "tool"], "rho": -0.7}])
    spec = build_spec(s)
    assert spec.correlated == ("risk:slip:impact", "duration:a", "rate:eng",
                               "programme_cost:tool")
    draws = [sample_block(spec, as_seed_sequence(9), b, BLOCK) for b in range(6)]
    impact = np.concatenate([d.impact[0] for d in draws])
    duration = np.concatenate([d.duration[0] for d in draws])
    rate = np.concatenate([d.rate[0] for d in draws])
    tool = np.concatenate([d.programme[0] for d in draws])
    n = impact.size
    for x, y, rho in ((impact, duration, 0.5), (rate, tool, -0.7), (impact, rate, 0.0)):
        assert abs(stats.spearmanr(x, y)[0] - rho) < spearman_tol(rho, n)


def test_fixed_rates_share_every_draw_with_uncertain_ones():
    """A rate's own stream: making it uncertain changes no other input's draws."""
    def scenario(rate):
        return make([ws("a", {"dist": "pert", "min": 1, "mode": 2, "max": 4},
                        staffing={"eng": 1}),
                     ws("b", {"dist": "uniform", "min": 1, "max": 3}, ["a"])],
                    roles=[{"id": "eng", "weekly_rate": rate}],
                    risks=[{"id": "slip", "probability": 0.4, "affects": ["b"], "delay": 1}],
                    correlations=[{"between": ["a", "b"], "rho": 0.5}])
    fixed, uncertain = (rm.simulate(scenario(x), iterations=20_000)
                        for x in (2000, UNIFORM_RATE))
    np.testing.assert_array_equal(fixed.finish, uncertain.finish)
    assert not np.array_equal(fixed.cost, uncertain.cost)
    assert build_spec(scenario(2000)).rates == ()


def test_inconsistent_correlations_across_kinds_are_repaired_with_a_warning():
    data = dict(roles=[{"id": "eng", "weekly_rate": UNIFORM_RATE}],
                risks=[{"id": "slip", "probability": 0.5, "affects": ["a"],
                        "delay": {"dist": "uniform", "min": 1, "max": 2}}],
                correlations=[{"between": ["eng", "a"], "rho": 0.9},
                              {"between": ["a", "slip"], "rho": 0.9},
                              {"between": ["eng", "slip"], "rho": -0.9}])
    workstreams = [ws("a", {"dist": "uniform", "min": 2, "max": 4}, staffing={"eng": 1})]
    with pytest.warns(ScenarioWarning, match="the correlations are inconsistent") as caught:
        s = make(workstreams, **data)
    assert "eng ~ slip -0.90 ->" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        r = rm.simulate(s, iterations=20_000)
    assert np.isfinite(r.cost).all()
    with pytest.raises(rm.ScenarioError, match="the correlations are inconsistent"):
        make(workstreams, **data, simulation={"strict": True})


def test_a_risk_delay_costs_its_time_at_the_uncertain_rate():
    # p 0.5, 2 weeks more of one FTE at U(1,000, 3,000): 0.5 x 2 x 2,000 = 2,000 a run
    s = make([ws("a", 10, staffing={"eng": 1})],
             roles=[{"id": "eng", "weekly_rate": UNIFORM_RATE}],
             risks=[{"id": "slip", "probability": 0.5, "affects": ["a"], "delay": 2}],
             simulation={"seed": 2, "sampling": "random"})
    assert not build_spec(s).sparse_risk_off
    r = rm.simulate(s, iterations=N)
    risk = r.to_dict()["risks"]["slip"]
    extra = r.cost - r.no_risks["cost"]
    assert risk["mean_cost_impact"] == pytest.approx(extra.mean())
    assert abs(extra.mean() - 2000) < mean_tol(extra)
    table = r.cost_breakdown()
    by = table.groupby("category")["mean"].sum()
    assert by["time added by risks"] == pytest.approx(extra.mean())
    assert table["mean"].sum() == pytest.approx(r.cost.mean(), rel=1e-12)


def test_the_cash_flow_ends_at_each_iterations_cost():
    s = make([ws("a", {"dist": "uniform", "min": 2, "max": 4}, staffing={"eng": 1}),
              ws("b", 3, ["a"], staffing={"eng": 0.5})],
             roles=[{"id": "eng", "weekly_rate": UNIFORM_RATE}],
             overhead=[{"id": "pmo", "weekly_cost": {"dist": "triangular", "min": 100,
                                                     "mode": 200, "max": 400}}])
    r = rm.simulate(s, iterations=5000)
    flow = r.cash_flow()
    n = flow.attrs["iterations"]
    assert flow["mean"].iloc[-1] == pytest.approx(r.cost[:n].mean(), rel=1e-9)


def test_a_reforecast_prices_work_done_by_actuals_and_work_to_go_at_the_uncertain_rate():
    # 10 weeks of one FTE, 4 done by the status date and booked at 10,000: cost is
    # 10,000 + 6 x U(1,000, 3,000): mean 22,000, P10 10,000 + 6 x 1,200 = 17,200
    s = one_workstream()
    status = Status.from_dict({"as_of": "2027-02-01", "workstreams": {"a": {
        "actual_start": "2027-01-04", "remaining": 6, "actual_cost": 10_000}}})
    r = reforecast(s, status, iterations=N)
    assert abs(r.cost.mean() - 22_000) < mean_tol(r.cost)
    assert abs(np.percentile(r.cost, 10) - 17_200) < quantile_tol(N, 0.1, 1 / 12_000)
    assert r.cost.min() >= 16_000 - 1e-6 and r.cost.max() <= 28_000 + 1e-6
    table = r.cost_breakdown()
    assert table["mean"].sum() == pytest.approx(r.cost.mean(), rel=1e-9)
    spent = reforecast(s, Status.from_dict({"as_of": "2027-02-01", "spent_to_date": 9000,
                                            "workstreams": {"a": {
                                                "actual_start": "2027-01-04",
                                                "remaining": 6}}}), iterations=N)
    assert abs(spent.cost.mean() - 21_000) < mean_tol(spent.cost)


def test_a_plain_number_stays_a_number_and_a_range_round_trips():
    s = one_workstream(overhead=[{"id": "pmo", "weekly_cost": 500}])
    data = s.to_dict()
    assert data["roles"][0]["weekly_rate"] == {"dist": "uniform", "min": 1000, "max": 3000}
    assert data["overhead"][0]["weekly_cost"] == 500
    assert one_workstream(rate=4200).to_dict()["roles"][0]["weekly_rate"] == 4200
    assert rm.Scenario.from_dict(data).sha256 == s.sha256


def test_reports_show_a_team_cost_at_plan_rates_with_its_range():
    from riskmodel.reporting.report import ScenarioReport

    s = make([ws("a", 10, staffing={"eng": 1, "pm": 0.5}), ws("b", 2, ["a"],
                                                              staffing={"pm": 1})],
             roles=[{"id": "eng", "weekly_rate": {"dist": "triangular", "min": 4200,
                                                  "mode": 4800, "max": 6000}},
                    {"id": "pm", "weekly_rate": 2000}])
    report = ScenarioReport(s, rm.simulate(s, iterations=2000))
    team = report.workstream_table()["Team cost per week"]
    assert list(team) == ["$5,800 at plan rates ($5,200–$7,000)", "$2,000"]
    # summary.json keeps numbers: the weekly cost at the plan's rates
    assert list(report.assumptions()["workstreams"]["weekly cost"]) == [5800, 2000]
