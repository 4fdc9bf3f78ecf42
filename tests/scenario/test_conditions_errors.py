"""Bad ``when`` clauses and ``not_before`` dates: one sentence each, naming the key."""
import copy

import pytest

from riskmodel import Scenario, ScenarioError
from riskmodel.cli import main

GOOD = {
    "name": "conditions",
    "start_date": "2027-01-04",
    "workstreams": [{"id": "a", "duration": {"dist": "uniform", "min": 2, "max": 4}},
                    {"id": "b", "duration": 2, "depends_on": ["a"]},
                    {"id": "c", "duration": 1, "depends_on": ["b"]}],
    "targets": [{"id": "audit", "milestone": "a", "date": "2027-02-01"},
                {"id": "report", "milestone": "b", "date": "2027-02-15"}],
    "risks": [{"id": "r1", "probability": 0.5, "affects": ["b"], "delay": 1},
              {"id": "r2", "probability": 0.5, "affects": ["c"], "delay": 1}],
}


def with_when(risk: int, when, **more):
    data = copy.deepcopy(GOOD)
    data["risks"][risk]["when"] = when
    data["risks"][risk].update(more)
    return data


CASES = [
    (with_when(0, [{"late": "audit"}], affects=["a"]),
     "risks[0].when[0]: 'r1' depends on 'audit', which it delays"),
    (with_when(1, [{"late": "report"}], affects=["b"]),
     "risks[1].when[0]: 'r2' depends on 'report', which it delays"),
    (with_when(0, [{"risk": "r1"}]), "risks[0].when[0]: 'r1' cannot depend on itself"),
    (with_when(0, [{"risk": "r9"}]), "risks[0].when[0]: unknown risk 'r9'"),
    (with_when(0, [{"late": "audti"}]), "risks[0].when[0]: unknown target 'audti' (did you "
                                        "mean 'audit'?)"),
    (with_when(0, [{"late": "audit", "risk": "r2"}]),
     "risks[0].when[0]: give exactly one of risk, not_risk, late or on_time (got risk, late)"),
    (with_when(0, [{}]), "risks[0].when[0]: give exactly one of risk, not_risk, late or on_time"),
    (with_when(0, [{"risk": "r2", "by": 1}]),
     "risks[0].when[0]: by goes with late or on_time (weeks past the target date)"),
    (with_when(0, [{"late": "audit", "by": -1}]), "risks[0].when[0].by:"),
    (with_when(0, [{"late": "audit", "after": 1}]), "risks[0].when[0].after:"),
    (with_when(0, "late"), "risks[0].when: input should be a valid list"),
    (with_when(1, [{"late": "audit"}, {"late": "audit"}]),
     "risks[1].when[1]: repeats when[0] (if audit is missed)"),
    (with_when(1, [{"risk": "r1"}, {"not_risk": "r1"}]),
     "risks[1].when[1]: contradicts when[0] (if r1 occurs), so 'r2' could never occur"),
    (with_when(1, [{"on_time": "audit", "by": 1}, {"late": "audit", "by": 1}]),
     "risks[1].when[1]: contradicts when[0] (if audit is missed by 1 weeks or less)"),
    (with_when(1, [{"late": "audit", "by": 1e300}]),
     "risks[1].when[0].by: input should be less than or equal to 10000 (got 1e+300)"),
    (with_when(1, [{"late": "audit", "by": True}]), "risks[1].when[0].by: expected a number, "
                                                     "got True"),
]


@pytest.mark.parametrize("data, message", CASES)
def test_a_bad_clause_is_one_sentence_naming_its_key(data, message):
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_conditions_that_go_round_are_named():
    data = copy.deepcopy(GOOD)
    # r2 waits on r1; r1 waits on the report target, which r2 ... does not delay (c is
    # after b), so make r2 delay b: r1 then waits on a finish r2 moves
    data["risks"][0]["when"] = [{"late": "report"}]
    data["risks"][0]["affects"] = ["c"]
    data["risks"][1]["when"] = [{"risk": "r1"}]
    data["risks"][1]["affects"] = ["b"]
    with pytest.raises(ScenarioError, match=r"^risks: risk conditions go round: "
                                            r"r1 -> r2 -> r1 \(") as err:
        Scenario.from_dict(data)
    assert "\n" not in str(err.value)


def test_a_bad_not_before_is_one_sentence():
    data = copy.deepcopy(GOOD)
    data["workstreams"][1]["not_before"] = "next week"
    with pytest.raises(ScenarioError, match=r"^workstreams\[1\]\.not_before: expected an ISO "
                                            r"date"):
        Scenario.from_dict(data)


def test_a_booked_start_outside_the_plan_is_one_sentence():
    data = copy.deepcopy(GOOD)
    data["workstreams"][1]["not_before"] = "2026-12-01"
    with pytest.raises(ScenarioError, match=r"^workstreams\[1\]\.not_before: 2026-12-01 is "
                                            r"before start_date 2027-01-04$"):
        Scenario.from_dict(data)
    data["workstreams"][1]["not_before"] = "2199-01-01"
    with pytest.raises(ScenarioError, match=r"^workstreams\[1\]\.not_before: 2199-01-01 is "
                                            r"after the last target date 2027-02-15$"):
        Scenario.from_dict(data)


def test_the_command_line_refuses_a_loop_with_exit_2(tmp_path, capsys):
    import yaml

    path = tmp_path / "loop.yaml"
    path.write_text(yaml.safe_dump(with_when(0, [{"late": "audit"}], affects=["a"])))
    assert main(["simulate", str(path), "--iterations", "100", "--json"]) == 2
    err = capsys.readouterr().err
    assert "'r1' depends on 'audit', which it delays" in err and "Traceback" not in err


def _shared_engineer(affects: str) -> dict:
    """One engineer for w (3 weeks, no float: placed first) and m (2 weeks), which then
    waits for w: a delay to w moves m's finish through the person, not a link; x follows m."""
    return {
        "name": "people", "start_date": "2027-01-04",
        "roles": [{"id": "eng", "weekly_rate": 1000, "capacity": 1}],
        "workstreams": [{"id": "w", "duration": 3, "staffing": {"eng": 1}},
                        {"id": "m", "duration": 2, "staffing": {"eng": 1}},
                        {"id": "x", "duration": 1, "depends_on": ["m"], "staffing": {"eng": 1}}],
        "targets": [{"id": "audit", "milestone": "end", "date": "2027-03-01"},
                    {"id": "report", "milestone": "m", "date": "2027-02-01"}],
        "risks": [{"id": "r1", "probability": 0.5, "affects": [affects], "delay": 1,
                   "when": [{"late": "report"}]}],
    }


def test_a_condition_on_a_finish_the_risk_moves_through_people_is_refused(tmp_path, capsys):
    from riskmodel import simulate

    data = _shared_engineer("w")
    with pytest.raises(ScenarioError) as info:
        simulate(Scenario.from_dict(data), iterations=100)
    assert str(info.value) == ("risks: risk 'r1' depends on a finish it delays, through the "
                               "people it holds up")
    # placed after the milestone, or with nobody waiting (no capacity), the risk is fine
    simulate(Scenario.from_dict(_shared_engineer("x")), iterations=100)
    del data["roles"][0]["capacity"]
    simulate(Scenario.from_dict(data), iterations=100)
    # the command line: one sentence, exit 2
    import yaml

    path = tmp_path / "people.yaml"
    path.write_text(yaml.safe_dump(_shared_engineer("w")))
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "depends on a finish it delays, through the people it holds up" in err
    assert "Traceback" not in err
