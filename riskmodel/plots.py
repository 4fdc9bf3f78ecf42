"""Figures for people: each function takes results and ``ax=None`` and returns the Axes.

Plots compute no statistic: every number drawn comes from a ``SimulationResult``
method. Titles say what a director asks ("Probability of being audit-ready by ...").
``result.plot.<name>()`` is a shortcut for ``riskmodel.plots.<name>(result)``.
"""
from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from .formatting import axis_money, long_date

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .results import SimulationResult

__all__ = [
    "s_curve",
    "finish_histogram",
    "cost_distribution",
    "driver_tornado",
    "risk_tornado",
    "criticality_bars",
    "jcl_scatter",
    "gantt",
    "cash_flow_fan",
    "s_curves",
    "probability_curves",
    "forecast_trail",
    "risk_removal",
    "PlotAccessor",
    "ALL",
]

BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


def _axes(ax, size=(9, 5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _dates(result: SimulationResult, weeks) -> np.ndarray:
    """Weeks after the start date as datetime64 values (for date axes)."""
    start = np.datetime64(result.scenario.start_date, "s")
    return start + np.round(np.asarray(weeks, dtype=float) * 7 * 86400).astype("timedelta64[s]")


def _money(result: SimulationResult):
    """Tick formatter for amounts in the result's currency."""
    return axis_money(result.scenario.currency)


def _date_axis(ax, axis="x"):
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=9)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(loc)
    target.set_major_formatter(mdates.ConciseDateFormatter(loc))


_long = long_date


def target_words(target) -> tuple[str, str]:
    """What a target is called on a chart: ``("audit-ready", "Audit date")`` for the
    audit, else its id in words (``("report in hand", "Report in hand date")``)."""
    target_id = getattr(target, "id", target)
    if target_id == "audit":
        return "audit-ready", "Audit date"
    words = plain_text(str(target_id).replace("_", " "))
    return words, f"{words[:1].upper()}{words[1:]} date"


def _target_line(ax, result, target=None, color=RED):
    """The vertical line at a target's date, labelled "Audit date 1 Mar 2027"."""
    target = target or result.primary_target
    name = target_words(target)[1]
    ax.axvline(np.datetime64(target.date, "s"), color=color, lw=1.8, ls="--",
               label=f"{name} {_long(target.date)}")


def _second_peak(ax, shape, text, x, counts_at):
    """Point at the second peak of a histogram: "15% of futures near $688k"."""
    if shape is None:
        return None
    lo, hi = ax.get_xlim()
    where = (float(x) - lo) / (hi - lo) if hi > lo else 0.5
    ha = "right" if where > 0.75 else "left" if where < 0.25 else "center"
    return ax.annotate(f"{shape['second']['share']:.0%} of futures near {text}",
                       (x, counts_at), xytext=(0, 36), textcoords="offset points", ha=ha,
                       fontsize=11, color="black",
                       bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": GREY,
                             "alpha": 0.9},
                       arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.2})


def _height_at(counts, edges, x) -> float:
    """The histogram's bar height at ``x`` (the tallest of the bin and its neighbours)."""
    i = int(np.clip(np.searchsorted(edges, x) - 1, 0, len(counts) - 1))
    return float(np.max(counts[max(0, i - 1):i + 2]))


def s_curve(result: SimulationResult, ax: Axes | None = None,
            milestone: str | None = None, label: str | None = None) -> Axes:
    """Cumulative probability of finishing by each date, with the target date and P50/P80."""
    ax = _axes(ax)
    target = result.primary_target
    milestone = target.milestone if milestone is None else milestone
    weeks, prob = result.cdf(milestone)
    ax.plot(_dates(result, weeks), prob, color=BLUE, lw=2.2, label=label or "Forecast")
    p = result.p_meet(target.date, milestone)
    _target_line(ax, result, target)
    ax.axhline(p, color=RED, lw=0.8, alpha=0.5)
    ax.annotate(f"P = {p:.0%}", (np.datetime64(target.date, "s"), p), xytext=(8, -16),
                textcoords="offset points", color=RED, fontsize=12, fontweight="bold")
    levels = result.percentiles(milestone, (50, 80))
    for name, weeks_q, color in zip(("P50", "P80"), levels.values, (GREEN, ORANGE)):
        day = result.date_of(weeks_q)
        ax.plot(_dates(result, [weeks_q]), [int(name[1:]) / 100], "o", color=color, ms=8,
                label=f"{name}: {_long(day)}")
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.set_ylabel("Probability of being finished (share of futures)")
    ax.set_xlabel("Finish date")
    what = ("being audit-ready" if target.id == "audit" else
            target_words(target)[0]) if milestone == target.milestone else \
        f"{plain_text(milestone.replace('_', ' '))} being finished"
    ax.set_title(f"Probability of {what} by {_long(target.date)}: {p:.0%}")
    _date_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=10)
    return ax


