"""Scenarios side by side: probability curves on one chart."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..analysis.sample import Result

from ..formatting import axis_percent, percent
from ._style import _axes, _date_axis, _dates, plain_text

__all__ = ["probability_curves", "s_curves", "LINE_STYLES"]


def probability_curves(curves, ax: Axes | None = None, title: str | None = None,
                       **kwargs) -> Axes:
    """Cumulative probability curves on one chart, each with its target date dashed;
    ``s_curves`` and the batch comparison both draw with it.

    Parameters
    ----------
    curves : iterable of tuple
        (label, finish dates as datetime64, cumulative probabilities, target date,
        P(meet)) for each curve.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    title : str, optional
        Default: ``Probability of being audit-ready, by scenario``.
    **kwargs
        Passed to matplotlib's ``plot`` of every curve (line width, alpha, ...).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    curves = list(curves)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    targets = set()
    lines = []
    for k, (label, dates, prob, target_date, p) in enumerate(curves):
        color = colors[k % len(colors)]
        line, = ax.plot(dates, prob, **{"lw": 2.2, "color": color,
                                         "ls": LINE_STYLES[k % len(LINE_STYLES)],
                                         "label": f"{plain_text(label)}: {percent(p)}", **kwargs})
        lines.append((line, dates, prob))
        if target_date not in targets:
            ax.axvline(np.datetime64(target_date, "s"),  # type: ignore[arg-type]  # a date axis
                       color=color, ls=(0, (2, 3)), lw=1.1)
            targets.add(target_date)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(axis_percent())
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
    import textwrap

    n = len(lines)
    for k, (line, dates, prob) in enumerate(lines):
        level = 0.5 if n == 1 else 0.12 + 0.76 * (n - 1 - k) / (n - 1)
        prob = np.asarray(prob, dtype=float)
        i = int(np.clip(np.searchsorted(prob, level), 0, len(prob) - 1))
        note = ax.annotate(textwrap.fill(line.get_label(), 36),
                           (np.asarray(dates)[i], prob[i]), xytext=(10, 0),
                           textcoords="offset points", va="center", ha="left", fontsize=10,
                           color=line.get_color(),
                           bbox={"boxstyle": "round,pad=0.2", "fc": "white",
                                 "ec": line.get_color(), "alpha": 0.85, "lw": 0.8})
        note.set_in_layout(False)  # a label never squeezes the plot (nor its neighbours)


def s_curves(results: Mapping[str, Result], ax: Axes | None = None,
             **kwargs) -> Axes:
    """Several scenarios' S-curves on one chart, each labelled with its P(meet).

    Parameters
    ----------
    results : mapping of str to SimulationResult
        The results by label.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    **kwargs
        Passed to ``probability_curves``.

    Returns
    -------
    matplotlib Axes
    """
    curves = []
    for name, r in results.items():
        t = r.primary_target
        weeks, prob = r.cdf(t.milestone)
        curves.append((name, _dates(r, weeks), prob, t.date, r.p_meet(t.date, t.milestone)))
    return probability_curves(curves, ax, **kwargs)
