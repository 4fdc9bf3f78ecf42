"""The leadership deck ``deck.pptx`` (python-pptx), readable projected at 16:9.

Slides: the title; the answer (the baseline's chance, what it costs, the option to take
and the date and budget to promise together); the options (P(meet) by scenario, change
from the baseline); the cost (numbers and ranges against the band); the baseline's risks
by expected and by tail (P90) impact; one slide per scenario; one per scenario that did
not run; the S-curves compared.

Every number is true as labelled: separate percentiles are never shown as a pair to
promise (the pair comes from the joint frontier, ``jcl.promise``), a second peak in the
dates or costs is named, contingency is split into estimates and risks.

Charts are drawn here from the summaries (not taken from the scenario folders), at the
size they are placed on the slide, so their text is at least ``MIN_PT`` points there.
Text boxes are sized (the font shrunk, then lines dropped) so that none overflows by the
estimate ``text_height``.
"""
from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..formatting import long_date, money, signed_money

__all__ = ["write_deck", "min_font", "money", "long_date", "peak_text", "promise_text", "recommend",
           "baseline_id", "text_height", "CONFIDENCE", "MIN_PT", "CHAR_WIDTH", "LINE_HEIGHT"]

CONFIDENCE = 0.8
"""The confidence an option must reach to be recommended (P(meet) >= 80%)."""
MIN_PT = 12
"""Smallest text on a slide and in a chart, in points at the slide's size."""
CHAR_WIDTH = 0.55
"""Average character width as a share of the font size (for the fit estimate)."""
LINE_HEIGHT = 1.2
"""Line height as a multiple of the font size."""
DPI = 150
ROWS_PER_SLIDE = 8
EMU_PER_PT = 12700

# -- words shared with the workbook and the comparison page --------------------------
def weeks_date(s: dict, weeks: float) -> str:
    """The date ``weeks`` after the scenario's start, rounded up to a day (as the results)."""
    start = dt.date.fromisoformat(s["report"]["start_date"])
    return long_date(start + dt.timedelta(days=math.ceil(round(weeks * 7, 9))))


def peak_text(s: dict, which: str) -> str | None:
    """``second peak: 15% of futures near 9 Dec 2027`` (or near a cost); None if one peak."""
    shape = (s.get("report", {}).get("modes") or {}).get(which)
    if not shape:
        return None
    second = shape["second"]
    where = weeks_date(s, second["value"]) if which == "finish" else \
        money(second["value"], s["cost"]["currency"])
    return f"second peak: {second['share']:.0%} of futures near {where}"


def budget_words(s: dict) -> str:
    """``$400,000 (the top of the cost band)`` or ``$450,000 (the budget)``."""
    j = s["jcl"]
    source = "the budget" if j["budget_source"] == "budget" else "the top of the cost band"
    return f"{money(j['budget'], s['cost']['currency'])} ({source})"


def promise_text(s: dict, level: str = "80") -> str:
    """The date and budget to promise together at ``level``% joint confidence, in words
    (the joint frontier; says so when neither is reachable)."""
    j, cur = s["jcl"], s["cost"]["currency"]
    p = j["promise"][level]
    parts = []
    if p["date_at_budget"]:
        parts.append(f"by {long_date(p['date_at_budget'])} within {budget_words(s)}")
    else:
        parts.append(f"no date reaches {level}% within {budget_words(s)}")
    if p["budget_at_date"] is not None:
        parts.append(f"by {long_date(p['date'])} with {money(p['budget_at_date'], cur)}")
    else:
        parts.append(f"no budget reaches {level}% by {long_date(p['date'])}")
    return "; ".join(parts)


def target_of(s: dict) -> tuple[str, dict]:
    """The headline target: (id, {milestone, date, probability, ...})."""
    return next(iter(s["targets"].items()))


def target_words(target_id: str, target: dict) -> str:
    """``audit-ready by 1 Mar 2027`` / ``report in hand by 30 Jul 2027``."""
    what = "audit-ready" if target_id == "audit" else target_id.replace("_", " ")
    return f"{what} by {long_date(target['date'])}"


def baseline_id(summaries: dict[str, dict], order: Iterable[str]) -> str | None:
    """The baseline: the first scenario of the batch that ran."""
    return next((i for i in order if i in summaries), None)