def finish_histogram(result: SimulationResult, ax: Axes | None = None) -> Axes:
    """Distribution of the finish date, with the target date."""
    ax = _axes(ax)
    target = result.primary_target
    finish = result.finish_of(target.milestone)
    counts, edges, _ = ax.hist(_dates(result, finish), bins=60, color=BLUE, alpha=0.75)
    _target_line(ax, result, target)
    ax.set_ylabel("Simulated futures (count)")
    ax.set_xlabel("Finish date")
    p = result.p_meet(target.date, target.milestone)
    ax.set_title(f"Simulated finish dates: {target_words(target)[0]} by "
                 f"{_long(target.date)} in {p:.0%} of futures")
    _date_axis(ax)
    shape = result.modes(target.milestone)
    if shape is not None:
        import matplotlib.dates as mdates

        x = mdates.date2num(_dates(result, [shape["second"]["value"]])[0])
        _second_peak(ax, shape, _long(result.date_of(shape["second"]["value"])), x,
                     _height_at(counts, edges, x))
    ax.legend(fontsize=10)
    return ax


def cost_distribution(result: SimulationResult, ax: Axes | None = None) -> Axes:
    """Readiness cost distribution with the budget band and P-levels."""
    ax = _axes(ax)
    band = result.cost_band()
    counts, edges, _ = ax.hist(result.cost, bins=60, color=BLUE, alpha=0.75)
    ax.axvspan(band["low"], band["high"], color=GREEN, alpha=0.12,
               label=f"Budget band: {band['p_within']:.0%} within")
    for q, color in zip(("p10", "p50", "p80", "p90"), (GREY, GREEN, ORANGE, RED)):
        x = float(result.percentiles("cost", (int(q[1:]),)).iloc[0])
        ax.axvline(x, color=color, lw=1.5, label=f"{q.upper()} {_money(result)(x)}")
    ax.xaxis.set_major_formatter(_money(result))
    ax.set_xlabel(f"Readiness cost ({result.scenario.currency})")
    ax.set_ylabel("Simulated futures (count)")
    ax.set_title(f"Cost: {band['p_below']:.0%} below, {band['p_within']:.0%} within, "
                 f"{band['p_above']:.0%} above {_money(result)(band['low'])}–"
                 f"{_money(result)(band['high'])}")
    shape = result.modes("cost")
    if shape is not None:
        x = float(shape["second"]["value"])
        _second_peak(ax, shape, _money(result)(x), x, _height_at(counts, edges, x))
    ax.legend(fontsize=10)
    return ax


def plain_text(text) -> str:
    """User text (names, labels) for a figure: shown as written, never as mathtext
    (``$`` would start a formula, and a bad one stops the figure)."""
    return str(text).replace("$", r"\$")


def _barh(ax, labels, values, color):
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=color, alpha=0.85)
    ax.set_yticks(y, [plain_text(t) for t in labels])
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)


_DRIVER_AXIS = {
    "cruciality": ("Cruciality: criticality × rank correlation of the workstream's own "
                   "estimate with the finish", "date"),
    "ssi": ("Schedule sensitivity index: criticality × sd(own estimate) / sd(finish)", "date"),
    "sensitivity": ("Rank correlation of the workstream's own estimate with the finish",
                    "date"),
    "cost_sensitivity": ("Rank correlation of the workstream's own estimate with the "
                         "total cost", "cost"),
}


def driver_tornado(result: SimulationResult, ax: Axes | None = None, top: int = 10,
                   measure: str = "cruciality") -> Axes:
    """Workstreams ranked by how much their own estimate moves the finish (or cost).

    The default ``measure``, cruciality (criticality x sensitivity of the base estimate,
    ``analysis.DRIVER_MEASURE``), is zero for a workstream that never sets the date, so
    a workstream merely correlated with a critical one does not rank. Risks are left
    out of every measure (they have their own tornado). Workstreams at exactly zero
    are not drawn. Other measures: ``ssi``, ``sensitivity``, ``cost_sensitivity``.
    """
    ax = _axes(ax)
    table = result.workstreams()
    if measure not in _DRIVER_AXIS:
        raise ValueError(f"measure must be one of {sorted(_DRIVER_AXIS)}, got {measure!r}")
    ranked = table[measure].abs().sort_values(ascending=False, kind="stable")
    order = ranked[ranked > 0].index[:top]
    values = table.loc[order, measure]
    _barh(ax, [table.loc[i, "name"] for i in order], values,
          [BLUE if v >= 0 else ORANGE for v in values])
    label, what = _DRIVER_AXIS[measure]
    ax.set_xlabel(label)
    ax.set_title(f"Which workstreams' own estimates drive the {what}")
    return ax


