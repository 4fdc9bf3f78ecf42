"""Slide parts: text boxes and tables that fit their shapes, and charts drawn at the
size they are placed, so that slide text is at least ``MIN_PT`` points."""
from __future__ import annotations

import math
from pathlib import Path

from ..formatting import axis_percent, long_date, money, percent, points, signed_money
from .words import CONFIDENCE, s_curve_of, target_of, target_words

__all__ = ["MIN_PT", "CHAR_WIDTH", "LINE_HEIGHT", "DPI", "ROWS_PER_SLIDE", "EMU_PER_PT",
           "text_height", "min_font", "risk_words"]

MIN_PT = 12
"""Smallest text on a slide and in a chart, in points at the slide's size."""
CHAR_WIDTH = 0.55
"""Average character width as a share of the font size (for the fit estimate)."""
LINE_HEIGHT = 1.2
"""Line height as a multiple of the font size."""
DPI = 150
ROWS_PER_SLIDE = 8
EMU_PER_PT = 12700

# -- fitting text ----------------------------------------------------------------------
def text_height(paragraphs: list[tuple[str, float]], width_pt: float) -> float:
    """Estimated height (points) of ``(text, size)`` paragraphs in a box ``width_pt`` wide:
    each wraps to ceil(chars x CHAR_WIDTH x size / width) lines of LINE_HEIGHT x size.

    Parameters
    ----------
    paragraphs : list of (str, float)
        Each paragraph's text and font size in points.
    width_pt : float
        The box's inner width in points.

    Returns
    -------
    float
        Points.
    """
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
    """A table (first row the header) with fixed column widths (inches). A row is at
    least ``row_height`` and as tall as its wrapped text (the estimate ``text_height``), so
    the table's height (``shape.height``) is where what follows it may start."""
    from pptx.util import Inches, Pt

    scale = width / sum(widths)
    margin = 0.06  # inches, left and right of each cell's text
    heights = [max(row_height, max(
        text_height([(str(v) or " ", size)], (w * scale - 2 * margin) * 72)
        for v, w in zip(row, widths)) / 72 + 0.06 + 0.02) for row in rows]
    shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(left), Inches(top),
                                   Inches(width), Inches(sum(heights)))
    table = shape.table
    for c, w in enumerate(widths):
        table.columns[c].width = Inches(w * scale)
    for r, row in enumerate(rows):
        table.rows[r].height = Inches(heights[r])
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = str(value)
            cell.margin_left = cell.margin_right = Inches(margin)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            for para in cell.text_frame.paragraphs:
                para.font.size = Pt(size)
                para.font.bold = r == 0
    return shape


def risk_words(s: dict, r: dict) -> tuple[str, str]:
    """A top risk of summary ``s`` as a reader needs it: (name, chance). A conditional
    risk's probability holds only given its condition, so its name carries both (``Late
    readiness moves the window (100% if not audit-ready by 1 Mar 2027)``) and the chance
    is the share of all futures in which it occurs; otherwise (name, probability).

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.
    r : dict
        One of its top risks: ``name``, ``probability``, and ``id`` and ``chance`` where
        the report has them.

    Returns
    -------
    tuple of (str, str)
        The name and the chance as a percentage.
    """
    when = ((s.get("risks") or {}).get(r.get("id")) or {}).get("when")
    chance = r.get("chance", r["probability"])  # reports before 0.3 have no chance
    name = r["name"]
    if not when:
        return name, percent(chance)
    suffix = f" ({when})"
    if name.endswith(suffix):
        name = name[:-len(suffix)]
    return f"{name} ({percent(r['probability'])} {when})", percent(chance)


# -- charts ------------------------------------------------------------------------
def _rc():
    return {"font.size": 14, "axes.titlesize": 16, "axes.labelsize": 14,
            "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 13,
            "figure.dpi": DPI, "savefig.dpi": DPI}


def min_font(fig, size: float = MIN_PT + 1) -> float:
    """Raise every text of ``fig`` (labels, ticks, legends, annotations the shared plot
    functions write at 10 pt) to at least ``size`` points; returns the smallest after.

    Parameters
    ----------
    fig : matplotlib Figure
        Changed in place.
    size : float
        The smallest font size allowed, in points.

    Returns
    -------
    float
        The smallest font size of a text in ``fig`` after (``size`` if it has no text).
    """
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
                note = f"{percent(p)}  (baseline, {money(s['cost']['mean'], cur, True)} mean)"
            elif not same:
                note = f"{percent(p)}  (another target)"
            else:
                dc = s["cost"]["mean"] - b["cost"]["mean"]
                note = (f"{percent(p)}  ({points(p - b_t['probability'], True, 'pts')}, "
                        f"{signed_money(dc, s['cost']['currency'], True)} mean cost)")
            ax.text(p + 0.01, yi, plain_text(note), va="center", fontsize=13)
        ax.axvline(CONFIDENCE, color="#d62728", ls="--", lw=1.5)
        ax.text(CONFIDENCE, len(ids) - 0.45, f" {percent(CONFIDENCE)} confidence", color="#d62728",
                fontsize=13, va="bottom")
        ticks = []
        for ident in ids:
            tid, t = target_of(summaries[ident])
            label = labels.get(ident, ident)
            if tid != b_tid:  # which target, and by when
                label += f"\n({target_words(tid, t)})"
            elif t["date"] != b_t["date"]:
                label += f"\n(by {long_date(t['date'])})"
            ticks.append(plain_text(label))
        ax.set_yticks(y, ticks)
        ax.set_xlim(0, 1.6)
        ax.set_ylim(-0.6, len(ids) - 0.1)
        ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax.xaxis.set_major_formatter(axis_percent())
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

    from ..plots import probability_curves

    curves = [s_curve_of(summaries[ident], labels.get(ident, ident)) for ident in ids]
    with plt.rc_context(_rc()):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        probability_curves(curves, ax, title)  # it makes the title plain text
        ax.set_ylabel("Share of futures finished")
        for line in (0.5, 0.8):
            ax.axhline(line, color="#999999", lw=0.8, ls=":")
        _labels_inside(fig, ax)
        return _save(fig, folder, name)


def _labels_inside(fig, ax) -> None:
    """Curve labels (annotations written right of the curve) stay inside the axes: one
    wider than half the axes is wrapped on two lines, and one that would run past the
    right edge is moved left until it fits, so none is cut at the picture's edge. They
    take no part in the layout (the axes keep their size)."""
    import textwrap

    from matplotlib.text import Annotation

    min_font(fig)  # measured at the size they are saved
    notes = [t for t in ax.texts if isinstance(t, Annotation)]
    for note in notes:
        note.set_in_layout(False)
    fig.canvas.draw()  # the final layout, then measure
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    for note in notes:
        if note.get_window_extent(renderer).width > box.width / 2 and "\n" not in \
                note.get_text():
            text = note.get_text()
            note.set_text(textwrap.fill(text, width=max(12, len(text) // 2 + 4)))
        over = note.get_window_extent(renderer).x1 - (box.x1 - 4)
        if over > 0:  # pixels -> points of the offset
            x, y = note.xyann
            note.xyann = (x - over * 72 / fig.dpi, y)
