"""Figures as a reader meets them: the target named right, nothing cut, a second peak
pointed out, curves told apart, and the report's PNGs saved whole."""
import datetime as dt

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import riskmodel as rm  # noqa: E402
from riskmodel import plots  # noqa: E402
from riskmodel.plots import _style  # noqa: E402
from tests.conftest import DEFAULT, TYPE2  # noqa: E402

REPORT_STYLE = {"font.size": 12, "legend.fontsize": 11, "axes.titlesize": 14}
"""The sizes the report notebook draws with (``ScenarioReport.figure``)."""
OWN_LAYOUT = ("driver_tornado", "criticality_bars")
"""Charts whose long centred titles are kept whole by the tight save, not the layout."""


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def type2():
    """The Type II scenario: the headline target is the report in hand, and both the
    dates and the costs have a second peak (a qualified opinion and a re-audit)."""
    return rm.simulate(rm.load_scenario(TYPE2), iterations=20_000)


@pytest.fixture(scope="module")
def long_names():
    """The shipped scenario with workstream names far longer than usual."""
    base = rm.load_scenario(DEFAULT)
    names = {"workstreams": [
        {"id": w.id, "name": f"{w.name or w.id} — including the sign-off by the control "
                             "owner and the second-line review"}
        for w in base.workstreams]}
    return rm.simulate(base.with_changes(names), iterations=4000)


def _visible_texts(fig):
    """Every piece of text the renderer draws: titles, axis labels, the tick labels
    inside the view limits, legends, annotations and figure texts."""
    for ax in fig.axes:
        yield from (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label)
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        for label in ax.get_xticklabels():
            if x0 <= label.get_position()[0] <= x1:
                yield label
        for label in ax.get_yticklabels():
            if y0 <= label.get_position()[1] <= y1:
                yield label
        yield from ax.texts
        if ax.get_legend() is not None:
            yield from ax.get_legend().get_texts()
    yield from fig.texts


