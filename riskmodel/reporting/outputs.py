"""The batch-level outputs: summary.csv, comparison.html/.png, forecast.xlsx, deck.pptx."""
from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..document import summary_row
from .files import atomic_write, umask

__all__ = ["write_batch_outputs", "summary_table", "csv_safe"]


def _joint_columns(s: dict) -> dict[str, Any]:
    """summary.csv's columns that are true as labelled: the joint confidence (budget and
    its source), the pair to promise at 80% (blank: not reachable), the contingency split,
    second peaks, what waiting for people moves (blank without capacities) and the number
    of schedule checks."""
    from .words import peak_text

    j, cont = s["jcl"], s["contingency"]["p80"]
    promise80 = j["promise"]["80"]
    modes = s.get("report", {}).get("modes") or {}
    out: dict[str, Any] = {
        "currency": s["cost"]["currency"],
        "band_low": s["cost_band"]["low"], "band_high": s["cost_band"]["high"],
        "jcl_budget": j["budget"], "jcl_budget_source": j["budget_source"],
        "jcl_at_p80": j["at_p80"]["probability"],
        "promise80_date_at_budget": promise80["date_at_budget"] or "",
        "promise80_budget_at_date": promise80["budget_at_date"],
    }
    for part in ("from_estimates", "from_risks"):
        split = cont.get(part) or {}
        out[f"contingency_p80_{part}_weeks"] = split.get("weeks")
        out[f"contingency_p80_{part}_cost"] = split.get("cost")
    for which in ("finish", "cost"):
        shape = modes.get(which)
        out[f"second_peak_{which}"] = peak_text(s, which) or ""
        out[f"second_peak_{which}_share"] = shape["second"]["share"] if shape else None
    lev = s.get("levelling") or {}  # blank without capacities
    out["waiting_p80_shift_weeks"] = lev.get("p80_shift_weeks")
    out["waiting_p_meet_change"] = lev.get("p_meet_change")
    out["warnings"] = len(s.get("warnings") or [])
    return out


def summary_table(summaries: dict[str, dict], record: dict[str, Any]) -> pd.DataFrame:
    """One row per scenario of the batch (failed ones with their error).

    Parameters
    ----------
    summaries : dict of str to dict
        Each scenario's ``summary.json`` that ran.
    record : dict
        The batch record (``batch.json``): every scenario's label and status.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``label``, ``status``, ``error``, then ``document.summary_row``'s
        columns and the batch's own (currency, band, joint confidence, promise,
        contingency split, second peaks, waiting, checks).
    """
    rows = []
    for ident, info in record["scenarios"].items():
        row: dict[str, Any] = {"scenario": ident, "label": info["label"],
                               "status": info["status"], "error": info.get("error", "")}
        s = summaries.get(ident)
        if s is not None:
            row.update(summary_row(s))  # the headline row, read from summary.json
            row.update(_joint_columns(s))
        rows.append(row)
    return pd.DataFrame(rows)


def _comparison_figures(summaries: dict[str, dict], labels: dict[str, str], folder: Path):
    """comparison.png (overlaid S-curves) and cost_band.png (cost ranges against the band)."""
    import matplotlib

    matplotlib.use("Agg")
    _s_curves_png(summaries, labels, folder)
    _cost_band_png(summaries, labels, folder)