def recommend(summaries: dict[str, dict], order: Iterable[str],
              confidence: float = CONFIDENCE) -> dict[str, Any]:
    """The cheapest scenario (lowest mean cost) whose P(meet) reaches ``confidence``,
    among those with the baseline's headline target (another target, such as the report
    in hand, answers another question).

    Returns ``{"baseline", "choice" (None when none reaches it), "best" (the highest
    P(meet)), "comparable" (ids), "other_target" (ids)}``.
    """
    order = [i for i in order if i in summaries]
    base = baseline_id(summaries, order)
    if base is None:
        return {"baseline": None, "choice": None, "best": None, "comparable": [],
                "other_target": []}
    base_target = target_of(summaries[base])[0]
    comparable = [i for i in order if target_of(summaries[i])[0] == base_target]
    other = [i for i in order if i not in comparable]
    p = {i: target_of(summaries[i])[1]["probability"] for i in comparable}
    reach = [i for i in comparable if p[i] >= confidence]
    choice = min(reach, key=lambda i: (summaries[i]["cost"]["mean"], -p[i])) if reach else None
    best = max(comparable, key=lambda i: (p[i], -summaries[i]["cost"]["mean"]))
    return {"baseline": base, "choice": choice, "best": best, "comparable": comparable,
            "other_target": other}


def warnings_text(s: dict, limit: int = 1) -> str | None:
    """``Check first (2 checks, all in the workbook's Checks sheet): <message>`` or None."""
    found = s.get("warnings") or []
    if not found:
        return None
    shown = [w["message"] for w in found[:limit]]
    more = (f" ({len(found)} checks, all in the workbook's Checks sheet)"
            if len(found) > limit else "")
    return f"Check first{more}: " + "; ".join(shown)


# -- fitting text ----------------------------------------------------------------------
def text_height(paragraphs: list[tuple[str, float]], width_pt: float) -> float:
    """Estimated height (points) of ``(text, size)`` paragraphs in a box ``width_pt`` wide:
    each wraps to ceil(chars x CHAR_WIDTH x size / width) lines of LINE_HEIGHT x size."""
    total = 0.0
    for text, size in paragraphs:
        lines = max(1, math.ceil(len(text) * CHAR_WIDTH * size / width_pt))
        total += lines * LINE_HEIGHT * size
    return total


def _inner(frame, width_emu: int, height_emu: int) -> tuple[float, float]:
    """Width and height (points) inside a text frame's margins."""
    w = width_emu - (frame.margin_left or 0) - (frame.margin_right or 0)
    h = height_emu - (frame.margin_top or 0) - (frame.margin_bottom or 0)
    return w / EMU_PER_PT, h / EMU_PER_PT


def _fill(frame, width_emu, height_emu, lines, size, min_size=MIN_PT, first_size=None):
    """Put ``lines`` ((text, bold) pairs; "" for a gap) into ``frame`` at the largest size
    <= ``size`` that fits; below ``min_size`` drop lines from the end (ending with "...")."""
    from pptx.util import Pt

    frame.word_wrap = True
    width, height = _inner(frame, width_emu, height_emu)
    lines = list(lines)

    def sizes(sz):
        first = min(first_size, sz * first_size / size) if first_size else sz
        return [(t or " ", first if k == 0 and first_size else sz)
                for k, (t, _) in enumerate(lines)]

    sz = size
    while sz > min_size and text_height(sizes(sz), width) > height:
        sz -= 1
    while len(lines) > 1 and text_height(sizes(sz), width) > height:
        lines = lines[:-1]
        text, bold = lines[-1]
        lines[-1] = (text.rstrip(" .;:") + " ..." if text else "...", bold)
    while text_height(sizes(sz), width) > height and len(lines[-1][0]) > 4:
        text, bold = lines[-1]  # one paragraph still too long: shorten it by words
        cut = text[:-4].rsplit(" ", 1)[0] if " " in text[:-4] else text[:-5]
        lines[-1] = (cut.rstrip(" .;:,") + " ...", bold)
    for k, ((text, bold), (_, pt)) in enumerate(zip(lines, sizes(sz))):
        para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        para.text = text  # plain text: python-pptx escapes it for the XML
        para.font.size = Pt(pt)
        para.font.bold = bool(bold)


