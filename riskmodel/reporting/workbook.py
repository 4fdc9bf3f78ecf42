"""The finance workbook ``forecast.xlsx`` (xlsxwriter): numbers as numbers, formatted.

Sheets: Read me (what each figure means), Summary (figures down, scenarios across: band
and budget included), Scenarios (the same, one row per scenario, as summary.csv), Cost
by item (names, a subtotal per category and a total that equals the mean
cost, as ``=SUBTOTAL`` formulas), Risks (by expected and by tail impact), Checks (the
schedule health warnings), Cash flow, Assumptions, Run info. Every sheet has a frozen
header row, an autofilter and a landscape print set-up that fits the width and repeats
the header. Money is shown in each scenario's currency. Text (names, labels, messages)
is written with ``write_string``: never a formula, whatever it starts with.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..formatting import excel_money_format, points, target_name
from .slides import risk_words
from .words import budget_words, peak_text, waiting_text

__all__ = ["write_workbook", "SUMMARY_COLUMNS", "money_format", "READ_ME"]

# (column in summary.csv, header, format); "money" is in the row's currency
SUMMARY_COLUMNS = [
    ("label", "Scenario", "text"), ("status", "Status", "text"),
    ("currency", "Currency", "text"),
    ("target", "Target", "text"), ("target_date", "Target date", "date"),
    ("p_meet", "P(meet target)", "pct"), ("std_error", "± (Monte Carlo error)", "pct"),
    ("p50_date", "P50 finish", "date"), ("p80_date", "P80 finish", "date"),
    ("second_peak_finish", "Dates: second peak", "text"),
    ("cost_mean", "Mean cost", "money"),
    ("cost_p10", "P10 cost", "money"), ("cost_p50", "P50 cost", "money"),
    ("cost_p80", "P80 cost", "money"), ("cost_p90", "P90 cost", "money"),
    ("second_peak_cost", "Costs: second peak", "text"),
    ("band_low", "Cost band: low", "money"), ("band_high", "Cost band: high", "money"),
    ("p_below_band", "P(below band)", "pct"), ("p_within_band", "P(within band)", "pct"),
    ("p_above_band", "P(above band)", "pct"),
    ("jcl_budget", "Budget for joint confidence", "money"),
    ("jcl_budget_source", "Budget: source", "text"),
    ("jcl", "Joint confidence: P(target date and cost <= budget)", "pct"),
    ("jcl_at_p80", "P(P80 date and P80 cost both met)", "pct"),
    ("promise80_date_at_budget", "Promise (80% joint): date within the budget", "date"),
    ("promise80_budget_at_date", "Promise (80% joint): budget by the target date", "money"),
    ("contingency_p80_weeks", "Schedule contingency to P80 (weeks)", "weeks"),
    ("contingency_p80_from_estimates_weeks", "of which from estimates (weeks)", "weeks"),
    ("contingency_p80_from_risks_weeks", "of which from risks (weeks)", "weeks"),
    ("contingency_p80_cost", "Cost contingency to P80", "money"),
    ("contingency_p80_from_estimates_cost", "of which from estimates", "money"),
    ("contingency_p80_from_risks_cost", "of which from risks", "money"),
    ("expected_cost_of_delay", "Expected cost of delay", "money"),
    ("waiting_p80_shift_weeks", "Waiting for people: P80 date moves (weeks)", "weeks"),
    ("waiting_p_meet_change", "Waiting for people: change in P(meet target)", "pct"),
    ("warnings", "Schedule checks to read first", "count"),
    ("error", "Error", "text"),
]

WRAPPED = {"second_peak_finish": 3, "second_peak_cost": 3, "jcl_budget_source": 2,
           "error": 4}
"""Summary rows whose text wraps in a scenario's column, with their least height in lines
(more where a text needs it)."""

READ_ME = [
    ("What this workbook is", "A Monte Carlo forecast of each scenario of the batch: every "
     "figure is a share or a percentile of the simulated futures (iterations), not a "
     "single-point plan."),
    ("P(meet target)", "The share of simulated futures that reach the target (for example "
     "audit-ready) by the target date. '±' is its Monte Carlo standard error."),
    ("P50, P80, P90", "Percentiles: P80 finish is the date by which 4 futures in 5 have "
     "finished; P80 cost is the cost that 4 futures in 5 stay below. Each is a separate "
     "percentile: the P80 date and the P80 cost are NOT met together in 80% of futures."),
    ("Cost band", "The range the scenario gives for the cost (low to high); P(below / "
     "within / above band) are the shares of futures whose cost falls there."),
    ("Budget for joint confidence", "The scenario's budget or, when it sets none, the top "
     "of the cost band (the 'Budget: source' column says which)."),
    ("Joint confidence", "P(target date met AND cost <= budget): both together, in the same "
     "future. 'P(P80 date and P80 cost both met)' is the joint confidence of the two "
     "separate P80s (less than 80%: see 'P80 date and P80 cost both met')."),
    ("Promise (80% joint)", "The date and budget to promise together with 80% joint "
     "confidence: the earliest date reached within the budget, or the least budget that "
     "reaches the target date, in 80% of futures. Blank with 'not reachable' when no date "
     "(or budget) reaches 80%."),
    ("Contingency", "P80 minus the deterministic plan (the sum of the most likely "
     "estimates): the time or money to hold back to be at P80."),
    ("Contingency split", "'from estimates': the same futures with every risk switched "
     "off, minus the plan (estimate uncertainty, merge bias included); 'from risks': the "
     "rest, what the risk events add."),
    ("Cost of delay", "The expected cost of finishing after the target date (the weeks "
     "late times the scenario's weekly cost of delay, averaged over all futures)."),
    ("Second peak", "When the dates or costs have two peaks (a rare risk such as a "
     "qualified opinion moves some futures far out), the share of futures in the second "
     "peak and where it lies. A mean or a P50 hides it: plan for it as a separate outcome."),
    ("Expected and tail impact of a risk", "Expected: what the risk adds to the mean finish "
     "or cost over all futures. Tail (P90): what it adds to the P90 finish. A rare, large "
     "risk ranks low on the first and high on the second. Shifts do not add up across "
     "risks."),
    ("Cost by item", "The mean cost of each item; SUBTOTAL formulas per category, and a "
     "total per scenario equal to its mean cost (filtering hides rows from the subtotals, "
     "as Excel does)."),
    ("Schedule checks", "What the schedule health check found in the scenario's inputs: "
     "read these before trusting the numbers (sheet 'Checks')."),
]

money_format = excel_money_format  # the name 0.2's tests and callers use


class _Book:
    """The workbook being written: its formats, how a cell is written, how a sheet is set
    up, and what every sheet reads (the batch, the summaries, the table, the record)."""

    def __init__(self, path: Path, batch, summaries: dict[str, dict], table: pd.DataFrame,
                 record: dict[str, Any]) -> None:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path))
        wb.set_properties({"title": batch.title, "subject": "riskmodel forecast",
                           "comments": "Generated by riskmodel"})
        self.wb, self.fmt = wb, _formats(wb)
        self._money_fmts: dict[tuple[str, bool], Any] = {}
        labels = {**{i: info.get("label", i) for i, info in record["scenarios"].items()},
                  **{i.id: i.label for i in batch.items}}
        self.batch, self.summaries, self.table, self.record = batch, summaries, table, record
        self.labels = labels
        # the scenario column is wide enough for the longest name (none cut short)
        self.scenario_width = min(64, max(30, 2 + max((len(str(v)) for v in
                                                       labels.values()), default=0)))

    def money_fmt(self, currency: str, bold: bool = False):
        """The money format of ``currency`` (bold: a total, with a rule above)."""
        key = (currency, bold)
        if key not in self._money_fmts:
            self._money_fmts[key] = self.wb.add_format({
                **_CELL, "num_format": money_format(currency), "bold": bold,
                **({"top": 1} if bold else {})})
        return self._money_fmts[key]

    def put(self, ws, row, col, value, kind, currency="USD"):
        """Write ``value`` as ``kind`` (a key of the formats, or ``"money"`` in
        ``currency``); blank for None, NaN and empty text."""
        if value is None or (isinstance(value, float) and value != value) or value == "":
            ws.write_blank(row, col, None)
        elif kind in ("text", "wrap", "bold"):
            ws.write_string(row, col, str(value), self.fmt[kind])  # never a formula
        elif kind == "date":
            ws.write_datetime(row, col, dt.datetime.fromisoformat(str(value)),
                              self.fmt["date"])
        elif kind == "money":
            value = float(value)
            ws.write_number(row, col, 0.0 if abs(value) < 0.005 else value,
                            self.money_fmt(currency))
        else:
            ws.write_number(row, col, float(value), self.fmt[kind])

    def sheet(self, name, names, widths=None, height=30):
        """A new sheet with the header row ``names`` and the print set-up every sheet
        shares; ``widths`` by column (14 otherwise)."""
        ws = self.wb.add_worksheet(name)
        for c, title in enumerate(names):
            ws.write_string(0, c, title, self.fmt["head"])
            ws.set_column(c, c, (widths or {}).get(c, 14))
        ws.set_row(0, height)  # tall enough for the wrapped headers: no overlap
        ws.freeze_panes(1, 1)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
        ws.repeat_rows(0)
        ws.set_paper(9)  # A4; Excel adapts to Letter where that is the default
        ws.set_header(f"&L&\"Calibri,Bold\"{_header_text(self.batch.title)}&R&A")
        ws.set_footer("&CPage &P of &N")
        return ws


_CELL = {"valign": "top"}
"""What every cell format shares."""


def _formats(wb) -> dict[str, Any]:
    """The workbook's cell formats by kind (money formats: ``_Book.money_fmt``)."""
    return {
        "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                               "valign": "top", "border": 1}),
        "pct": wb.add_format({**_CELL, "num_format": "0.0%"}),
        "date": wb.add_format({**_CELL, "num_format": "yyyy-mm-dd"}),
        "weeks": wb.add_format({**_CELL, "num_format": "0.0"}),
        "count": wb.add_format({**_CELL, "num_format": "0"}),
        "text": wb.add_format({**_CELL}),
        "wrap": wb.add_format({**_CELL, "text_wrap": True}),
        "bold": wb.add_format({**_CELL, "bold": True}),
        "title": wb.add_format({"bold": True, "font_size": 14}),
    }


