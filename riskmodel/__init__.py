"""riskmodel: will an emergency SOC 2 Type II programme be ready by the audit date?

Monte Carlo simulation of remediation workstreams, their dependencies, discrete risk
events and costs, reporting probabilities rather than single dates.

Examples
--------
>>> import riskmodel
>>> scenario = riskmodel.load_scenario("data/scenarios/soc2_readiness.yaml")
>>> result = riskmodel.simulate(scenario, iterations=20_000)
>>> round(result.p_meet(scenario.audit_date), 2)  # doctest: +SKIP
0.46
"""
from ._version import __version__
from .compare import Comparison, cheapest_to_reach, compare
from .errors import Problem, ScenarioError, ScenarioWarning
from .results import SimulationResult
from .scenario import Scenario, load_scenario
from .scenario.changes import (
                               add_dependency,
                               add_workstream,
                               change_staffing,
                               mitigate_risk,
                               move_dates,
                               remove_dependency,
                               remove_workstream,
                               scale_estimates,
)
from .simulate import simulate

__all__ = [
    "__version__",
    "Comparison",
    "add_dependency",
    "add_workstream",
    "change_staffing",
    "cheapest_to_reach",
    "compare",
    "mitigate_risk",
    "move_dates",
    "remove_dependency",
    "remove_workstream",
    "scale_estimates",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "SimulationResult",
    "load_scenario",
    "simulate",
]