def _box(slide, left, top, width, height, lines, size=18, first_size=None):
    """A text box (inches) holding ``lines`` (text or (text, bold)), fitted."""
    from pptx.util import Inches

    lines = [(t, False) if isinstance(t, str) else t for t in lines]
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    _fill(box.text_frame, box.width, box.height, lines, size, first_size=first_size)
    return box


def _table(slide, left, top, width, rows, widths, size=14, row_height=0.4):
    """A table (first row the header) with fixed column widths (inches)."""
    from pptx.util import Inches, Pt

    shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(left), Inches(top),
                                   Inches(width), Inches(row_height * len(rows)))
    table = shape.table
    scale = width / sum(widths)
    for c, w in enumerate(widths):
        table.columns[c].width = Inches(w * scale)
    for r, row in enumerate(rows):
        table.rows[r].height = Inches(row_height)
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = str(value)
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            for para in cell.text_frame.paragraphs:
                para.font.size = Pt(size)
                para.font.bold = r == 0
    return shape


# -- charts ------------------------------------------------------------------------
def _rc():
    return {"font.size": 14, "axes.titlesize": 16, "axes.labelsize": 14,
            "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 13,
            "figure.dpi": DPI, "savefig.dpi": DPI}


def min_font(fig, size: float = MIN_PT + 1) -> float:
    """Raise every text of ``fig`` (labels, ticks, legends, annotations the shared plot
    functions write at 10 pt) to at least ``size`` points; returns the smallest after."""
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if t.get_text()]
    for text in texts:
        if text.get_fontsize() < size:
            text.set_fontsize(size)
    return min((t.get_fontsize() for t in texts), default=size)


def _save(fig, folder: Path, name: str) -> Path:
    import matplotlib.pyplot as plt

    min_font(fig)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=DPI, format="png")
    plt.close(fig)
    return path


def _picture(slide, path: Path, left, top, width, height):
    """Place a chart drawn at ``width`` x ``height`` inches at exactly that size."""
    from pptx.util import Inches

    return slide.shapes.add_picture(str(path), Inches(left), Inches(top), Inches(width),
                                    Inches(height))


def _options_chart(summaries, labels, ids, base, folder, name, size):
    import matplotlib.pyplot as plt
    import numpy as np

    from ..plots import plain_text

    b = summaries[base]
    b_tid, b_t = target_of(b)
    cur = b["cost"]["currency"]
    with plt.rc_context(_rc()):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        y = np.arange(len(ids))[::-1]
        for yi, ident in zip(y, ids):
            s = summaries[ident]
            tid, t = target_of(s)
            p = t["probability"]
            same = tid == b_tid
            color = "#7f7f7f" if ident == base else ("#2ca02c" if p >= CONFIDENCE else
                                                      "#1f77b4")
            if not same:
                color = "#bbbbbb"
            ax.barh(yi, p, color=color, height=0.7)
            if ident == base:
                note = f"{p:.0%}  (baseline, {money(s['cost']['mean'], cur, True)} mean)"
            elif not same:
                note = f"{p:.0%}  (another target: {target_words(tid, t)})"
            else:
                dc = s["cost"]["mean"] - b["cost"]["mean"]
                note = (f"{p:.0%}  ({(p - b_t['probability']) * 100:+.0f} pts, "
                        f"{signed_money(dc, s['cost']['currency'], True)} mean cost)")
            ax.text(p + 0.01, yi, plain_text(note), va="center", fontsize=13)
        ax.axvline(CONFIDENCE, color="#d62728", ls="--", lw=1.5)
        ax.text(CONFIDENCE, len(ids) - 0.45, f" {CONFIDENCE:.0%} confidence", color="#d62728",
                fontsize=13, va="bottom")
        ticks = []
        for ident in ids:
            tid, t = target_of(summaries[ident])
            label = labels.get(ident, ident)
            if t["date"] != b_t["date"] or tid != b_tid:
                label += f"\n(by {long_date(t['date'])})"
            ticks.append(plain_text(label))
        ax.set_yticks(y, ticks)
        ax.set_xlim(0, 1.6)
        ax.set_ylim(-0.6, len(ids) - 0.1)
        ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.set_xlabel(plain_text(f"P(meet the target); baseline: {target_words(b_tid, b_t)}"))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return _save(fig, folder, name)


