"""Bad scenarios: exit code 2, one clear line per problem, no traceback, no output file."""
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from riskmodel import ScenarioError, load_scenario
from riskmodel.cli import main

GOOD = {
    "name": "bad input tests",
    "start_date": "2027-01-04",
    "audit_date": "2027-03-29",
    "roles": [{"id": "eng", "weekly_rate": 5000}],
    "workstreams": [
        {"id": "gap", "duration": {"dist": "pert", "min": 1, "mode": 2, "max": 3},
         "staffing": {"eng": 1}},
        {"id": "fix", "duration": {"dist": "triangular", "min": 2, "mode": 3, "max": 5},
         "depends_on": ["gap"]},
        {"id": "test", "duration": 2, "depends_on": ["fix"]},
    ],
    "risks": [{"id": "rework", "probability": 0.3, "affects": ["fix"], "delay": 1}],
}


def edit(path, value):
    """GOOD with the key at ``path`` (a tuple) set to ``value`` (or deleted if None)."""
    data = copy.deepcopy(GOOD)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


# (case id, scenario data or raw YAML text, text each error line must contain)
CASES = [
    ("cycle", edit(("workstreams", 0, "depends_on"), ["test"]),
     "workstreams: dependency cycle: gap -> fix -> test -> gap"),
    ("self-dependency", edit(("workstreams", 0, "depends_on"), ["gap"]), "cannot depend on itself"),
    ("unknown-dependency", edit(("workstreams", 1, "depends_on"), ["gap_analysis"]),
     "workstreams[1].depends_on[0]: unknown workstream 'gap_analysis' (did you mean 'gap'?)"),
    ("unknown-role", edit(("workstreams", 0, "staffing"), {"engg": 1}),
     "workstreams[0].staffing.engg: unknown role 'engg' (did you mean 'eng'?)"),
    ("unknown-risk-target", edit(("risks", 0, "affects"), ["fixx"]),
     "risks[0].affects[0]: unknown workstream 'fixx' (did you mean 'fix'?)"),
    ("duplicate-id", edit(("workstreams", 2, "id"), "gap"),
     "workstreams[2].id: duplicate id 'gap' (also used by workstreams[0])"),
    ("inverted-range", edit(("workstreams", 1, "duration"),
                            {"dist": "triangular", "min": 5, "mode": 4, "max": 6}),
     "workstreams[1].duration: min 5 > mode 4"),
    ("negative-duration", edit(("workstreams", 2, "duration"), -2),
     "workstreams[2].duration: must not be negative"),
    ("negative-rate", edit(("roles", 0, "weekly_rate"), -10),
     "roles[0].weekly_rate: must not be negative, got -10"),
    ("nan-value", "NAN", "workstreams[2].duration"),
    ("probability-above-1", edit(("risks", 0, "probability"), 1.5),
     "risks[0].probability: input should be less than or equal to 1"),
    ("missing-workstreams", edit(("workstreams",), None), "workstreams: missing required key"),
    ("missing-start-date", edit(("start_date",), None), "start_date: missing required key"),
    ("missing-duration", edit(("workstreams", 0, "duration"), None),
     "workstreams[0].duration: missing required key"),
    ("wrong-type", edit(("workstreams", 1, "duration"), "three weeks"),
     "workstreams[1].duration: expected a number or a mapping"),
    ("wrong-type-list", edit(("workstreams", 1, "depends_on"), "gap"),
     "workstreams[1].depends_on: input should be a valid list"),
    ("bad-date", edit(("audit_date",), "2027-02-30"),
     "audit_date: expected an ISO date like 2027-03-01, got '2027-02-30'"),
    ("audit-before-start", edit(("audit_date",), "2026-12-01"), "is not after start_date"),
    ("unknown-key", edit(("workstreams", 0, "durration"), 3),
     "workstreams[0].durration: unknown key 'durration' (did you mean 'duration'?)"),
    ("unknown-distribution", edit(("workstreams", 0, "duration"), {"dist": "beta", "min": 1}),
     "workstreams[0].duration: unknown distribution 'beta'"),
    ("empty-workstreams", edit(("workstreams",), []),
     "workstreams: list should have at least 1 item"),
    ("non-psd-correlation-strict",
     {**GOOD, "simulation": {"strict": True},
      "workstreams": GOOD["workstreams"] + [
          {"id": "x", "duration": {"dist": "uniform", "min": 1, "max": 2}}],
      "correlations": [{"between": ["gap", "fix"], "rho": 0.9},
                       {"between": ["fix", "x"], "rho": 0.9},
                       {"between": ["gap", "x"], "rho": -0.9}]},
     "correlations: the correlations are inconsistent"),
    ("correlation-out-of-range", {**GOOD, "correlations": [{"between": ["gap", "fix"],
                                                            "rho": 1.5}]},
     "correlations[0].rho: input should be less than or equal to 1"),
    ("risk-without-targets", edit(("risks", 0, "affects"), []), "must name the workstreams"),
    ("bad-id", edit(("workstreams", 2, "id"), "QA & test"), "is not a valid id"),
    ("unknown-target-milestone", {**GOOD, "targets": [{"id": "t", "milestone": "qa",
                                                       "date": "2027-04-01"}]},
     "targets[0].milestone: unknown milestone 'qa'"),
    ("bad-band", {**GOOD, "cost_band": {"low": 400000, "high": 150000}},
     "cost_band: low 400000 must be below high 150000"),
    ("not-a-mapping", "- just\n- a list\n", "not a riskmodel scenario file"),
    ("malformed-yaml", "name: x\nworkstreams: [a, b\n", "invalid YAML"),
    ("duplicate-yaml-key", "name: a\nname: b\n", "duplicate key 'name'"),
    ("yaml-alias", "a: &x [1]\nb: *x\n", "anchors and aliases"),
    ("huge-file", "HUGE", "the limit is 2,000,000"),
    ("iterations-zero", {**GOOD, "simulation": {"iterations": 0}},
     "simulation.iterations: input should be greater than or equal to 1"),
    ("lognormal-params", edit(("workstreams", 0, "duration"), {"dist": "lognormal", "p10": 2}),
     "needs either p10 and p90"),
]


