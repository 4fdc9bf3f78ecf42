"""SimulationResult: the JSON contract, dates, band, contingency, JCL."""
import datetime as dt
import json

import numpy as np
import pytest

from riskmodel import simulate
from riskmodel.cli import main
from tests.conftest import DEFAULT, make, prob_tol, ws

CONTRACT_V1 = {"schema", "scenario", "iterations", "seed", "version", "finish", "finish_date",
               "targets", "cost", "cost_band", "deterministic", "contingency", "jcl",
               "workstreams", "risks"}
ADDED_V2 = {"sampling", "warnings"}
WITH_CAPACITIES = {"levelling", "resources"}  # the default scenario's roles have capacities


def test_json_contract(default_result, tmp_path, capsys):
    """riskmodel.summary/2 keeps every key of /1 with its meaning and adds DESIGN §4's."""
    d = default_result.to_dict()
    assert set(d) == CONTRACT_V1 | ADDED_V2 | WITH_CAPACITIES
    assert set(d["levelling"]) == {"p50_shift_weeks", "p80_shift_weeks", "p50_weeks",
                                   "p80_weeks", "mean_weeks", "share_waiting",
                                   "p_meet_change", "target", "matters", "short_of"}
    assert all({"weeks", "demand_p50", "demand_p90", "in_use_p50", "in_use_p90",
                "capacity"} == set(v) for v in d["resources"].values())
    # the plan's own team: nobody ever waits, so nothing changes (and it says so)
    assert d["levelling"]["p80_weeks"] == 0 and d["levelling"]["matters"] is False
    assert d["levelling"]["short_of"] is None
    assert d["schema"] == "riskmodel.summary/2"
    assert set(d["finish"]) == {"unit", "mean", "std", "p5", "p10", "p20", "p50", "p70", "p80",
                                "p90", "p95"}
    assert set(d["finish_date"]) == {"p10", "p50", "p80", "p90"}
    assert set(d["cost"]) == {"currency", "mean", "std", "p10", "p50", "p80", "p90"}
    assert set(d["targets"]["audit"]) == {"milestone", "date", "probability", "std_error",
                                          "std_error_method"}
    assert set(d["contingency"]) == {"p50", "p70", "p80", "p90", "p95"}
    assert set(d["contingency"]["p80"]) == {"weeks", "cost", "from_risks", "from_estimates"}
    assert set(d["jcl"]) == {"date", "budget", "budget_source", "probability", "at_p80",
                             "frontier", "promise"}
    assert set(d["jcl"]["at_p80"]) == {"date", "budget", "probability"}
    assert set(d["jcl"]["frontier"]) == {"70", "80"}
    assert all({"criticality", "sensitivity", "finish_p80"} <= set(v)
               for v in d["workstreams"].values())
    assert all({"fired", "p80_finish_shift", "p80_cost_shift", "mean_finish_impact",
                "mean_cost_impact", "p90_finish_shift", "p90_cost_shift"} <= set(v)
               for v in d["risks"].values())
    assert all(set(w) == {"code", "where", "message"} for w in d["warnings"])
    json.dumps(d, allow_nan=False)
    # a copy: changing it changes nothing in the result
    d["cost"]["mean"] = -1
    assert default_result.to_dict()["cost"]["mean"] > 0
    # the CLI prints exactly this document
    assert main(["simulate", str(DEFAULT), "--json", "--iterations", "20000"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(
        default_result.to_dict()))


def test_headline_figures_are_consistent(default_result):
    r, d = default_result, default_result.to_dict()
    assert d["targets"]["audit"]["probability"] == r.p_meet("2027-03-01")
    assert d["finish"]["p80"] == np.percentile(r.finish, 80)
    assert d["cost"]["p50"] == np.percentile(r.cost, 50)
    band = d["cost_band"]
    assert band["p_below"] + band["p_within"] + band["p_above"] == pytest.approx(1)
    # JCL can never exceed either marginal
    assert d["jcl"]["probability"] <= min(d["targets"]["audit"]["probability"],
                                          np.mean(r.cost <= 400_000))
    assert d["contingency"]["p80"]["weeks"] == pytest.approx(d["finish"]["p80"] - 10.5)
    # the separate P80 date and P80 cost are not an 80% joint commitment
    at = d["jcl"]["at_p80"]
    assert at["probability"] == r.jcl(at["date"], at["budget"]) < 0.8
    # the deterministic plan: modal path gap -> permissions -> testing -> documentation
    assert d["deterministic"]["finish"] == pytest.approx(10.5)
    # modal durations x weekly team cost (reference cost_rate_per_week), fixed, programme burn
    modes = [2, 3.5, 2.5, 2.5, 1.5, 1.5, 3, 3.5, 1.5]
    rates = [11350, 11125, 6800, 5550, 3300, 4100, 2900, 8300, 6100]
    labour = sum(m * r for m, r in zip(modes, rates))
    assert d["deterministic"]["cost"] == pytest.approx(labour + 20_000 + 15_000 + 18_000
                                                       + 6_100 * 10.5)
    plan_path = r.workstreams().query("on_plan_critical_path").index.tolist()
    assert plan_path == ["gap_analysis", "sf_permissions", "control_testing", "documentation"]
    # merge bias: the plan's own date is met far less than half the time
    assert r.p_meet(10.5) < 0.2


def test_finish_dates_round_up_to_a_day():
    r = simulate(make([ws("a", 12)]), iterations=10)  # start 2027-01-04
    assert r.date_of(12.0) == dt.date(2027, 3, 29)
    assert r.date_of(12.0 + 1e-6) == dt.date(2027, 3, 30)
    assert r.to_dict()["finish_date"]["p50"] == "2027-03-29"
    assert r.p_meet("2027-03-29") == 1.0 and r.p_meet("2027-03-28") == 0.0


def test_standard_error_is_binomial():
    r = simulate(make([ws("a", {"dist": "uniform", "min": 11, "max": 13})]), iterations=40_000,
                 sampling="random")
    p = r.p_meet(12.0)
    assert abs(p - 0.5) < prob_tol(0.5, 40_000)
    se = r.to_dict()["targets"]["audit"]["std_error"]
    assert se == pytest.approx(np.sqrt(p * (1 - p) / 40_000))


def test_jcl_equals_product_for_independent_finish_and_cost():
    # finish from 'a' (no cost); cost from an independent programme fixed cost
    s = make([ws("a", {"dist": "uniform", "min": 11, "max": 13})],
             fixed_costs=[{"id": "fee", "cost": {"dist": "uniform", "min": 0, "max": 400}}],
             cost_band={"low": 100, "high": 300})
    r = simulate(s, iterations=100_000, sampling="random")
    p_t, p_c = r.p_meet("2027-03-29"), float(np.mean(r.cost <= 300))
    assert abs(r.jcl() - p_t * p_c) < prob_tol(p_t * p_c, 100_000)
    assert r.cost_band() == pytest.approx({
        "low": 100, "high": 300, "p_below": np.mean(r.cost < 100),
        "p_within": np.mean((r.cost >= 100) & (r.cost <= 300)), "p_above": np.mean(r.cost > 300)})


def test_risk_shift_is_zero_for_an_impossible_risk_and_positive_for_a_real_one():
    s = make([ws("a", {"dist": "pert", "min": 8, "mode": 10, "max": 13})],
             risks=[{"id": "never", "probability": 0.0, "affects": ["a"], "delay": 2},
                    {"id": "often", "probability": 0.5, "affects": ["a"], "delay": 2,
                     "cost": 1000}])
    rk = simulate(s, iterations=20_000).risks()
    assert rk.loc["never", "p80_finish_shift"] == 0 and rk.loc["never", "p80_cost_shift"] == 0
    assert rk.loc["often", "p80_finish_shift"] > 1.0
    assert rk.loc["often", "p80_cost_shift"] == 1000


def test_summary_and_repr_read_like_sentences(default_result):
    text = default_result.summary().to_string()
    assert "P(audit: end by 1 Mar 2027)" in text and "$" in text
    assert "P(audit by 2027-03-01)" in repr(default_result)


def test_the_plan_starts_after_its_wait_for_people():
    # one security engineer: integration_logging may start at week 2 by its links but waits
    # 2.5 weeks for API hardening (tests/test_health.py), so it runs 4.5 to 7.0
    from riskmodel import load_scenario

    shared = load_scenario(DEFAULT).with_changes(
        {"roles": [{"id": "security_engineer", "capacity": 1.0}]})
    table = simulate(shared, iterations=1000, rank_risks=False).workstreams()
    row = table.loc["integration_logging"]
    assert row["plan_start"] == pytest.approx(4.5)
    assert row["plan_finish"] == pytest.approx(7.0)
    np.testing.assert_allclose(table["plan_start"] + table["plan_duration"],
                               table["plan_finish"])


def test_sorted_values_are_the_runs_values_sorted_once_and_read_only():
    from riskmodel import load_scenario

    r = simulate(load_scenario(DEFAULT), iterations=3000, seed=4)
    for of, values in [("finish", r.finish), ("cost", r.cost)]:
        ordered = r.sorted_values(of)
        np.testing.assert_array_equal(ordered, np.sort(values))
        assert r.sorted_values(of) is ordered  # kept: the document reads it thrice
        with pytest.raises(ValueError, match="read-only"):
            ordered[0] = 0.0
    with pytest.raises(ValueError, match="no sorted values 'no_risks:end'"):
        r.sorted_values("no_risks:end")
