"""Shared helpers: small scenarios built in code, and the default scenario's path."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from riskmodel import Scenario

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "data" / "scenarios" / "soc2_readiness.yaml"
TYPE2 = ROOT / "data" / "scenarios" / "soc2_type2_report.yaml"
Z = 4.5  # tolerance in standard errors: a false alarm about once in 150,000 checks


def ws(id, duration, deps=(), **extra):
    """A workstream record."""
    return {"id": id, "duration": duration, "depends_on": list(deps), **extra}


def make(workstreams, **extra) -> Scenario:
    """A scenario from workstream records (start 2027-01-04, audit 12 weeks later)."""
    data = {"name": "test", "start_date": "2027-01-04", "audit_date": "2027-03-29",
            "simulation": {"seed": 7}, "workstreams": workstreams}
    data.update(extra)
    return Scenario.from_dict(data)


def mean_tol(x: np.ndarray) -> float:
    """Z standard errors of the sample mean of ``x`` (iid draws)."""
    return Z * x.std() / np.sqrt(len(x))


def var_tol(x: np.ndarray) -> float:
    """Z standard errors of the sample variance of ``x`` (iid draws)."""
    d2 = (x - x.mean()) ** 2
    return Z * d2.std() / np.sqrt(len(x))


def prob_tol(p: float, n: int) -> float:
    """Z binomial standard errors of a probability estimated from n iid iterations."""
    return Z * np.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12


@pytest.fixture(scope="session")
def default_result():
    """The shipped scenario, simulated once at 20,000 iterations."""
    import riskmodel

    return riskmodel.simulate(riskmodel.load_scenario(DEFAULT), iterations=20_000)


@pytest.fixture(scope="session")
def executed_batch(tmp_path_factory):
    """One real batch, run once for the tests that only read a batch's outputs: real
    papermill on the project's kernel, two worker processes, the default scenario as
    "Baseline" and "Add a Salesforce contractor", 3,000 iterations, seed 11.

    Returns (the batch record, the batch folder). Readers must not change the folder;
    a test that needs other scenarios runs its own batch and may take these scenarios'
    folders as they are (``--resume`` skips a folder made from the same inputs)."""
    import yaml

    from riskmodel.reporting.batch import run_batch

    folder = tmp_path_factory.mktemp("executed-batch")
    path = folder / "batch.yaml"
    path.write_text(yaml.safe_dump({"name": "test-batch", "iterations": 3000, "seed": 11,
                                    "scenarios": [
        {"name": "Baseline", "scenario": str(DEFAULT)},
        {"name": "Add a Salesforce contractor", "scenario": str(DEFAULT), "changes": [
            {"staffing": {"workstream": "sf_permissions",
                          "staffing": {"sf_developer_contract": 2.0}}}]},
    ]}, sort_keys=False))
    record = run_batch(path, output=folder / "reports", jobs=2, progress=False)
    return record, folder / "reports" / "test-batch"