def _cost_chart(summaries, labels, ids, folder, name, size):
    import matplotlib.pyplot as plt
    import numpy as np

    from ..plots import plain_text

    first = summaries[ids[0]]
    cur = first["cost"]["currency"]
    with plt.rc_context(_rc()):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        y = np.arange(len(ids))[::-1]
        for yi, ident in zip(y, ids):
            c = summaries[ident]["cost"]
            ax.plot([c["p10"], c["p90"]], [yi, yi], lw=9, color="#1f77b4", alpha=0.5,
                    solid_capstyle="butt", label="P10–P90" if yi == y[0] else None)
            ax.plot([c["p50"]], [yi], "o", color="#2ca02c", ms=9,
                    label="P50" if yi == y[0] else None)
            ax.plot([c["p80"]], [yi], "D", color="#ff7f0e", ms=8,
                    label="P80" if yi == y[0] else None)
        band = first["cost_band"]
        ax.axvspan(band["low"], band["high"], color="#2ca02c", alpha=0.1,
                   label=plain_text(f"Band {money(band['low'], cur, True)}–"
                                    f"{money(band['high'], cur, True)}"))
        ax.set_yticks(y, [plain_text(labels.get(i, i)) for i in ids])
        ax.xaxis.set_major_formatter(lambda x, _: plain_text(money(x, cur, True)))
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        ax.grid(axis="x", alpha=0.3)
        return _save(fig, folder, name)


def _curves_chart(summaries, labels, ids, folder, name, size, title):
    import matplotlib.pyplot as plt
    import numpy as np

    from ..plots import plain_text, probability_curves

    curves = []
    for ident in ids:
        s = summaries[ident]
        start = np.datetime64(s["report"]["start_date"], "s")
        weeks = np.array(s["report"]["finish_quantiles"]["weeks"])
        _, t = target_of(s)
        curves.append((labels.get(ident, ident),
                       start + np.round(weeks * 7 * 86400).astype("timedelta64[s]"),
                       np.linspace(0, 1, len(weeks)), t["date"], t["probability"]))
    with plt.rc_context(_rc()):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        probability_curves(curves, ax, plain_text(title))
        ax.set_ylabel("Share of futures finished")
        for line in (0.5, 0.8):
            ax.axhline(line, color="#999999", lw=0.8, ls=":")
        return _save(fig, folder, name)


# -- the deck ----------------------------------------------------------------------
def _chunks(items: list, n: int) -> list[list]:
    return [items[k:k + n] for k in range(0, len(items), n)] or [[]]