def _s_curves_png(summaries: dict[str, dict], labels: dict[str, str], folder: Path) -> None:
    """comparison.png: the scenarios' S-curves, a panel per headline target."""
    import matplotlib.pyplot as plt

    from ..formatting import target_name
    from ..plots import probability_curves
    from .words import s_curve_of

    groups: dict[str, list[str]] = {}  # one panel per headline target (readiness, report...)
    for ident, s in summaries.items():
        groups.setdefault(next(iter(s["targets"])), []).append(ident)
    # one panel a row (one per headline target): each as wide as the page, room for labels
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 5.2 * len(groups)),
                             layout="constrained", squeeze=False)
    for ax, (target_id, idents) in zip(axes[:, 0], groups.items()):
        # probability_curves makes the labels plain text
        curves = [s_curve_of(summaries[ident], labels[ident]) for ident in idents]
        what = "being audit-ready" if target_id == "audit" else target_name(target_id)
        probability_curves(curves, ax, f"Probability of {what}, by scenario")
    atomic_write(folder / "comparison.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def _cost_band_png(summaries: dict[str, dict], labels: dict[str, str], folder: Path) -> None:
    """cost_band.png: each scenario's cost range against the band (those of the first
    scenario's currency and band)."""
    import matplotlib.pyplot as plt

    from ..plots import plain_text

    fig, ax = plt.subplots(figsize=(10, 5.5), layout="constrained")

    def scale(s):  # one axis holds one currency and one band
        return (s["cost"]["currency"], s["cost_band"]["low"], s["cost_band"]["high"])

    first = scale(next(iter(summaries.values()))) if summaries else None
    names = [i for i, s in summaries.items() if scale(s) == first]
    left_out = len(summaries) - len(names)
    y = np.arange(len(names))[::-1]
    for yi, ident in zip(y, names):
        c = summaries[ident]["cost"]
        ax.plot([c["p10"], c["p90"]], [yi, yi], lw=10, color="#1f77b4", alpha=0.5,
                solid_capstyle="butt")
        ax.plot([c["p50"]], [yi], "o", color="#2ca02c", ms=9)
        ax.plot([c["p80"]], [yi], "D", color="#ff7f0e", ms=8)
    band = next(iter(summaries.values()))["cost_band"] if summaries else {"low": 0, "high": 0}
    ax.axvspan(band["low"], band["high"], color="#2ca02c", alpha=0.1, label="Cost band")
    ax.set_yticks(y, [plain_text(labels[i]) for i in names])
    from ..formatting import money

    currency = next(iter(summaries.values()))["cost"]["currency"]
    ax.xaxis.set_major_formatter(lambda x, _: plain_text(money(x, currency, short=True)))
    ax.set_xlabel("Readiness cost: bar P10–P90, circle P50, diamond P80")
    ax.set_title("Cost by scenario against the cost band" + (
        f" ({left_out} in another currency or band: see the table)" if left_out else ""))
    ax.legend(loc="upper right")
    atomic_write(folder / "cost_band.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def _comparison_html(table: pd.DataFrame, title: str, record: dict[str, Any]) -> str:
    """The comparison page: each row's target, band and budget with the numbers; no
    separate percentiles shown as a pair to promise. Self-contained (no external URLs)."""
    e = html.escape
    rows = []
    for _, r in table.iterrows():
        link = f'<a href="{e(r.scenario)}/report.html">{e(str(r.label))}</a>' \
            if r.status == "ok" else e(str(r.label))
        if r.status == "ok":
            cells = _comparison_cells(r)
        else:
            cells = [f'<span class="err">failed: {e(str(r.error))}</span>']
        row = "<tr><td>" + link + "</td>" + "".join(f"<td>{c}</td>" for c in cells)
        if len(cells) == 1:
            row = f'<tr><td>{link}</td><td colspan="11" class="l">{cells[0]}</td>'
        rows.append(row + "</tr>")
    return _comparison_page(table, title, record, rows)


def _blank(x) -> bool:
    return x is None or x == "" or (isinstance(x, float) and x != x)


def _comparison_cells(r) -> list[str]:
    """The comparison page's cells (HTML) of a scenario that ran: a row of
    ``summary_table``."""
    from ..formatting import long_date, money, percent, target_name

    e = html.escape
    cur = str(r.get("currency", "USD") or "USD")

    def m(x, cur=cur):
        return e(money(x, cur))
    source = "budget" if r.get("jcl_budget_source") == "budget" else "band top"
    what = target_name(r.target)
    promise = []
    if not _blank(r.get("promise80_date_at_budget")):
        promise.append(f"by {e(long_date(str(r.promise80_date_at_budget)))} "
                       f"within {m(r.jcl_budget)}")
    if not _blank(r.get("promise80_budget_at_date")):
        promise.append(f"{m(r.promise80_budget_at_date)} by "
                       f"{e(long_date(str(r.target_date)))}")
    split = "" if _blank(r.get("contingency_p80_from_risks_cost")) else (
        f"<br><small>estimates {m(r.contingency_p80_from_estimates_cost)}, risks "
        f"{m(r.contingency_p80_from_risks_cost)}</small>")
    found = [e(str(r.get(f"second_peak_{w}") or "")) for w in ("finish", "cost")]
    peaks = "<br>".join(f"{n}: {p}" for n, p in zip(("dates", "costs"), found) if p)
    return [
        f"{e(what)} by {e(long_date(str(r.target_date)))}",
        f"<b>{percent(r.p_meet)}</b>",
        f"{e(long_date(str(r.p50_date)))} / {e(long_date(str(r.p80_date)))}",
        f"{m(r.cost_p50)} / {m(r.cost_p80)}",
        f"{m(r.band_low)}–{m(r.band_high)}<br><small>{percent(r.p_below_band)} below, "
        f"{percent(r.p_within_band)} within, {percent(r.p_above_band)} above</small>",
        f"{percent(r.jcl)}<br><small>by the target date, cost ≤ {m(r.jcl_budget)} "
        f"({source})</small>",
        percent(r.jcl_at_p80),
        "; ".join(promise) or "not reachable at 80%",
        f"{r.contingency_p80_weeks:+.1f} wk, {m(r.contingency_p80_cost)}{split}",
        peaks or "none",
        f"{int(r.warnings)}" if not _blank(r.get("warnings")) else "",
    ]


def _comparison_page(table: pd.DataFrame, title: str, record: dict[str, Any],
                     rows: list[str]) -> str:
    """The comparison page around its table's ``rows``: the headers, what the figures
    mean, the two charts and the batch file's hash."""
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:sans-serif;max-width:1500px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;font-size:14px}}
td,th{{border-bottom:1px solid #ddd;padding:.4em .6em;text-align:right;vertical-align:top}}
th{{background:#f3f6fa}}td:first-child,th:first-child,td.l{{text-align:left}}.err{{color:#b00}}
small{{color:#555}}img{{max-width:100%}}dt{{font-weight:bold}}dd{{margin:0 0 .5em 1em}}</style>
</head><body>
<h1>{e(title)}</h1>
<p>{len(table)} scenarios, run {e(record['finished'])}; {record['failed']} failed.</p>
<table><tr><th>Scenario</th><th>Target</th><th>P(meet target)</th><th>P50 / P80 date</th>
<th>P50 / P80 cost</th><th>Cost band</th><th>P(target date and cost ≤ budget)</th>
<th>P80 date and P80 cost both met</th><th>Promise with 80% joint confidence</th>
<th>Contingency to P80</th><th>Second peak</th><th>Checks to read</th></tr>
{''.join(rows)}
</table>
<dl>
<dt>P50 / P80</dt><dd>Separate percentiles: half (four in five) of the futures finish by
the date, and separately cost less than the cost. They are not met together that often:
see "P80 date and P80 cost both met".</dd>
<dt>Promise with 80% joint confidence</dt><dd>The date within the budget, or the budget by
the target date, that hold together in 80% of futures ("not reachable": none does).</dd>
<dt>Contingency to P80</dt><dd>P80 minus the deterministic plan; "estimates" is what
estimate uncertainty gives (every risk off), "risks" the rest.</dd>
<dt>Second peak</dt><dd>Some futures form a separate group (a rare, large risk); an average
or a P50 hides it.</dd>
<dt>Checks to read</dt><dd>Warnings of the schedule health check: see each report.</dd>
</dl>
<h2>Probability of meeting the target</h2><img src="comparison.png" alt="Overlaid S-curves">
<h2>Cost</h2><img src="cost_band.png" alt="Cost ranges against the budget band">
<p style="color:#666">riskmodel batch {e(record['batch'])}; batch file sha256
{e(record['file_sha256'])}.</p>
</body></html>
"""


def csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
    CR first) gets a leading ``'`` (OWASP's advice for CSV injection); other values pass.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def write_batch_outputs(batch_dir: Path, batch, summaries: dict[str, dict],
                        record: dict[str, Any]) -> dict[str, str]:
    """Write every batch-level output; returns {file: why} for those that failed.

    All are written into a temporary folder first and moved into place together at
    the end, with the permissions the umask gives. One output that fails (a figure
    that cannot be drawn...) is recorded in ``record["output_errors"]`` (and so in
    ``batch.json``) and the others are still written; a write error (a full disk)
    moves nothing and raises ``OSError`` naming the file.

    Parameters
    ----------
    batch_dir : Path
        The batch's folder.
    batch : Batch
        The batch read (``title``, ``items``).
    summaries : dict of str to dict
        Each scenario's ``summary.json`` that ran.
    record : dict
        The batch record; gets ``output_errors``.

    Returns
    -------
    dict of str to str

    Raises
    ------
    OSError
        A write error (a full disk), naming the file; nothing is moved into place.
    """
    import shutil

    from .deck import write_deck
    from .workbook import write_workbook

    labels = {i.id: i.label for i in batch.items}
    table = summary_table(summaries, record)
    stage = Path(tempfile.mkdtemp(dir=batch_dir, prefix=".out-"))
    errors: dict[str, str] = {}
    record["output_errors"] = errors
    csv_table = table.apply(lambda column: column.map(csv_safe))  # numbers pass as they are
    html_text = _comparison_html(table, batch.title, record)
    steps: list[tuple[tuple[str, ...], Callable[[], object]]] = [
        (("summary.csv",), lambda: csv_table.to_csv(stage / "summary.csv", index=False)),
        (("comparison.png", "cost_band.png"),
         lambda: _comparison_figures(summaries, labels, stage) if summaries else None),
        (("comparison.html",),
         lambda: (stage / "comparison.html").write_text(html_text, encoding="utf-8")),
        (("forecast.xlsx",),
         lambda: write_workbook(stage / "forecast.xlsx", batch, summaries, table, record)),
        (("deck.pptx",),
         lambda: write_deck(stage / "deck.pptx", batch, summaries, labels, stage, record)),
    ]
    try:
        for names, write in steps:
            try:
                write()
            except OSError as exc:  # a full disk, a folder gone: nothing is moved
                exc.filename = str(batch_dir / names[0])
                raise
            except Exception as exc:  # noqa: BLE001 - recorded, the others go on
                errors[names[0]] = f"{type(exc).__name__}: {_one_line(exc)}"
                for name in names:
                    (stage / name).unlink(missing_ok=True)
        try:
            (stage / "batch.json").write_text(json.dumps(record, indent=2) + "\n",
                                             encoding="utf-8")
        except OSError as exc:
            exc.filename = str(batch_dir / "batch.json")
            raise
        mode = 0o666 & ~umask()
        made = [p for p in stage.iterdir() if p.is_file()]
        for path in made:
            os.chmod(path, mode)
        for names, _ in steps:  # an output that failed now must not stay from an old run
            for name in names:
                if not (stage / name).exists():
                    old = batch_dir / name
                    if old.is_symlink() or old.is_file():
                        old.unlink()
        for path in sorted(made, key=lambda p: p.name == "batch.json"):  # batch.json last
            os.replace(path, batch_dir / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return errors
