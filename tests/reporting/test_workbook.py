"""The finance workbook and summary.csv built from summaries of short in-process runs (no
papermill), then opened again with openpyxl: numbers, currency, formulas, layout."""
from __future__ import annotations

import re

import pytest

from riskmodel.reporting.look import sample_batch
from riskmodel.reporting.outputs import summary_table
from riskmodel.reporting.workbook import SUMMARY_COLUMNS, money_format, write_workbook


@pytest.fixture(scope="module")
def built(tmp_path_factory, sample_batch_outputs):
    import openpyxl

    batch, summaries, labels, record = sample_batch_outputs  # sample_batch(), shared
    table = summary_table(summaries, record)
    path = tmp_path_factory.mktemp("wb") / "forecast.xlsx"
    write_workbook(path, batch, summaries, table, record)
    return openpyxl.load_workbook(path), summaries, labels, table


def column(ws, header):
    return next(c for c in ws[1] if c.value == header).column


def test_sheets(built):
    wb, *_ = built
    assert wb.sheetnames == ["Read me", "Summary", "Scenarios", "Cost by item", "Risks",
                             "Checks", "Cash flow", "Assumptions", "Run info"]


def test_read_me_defines_the_figures(built):
    wb, *_ = built
    terms = {row[0].value: row[1].value for row in wb["Read me"].iter_rows(min_row=5)}
    for term in ("P50, P80, P90", "Cost band", "Joint confidence", "Contingency",
                 "Contingency split", "Cost of delay", "Second peak",
                 "Budget for joint confidence", "Promise (80% joint)"):
        assert terms.get(term), term
    assert "NOT met together" in terms["P50, P80, P90"]


def test_summary_numbers_equal_the_summaries(built):
    wb, summaries, labels, _ = built
    ws = wb["Summary"]
    heads = [c.value for c in ws[1]]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    for ident, s in summaries.items():
        c = heads.index(labels[ident])
        def value(head, c=c):
            return rows[head][c].value
        target = next(iter(s["targets"].values()))
        assert value("P(meet target)") == pytest.approx(target["probability"])
        assert value("Mean cost") == pytest.approx(s["cost"]["mean"])
        assert value("P80 cost") == pytest.approx(s["cost"]["p80"])
        assert value("Cost band: low") == s["cost_band"]["low"]
        assert value("Cost band: high") == s["cost_band"]["high"]
        assert value("Budget for joint confidence") == s["jcl"]["budget"]
        assert value("Budget: source") == "the top of the cost band"
        assert value("P(P80 date and P80 cost both met)") == \
            pytest.approx(s["jcl"]["at_p80"]["probability"])
        promise = s["jcl"]["promise"]["80"]
        got = value("Promise (80% joint): budget by the target date")
        if promise["budget_at_date"] is None:
            assert got == "not reachable at 80%"
        else:
            assert got == pytest.approx(promise["budget_at_date"])
        got = value("Promise (80% joint): date within the budget")
        if promise["date_at_budget"] is None:
            assert got == "not reachable at 80%"
        else:
            assert got.date().isoformat() == promise["date_at_budget"]
        k = s["contingency"]["p80"]
        assert value("of which from risks") == pytest.approx(k["from_risks"]["cost"])
        assert value("of which from estimates (weeks)") == \
            pytest.approx(k["from_estimates"]["weeks"])
        assert value("Schedule checks to read first") == len(s["warnings"])
    assert "Joint confidence (audit date, band top)" not in heads
    peak = rows["Dates: second peak"][heads.index(labels["type2-eur"])].value
    # the peak named, and the risk behind it (the qualified opinion: all of those futures)
    assert re.fullmatch(r"second peak: \d+% of futures near \d+ \w{3} \d{4} \(100% of them "
                        r"with: Qualified opinion; new window and re-audit\)", peak)
    assert rows["Error"][heads.index("Broken scenario")].value.startswith("ScenarioError")


def test_money_is_in_each_scenarios_currency(built):
    wb, summaries, labels, _ = built
    assert money_format("USD") == '"$"#,##0;-"$"#,##0'
    assert money_format("EUR") == '"€"#,##0;-"€"#,##0'
    assert money_format("SEK") == '#,##0 "SEK";-#,##0 "SEK"'
    ws = wb["Summary"]
    heads = [c.value for c in ws[1]]
    mean = next(row for row in ws.iter_rows(min_row=2) if row[0].value == "Mean cost")
    assert "€" in mean[heads.index(labels["type2-eur"])].number_format
    assert "$" not in mean[heads.index(labels["type2-eur"])].number_format
    assert '"$"' in mean[heads.index("Baseline")].number_format
    items = wb["Cost by item"]
    for row in items.iter_rows(min_row=2):
        want = "€" if row[0].value == labels["type2-eur"] else "$"
        assert want in row[5].number_format, (row[0].value, row[5].number_format)