def write_case(tmp_path: Path, data) -> Path:
    path = tmp_path / "scenario.yaml"
    if data == "NAN":
        text = yaml.safe_dump(GOOD).replace("duration: 2", "duration: .nan")
        assert ".nan" in text
        path.write_text(text)
    elif data == "HUGE":
        path.write_text("name: x\n" + "# padding\n" * 250_000)
    elif isinstance(data, str):
        path.write_text(data)
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_good_scenario_is_good(tmp_path):
    load_scenario(write_case(tmp_path, GOOD))


@pytest.mark.parametrize("case,data,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line_per_problem(case, data, expected, tmp_path, capsys):
    path = write_case(tmp_path, data)
    out = tmp_path / "summary.json"
    code = main(["simulate", str(path), "--iterations", "100", "--output", str(out)])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert captured.out == ""
    assert not out.exists() and list(tmp_path.iterdir()) == [path]
    assert any(expected in line for line in lines), lines
    for line in lines:
        assert line.startswith(str(path) + ":"), line
        assert "Traceback" not in line and "pydantic" not in line and "For further" not in line
    # the Python API raises ScenarioError with the same lines
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.lines == lines


def test_several_problems_are_all_listed(tmp_path, capsys):
    data = edit(("risks", 0, "probability"), 2)
    data["workstreams"][1]["duration"] = {"dist": "pert", "min": 3, "mode": 2, "max": 4}
    path = write_case(tmp_path, data)
    code = main(["validate", str(path)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert lines == [
        f"{path}: workstreams[1].duration: min 3 > mode 2",
        f"{path}: risks[0].probability: input should be less than or equal to 1 (got 2)",
    ]


def test_field_and_cross_key_problems_come_in_one_pass(tmp_path, capsys):
    """A bad value and a bad reference are both reported the first time, not one after
    the other; a reference to an item that is itself invalid is not called unknown."""
    data = edit(("workstreams", 0, "duration"), {"dist": "pert", "min": 3, "mode": 2,
                                                 "max": 4})
    data["workstreams"][2]["depends_on"] = ["fix", "qa"]
    data["risks"][0]["affects"] = ["gap", "fixx"]
    code = main(["validate", str(write_case(tmp_path, data))])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 3, lines
    assert any("workstreams[0].duration: min 3 > mode 2" in x for x in lines)
    assert any("workstreams[2].depends_on[1]: unknown workstream 'qa'" in x for x in lines)
    assert any("risks[0].affects[1]: unknown workstream 'fixx'" in x for x in lines)


def test_non_psd_correlation_is_repaired_with_a_warning_naming_the_pairs(tmp_path, capsys):
    data = dict(CASES[[c[0] for c in CASES].index("non-psd-correlation-strict")][1])
    data["simulation"] = {"strict": False}
    code = main(["simulate", str(write_case(tmp_path, data)), "--iterations", "500", "--json"])
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: the correlations are inconsistent" in err
    assert "gap ~ x -0.90 ->" in err


def test_missing_file_and_bad_options(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["simulate", "x.yaml", "--iterations", "-5"])
    assert info.value.code == 2


def test_command_line_end_to_end(tmp_path):
    """The installed command: no traceback on bad input, JSON on good input."""
    bad = write_case(tmp_path, edit(("workstreams", 0, "depends_on"), ["test"]))
    proc = subprocess.run([sys.executable, "-m", "riskmodel.cli", "simulate", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith("dependency cycle: gap -> fix -> test -> gap")
    good = write_case(tmp_path, GOOD)
    proc = subprocess.run([sys.executable, "-m", "riskmodel.cli", "simulate", str(good),
                           "--json", "--iterations", "1000", "--seed", "3"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["seed"] == 3


def test_an_output_that_cannot_be_written_is_a_sentence(tmp_path, capsys):
    path = write_case(tmp_path, GOOD)
    # a file where a folder should be: cannot be written, even by root
    target = path / "summary.json"
    code = main(["simulate", str(path), "--iterations", "100", "--output", str(target)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert "--output" in err and str(path) in err
    # and a folder without write permission (skipped as root, who may write anywhere)
    import os

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if not os.access(locked, os.W_OK):
        code = main(["simulate", str(path), "--iterations", "100", "--output",
                     str(locked / "summary.json")])
        err = capsys.readouterr().err.strip()
        assert code == 2 and err.startswith("riskmodel:") and "Permission denied" in err
    os.chmod(locked, 0o700)
