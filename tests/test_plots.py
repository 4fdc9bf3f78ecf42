"""Every plot renders headless, and what it draws is where the numbers say."""
import datetime as dt

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from riskmodel import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def xnum(d):
    return mdates.date2num(np.datetime64(d, "s"))


def x0(ln):
    """The first x of a line, as a matplotlib date number where it is a date."""
    x = ln.get_xdata()[0]
    return mdates.date2num(x) if isinstance(x, (np.datetime64, dt.date)) else float(x)


def line(ax, startswith):
    found = [ln for ln in ax.get_lines() if ln.get_label().startswith(startswith)]
    assert found, [ln.get_label() for ln in ax.get_lines()]
    return found[0]


@pytest.mark.parametrize("name", list(plots.ALL))
def test_every_plot_renders_and_returns_its_axes(default_result, name, tmp_path):
    ax = getattr(default_result.plot, name)()
    assert ax.get_title()
    ax.figure.savefig(tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000


def test_plots_draw_on_a_given_axes(default_result):
    fig, ax = plt.subplots()
    assert plots.s_curve(default_result, ax=ax) is ax
    assert plots.risk_tornado(default_result, ax=ax, measure="cost") is ax


def test_s_curve_audit_line_and_headline(default_result):
    r = default_result
    ax = r.plot.s_curve()
    audit = line(ax, "Audit date")
    assert x0(audit) == xnum(dt.date(2027, 3, 1))
    p = r.p_meet("2027-03-01")
    assert f"{p:.0%}" in ax.get_title() and "1 Mar 2027" in ax.get_title()
    p80 = line(ax, "P80")
    expected = xnum(np.datetime64(r.scenario.start_date, "s") + np.timedelta64(
        int(round(np.percentile(r.finish, 80) * 7 * 86400)), "s"))
    assert x0(p80) == pytest.approx(expected)
    assert p80.get_ydata()[0] == 0.8
    curve = line(ax, "Forecast")
    assert curve.get_ydata()[-1] == 1.0


def test_cost_plot_band_edges_are_the_band(default_result):
    ax = default_result.plot.cost_distribution()
    band = [p for p in ax.patches if p.get_label().startswith("Cost band")][0]
    assert band.get_x() == 150_000 and band.get_x() + band.get_width() == 400_000
    p50 = line(ax, "P50")
    assert x0(p50) == pytest.approx(np.percentile(default_result.cost, 50))
    money = ax.xaxis.get_major_formatter()
    assert money(300_000) == r"\$300k" and money(1_250_000) == r"\$1.2M"


def test_tornados_rank_like_the_tables(default_result):
    ax = default_result.plot.risk_tornado()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    top = default_result.risks().sort_values("p80_finish_shift", ascending=False)
    assert labels[0] == top["name"].iloc[0]
    widths = sorted((p.get_width() for p in ax.patches), reverse=True)
    assert widths[0] == pytest.approx(top["p80_finish_shift"].iloc[0])


def test_jcl_scatter_has_target_lines_and_frontier(default_result):
    ax = default_result.plot.jcl_scatter()
    assert line(ax, "Budget").get_ydata()[0] == 400_000
    assert x0(line(ax, "Audit date")) == xnum(dt.date(2027, 3, 1))
    frontier = line(ax, "70% joint confidence")
    assert np.allclose(frontier.get_ydata(), default_result.jcl_frontier(0.7)["budget"])


def test_gantt_bars_follow_the_plan(default_result):
    ax = default_result.plot.gantt()
    table = default_result.workstreams()
    widths = [p.get_width() for p in ax.patches]
    # start to finish, in days: longer than the working weeks through a blackout
    assert widths == pytest.approx(list((table["plan_finish"] - table["plan_start"]) * 7))


def test_overlaid_s_curves_label_each_scenario(default_result):
    ax = plots.s_curves({"A": default_result, "B": default_result})
    labels = [ln.get_label() for ln in ax.get_lines()]
    p = default_result.p_meet("2027-03-01")
    assert f"A: {p:.0%}" in labels and f"B: {p:.0%}" in labels


def test_unknown_plot_name_is_a_clear_error(default_result):
    with pytest.raises(AttributeError, match="no plot 'tornado'"):
        default_result.plot.tornado()


def test_forecast_trail_plot_marks_each_status_date():
    import riskmodel as rm
    from riskmodel.reforecast import forecast_trail
    from tests.conftest import DEFAULT, ROOT

    trail = forecast_trail(rm.load_scenario(DEFAULT),
                           sorted((ROOT / "data" / "status").glob("*.yaml")), iterations=5000)
    ax = plots.forecast_trail(trail, lw=3.5)  # keywords go to both lines
    p80 = line(ax, "P80 finish")
    assert len(p80.get_xdata()) == len(trail) == 3
    assert p80.get_linewidth() == line(ax, "P50 finish").get_linewidth() == 3.5
    assert [t.get_text() for t in ax.texts] == [f"{p:.0%}" for p in trail["p_meet"]]


@pytest.mark.parametrize("name", sorted(plots.ALL))
def test_every_plot_passes_matplotlib_keywords_on(name, default_result):
    """``**kwargs`` reach the main artist: a colour given is the colour drawn."""
    import matplotlib.colors as mcolors

    ax = getattr(default_result.plot, name)(color="#123456")
    drawn = [*ax.lines, *ax.patches, *ax.collections]
    colours = set()
    for artist in drawn:
        for get in ("get_color", "get_facecolor"):
            value = getattr(artist, get, None)
            if value is not None:
                c = value()
                c = c[0] if hasattr(c, "ndim") and getattr(c, "ndim", 0) == 2 and len(c) else c
                try:
                    colours.add(mcolors.to_hex(c))
                except (ValueError, TypeError):
                    pass
    assert "#123456" in colours, name
    plt.close(ax.figure)
