"""report.html as a director reads it: no code, no authoring notes, the scenario as the
page title, tables in words and money, provenance as a table, nothing from the internet.
(The real batch pages are opened in a browser in tests/test_browser.py.)"""
import json
import re

import nbformat
import pytest

import riskmodel as rm
from riskmodel.reporting.html import REMOVE_TAGS, export_html, styled
from riskmodel.reporting.report import ScenarioReport
from tests.conftest import DEFAULT, ROOT, TYPE2

NOTEBOOKS = ROOT / "notebooks"
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
       "RU5ErkJggg==")


def executed_notebook(path):
    """A small executed notebook: an authoring note, a heading, a table and a figure."""
    v4 = nbformat.v4
    nb = v4.new_notebook(metadata={"kernelspec": {"name": "riskmodel", "language": "python",
                                                  "display_name": "Python (riskmodel)"}})
    nb.cells = [
        v4.new_markdown_cell("Change the parameters below and run all cells.",
                             metadata={"tags": ["authoring"]}),
        v4.new_code_cell("secret_setup = 1", metadata={"tags": ["remove-cell"]},
                         outputs=[v4.new_output("stream", name="stdout", text="setup noise")]),
        v4.new_code_cell("import riskmodel\nreport.heading()", outputs=[v4.new_output(
            "display_data", data={"text/markdown": "# Baseline\n## P(audit-ready) = 46%",
                                  "text/plain": "<Markdown>"})]),
        v4.new_code_cell("report.figure('s_curve')", outputs=[v4.new_output(
            "display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]),
        v4.new_markdown_cell("Costs in $: from $300k to $400k, with a [link](https://example.com)."),
    ]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = executed_notebook(tmp_path_factory.mktemp("nb") / "report.ipynb")
    return export_html(path, title="Add a <Salesforce> contractor & more")


def test_title_is_the_scenario_label(page):
    assert "<title>Add a &lt;Salesforce&gt; contractor &amp; more</title>" in page


def test_authoring_cells_and_code_are_left_out(page):
    assert "Change the parameters" not in page and "run all cells" not in page
    assert "setup noise" not in page and "secret_setup" not in page
    assert "import riskmodel" not in page and "report.figure" not in page
    assert "Baseline" in page and "data:image/png;base64," in page


def test_nothing_is_loaded_from_the_internet(page):
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.I)
    loads = re.findall(r"<(?!a\b)\w+[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page)
    assert not loads, loads
    assert not re.search(r"url\(\s*[\"']?(?:https?:)?//|@import", page)
    for cdn in ("require.js", "require.min.js", "MathJax", "mermaid", "unpkg", "cdnjs",
                "jupyter-widgets"):
        assert cdn.lower() not in page.lower(), cdn
    assert 'href="https://example.com"' in page  # a link for the reader is fine


# -- the notebooks as committed ----------------------------------------------------------
@pytest.mark.parametrize("name", ["scenario_report.ipynb", "what_if.ipynb"])
def test_notebooks_are_committed_clean(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_scenario_notebook_keeps_its_instructions_for_authors_only():
    nb = nbformat.read(NOTEBOOKS / "scenario_report.ipynb", as_version=4)
    tagged = [c for c in nb.cells if REMOVE_TAGS & set(c.metadata.get("tags", []))]
    shown = [c for c in nb.cells if c not in tagged and c.cell_type == "markdown"]
    assert any("run all cells" in c.source for c in tagged)
    assert not any("run all cells" in c.source.lower() for c in shown)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for table in ("risk_table", "removal_table", "workstream_table", "risk_register",
                  "provenance_table"):
        assert f"styled(report.{table}())" in code, table
    assert "report.provenance()" not in code and "report.assumptions()" not in code


# -- the tables the notebook shows ---------------------------------------------------------
@pytest.fixture(scope="module")
def report():
    return ScenarioReport.run(str(TYPE2), iterations=3000, seed=3, changes=[
        {"staffing": {"workstream": "sf_permissions",
                      "staffing": {"sf_developer_contract": 2.0}}}])


def shown(table) -> str:
    return styled(table).to_html()


def test_tables_show_names_money_and_percent_not_raw_numbers(report):
    s = report.scenario
    for table in (report.risk_table(), report.removal_table(), report.workstream_table(),
                  report.risk_register(), report.provenance_table()):
        text = shown(table)
        assert not re.search(r"\d+\.\d{3,}", text), re.search(r"\d+\.\d{3,}", text).group()
    ws = report.workstream_table()
    assert list(ws.index) == [w.name for w in s.workstreams]
    assert all(v.startswith("$") for v in ws["Team cost per week"])
    assert "Gap analysis and evidence mapping" in ws.loc[s.workstream("sf_permissions").name,
                                                         "Depends on"]
    ids = {w.id for w in s.workstreams if "_" in w.id}
    assert ids and not any(i in " ".join(ws["Depends on"]) for i in ids)
    rk = report.risk_register()
    assert list(rk.index) == [r.name for r in s.risks]
    # a conditional risk says its condition (the report's scenario has the audit cliff)
    assert all(re.fullmatch(r"\d+%( if [^_]+)?", v) for v in rk["Probability"])
    assert rk.loc["Late readiness moves the auditor's window", "Probability"] == \
        "100% if not audit-ready by 1 Mar 2027"
    assert not any(i in " ".join(rk["Affects"]) for i in ids)
    assert rk.loc["Qualified opinion; new window and re-audit", "Cost if it happens"] == \
        "$180,000–$450,000, most likely $260,000"
    assert rk.loc["Qualified opinion; new window and re-audit", "Impact if it happens"] == \
        "+13–26 weeks, most likely 17"


def test_provenance_is_a_small_table(report):
    table = report.provenance_table()
    assert list(table.columns) == ["Value"]
    rows = dict(zip(table.index, table["Value"]))
    assert rows["Iterations"] == "3,000" and rows["Random seed"] == "3"
    assert rows["Scenario"] == report.scenario.name
    assert rows["Changes"].startswith("staffing: workstream sf_permissions")
    assert any(k.startswith("Input file") for k in rows)
    text = shown(table)
    assert "{" not in text.split("</style>")[-1]  # no Python dict anywhere in the cells


def test_styled_aligns_words_left_and_numbers_right(report):
    text = shown(report.workstream_table())
    assert re.search(r"th.row_heading[^}]*text-align: left", text)
    # the word columns are set left; the money column keeps the right alignment
    left = {col for rule in re.findall(r"([^{}]*)\{\s*text-align: left", text)
            for col in re.findall(r"\bcol(\d+)", rule)}
    assert left == {"0", "1"}  # duration and depends on; not the team cost per week
    # and nothing more specific than a cell's own rule sets cells back to the right
    assert not re.search(r"#T_\w+ td\s*\{", text)


def test_warnings_show_where_as_written(report):
    text = report.warnings()
    assert "`workstreams[" in text and "\\[" not in text.split("(`", 1)[1]


def test_summary_json_keeps_its_contract(report):
    """The readable tables are for people: summary.json's assumptions stay numbers."""
    doc = json.loads(json.dumps(report.summary()))
    risks = doc["report"]["assumptions"]["risks"]
    assert isinstance(risks[0]["probability"], float)


def test_batch_kernel_is_quiet_and_encrypted():
    import zmq

    from riskmodel.reporting.kernel import QuietKernelManager, papermill_options

    km = QuietKernelManager(kernel_name="riskmodel")
    assert papermill_options()["kernel_manager_class"] is QuietKernelManager
    if zmq.has("curve"):
        assert km.transport_encryption == "auto"


def test_reading_sizes_default_scenario():
    """The default scenario's workstreams all have a most likely value (PERT)."""
    r = ScenarioReport(rm.load_scenario(DEFAULT), rm.simulate(rm.load_scenario(DEFAULT),
                                                              iterations=2000))
    assert all("most likely" in v for v in r.workstream_table()["Duration (weeks)"])


def test_dollar_amounts_in_the_reading_are_not_mathematics(report):
    # Jupyter and nbconvert read the text between two $ as LaTeX: every $ is escaped
    for text in (report.reading(), report.people(), report.non_additivity()):
        assert not re.search(r"(?<!\\)\$", text)
    assert "\\$" in report.reading()
