"""The batch-level outputs: summary.csv, comparison.html/.png, forecast.xlsx, deck.pptx."""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["write_batch_outputs", "summary_table", "atomic_write"]


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then move it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def summary_table(summaries: dict[str, dict], record: dict[str, Any]) -> pd.DataFrame:
    """One row per scenario of the batch (failed ones with their error)."""
    rows = []
    for ident, info in record["scenarios"].items():
        row: dict[str, Any] = {"scenario": ident, "label": info["label"],
                               "status": info["status"], "error": info.get("error", "")}
        s = summaries.get(ident)
        if s is not None:
            target_id, target = next(iter(s["targets"].items()))
            row.update({
                "target": target_id, "target_date": target["date"],
                "p_meet": target["probability"], "std_error": target["std_error"],
                "p50_date": s["finish_date"]["p50"], "p80_date": s["finish_date"]["p80"],
                "cost_mean": s["cost"]["mean"], "cost_p10": s["cost"]["p10"],
                "cost_p50": s["cost"]["p50"], "cost_p80": s["cost"]["p80"],
                "cost_p90": s["cost"]["p90"],
                "p_below_band": s["cost_band"]["p_below"],
                "p_within_band": s["cost_band"]["p_within"],
                "p_above_band": s["cost_band"]["p_above"],
                "contingency_p80_weeks": s["contingency"]["p80"]["weeks"],
                "contingency_p80_cost": s["contingency"]["p80"]["cost"],
                "jcl": s["jcl"]["probability"],
                "expected_cost_of_delay": next(iter(
                    s["report"]["cost_of_delay"].values()))["expected_cost_of_delay"],
                "iterations": s["iterations"], "seed": s["seed"],
            })
        rows.append(row)
    return pd.DataFrame(rows)


def _comparison_figures(summaries: dict[str, dict], labels: dict[str, str], folder: Path):
    """comparison.png (overlaid S-curves) and cost_band.png (cost ranges against the band)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plots import probability_curves

    groups: dict[str, list[str]] = {}  # one panel per headline target (readiness, report...)
    for ident, s in summaries.items():
        groups.setdefault(next(iter(s["targets"])), []).append(ident)
    fig, axes = plt.subplots(1, len(groups), figsize=(10 if len(groups) == 1 else 14, 5.5),
                             layout="constrained", squeeze=False)
    for ax, (target_id, idents) in zip(axes[0], groups.items()):
        curves = []
        for ident in idents:
            s = summaries[ident]
            start = np.datetime64(s["report"]["start_date"], "s")
            weeks = np.array(s["report"]["finish_quantiles"]["weeks"])
            target = s["targets"][target_id]
            curves.append((labels[ident],
                           start + np.round(weeks * 7 * 86400).astype("timedelta64[s]"),
                           np.linspace(0, 1, len(weeks)), target["date"],
                           target["probability"]))
        what = "being audit-ready" if target_id == "audit" else target_id.replace("_", " ")
        probability_curves(curves, ax, f"Probability of {what}, by scenario")
    atomic_write(folder / "comparison.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 5.5), layout="constrained")
    names = list(summaries)
    y = np.arange(len(names))[::-1]
    for yi, ident in zip(y, names):
        c = summaries[ident]["cost"]
        ax.plot([c["p10"], c["p90"]], [yi, yi], lw=10, color="#1f77b4", alpha=0.5,
                solid_capstyle="butt")
        ax.plot([c["p50"]], [yi], "o", color="#2ca02c", ms=9)
        ax.plot([c["p80"]], [yi], "D", color="#ff7f0e", ms=8)
    band = next(iter(summaries.values()))["cost_band"] if summaries else {"low": 0, "high": 0}
    ax.axvspan(band["low"], band["high"], color="#2ca02c", alpha=0.1, label="Budget band")
    ax.set_yticks(y, [labels[i] for i in names])
    ax.xaxis.set_major_formatter(lambda x, _: f"${x / 1e3:,.0f}k")
    ax.set_xlabel("Readiness cost: bar P10–P90, circle P50, diamond P80")
    ax.set_title("Cost by scenario against the budget band")
    ax.legend(loc="upper right")
    atomic_write(folder / "cost_band.png", lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def _comparison_html(table: pd.DataFrame, title: str, record: dict[str, Any]) -> str:
    e = html.escape
    rows = []
    for _, r in table.iterrows():
        link = f'<a href="{e(r.scenario)}/report.html">{e(str(r.label))}</a>' \
            if r.status == "ok" else e(str(r.label))
        if r.status == "ok":
            cells = [f"{r.p_meet:.0%}", e(str(r.p50_date)), e(str(r.p80_date)),
                     f"${r.cost_p50:,.0f}", f"${r.cost_p80:,.0f}",
                     f"{r.p_below_band:.0%} / {r.p_within_band:.0%} / {r.p_above_band:.0%}",
                     f"{r.jcl:.0%}"]
        else:
            cells = [f'<span class="err">failed: {e(str(r.error))}</span>'] + [""] * 6
        rows.append("<tr><td>" + link + "</td>" + "".join(f"<td>{c}</td>" for c in cells)
                    + "</tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.4em .8em;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.err{{color:#b00}}img{{max-width:100%}}</style>
</head><body>
<h1>{e(title)}</h1>
<p>{len(table)} scenarios, run {e(record['finished'])}; {record['failed']} failed.</p>
<table><tr><th>Scenario</th><th>P(meet target)</th><th>P50 date</th><th>P80 date</th>
<th>P50 cost</th><th>P80 cost</th><th>Cost below / within / above band</th>
<th>Joint confidence</th></tr>
{''.join(rows)}
</table>
<h2>Probability of meeting the target</h2><img src="comparison.png" alt="Overlaid S-curves">
<h2>Cost</h2><img src="cost_band.png" alt="Cost ranges against the budget band">
<p style="color:#666">riskmodel batch {e(record['batch'])}; batch file sha256
{e(record['file_sha256'])}.</p>
</body></html>
"""


def write_batch_outputs(batch_dir: Path, batch, summaries: dict[str, dict],
                        record: dict[str, Any]) -> None:
    """Write every batch-level output, each one atomically."""
    from .deck import write_deck
    from .workbook import write_workbook

    labels = {i.id: i.label for i in batch.items}
    table = summary_table(summaries, record)
    atomic_write(batch_dir / "summary.csv", lambda p: table.to_csv(p, index=False))
    if summaries:
        _comparison_figures(summaries, labels, batch_dir)
    text = _comparison_html(table, batch.title, record)
    atomic_write(batch_dir / "comparison.html", lambda p: p.write_text(text, encoding="utf-8"))
    atomic_write(batch_dir / "forecast.xlsx",
                 lambda p: write_workbook(p, batch, summaries, table, record))
    atomic_write(batch_dir / "deck.pptx",
                 lambda p: write_deck(p, batch, summaries, labels, batch_dir, record))
    atomic_write(batch_dir / "batch.json",
                 lambda p: p.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8"))
