"""The leadership deck ``deck.pptx`` (python-pptx): one slide per scenario, readable projected."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

__all__ = ["write_deck"]


def _long(text: str) -> str:
    d = dt.date.fromisoformat(text)
    return f"{d.day} {d:%b %Y}"


def _text(slide, left, top, width, height, lines, size=20, bold_first=False):
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for k, line in enumerate(lines):
        para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        para.text = line  # plain text: python-pptx escapes it for the XML
        para.font.size = Pt(size if k else (size + 8 if bold_first else size))
        para.font.bold = bold_first and k == 0
    return box


def write_deck(path: Path, batch, summaries: dict[str, dict], labels: dict[str, str],
               batch_dir: Path, record: dict[str, Any]) -> None:
    """Title, a slide per scenario, comparison and cost slides (and what failed)."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    from .. import __version__

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    title_layout, title_only = prs.slide_layouts[0], prs.slide_layouts[5]

    slide = prs.slides.add_slide(title_layout)
    for shape, top, height in ((slide.shapes.title, 2.0, 1.6),
                               (slide.placeholders[1], 3.9, 1.2)):  # the template is 4:3
        shape.left, shape.width = Inches(0.8), prs.slide_width - Inches(1.6)
        shape.top, shape.height = Inches(top), Inches(height)
    slide.shapes.title.text = batch.title
    slide.placeholders[1].text = (f"{len(batch.items)} scenarios · "
                                  f"{_long(record['finished'][:10])} · riskmodel {__version__}")

    def titled(text):
        s = prs.slides.add_slide(title_only)
        title = s.shapes.title
        title.left, title.top = Inches(0.5), Inches(0.25)
        title.width, title.height = prs.slide_width - Inches(1.0), Inches(0.85)
        title.text = text
        title.text_frame.paragraphs[0].font.size = Pt(32)
        return s

    for ident, s in summaries.items():
        slide = titled(labels[ident])
        rep = s["report"]
        slide.shapes.add_picture(str(batch_dir / ident / "s_curve.png"), Inches(0.4),
                                 Inches(1.9), width=Inches(8.2))
        risks = [f"• {r['name']}: +{r['p80_finish_shift']:.1f} wk at P80"
                 for r in rep["top_risks"][:3]]
        band = s["cost_band"]
        _text(slide, 0.5, 1.15, 12.3, 0.8, [rep["headline"]], size=28, bold_first=True)
        _text(slide, 8.8, 2.0, 4.3, 5.0, [
            f"P80 date: {_long(s['finish_date']['p80'])}",
            f"P80 cost: ${s['cost']['p80']:,.0f}",
            f"Within ${band['low'] / 1e3:,.0f}k–${band['high'] / 1e3:,.0f}k: "
            f"{band['p_within']:.0%}",
            "", "Top risks:", *risks], size=18)
    if summaries:
        slide = titled("Scenarios compared")
        slide.shapes.add_picture(str(batch_dir / "comparison.png"), Inches(1.2), Inches(1.4),
                                 width=Inches(10.9))
        slide = titled("What readiness costs")
        slide.shapes.add_picture(str(batch_dir / "cost_band.png"), Inches(1.2), Inches(1.4),
                                 width=Inches(10.9))
    failed = [(labels[i], info.get("error", "")) for i, info in record["scenarios"].items()
              if info["status"] != "ok"]
    if failed:
        slide = titled("Scenarios that did not run")
        _text(slide, 0.6, 1.5, 12, 5.5, [f"• {name}: {error[:200]}" for name, error in failed],
              size=16)
    prs.save(str(path))
