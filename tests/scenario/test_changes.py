"""What-if changes: validated, and on common random numbers only their own effect shows."""
import numpy as np
import pytest

import riskmodel as rm
from riskmodel.scenario.changes import DEFAULT_ELASTICITY
from tests.conftest import DEFAULT

N = 20_000


@pytest.fixture(scope="module")
def base():
    return rm.load_scenario(DEFAULT)


@pytest.fixture(scope="module")
def base_run(base):
    return rm.simulate(base, iterations=N)


def test_a_no_op_change_gives_identical_results(base, base_run):
    same = rm.simulate(base.with_changes({}), iterations=N)
    np.testing.assert_array_equal(same.finish, base_run.finish)
    np.testing.assert_array_equal(same.cost, base_run.cost)


def test_changing_a_workstream_off_the_critical_path_leaves_p_meet_unchanged(base, base_run):
    # change management is never critical in the baseline (criticality 0)
    assert base_run.workstreams().loc["change_management", "criticality"] == 0
    changed = rm.simulate(rm.scale_estimates(base, 0.8, ["change_management"]), iterations=N)
    assert changed.p_meet("2027-03-01") == base_run.p_meet("2027-03-01")
    np.testing.assert_array_equal(changed.finish, base_run.finish)
    assert changed.cost.mean() < base_run.cost.mean()


@pytest.mark.parametrize("ws,role,fte", [("sf_permissions", "sf_developer_contract", 2.0),
                                         ("control_testing", "grc_analyst", 2.0),
                                         ("api_hardening", "security_engineer", 1.5)])
def test_adding_staff_never_lengthens_the_forecast(base, base_run, ws, role, fte):
    more = rm.simulate(rm.change_staffing(base, ws, {role: fte}), iterations=N)
    assert np.all(more.finish <= base_run.finish + 1e-12)
    assert more.p_meet("2027-03-01") >= base_run.p_meet("2027-03-01")


def test_staffing_elasticity_and_floor(base):
    # 2 FTE who can do the work (the GRC analyst's 0.25 supports), PERT(2.5, 3.5, 4.5)
    ws = base.workstream("sf_permissions")
    doubled = rm.change_staffing(base, "sf_permissions", {"sf_developer_contract": 3.0},
                                 onboarding=0)
    factor = (2.0 / 4.0) ** DEFAULT_ELASTICITY
    assert doubled.workstream("sf_permissions").duration.plan_value == pytest.approx(3.5 * factor)
    # a week of onboarding: the first week at the old pace (the plan value is the mode)
    onboarded = rm.change_staffing(base, "sf_permissions", {"sf_developer_contract": 3.0})
    assert onboarded.workstream("sf_permissions").duration.plan_value == pytest.approx(
        1 + (3.5 - 1) * factor)
    huge = rm.change_staffing(base, "sf_permissions", {"sf_developer_contract": 100},
                              onboarding=0)
    assert huge.workstream("sf_permissions").duration.plan_value == pytest.approx(3.5 * 0.5)
    assert ws.duration.plan_value == 3.5  # the original is untouched


def test_mitigation_cost_and_probability(base, base_run):
    m = rm.mitigate_risk(base, "evidence_gaps", probability=0.0, cost=15_000)
    r = rm.simulate(m, iterations=N)
    assert r.risks().loc["evidence_gaps", "fired"] == 0
    # the same iterations finish no later, and cost 15k more minus what the risk cost
    assert np.all(r.finish <= base_run.finish + 1e-12)
    assert m.fixed_costs[-1].id == "mitigation_evidence_gaps"


def test_moving_the_audit_date_moves_only_the_target(base, base_run):
    later = rm.simulate(rm.move_dates(base, audit_weeks_later=2), iterations=N)
    np.testing.assert_array_equal(later.finish, base_run.finish)
    assert later.primary_target.date.isoformat() == "2027-03-15"
    assert later.p_meet(later.primary_target.date) == base_run.p_meet("2027-03-15")


def test_remove_workstream_reconnects_successors(base):
    s = rm.remove_workstream(base, "control_testing")
    deps = [d.id for d in s.workstream("documentation").depends_on]
    assert deps == ["sf_permissions", "api_hardening", "integration_logging",
                    "sync_encryption", "change_management", "policies_vendors"]
    assert "evidence_gaps" in [r.id for r in s.risks]  # keeps its cost
    assert all("control_testing" not in r.affects for r in s.risks)