def risk_tornado(result: SimulationResult, ax: Axes | None = None, top: int = 8,
                 measure: str = "weeks") -> Axes:
    """Risks ranked by how much they push out the P80 date (``weeks``) or cost (``cost``)."""
    ax = _axes(ax)
    column = {"weeks": "p80_finish_shift", "cost": "p80_cost_shift"}[measure]
    table = result.risks().sort_values(column, ascending=False).head(top)
    _barh(ax, table["name"], table[column], RED if measure == "weeks" else ORANGE)
    if measure == "cost":
        ax.xaxis.set_major_formatter(_money(result))
        ax.set_xlabel("Rise of the P80 cost caused by the risk")
        ax.set_title("Which risks drive the budget")
    else:
        ax.set_xlabel("Weeks the risk adds to the P80 finish")
        ax.set_title("Which risks drive the date")
    return ax


def criticality_bars(result: SimulationResult, ax: Axes | None = None) -> Axes:
    """Share of iterations in which each workstream is on the critical path, and (paler,
    behind) the share in which it is near-critical: total float of at most the
    workstreams table's threshold (half a week by default)."""
    ax = _axes(ax)
    table = result.workstreams()
    weeks = table.attrs.get("near_critical_weeks", 0.5)
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["near_criticality"], color=BLUE, alpha=0.3,
            label=f"Near-critical: float ≤ {weeks * 5:g} working days")
    ax.barh(y, table["criticality"], color=BLUE, alpha=0.85,
            label="Critical: zero float")
    ax.set_yticks(y, [plain_text(t) for t in table["name"]])
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_xlabel("Share of iterations")
    ax.set_title("Which workstreams set the finish date")
    ax.legend(fontsize=9, loc="upper right", bbox_to_anchor=(1.0, -0.12), ncol=2,
              frameon=False)
    return ax


def jcl_scatter(result: SimulationResult, ax: Axes | None = None,
                confidence: float = 0.7, max_points: int = 5000) -> Axes:
    """Finish against cost, the audit date and budget lines, and the JCL frontier."""
    ax = _axes(ax)
    target = result.primary_target
    finish = result.finish_of(target.milestone)
    step = max(1, len(finish) // max_points)
    ax.scatter(_dates(result, finish[::step]), result.cost[::step], s=4, alpha=0.25,
               color=BLUE, label="Iterations")
    budget = result.budget
    source = "" if result.budget_source == "budget" else " (top of the cost band)"
    _target_line(ax, result, target)
    ax.axhline(budget, color=ORANGE, ls="--",
               label=f"Budget {_money(result)(budget)}{source}")
    frontier = result.jcl_frontier(confidence)
    if len(frontier):
        ax.plot(_dates(result, frontier["weeks"]), frontier["budget"], color=GREEN, lw=2.2,
                label=f"{confidence:.0%} joint confidence")
    ax.yaxis.set_major_formatter(_money(result))
    ax.set_ylabel(f"Readiness cost ({result.scenario.currency})")
    ax.set_xlabel("Finish date")
    what = target_words(target)[0]
    ax.set_title(f"{what[:1].upper()}{what[1:]} by {_long(target.date)} and within budget: "
                 f"{result.jcl():.0%} (joint confidence)")
    _date_axis(ax)
    ax.legend(fontsize=9, loc="upper left")
    return ax


def gantt(result: SimulationResult, ax: Axes | None = None) -> Axes:
    """The deterministic plan as bars, with simulated P50 and P80 finishes marked."""
    table = result.workstreams()
    # long names wrap onto more lines rather than squeezing the bars away; the figure
    # grows with the rows and their lines so that wrapped names never overlap
    names = [plain_text(textwrap.fill(str(t), 64)) for t in table["name"]]
    lines = max((n.count("\n") + 1 for n in names), default=1)
    ax = _axes(ax, (10, max(5.5, 1.6 + len(names) * (0.2 + 0.22 * lines))))
    y = np.arange(len(table))[::-1]
    start = table["plan_finish"] - table["plan_duration"]
    colors = [RED if c else BLUE for c in table["on_plan_critical_path"]]
    ax.barh(y, table["plan_duration"] * 7, left=_dates(result, start), color=colors,
            alpha=0.7, height=0.6)
    ax.plot(_dates(result, table["finish_p50"]), y, "|", color=GREEN, ms=16, mew=3,
            label="Simulated P50 finish")
    ax.plot(_dates(result, table["finish_p80"]), y, "|", color=ORANGE, ms=16, mew=3,
            label="Simulated P80 finish")
    target = result.primary_target
    _target_line(ax, result, target)
    ax.set_yticks(y, names)
    ax.set_xlabel("Date")
    ax.set_title("Plan (red: critical path) against simulated finishes")
    # right-aligned over the bars: long workstream names leave the bars a narrow axes,
    # and a title centred on it would run off the figure
    ax.title.set(horizontalalignment="right", x=1.0)
    _date_axis(ax)
    ax.legend(fontsize=9, loc="upper right")
    return ax


def cash_flow_fan(result: SimulationResult, ax: Axes | None = None,
                  freq: str = "W") -> Axes:
    """Cumulative spend over time: median with the P10–P90 band."""
    ax = _axes(ax)
    flow = result.cash_flow(freq)
    x = np.array(flow.index, dtype="datetime64[s]")
    ax.fill_between(x, flow["p10"], flow["p90"], color=BLUE, alpha=0.2, label="P10–P90")
    ax.plot(x, flow["p50"], color=BLUE, lw=2.2, label="Median")
    ax.yaxis.set_major_formatter(_money(result))
    ax.set_ylabel(f"Cumulative spend ({result.scenario.currency})")
    ax.set_xlabel("Date")
    ax.set_title("Cash flow: cumulative readiness spend")
    _date_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=10)
    return ax


