"""What it costs: the cost distribution, date and cost together (JCL), the cash flow."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..analysis.sample import Result

from ..formatting import long_date, percent
from ._style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    _axes,
    _date_axis,
    _dates,
    _height_at,
    _money,
    _second_peak,
    _target_line,
    target_words,
)

__all__ = ["cost_distribution", "jcl_scatter", "cash_flow_fan"]


def cost_distribution(result: Result, ax: Axes | None = None, **kwargs) -> Axes:
    """Readiness cost distribution with the cost band and P-levels.

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
    band = result.cost_band()
    counts, edges, _ = ax.hist(result.cost,
                               **{"bins": 60, "color": BLUE, "alpha": 0.75, **kwargs})
    ax.axvspan(band["low"], band["high"], color=GREEN, alpha=0.12,
               label=f"Cost band: {percent(band['p_within'])} within")
    for q, color in zip(("p10", "p50", "p80", "p90"), (GREY, GREEN, ORANGE, RED)):
        x = float(result.percentiles("cost", (int(q[1:]),)).iloc[0])
        ax.axvline(x, color=color, lw=1.5, label=f"{q.upper()} {_money(result)(x)}")
    ax.xaxis.set_major_formatter(_money(result))
    ax.set_xlabel(f"Readiness cost ({result.scenario.currency})")
    ax.set_ylabel("Simulated futures (count)")
    ax.set_title(f"Cost: {percent(band['p_below'])} below, {percent(band['p_within'])} within, "
                 f"{percent(band['p_above'])} above {_money(result)(band['low'])}–"
                 f"{_money(result)(band['high'])}")
    shape = result.modes("cost")
    if shape is not None:
        x = float(shape["second"]["value"])
        _second_peak(ax, shape, _money(result)(x), x, _height_at(counts, edges, x))
    ax.legend(fontsize=10)
    return ax


def jcl_scatter(result: Result, ax: Axes | None = None,
                confidence: float = 0.7, max_points: int = 5000, **kwargs) -> Axes:
    """Finish against cost, the target date and budget lines, and the JCL frontier.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    confidence : float
        The joint confidence of the frontier drawn (default 0.7).
    max_points : int
        At most this many futures are drawn (every k-th).
    **kwargs
        Passed to matplotlib's ``scatter`` of the simulated futures.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    target = result.primary_target
    finish = result.finish_of(target.milestone)
    step = max(1, len(finish) // max_points)
    ax.scatter(_dates(result, finish[::step]), result.cost[::step],
               **{"s": 4, "alpha": 0.25, "color": BLUE, "label": "Iterations", **kwargs})
    budget = result.budget
    source = "" if result.budget_source == "budget" else " (top of the cost band)"
    _target_line(ax, result, target)
    ax.axhline(budget, color=ORANGE, ls="--",
               label=f"Budget {_money(result)(budget)}{source}")
    frontier = result.jcl_frontier(confidence)
    if len(frontier):
        ax.plot(_dates(result, frontier["weeks"]), frontier["budget"], color=GREEN, lw=2.2,
                label=f"{percent(confidence)} joint confidence")
    ax.yaxis.set_major_formatter(_money(result))
    ax.set_ylabel(f"Readiness cost ({result.scenario.currency})")
    ax.set_xlabel("Finish date")
    what = target_words(target)[0]
    ax.set_title(f"{what[:1].upper()}{what[1:]} by {long_date(target.date)} and within budget: "
                 f"{percent(result.jcl())} (joint confidence)")
    _date_axis(ax)
    ax.legend(fontsize=9, loc="upper left")
    return ax


def cash_flow_fan(result: Result, ax: Axes | None = None,
                  freq: str = "W", **kwargs) -> Axes:
    """Cumulative spend over time: median with the P10–P90 band.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    freq : {"W", "M"}
        By week or month end (``result.cash_flow``).
    **kwargs
        Passed to matplotlib's ``plot`` of the median.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    flow = result.cash_flow(freq)
    x = np.array(flow.index, dtype="datetime64[s]")
    ax.fill_between(x, flow["p10"], flow["p90"], color=BLUE, alpha=0.2, label="P10–P90")
    ax.plot(x, flow["p50"], **{"color": BLUE, "lw": 2.2, "label": "Median", **kwargs})
    ax.yaxis.set_major_formatter(_money(result))
    ax.set_ylabel(f"Cumulative spend ({result.scenario.currency})")
    ax.set_xlabel("Date")
    ax.set_title("Cash flow: cumulative readiness spend")
    _date_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=10)
    return ax
