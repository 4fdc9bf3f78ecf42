"""Which risks matter: the risk tornado and the top risks removed together."""
from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..analysis.sample import Result

from ..formatting import axis_percent
from ._style import BLUE, GREY, ORANGE, RED, _axes, _barh, _money, plain_text

__all__ = ["risk_tornado", "risk_removal"]


_TORNADO = {
    "weeks": ("p80_finish_shift", "Weeks the risk adds to the P80 finish",
              "Which risks drive the date (P80)"),
    "expected": ("mean_finish_impact", "Weeks the risk adds to the mean finish",
                 "Which risks drive the date (expected impact)"),
    "p90": ("p90_finish_shift", "Weeks the risk adds to the P90 finish",
            "Which risks drive the date in the tail (P90)"),
    "cost": ("p80_cost_shift", "Rise of the P80 cost caused by the risk",
             "Which risks drive the budget (P80)"),
}


def risk_tornado(result: Result, ax: Axes | None = None, top: int = 8,
                 measure: str = "weeks", **kwargs) -> Axes:
    """Risks ranked by what they add to the finish or the cost, on the same draws without
    each risk.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    top : int
        How many risks at most.
    measure : {"weeks", "expected", "p90", "cost"}
        What they add to the P80 finish (default), to the mean finish, to the P90
        finish (a rare, large risk shows here, not at P80) or to the P80 cost.
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
    if measure not in _TORNADO:
        raise ValueError(f"measure must be one of {', '.join(_TORNADO)}, got {measure!r}")
    ax = _axes(ax)
    column, label, title = _TORNADO[measure]
    table = result.risks().sort_values(column, ascending=False).head(top)
    _barh(ax, table["name"], table[column], ORANGE if measure == "cost" else RED, **kwargs)
    if measure == "cost":
        ax.xaxis.set_major_formatter(_money(result))
    ax.set_xlabel(label)
    ax.set_title(title)
    return ax


def risk_removal(table, ax: Axes | None = None, names: Mapping[str, str] | None = None,
                 **kwargs) -> Axes:
    """P(meet) as the top 1, 2, ..., k risks are removed together, on the same draws,
    with the P80 date gained beside what the risks' separate shifts would add up to.

    Parameters
    ----------
    table : pandas.DataFrame
        ``riskmodel.compare.risk_removal``'s.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    names : mapping of str to str, optional
        Risk names by id (default: the ids).
    **kwargs
        Passed to matplotlib's ``plot`` of P(meet).

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    names = names or {}
    k = np.asarray(table.index)
    ax.plot(k, table["p_meet"], "o-", **{"color": BLUE, "lw": 2.2,
                                         "label": "P(meet), risks removed together", **kwargs})
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(axis_percent())
    ax.set_ylabel("Probability of meeting the target")
    # the axis counts the risks removed; the first one is named, the rest are in order
    # in the table beside the chart (names at every tick would overlap)
    ax.set_xticks(k)
    first = names.get(table["removed"].iloc[1], table["removed"].iloc[1]) if len(k) > 1 else ""
    ax.set_xlabel(plain_text(textwrap.fill(
        "Top risks removed together, largest expected impact first"
        + (f" (1 = {first})" if first else ""), 80)))
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
