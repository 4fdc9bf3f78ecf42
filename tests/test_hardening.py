"""Hardening: batch files are data, paths stay inside, every bad input is one sentence.

``PROBES`` is the table of every probe of the hardening issue: the input and what must
happen. The tests below run each one (the batch probes stop before any notebook runs,
so they are quick; the real papermill runs are in tests/reporting/test_batch.py).
"""
import base64
import errno
import json
import os
import stat
import sys
import textwrap
import types
from pathlib import Path

import pytest
import yaml

from riskmodel import ScenarioError, load_scenario
from riskmodel.cli import main
from tests._shared.background import early, run_process
from tests.conftest import DEFAULT
from tests.scenario.test_bad_input import GOOD

# (probe, input, expected behaviour)
PROBES = [
    ("1 binary parameter", "title: !!binary <x\" + os.system(...) + \">", "exit 2, one line: "
     "must be plain data, got binary data; nothing runs"),
    ("1 set parameter", "overrides: !!set {a}", "exit 2: got a set"),
    ("1 date for an int parameter", "seed: 2027-01-01", "exit 2: expected a whole number"),
    ("1 date for a str parameter", "audit_date: 2027-03-15", "ISO text '2027-03-15'"),
    ("2 Markdown in a name", "name: [click](javascript:alert(1)) ![i](http://host/p.png)",
     "report heading renders as text: no <a href=\"javascript, no <img src=\"http"),
    ("3 formula in a label", "name: =HYPERLINK(...) / +1 / -1 / @x / tab / CR",
     "summary.csv cell starts with '; forecast.xlsx keeps write_string"),
    ("4 extends another file", "extends: /etc/passwd", "<file>: not a riskmodel scenario "
     "file, nothing of it quoted"),
    ("4 CSV table is another file", "risks: passwd.csv", "<csv>: row 1: not a riskmodel risks "
     "table"),
    ("4 batch scenario is another file", "scenario: /etc/passwd", "exit 2: is not a riskmodel "
     "scenario file"),
    ("4 unknown key that is not a name", "'root:x:0:0': 1 in a table item",
     "'an unknown key that is not a name', key path shows ?"),
    ("5 relative --output with --scheduler", "--output reports", "absolute batch folder"),
    ("5 _failed is a link", "_failed -> /elsewhere", "link replaced by a folder, nothing "
     "written through it"),
    ("6 --iterations 10**12", "--iterations 1000000000000", "exit 2: must be at most "
     "100,000,000"),
    ("6 71k workstreams", "71,000 workstreams", "exit 2: needs about N GiB ... fewer "
     "iterations, rank_risks off, fewer --jobs, a cluster"),
    ("6 big correlation list", "11,000 correlations", "validated in seconds (no quadratic "
     "step; libyaml events); over 500 correlated workstreams refused"),
    ("6 grid of 10,000", "100 dates x 100 options", "exit 2: expands to 10,000 scenarios; "
     "the limit is 200"),
    ("7 --resume after an input changed", "CSV/extends/parameter/notebook changed",
     "re-run; unchanged ones print '<id>: skipped (unchanged)'"),
    ("8 mathtext label", "name: Opt $\\foo$", "figures draw it as text; one failing output "
     "is recorded, the others are written"),
    ("9 full disk", "ENOSPC while writing forecast.xlsx", "nothing moved, message names "
     "the file, no .out-/.tmp- left; stale ones cleaned at the next start"),
    ("10 parent killed", "SIGKILL of riskmodel batch", "workers die (PR_SET_PDEATHSIG), "
     "kernels follow (parent poller), no move into place after the parent is gone"),
    ("10 Ctrl-C", "SIGINT", "riskmodel: interrupted, exit 130"),
    ("11 impossible date", "start_date: 2027-02-30 (unquoted)", "expected an ISO date"),
    ("11 500 nested brackets", "x: [[[[...]]]]", "invalid YAML: nested more than 40 levels"),
    ("11 extends symlink loop", "a.yaml extends link.yaml -> a.yaml", "extends itself in a "
     "loop"),
    ("11 duration 1e300", "duration: 1.0e+300", "simulated finish ... the limit is 10,000 "
     "weeks"),
    ("11 lognormal p90/p10 1e9", "{dist: lognormal, p10: 1, p90: 1e9}", "the limit is "
     "10,000 weeks"),
    ("11 400-digit number", "duration: 999...9", "a number longer than 40 digits"),
    ("11 5000-digit seed", "seed: 777...7", "a number longer than 40 digits"),
    ("11 as_of 9999-12-31", "as_of: 9999-12-31", "out of range: dates go from 1970 to 2199"),
    ("11 remaining 1e300", "remaining: 1.0e+300", "the limit is 10,000 weeks"),
    ("11 batch notebook /etc/passwd", "notebook: /etc/passwd", "is not a Jupyter notebook"),
    ("11 start_timeout abc", "start_timeout: abc", "expected a whole number of seconds"),
    ("11 grid name {nope}", "name: '{nope}'", "may hold only {audit_date} and {option}"),
    ("11 --scheduler notaurl", "--scheduler notaurl", "expected a scheduler address"),
    ("11 weekly_rate 1e308", "weekly_rate: 1.0e+308", "exit 2: 1e+308 is far too large; the "
     "limit is 1e+15 (refused by validate too); never Infinity in --json"),
    ("12 base-60 number", "duration: 1:30", "expected a number (not 90)"),
    ("12 duplicate CSV header", "id,id,duration", "column 'id' appears twice"),
    ("12 negative / NaN FTE", "change_staffing(..., {role: -1 | nan})", "ScenarioError"),
    ("12 fractional iterations", "simulate(iterations=1.5)", "ScenarioError"),
    ("12 p_meet(nan)", "result.p_meet(nan)", "ValueError"),
    ("12 compare a path", "compare({'a': 'path.yaml'})", "TypeError: load 'a' first"),
    ("12 one pass", "a bad value and a bad reference", "both reported at once "
     "(tests/scenario/test_bad_input.py)"),
    ("13 umask", "umask 022 / 027", "batch files 0644 / 0640, like the scenario folders"),
    # the people and consequences keys: each probe is a row of tests/test_hardening_people.py
    ("14 risks[].when", "text/list/null/true for when, a clause or an id; unknown risk or "
     "target; by: text/true/NaN/inf/-1/1e300/10,000 chars; a clause repeated (1,000 times), "
     "contradicting another, on itself, in a loop, on a target it delays",
     "exit 2 from validate, check and simulate --json: one line per problem naming "
     "risks[i].when[k] (by 1e300 was a traceback); SCENARIO_PROBES when-*"),
    ("14 workstreams[].not_before", "text, list, 10,000 chars, 9999-12-31, before start_date, "
     "after every target date", "exit 2, one line (before/after: new checks); not-before-*"),
    ("14 workstreams[].skills", "text, null, unknown role, a role twice (or 10,000 times), none "
     "of them staffed, a list of 10,000 chars", "exit 2, one line each; skills-*"),
    ("14 workstreams[].depends_on", "type XX/10,000 chars, lag true/NaN/1e300/-1e308/text, a "
     "link twice, an SS/SF cycle, 50 lags of 10,000 weeks", "exit 2, one line; lag 1e300 was a "
     "traceback in check; lags-that-add-up: the plan's finish is checked against 10,000 weeks"),
    ("14 roles[].weekly_rate, overhead[].weekly_cost", "text, true, NaN, a negative range, "
     "uniform up to 1e308, lognormal p90 1e300, dist of 10,000 chars", "exit 2 from validate "
     "too (the limit is 1e+15); a long distribution name is cut short"),
    ("14 roles[].capacity", "text, true, mapping, NaN, 1e308, -1, 0, [], out of order, one date "
     "twice, one period in 2199, none until 2150, fte true/NaN/-1/1e308, 1,001 periods",
     "exit 2, one line (was two: one per form the union tried); 1,000 periods a day apart and "
     "every day for a year with people waiting run 20,000 iterations within 20 s"),
    ("14 roles[].lead_time", "text, true, null, NaN, -1, 1e300", "exit 2, one line (1e300 and "
     "true were accepted)"),
    ("14 correlations", "unknown id, itself, twice, fixed inputs, a staffed overhead, an id two "
     "tables share, a target, rho true/NaN/2, three ids, strict and inconsistent",
     "exit 2, one line each (a risk with only a cost says 'a fixed cost')"),
    ("14 YAML", "alias bomb, duplicate key", "invalid YAML, one line"),
    ("14 staffing change", "arrives -3/NaN/1e300/text/true, onboarding 1e300, elasticity "
     "1e300, floor 2, hire 'yes', fte 1e308/-1/true/null, staffing []/{}/10,000 chars, unknown "
     "or missing argument, unknown workstream, a role that cannot do the work",
     "ScenarioError, one sentence naming changes[k].staffing.<argument> (API, notebook, "
     "cheapest_to_reach); check_changes finds the same before a scenario is at hand"),
]


