"""Shared helpers: small scenarios built in code, the default scenario's path, and the
expensive things several test files read (one simulated result, the wheel installed in a
fresh virtualenv, one executed batch, one Dask cluster, one sample batch of summaries),
each made once per session.

The slowest of them are made by other processes (a wheel build, notebooks run by
papermill): those start in the background as soon as the tests are collected
(tests/_shared/background.py: ``early``) and the test files that read them run last, so
that the rest of the suite runs meanwhile. A test file run alone still makes what it
reads (in the background too), only without the rest of the suite to overlap with.
"""
from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from riskmodel import Scenario
from tests._shared import background
from tests._shared.background import early
from tests._shared.installed import install, run_session_batch

# Test files import this file as ``tests.conftest``, pytest as ``conftest``: one module
# for both (the background work's state is in tests._shared.background, one module anyway)
sys.modules.setdefault("tests.conftest", sys.modules[__name__])

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


# -- work made in the background from the start of the session ----------------------------
WARNINGS_AS_IN_TESTS = ("import sys, warnings\n"
                        "from riskmodel.errors import ScenarioWarning\n"
                        "warnings.simplefilter('error', ScenarioWarning)\n")
"""The start of a Python program run for the tests: ScenarioWarning is an error, as
pyproject.toml's ``filterwarnings`` makes it in the tests."""


@pytest.hookimpl(trylast=True)  # after -k, -m, --deselect and --lf have selected the tests
def pytest_collection_modifyitems(session, config, items):
    background.start_selected(config, items)


def pytest_sessionfinish(session, exitstatus):
    stuck = background.stop_all()
    if stuck:  # a thread waits for something other than a process: the session fails
        print(f"\nbackground work still running at the end of the session: {stuck}",
              file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def quiet_machine() -> None:
    """For a test that must run while nothing else does: waits until all background work
    has finished (its test file runs after all the others, and this process only waits
    for the test's own processes).

    The what-if notebook under papermill was seen to hang more often with other
    processes busy (tests/test_whatif.py says what hangs)."""
    background.wait_for_all()


# tests/_shared/installed.py says what they are
installed = early(install, name="installed")
executed_batch_run = early(run_session_batch, after=["installed"], name="executed_batch_run")


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
    that run the simulation on a cluster's executor and ``--scheduler``. Closed right
    after the last of them, so the tests after it run in a process whose cluster is gone,
    as they did with a cluster of their own."""
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
