"""When: the S-curve, the spread of finish dates, the plan against the simulation, the
workstreams that drive the date, the forecast trail."""
from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..analysis.sample import Result

from ..formatting import axis_percent, long_date, percent
from ._style import (
    BLUE,
    GREEN,
    ORANGE,
    RED,
    _axes,
    _barh,
    _date_axis,
    _dates,
    _height_at,
    _second_peak,
    _target_line,
    plain_text,
    target_words,
)

__all__ = ["s_curve", "finish_histogram", "driver_tornado", "criticality_bars", "gantt",
           "forecast_trail"]


def s_curve(result: Result, ax: Axes | None = None,
            milestone: str | None = None, label: str | None = None, **kwargs) -> Axes:
    """Cumulative probability of finishing by each date, with the target date and P50/P80.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    milestone : str, optional
        Whose finish (default: the headline target's milestone).
    label : str, optional
        The curve's legend label (default ``Forecast``).
    **kwargs
        Passed to matplotlib's ``plot`` of the curve (colour, line width, ...).

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    target = result.primary_target
    milestone = target.milestone if milestone is None else milestone
    weeks, prob = result.cdf(milestone)
    ax.plot(_dates(result, weeks), prob,
            **{"color": BLUE, "lw": 2.2, "label": label or "Forecast", **kwargs})
    p = result.p_meet(target.date, milestone)
    _target_line(ax, result, target)
    ax.axhline(p, color=RED, lw=0.8, alpha=0.5)
    ax.annotate(f"P = {percent(p)}", (np.datetime64(target.date, "s"), p), xytext=(8, -16),
                textcoords="offset points", color=RED, fontsize=12, fontweight="bold")
    levels = result.percentiles(milestone, (50, 80))
    for name, weeks_q, color in zip(("P50", "P80"), levels.values, (GREEN, ORANGE)):
        day = result.date_of(weeks_q)
        ax.plot(_dates(result, [weeks_q]), [int(name[1:]) / 100], "o", color=color, ms=8,
                label=f"{name}: {long_date(day)}")
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(axis_percent())
    ax.set_ylabel("Probability of being finished (share of futures)")
    ax.set_xlabel("Finish date")
    what = ("being audit-ready" if target.id == "audit" else
            target_words(target)[0]) if milestone == target.milestone else \
        f"{plain_text(milestone.replace('_', ' '))} being finished"
    ax.set_title(f"Probability of {what} by {long_date(target.date)}: {percent(p)}")
    _date_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=10)
    return ax


def finish_histogram(result: Result, ax: Axes | None = None, **kwargs) -> Axes:
    """Distribution of the finish date, with the target date and a second peak named.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    **kwargs
        Passed to matplotlib's ``hist``.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    target = result.primary_target
    finish = result.finish_of(target.milestone)
    counts, edges, _ = ax.hist(_dates(result, finish),
                               **{"bins": 60, "color": BLUE, "alpha": 0.75, **kwargs})
    _target_line(ax, result, target)
    ax.set_ylabel("Simulated futures (count)")
    ax.set_xlabel("Finish date")
    p = result.p_meet(target.date, target.milestone)
    ax.set_title(f"Simulated finish dates: {target_words(target)[0]} by "
                 f"{long_date(target.date)} in {percent(p)} of futures")
    _date_axis(ax)
    shape = result.modes(target.milestone)
    if shape is not None:
        import matplotlib.dates as mdates

        x = mdates.date2num(_dates(result, [shape["second"]["value"]])[0])
        _second_peak(ax, shape, long_date(result.date_of(shape["second"]["value"])), x,
                     _height_at(counts, edges, x))
    ax.legend(fontsize=10)
    return ax


_DRIVER_AXIS = {
    "cruciality": ("Cruciality: criticality × rank correlation of the workstream's own "
                   "estimate with the finish", "date"),
    "ssi": ("Schedule sensitivity index: criticality × sd(own estimate) / sd(finish)", "date"),
    "sensitivity": ("Rank correlation of the workstream's own estimate with the finish",
                    "date"),
    "cost_sensitivity": ("Rank correlation of the workstream's own estimate with the "
                         "total cost", "cost"),
}