def test_add_workstream_and_dependencies(base):
    s = rm.add_workstream(base, {"id": "pentest_fixes", "duration": {
        "dist": "triangular", "min": 0.5, "mode": 1, "max": 2},
        "depends_on": ["api_hardening"]}, before=["control_testing"])
    assert "pentest_fixes" in [d.id for d in s.workstream("control_testing").depends_on]
    s2 = rm.remove_dependency(s, "control_testing", "pentest_fixes")
    assert "pentest_fixes" not in [d.id for d in s2.workstream("control_testing").depends_on]
    with pytest.raises(rm.ScenarioError, match="dependency cycle"):
        rm.add_dependency(base, "gap_analysis", "documentation")


def test_bad_changes_are_clear_errors(base):
    with pytest.raises(rm.ScenarioError, match="did you mean 'sf_permissions'"):
        rm.change_staffing(base, "sf_permision", {"sf_architect": 2})
    with pytest.raises(rm.ScenarioError, match=r"risks\[5\].probability"):
        base.with_changes({"risks": [{"id": "evidence_gaps", "probability": 3}]})
    with pytest.raises(rm.ScenarioError, match="does not depend on"):
        rm.remove_dependency(base, "documentation", "gap_analysis")


def test_mitigating_a_duration_factor_pulls_it_towards_one(base):
    s = base.with_changes({"risks": [{"id": "auditor_scope_change", "delay": None,
                                      "factor": {"dist": "triangular", "min": 1, "mode": 2,
                                                 "max": 3}}]})
    m = rm.mitigate_risk(s, "auditor_scope_change", impact_factor=0.5)
    factor = [r.factor for r in m.risks if r.id == "auditor_scope_change"][0]
    # whole-number parameters move too: 1 + (x - 1) / 2
    assert (factor.min, factor.mode, factor.max) == (1.0, 1.5, 2.0)


@pytest.mark.parametrize(("change", "message"), [
    ({"scale_estimates": {"factor": 0}},
     "changes[0].scale_estimates.factor: expected a number above 0, got 0"),
    ({"scale_estimates": {"factor": None}},
     "changes[0].scale_estimates.factor: expected a number above 0, got None"),
    ({"mitigate": {"risk": "evidence_gaps", "impact_factor": -1}},
     "changes[0].mitigate.impact_factor: expected a number above 0, got -1"),
    ({"mitigate": {"risk": "evidence_gaps", "impact_factor": float("nan")}},
     "changes[0].mitigate.impact_factor: expected a number above 0, got nan"),
    ({"move_dates": {"audit_weeks_later": "x"}},
     "changes[0].move_dates.audit_weeks_later: expected a number from -10,000 to 10,000 "
     "(weeks), got 'x'"),
    ({"move_dates": {"audit_weeks_later": True}},
     "changes[0].move_dates.audit_weeks_later: expected a number from -10,000 to 10,000 "
     "(weeks), got True"),
    ({"move_dates": {"audit_weeks_later": 1e12}},
     "changes[0].move_dates.audit_weeks_later: expected a number from -10,000 to 10,000 "
     "(weeks), got 1000000000000.0"),
])
def test_a_bad_number_argument_is_named_before_and_when_applied(base, change, message):
    from riskmodel.scenario.changes import apply_changes, check_changes

    with pytest.raises(rm.ScenarioError) as info:
        apply_changes(base, [change])
    assert type(info.value) is rm.ScenarioError and str(info.value) == message
    assert [str(p) for p in check_changes([change])] == [message]


def test_a_distribution_error_in_a_change_is_named_from_the_change(base):
    from riskmodel.scenario.changes import apply_changes

    with pytest.raises(rm.ScenarioError) as info:
        apply_changes(base, [{"move_dates": {}}, {"scale_estimates": {"factor": 5e-324}}])
    assert type(info.value) is rm.ScenarioError
    assert info.value.lines == ["changes[1].scale_estimates: min and max are both "
                                "9.88131e-324: use a fixed value for a certain quantity"]