def _sheet_read_me(book: _Book) -> None:
    """The Read me sheet."""
    wb = book.wb
    fmt = book.fmt
    batch = book.batch
    record = book.record
    # -- Read me ---------------------------------------------------------------------
    ws = wb.add_worksheet("Read me")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 110)
    ws.write_string(0, 0, "Forecast workbook", fmt["title"])
    ws.write_string(0, 1, str(batch.title), fmt["title"])
    ws.write_string(1, 0, "Run", fmt["bold"])
    ws.write_string(1, 1, f"{len(record['scenarios'])} scenarios, finished "
                    f"{record.get('finished', '')}; sheet 'Run info' has the inputs' hashes",
                    fmt["wrap"])
    ws.write_string(3, 0, "Figure", fmt["head"])
    ws.write_string(3, 1, "What it means", fmt["head"])
    for r, (term, meaning) in enumerate(READ_ME, start=4):
        ws.write_string(r, 0, term, fmt["bold"])
        ws.write_string(r, 1, meaning, fmt["wrap"])
        ws.set_row(r, 15 * max(1, -(-len(meaning) // 105)))
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)
    ws.repeat_rows(3)
    ws.activate()


def _sheet_summary(book: _Book) -> None:
    """The Summary sheet (figures down, scenarios across: reads and prints) and the
    Scenarios sheet (one row per scenario, as summary.csv: filters and pivots)."""
    cells = _summary_cells(book)
    _summary_figures(book, cells)
    _scenario_rows(book, cells)


_Cells = list[tuple[list[tuple[Any, str]], str]]
"""Per scenario: [(value, kind)] in ``SUMMARY_COLUMNS`` order, and its currency."""


def _summary_cells(book: _Book) -> _Cells:
    """What the Summary and Scenarios sheets show of each row of the table."""
    cells = []
    for _, row in book.table.iterrows():
        s = book.summaries.get(row.get("scenario"))
        currency = s["cost"]["currency"] if s else "USD"
        values = []
        for col, _, kind in SUMMARY_COLUMNS:
            value = row.get(col)
            if col == "label":
                value = book.labels.get(row.get("scenario"), value)
            elif col == "currency":
                value = currency if s else ""
            elif col == "jcl_budget_source" and s:
                value = budget_words(s).split(" (", 1)[1].rstrip(")")
            elif col.startswith("promise80_") and s and (value is None or value == ""
                                                         or value != value):
                value, kind = "not reachable at 80%", "text"
            elif col == "second_peak_finish" and s:
                value = peak_text(s, "finish") or "none"
            elif col == "second_peak_cost" and s:
                value = peak_text(s, "cost") or "none"
            elif col == "warnings" and s:
                value = len(s.get("warnings") or [])
            elif col == "target" and s:
                value = target_name(value)
            values.append((value, kind))
        cells.append((values, currency))
    return cells


def _summary_figures(book: _Book, cells: _Cells) -> None:
    """The Summary sheet: a row per figure, a column per scenario; last, what waiting for
    people costs (not a summary.csv column)."""
    ws = book.sheet("Summary", ["Figure"] + [str(v[0][0]) for v, _ in cells],
                    {0: 46, **{c: 22 for c in range(1, len(cells) + 1)}}, height=46)
    for r, (col, head, kind) in enumerate(SUMMARY_COLUMNS[1:], start=1):
        ws.write_string(r, 0, head, book.fmt["bold"])
        for c, (values, currency) in enumerate(cells, start=1):
            value, kind = values[r]
            book.put(ws, r, c, value, "wrap" if kind == "text" else kind, currency)
        if col in WRAPPED:  # tall enough for the longest text in the row (~20 a line)
            longest = max((len(str(values[r][0])) for values, _ in cells), default=0)
            ws.set_row(r, 15 * max(WRAPPED[col], -(-longest // 20)))
    r = len(SUMMARY_COLUMNS)
    _waiting_row(book, ws, r)
    ws.autofilter(0, 0, r, len(cells))


def _waiting_row(book: _Book, ws, r: int) -> None:
    """Row ``r`` of the Summary sheet: what waiting for people costs each scenario."""
    from ..analysis.resources import MATTERS_POINTS, MATTERS_WEEKS

    ws.write_string(r, 0, "Waiting for people", book.fmt["bold"])
    longest = 1
    for c, (_, row) in enumerate(book.table.iterrows(), start=1):
        s = book.summaries.get(row.get("scenario"))
        if s:
            lev = s.get("levelling")
            text = waiting_text(s) or (
                "no role has a capacity" if not lev else
                "nobody waits: the capacities cover the plan" if not lev["share_waiting"]
                else f"little: it moves the P80 date by under {MATTERS_WEEKS} weeks and "
                     f"P(meet) by under {points(MATTERS_POINTS)}")
            book.put(ws, r, c, text, "wrap")
            longest = max(longest, len(text))
    ws.set_row(r, 15 * -(-longest // 20))  # ~20 characters a line in a 22-wide column


def _scenario_rows(book: _Book, cells: _Cells) -> None:
    """The Scenarios sheet: the same cells, a row per scenario."""
    ws = book.sheet("Scenarios", [h for _, h, _ in SUMMARY_COLUMNS],
                    {0: book.scenario_width, 3: 20, 9: 44, 15: 44, 23: 16, 25: 16,
                     len(SUMMARY_COLUMNS) - 1: 50}, height=62)
    for r, (values, currency) in enumerate(cells, start=1):
        for c, (value, kind) in enumerate(values):
            book.put(ws, r, c, value, kind, currency)
    ws.fit_to_pages(3, 0)  # 37 columns: one page wide would be unreadable on paper
    ws.repeat_columns(0)  # the scenario's name on every page
    ws.autofilter(0, 0, max(1, len(cells)), len(SUMMARY_COLUMNS) - 1)


def _sheet_cost_by_item(book: _Book) -> None:
    """The Cost by item sheet."""
    put = book.put
    sheet = book.sheet
    money_fmt = book.money_fmt
    summaries = book.summaries
    labels = book.labels
    # -- Cost by item ------------------------------------------------------------------
    ws = sheet("Cost by item", ["Scenario", "Category", "Item", "Name", "Role", "Mean cost"],
               {0: book.scenario_width, 1: 22, 2: 22, 3: 60, 4: 22, 5: 16})
    from ..analysis.breakdown import CATEGORIES

    r = 1
    for ident, s in summaries.items():
        cur = s["cost"]["currency"]
        items = s["report"]["cost_breakdown"]
        order = list(CATEGORIES) + sorted({i["category"] for i in items} - set(CATEGORIES))
        first = r
        for category in order:
            rows = [i for i in items if i["category"] == category]
            if not rows:
                continue
            top = r
            for item in rows:
                for c, (value, kind) in enumerate([
                        (labels.get(ident, ident), "text"), (item["category"], "text"),
                        (item["item"], "text"), (item.get("name") or item["item"], "text"),
                        (item.get("role") or "", "text")]):
                    put(ws, r, c, value, kind)
                put(ws, r, 5, item["mean"], "money", cur)
                r += 1
            put(ws, r, 0, labels.get(ident, ident), "text")
            put(ws, r, 1, category, "text")
            put(ws, r, 2, "Subtotal", "bold")
            put(ws, r, 3, f"Subtotal: {category}", "bold")
            ws.write_formula(r, 5, f"=SUBTOTAL(9,F{top + 1}:F{r})", money_fmt(cur, True),
                             sum(i["mean"] for i in rows))
            r += 1
        put(ws, r, 0, labels.get(ident, ident), "text")
        put(ws, r, 1, "Total", "bold")
        put(ws, r, 2, "Total", "bold")
        put(ws, r, 3, "Total: equals the mean cost", "bold")
        ws.write_formula(r, 5, f"=SUBTOTAL(9,F{first + 1}:F{r})", money_fmt(cur, True),
                         sum(i["mean"] for i in items))
        r += 1
    ws.autofilter(0, 0, max(1, r - 1), 5)


def _sheet_risks(book: _Book) -> None:
    """The Risks sheet."""
    put = book.put
    sheet = book.sheet
    summaries = book.summaries
    labels = book.labels
    # -- Risks -------------------------------------------------------------------------
    ws = sheet("Risks", ["Scenario", "Ranked by", "Rank", "Risk", "Chance (all futures)",
                         "Expected delay (weeks)", "Expected cost", "P80 delay (weeks)",
                         "P90 delay (weeks)", "Cost added at P90", "Change in P(meet)"],
               {0: book.scenario_width, 1: 12, 2: 8, 3: 66}, height=46)
    r = 1
    for ident, s in summaries.items():
        cur = s["cost"]["currency"]
        rep = s["report"]
        for by, ranked in (("expected", rep["top_risks"]),
                           ("tail (P90)", rep.get("top_risks_p90", []))):
            for k, risk in enumerate(ranked, start=1):
                # a conditional risk: "name (100% if not audit-ready by 1 Mar 2027)";
                # Chance: all futures
                values = [(labels.get(ident, ident), "text"), (by, "text"), (k, "count"),
                          (risk_words(s, risk)[0], "text"),
                          (risk.get("chance", risk["probability"]), "pct"),
                          (risk["mean_finish_impact"], "weeks"),
                          (risk["mean_cost_impact"], "money"),
                          (risk["p80_finish_shift"], "weeks"),
                          (risk["p90_finish_shift"], "weeks"),
                          (risk.get("p90_cost_shift"), "money"),
                          (risk.get("p_meet_shift"), "pct")]
                for c, (value, kind) in enumerate(values):
                    put(ws, r, c, value, kind, cur)
                r += 1
    ws.autofilter(0, 0, max(1, r - 1), 10)


def _sheet_checks(book: _Book) -> None:
    """The Checks sheet."""
    put = book.put
    sheet = book.sheet
    summaries = book.summaries
    labels = book.labels
    # -- Checks ------------------------------------------------------------------------
    ws = sheet("Checks", ["Scenario", "Check", "Where", "What to check first"],
               {0: book.scenario_width, 1: 18, 2: 26, 3: 110})
    r = 1
    for ident, s in summaries.items():
        found = s.get("warnings") or []
        if not found:
            for c, v in enumerate([labels.get(ident, ident), "none", "",
                                   "the schedule health check found nothing"]):
                put(ws, r, c, v, "text")
            r += 1
        for w in found:
            for c, v in enumerate([labels.get(ident, ident), w.get("code", ""),
                                   w.get("where", ""), w.get("message", "")]):
                put(ws, r, c, v, "wrap" if c == 3 else "text")
            ws.set_row(r, 15 * max(1, -(-len(str(w.get("message", ""))) // 100)))  # no overlap
            r += 1
    ws.autofilter(0, 0, max(1, r - 1), 3)


def _sheet_cash_flow(book: _Book) -> None:
    """The Cash flow sheet."""
    put = book.put
    sheet = book.sheet
    summaries = book.summaries
    labels = book.labels
    # -- Cash flow ---------------------------------------------------------------------
    ws = sheet("Cash flow", ["Scenario", "Month end", "Cumulative spend P10",
                             "Cumulative spend P50", "Cumulative spend P90"],
               {0: book.scenario_width})
    r = 1
    for ident, s in summaries.items():
        cur = s["cost"]["currency"]
        for point in s["report"]["cash_flow_monthly"]:
            for c, (value, kind) in enumerate([(labels.get(ident, ident), "text"),
                                               (point["date"], "date"),
                                               (point["p10"], "money"), (point["p50"], "money"),
                                               (point["p90"], "money")]):
                put(ws, r, c, value, kind, cur)
            r += 1
    ws.autofilter(0, 0, max(1, r - 1), 4)


def _sheet_assumptions(book: _Book) -> None:
    """The Assumptions sheet."""
    put = book.put
    sheet = book.sheet
    batch = book.batch
    summaries = book.summaries
    labels = book.labels
    # -- Assumptions -------------------------------------------------------------------
    ws = sheet("Assumptions", ["Scenario", "Kind", "Item", "Estimate", "Depends on / affects",
                               "Weekly cost / probability", "Cost"],
               {0: book.scenario_width, 2: 60, 3: 30, 4: 40, 5: 18, 6: 18})
    r = 1
    for ident, s in summaries.items():
        cur = s["cost"]["currency"]
        tables = s["report"]["assumptions"]
        for w in tables["workstreams"]:
            for c, (v, kind) in enumerate([(labels.get(ident, ident), "text"),
                                           ("workstream", "text"), (w["workstream"], "text"),
                                           (str(w["duration (weeks)"]) + " weeks", "text"),
                                           (w["depends on"], "text"),
                                           (w["weekly cost"], "money")]):
                put(ws, r, c, v, kind, cur)
            r += 1
        for k in tables["risks"]:
            item = f"{k['risk']} ({k['when']})" if k.get("when") else k["risk"]
            for c, (v, kind) in enumerate([(labels.get(ident, ident), "text"),
                                           ("risk", "text"), (item, "text"),
                                           (k["impact"], "text"), (k["affects"], "text"),
                                           (k["probability"], "pct"), (k["cost"], "text")]):
                put(ws, r, c, v, kind, cur)
            r += 1
    for item in batch.items:
        for key, value in item.parameters.items():
            text = value if isinstance(value, str) else json.dumps(value)
            for c, v in enumerate([item.label, "parameter", key, text]):
                put(ws, r, c, v, "text")
            r += 1
    ws.autofilter(0, 0, max(1, r - 1), 6)


def _sheet_run_info(book: _Book) -> None:
    """The Run info sheet."""
    put = book.put
    sheet = book.sheet
    summaries = book.summaries
    record = book.record
    labels = book.labels
    # -- Run info ----------------------------------------------------------------------
    ws = sheet("Run info", ["Scenario", "Item", "Value"],
               {0: book.scenario_width, 1: 24, 2: 70})
    rows = [("(batch)", k, record.get(k, "")) for k in (
        "batch", "file", "file_sha256", "notebook", "notebook_sha256", "started",
        "finished")]
    for ident, s in summaries.items():
        p = s["provenance"]
        rows += [(labels.get(ident, ident), "riskmodel version", p["riskmodel_version"]),
                 (labels.get(ident, ident), "seed", str(p["seed"])),
                 (labels.get(ident, ident), "iterations", str(p["iterations"])),
                 (labels.get(ident, ident), "currency", s["cost"]["currency"]),
                 (labels.get(ident, ident), "created", p["created"]),
                 (labels.get(ident, ident), "scenario sha256", p["scenario_sha256"])]
        rows += [(labels.get(ident, ident), f"input {f}", h)
                 for f, h in p["input_files"].items()]
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            put(ws, r, c, v, "text")
    ws.autofilter(0, 0, max(1, len(rows)), 2)


def _header_text(title: str) -> str:
    """The batch title for a page header: ``&`` doubled (a header code otherwise)."""
    return " ".join(str(title).split())[:80].replace("&", "&&")


SHEETS = (
    _sheet_read_me,
    _sheet_summary,
    _sheet_cost_by_item,
    _sheet_risks,
    _sheet_checks,
    _sheet_cash_flow,
    _sheet_assumptions,
    _sheet_run_info,
)
"""The sheets, in their order."""


def write_workbook(path: Path, batch, summaries: dict[str, dict], table: pd.DataFrame,
                   record: dict[str, Any]) -> None:
    """Write ``forecast.xlsx`` (see the module's docstring for the sheets).

    Parameters
    ----------
    path : Path
        The ``.xlsx`` to write.
    batch : Batch
    summaries : dict of str to dict
        Each scenario's ``summary.json`` that ran.
    table : pandas.DataFrame
        ``outputs.summary_table``'s.
    record : dict
        The batch record.
    """
    book = _Book(path, batch, summaries, table, record)
    for write_sheet in SHEETS:
        write_sheet(book)
    book.wb.close()
