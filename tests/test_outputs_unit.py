"""The batch-level outputs of ``riskmodel.reporting.outputs`` from summaries of short
in-process runs (no papermill): summary.csv's rows, the comparison page and its charts."""
from __future__ import annotations

import datetime as dt

import pytest

from riskmodel.document import headline_row, summary_row
from riskmodel.formatting import long_date, money, percent
from riskmodel.reporting.outputs import _comparison_figures, _comparison_html, summary_table


@pytest.fixture(scope="module")
def batch():
    from riskmodel.reporting.look import sample_batch

    # the baseline, a failed scenario (second) and a EUR Type II scenario
    return sample_batch(ids=["baseline", "type2-eur"], iterations=2000)


def test_summary_table_rows_are_the_summary_rows_and_failed_ones_say_why(batch):
    _, summaries, labels, record = batch
    table = summary_table(summaries, record).set_index("scenario")
    assert list(table.index) == ["baseline", "broken", "type2-eur"]
    broken = table.loc["broken"]
    assert broken["status"] == "failed" and "min 5 > mode 3" in broken["error"]
    assert broken.isna()["p_meet"]
    for ident, s in summaries.items():
        row = table.loc[ident]
        assert row["label"] == labels[ident] and row["status"] == "ok"
        for key, value in summary_row(s).items():
            assert row[key] == value, (ident, key)
        target_id, target = next(iter(s["targets"].items()))
        assert row["target"] == target_id and row["p_meet"] == target["probability"]
        assert row["currency"] == s["cost"]["currency"]


def test_summary_row_of_a_document_is_the_headline_row_of_its_result(default_result):
    row, doc_row = headline_row(default_result), summary_row(default_result.to_dict())
    for key in ("target", "p_meet", "std_error", "cost_mean", "cost_p50", "cost_p80",
                "p_below_band", "p_within_band", "p_above_band", "jcl"):
        assert doc_row[key] == row[key], key
    for key in ("target_date", "p50_date", "p80_date"):  # the default's milestone is end
        assert dt.date.fromisoformat(doc_row[key]) == row[key], key
    assert doc_row["expected_cost_of_delay"] is None  # only summary.json's report has it


def test_comparison_page_shows_each_scenario_in_words_and_its_currency(batch):
    _, summaries, labels, record = batch
    table = summary_table(summaries, record)
    page = _comparison_html(table, "Options <&>", record)
    assert "<title>Options &lt;&amp;&gt;</title>" in page
    assert "failed: ScenarioError: workstreams[3].duration: min 5 &gt; mode 3" in page
    for ident, s in summaries.items():
        _, target = next(iter(s["targets"].items()))
        cur = s["cost"]["currency"]
        assert f'<a href="{ident}/report.html">' in page
        assert f"<b>{percent(target['probability'])}</b>" in page
        assert f"by {long_date(target['date'])}" in page
        assert f"{money(s['cost']['p50'], cur)} / {money(s['cost']['p80'], cur)}" in page
    assert "€" in page and "$" in page  # each scenario in its own currency
    assert "http://" not in page and "https://" not in page  # self-contained


def test_comparison_figures_are_written(batch, tmp_path):
    _, summaries, labels, _ = batch
    _comparison_figures(summaries, labels, tmp_path)
    for name in ("comparison.png", "cost_band.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comparison.png", "cost_band.png"]


def test_a_summary_json_that_is_not_a_riskmodel_summary_fails_its_scenario(batch, tmp_path):
    import copy
    import json

    from riskmodel.reporting.batch import _read_summaries
    from riskmodel.reporting.outputs import write_batch_outputs

    sample, summaries, _, record = batch
    bad = copy.deepcopy(summaries["type2-eur"])
    del bad["targets"]  # a custom notebook's, or a stale one --resume kept
    for ident, s in {**summaries, "type2-eur": bad}.items():
        (tmp_path / ident).mkdir()
        (tmp_path / ident / "summary.json").write_text(json.dumps(s))
    status = {i.id: dict(record["scenarios"][i.id]) for i in sample.items}
    read = _read_summaries(sample, tmp_path, status)
    assert list(read) == ["baseline"]
    assert status["type2-eur"] == {
        "status": "failed",
        "error": "its summary.json is not a riskmodel summary (no 'targets')"}
    old = dict(summaries["baseline"], schema="riskmodel.summary/1")
    (tmp_path / "baseline" / "summary.json").write_text(json.dumps(old))
    again = {i.id: dict(record["scenarios"][i.id]) for i in sample.items}
    assert _read_summaries(sample, tmp_path, again) == {}
    assert "schema 'riskmodel.summary/1'" in again["baseline"]["error"]
    # the batch's own outputs are still written, the scenario listed as failed
    labels = {i.id: i.label for i in sample.items}
    rec = dict(record, scenarios={k: {"label": labels[k], **v} for k, v in status.items()})
    write_batch_outputs(tmp_path, sample, read, rec)
    assert "not a riskmodel summary" in (tmp_path / "summary.csv").read_text()
