"""The schedule health check (riskmodel.health) and ``riskmodel check``."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from scipy import stats

from riskmodel import Scenario, load_scenario
from riskmodel.cli import main
from riskmodel.health import (
    HOLIDAY_WINDOWS,
    MIN_ITERATIONS,
    Finding,
    _no_impact,
    check,
    margin_points,
    truncated_normal_mean,
)
from riskmodel.scenario.schema import Risk
from riskmodel.sim.distributions import Normal, from_spec
from tests.conftest import DEFAULT, ROOT, make, ws

SCENARIOS = ROOT / "data" / "scenarios"
FREEZE = SCENARIOS / "soc2_readiness_holiday_freeze.yaml"
PERT = {"dist": "pert", "min": 2, "mode": 3, "max": 5}


def codes(findings, code=None):
    return [f.where for f in findings if code is None or f.code == code]


def scenario(start, audit, workstreams=None, **extra):
    """A scenario from ``start`` with one 2-week PERT workstream (plan: 3 weeks)."""
    data = {"name": "t", "start_date": start, "audit_date": audit,
            "workstreams": workstreams or [ws("a", PERT)]}
    data.update(extra)
    return Scenario.from_dict(data)


# -- findings -----------------------------------------------------------------------------
def test_finding_reads_as_where_then_message():
    f = Finding("few_iterations", "simulation.iterations", "too few")
    assert str(f) == "simulation.iterations: too few"
    assert str(Finding("x", "", "whole scenario")) == "whole scenario"


def test_a_clean_scenario_has_no_findings():
    assert check(make([ws("a", PERT), ws("b", PERT, ["a"])])) == []


# -- holiday windows ------------------------------------------------------------------------
def test_baseline_runs_over_year_end_without_a_calendar():
    findings = check(load_scenario(DEFAULT))
    assert [(f.code, f.where) for f in findings] == [("holiday_window", "calendar")]
    assert findings[0].message == (
        "the plan runs over year-end (24 Dec 2026 - 1 Jan 2027) with no calendar: work is "
        "assumed to go at full pace; add calendar.blackouts "
        "(see soc2_readiness_holiday_freeze.yaml)")


def test_holiday_freeze_variant_is_clean():
    assert check(load_scenario(FREEZE)) == []


@pytest.mark.parametrize("year, thursday", [(2024, 28), (2025, 27), (2026, 26), (2027, 25)])
def test_thanksgiving_is_the_fourth_thursday_of_november_and_the_friday(year, thursday):
    window = next(w for w in HOLIDAY_WINDOWS if w.name == "US Thanksgiving")
    assert window.dates(year) == (dt.date(year, 11, thursday), dt.date(year, 11, thursday + 1))
    assert dt.date(year, 11, thursday).weekday() == 3
    assert "ASSUMPTION" in window.source


def test_year_end_window_and_every_window_names_its_source():
    window = next(w for w in HOLIDAY_WINDOWS if w.name == "year-end")
    assert window.dates(2026) == (dt.date(2026, 12, 24), dt.date(2027, 1, 1))
    assert all(w.source for w in HOLIDAY_WINDOWS)


def test_thanksgiving_crossed_without_calendar():
    findings = check(scenario("2027-11-15", "2027-12-20"))
    assert codes(findings) == ["calendar"]
    assert "US Thanksgiving (25 Nov 2027 - 26 Nov 2027) with no calendar" in findings[0].message


def test_a_blackout_that_overlaps_the_window_covers_it():
    covered = {"blackouts": [{"from": "2027-11-26", "to": "2027-11-29", "capacity": 0.5}]}
    assert check(scenario("2027-11-15", "2027-12-20", calendar=covered)) == []


def test_a_blackout_elsewhere_does_not_cover_the_window():
    other = {"blackouts": [{"from": "2027-12-01", "to": "2027-12-03"}]}
    findings = check(scenario("2027-11-15", "2027-12-20", calendar=other))
    assert codes(findings) == ["calendar"]
    assert "and no calendar blackout covers it" in findings[0].message


def test_the_span_ends_at_the_target_date_when_that_is_later():
    # plan finishes 22 Dec 2027 (3 weeks from 1 Dec); the audit date is after Christmas
    assert codes(check(scenario("2027-12-01", "2027-12-31")), "holiday_window") == ["calendar"]
    assert check(scenario("2027-12-01", "2027-12-23")) == []


def test_the_span_ends_at_the_plan_finish_when_that_is_later():
    # plan finishes 29 Dec (4 weeks from 1 Dec), though the audit date is 20 Dec
    late = [ws("a", {"dist": "pert", "min": 3, "mode": 4, "max": 5})]
    assert codes(check(scenario("2027-12-01", "2027-12-20", late)), "holiday_window") == \
        ["calendar"]
    # a plan that ends at the first moment of 24 Dec does not run over it
    edge = [ws("a", {"dist": "pert", "min": 2, "mode": 3, "max": 5})]
    assert check(scenario("2027-12-03", "2027-12-23", edge)) == []


def test_a_plan_crossing_two_year_ends_gets_two_findings():
    findings = check(scenario("2026-12-01", "2028-01-15"))
    assert [f.message[:50] for f in findings] == [
        "the plan runs over year-end (24 Dec 2026 - 1 Jan 2",
        "the plan runs over US Thanksgiving (25 Nov 2027 - ",
        "the plan runs over year-end (24 Dec 2027 - 1 Jan 2"]


# -- fixed durations on the critical path ---------------------------------------------------
def test_fixed_duration_on_the_critical_path_is_reported():
    findings = check(make([ws("a", 3), ws("b", PERT, ["a"])]))
    assert [(f.code, f.where) for f in findings] == [("fixed_critical", "workstreams[0].duration")]
    assert findings[0].message.startswith(
        "'a' is on the plan's critical path with a duration fixed at 3 weeks")


def test_fixed_duration_off_the_critical_path_or_zero_is_not_reported():
    # b (1 week) runs beside a (3 weeks): it has float; m is a zero-length milestone
    assert check(make([ws("a", PERT), ws("b", 1), ws("m", 0, ["a", "b"])])) == []
    # an empirical estimate with one value is fixed too
    one = {"dist": "empirical", "values": [2, 2]}
    assert codes(check(make([ws("a", one)])), "fixed_critical") == ["workstreams[0].duration"]


def test_type2_report_fixed_windows_are_reported():
    # the burn-in has float now that the window opens on its booked date; the window not
    findings = check(load_scenario(SCENARIOS / "soc2_type2_report.yaml"))
    assert codes(findings, "fixed_critical") == ["workstreams[11].duration"]


# -- risks without impact -------------------------------------------------------------------
def risk(**keys):
    return {"id": "r", "affects": ["a"], **keys}


@pytest.mark.parametrize("keys, where, why", [
    ({"probability": 0, "delay": 1}, "risks[0].probability", "its probability is 0"),
    ({"probability": 0.3, "delay": 0}, "risks[0]", "its delay is 0 and it has no cost"),
    ({"probability": 0.3, "factor": 1, "cost": 0}, "risks[0]", "its factor is 1 and it has no"),
])
def test_risk_without_impact_is_reported(keys, where, why):
    findings = check(make([ws("a", PERT)], risks=[risk(**keys)]))
    assert [(f.code, f.where) for f in findings] == [("risk_no_impact", where)]
    assert findings[0].message.startswith(f"'r' changes no date or cost: {why}")


@pytest.mark.parametrize("keys", [
    {"probability": 0.3, "delay": 0, "cost": 5000},
    {"probability": 0.3, "delay": {"dist": "triangular", "min": 0, "mode": 1, "max": 2}},
    {"probability": 0.3, "factor": 1.2},
    {"probability": 0.3, "factor": 1, "cost": {"dist": "uniform", "min": 0, "max": 10}},
    {"probability": 0.01, "cost": 100},
])
def test_risk_with_an_impact_is_not_reported(keys):
    assert check(make([ws("a", PERT)], risks=[risk(**keys)])) == []


def test_risk_with_nothing_at_all_is_reported():
    # the schema refuses it, so build it without validation
    bare = Risk.model_construct(id="r", probability=0.5, affects=[], delay=None, factor=None,
                                cost=from_spec(0))
    assert _no_impact(bare) == "it has no delay, factor or cost"


# -- workstreams leading to no target -------------------------------------------------------
def test_workstream_leading_to_no_target_is_reported():
    s = make([ws("a", PERT), ws("b", PERT, ["a"]), ws("c", PERT), ws("d", PERT, ["c"])],
             audit_date=None,
             targets=[{"id": "audit", "milestone": "b", "date": "2027-03-29"},
                      {"id": "c_done", "milestone": "c", "date": "2027-03-29"}])
    findings = check(s)
    assert [(f.code, f.where) for f in findings] == [("workstream_no_target", "workstreams[3]")]
    assert findings[0].message.startswith("'d' leads to no target")


def test_a_target_on_the_end_covers_every_workstream():
    s = make([ws("a", PERT), ws("b", PERT)],
             targets=[{"id": "a_done", "milestone": "a", "date": "2027-03-01"}])
    assert check(s) == []


def test_shipped_multi_target_scenarios_lead_every_workstream_to_a_target():
    for name in ("soc2_type1_first.yaml", "soc2_type2_report.yaml"):
        assert codes(check(load_scenario(SCENARIOS / name)), "workstream_no_target") == []


# -- iterations -----------------------------------------------------------------------------
def test_margin_points_is_the_95pct_binomial_margin_at_one_half():
    assert margin_points(10_000) == pytest.approx(0.98)
    assert margin_points(38_416) == pytest.approx(0.5)


def test_too_few_iterations_are_reported_with_their_margin():
    s = make([ws("a", PERT)], simulation={"iterations": 5000})
    findings = check(s)
    assert [(f.code, f.where) for f in findings] == [("few_iterations", "simulation.iterations")]
    assert findings[0].message == (
        "5,000 iterations give P(meet) only to within about ±1.4 points (95%), coarser than "
        "the whole points reports show; use at least 10,000 (±1 point)")
    assert check(s, iterations=MIN_ITERATIONS) == []


def test_iterations_given_apart_from_the_file_are_checked():
    s = make([ws("a", PERT)])  # the file's 100,000
    assert check(s) == []
    findings = check(s, iterations=MIN_ITERATIONS - 1)
    assert codes(findings, "few_iterations") == ["iterations"]


# -- normals cut at 0 -----------------------------------------------------------------------
@pytest.mark.parametrize("mean, sd", [(2, 1.5), (1, 0.5), (0, 1), (-1, 2), (10, 1)])
def test_truncated_normal_mean_matches_scipy(mean, sd):
    expected = stats.truncnorm(-mean / sd, math.inf, loc=mean, scale=sd).mean()
    assert truncated_normal_mean(Normal(mean=mean, sd=sd)) == pytest.approx(expected, rel=1e-12)


def test_normal_duration_whose_cut_moves_its_mean_is_reported():
    findings = check(make([ws("a", {"dist": "normal", "mean": 2, "sd": 1.5})]))
    assert [(f.code, f.where) for f in findings] == [("normal_truncated",
                                                      "workstreams[0].duration")]
    real = truncated_normal_mean(Normal(mean=2, sd=1.5))
    assert f"its real mean is {real:.2f} weeks, 14% above the 2 written" in findings[0].message
    assert "(the plan uses 2)" in findings[0].message


def test_normal_shift_threshold_is_one_percent():
    # sd 0.4 x mean: +0.7%, not reported; sd 0.5 x mean: +2.8%, reported
    assert check(make([ws("a", {"dist": "normal", "mean": 10, "sd": 4})])) == []
    assert codes(check(make([ws("a", {"dist": "normal", "mean": 10, "sd": 5})]))) == \
        ["workstreams[0].duration"]


def test_normals_are_found_in_costs_and_risks():
    money = {"dist": "normal", "mean": 1000, "sd": 1000}
    s = make([ws("a", PERT, fixed_cost={"dist": "normal", "mean": 0, "sd": 500})],
             risks=[risk(probability=0.2, delay={"dist": "normal", "mean": 1, "sd": 1},
                         cost=money)],
             fixed_costs=[{"id": "fee", "cost": money}])
    findings = check(s)
    assert codes(findings, "normal_truncated") == [
        "workstreams[0].fixed_cost", "risks[0].delay", "risks[0].cost", "fixed_costs[0].cost"]
    by_where = {f.where: f.message for f in findings}
    assert "real mean is $1,288, 29% above the 1000 written" in by_where["fixed_costs[0].cost"]
    assert "real mean is $399 (the plan uses 0)" in by_where["workstreams[0].fixed_cost"]


# -- blackouts outside the plan -------------------------------------------------------------
def test_blackout_outside_the_plan_is_reported():
    cal = {"blackouts": [{"from": "2026-01-05", "to": "2026-01-10"},
                         {"from": "2027-02-01", "to": "2027-02-05"}]}
    findings = check(make([ws("a", PERT)], calendar=cal))
    assert [(f.code, f.where) for f in findings] == [("blackout_outside_plan",
                                                      "calendar.blackouts[0]")]
    assert findings[0].message.startswith(
        "the blackout from 5 Jan 2026 to 10 Jan 2026 lies outside the plan "
        "(4 Jan 2027 - 29 Mar 2027)")


# -- shipped scenarios and the batch --------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("soc2_readiness.yaml", ["holiday_window"]),
    ("soc2_readiness_holiday_freeze.yaml", []),
    ("soc2_type1_first.yaml", ["holiday_window"]),
    ("soc2_type2_report.yaml", ["holiday_window", "fixed_critical"]),
    ("soc2_type2_go_ahead.yaml", ["holiday_window", "fixed_critical"]),
    ("soc2_type2_6_month_window.yaml", ["holiday_window", "fixed_critical"]),
])
def test_shipped_scenarios(name, expected):
    assert [f.code for f in check(load_scenario(SCENARIOS / name))] == expected


def test_leadership_batch_runs_the_holiday_freeze():
    from riskmodel.reporting.batch import load_batch

    items = load_batch(ROOT / "data" / "batches" / "leadership.yaml").items
    freeze = [i for i in items if i.label == "Holiday code freeze"]
    assert len(freeze) == 1
    assert str(freeze[0].parameters["scenario"]).endswith("soc2_readiness_holiday_freeze.yaml")


# -- command line ---------------------------------------------------------------------------
def test_cli_prints_one_line_per_finding_and_exits_0(capsys):
    assert main(["check", str(DEFAULT)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [(f"{DEFAULT}: warning: calendar: the plan runs over year-end "
                    "(24 Dec 2026 - 1 Jan 2027) with no calendar: work is assumed to go at full "
                    "pace; add calendar.blackouts (see soc2_readiness_holiday_freeze.yaml)")]


def test_cli_says_ok_when_clean_and_checks_given_iterations(capsys):
    assert main(["check", str(FREEZE)]) == 0
    assert capsys.readouterr().out == f"{FREEZE}: OK, no findings\n"
    assert main(["check", str(FREEZE), "--iterations", "2000"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{FREEZE}: warning: iterations: 2,000 ")


def test_cli_bad_file_exits_2_with_one_line_per_problem(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart_date: 2027-01-04\naudit_date: 2027-03-01\n"
                   "workstreams:\n  - {id: a, duration: {dist: pert, min: 5, mode: 4, max: 6}}\n")
    assert main(["check", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{bad}: workstreams[0].duration: min 5 > mode 4\n"
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_a_plan_that_waits_for_people_is_named():
    # one security engineer: API hardening (1 FTE, planned first) and logging (0.25)
    # cannot overlap; logging waits 2.5 weeks, and is then the longest path by 1.5 weeks
    # (2 + 2.5 + 2.5 against permissions' 2 + 3.5), so the plan ends 1.5 weeks later
    shared = load_scenario(SCENARIOS / "soc2_readiness.yaml").with_changes(
        {"roles": [{"id": "security_engineer", "capacity": 1.0}]})
    found = [f for f in check(shared) if f.code == "plan_waits"]
    assert [(f.where, f.message) for f in found] == [(
        "roles", "the plan needs more people at once than the roles' capacities: "
        "'integration_logging' waits for its people, so the plan ends 1.5 weeks later than "
        "its links say; add capacity, move work apart, or plan for the later date")]
    assert not [f for f in check(load_scenario(SCENARIOS / "soc2_readiness.yaml"))
                if f.code == "plan_waits"]


def test_the_plans_wait_is_measured_against_every_final_workstream():
    # one engineer for a (3 weeks) and b (4 weeks); c (5.5 weeks) needs nobody. Unlevelled
    # the plan ends with c at 5.5; levelled, b (less float) goes first and a waits: 4 + 3 =
    # 7. So the plan ends 1.5 weeks later than its links say (not 7 - 3, a's own shift)
    s = make([ws("a", {"dist": "fixed", "value": 3}, staffing={"eng": 1}),
              ws("b", {"dist": "fixed", "value": 4}, staffing={"eng": 1}),
              ws("c", {"dist": "fixed", "value": 5.5})],
             roles=[{"id": "eng", "weekly_rate": 1000, "capacity": 1}])
    found = [f.message for f in check(s) if f.code == "plan_waits"]
    assert len(found) == 1 and "'a' waits for its people" in found[0]
    assert "the plan ends 1.5 weeks later than its links say" in found[0]
