"""Dependency types and lags in a scenario: bad ones are one sentence naming the key; good
ones round-trip, in YAML and in a CSV table."""
import copy

import pytest

from riskmodel import Scenario, ScenarioError
from riskmodel.cli import main

GOOD = {
    "name": "links",
    "start_date": "2027-01-04",
    "audit_date": "2027-03-01",
    "workstreams": [{"id": "a", "duration": {"dist": "uniform", "min": 2, "max": 4}},
                    {"id": "b", "duration": 2, "depends_on": ["a"]}],
}


def with_dependency(dep):
    data = copy.deepcopy(GOOD)
    data["workstreams"][1]["depends_on"] = [dep]
    return data


CASES = [
    ({"id": "a", "type": "XX"},
     "workstreams[1].depends_on[0].type: input should be 'FS', 'SS', 'FF' or 'SF' "
     "(got 'XX')"),
    ({"id": "a", "type": "ss"}, "workstreams[1].depends_on[0].type: input should be 'FS'"),
    ({"id": "a", "lag": "two weeks"},
     "workstreams[1].depends_on[0].lag: input should be a valid number, unable to parse "
     "string as a number (got 'two weeks')"),
    ({"id": "a", "lag": [1]}, "workstreams[1].depends_on[0].lag: input should be a valid "
                              "number"),
    ({"id": "a", "lag": float("inf")}, "workstreams[1].depends_on[0].lag: "),
    ({"id": "a", "kind": "SS"}, "workstreams[1].depends_on[0].kind: unknown key 'kind'"),
]


@pytest.mark.parametrize("dep, message", CASES)
def test_a_bad_type_or_lag_is_one_sentence_naming_its_key(dep, message):
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(with_dependency(dep))
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_the_cli_says_it_in_one_line(tmp_path, capsys):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(with_dependency({"id": "a", "type": "XX", "lag": "x"})))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(str(path) in line for line in err)
    assert any(".depends_on[0].type: input should be 'FS'" in line for line in err)
    assert any(".depends_on[0].lag: input should be a valid number" in line for line in err)


def test_the_same_link_twice_is_an_error_but_ss_with_ff_is_a_pair():
    data = copy.deepcopy(GOOD)
    data["workstreams"][1]["depends_on"] = [{"id": "a", "type": "SS", "lag": 1},
                                            {"id": "a", "type": "FF", "lag": 1}]
    Scenario.from_dict(data)  # a ladder: fine
    data["workstreams"][1]["depends_on"].append({"id": "a", "type": "SS", "lag": 2})
    with pytest.raises(ScenarioError, match=r"depends_on\[2\]: 'a' is listed twice as SS"):
        Scenario.from_dict(data)


def test_types_and_leads_round_trip_and_plain_links_serialise_as_before():
    data = copy.deepcopy(GOOD)
    data["workstreams"].append({"id": "c", "duration": 1, "depends_on": [
        "a", {"id": "b", "lag": -0.5}, {"id": "a", "type": "SF", "lag": 2}]})
    s = Scenario.from_dict(data)
    deps = s.workstreams[2].depends_on
    assert [(d.id, d.type, d.lag) for d in deps] == [("a", "FS", 0.0), ("b", "FS", -0.5),
                                                     ("a", "SF", 2.0)]
    plain = s.to_dict()["workstreams"][2]["depends_on"]
    assert plain == [{"id": "a", "lag": 0.0}, {"id": "b", "lag": -0.5},
                     {"id": "a", "type": "SF", "lag": 2.0}]
    assert Scenario.from_dict(s.to_dict()).sha256 == s.sha256
    assert [d.describe() for d in deps] == ["a", "b (-0.5 wk)", "a (SF +2 wk)"]


def test_a_csv_table_gives_a_type_as_id_colon_type(tmp_path):
    (tmp_path / "ws.csv").write_text(
        "id,dist,min,max,value,depends_on\n"
        "a,uniform,2,4,,\n"
        "b,fixed,,,2,a:SS:1\n"
        "c,fixed,,,1,a:ff; b:-0.5\n")
    (tmp_path / "s.yaml").write_text(
        "name: csv\nstart_date: 2027-01-04\naudit_date: 2027-03-01\nworkstreams: ws.csv\n")
    from riskmodel import load_scenario

    s = load_scenario(tmp_path / "s.yaml")
    got = [[(d.id, d.type, d.lag) for d in w.depends_on] for w in s.workstreams]
    assert got == [[], [("a", "SS", 1.0)], [("a", "FF", 0.0), ("b", "FS", -0.5)]]


def test_the_health_check_names_each_lead():
    from riskmodel.health import check

    data = copy.deepcopy(GOOD)
    data["workstreams"].append({"id": "c", "duration": 1, "depends_on": [
        {"id": "a", "type": "SS", "lag": 1}, {"id": "b", "lag": -1},
        {"id": "a", "type": "FF", "lag": -2.5}]})
    leads = [f for f in check(Scenario.from_dict(data)) if f.code == "lead"]
    assert [f.where for f in leads] == ["workstreams[2].depends_on[1].lag",
                                       "workstreams[2].depends_on[2].lag"]
    assert leads[0].message.startswith("'c' may start 1 week before 'b' finishes (a lead)")
    assert leads[1].message.startswith("'c' may finish 2.5 weeks before 'a' finishes")
