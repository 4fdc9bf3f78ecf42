"""Scenarios: the validated schema, loading from YAML/CSV and what-if changes.

Modules here may use pydantic, PyYAML and pandas, and the distributions of
``riskmodel.sim``; they never run a simulation.
"""
from .load import load_scenario
from .schema import Scenario

__all__ = ["Scenario", "load_scenario"]
