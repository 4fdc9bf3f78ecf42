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

import tempfile
from pathlib import Path
from typing import Any

from ..formatting import long_date, money, percent, signed_money, target_name
from .slides import (
    CHAR_WIDTH,
    LINE_HEIGHT,
    MIN_PT,
    ROWS_PER_SLIDE,
    _box,
    _cost_chart,
    _curves_chart,
    _fill,
    _options_chart,
    _picture,
    _table,
    min_font,
    risk_words,
    text_height,
)
from .words import (
    CONFIDENCE,
    baseline_id,
    budget_words,
    peak_text,
    promise_text,
    recommend,
    target_of,
    target_words,
    waiting_text,
    warnings_text,
)

__all__ = ["write_deck", "min_font", "money", "long_date", "peak_text", "promise_text",
           "recommend", "baseline_id", "text_height", "CONFIDENCE", "MIN_PT", "CHAR_WIDTH",
           "LINE_HEIGHT"]


# -- the deck ----------------------------------------------------------------------
def _chunks(items: list, n: int) -> list[list]:
    return [items[k:k + n] for k in range(0, len(items), n)] or [[]]


def write_deck(path: Path, batch, summaries: dict[str, dict], labels: dict[str, str],
               batch_dir: Path, record: dict[str, Any]) -> None:
    """Write the deck (see the module's docstring for the slides). ``batch_dir`` is not
    read: every chart is drawn from ``summaries``.

    Parameters
    ----------
    path : Path
        The ``.pptx`` to write.
    batch : Batch
    summaries : dict of str to dict
        Each scenario's ``summary.json`` that ran.
    labels : dict of str to str
        Scenario labels by id.
    batch_dir : Path
        The batch's folder (not read; the charts are drawn in a temporary folder).
    record : dict
        The batch record.
    """
    from pptx import Presentation
    from pptx.util import Inches

    order = list(record["scenarios"])
    labels = {**{i: info.get("label", i) for i, info in record["scenarios"].items()},
              **labels}
    ok = [i for i in order if i in summaries]
    failed = [i for i in order if i not in summaries]

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    _title_slide(prs, batch.title, len(order), record)

    def titled(text):
        return _titled_slide(prs, text)

    with tempfile.TemporaryDirectory() as tmp:
        charts = Path(tmp)
        pick = recommend(summaries, order)
        base = pick["baseline"]
        _answer_slide(titled("The answer"), summaries, labels, pick)
        if base is not None:
            _option_slides(titled, summaries, labels, ok, pick, charts)
            for k, ids in enumerate(_chunks(ok, ROWS_PER_SLIDE)):
                slide = titled("What it costs" +
                               (f" ({k + 1})" if len(ok) > ROWS_PER_SLIDE else ""))
                _cost_slide(slide, summaries, labels, ids, charts, f"cost{k}")
            _risk_slide(titled(f"Risks to watch: {labels.get(base, base)}"), summaries[base])
            for ident in ok:
                _scenario_slide(titled(labels.get(ident, ident)), summaries[ident], labels,
                                ident, charts)
        for ident in failed:
            _failed_slide(titled(f"{labels.get(ident, ident)}: did not run"),
                          record["scenarios"][ident])
        _curve_slides(titled, summaries, labels, ok, charts)
        prs.save(str(path))


def _title_slide(prs, title: str, scenarios: int, record: dict[str, Any]) -> None:
    """The first slide: the batch's title; how many scenarios, when, which version."""
    from pptx.util import Inches

    from .. import __version__

    slide = prs.slides.add_slide(prs.slide_layouts[0])
    for shape, top, height in ((slide.shapes.title, 2.0, 1.8),
                               (slide.placeholders[1], 4.0, 1.2)):  # the template is 4:3
        shape.left, shape.width = Inches(0.8), prs.slide_width - Inches(1.6)
        shape.top, shape.height = Inches(top), Inches(height)
    _fill(slide.shapes.title.text_frame, slide.shapes.title.width, slide.shapes.title.height,
          [(title, False)], 40)
    _fill(slide.placeholders[1].text_frame, slide.placeholders[1].width,
          slide.placeholders[1].height,
          [(f"{scenarios} scenarios · {long_date(record['finished'][:10])} · "
            f"riskmodel {__version__}", False)], 20)


