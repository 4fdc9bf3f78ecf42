"""Analysis on constructed cases whose answers are known."""
import numpy as np
import pandas as pd
import pytest

from riskmodel import load_scenario, simulate
from riskmodel.sim.engine import BLOCK
from tests.conftest import DEFAULT, Z, make, prob_tol, ws


def pert(a, m, b):
    return {"dist": "pert", "min": a, "mode": m, "max": b}


def test_workstream_off_the_critical_path_has_no_criticality_or_sensitivity():
    # b (1-2 weeks) runs beside a (10-14 weeks): never critical, no influence on the date
    s = make([ws("a", pert(10, 12, 14)), ws("b", {"dist": "uniform", "min": 1, "max": 2}),
              ws("c", 1, ["a", "b"])])
    table = simulate(s, iterations=50_000).workstreams()
    assert table.loc["b", "criticality"] == 0
    assert abs(table.loc["b", "sensitivity"]) < Z / np.sqrt(50_000)
    assert table.loc["a", "criticality"] == 1 and table.loc["a", "sensitivity"] > 0.99
    assert table.loc["b", "ssi"] == 0 and table.loc["b", "cruciality"] == 0


def test_ssi_of_a_single_task_is_one():
    table = simulate(make([ws("a", pert(1, 2, 4))]), iterations=20_000).workstreams()
    assert table.loc["a", "ssi"] == pytest.approx(1.0)
    assert table.loc["a", "cruciality"] == pytest.approx(1.0)


def test_a_risk_with_probability_zero_ranks_last_with_zero_shift():
    s = make([ws("a", pert(8, 10, 13)), ws("b", pert(2, 3, 4), ["a"])],
             risks=[{"id": "never", "probability": 0.0, "affects": ["a"], "delay": 3,
                     "cost": 5000},
                    {"id": "small", "probability": 0.2, "affects": ["b"], "delay": 0.5},
                    {"id": "big", "probability": 0.4, "affects": ["a"], "delay": 2,
                     "cost": 1000}])
    rk = simulate(s, iterations=30_000).risks()
    assert rk.index.tolist() == ["big", "small", "never"]
    assert (rk.loc["never", ["p_meet_shift", "p80_finish_shift", "p80_cost_shift",
                             "mean_finish_shift", "own_cost", "mean_cost_impact"]] == 0).all()
    assert rk.loc["big", "p_meet_shift"] < 0
    assert rk.loc["big", "expected_delay"] == pytest.approx(0.4 * 2)
    # on common random numbers the mean shift equals P(fired) x delay, exactly
    assert rk.loc["big", "mean_finish_shift"] == pytest.approx(rk.loc["big", "fired"] * 2)


def test_contingency_at_p50_of_a_symmetric_task_is_about_zero():
    r = simulate(make([ws("a", pert(8, 10, 12))]), iterations=50_000)
    table = r.contingency_table()
    se = r.convergence()["finish_p80"]  # a quantile SE of the same order as P50's
    assert abs(table.loc["p50", "schedule_contingency_weeks"]) < Z * se
    assert list(table.index) == ["p50", "p70", "p80", "p90", "p95"]
    assert table["finish_weeks"].is_monotonic_increasing


def test_plan_confidence_shows_merge_bias():
    # five parallel symmetric tasks: each alone meets its mode half the time,
    # together only 1/2^5 of the time
    s = make([ws(f"t{i}", pert(8, 10, 12)) for i in range(5)])
    conf = simulate(s, iterations=100_000, sampling="random").plan_confidence()
    assert abs(conf["finish"] - 0.5**5) < prob_tol(0.5**5, 100_000)


def test_jcl_is_the_product_for_independent_finish_and_cost_and_frontier_holds():
    s = make([ws("a", {"dist": "uniform", "min": 11, "max": 13})],
             fixed_costs=[{"id": "fee", "cost": {"dist": "uniform", "min": 0, "max": 400}}],
             cost_band={"low": 100, "high": 300})
    r = simulate(s, iterations=100_000, sampling="random")
    for when, budget in [("2027-03-29", 300), (12.5, 100), (11.2, 390)]:
        pt, pc = r.p_meet(when), float(np.mean(r.cost <= budget))
        assert r.jcl(when, budget) <= min(pt, pc)
        assert abs(r.jcl(when, budget) - pt * pc) < prob_tol(pt * pc, 100_000)
    frontier = r.jcl_frontier(0.7)
    assert len(frontier) > 10
    for _, row in frontier.iterrows():
        assert r.jcl(row.weeks, row.budget) >= 0.7
        assert r.jcl(row.weeks, row.budget - 1e-6) < 0.7
    assert frontier["budget"].is_monotonic_decreasing