def test_cost_by_item_has_names_subtotals_and_a_total_equal_to_the_mean(built):
    wb, summaries, labels, _ = built
    ws = wb["Cost by item"]
    assert [c.value for c in ws[1]] == ["Scenario", "Category", "Item", "Name", "Role",
                                        "Mean cost"]
    by_label = {labels[i]: s for i, s in summaries.items()}
    rows = list(ws.iter_rows(min_row=2))
    values = {r[5].row: r[5].value for r in rows}
    start = 2
    totals = 0
    for row in rows:
        label, category, item, name, _, cell = (c.value for c in row)
        n = row[5].row
        if item in ("Subtotal", "Total"):
            m = re.fullmatch(r"=SUBTOTAL\(9,F(\d+):F(\d+)\)", cell)
            assert m, cell
            a, b = int(m.group(1)), int(m.group(2))
            assert b == n - 1  # up to the row above
            leaves = [values[k] for k in range(a, b + 1)
                      if not str(values[k]).startswith("=")]  # SUBTOTAL skips subtotals
            if item == "Subtotal":
                assert a == start
                assert all(ws.cell(k, 2).value == category for k in range(a, b + 1))
                s = by_label[label]
                want = sum(i["mean"] for i in s["report"]["cost_breakdown"]
                           if i["category"] == category)
                assert sum(leaves) == pytest.approx(want)
                start = n + 1
            else:
                assert category == "Total"
                assert all(ws.cell(k, 1).value == label for k in range(a, b + 1))
                assert sum(leaves) == pytest.approx(by_label[label]["cost"]["mean"],
                                                    rel=1e-9)
                totals += 1
                start = n + 1
        else:
            assert name and isinstance(cell, (int, float))
    assert totals == len(summaries)
    categories = {r[1].value for r in rows}
    assert {"workstream", "fixed cost", "overhead", "time added by risks",
            "risk events' own cost"} <= categories


def test_cached_formula_values_are_the_totals(built, tmp_path):
    """What a viewer that does not recalculate shows: the cached result of each formula."""
    import openpyxl

    batch, summaries, labels, record = sample_batch(["baseline"], failed=False,
                                                    iterations=1000)
    path = tmp_path / "f.xlsx"
    write_workbook(path, batch, summaries, summary_table(summaries, record), record)
    ws = openpyxl.load_workbook(path, data_only=True)["Cost by item"]
    total = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "Total")
    assert total[5].value == pytest.approx(summaries["baseline"]["cost"]["mean"])


def test_layout_frozen_headers_filters_and_print_setup(built):
    wb, *_ = built
    for name in wb.sheetnames[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "B2", name
        assert ws.auto_filter.ref, name
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_setup.fitToWidth in ((3,) if name == "Scenarios" else (1, None))
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows in ("1:1", "$1:$1"), name
        assert ws.row_dimensions[1].height >= 30, name  # wrapped headers do not overlap
    assert wb["Read me"].page_setup.orientation == "landscape"


def test_text_that_looks_like_a_formula_stays_text(built):
    wb, summaries, labels, _ = built
    assert labels["type2-eur"].startswith("=")
    for name in ("Summary", "Cost by item", "Risks", "Run info"):
        cells = [c for row in wb[name].iter_rows() for c in row
                 if c.value == labels["type2-eur"]]
        assert cells, name
        assert all(c.data_type == "s" for c in cells), name


def test_risks_and_checks_sheets(built):
    wb, summaries, labels, _ = built
    ws = wb["Risks"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    t2 = summaries["type2-eur"]["report"]
    tail = [r for r in rows if r[0] == labels["type2-eur"] and r[1] == "tail (P90)"]
    assert tail[0][3] == t2["top_risks_p90"][0]["name"]
    assert tail[0][8] == pytest.approx(t2["top_risks_p90"][0]["p90_finish_shift"])
    checks = [[c.value for c in r] for r in wb["Checks"].iter_rows(min_row=2)]
    for ident, s in summaries.items():
        mine = [r for r in checks if r[0] == labels[ident]]
        assert len(mine) == max(1, len(s["warnings"]))
        assert {r[3] for r in mine} >= {w["message"] for w in s["warnings"]}


def test_summary_csv_columns_are_true_as_labelled(built):
    _, summaries, _, table = built
    for col in ("jcl_budget", "jcl_budget_source", "jcl_at_p80", "promise80_date_at_budget",
                "promise80_budget_at_date", "contingency_p80_from_risks_weeks",
                "contingency_p80_from_risks_cost", "contingency_p80_from_estimates_weeks",
                "contingency_p80_from_estimates_cost", "second_peak_finish",
                "second_peak_cost", "second_peak_finish_share", "warnings", "currency",
                "band_low", "band_high"):
        assert col in table.columns, col
    rows = table.set_index("scenario")
    for ident, s in summaries.items():
        r = rows.loc[ident]
        assert r.jcl_budget == s["jcl"]["budget"]
        assert r.jcl_budget_source == s["jcl"]["budget_source"]
        assert r.jcl_at_p80 == s["jcl"]["at_p80"]["probability"]
        assert r.contingency_p80_from_risks_cost == \
            s["contingency"]["p80"]["from_risks"]["cost"]
        assert r.warnings == len(s["warnings"])
        assert r.currency == s["cost"]["currency"]
    t2 = rows.loc["type2-eur"]
    assert t2.second_peak_finish.startswith("second peak: ")
    assert t2.second_peak_finish_share == pytest.approx(
        summaries["type2-eur"]["report"]["modes"]["finish"]["second"]["share"])
    assert rows.loc["baseline"].second_peak_finish == ""
    assert set(c for c, _, _ in SUMMARY_COLUMNS) - {"label", "status", "error"} <= \
        set(table.columns)
