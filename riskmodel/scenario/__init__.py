"""Scenarios: the validated schema, loading from YAML/CSV and what-if changes.

Modules here may use pydantic, PyYAML and pandas, and the distributions of
``riskmodel.sim``; they never run a simulation.
"""
from .schema import Scenario
from .load import load_scenario

__all__ = ["Scenario", "load_scenario"]
