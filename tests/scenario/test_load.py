"""Loading: the shipped scenarios, CSV tables, DataFrames, extends."""
import datetime as dt

import pandas as pd
import pytest
import yaml

from riskmodel import Scenario, ScenarioError, load_scenario
from riskmodel.cli import main
from tests.conftest import DEFAULT, TYPE2


def test_default_scenario_encodes_the_reference():
    s = load_scenario(DEFAULT)
    assert len(s.workstreams) == 9 and len(s.roles) == 10 and len(s.risks) == 8
    assert s.audit_date == s.start_date + dt.timedelta(weeks=12)
    # loaded rates reproduce the reference's cost_rate_per_week
    rates = {r.id: r.weekly_rate.plan_value for r in s.roles}  # numbers: fixed rates
    weekly = {w.id: sum(f * rates[r] for r, f in w.staffing.items()) for w in s.workstreams}
    assert weekly["gap_analysis"] == 11350 and weekly["sf_permissions"] == 11125
    assert weekly["control_testing"] == 8300 and weekly["documentation"] == 6100
    assert s.sources and all(len(h) == 64 for h in s.sources.values())


def test_type2_scenario_extends_the_baseline():
    base, s = load_scenario(DEFAULT), load_scenario(TYPE2)
    ids = [w.id for w in s.workstreams]
    assert ids[:9] == [w.id for w in base.workstreams]
    assert ids[9:] == ["controls_burn_in", "window_rebooked", "observation_window", "fieldwork",
                       "report_issuance"]
    targets = {t.id: t for t in s.all_targets}
    assert targets["audit"].milestone == "documentation"
    assert targets["audit"].date == base.audit_date
    assert targets["report_in_hand"].milestone == "report_issuance"
    assert s.overhead[0].until == "documentation" and s.overhead[0].staffing
    assert len(s.sources) == 2
    assert s.all_targets[0].id == "report_in_hand"  # the headline target


# the deterministic plan of each shipped scenario, by hand: modal critical path gap 2 ->
# permissions 3.5 -> testing 3.5 -> documentation 1.5 = 10.5 weeks; the holiday freeze
# (21 Dec - 4 Jan at a quarter of the pace) turns 2 calendar weeks into half a working
# week: + 1.5; Type I adds fieldwork 2 and issuance 2; Type II opens the window on its
# booked date (week 14, the audit date plus two weeks of burn-in), then the window 13 (or
# 26), fieldwork 3 and issuance 3; keeping the booked window has the same plan
PLAN_WEEKS = {"soc2_readiness.yaml": 10.5, "soc2_readiness_holiday_freeze.yaml": 12.0,
              "soc2_type1_first.yaml": 14.5, "soc2_type2_report.yaml": 33.0,
              "soc2_type2_go_ahead.yaml": 33.0, "soc2_type2_6_month_window.yaml": 46.0}


def test_every_shipped_scenario_loads_runs_and_has_its_hand_computed_plan():
    import riskmodel as rm
    from tests.conftest import ROOT

    paths = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
    assert sorted(p.name for p in paths) == sorted(PLAN_WEEKS)
    for path in paths:
        r = rm.simulate(load_scenario(path), iterations=2000)
        assert r.plan["finish"] == pytest.approx(PLAN_WEEKS[path.name]), path


def test_six_month_window_moves_the_report_by_13_weeks():
    import numpy as np

    import riskmodel as rm
    from tests.conftest import ROOT

    three = rm.simulate(load_scenario(TYPE2), iterations=5000)
    six = rm.simulate(load_scenario(ROOT / "data/scenarios/soc2_type2_6_month_window.yaml"),
                      iterations=5000)
    np.testing.assert_allclose(six.finish, three.finish + 13)


def test_extends_can_move_the_audit_date_and_remove_items(tmp_path):
    (tmp_path / "child.yaml").write_text(yaml.safe_dump({
        "extends": str(DEFAULT), "name": "later audit", "audit_date": "2027-03-15",
        "risks": [{"id": "evidence_gaps", "remove": True},
                  {"id": "permission_sprawl", "probability": 0.1}]}))
    s = load_scenario(tmp_path / "child.yaml")
    assert s.all_targets[0].date == dt.date(2027, 3, 15)
    assert s.all_targets[0].milestone == "end"
    risks = {r.id: r for r in s.risks}
    assert "evidence_gaps" not in risks and risks["permission_sprawl"].probability == 0.1
    assert risks["permission_sprawl"].cost.plan_value == 12000


def test_extends_loop_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    with pytest.raises(ScenarioError, match="extends itself in a loop"):
        load_scenario(tmp_path / "a.yaml")


WS_CSV = """id,name,dist,min,mode,max,value,depends_on,staffing
gap,Gap analysis,pert,1,2,3,,,eng=1.0
fix,Fixes,triangular,2,3,5,,gap,eng=0.5; pm=0.25
test,Testing,,,,,2,fix:0.5,
"""
HEAD = {"name": "csv", "start_date": "2027-01-04", "audit_date": "2027-03-29",
        "roles": [{"id": "eng", "weekly_rate": 5000}, {"id": "pm", "weekly_rate": 3000}]}


def csv_scenario(tmp_path, ws_csv):
    (tmp_path / "workstreams.csv").write_text(ws_csv)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({**HEAD, "workstreams": "workstreams.csv"}))
    return tmp_path / "s.yaml"


def test_csv_table_equals_the_inline_yaml(tmp_path):
    from_csv = load_scenario(csv_scenario(tmp_path, WS_CSV))
    inline = Scenario.from_dict({**HEAD, "workstreams": [
        {"id": "gap", "name": "Gap analysis", "staffing": {"eng": 1.0},
         "duration": {"dist": "pert", "min": 1, "mode": 2, "max": 3}},
        {"id": "fix", "name": "Fixes", "depends_on": ["gap"], "staffing": {"eng": 0.5, "pm": 0.25},
         "duration": {"dist": "triangular", "min": 2, "mode": 3, "max": 5}},
        {"id": "test", "name": "Testing", "depends_on": [{"id": "fix", "lag": 0.5}],
         "duration": 2}]})
    assert from_csv.sha256 == inline.sha256
    assert str(tmp_path / "workstreams.csv") in from_csv.sources


def test_csv_errors_name_the_file_and_row(tmp_path, capsys):
    path = csv_scenario(tmp_path, WS_CSV.replace("fix,Fixes,triangular,2,3,5",
                                                 "fix,Fixes,triangular,4,3,5"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{tmp_path / 'workstreams.csv'}: row 3: duration: min 4 > mode 3"
    path = csv_scenario(tmp_path, WS_CSV.replace("eng=0.5; pm=0.25", "eng 0.5"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{tmp_path / 'workstreams.csv'}: row 3: staffing: 'eng 0.5' should read role=FTE"


def test_dataframe_tables_are_accepted():
    df = pd.DataFrame({"id": ["a", "b"], "dist": ["pert", "uniform"], "min": [1, 2],
                       "mode": [2, None], "max": [3, 4], "depends_on": [None, "a"]})
    s = Scenario.from_dict({"name": "df", "start_date": "2027-01-04",
                            "audit_date": "2027-03-29", "workstreams": df})
    assert s.workstreams[1].depends_on[0].id == "a"
    assert s.workstreams[1].duration.name == "uniform"


def test_same_content_same_hash():
    a, b = load_scenario(DEFAULT), load_scenario(DEFAULT)
    assert a.sha256 == b.sha256
    assert Scenario.from_dict(a.to_dict()).sha256 == a.sha256
