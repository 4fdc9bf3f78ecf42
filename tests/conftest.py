"""Shared helpers: small scenarios built in code, the default scenario's path, and the
expensive things several test files read (one simulated result, one executed batch, one
Dask cluster, one sample batch of summaries), each made once per session."""
from __future__ import annotations

import copy
from collections.abc import Callable
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
def executed_batch_run(tmp_path_factory, request):
    """One real batch, run once for the tests that only read a batch's outputs: the
    command line ``riskmodel batch --quiet`` with real papermill on the project's kernel,
    the default scenario as "Baseline" and "Add a Salesforce contractor", 3,000
    iterations, seed 11. It runs on the session's Dask cluster (``--scheduler``: two
    worker processes, so the test of a batch on a cluster reads this one too); where Dask
    is not installed, in two local worker processes (``--jobs 2``).

    Returns a namespace: ``code`` (the exit code), ``out`` and ``err`` (what the command
    printed), ``scheduler`` (the cluster's address or None), ``record`` (batch.json) and
    ``folder`` (the batch folder). Readers must not change the folder; a test that needs
    other scenarios runs its own batch and may take these scenarios' folders as they are
    (``--resume`` skips a folder made from the same inputs)."""
    import contextlib
    import io
    import json
    from types import SimpleNamespace

    import yaml

    from riskmodel.cli import main

    folder = tmp_path_factory.mktemp("executed-batch")
    path = folder / "batch.yaml"
    path.write_text(yaml.safe_dump({"name": "test-batch", "iterations": 3000, "seed": 11,
                                    "scenarios": [
        {"name": "Baseline", "scenario": str(DEFAULT)},
        {"name": "Add a Salesforce contractor", "scenario": str(DEFAULT), "changes": [
            {"staffing": {"workstream": "sf_permissions",
                          "staffing": {"sf_developer_contract": 2.0}}}]},
    ]}, sort_keys=False))
    try:
        import distributed  # noqa: F401
    except ImportError:
        scheduler, where = None, ["--jobs", "2"]
    else:
        scheduler = request.getfixturevalue("dask_cluster").scheduler_address
        where = ["--scheduler", scheduler]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["batch", str(path), "--output", str(folder / "reports"), "--quiet",
                     *where])
    batch_dir = folder / "reports" / "test-batch"
    record_file = batch_dir / "batch.json"
    record = json.loads(record_file.read_text()) if record_file.is_file() else None
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue(),
                           scheduler=scheduler, record=record, folder=batch_dir)


@pytest.fixture(scope="session")
def executed_batch(executed_batch_run):
    """(the batch record, the batch folder) of ``executed_batch_run``."""
    return executed_batch_run.record, executed_batch_run.folder


# -- a session fixture closed after the last test that uses it ----------------------------
_CLOSE_AFTER: dict[str, list[Callable[[], object]]] = {}
"""node id -> what to close once that test (the fixture's last user) has torn down."""


_RUNNING: list = [None]
"""The test being run (set before its fixtures are set up)."""


def close_after_last_user(request: pytest.FixtureRequest, close: Callable[[], object]) -> None:
    """Call ``close`` once the last selected test that uses ``request``'s fixture, or the
    test that asked for it first (another fixture may ask for it with getfixturevalue),
    is done; and at the end of the session if that never comes."""
    items = request.session.items
    order = {item.nodeid: k for k, item in enumerate(items)}
    users = [item for item in items if request.fixturename in getattr(item, "fixturenames", ())]
    if _RUNNING[0] is not None:
        users.append(_RUNNING[0])
    if users:
        last = max(users, key=lambda item: order.get(item.nodeid, -1))
        _CLOSE_AFTER.setdefault(last.nodeid, []).append(close)
    request.addfinalizer(close)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _RUNNING[0] = item
    try:
        yield
    finally:
        _RUNNING[0] = None
        for close in _CLOSE_AFTER.pop(item.nodeid, []):
            close()


@pytest.fixture(scope="session")
def dask_cluster(request):
    """One real Dask ``LocalCluster`` (two worker processes, one thread each) for the tests
    that run on a cluster: the batch on ``--scheduler`` and the simulation on a cluster's
    executor and ``--scheduler``. Closed right after the last of them, so the tests after
    it run in a process whose cluster is gone, as they did with a cluster of their own."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    closed = []

    def close():
        if not closed:
            closed.append(True)
            cluster.close()

    close_after_last_user(request, close)
    return cluster


@pytest.fixture(scope="session")
def _sample_batch():
    from riskmodel.reporting.look import sample_batch

    return sample_batch()


@pytest.fixture(scope="module")
def sample_batch_outputs(_sample_batch):
    """``riskmodel.reporting.look.sample_batch()`` (short in-process runs of the shipped
    scenarios, a failed one second), computed once; each module gets its own deep copy."""
    return copy.deepcopy(_sample_batch)