def probability_curves(curves, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Cumulative probability curves on one chart, each with its target date dashed.

    ``curves`` holds (label, finish dates as datetime64, cumulative probabilities,
    target date, P(meet)) tuples; ``s_curves`` and the batch comparison both draw with it.
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    curves = list(curves)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    targets = set()
    lines = []
    for k, (label, dates, prob, target_date, p) in enumerate(curves):
        color = colors[k % len(colors)]
        line, = ax.plot(dates, prob, lw=2.2, color=color, ls=LINE_STYLES[k % len(LINE_STYLES)],
                        label=f"{plain_text(label)}: {p:.0%}")
        lines.append((line, dates, prob))
        if target_date not in targets:
            ax.axvline(np.datetime64(target_date, "s"), color=color, ls=(0, (2, 3)), lw=1.1)
            targets.add(target_date)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.set_ylabel("Probability of being finished (share of futures)")
    ax.set_xlabel("Finish date")
    ax.set_title(plain_text(title or "Probability of being audit-ready, by scenario"))
    _date_axis(ax)
    ax.grid(alpha=0.3)
    if len(lines) <= DIRECT_LABELS:
        _label_curves(ax, lines)
    else:
        ax.legend(fontsize=10, loc="lower right")
    return ax


LINE_STYLES = ("-", (0, (6, 2)), "-.", (0, (1.5, 1.5)), (0, (8, 2, 1.5, 2, 1.5, 2)))
"""Curves on one chart differ by line style as well as colour (print, colour blindness)."""
DIRECT_LABELS = 8
"""Up to this many curves are labelled on the lines; more get a legend."""


def _label_curves(ax, lines) -> None:
    """Write each curve's label on the curve, at its own height (no two labels level).

    Curve k of n is labelled where it crosses ``0.12 + 0.76 k / (n - 1)``: S-curves all
    end at 100%, so labels at the right end would sit on top of each other.
    """
    n = len(lines)
    for k, (line, dates, prob) in enumerate(lines):
        level = 0.5 if n == 1 else 0.12 + 0.76 * (n - 1 - k) / (n - 1)
        prob = np.asarray(prob, dtype=float)
        i = int(np.clip(np.searchsorted(prob, level), 0, len(prob) - 1))
        ax.annotate(line.get_label(), (np.asarray(dates)[i], prob[i]), xytext=(10, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=10,
                    color=line.get_color(),
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": line.get_color(),
                          "alpha": 0.85, "lw": 0.8})


def s_curves(results: Mapping[str, SimulationResult], ax: Axes | None = None) -> Axes:
    """Several scenarios' S-curves on one chart, each labelled with its P(meet)."""
    curves = []
    for name, r in results.items():
        t = r.primary_target
        weeks, prob = r.cdf(t.milestone)
        curves.append((name, _dates(r, weeks), prob, t.date, r.p_meet(t.date, t.milestone)))
    return probability_curves(curves, ax)


def forecast_trail(trail, ax: Axes | None = None, target="audit") -> Axes:
    """P50 and P80 finish dates at each status date, with P(meet) written at each point.

    ``trail`` is the table of ``riskmodel.reforecast.forecast_trail``; ``target`` is the
    headline target it forecasts (a ``Target`` or its id; the scenario's
    ``all_targets[0]``), named in the title and the date line.
    """
    ax = _axes(ax)
    what, date_name = target_words(target)
    x = np.array([np.datetime64(d, "s") for d in trail["as_of"]])
    for col, color, name in (("p50_date", GREEN, "P50 finish"), ("p80_date", ORANGE,
                                                                  "P80 finish")):
        ax.plot(x, np.array([np.datetime64(d, "s") for d in trail[col]]), "o-", color=color,
                lw=2, label=name)
    target = trail["target_date"].iloc[-1]
    ax.axhline(np.datetime64(target, "s"), color=RED, ls="--",
               label=f"{date_name} {_long(target)}")
    for xi, d, p in zip(x, trail["p50_date"], trail["p_meet"]):
        ax.annotate(f"{p:.0%}", (xi, np.datetime64(d, "s")), xytext=(0, -18),
                    textcoords="offset points", ha="center", fontsize=11, color=GREEN)
    ax.set_xlabel("Status date")
    ax.set_ylabel("Forecast finish")
    ax.set_title(f"Forecast trail: finish forecasts and P({what} by {_long(target)})")
    _date_axis(ax)
    _date_axis(ax, "y")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, loc="upper left")
    return ax


