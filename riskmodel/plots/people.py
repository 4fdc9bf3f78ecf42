"""Who does the work: each limited role's demand by week against its capacity."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..analysis.sample import Result

from ..analysis.resources import bottleneck, nearest_capacity
from ._style import BLUE, GREY, RED, _axes, _date_axis, _dates, plain_text

__all__ = ["role_demand"]


def role_demand(result: Result, role: str | None = None, ax: Axes | None = None,
                **kwargs) -> Axes:
    """FTE of a role demanded per week had nobody waited (median and P90 of the futures)
    and at work once people wait (median), against its capacity.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).
    role : str, optional
        Default: the role whose median demand is over capacity most often
        (``analysis.resources.bottleneck``), else the one whose P90 demand comes nearest
        its capacity (``nearest_capacity``).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    **kwargs
        Passed to the demand lines' ``step``.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        ``role`` is not a role with a capacity.
    """
    ax = _axes(ax)
    tables = result.role_demand()
    if not tables:
        ax.text(0.5, 0.5, "No role has a capacity: nobody waits for people",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    worst = bottleneck(tables)
    role = role or (worst[0] if worst else nearest_capacity(tables))
    if role not in tables:
        raise ValueError(f"no capacity-limited role '{role}'; roles: {', '.join(tables)}")
    t = tables[role]
    x = _dates(result, list(t.index) + [t.index[-1] + 1])
    def steps(col):
        return list(t[col]) + [t[col].iloc[-1]]

    ax.step(x, steps("capacity"), where="post", color=RED, linewidth=3, alpha=0.5,
            label="Capacity")  # first and light: the lines at capacity show on top of it
    style = {"color": BLUE, **kwargs}
    ax.step(x, steps("demand_p90"), where="post", linestyle="--",
            label="Demanded, 1 future in 10 above", **style)
    ax.step(x, steps("demand_p50"), where="post", label="Demanded (median)", **style)
    ax.step(x, steps("in_use_p50"), where="post", color=GREY, linestyle=":", linewidth=2,
            label="At work after waiting (median)")
    names = {r.id: r.name or r.id for r in result.scenario.roles}
    ax.set_title(plain_text(f"{names.get(role, role)}: FTE needed each week against "
                            "who exists"))
    ax.set_ylabel("FTE")
    ax.set_ylim(bottom=0)
    _date_axis(ax)
    ax.set_ylim(top=1.3 * max(float(t[["demand_p90", "capacity"]].max().max()), 0.1))
    ax.legend(loc="upper right", fontsize=9)
    return ax