def write_deck(path: Path, batch, summaries: dict[str, dict], labels: dict[str, str],
               batch_dir: Path, record: dict[str, Any]) -> None:
    """Write the deck (see the module's docstring for the slides). ``batch_dir`` is not
    read: every chart is drawn from ``summaries``."""
    from pptx import Presentation
    from pptx.util import Inches

    from .. import __version__

    order = list(record["scenarios"])
    labels = {**{i: info.get("label", i) for i, info in record["scenarios"].items()},
              **labels}
    ok = [i for i in order if i in summaries]
    failed = [i for i in order if i not in summaries]

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    title_layout, title_only = prs.slide_layouts[0], prs.slide_layouts[5]

    slide = prs.slides.add_slide(title_layout)
    for shape, top, height in ((slide.shapes.title, 2.0, 1.8),
                               (slide.placeholders[1], 4.0, 1.2)):  # the template is 4:3
        shape.left, shape.width = Inches(0.8), prs.slide_width - Inches(1.6)
        shape.top, shape.height = Inches(top), Inches(height)
    _fill(slide.shapes.title.text_frame, slide.shapes.title.width, slide.shapes.title.height,
          [(batch.title, False)], 40)
    _fill(slide.placeholders[1].text_frame, slide.placeholders[1].width,
          slide.placeholders[1].height,
          [(f"{len(order)} scenarios · {long_date(record['finished'][:10])} · "
            f"riskmodel {__version__}", False)], 20)

    def titled(text):
        s = prs.slides.add_slide(title_only)
        title = s.shapes.title
        title.left, title.top = Inches(0.5), Inches(0.25)
        title.width, title.height = prs.slide_width - Inches(1.0), Inches(0.85)
        _fill(title.text_frame, title.width, title.height, [(text, False)], 32, min_size=20)
        return s

    with tempfile.TemporaryDirectory() as tmp:
        charts = Path(tmp)
        pick = recommend(summaries, order)
        base = pick["baseline"]

        # 1. The answer
        slide = titled("The answer")
        if base is None:
            _box(slide, 0.6, 1.3, 12.1, 5.8,
                 [("No scenario of this batch ran, so there is no forecast.", True),
                  "The slides that follow say why each failed."], size=28)
        else:
            _answer(slide, summaries, labels, pick)

        if base is not None:
            # 2. The options
            for k, ids in enumerate(_chunks(ok, ROWS_PER_SLIDE)):
                slide = titled("The options: chance of meeting the target" +
                               (f" ({k + 1})" if len(ok) > ROWS_PER_SLIDE else ""))
                h = min(5.3, 1.1 + 0.68 * len(ids))
                png = _options_chart(summaries, labels, ids, base, charts, f"options{k}",
                                     (12.3, h))
                _picture(slide, png, 0.5, 1.2, 12.3, h)
                note = [f"Green: at least {CONFIDENCE:.0%}. Points and mean cost are the "
                         "change from the baseline, on the same simulated futures."]
                if pick["other_target"]:
                    note.append("Grey: another target, not compared with the baseline.")
                _box(slide, 0.5, 1.3 + h, 12.3, 7.3 - 1.3 - h, [" ".join(note)], size=14)

            # 3. The cost
            for k, ids in enumerate(_chunks(ok, ROWS_PER_SLIDE)):
                slide = titled("What it costs" +
                               (f" ({k + 1})" if len(ok) > ROWS_PER_SLIDE else ""))
                _cost_slide(slide, summaries, labels, ids, charts, f"cost{k}")

            # 4. The risks (baseline)
            slide = titled(f"Risks to watch: {labels.get(base, base)}")
            _risk_slide(slide, summaries[base])

            # 5. One slide per scenario
            for ident in ok:
                slide = titled(labels.get(ident, ident))
                _scenario_slide(slide, summaries[ident], labels, ident, charts)

        # 6. One slide per scenario that did not run
        for ident in failed:
            info = record["scenarios"][ident]
            slide = titled(f"{labels.get(ident, ident)}: did not run")
            _box(slide, 0.6, 1.3, 12.1, 5.8, [
                ("There is no forecast for this scenario: its run failed.", True), "",
                "Why: " + " ".join(str(info.get("error", "") or "unknown").split()), "",
                "Its numbers are left out of every other slide, the workbook and "
                "summary.csv. Correct the scenario or the batch file and run the batch "
                "again (--resume re-runs only what failed)."], size=20)

        # 7. The S-curves compared (one slide per target)
        groups: dict[str, list[str]] = {}
        for ident in ok:
            groups.setdefault(target_of(summaries[ident])[0], []).append(ident)
        for n, (tid, ids) in enumerate(groups.items()):
            for k, chunk in enumerate(_chunks(ids, ROWS_PER_SLIDE)):
                what = "being audit-ready" if tid == "audit" else tid.replace("_", " ")
                slide = titled(f"Probability of {what}, by scenario")
                png = _curves_chart(summaries, labels, chunk, charts, f"curves{n}_{k}",
                                    (12.3, 6.0), "Dashed: each target date")
                _picture(slide, png, 0.5, 1.2, 12.3, 6.0)
        prs.save(str(path))


