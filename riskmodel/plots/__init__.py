"""Figures for people: each function takes results and ``ax=None`` and returns the Axes.

Plots compute no statistic: every number drawn comes from a ``SimulationResult``
method. Titles say what a director asks ("Probability of being audit-ready by ...").
``result.plot.<name>()`` is a shortcut for ``riskmodel.plots.<name>(result)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ._style import BLUE, GREEN, GREY, ORANGE, RED, plain_text, target_words
from .compare import LINE_STYLES, probability_curves, s_curves
from .dates import (
    criticality_bars,
    driver_tornado,
    finish_histogram,
    forecast_trail,
    gantt,
    s_curve,
)
from .money import cash_flow_fan, cost_distribution, jcl_scatter
from .people import role_demand
from .risks import risk_removal, risk_tornado

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.sample import Result

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
    "role_demand",
    "plain_text",
    "target_words",
    "LINE_STYLES",
    "BLUE", "GREEN", "GREY", "ORANGE", "RED",
    "PlotAccessor",
    "ALL",
]


ALL = {
    "s_curve": s_curve, "finish_histogram": finish_histogram,
    "cost_distribution": cost_distribution, "driver_tornado": driver_tornado,
    "risk_tornado": risk_tornado, "criticality_bars": criticality_bars,
    "jcl_scatter": jcl_scatter, "gantt": gantt, "cash_flow_fan": cash_flow_fan,
    "role_demand": role_demand,
}
"""Every single-result plot by name (the gallery draws them all)."""


class PlotAccessor:
    """``result.plot.s_curve()`` and friends: the plots of one result.

    Parameters
    ----------
    result : SimulationResult
        The result every plot draws.
    """

    def __init__(self, result: Result):
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