def _titled_slide(prs, text: str):
    """A new slide with a title only, ``text`` at the top."""
    from pptx.util import Inches

    s = prs.slides.add_slide(prs.slide_layouts[5])
    title = s.shapes.title
    title.left, title.top = Inches(0.5), Inches(0.25)
    title.width, title.height = prs.slide_width - Inches(1.0), Inches(0.85)
    _fill(title.text_frame, title.width, title.height, [(text, False)], 32, min_size=20)
    return s


def _answer_slide(slide, summaries, labels, pick) -> None:
    """The answer, or that there is none when no scenario ran."""
    if pick["baseline"] is None:
        _box(slide, 0.6, 1.3, 12.1, 5.8,
             [("No scenario of this batch ran, so there is no forecast.", True),
              "The slides that follow say why each failed."], size=28)
    else:
        _answer(slide, summaries, labels, pick)


def _option_slides(titled, summaries, labels, ok, pick, charts) -> None:
    """P(meet) by scenario against the baseline, ``ROWS_PER_SLIDE`` scenarios a slide."""
    for k, ids in enumerate(_chunks(ok, ROWS_PER_SLIDE)):
        slide = titled("The options: chance of meeting the target" +
                       (f" ({k + 1})" if len(ok) > ROWS_PER_SLIDE else ""))
        h = min(5.3, 1.1 + 0.68 * len(ids))
        png = _options_chart(summaries, labels, ids, pick["baseline"], charts, f"options{k}",
                             (12.3, h))
        _picture(slide, png, 0.5, 1.2, 12.3, h)
        note = [f"Green: at least {percent(CONFIDENCE)}. Points and mean cost are the "
                 "change from the baseline, on the same simulated futures."]
        if pick["other_target"]:
            note.append("Grey: another target, not compared with the baseline.")
        _box(slide, 0.5, 1.3 + h, 12.3, 7.3 - 1.3 - h, [" ".join(note)], size=14)


def _failed_slide(slide, info: dict[str, Any]) -> None:
    """A scenario that did not run: why, and what to do."""
    _box(slide, 0.6, 1.3, 12.1, 5.8, [
        ("There is no forecast for this scenario: its run failed.", True), "",
        "Why: " + " ".join(str(info.get("error", "") or "unknown").split()), "",
        "Its numbers are left out of every other slide, the workbook and "
        "summary.csv. Correct the scenario or the batch file and run the batch "
        "again (--resume re-runs only what failed)."], size=20)


def _curve_slides(titled, summaries, labels, ok, charts) -> None:
    """The S-curves compared: one slide per target (and per ``ROWS_PER_SLIDE`` of them)."""
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


def _answer(slide, summaries, labels, pick):
    base = pick["baseline"]
    b = summaries[base]
    cur = b["cost"]["currency"]
    tid, t = target_of(b)
    c, band = b["cost"], b["cost_band"]
    lines: list[tuple[str, bool]] = [
        (f"{labels.get(base, base)}: {percent(t['probability'])} chance of being "
         f"{target_words(tid, t)}", True),
        (f"It costs {money(c['mean'], cur)} on average (P50 {money(c['p50'], cur)}, "
         f"P80 {money(c['p80'], cur)}); {percent(band['p_within'])} of futures fall within the "
         f"{money(band['low'], cur)}–{money(band['high'], cur)} band.", False),
        ("", False),
    ]
    s = _recommendation(lines, summaries, labels, pick)
    lines.append((f"To promise a date and a budget together (80% joint confidence): "
                  f"{promise_text(s)}.", False))
    lines.append((f"Not a pair to promise: the separate P80 date and P80 cost both hold in "
                  f"only {percent(s['jcl']['at_p80']['probability'])} of futures.", False))
    lines += _shape_and_waiting(b, s)
    lines += _others_waiting(summaries, labels, pick, b, s)
    lines += _other_targets(summaries, labels, pick)
    warn = warnings_text(b)
    if warn:
        lines += [("", False), (warn, False)]
    _box(slide, 0.6, 1.25, 12.1, 5.95, lines, size=24, first_size=32)