def _answer(slide, summaries, labels, pick):
    base = pick["baseline"]
    b = summaries[base]
    cur = b["cost"]["currency"]
    tid, t = target_of(b)
    c, band = b["cost"], b["cost_band"]
    lines: list[tuple[str, bool]] = [
        (f"{labels.get(base, base)}: {t['probability']:.0%} chance of being "
         f"{target_words(tid, t)}", True),
        (f"It costs {money(c['mean'], cur)} on average (P50 {money(c['p50'], cur)}, "
         f"P80 {money(c['p80'], cur)}); {band['p_within']:.0%} of futures fall within the "
         f"{money(band['low'], cur)}–{money(band['high'], cur)} band.", False),
        ("", False),
    ]
    choice = pick["choice"]
    if choice is None:
        best = summaries[pick["best"]]
        btid, bt = target_of(best)
        lines.append((f"No option reaches {CONFIDENCE:.0%}. The highest is "
                      f"{labels.get(pick['best'], pick['best'])}: "
                      f"{bt['probability']:.0%} chance of being {target_words(btid, bt)}, "
                      f"at {money(best['cost']['mean'], best['cost']['currency'])} on "
                      "average.", True))
        s = best
    else:
        s = summaries[choice]
        ctid, ct = target_of(s)
        ccur = s["cost"]["currency"]
        dc = s["cost"]["mean"] - c["mean"]
        if choice == base:
            lines.append((f"Recommended: keep the baseline; it already reaches "
                          f"{CONFIDENCE:.0%}.", True))
        else:
            lines.append((f"Recommended: {labels.get(choice, choice)}, the cheapest option "
                          f"with at least {CONFIDENCE:.0%} chance: {ct['probability']:.0%} "
                          f"of being {target_words(ctid, ct)}, at {money(s['cost']['mean'], ccur)}"
                          f" on average ({signed_money(dc, ccur)} against the baseline).",
                          True))
    lines.append((f"To promise a date and a budget together (80% joint confidence): "
                  f"{promise_text(s)}.", False))
    lines.append((f"Not a pair to promise: the separate P80 date and P80 cost both hold in "
                  f"only {s['jcl']['at_p80']['probability']:.0%} of futures.", False))
    for which in ("finish", "cost"):
        peak = peak_text(s, which)
        if peak:
            lines.append((("Dates" if which == "finish" else "Costs") + f" have a {peak}.",
                          False))
    warn = warnings_text(b)
    if warn:
        lines += [("", False), (warn, False)]
    _box(slide, 0.6, 1.25, 12.1, 5.95, lines, size=24, first_size=32)


def _cost_slide(slide, summaries, labels, ids, charts, name):
    first = summaries[ids[0]]
    cur = first["cost"]["currency"]
    band = first["cost_band"]
    mixed = len({(summaries[i]["cost"]["currency"], summaries[i]["cost_band"]["low"],
                  summaries[i]["cost_band"]["high"], summaries[i]["jcl"]["budget"])
                 for i in ids}) > 1  # one band, budget and currency for all, or say so
    _box(slide, 0.5, 1.1, 12.3, 0.5, [
        "Cost bands, budgets or currencies differ between these scenarios: each "
        "scenario's slide and the workbook's Summary give its own. Contingency = P80 "
        "minus the plan." if mixed else
        f"Band {money(band['low'], cur)}–{money(band['high'], cur)}; budget for joint "
        f"confidence {budget_words(first)}. Contingency = P80 minus the plan."], size=16)
    rows = [["Scenario", "Mean", "P50", "P80", "Within band", "Contingency to P80: "
             "estimates + risks"]]
    for ident in ids:
        s = summaries[ident]
        c, k = s["cost"], s["contingency"]["p80"]
        cc = c["currency"]
        split = (f"{money(k['from_estimates']['cost'], cc, True)} + "
                 f"{money(k['from_risks']['cost'], cc, True)}"
                 if "from_risks" in k else money(k["cost"], cc, True))
        rows.append([labels.get(ident, ident), money(c["mean"], cc), money(c["p50"], cc),
                     money(c["p80"], cc), f"{s['cost_band']['p_within']:.0%}", split])
    h_table = 0.36 * len(rows)
    _table(slide, 0.5, 1.65, 12.3, rows, [3.4, 1.5, 1.5, 1.5, 1.3, 3.1], size=13,
           row_height=0.36)
    top = 1.65 + h_table + 0.15
    h = 7.35 - top
    if not mixed and h >= 2.0:
        png = _cost_chart(summaries, labels, ids, charts, name, (12.3, h))
        _picture(slide, png, 0.5, top, 12.3, h)


