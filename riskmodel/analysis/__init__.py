"""What drives the date and the cost: drivers, risk ranking, contingency, JCL, cash flow.

Functions of a ``SimulationResult``; the result exposes each as a method. Nothing here
draws random numbers: every figure comes from the run's iterations (risk shifts from
the same draws with the risk switched off, made during the run). Modules here use
NumPy and SciPy; they read the result as a ``sample.Sample`` (never import it). The
tables are computed as plain columns (``table.Table``) and made into pandas DataFrames
only when a DataFrame is asked for, so the summary document never imports pandas.
"""
from .breakdown import cost_breakdown
from .drivers import (
                      DRIVER_MEASURE,
                      NEAR_CRITICAL_WEEKS,
                      drivers,
                      near_criticality,
                      rank_correlation,
)
from .joint import jcl_frontier, jcl_summary, promise
from .money import (
                      CASH_FLOW_SAMPLE,
                      cash_flow,
                      contingency_table,
                      cost_given_timing,
                      plan_confidence,
)
from .precision import MIN_REPLICATES, block_std_error, quantile_std_error
from .risks import RISK_ORDER, risk_ranking
from .shape import bimodality

__all__ = [
    "drivers",
    "rank_correlation",
    "near_criticality",
    "NEAR_CRITICAL_WEEKS",
    "DRIVER_MEASURE",
    "risk_ranking",
    "RISK_ORDER",
    "contingency_table",
    "cost_breakdown",
    "plan_confidence",
    "jcl_frontier",
    "jcl_summary",
    "promise",
    "cost_given_timing",
    "cash_flow",
    "quantile_std_error",
    "block_std_error",
    "MIN_REPLICATES",
    "bimodality",
    "CASH_FLOW_SAMPLE",
]