def _recommendation(lines: list[tuple[str, bool]], summaries, labels, pick) -> dict:
    """Add the option to take (or that none reaches ``CONFIDENCE``) to ``lines``; returns
    the summary the promise is about: the choice, else the best option, else the
    baseline."""
    base = pick["baseline"]
    b = summaries[base]
    choice = pick["choice"]
    if choice is None and pick["comparable"] == [base]:
        lines.append((f"It is the only option for this target, and it does not reach "
                      f"{percent(CONFIDENCE)}.", True))
        return b
    if choice is None:
        best = summaries[pick["best"]]
        btid, bt = target_of(best)
        lines.append((f"No option reaches {percent(CONFIDENCE)}. The highest is "
                      f"{labels.get(pick['best'], pick['best'])}: "
                      f"{percent(bt['probability'])} chance of being {target_words(btid, bt)}, "
                      f"at {money(best['cost']['mean'], best['cost']['currency'])} on "
                      "average.", True))
        return best
    s = summaries[choice]
    ctid, ct = target_of(s)
    ccur = s["cost"]["currency"]
    dc = s["cost"]["mean"] - b["cost"]["mean"]
    if choice == base:
        lines.append((f"Recommended: keep the baseline; it already reaches "
                      f"{percent(CONFIDENCE)}.", True))
    else:
        lines.append((f"Recommended: {labels.get(choice, choice)}, the cheapest option "
                      f"with at least {percent(CONFIDENCE)} chance: {percent(ct['probability'])} "
                      f"of being {target_words(ctid, ct)}, at {money(s['cost']['mean'], ccur)}"
                      f" on average ({signed_money(dc, ccur)} against the baseline).",
                      True))
    return s


def _shape_and_waiting(b: dict, s: dict) -> list[tuple[str, bool]]:
    """Second peaks in the dates and costs, and what waiting for people costs, of the
    baseline ``b`` and of the option ``s`` the promise is about (when it is another)."""
    lines: list[tuple[str, bool]] = []
    for who, summary in (("The baseline's", b), ("That option's", s)):
        if who != "The baseline's" and summary is b:
            continue
        for which in ("finish", "cost"):
            peak = peak_text(summary, which)
            if peak:
                noun = "dates" if which == "finish" else "costs"
                lines.append((f"{who} {noun} have a {peak}.", False))
        wait = waiting_text(summary)
        if wait:
            lines.append((f"{who[:-2]}: {wait[0].lower()}{wait[1:]}.", False))
    return lines


def _others_waiting(summaries, labels, pick, b: dict, s: dict) -> list[tuple[str, bool]]:
    """What waiting for people costs the other comparable options (their own slides name
    the role)."""
    lines: list[tuple[str, bool]] = []
    for i in pick["comparable"]:
        wait = waiting_text(summaries[i]) if summaries[i] is not b and \
            summaries[i] is not s else None
        if wait:
            wait = wait.split("; ", 1)[0]
            lines.append((f"{labels.get(i, i)}: {wait[0].lower()}{wait[1:]}.", False))
    return lines


