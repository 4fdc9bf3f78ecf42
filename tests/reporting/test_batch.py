"""Real papermill runs with a real kernel, then every output opened again."""
import json
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import riskmodel as rm
from riskmodel.cli import main
from riskmodel.reporting.batch import load_batch, run_batch
from tests._shared.background import early, run_process
from tests.conftest import DEFAULT, ROOT, WARNINGS_AS_IN_TESTS

pytestmark = pytest.mark.slow
ITER = 3000


def write_batch(folder: Path, scenarios: list[dict], name="test-batch") -> Path:
    import yaml

    path = folder / "batch.yaml"
    path.write_text(yaml.safe_dump({"name": name, "iterations": ITER, "seed": 11,
                                    "scenarios": scenarios}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def good_batch(executed_batch):
    """The session's real batch (tests/conftest.py), run by the installed wheel's command
    line: Baseline and "Contractor and evidence dry run" of the default scenario and "Type II
    report in hand", ITER iterations, seed 11, on a Dask cluster."""
    return executed_batch


def test_every_scenario_ran_and_the_folders_are_complete(good_batch):
    record, folder = good_batch
    assert record["failed"] == 0
    for ident in ("baseline", "contractor-and-evidence-dry-run", "type-ii-report-in-hand"):
        sub = folder / ident
        names = {p.name for p in sub.iterdir()}
        assert {"report.ipynb", "report.html", "summary.json", "s_curve.png"} <= names
    assert not list(folder.glob(".tmp-*"))
    for name in ("comparison.html", "comparison.png", "summary.csv", "forecast.xlsx",
                 "deck.pptx", "batch.json"):
        assert (folder / name).stat().st_size > 0


def test_summary_json_is_the_contract_and_reproduces_in_process(good_batch):
    _, folder = good_batch
    doc = json.loads((folder / "baseline" / "summary.json").read_text())
    result = rm.simulate(rm.load_scenario(DEFAULT), iterations=ITER, seed=11)
    expected = json.loads(json.dumps(result.to_dict()))
    for key in ("finish", "finish_date", "targets", "cost", "cost_band", "deterministic",
                "contingency", "jcl", "workstreams", "risks", "iterations", "seed"):
        assert doc[key] == expected[key], key
    prov = doc["provenance"]
    assert prov["seed"] == 11 and prov["iterations"] == ITER
    assert prov["riskmodel_version"] == rm.__version__
    assert any(f.endswith("soc2_readiness.yaml") for f in prov["input_files"])


def test_executed_notebook_records_its_parameters(good_batch):
    import nbformat

    _, folder = good_batch
    nb = nbformat.read(folder / "contractor-and-evidence-dry-run" / "report.ipynb",
                       as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert params["iterations"] == ITER and params["changes"][0]["staffing"]
    assert params["changes"][1]["mitigate"]["risk"] == "evidence_gaps"
    assert params["title"] == "Contractor and evidence dry run"


def test_a_mitigate_change_reaches_the_notebooks_run(good_batch):
    _, folder = good_batch
    risks = {ident: json.loads((folder / ident / "summary.json").read_text())["risks"]
             for ident in ("baseline", "contractor-and-evidence-dry-run")}
    # under the Latin hypercube the share of futures in which a risk occurs is exact
    assert risks["baseline"]["evidence_gaps"]["fired"] == pytest.approx(0.35)
    assert risks["contractor-and-evidence-dry-run"]["evidence_gaps"]["fired"] == \
        pytest.approx(0.10)
    # its own cost (a fixed amount when it occurs) comes with it 0.10 / 0.35 as often
    assert risks["contractor-and-evidence-dry-run"]["evidence_gaps"]["own_cost"] == \
        pytest.approx(risks["baseline"]["evidence_gaps"]["own_cost"] * 0.10 / 0.35)


def test_html_report_has_no_code_and_shows_the_headline(good_batch):
    _, folder = good_batch
    text = (folder / "baseline" / "report.html").read_text()
    assert "P(audit-ready by 1 Mar 2027)" in text
    assert "ScenarioReport.run" not in text and "import" not in text.split("<body")[1][:20000]
    assert text.count("data:image/png;base64") >= 6


def test_workbook_numbers_equal_the_summaries(good_batch):
    import openpyxl

    _, folder = good_batch
    wb = openpyxl.load_workbook(folder / "forecast.xlsx")
    assert wb.sheetnames == ["Read me", "Summary", "Scenarios", "Cost by item", "Risks",
                             "Checks", "Cash flow", "Assumptions", "Run info"]
    ws = wb["Summary"]  # figures down, scenarios across
    column = [c.value for c in ws[1]].index("Baseline")
    row = {r[0].value: r[column] for r in ws.iter_rows(min_row=2)}
    doc = json.loads((folder / "baseline" / "summary.json").read_text())
    # an .xlsx file keeps 16 significant digits (xlsxwriter writes "%.16g"): 1 ulp at most
    assert row["P(meet target)"].value == pytest.approx(doc["targets"]["audit"]["probability"],
                                                         rel=1e-15)
    assert row["P80 cost"].value == pytest.approx(doc["cost"]["p80"], rel=1e-15)
    assert "$" in row["P80 cost"].number_format and "%" in row["P(meet target)"].number_format
    assert row["P80 finish"].value.date().isoformat() == doc["finish_date"]["p80"]
    items = [r for r in wb["Cost by item"].iter_rows(min_row=2, values_only=True)
             if r[0] == "Baseline" and r[2] not in ("Subtotal", "Total")]
    assert sum(r[5] for r in items) == pytest.approx(doc["cost"]["mean"])
    kinds = [r[1] for r in wb["Assumptions"].iter_rows(min_row=2, values_only=True)
             if r[0] == "Baseline"]
    assert kinds.count("workstream") == 9 and kinds.count("risk") == 8


def test_deck_has_a_slide_per_scenario_with_pictures(good_batch):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    _, folder = good_batch
    slides = list(Presentation(folder / "deck.pptx").slides)
    titles = [s.shapes.title.text for s in slides]
    assert titles[1:] == ["The answer", "The options: chance of meeting the target",
                          "What it costs", "Risks to watch: Baseline", "Baseline",
                          "Contractor and evidence dry run", "Type II report in hand",
                          "Probability of being audit-ready, by scenario",
                          "Probability of report in hand, by scenario"]
    for k in (2, 3, 5, 6, 7, 8, 9):
        assert any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in slides[k].shapes)
    texts = " ".join(sh.text_frame.text for sh in slides[5].shapes if sh.has_text_frame)
    assert "P(audit-ready by 1 Mar 2027)" in texts and "Top risks" in texts


def test_resume_skips_complete_scenarios(executed_batch_run, tmp_path, capsys):
    # on a copy of the session's batch folder: its other readers see the batch as it ran
    run = executed_batch_run
    path = run.cwd / run.record["file"]
    folder = tmp_path / run.folder.name
    shutil.copytree(run.folder, folder, symlinks=True)
    again = run_batch(path, output=tmp_path, resume=True, progress=False)
    assert all(s.get("resumed") for s in again["scenarios"].values())
    code = main(["batch", str(path), "--output", str(tmp_path), "--resume", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "baseline: skipped (unchanged)" in out
    # a changed parameter is not "complete": it runs again (the batch file with another
    # seed, next to it so that its relative paths name the same scenario files)
    from riskmodel.reporting.batch import _unchanged, inputs_hash

    changed = path.with_name(f"{path.stem}-seed-12.yaml")
    changed.write_text(path.read_text().replace("seed: 11", "seed: 12"))
    try:
        batch = load_batch(changed)
        assert batch.settings != load_batch(path).settings
        assert not any(_unchanged(folder / i.id, inputs_hash(i, batch)) for i in batch.items)
    finally:
        changed.unlink()


@early
def broken_batch_run(ctx):
    """The batch of the test of a scenario that fails, run in the background by the
    command line in a process of its own (``riskmodel batch --quiet``: one local
    worker; ScenarioWarning an error, as in the tests): a baseline named with HTML,
    Markdown, a path and TeX (``<b>Baseline</b> ../../escape [x](javascript:alert(1))
    $\\foo$``) and "Broken", the default scenario with a PERT whose minimum is above its
    mode (``bad.yaml``), ITER iterations, seed 11 (``write_batch``). Before it runs,
    the batch folder (``out/broken``) holds ``_failed``, a link to the folder
    ``elsewhere``, and ``.tmp-old-999``, a folder left by a killed run. Returns a
    namespace: ``code``, ``out``, ``err`` and ``tmp`` (the folder of all this).

    The session's batch runs on a Dask cluster (``--scheduler``): this one is the
    suite's run of a whole batch on the command line's default, a local pool of worker
    processes (``--jobs 1``)."""
    tmp = ctx.tmp_path_factory.mktemp("broken-batch")
    bad = tmp / "bad.yaml"
    bad.write_text(DEFAULT.read_text().replace("{dist: pert, min: 1.5, mode: 2, max: 2.5}",
                                               "{dist: pert, min: 3, mode: 2, max: 2.5}"))
    path = write_batch(tmp, [
        {"name": "<b>Baseline</b> ../../escape [x](javascript:alert(1)) $\\foo$",
         "scenario": str(DEFAULT)},
        {"name": "Broken", "scenario": str(bad)},
    ], name="broken")
    folder = tmp / "out" / "broken"
    folder.mkdir(parents=True)
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    (folder / "_failed").symlink_to(elsewhere)  # must not be written through
    (folder / ".tmp-old-999").mkdir()  # left by a killed run
    cli = WARNINGS_AS_IN_TESTS + "from riskmodel.cli import main\nsys.exit(main())\n"
    proc = run_process([sys.executable, "-c", cli, "batch", path, "--output", tmp / "out",
                        "--quiet"], cwd=ROOT, timeout=600)
    return SimpleNamespace(code=proc.returncode, out=proc.stdout, err=proc.stderr, tmp=tmp)


def test_a_broken_scenario_is_recorded_and_the_rest_go_on(broken_batch_run):
    # the batch ran in the background (broken_batch_run above), as `riskmodel batch
    # --quiet` in a process of its own
    run, tmp_path = broken_batch_run, broken_batch_run.tmp
    folder = tmp_path / "out" / "broken"
    elsewhere = tmp_path / "elsewhere"
    out = run.out
    assert run.code == 1, (run.code, run.out, run.err)
    assert "broken: FAILED: ScenarioError:" in out and "min 3 > mode 2" in out
    good = folder / "b-baseline-b-escape-x-javascript-alert-1-foo"
    assert (good / "summary.json").is_file()
    assert not (folder / "broken").exists() and not list(folder.glob(".tmp-*"))
    assert list(elsewhere.iterdir()) == [] and (folder / "_failed" / "broken.ipynb").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "batch.yaml", "elsewhere",
                                                          "out"]
    report = (good / "report.html").read_text()
    assert '<a href="javascript' not in report and '<img src="http' not in report
    assert (folder / "comparison.png").is_file()  # the mathtext label did not stop it
    html = (folder / "comparison.html").read_text()
    assert "&lt;b&gt;Baseline&lt;/b&gt;" in html and "<b>Baseline" not in html
    assert json.loads((folder / "batch.json").read_text())["failed"] == 1


@pytest.mark.parametrize("scenarios,message", [
    ([{"name": "A", "scenario": "x.yaml", "audit_dat": "2027-03-15"}],
     "unknown parameter 'audit_dat' (did you mean 'audit_date'?)"),
    ([{"name": "A", "scenario": "missing.yaml"}], "file not found"),
    ([{"name": "A", "scenario": str(DEFAULT)}, {"name": "a", "scenario": str(DEFAULT)}],
     "same folder 'a'"),
    ([{"name": "../..", "scenario": str(DEFAULT)}], "no letters or digits"),
    ([], "the batch names no scenario"),
])
def test_bad_batch_files_write_nothing(tmp_path, capsys, scenarios, message):
    (tmp_path / "x.yaml").write_text(DEFAULT.read_text())
    path = write_batch(tmp_path, scenarios)
    code = main(["batch", str(path), "--output", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_shipped_batches_are_valid():
    for path in (ROOT / "data" / "batches").glob("*.yaml"):
        batch = load_batch(path)
        assert batch.items
    names = [i.label for i in load_batch(ROOT / "data/batches/leadership.yaml").items]
    assert names == ["Baseline", "Holiday code freeze", "Add a Salesforce contractor",
                     "Mitigate the evidence-gap risk", "Audit two weeks later",
                     "Type II report in hand"]
    grid = load_batch(ROOT / "data/batches/audit_dates_x_staffing.yaml")
    assert len(grid.items) == 6


def test_notebook_is_committed_clean_and_declares_typed_parameters():
    import nbformat
    import papermill

    path = ROOT / "notebooks" / "scenario_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")
    params = papermill.inspect_notebook(str(path))
    assert set(params) == {"scenario", "overrides", "changes", "audit_date", "iterations",
                           "seed", "output_dir", "title"}
    assert all(p["help"] for p in params.values())


def test_batch_runs_on_a_dask_cluster(executed_batch_run):
    # the session's batch ran with --scheduler on a real LocalCluster (two worker
    # processes) started in the installed wheel's virtualenv (tests/conftest.py)
    pytest.importorskip("distributed")
    run = executed_batch_run
    assert run.scheduler is not None
    assert run.code == 0, (run.out, run.err)
    doc = json.loads((run.folder / "baseline" / "summary.json").read_text())
    local = rm.simulate(rm.load_scenario(DEFAULT), iterations=ITER, seed=11).to_dict()
    assert doc["targets"] == json.loads(json.dumps(local["targets"]))
