"""Re-forecasts honour actuals, and the trail and its explanation add up."""
import datetime as dt

import numpy as np
import pytest

import riskmodel as rm
from riskmodel.cli import main
from riskmodel.reforecast import explain_change, forecast_trail, reforecast
from riskmodel.scenario.status import Status
from tests.conftest import DEFAULT, ROOT, make, ws

STATUS = ROOT / "data" / "status"


@pytest.fixture(scope="module")
def base():
    return rm.load_scenario(DEFAULT)


def weeks(base, day):
    return base.weeks_from_start(dt.date.fromisoformat(day))


def test_everything_finished_gives_a_point_mass_at_the_actual_finish(base):
    finished = {w.id: {"actual_start": "2026-12-07", "actual_finish": "2027-02-20"}
                for w in base.workstreams}
    status = Status.from_dict({"as_of": "2027-02-22", "workstreams": finished,
                               "risks": {r.id: "occurred" for r in base.risks}})
    r = reforecast(base, status, iterations=5000)
    assert np.all(r.finish == weeks(base, "2027-02-20"))
    assert r.p_meet("2027-02-20") == 1.0 and r.p_meet("2027-02-19") == 0.0


def test_no_simulated_date_falls_before_what_already_happened(base):
    r = reforecast(base, STATUS / "2027-01-25.yaml", iterations=20_000)
    now = weeks(base, "2027-01-25")
    fin = r.detail["finish"].astype(float)
    ids = r.workstream_ids
    assert np.allclose(fin[ids.index("api_hardening")], weeks(base, "2027-01-15"), atol=1e-5)
    # unfinished work finishes after the status date, and the programme too
    for w in ("control_testing", "documentation"):
        assert fin[ids.index(w)].min() >= now - 1e-5
    assert r.finish.min() >= now
    assert r.to_dict()["as_of"] == "2027-01-25"


def test_percent_complete_scales_what_is_left():
    s = make([ws("a", {"dist": "uniform", "min": 4, "max": 6})])  # start 2027-01-04
    status = Status.from_dict({"as_of": "2027-01-18", "workstreams": {
        "a": {"actual_start": "2027-01-04", "percent_complete": 50}}})
    r = reforecast(s, status, iterations=20_000)
    # finish = status date (week 2) + 50% of U(4, 6)
    assert r.finish.min() >= 2 + 2 - 1e-9 and r.finish.max() <= 2 + 3 + 1e-9
    assert r.finish.mean() == pytest.approx(2 + 2.5, abs=0.01)


def test_only_an_actual_start_never_finishes_in_the_past():
    s = make([ws("a", {"dist": "uniform", "min": 1, "max": 5})])
    status = Status.from_dict({"as_of": "2027-01-25", "workstreams": {
        "a": {"actual_start": "2027-01-04"}}})
    r = reforecast(s, status, iterations=20_000)
    assert r.finish.min() == pytest.approx(3.0)  # draws below 3 weeks finish today
    assert np.mean(r.finish == 3.0) == pytest.approx(0.5, abs=0.02)


def test_retired_and_occurred_risks(base):
    status = Status.from_dict({"as_of": "2026-12-07", "risks": {
        "evidence_gaps": "occurred", "permission_sprawl": "retired"}})
    rk = reforecast(base, status, iterations=10_000).risks()
    assert rk.loc["evidence_gaps", "fired"] == 1 and rk.loc["permission_sprawl", "fired"] == 0


def test_a_status_at_the_start_equals_the_plan(base):
    plan = rm.simulate(base, iterations=10_000)
    same = reforecast(base, Status.from_dict({"as_of": "2026-12-07"}), iterations=10_000)
    np.testing.assert_array_equal(plan.finish, same.finish)
    np.testing.assert_array_equal(plan.cost, same.cost)


def test_trail_and_explanation_add_up(base):
    files = [STATUS / "2027-01-04.yaml", STATUS / "2027-01-25.yaml"]
    trail = forecast_trail(base, files, iterations=10_000)
    assert list(trail.index) == ["plan", "2027-01-04", "2027-01-25"]
    why = explain_change(base, files[0], files[1], iterations=10_000)
    assert why["p_meet"].iloc[0] == pytest.approx(trail.loc["2027-01-04", "p_meet"])
    assert why["p_meet"].iloc[-1] == pytest.approx(trail.loc["2027-01-25", "p_meet"])
    assert why["p_meet_change"].sum() == pytest.approx(
        trail.loc["2027-01-25", "p_meet"] - trail.loc["2027-01-04", "p_meet"])


@pytest.mark.parametrize("status,message", [
    ({"as_of": "2027-01-11", "workstreams": {"gap": {"actual_finish": "2026-12-20"}}},
     "unknown workstream 'gap' (did you mean 'gap_analysis'?)"),
    ({"as_of": "2027-01-11", "workstreams": {"gap_analysis": {"actual_finish": "2026-12-20"}}},
     "actual_finish needs an actual_start"),
    ({"as_of": "2027-01-11", "workstreams": {"gap_analysis": {
        "actual_start": "2026-12-07", "actual_finish": "2027-02-01"}}}, "is after as_of"),
    ({"as_of": "2027-01-11", "workstreams": {"sf_permissions": {
        "actual_start": "2026-12-21", "percent_complete": 150}}},
     "less than or equal to 100"),
    ({"as_of": "2027-01-11", "risks": {"evidence_gap": "retired"}},
     "unknown risk 'evidence_gap'"),
    ({"as_of": "2027-01-11", "risks": {"evidence_gaps": "gone"}}, "risks.evidence_gaps"),
    ({"as_of": "2026-11-01"}, "before the scenario's start_date"),
])
def test_bad_status_files_exit_2(tmp_path, capsys, status, message):
    import yaml

    path = tmp_path / "status.yaml"
    path.write_text(yaml.safe_dump(status))
    assert main(["reforecast", str(DEFAULT), str(path), "--iterations", "100"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_reforecast_command(capsys):
    code = main(["reforecast", str(DEFAULT), str(STATUS / "2027-01-04.yaml"),
                 str(STATUS / "2027-01-25.yaml"), "--iterations", "5000"])
    out = capsys.readouterr().out
    assert code == 0 and "Forecast trail" in out and "+ actuals" in out
