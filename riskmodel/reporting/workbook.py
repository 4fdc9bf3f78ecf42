"""The finance workbook ``forecast.xlsx`` (xlsxwriter): numbers as numbers, formatted."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["write_workbook", "SUMMARY_COLUMNS"]

# (column in summary.csv, header, format)
SUMMARY_COLUMNS = [
    ("label", "Scenario", "text"), ("status", "Status", "text"),
    ("target", "Target", "text"), ("target_date", "Target date", "date"),
    ("p_meet", "P(meet target)", "pct"), ("p50_date", "P50 finish", "date"),
    ("p80_date", "P80 finish", "date"), ("cost_mean", "Mean cost", "money"),
    ("cost_p10", "P10 cost", "money"), ("cost_p50", "P50 cost", "money"),
    ("cost_p80", "P80 cost", "money"), ("cost_p90", "P90 cost", "money"),
    ("p_below_band", "P(below band)", "pct"), ("p_within_band", "P(within band)", "pct"),
    ("p_above_band", "P(above band)", "pct"),
    ("contingency_p80_weeks", "Schedule contingency to P80 (weeks)", "weeks"),
    ("contingency_p80_cost", "Cost contingency to P80", "money"),
    ("jcl", "Joint confidence (audit date, band top)", "pct"),
    ("expected_cost_of_delay", "Expected cost of delay", "money"),
    ("error", "Error", "text"),
]


def write_workbook(path: Path, batch, summaries: dict[str, dict], table: pd.DataFrame,
                   record: dict[str, Any]) -> None:
    """Summary, cost by item, cash flow, assumptions and run-info sheets."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    fmt = {
        "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                               "valign": "top"}),
        "money": wb.add_format({"num_format": "$#,##0"}),
        "pct": wb.add_format({"num_format": "0.0%"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "weeks": wb.add_format({"num_format": "0.0"}),
        "text": wb.add_format({}),
    }

    def put(ws, row, col, value, kind):
        if value is None or (isinstance(value, float) and value != value) or value == "":
            ws.write_blank(row, col, None)
        elif kind == "text":
            ws.write_string(row, col, str(value))  # never a formula, whatever the label
        elif kind == "date":
            ws.write_datetime(row, col, dt.datetime.fromisoformat(str(value)), fmt["date"])
        else:
            ws.write_number(row, col, float(value), fmt[kind])

    def header(ws, names, widths=None):
        for c, name in enumerate(names):
            ws.write_string(0, c, name, fmt["head"])
            ws.set_column(c, c, (widths or {}).get(c, 16))
        ws.freeze_panes(1, 0)

    ws = wb.add_worksheet("Summary")
    header(ws, [h for _, h, _ in SUMMARY_COLUMNS], {0: 32, len(SUMMARY_COLUMNS) - 1: 50})
    for r, (_, row) in enumerate(table.iterrows(), start=1):
        for c, (col, _, kind) in enumerate(SUMMARY_COLUMNS):
            put(ws, r, c, row.get(col), kind)

    labels = {i.id: i.label for i in batch.items}
    ws = wb.add_worksheet("Cost by item")
    header(ws, ["Scenario", "Category", "Item", "Role", "Mean cost"], {0: 32, 2: 28, 3: 24})
    r = 1
    for ident, s in summaries.items():
        for item in s["report"]["cost_breakdown"]:
            for c, (value, kind) in enumerate([(labels[ident], "text"),
                                               (item["category"], "text"),
                                               (item["item"], "text"), (item["role"], "text"),
                                               (item["mean"], "money")]):
                put(ws, r, c, value, kind)
            r += 1

    ws = wb.add_worksheet("Cash flow")
    header(ws, ["Scenario", "Date", "Cumulative spend P10", "Cumulative spend P50",
                "Cumulative spend P90"], {0: 32})
    r = 1
    for ident, s in summaries.items():
        for point in s["report"]["cash_flow_monthly"]:
            for c, (value, kind) in enumerate([(labels[ident], "text"), (point["date"], "date"),
                                               (point["p10"], "money"), (point["p50"], "money"),
                                               (point["p90"], "money")]):
                put(ws, r, c, value, kind)
            r += 1

    ws = wb.add_worksheet("Assumptions")
    header(ws, ["Scenario", "Kind", "Item", "Estimate", "Depends on / affects",
                "Weekly cost / probability", "Cost"], {0: 32, 2: 44, 3: 30, 4: 40, 5: 18, 6: 18})
    r = 1
    for ident, s in summaries.items():
        tables = s["report"]["assumptions"]
        for w in tables["workstreams"]:
            for c, (v, kind) in enumerate([(labels[ident], "text"), ("workstream", "text"),
                                           (w["workstream"], "text"),
                                           (w["duration (weeks)"] + " weeks", "text"),
                                           (w["depends on"], "text"),
                                           (w["weekly cost"], "money")]):
                put(ws, r, c, v, kind)
            r += 1
        for k in tables["risks"]:
            for c, (v, kind) in enumerate([(labels[ident], "text"), ("risk", "text"),
                                           (k["risk"], "text"), (k["impact"], "text"),
                                           (k["affects"], "text"), (k["probability"], "pct"),
                                           (k["cost"], "text")]):
                put(ws, r, c, v, kind)
            r += 1
    for item in batch.items:
        for key, value in item.parameters.items():
            text = value if isinstance(value, str) else json.dumps(value)
            for c, v in enumerate([item.label, "parameter", key, text]):
                put(ws, r, c, v, "text")
            r += 1

    ws = wb.add_worksheet("Run info")
    header(ws, ["Scenario", "Item", "Value"], {0: 32, 1: 24, 2: 70})
    rows = [("(batch)", k, record[k]) for k in ("batch", "file", "file_sha256", "notebook",
                                                 "notebook_sha256", "started", "finished")]
    for ident, s in summaries.items():
        p = s["provenance"]
        rows += [(labels[ident], "riskmodel version", p["riskmodel_version"]),
                 (labels[ident], "seed", str(p["seed"])),
                 (labels[ident], "iterations", str(p["iterations"])),
                 (labels[ident], "created", p["created"]),
                 (labels[ident], "scenario sha256", p["scenario_sha256"])]
        rows += [(labels[ident], f"input {f}", h) for f, h in p["input_files"].items()]
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            put(ws, r, c, v, "text")
    wb.close()