def test_cost_given_timing_splits_the_iterations():
    r = simulate(load_scenario(DEFAULT), iterations=20_000)
    table = r.cost_given_timing()
    assert table.loc["on time", "probability"] == pytest.approx(r.p_meet("2027-03-01"))
    assert table["probability"].sum() == pytest.approx(1)
    assert table.loc["late", "mean"] > table.loc["on time", "mean"]


def test_cash_flow_ends_at_the_total_cost_and_never_falls():
    r = simulate(load_scenario(DEFAULT), iterations=10_000)
    flow = r.cash_flow("W")
    last = flow.iloc[-1]
    # the detail sample keeps durations in float32: agreement to ~1e-7, not 1e-15
    assert last["mean"] == pytest.approx(r.cost.mean(), rel=1e-6)
    assert last["p50"] == pytest.approx(np.percentile(r.cost, 50), rel=1e-6)
    assert (np.diff(flow["p50"]) >= -1e-6).all()
    # at the start only the programme fixed costs are committed
    assert flow.iloc[0]["mean"] == pytest.approx(53_000)
    monthly = r.cash_flow("M")
    assert isinstance(monthly.index, pd.DatetimeIndex)
    assert monthly.index[0].date() == r.scenario.start_date
    assert monthly.iloc[-1]["mean"] == pytest.approx(r.cost.mean(), rel=1e-6)


def test_precision_adds_blocks_until_the_standard_error_is_small_enough():
    s = load_scenario(DEFAULT)
    r = simulate(s, iterations=BLOCK, precision=0.004)
    conv = r.convergence()
    assert conv["p_meet"]["audit"] <= 0.004 and conv["rounds"] >= 2
    assert r.iterations > BLOCK
    # the same numbers as a plain run of that length
    plain = simulate(s, iterations=r.iterations)
    np.testing.assert_array_equal(r.finish, plain.finish)
    np.testing.assert_array_equal(r.cost, plain.cost)
    same_detail(r, plain)


def same_detail(a, b):
    """The per-workstream detail of two results, key by key, to the last bit."""
    assert a.detail.keys() == b.detail.keys()
    for name, value in b.detail.items():
        assert a.detail[name].shape == value.shape, name
        np.testing.assert_array_equal(a.detail[name], value)


def test_precision_after_a_partial_block():
    s = load_scenario(DEFAULT)
    r = simulate(s, iterations=1000, precision=0.01)
    plain = simulate(s, iterations=r.iterations)
    np.testing.assert_array_equal(r.finish, plain.finish)
    same_detail(r, plain)  # the partial first block's detail replaced by the whole one's


def test_quantile_standard_error_matches_the_spread_of_repeated_runs():
    s = make([ws("a", pert(8, 10, 13))])
    p80 = [np.percentile(simulate(s, iterations=4000, seed=k, sampling="random").finish, 80)
           for k in range(40)]
    se = simulate(s, iterations=4000, seed=99, sampling="random").convergence()["finish_p80"]
    assert 0.6 < np.std(p80, ddof=1) / se < 1.6


def test_sensitivity_uses_average_ranks_for_ties():
    # a takes 1 or 2 weeks (a tie of half the iterations each), b adds under a week:
    # the finish ranks split exactly by a, and Spearman(a, finish) = sqrt(3)/2, the
    # correlation of a half/half indicator with a uniform rank (ordinal ranks give 0.75)
    s = make([ws("a", {"dist": "empirical", "values": [1, 2]}),
              ws("b", {"dist": "uniform", "min": 0, "max": 0.5}, ["a"])])
    n = 40_000
    sens = simulate(s, iterations=n).workstreams().loc["a", "sensitivity"]
    assert abs(sens - np.sqrt(3) / 2) < Z / np.sqrt(n)


def test_precision_stops_on_the_standard_error_it_reports():
    s = load_scenario(DEFAULT)
    r = simulate(s, iterations=8 * BLOCK, precision=0.0012)
    reported = r.targets().iloc[0]
    assert reported.std_error_method.startswith("between blocks")
    assert reported.std_error <= 0.0012
    assert r.convergence()["achieved_std_error"] == pytest.approx(reported.std_error)


def test_api_misuse_is_one_sentence():
    from riskmodel.compare import risk_removal

    s = load_scenario(DEFAULT)
    r = simulate(s, iterations=2000, rank_risks=False)
    with pytest.raises(ValueError, match="rank_risks=True"):
        risk_removal(s, r)
    with pytest.raises(ValueError, match="0.8 for P80"):
        r.contingency(80)
    with pytest.raises(ValueError, match="expected an ISO date"):
        r.p_meet("2027-13-01")
    with pytest.raises(ValueError, match="milestones kept are end"):
        r.percentiles("nope")
    with pytest.raises(ValueError, match="precision must be between"):
        simulate(s, iterations=10, precision=2)
    one = simulate(s, iterations=2000, disabled_risks="evidence_gaps", rank_risks=False)
    assert one.fired_[[x.id for x in s.risks].index("evidence_gaps")] == 0