def risk_removal(table, ax: Axes | None = None, names: Mapping[str, str] | None = None
                 ) -> Axes:
    """P(meet) as the top 1, 2, ..., k risks are removed together, on the same draws,
    with the P80 date gained beside what the risks' separate shifts would add up to.

    ``table`` is ``riskmodel.compare.risk_removal``'s; ``names`` maps risk ids to names.
    """
    ax = _axes(ax)
    names = names or {}
    k = np.asarray(table.index)
    ax.plot(k, table["p_meet"], "o-", color=BLUE, lw=2.2, label="P(meet), risks removed together")
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.set_ylabel("Probability of meeting the target")
    labels = ["none"] + [names.get(x, x) for x in table["removed"].iloc[1:]]
    import textwrap

    ax.set_xticks(k, [textwrap.fill(f"{i}: {lab}", 24) for i, lab in zip(k, labels)],
                  rotation=30, ha="right", fontsize=9)
    ax.set_xlabel("Risks removed, largest expected impact first (cumulative)")
    twin = ax.twinx()
    twin.plot(k, table["p80_shift"], "s-", color=ORANGE, lw=1.8,
              label="P80 earlier by (weeks), measured")
    twin.plot(k, table["p80_shift_if_additive"], "s--", color=GREY, lw=1.4,
              label="P80 earlier by (weeks), if separate shifts added")
    twin.set_ylabel("Weeks earlier at P80")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=9, loc="lower right")
    ax.set_title("Removing the top risks together: the shifts do not add up")
    ax.grid(alpha=0.3)
    return ax


ALL = {
    "s_curve": s_curve, "finish_histogram": finish_histogram,
    "cost_distribution": cost_distribution, "driver_tornado": driver_tornado,
    "risk_tornado": risk_tornado, "criticality_bars": criticality_bars,
    "jcl_scatter": jcl_scatter, "gantt": gantt, "cash_flow_fan": cash_flow_fan,
}
"""Every single-result plot by name (the gallery draws them all)."""


class PlotAccessor:
    """``result.plot.s_curve()`` and friends: the plots of one result."""

    def __init__(self, result: SimulationResult):
        self._result = result

    def __getattr__(self, name: str):
        if name not in ALL:
            raise AttributeError(f"no plot '{name}'; plots: {', '.join(ALL)}")
        func = ALL[name]

        def draw(*args, **kwargs):
            return func(self._result, *args, **kwargs)

        draw.__doc__ = func.__doc__
        return draw

    def __dir__(self):
        return list(ALL)
