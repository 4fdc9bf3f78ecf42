"""What drives the date and the cost: drivers, risk ranking, contingency, JCL, cash flow.

Functions of a ``SimulationResult``; the result exposes each as a method. Nothing here
draws random numbers: every figure comes from the run's iterations (risk shifts from
the same draws with the risk switched off, made during the run). Modules here use
NumPy, SciPy and pandas (and the result type, for annotations only).
"""
from .drivers import drivers, rank_correlation
from .joint import jcl_frontier
from .money import (CASH_FLOW_SAMPLE, cash_flow, contingency_table, cost_given_timing,
                    plan_confidence)
from .precision import quantile_std_error
from .risks import risk_ranking

__all__ = [
    "drivers",
    "rank_correlation",
    "risk_ranking",
    "contingency_table",
    "plan_confidence",
    "jcl_frontier",
    "cost_given_timing",
    "cash_flow",
    "quantile_std_error",
    "CASH_FLOW_SAMPLE",
]
