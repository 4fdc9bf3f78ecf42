"""What every figure shares: colours, axes, date and money ticks, target lines, plain
text for user words."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover

    from ..analysis.sample import Result

from ..formatting import axis_money, long_date, percent, target_name

BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


def _axes(ax, size=(9, 5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _dates(result: Result, weeks) -> np.ndarray:
    """Weeks after the start date as datetime64 values (for date axes)."""
    start = np.datetime64(result.scenario.start_date, "s")
    return start + np.round(np.asarray(weeks, dtype=float) * 7 * 86400).astype("timedelta64[s]")


def _money(result: Result):
    """Tick formatter for amounts in the result's currency."""
    return axis_money(result.scenario.currency)


def _date_axis(ax, axis="x"):
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=9)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(loc)
    target.set_major_formatter(mdates.ConciseDateFormatter(loc))


def target_words(target) -> tuple[str, str]:
    """What a target is called on a chart: ``("audit-ready", "Audit date")`` for the
    audit, else its id in words (``("report in hand", "Report in hand date")``)."""
    target_id = getattr(target, "id", target)
    if target_id == "audit":
        return "audit-ready", "Audit date"
    words = plain_text(target_name(target_id))
    return words, f"{words[:1].upper()}{words[1:]} date"


def _target_line(ax, result, target=None, color=RED):
    """The vertical line at a target's date, labelled "Audit date 1 Mar 2027"."""
    target = target or result.primary_target
    name = target_words(target)[1]
    ax.axvline(np.datetime64(target.date, "s"), color=color, lw=1.8, ls="--",
               label=f"{name} {long_date(target.date)}")


def _second_peak(ax, shape, text, x, counts_at):
    """Point at the second peak of a histogram: "15% of futures near $688k"."""
    if shape is None:
        return None
    lo, hi = ax.get_xlim()
    where = (float(x) - lo) / (hi - lo) if hi > lo else 0.5
    ha = "right" if where > 0.75 else "left" if where < 0.25 else "center"
    return ax.annotate(f"{percent(shape['second']['share'])} of futures near {text}",
                       (x, counts_at), xytext=(0, 36), textcoords="offset points", ha=ha,
                       fontsize=11, color="black",
                       bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": GREY,
                             "alpha": 0.9},
                       arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.2})


def _height_at(counts, edges, x) -> float:
    """The histogram's bar height at ``x`` (the tallest of the bin and its neighbours)."""
    i = int(np.clip(np.searchsorted(edges, x) - 1, 0, len(counts) - 1))
    return float(np.max(counts[max(0, i - 1):i + 2]))


def plain_text(text) -> str:
    """User text (names, labels) for a figure: shown as written, never as mathtext
    (``$`` would start a formula, and a bad one stops the figure)."""
    return str(text).replace("$", r"\$")


def _barh(ax, labels, values, default_color, /, **kwargs):
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, **{"color": default_color, "alpha": 0.85, **kwargs})
    ax.set_yticks(y, [plain_text(t) for t in labels])
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
