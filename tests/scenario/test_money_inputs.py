"""Uncertain money in the scenario file: rates and overhead as distributions, and what
correlations may name. Each problem is one line naming the key path (as in
test_bad_input.py)."""
import copy

import pytest

from riskmodel import ScenarioError, load_scenario
from riskmodel.cli import main
from tests.scenario.test_bad_input import GOOD, write_case

RANGE = {"dist": "triangular", "min": 4200, "mode": 4800, "max": 6000}


def scenario(edits=()):
    """GOOD with an uncertain rate, a contractor role, an overhead, a fixed cost and a
    cost-only risk, then ``edits``: (key path, value) pairs (a top-level key set)."""
    data = copy.deepcopy(GOOD)
    data["roles"] = [{"id": "eng", "weekly_rate": RANGE},
                     {"id": "contractor", "weekly_rate": {"dist": "uniform", "min": 5000,
                                                          "max": 7000}},
                     {"id": "admin", "weekly_rate": 3000}]
    data["overhead"] = [{"id": "pmo", "weekly_cost": {"dist": "pert", "min": 500, "mode": 600,
                                                      "max": 900}},
                        {"id": "leads", "staffing": {"admin": 0.5}}]
    data["fixed_costs"] = [{"id": "pentest", "cost": {"dist": "uniform", "min": 10000,
                                                      "max": 20000}},
                           {"id": "licence", "cost": 5000}]
    data["risks"][0]["delay"] = {"dist": "uniform", "min": 1, "max": 2}
    data["risks"].append({"id": "audit_fee", "probability": 0.2,
                          "cost": {"dist": "uniform", "min": 1000, "max": 5000}})
    for path, value in edits:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return data


def correlations(*pairs):
    return [{"between": list(pair), "rho": 0.5} for pair in pairs]


def test_every_kind_of_input_may_be_correlated(tmp_path, capsys):
    data = scenario([(("correlations",), correlations(
        ("eng", "contractor"), ("eng", "fix"), ("rework", "gap"), ("pentest", "contractor"),
        ("pmo", "eng"), ("audit_fee", "pentest")))])
    code = main(["simulate", str(write_case(tmp_path, data)), "--iterations", "2000",
                 "--json"])
    assert code == 0, capsys.readouterr().err


def corr(*pairs):
    """An edit setting the correlations to these pairs."""
    return (("correlations",), correlations(*pairs))


CASES = [
    ("negative-rate-range",
     [(("roles", 0, "weekly_rate"), {"dist": "uniform", "min": -100, "max": 100})],
     "roles[0].weekly_rate: must not be negative (uniform(-100, 100) goes down to -100)"),
    ("bad-rate-range",
     [(("roles", 0, "weekly_rate"), {"dist": "triangular", "min": 5000, "mode": 4000,
                                     "max": 6000})],
     "roles[0].weekly_rate: min 5000 > mode 4000"),
    ("rate-not-a-number", [(("roles", 0, "weekly_rate"), "a lot")],
     "roles[0].weekly_rate: expected a number or a mapping"),
    ("negative-overhead-range",
     [(("overhead", 0, "weekly_cost"), {"dist": "uniform", "min": -5, "max": 100})],
     "overhead[0].weekly_cost: must not be negative (uniform(-5, 100) goes down to -5)"),
    ("unknown-correlated-id", [corr(("eng", "contractr"))],
     "correlations[0].between: unknown workstream, risk, role, fixed cost or overhead "
     "'contractr' (did you mean 'contractor'?)"),
    ("ambiguous-id", [(("roles", 1, "id"), "fix"), corr(("fix", "gap"))],
     "correlations[0].between: 'fix' is both a workstream and a role: give them different "
     "ids to correlate either"),
    ("fixed-rate", [corr(("admin", "eng"))],
     "correlations[0].between: 'admin' has a fixed weekly rate: nothing to correlate"),
    ("fixed-programme-cost", [corr(("licence", "eng"))],
     "correlations[0].between: 'licence' has a fixed cost: nothing to correlate"),
    ("fixed-risk-impact", [(("risks", 0, "delay"), 1), corr(("eng", "rework"))],
     "correlations[0].between: 'rework' has a fixed impact: nothing to correlate"),
    ("fixed-overhead", [(("overhead", 0, "weekly_cost"), 700), corr(("pmo", "eng"))],
     "correlations[0].between: 'pmo' has a fixed weekly cost: nothing to correlate"),
    ("staffed-overhead", [corr(("leads", "eng"))],
     "correlations[0].between: overhead 'leads' is priced by its staffing: correlate its "
     "roles' weekly rates instead"),
    ("self", [corr(("eng", "eng"))],
     "correlations[0].between: an input cannot be correlated with itself ('eng')"),
    ("same-pair-twice", [corr(("eng", "fix"), ("fix", "eng"))],
     "correlations[1].between: fix ~ eng is already given in correlations[0]"),
]


@pytest.mark.parametrize("case,edits,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_money_inputs_are_one_line_each(case, edits, expected, tmp_path, capsys):
    path = write_case(tmp_path, scenario(edits))
    code = main(["validate", str(path)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(f"{path}: {expected}"), lines
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.lines == lines


def test_a_role_and_a_workstream_may_share_an_id_until_a_correlation_names_it(tmp_path):
    data = scenario([(("roles", 1, "id"), "fix")])
    data["workstreams"][1]["staffing"] = {"fix": 1}
    load_scenario(write_case(tmp_path, data))  # staffing names roles, depends_on workstreams