def _risk_slide(slide, s):
    rep = s["report"]
    cur = s["cost"]["currency"]
    seen: dict[str, dict] = {}
    rank_e = {r["id"]: k + 1 for k, r in enumerate(rep["top_risks"])}
    rank_t = {r["id"]: k + 1 for k, r in enumerate(rep.get("top_risks_p90", []))}
    for r in rep["top_risks"] + rep.get("top_risks_p90", []):
        seen.setdefault(r["id"], r)
    rows = [["Risk", "Chance", "Expected delay", "Expected cost", "Delay at P90",
             "Ranked by"]]
    for rid, r in seen.items():
        ranks = [f"expected #{rank_e[rid]}" if rid in rank_e else "",
                 f"tail #{rank_t[rid]}" if rid in rank_t else ""]
        rows.append([r["name"], f"{r['probability']:.0%}", f"+{r['mean_finish_impact']:.1f} wk",
                     money(r["mean_cost_impact"], cur), f"+{r['p90_finish_shift']:.1f} wk",
                     ", ".join(x for x in ranks if x)])
    _box(slide, 0.5, 1.1, 12.3, 0.9, [
        "Expected: what each risk adds to the mean, over all futures. Tail: what it adds to "
        "the P90 (the bad case). A rare, large risk ranks low on one and high on the other."],
        size=16)
    _table(slide, 0.5, 2.05, 12.3, rows, [4.6, 1.0, 1.6, 1.7, 1.5, 2.2], size=14,
           row_height=0.5)
    _box(slide, 0.5, 2.05 + 0.5 * len(rows) + 0.2, 12.3, 0.9, [
        "Shifts do not add up across risks: removing two risks together is measured on the "
        "same futures (each scenario's report, 'risk removal')."], size=14)


def _scenario_slide(slide, s, labels, ident, charts):
    rep, cur = s["report"], s["cost"]["currency"]
    tid, t = target_of(s)
    fd, c, k = s["finish_date"], s["cost"], s["contingency"]["p80"]
    _box(slide, 0.5, 1.05, 12.3, 0.7, [(rep["headline"], True)], size=26)
    what = "audit-ready" if tid == "audit" else tid.replace("_", " ")
    png = _curves_chart({ident: s}, labels, [ident], charts, f"s_{ident}", (7.4, 4.6),
                        f"Probability of being {what}")
    _picture(slide, png, 0.4, 1.8, 7.4, 4.6)
    lines: list[tuple[str, bool]] = [
        (f"Finish P50 {long_date(fd['p50'])}, P80 {long_date(fd['p80'])}", False),
        (f"Cost P50 {money(c['p50'], cur)}, P80 {money(c['p80'], cur)}", False),
        (f"P80 date and P80 cost both met: {s['jcl']['at_p80']['probability']:.0%}", False),
        (f"Promise at 80% joint confidence: {promise_text(s)}", True),
    ]
    if "from_risks" in k:
        lines.append((f"Contingency to P80: {k['weeks']:+.1f} wk, {money(k['cost'], cur)}; "
                      f"estimates {k['from_estimates']['weeks']:+.1f} wk / "
                      f"{money(k['from_estimates']['cost'], cur)}, risks "
                      f"{k['from_risks']['weeks']:+.1f} wk / "
                      f"{money(k['from_risks']['cost'], cur)}", False))
    else:
        lines.append((f"Contingency to P80: {k['weeks']:+.1f} wk, {money(k['cost'], cur)}",
                      False))
    for which, noun in (("finish", "Dates"), ("cost", "Costs")):
        peak = peak_text(s, which)
        if peak:
            lines.append((f"{noun}: {peak}", True))
    risks = rep["top_risks"][:2]
    tail = [r for r in rep.get("top_risks_p90", [])[:2] if r["id"] not in
            {x["id"] for x in risks}]
    lines.append(("Top risks (expected / at P90):", False))
    for r in risks + tail:
        lines.append((f"• {r['name']} ({r['probability']:.0%}): "
                      f"+{r['mean_finish_impact']:.1f} / +{r['p90_finish_shift']:.1f} wk",
                      False))
    _box(slide, 8.0, 1.8, 4.95, 4.7, lines, size=15)
    warn = warnings_text(s)
    _box(slide, 0.5, 6.5, 12.3, 0.85, [warn or "Check first: the schedule health check "
                                       "found nothing."], size=14)