def _other_targets(summaries, labels, pick) -> list[tuple[str, bool]]:
    """Options with another target than the baseline's: the best of each target."""
    lines: list[tuple[str, bool]] = []
    others: dict[str, list[str]] = {}
    for i in pick["other_target"]:
        others.setdefault(target_of(summaries[i])[0], []).append(i)
    if others:
        lines += [("", False), ("Options with another target (not compared with the "
                                "baseline):", True)]
    for otid, ids in others.items():
        top = max(ids, key=lambda i: (target_of(summaries[i])[1]["probability"],
                                      -summaries[i]["cost"]["mean"]))
        o = summaries[top]
        _, ot = target_of(o)
        text = (f"{target_words(otid, ot)}: the highest is {labels.get(top, top)}, "
                f"{percent(ot['probability'])}, at "
                f"{money(o['cost']['mean'], o['cost']['currency'])}"
                " on average")
        peak = peak_text(o, "finish")
        lines.append((text + (f"; its dates have a {peak}." if peak else "."), False))
    return lines


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
                     money(c["p80"], cc), percent(s['cost_band']['p_within']), split])
    table = _table(slide, 0.5, 1.65, 12.3, rows, [3.4, 1.5, 1.5, 1.5, 1.3, 3.1], size=13,
                   row_height=0.36)
    top = 1.65 + table.height / 914400 + 0.15
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
        name, chance = risk_words(s, r)  # chance: over all futures
        rows.append([name, chance, f"+{r['mean_finish_impact']:.1f} wk",
                     money(r["mean_cost_impact"], cur), f"+{r['p90_finish_shift']:.1f} wk",
                     ", ".join(x for x in ranks if x)])
    _box(slide, 0.5, 1.1, 12.3, 0.9, [
        "Expected: what each risk adds to the mean, over all futures. Tail: what it adds to "
        "the P90 (the bad case). A rare, large risk ranks low on one and high on the other."],
        size=16)
    table = _table(slide, 0.5, 2.05, 12.3, rows, [4.6, 1.0, 1.6, 1.7, 1.5, 2.2], size=14,
                   row_height=0.5)
    _box(slide, 0.5, 2.05 + table.height / 914400 + 0.2, 12.3, 0.9, [
        "Chance: the share of all futures in which the risk occurs. Shifts do not add up "
        "across risks: removing two risks together is measured on the same futures (each "
        "scenario's report, 'risk removal')."], size=14)


def _scenario_slide(slide, s, labels, ident, charts):
    rep, cur = s["report"], s["cost"]["currency"]
    tid, t = target_of(s)
    fd, c, k = s["finish_date"], s["cost"], s["contingency"]["p80"]
    _box(slide, 0.5, 1.05, 12.3, 0.7, [(rep["headline"], True)], size=26)
    what = target_name(tid)
    png = _curves_chart({ident: s}, labels, [ident], charts, f"s_{ident}", (7.4, 4.6),
                        f"Probability of being {what}")
    _picture(slide, png, 0.4, 1.8, 7.4, 4.6)
    lines: list[tuple[str, bool]] = [
        (f"Finish P50 {long_date(fd['p50'])}, P80 {long_date(fd['p80'])}", False),
        (f"Cost P50 {money(c['p50'], cur)}, P80 {money(c['p80'], cur)}", False),
        (f"P80 date and P80 cost both met: {percent(s['jcl']['at_p80']['probability'])}", False),
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
            lines.append((f"{noun} have a {peak}", True))
    wait = waiting_text(s)
    if wait:
        lines.append((wait, True))
    risks = rep["top_risks"][:2]
    tail = [r for r in rep.get("top_risks_p90", [])[:2] if r["id"] not in
            {x["id"] for x in risks}]
    lines.append(("Top risks (expected / at P90):", False))
    for r in risks + tail:
        name, chance = risk_words(s, r)
        text = (f"{r['name']} ({percent(r['probability'])})" if name == r["name"] else
                f"{name[:-1]}; {chance} of futures)")  # "(100% if ...; 54% of futures)"
        lines.append((f"• {text}: "
                      f"+{r['mean_finish_impact']:.1f} / +{r['p90_finish_shift']:.1f} wk",
                      False))
    _box(slide, 8.0, 1.8, 4.95, 4.7, lines, size=15)
    warn = warnings_text(s)
    _box(slide, 0.5, 6.5, 12.3, 0.85, [warn or "Check first: the schedule health check "
                                       "found nothing."], size=14)