def driver_tornado(result: Result, ax: Axes | None = None, top: int = 10,
                   measure: str = "cruciality", **kwargs) -> Axes:
    """Workstreams ranked by how much their own estimate moves the finish (or cost).

    The default ``measure``, cruciality (criticality x sensitivity of the base estimate,
    ``analysis.DRIVER_MEASURE``), is zero for a workstream that never sets the date, so
    a workstream merely correlated with a critical one does not rank. Risks are left
    out of every measure (they have their own tornado). Workstreams at exactly zero
    are not drawn.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    top : int
        How many workstreams at most.
    measure : {"cruciality", "ssi", "sensitivity", "cost_sensitivity"}
        A column of ``result.workstreams()``.
    **kwargs
        Passed to matplotlib's ``barh``.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        ``measure`` is not one of those above.
    """
    ax = _axes(ax)
    table = result.workstreams()
    if measure not in _DRIVER_AXIS:
        raise ValueError(f"measure must be one of {sorted(_DRIVER_AXIS)}, got {measure!r}")
    ranked = table[measure].abs().sort_values(ascending=False, kind="stable")
    order = ranked[ranked > 0].index[:top]
    values = table.loc[order, measure]
    _barh(ax, [table.loc[i, "name"] for i in order], values,
          [BLUE if v >= 0 else ORANGE for v in values], **kwargs)
    label, what = _DRIVER_AXIS[measure]
    ax.set_xlabel(label)
    ax.set_title(f"Which workstreams' own estimates drive the {what}")
    return ax


def criticality_bars(result: Result, ax: Axes | None = None, **kwargs) -> Axes:
    """Share of iterations in which each workstream is on the critical path, and (paler,
    behind) the share in which it is near-critical: total float of at most the
    workstreams table's threshold (half a week by default).

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    **kwargs
        Passed to matplotlib's ``barh`` of the critical share.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    table = result.workstreams()
    weeks = table.attrs.get("near_critical_weeks", 0.5)
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["near_criticality"], color=BLUE, alpha=0.3,
            label=f"Near-critical: float ≤ {weeks * 5:g} working days")
    ax.barh(y, table["criticality"],
            **{"color": BLUE, "alpha": 0.85, "label": "Critical: zero float", **kwargs})
    ax.set_yticks(y, [plain_text(t) for t in table["name"]])
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(axis_percent())
    ax.set_xlabel("Share of iterations")
    ax.set_title("Which workstreams set the finish date")
    ax.legend(fontsize=9, loc="upper right", bbox_to_anchor=(1.0, -0.12), ncol=2,
              frameon=False)
    return ax


def gantt(result: Result, ax: Axes | None = None, **kwargs) -> Axes:
    """The deterministic plan as bars from each workstream's start to its finish (the
    forward pass's, whatever its links' types; through a blackout a bar is longer than
    its working weeks), with simulated P50 and P80 finishes marked.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    **kwargs
        Passed to matplotlib's ``barh`` of the plan.

    Returns
    -------
    matplotlib Axes
    """
    table = result.workstreams()
    # long names wrap onto more lines rather than squeezing the bars away; the figure
    # grows with the rows and their lines so that wrapped names never overlap
    names = [plain_text(textwrap.fill(str(t), 64)) for t in table["name"]]
    lines = max((n.count("\n") + 1 for n in names), default=1)
    ax = _axes(ax, (10, max(5.5, 1.6 + len(names) * (0.2 + 0.22 * lines))))
    y = np.arange(len(table))[::-1]
    start = table["plan_start"]
    colors = [RED if c else BLUE for c in table["on_plan_critical_path"]]
    ax.barh(y, (table["plan_finish"] - start) * 7, left=_dates(result, start),
            **{"color": colors, "alpha": 0.7, "height": 0.6, **kwargs})
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


def forecast_trail(trail, ax: Axes | None = None, target="audit", **kwargs) -> Axes:
    """P50 and P80 finish dates at each status date, with P(meet) written at each point.

    Parameters
    ----------
    trail : pandas.DataFrame
        The table of ``riskmodel.reforecast.forecast_trail``.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    target : Target or str
        The headline target the trail forecasts (the scenario's ``all_targets[0]``),
        named in the title and the date line.
    **kwargs
        Passed to matplotlib's ``plot`` of both lines (line width, marker size, ...).

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    what, date_name = target_words(target)
    x = np.array([np.datetime64(d, "s") for d in trail["as_of"]])
    for col, color, name in (("p50_date", GREEN, "P50 finish"), ("p80_date", ORANGE,
                                                                  "P80 finish")):
        ax.plot(x, np.array([np.datetime64(d, "s") for d in trail[col]]), "o-",
                **{"color": color, "lw": 2, "label": name, **kwargs})
    target = trail["target_date"].iloc[-1]
    # a date axis: matplotlib converts the date (the stubs only know floats)
    ax.axhline(np.datetime64(target, "s"), color=RED, ls="--",  # type: ignore[arg-type]
               label=f"{date_name} {long_date(target)}")
    for xi, d, p in zip(x, trail["p50_date"], trail["p_meet"]):
        ax.annotate(percent(p), (xi, np.datetime64(d, "s")), xytext=(0, -18),
                    textcoords="offset points", ha="center", fontsize=11, color=GREEN)
    ax.set_xlabel("Status date")
    ax.set_ylabel("Forecast finish")
    ax.set_title(f"Forecast trail: finish forecasts and P({what} by {long_date(target)})")
    _date_axis(ax)
    _date_axis(ax, "y")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, loc="upper left")
    return ax