def outside(fig) -> list[str]:
    """Texts whose drawn extent leaves the figure (after a full draw, by the renderer)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    out = []
    for text in _visible_texts(fig):
        if not isinstance(text, Text) or not text.get_visible() or not text.get_text().strip():
            continue
        e = text.get_window_extent(renderer)
        if e.x0 < box.x0 - 1 or e.y0 < box.y0 - 1 or e.x1 > box.x1 + 1 or e.y1 > box.y1 + 1:
            out.append(f"{text.get_text()!r} at {[round(v) for v in e.extents]}")
    return out


def draw(result, name, **kwargs):
    with plt.rc_context(REPORT_STYLE):
        return getattr(result.plot, name)(**kwargs)


# -- the target, named -------------------------------------------------------------------
def test_type2_headline_is_the_report_in_hand(type2):
    assert type2.primary_target.id == "report_in_hand"


@pytest.mark.parametrize("name", ["s_curve", "finish_histogram", "jcl_scatter"])
def test_titles_name_the_headline_target(type2, name):
    title = draw(type2, name).get_title()
    assert "report in hand" in title.lower() and "30 Jul 2027" in title
    assert "audit" not in title.lower()


@pytest.mark.parametrize("name", ["s_curve", "finish_histogram", "jcl_scatter", "gantt"])
def test_target_line_names_the_headline_target(type2, name):
    labels = [ln.get_label() for ln in draw(type2, name).get_lines()]
    assert "Report in hand date 30 Jul 2027" in labels, labels
    assert not any(label.startswith("Audit") for label in labels)


def test_audit_target_keeps_its_words(default_result):
    assert draw(default_result, "jcl_scatter").get_title().startswith(
        "Audit-ready by 1 Mar 2027 and within budget")
    assert "audit-ready by 1 Mar 2027" in draw(default_result, "finish_histogram").get_title()


def test_forecast_trail_names_its_target():
    import pandas as pd

    trail = pd.DataFrame({
        "as_of": [dt.date(2026, 12, 7), dt.date(2027, 1, 4)],
        "p50_date": [dt.date(2027, 8, 3), dt.date(2027, 8, 1)],
        "p80_date": [dt.date(2027, 8, 19), dt.date(2027, 8, 12)],
        "p_meet": [0.38, 0.45], "target_date": [dt.date(2027, 7, 30)] * 2})
    ax = plots.forecast_trail(trail, target="report_in_hand")
    assert "report in hand by 30 Jul 2027" in ax.get_title()
    assert "Report in hand date 30 Jul 2027" in [ln.get_label() for ln in ax.get_lines()]
    assert "audit" in plots.forecast_trail(trail).get_title()  # the default target
    assert not outside(ax.figure)


# -- axis labels with units --------------------------------------------------------------
@pytest.mark.parametrize("name, x, y", [
    ("s_curve", "Finish date", "share of futures"),
    ("finish_histogram", "Finish date", "Simulated futures (count)"),
    ("cost_distribution", "(USD)", "Simulated futures (count)"),
    ("jcl_scatter", "Finish date", "(USD)"),
    ("cash_flow_fan", "Date", "(USD)"),
    ("gantt", "Date", ""),
])
def test_axes_say_what_and_in_what_unit(default_result, name, x, y):
    ax = draw(default_result, name)
    assert x in ax.get_xlabel() and y in ax.get_ylabel()


# -- nothing cut -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in plots.ALL if n not in OWN_LAYOUT])
@pytest.mark.parametrize("which", ["default", "type2", "long_names"])
def test_every_text_is_inside_the_figure(request, which, name):
    result = request.getfixturevalue({"default": "default_result"}.get(which, which))
    ax = draw(result, name)
    assert not outside(ax.figure), outside(ax.figure)


def test_comparison_curves_fit_and_differ(default_result, type2):
    later = rm.simulate(rm.move_dates(default_result.scenario, audit_weeks_later=2),
                        iterations=4000)
    ax = plots.s_curves({"Baseline": default_result, "Audit two weeks later": later,
                         "Type II report in hand": type2})
    assert not outside(ax.figure), outside(ax.figure)
    lines = [ln for ln in ax.get_lines() if ":" in ln.get_label()]
    assert len({str(ln.get_linestyle()) for ln in lines}) == 3  # told apart without colour
    assert len({ln.get_color() for ln in lines}) == 3
    # each curve is labelled on the chart, and no two labels sit at the same height
    labels = {t.get_text(): t for t in ax.texts}
    assert set(labels) == {ln.get_label() for ln in lines}
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels.values()]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_many_curves_fall_back_to_a_legend(default_result):
    weeks, prob = default_result.cdf("end")
    dates = _style._dates(default_result, weeks)
    curves = [(f"option {k}", dates, prob, dt.date(2027, 3, 1), 0.5) for k in range(12)]
    ax = plots.probability_curves(curves)
    assert ax.get_legend() is not None and not ax.texts


def test_saved_report_figures_are_whole(tmp_path):
    """ScenarioReport.save writes each PNG around everything drawn: the titles and long
    names that run past a chart's own layout (the tornados' centred titles) included.
    The Type II scenario at 5,000 iterations: the titles, labels and notes, and so the
    margins, do not depend on the count (saving 20,000 dots takes longer); both second
    peaks are still there, so their notes are drawn too."""
    from matplotlib.image import imread

    from riskmodel.reporting.report import FIGURES, ScenarioReport

    type2 = rm.simulate(rm.load_scenario(TYPE2), iterations=5000)
    assert type2.modes("cost") is not None
    assert type2.modes(type2.primary_target.milestone) is not None
    report = ScenarioReport(type2.scenario, type2)
    report.save(tmp_path)
    for name in FIGURES:
        image = imread(tmp_path / f"{name}.png")[..., :3]
        # a cut title or label runs into the edge; a whole figure has a white margin
        edges = [image[:6], image[-6:], image[:, :6], image[:, -6:]]
        assert all((edge > 0.98).all() for edge in edges), name


# -- a second peak, pointed out ------------------------------------------------------------
def test_type2_costs_are_bimodal_and_the_chart_says_so(type2):
    shape = type2.modes("cost")
    assert shape is not None
    ax = draw(type2, "cost_distribution")
    notes = [t for t in ax.texts if "of futures near" in t.get_text()]
    assert len(notes) == 1
    share = f"{shape['second']['share']:.0%}"
    value = _style._money(type2)(shape["second"]["value"]).replace("\\", "")
    assert notes[0].get_text().replace("\\", "") == f"{share} of futures near {value}"
    assert notes[0].xy[0] == pytest.approx(shape["second"]["value"])
    assert not outside(ax.figure)


def test_type2_dates_are_bimodal_and_the_histogram_says_so(type2):
    shape = type2.modes(type2.primary_target.milestone)
    assert shape is not None
    ax = draw(type2, "finish_histogram")
    notes = [t.get_text() for t in ax.texts if "of futures near" in t.get_text()]
    when = type2.date_of(shape["second"]["value"])
    assert notes == [f"{shape['second']['share']:.0%} of futures near {when.day} "
                     f"{when:%b %Y}"]


def test_one_peak_no_note(default_result):
    assert default_result.modes("cost") is None
    assert not [t for t in draw(default_result, "cost_distribution").texts
                if "of futures near" in t.get_text()]


# -- the what-if figure ----------------------------------------------------------------------
def test_what_if_figure_is_baseline_against_choice_and_not_on_pyplot():
    from riskmodel.whatif import Choice, WhatIf

    what_if = WhatIf(str(DEFAULT), iterations=4000)
    before = plt.get_fignums()
    answer = what_if.update(Choice(audit_weeks_later=2, risks_off=("evidence_gaps",)))
    assert plt.get_fignums() == before  # a notebook shows it once, as the cell's value
    fig = answer["figure"]
    FigureCanvasAgg(fig)  # what a notebook's inline display does when it shows it
    left, right = fig.axes
    assert {ln.get_label().split(":")[0] for ln in left.get_lines() if ":" in ln.get_label()} \
        == {"Baseline", "What-if"}
    legend = [t.get_text() for t in right.get_legend().get_texts()]
    assert any(t.startswith("Baseline: P80") for t in legend)
    assert any(t.startswith("What-if: P80") for t in legend)
    assert "against the baseline" in right.get_title()
    assert not outside(fig), outside(fig)
    assert answer["p_meet"] > answer["p_meet_baseline"]