# -- helpers ---------------------------------------------------------------------------
def _scenario(tmp_path: Path, text: str | None = None, name="s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text if text is not None else yaml.safe_dump(GOOD, sort_keys=False))
    return path


def _run(capsys, argv):
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err.strip().splitlines()


def _one_sentence(code, lines, path, expected):
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    assert str(path) in lines[0], lines
    assert expected in lines[0], lines


# -- scenario files through the real CLI ------------------------------------------------
GOOD_TEXT = yaml.safe_dump(GOOD, sort_keys=False)
SCENARIO_PROBES = [
    ("impossible-start-date", GOOD_TEXT.replace("'2027-01-04'", "2027-02-30"),
     "start_date: expected an ISO date like 2027-03-01, got '2027-02-30'"),
    ("nested-brackets", GOOD_TEXT + "x: " + "[" * 500 + "]" * 500 + "\n",
     "nested more than 40 levels deep"),
    ("duration-1e300", GOOD_TEXT.replace("duration: 2\n", "duration: 1.0e+300\n"),
     "the limit is 10,000 weeks"),
    ("lognormal-1e9", GOOD_TEXT.replace(
        "duration: 2\n", "duration: {dist: lognormal, p10: 1, p90: 1.0e+9}\n"),
     "the limit is 10,000 weeks"),
    ("400-digits", GOOD_TEXT.replace("duration: 2\n", "duration: " + "9" * 400 + "\n"),
     "a number longer than 40 digits"),
    ("5000-digit-seed", GOOD_TEXT + "simulation: {seed: " + "7" * 5000 + "}\n",
     "a number longer than 40 digits"),
    ("audit-9999", GOOD_TEXT.replace("'2027-03-29'", "9999-12-31"),
     "audit_date: 9999-12-31 is out of range"),
    ("weekly-rate-1e308", GOOD_TEXT.replace("weekly_rate: 5000", "weekly_rate: 1.0e+308"),
     "roles[0].weekly_rate: 1e+308 is far too large; the limit is 1e+15"),
    ("sexagesimal", GOOD_TEXT.replace("duration: 2\n", "duration: 1:30\n"),
     "workstreams[2].duration: expected a number"),
    ("extends-passwd", "extends: /etc/passwd\nname: x\n", "not a riskmodel scenario file"),
    ("key-not-a-name", GOOD_TEXT.replace("- id: gap\n", "- id: gap\n  'root:x:0:0:/bin/sh': 1\n"),
     "workstreams[0].?: an unknown key that is not a name"),
]


@pytest.mark.parametrize("case,text,expected", SCENARIO_PROBES, ids=[c[0] for c in SCENARIO_PROBES])
def test_scenario_probe_is_one_sentence(case, text, expected, tmp_path, capsys):
    path = _scenario(tmp_path, text)
    out = tmp_path / "out.json"
    code, stdout, lines = _run(capsys, ["simulate", str(path), "--iterations", "300", "--json",
                                        "--output", str(out)])
    assert stdout == "" and "Infinity" not in stdout
    assert not out.exists()
    assert code == 2 and len(lines) == 1 and "Traceback" not in lines[0], lines
    assert expected in lines[0], lines
    assert "root:x" not in lines[0] and "/bin/sh" not in lines[0]
    if case == "extends-passwd":
        assert lines[0].startswith("/etc/passwd: ")
    else:
        assert lines[0].startswith(str(path)), lines


def test_extends_symlink_loop(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("extends: link.yaml\nname: a\n")
    (tmp_path / "link.yaml").symlink_to("a.yaml")
    code, _, lines = _run(capsys, ["validate", str(tmp_path / "link.yaml")])
    assert code == 2 and len(lines) == 1 and "extends itself in a loop" in lines[0]


def test_csv_table_that_is_another_file_is_refused_quoting_nothing(tmp_path, capsys):
    (tmp_path / "p.csv").write_text("root:x:0:0:root:/root:/bin/bash\nsecret:x:1:1::/:/bin/sh\n")
    path = _scenario(tmp_path, GOOD_TEXT.replace("risks:\n", "risks: p.csv\nold_risks:\n"))
    path.write_text("\n".join(line for line in path.read_text().splitlines()
                              if not line.startswith(("old_risks", "- id: rework", "  probability",
                                                      "  affects", "  - fix", "  delay"))))
    code, _, lines = _run(capsys, ["validate", str(path)])
    assert code == 2 and len(lines) == 1, lines
    assert lines[0] == f"{tmp_path / 'p.csv'}: row 1: not a riskmodel risks table (its header " \
                       "is not made of column names)"


def test_duplicate_csv_header_is_refused(tmp_path, capsys):
    (tmp_path / "ws.csv").write_text("id,duration,id\ngap,2,x\n")
    data = dict(GOOD, workstreams="ws.csv", risks=[])
    path = _scenario(tmp_path, yaml.safe_dump(data))
    code, _, lines = _run(capsys, ["validate", str(path)])
    assert code == 2 and lines == [f"{tmp_path / 'ws.csv'}: row 1: column 'id' appears twice"]


def test_status_dates_are_one_sentence(tmp_path, capsys):
    path = _scenario(tmp_path)
    for i, text in enumerate(["as_of: 2027-02-30\n", "as_of: 9999-12-31\n",
                              "as_of: 2027-01-20\nworkstreams:\n  fix: {actual_start: "
                              "2027-01-10, remaining: 1.0e+300}\n"]):
        status = tmp_path / f"st{i}.yaml"
        status.write_text(text)
        code, out, lines = _run(capsys, ["reforecast", str(path), str(status),
                                         "--iterations", "200", "--json"])
        assert code == 2 and len(lines) == 1 and "Traceback" not in lines[0], lines
        assert out == ""


def test_iterations_cap_and_scheduler_address(tmp_path, capsys):
    path = _scenario(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["simulate", str(path), "--iterations", str(10**12)])
    assert info.value.code == 2
    assert "must be at most 100,000,000" in capsys.readouterr().err
    code, _, lines = _run(capsys, ["simulate", str(path), "--scheduler", "notaurl"])
    assert code == 2 and lines == ["--scheduler: expected a scheduler address like "
                                   "tcp://host:8786"]


def test_memory_is_estimated_before_running():
    from riskmodel.simulate import check_memory

    spec = types.SimpleNamespace(workstreams=range(71_000), milestones=(), risks=(),
                                 rank_risks=False)
    with pytest.raises(ScenarioError) as info:
        check_memory(spec, 100_000, source="big.yaml")
    line, = info.value.lines
    assert line.startswith("big.yaml: this run needs about ") and "GiB" in line
    assert "fewer iterations" in line and "rank_risks=False" in line and "--scheduler" in line
    risks = [types.SimpleNamespace(probability=0.3)] * 8
    check_memory(types.SimpleNamespace(workstreams=range(9), milestones=(1,), risks=risks,
                                       rank_risks=True), 100_000)


def test_the_memory_estimate_of_a_ranked_run_holds_what_the_run_keeps():
    """Per iteration, the estimate covers what a risk-ranked run keeps (finish, cost,
    milestones, the run without any risk, and each risk's results where it fired) and
    is within twice it: each risk is counted at its probability, not as a whole vector
    (which had put a 10M run of 20 risks at 3 times what it holds)."""
    from riskmodel import Scenario, simulate
    from riskmodel.sim.engine import BLOCK
    from riskmodel.simulate import build_spec, memory_needed

    chain = [{"id": f"w{i}", "duration": {"dist": "pert", "min": 1, "mode": 2, "max": 4},
              "depends_on": [f"w{i - 1}"] if i else []} for i in range(6)]
    risks = [{"id": f"r{j}", "probability": p, "affects": [f"w{j}"], "cost": 100,
              "delay": {"dist": "uniform", "min": 0.5, "max": 1}}
             for j, p in enumerate((0.6, 0.3, 0.1, 0.02))]
    scenario = Scenario.from_dict({
        "name": "m", "start_date": "2027-01-04", "audit_date": "2027-03-29",
        "workstreams": chain, "risks": risks, "simulation": {"seed": 1},
        "targets": [{"id": "half", "milestone": "w2", "date": "2027-02-01"}]})
    n = 4 * BLOCK
    result = simulate(scenario, iterations=n)
    w = result.without_risk
    held = sum(a.nbytes for a in (result.finish, result.cost, *result.milestone_finish.values(),
                                  *result.no_risks.values()))
    held += sum(k.nbytes for kept in (w.cols.kept, w.moved.kept) for k in kept)
    held += sum(v.nbytes for name in w.NAMES for v in w.values[name])
    spec = build_spec(scenario, None)
    spec.rank_risks = True
    far = 200 * BLOCK  # past the blocks that keep detail: what each iteration adds
    estimate = (memory_needed(spec, 2 * far) - memory_needed(spec, far)) / far
    assert held / n <= estimate <= 2 * held / n


def test_large_correlation_list_validates_quickly(tmp_path):
    import random
    import time

    random.seed(1)
    lines = ["name: big", "start_date: 2027-01-04", "audit_date: 2027-12-27", "workstreams:"]
    lines += [f"  - {{id: w{i}, duration: {{dist: uniform, min: 1, max: 2}}}}"
              for i in range(400)]
    lines.append("correlations:")
    pairs = set()
    while len(pairs) < 11_000:
        a, b = sorted(random.sample(range(400), 2))
        pairs.add((a, b))
    lines += [f"  - {{between: [w{a}, w{b}], rho: 0.01}}" for a, b in sorted(pairs)]
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 400_000
    t0 = time.perf_counter()
    load_scenario(path)
    assert time.perf_counter() - t0 < 20  # was minutes


def test_python_api_misuse_is_a_sentence():
    import math

    import riskmodel as rm
    from riskmodel.scenario.changes import change_staffing

    s = rm.load_scenario(DEFAULT)
    for fte in (-1, math.nan):
        with pytest.raises(ScenarioError, match="expected a number of FTE"):
            change_staffing(s, "sf_permissions", {"sf_developer_contract": fte})
    with pytest.raises(ScenarioError, match="whole number"):
        rm.simulate(s, iterations=1.5)
    with pytest.raises(ValueError):
        rm.simulate(s, iterations=200).p_meet(math.nan)
    with pytest.raises(TypeError, match="load 'a' first"):
        rm.compare({"a": str(DEFAULT)}, iterations=100)


# -- batch files: checked before anything runs ---------------------------------------------
def _batch(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "batch.yaml"
    path.write_text(textwrap.dedent(text).replace("DEFAULT", str(DEFAULT)))
    return path


PAYLOAD = base64.b64encode(b'x" + str(__import__("os").system("touch PWNED")) + "').decode()
BATCH_PROBES = [
    ("binary-parameter", f"""
        name: b
        scenarios:
          - {{name: A, scenario: DEFAULT, title: !!binary {PAYLOAD}}}
        """, "scenarios[0].title: a notebook parameter must be plain data (text, numbers, "
             "true/false, lists, mappings), got binary data (!!binary)"),
    ("binary-nested", f"""
        name: b
        scenarios:
          - {{name: A, scenario: DEFAULT, overrides: {{name: !!binary {PAYLOAD}}}}}
        """, "scenarios[0].overrides.name: a notebook parameter must be plain data"),
    ("set-parameter", """
        name: b
        scenarios:
          - {name: A, scenario: DEFAULT, changes: !!set {a: null}}
        """, "got a set (!!set)"),
    ("date-for-int", """
        name: b
        seed: 2027-01-01
        scenarios: [{name: A, scenario: DEFAULT}]
        """, "seed: a notebook parameter must be plain data"),
    ("binary-name", f"""
        name: b
        scenarios:
          - {{name: !!binary {PAYLOAD}, scenario: DEFAULT}}
        """, "scenarios[0].name: a name must be text, got binary data"),
    ("notebook-passwd", """
        name: b
        notebook: /etc/passwd
        scenarios: [{name: A, scenario: DEFAULT}]
        """, "notebook: /etc/passwd is not a Jupyter notebook"),
    ("scenario-passwd", """
        name: b
        scenarios: [{name: A, scenario: /etc/passwd}]
        """, "scenarios[0].scenario: /etc/passwd is not a riskmodel scenario file"),
    ("start-timeout", """
        name: b
        start_timeout: abc
        scenarios: [{name: A, scenario: DEFAULT}]
        """, "start_timeout: expected a whole number of seconds from 1 to 3,600"),
    ("grid-name", """
        name: b
        grids: [{name: "{nope}", scenario: DEFAULT, audit_date: [2027-03-01]}]
        """, "grids[0].name: a grid name may hold only {audit_date} and {option}"),
    ("grid-attribute", """
        name: b
        grids: [{name: "{option.__class__}", scenario: DEFAULT, options: {a: {}}}]
        """, "a grid name may hold only"),
    ("grid-10000", "name: b\ngrids:\n  - scenario: DEFAULT\n    audit_date: ["
     + ", ".join(f"2027-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(100))
     + "]\n    options: {" + ", ".join(f"o{i}: {{}}" for i in range(100)) + "}\n",
     "grids: the batch expands to 10,000 scenarios; the limit is 200"),
    ("iterations-cap", """
        name: b
        iterations: 1000000000000
        scenarios: [{name: A, scenario: DEFAULT}]
        """, "iterations: must be from 1 to 100,000,000"),
    ("not-a-batch", "root:x:0:0:root:/root:/bin/bash\n", "not a riskmodel batch file"),
]


@pytest.mark.parametrize("case,text,expected", BATCH_PROBES, ids=[c[0] for c in BATCH_PROBES])
def test_batch_probe_is_one_sentence_and_writes_nothing(case, text, expected, tmp_path, capsys,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _batch(tmp_path, text)
    code, out, lines = _run(capsys, ["batch", str(path), "--output", str(tmp_path / "out"),
                                     "--quiet"])
    _one_sentence(code, lines, path, expected)
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.yaml"]  # no out/, no PWNED
    assert "root:x" not in lines[0]


def test_dates_become_iso_text_only_where_the_notebook_takes_text(tmp_path):
    from riskmodel.reporting.batch import load_batch

    path = _batch(tmp_path, """
        name: b
        scenarios:
          - {name: A, scenario: DEFAULT, audit_date: 2027-03-15,
             overrides: {targets: [{id: t, milestone: end, date: 2027-07-15}]}}
        """)
    item, = load_batch(path).items
    assert item.parameters["audit_date"] == "2027-03-15"
    assert item.parameters["overrides"]["targets"][0]["date"] == "2027-07-15"
    assert json.loads(json.dumps(item.parameters)) == item.parameters


# -- generated pages and files ----------------------------------------------------------------
def test_names_in_the_report_heading_render_as_text():
    """The real path: ScenarioReport.heading() -> nbconvert's Markdown renderer."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from riskmodel.reporting.report import ScenarioReport

    name = ("[click](javascript:alert(document.domain)) ![i](http://host/p.png) "
            "<http://a.b> http://c.d <script>x</script> Opt $\\foo$")
    report = ScenarioReport.__new__(ScenarioReport)
    report.scenario = types.SimpleNamespace(name=name)
    report.headline = lambda: "P(audit-ready by 1 Mar 2027) = 46%"
    html = markdown2html_mistune(report.heading())
    assert '<a href="javascript' not in html and '<img src="http' not in html
    assert '<a href="http' not in html and "<script>" not in html
    assert "[click](javascript:alert(document.domain))" in html  # shown as written
    assert "P(audit-ready by 1 Mar 2027) = 46%" in html


def test_figures_draw_user_text_as_plain_text(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from riskmodel.plots import probability_curves

    dates = np.array(["2027-01-01", "2027-02-01"], dtype="datetime64[s]")
    ax = probability_curves([("Opt $\\foo$", dates, [0.2, 1.0], "2027-01-15", 0.5)],
                            title="A $\\bar$ title")
    ax.figure.savefig(tmp_path / "x.png")  # a mathtext label would raise here
    # what is drawn is the text as written: escaped once, shown without mathematics
    shown = [t._preprocess_math(t.get_text())[0] for t in ax.figure.findobj(
        matplotlib.text.Text) if t.get_text()]
    assert any(s.startswith("Opt $\\foo$") for s in shown), shown
    assert "A $\\bar$ title" in shown, shown
    plt.close(ax.figure)


def _fake_batch(tmp_path: Path, labels: list[str]):
    from riskmodel.reporting.batch import BatchItem

    items = [BatchItem(f"s{i}", label, {}) for i, label in enumerate(labels)]
    batch = types.SimpleNamespace(title="T", items=items, name="b", path=tmp_path / "b.yaml",
                                  notebook=DEFAULT, sha256="0" * 64, settings={})
    record = {"schema": "riskmodel.batch/1", "batch": "b", "title": "T", "file": "b.yaml",
              "file_sha256": "0" * 64, "notebook": "n.ipynb", "notebook_sha256": "0" * 64,
              "started": "2027-01-01T00:00:00+00:00",
              "finished": "2027-01-01T00:00:00+00:00", "failed":
              len(items), "settings": {},
              "scenarios": {i.id: {"label": i.label, "parameters": {}, "status": "failed",
                                   "error": "=1+2 went wrong"} for i in items}}
    folder = tmp_path / "out"
    folder.mkdir()
    return folder, batch, record


def test_summary_csv_neutralises_formulas(tmp_path):
    import csv

    from riskmodel.reporting.outputs import csv_safe, write_batch_outputs

    assert csv_safe("\rx") == "'\rx" and csv_safe(3.5) == 3.5 and csv_safe("a=b") == "a=b"
    labels = ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "\tx", "plain"]
    folder, batch, record = _fake_batch(tmp_path, labels)
    errors = write_batch_outputs(folder, batch, {}, record)
    assert errors == {}
    rows = list(csv.DictReader((folder / "summary.csv").open(newline="")))
    assert [r["label"] for r in rows] == ["'" + x for x in labels[:-1]] + ["plain"]
    assert all(r["error"] == "'=1+2 went wrong" for r in rows)
    import openpyxl

    ws = openpyxl.load_workbook(folder / "forecast.xlsx")["Summary"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == labels[0]]
    assert cells and all(c.data_type == "s" for c in cells)  # text, not a formula


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_batch_outputs_follow_the_umask(tmp_path, mask):
    from riskmodel.reporting.outputs import write_batch_outputs

    folder, batch, record = _fake_batch(tmp_path, ["A"])
    old = os.umask(mask)
    try:
        write_batch_outputs(folder, batch, {}, record)
    finally:
        os.umask(old)
    for name in ("summary.csv", "comparison.html", "forecast.xlsx", "deck.pptx", "batch.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o666 & ~mask, name


def test_one_failing_output_does_not_stop_the_others(tmp_path, monkeypatch):
    from riskmodel.reporting import deck, outputs

    folder, batch, record = _fake_batch(tmp_path, ["A"])

    def broken(*args, **kwargs):
        raise ValueError("Opt $\\foo$: unknown symbol")

    monkeypatch.setattr(deck, "write_deck", broken)
    errors = outputs.write_batch_outputs(folder, batch, {}, record)
    assert list(errors) == ["deck.pptx"]
    assert not (folder / "deck.pptx").exists()
    for name in ("summary.csv", "comparison.html", "forecast.xlsx", "batch.json"):
        assert (folder / name).is_file()
    assert json.loads((folder / "batch.json").read_text())["output_errors"] == errors


def test_full_disk_moves_nothing_and_names_the_file(tmp_path, monkeypatch):
    from riskmodel.reporting import outputs, workbook

    folder, batch, record = _fake_batch(tmp_path, ["A"])
    outputs.write_batch_outputs(folder, batch, {}, record)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def full(path, *args, **kwargs):
        Path(path).write_bytes(b"")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workbook, "write_workbook", full)
    record["title"] = "changed"
    with pytest.raises(OSError) as info:
        outputs.write_batch_outputs(folder, batch, {}, record)
    assert info.value.filename == str(folder / "forecast.xlsx")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # the old set, whole


def test_stale_temporaries_and_links_are_cleaned(tmp_path):
    from riskmodel.reporting.batch import _clean_stale, _own_folder

    folder = tmp_path / "b"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / ".tmp-a-123").mkdir()
    (folder / ".old-a-123").mkdir()
    (folder / ".out-xyz").mkdir()
    (folder / ".summary.csv.abc.tmp").write_text("")
    (folder / ".tmp-link-1").symlink_to(outside)
    _clean_stale(folder)
    assert list(folder.iterdir()) == [] and outside.is_dir()
    (folder / "_failed").symlink_to(outside)
    failed = _own_folder(folder / "_failed")
    assert failed.is_dir() and not failed.is_symlink() and list(outside.iterdir()) == []


def test_resume_compares_the_inputs(tmp_path):
    from riskmodel.reporting.batch import INPUTS, _unchanged, inputs_hash, load_batch

    (tmp_path / "ws.csv").write_text("id,dist,min,mode,max\ngap,pert,1,2,3\n")
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(
        {"name": "b", "start_date": "2027-01-04", "audit_date": "2027-03-29",
         "workstreams": "ws.csv"}))
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nname: c\n")
    path = _batch(tmp_path, """
        name: b
        scenarios: [{name: A, scenario: child.yaml}]
        """)
    batch = load_batch(path)
    item, = batch.items
    digest = inputs_hash(item, batch)
    folder = tmp_path / "a"
    folder.mkdir()
    for name in ("summary.json", "report.html", "report.ipynb"):
        (folder / name).write_text("{}")
    (folder / INPUTS).write_text(json.dumps({"sha256": digest}))
    assert _unchanged(folder, inputs_hash(item, batch))
    (tmp_path / "ws.csv").write_text("id,dist,min,mode,max\ngap,pert,1,2,4\n")  # a CSV changed
    assert not _unchanged(folder, inputs_hash(item, batch))
    item.parameters["iterations"] = 5  # a parameter changed
    assert inputs_hash(item, batch) != digest


@early
def orphaned_worker(ctx):
    """A batch worker whose parent goes away without waiting (``_worker_init`` asks Linux
    to kill a worker when the batch process dies), watched in the background for up to
    5 s. Returns whether it died."""
    import time

    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux only")
    code = textwrap.dedent("""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", (
            "import os, time; from riskmodel.reporting.batch import _worker_init; "
            "_worker_init(os.getppid()); print(os.getpid(), flush=True); time.sleep(60)")],
            stdout=subprocess.PIPE, text=True)
        print(child.stdout.readline().strip(), flush=True)
        os._exit(0)  # the parent goes away without waiting
        """)
    proc = run_process([sys.executable, "-c", code], timeout=60,
                       cwd=str(Path(__file__).resolve().parent.parent))
    pid = int(proc.stdout.strip())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    os.kill(pid, 9)
    return False


def test_workers_die_with_the_parent(orphaned_worker):
    """The pool initializer asks Linux to kill a worker when the batch process dies."""
    if not orphaned_worker:
        pytest.fail("the worker outlived its parent")
