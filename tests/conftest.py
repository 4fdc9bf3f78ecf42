"""Shared helpers: small scenarios built in code, the default scenario's path, and the
expensive things several test files read (one simulated result, the wheel installed in a
fresh virtualenv, one executed batch, one Dask cluster, one sample batch of summaries),
each made once per session.

The slowest of them are made by other processes (a wheel build, notebooks run by
papermill): those start in the background as soon as the tests are collected (``Early``)
and the test files that read them run last, so that the rest of the suite runs meanwhile.
"""
from __future__ import annotations

import contextlib
import copy
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from riskmodel import Scenario

# Test files import this file as ``tests.conftest``, pytest as ``conftest``: one module
# for both, so that they share its state (the background work, the processes it started).
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


# -- work started in the background as soon as the tests are collected -------------------
class Early:
    """A session fixture's value made by ``func(ctx)`` (``ctx``: an ``EarlyContext``) in a
    background thread.

    The thread starts as soon as the tests are collected, if a selected test uses the
    fixture (``pytest_collection_modifyitems`` below), rather than when the first such
    test runs; the test files that use it run after all the others. The work is done
    by other processes (the thread only starts them and waits: ``run_process``), so it
    takes the machine's other core while this process runs the rest of the suite.
    Nothing in the thread runs papermill or a Dask client in this process: a notebook
    client in a process that has run a Dask cluster can wait forever for a reply the
    kernel already sent.

    A failure (an assertion, a skip) is raised again in every test that uses the fixture.
    """

    def __init__(self, func: Callable[[EarlyContext], Any], after: tuple[str, ...] = ()):
        self.func = func
        self.name = func.__name__
        self.after = after  # the Early fixtures it reads (EarlyContext.value)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def start(self, ctx: EarlyContext) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, args=(ctx,),
                                                name=f"early-{self.name}", daemon=True)
                self._thread.start()

    def _run(self, ctx: EarlyContext) -> None:
        try:
            self._value = self.func(ctx)
        except BaseException as exc:  # raised again where the value is asked for
            self._error = exc
        finally:
            self._done.set()

    def result(self, ctx: EarlyContext) -> Any:
        """The value, once made (started here if it was not started early)."""
        self.start(ctx)
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value

    def finish(self) -> None:
        """Wait for the work if it was started (whether it succeeds or not)."""
        if self._thread is not None:
            self._done.wait()


class EarlyContext:
    """What the background work of an ``Early`` fixture gets: the session's temporary
    folders, and the values of the other ``Early`` fixtures it needs (``value``)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory):
        self.tmp_path_factory = tmp_path_factory

    def value(self, name: str) -> Any:
        return _EARLY[name].result(self)


_EARLY: dict[str, Early] = {}
"""Fixture name -> the background work that makes its value (``early``)."""
_CONTEXT = pytest.StashKey[EarlyContext]()


def early(func=None, *, after: Sequence[str] = ()):
    """Decorator: a session fixture named like ``func``, whose value ``func(ctx)`` makes
    in the background (``Early``); ``after`` names the ``early`` fixtures it reads with
    ``ctx.value``. For this file and test files alike."""
    if func is None:
        return lambda func: early(func, after=after)
    job = _EARLY[func.__name__] = Early(func, tuple(after))

    def fixture(request):
        return job.result(request.config.stash[_CONTEXT])

    fixture.__doc__ = func.__doc__
    return pytest.fixture(scope="session", name=job.name)(fixture)


@pytest.fixture(scope="session")
def quiet_machine() -> None:
    """For a test that must run while nothing else does: waits until all background work
    has finished (its test file runs after all the others, and this process only waits
    for the test's own processes).

    The what-if notebook under papermill can wait forever for the reply to a cell when
    other processes keep the processors busy: the notebook client mimics the Output
    widget by sending on the kernel's shell channel from the task that reads IOPub while
    another task awaits the cell's reply on that channel, and the wake-up for the reply
    can be lost (nbclient 0.11, pyzmq 27). Seen in 3 of 10 runs with one other busy
    process, in none of 10 on an idle machine."""
    for job in _EARLY.values():
        job.finish()


@pytest.hookimpl(trylast=True)  # after -k, -m, --deselect and --lf have selected the tests
def pytest_collection_modifyitems(session, config, items):
    """Start the background work that the selected tests use (and the work it needs), and
    move the test files that use it to the end, each file whole: first those whose work
    needs no other work's result, then those that need one, and so on (in their order
    otherwise); last the files of tests that need a quiet machine (``quiet_machine``)."""
    factory = config._tmp_path_factory  # what the tmp_path_factory fixture returns
    ctx = config.stash[_CONTEXT] = EarlyContext(factory)
    if config.getoption("collectonly") or config.getoption("setupplan"):
        return
    used = {name for name in _EARLY
            if any(name in getattr(item, "fixturenames", ()) for item in items)}

    def depth(name: str) -> int:
        return 1 + max((depth(n) for n in _EARLY[name].after), default=0)

    quiet = 1 + max((depth(name) for name in used), default=0)
    late: dict[Path, int] = {}
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        depths = [depth(name) for name in used & names]
        if "quiet_machine" in names:
            depths.append(quiet)
        late[item.path] = max([late.get(item.path, 0), *depths])
    items.sort(key=lambda item: late[item.path])  # stable: the order otherwise kept
    needed = set(used)  # and the work they need
    while more := {n for name in needed for n in _EARLY[name].after} - needed:
        needed |= more
    if needed:
        factory.getbasetemp()  # made here, not by two threads at once
    for name in sorted(needed, key=depth):
        _EARLY[name].start(ctx)


_CHILDREN: set[subprocess.Popen] = set()
"""Processes started by ``run_process`` that are still running."""
_OWN_GROUP = 0 if os.name == "posix" else None
"""``Popen(process_group=...)``: a process group of its own (POSIX)."""

WARNINGS_AS_IN_TESTS = ("import sys, warnings\n"
                        "from riskmodel.errors import ScenarioWarning\n"
                        "warnings.simplefilter('error', ScenarioWarning)\n")
"""The start of a Python program run for the tests: ScenarioWarning is an error, as
pyproject.toml's ``filterwarnings`` makes it in the tests."""


def run_process(args, *, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run(args, capture_output=True, text=True, timeout=timeout)`` in a
    process group of its own, which the end of the session stops if it is still running
    (an interrupted or failed session leaves no wheel build or batch behind). The same
    session as this process, not a new one: Linux shares the processor fairly between
    sessions ("autogroups"), whatever their priority (``_yield_to_the_tests``)."""
    with subprocess.Popen([str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, process_group=_OWN_GROUP,
                          **kwargs) as proc:
        _CHILDREN.add(proc)
        _yield_to_the_tests(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            _stop(proc)
            raise
        finally:
            _CHILDREN.discard(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _yield_to_the_tests(proc: subprocess.Popen) -> None:
    """Lower the priority of a process started in the background (and so of the processes
    it starts: kernels, workers): it takes a core this process does not need, never the
    one it runs the tests on."""
    if threading.current_thread() is not threading.main_thread() and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
        except OSError:  # already gone
            pass


def _stop(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and its process group (the kernels or workers it started)."""
    if sys.platform != "win32":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.kill()
    proc.wait()


def pytest_sessionfinish(session, exitstatus):
    for proc in list(_CHILDREN):
        _stop(proc)


# -- the wheel, installed in a fresh virtualenv outside the checkout ----------------------
# left out of the copy the wheel is built from: environments, caches, build products and outputs
_TOP_SKIP = {".git", ".venv", "build", "dist", "reports", "gallery", ".ci"}
_ANY_SKIP = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
             ".ipynb_checkpoints"}
_FILE_SKIP = (".pyc", ".so", ".pyd")


def _skipped(rel: Path) -> bool:
    parts = rel.parts
    return bool(parts) and (parts[0] in _TOP_SKIP or parts[0].endswith(".egg-info")
                            or any(p in _ANY_SKIP for p in parts)
                            or rel.name.endswith(_FILE_SKIP))


def unwatched(rel: Path) -> bool:
    """True for what the before/after listing of the checkout leaves out: the git
    folder, the project's environment, caches, and Python sources (which people may be
    editing meanwhile); any other file that appears is an error."""
    return bool(rel.parts) and (rel.parts[0] in (".git", ".venv")
                                or any(p in _ANY_SKIP for p in rel.parts)
                                or rel.name.endswith((".pyc", ".py")))


def listing(folder: Path, skip=lambda rel: False) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (links not followed): relative path -> (mtime, size)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath).relative_to(folder)
        dirnames[:] = [d for d in dirnames if not skip(here / d)]
        for name in filenames:
            rel = here / name
            if not skip(rel):
                st = (folder / rel).lstat()
                out[str(rel)] = (st.st_mtime_ns, st.st_size)
    return out


def _copy_source(dest: Path) -> None:
    """The checkout's sources (links kept as links), as a fresh clone has them."""
    def ignore(dirpath: str, names: list[str]) -> set[str]:
        here = Path(dirpath).relative_to(ROOT)
        return {n for n in names if _skipped(here / n)}

    shutil.copytree(ROOT, dest, symlinks=True, ignore=ignore)


def _missing_build_requirements() -> list[str]:
    """pyproject.toml's build requirements this environment does not satisfy (the wheel
    is built without build isolation, so without downloading them)."""
    import tomllib
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    missing = []
    for text in tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]:
        req = Requirement(text)
        try:
            have = version(req.name)
        except PackageNotFoundError:
            missing.append(f"{text} (not installed)")
            continue
        if not req.specifier.contains(have, prereleases=True):
            missing.append(f"{text} ({have} installed)")
    return missing


def compiled_here() -> bool:
    """Whether this environment built the compiled loops (so a C compiler works here)."""
    from riskmodel.sim import kernels

    return "compiled" in kernels.available_backends()


class Installed:
    """The wheel, the virtualenv it is installed in, and a way to run commands there."""

    def __init__(self, base: Path):
        self.base = base
        self.wheel: Path | None = None
        self.venv = base / "venv"
        self.work = base / "work"
        self.site = Path()  # the virtualenv's site-packages
        self.checkout_before: dict[str, tuple[int, int]] = {}  # listing(ROOT, unwatched)
        self.times: dict[str, float] = {}
        self._times_lock = threading.Lock()  # commands run from several threads
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "RISKMODEL_KERNELS",
                                 "JUPYTER_PATH", "JUPYTER_DATA_DIR", "PIP_REQUIRE_VIRTUALENV")}
        self.env.update({
            "PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(self.venv),
            # the new virtualenv's kernels first; then the data files the dependencies
            # installed into this environment's prefix (nbconvert's templates)
            "JUPYTER_PATH": os.pathsep.join([str(self.venv / "share" / "jupyter"),
                                             str(Path(sys.prefix) / "share" / "jupyter")]),
            "JUPYTER_DATA_DIR": str(base / "jupyter-data"),
            "MPLCONFIGDIR": str(base / "mpl"),
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",  # no .pyc written into the project's .venv
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INDEX": "1",
        })

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args, step: str, cwd: Path | None = None, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        t0 = time.perf_counter()
        proc = run_process(args, cwd=cwd or self.work, timeout=timeout,
                           env={**self.env, **(env or {})})
        with self._times_lock:
            self.times[step] = self.times.get(step, 0.0) + time.perf_counter() - t0
        assert proc.returncode == 0, (f"{step}: exit code {proc.returncode}\n"
                                      f"stdout:\n{proc.stdout[-3000:]}\n"
                                      f"stderr:\n{proc.stderr[-3000:]}")
        return proc

    def py(self, code: str, step: str, env: dict[str, str] | None = None) -> str:
        return self.run(self.python, "-c", code, step=step, env=env).stdout.strip()


@early
def installed(ctx):
    """Installs like a user (tests/test_install.py): the wheel, built from a copy of the
    checkout (so the build writes nothing here), installed with ``--no-deps`` into a new
    virtualenv in a temporary folder. The dependencies come from this project's
    environment through a ``.pth`` file listing its site-packages: a folder added by a
    ``.pth`` file does not run the ``.pth`` files inside it, so the checkout's editable
    riskmodel stays invisible; ``JUPYTER_PATH`` adds the data files they installed into
    this environment's prefix (nbconvert's templates). A Jupyter kernel named
    ``riskmodel`` is registered in the new virtualenv, so notebooks run there run the
    wheel's riskmodel too. The virtualenv gets no pip of its own (installing one takes
    seconds): this project's pip installs the wheel, run by the virtualenv's interpreter
    (``pip --python``). Offline: nothing is downloaded.

    Shared by the install tests and the session's executed batch (which the installed
    command line runs); made in the background (the build takes several seconds)."""
    if sys.platform == "win32":
        pytest.skip("POSIX virtualenv layout")
    base = ctx.tmp_path_factory.mktemp("install")
    assert not base.resolve().is_relative_to(ROOT), "the temporary folder is in the checkout"
    inst = Installed(base)
    inst.work.mkdir()
    inst.checkout_before = listing(ROOT, unwatched)

    # the wheel, from a copy of the checkout (the build writes build/ and *.egg-info)
    missing = _missing_build_requirements()
    assert not missing, ("build requirements missing from this environment (the test extra "
                         f"should bring them): {', '.join(missing)}")
    src, dist = base / "src", base / "dist"
    _copy_source(src)
    build_env = {"RISKMODEL_REQUIRE_COMPILED": "1"} if compiled_here() else {}
    inst.run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
             "-w", dist, step="build wheel", cwd=src, env=build_env)
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    inst.wheel = wheels[0]

    # a fresh virtualenv, the wheel without its dependencies, and the project's
    # site-packages for those (the lines of a .pth file are added as they are)
    inst.run(sys.executable, "-m", "venv", "--without-pip", inst.venv, step="create venv",
             cwd=base)
    inst.run(sys.executable, "-m", "pip", "--python", inst.python, "install", "--quiet",
             "--no-deps", inst.wheel, step="install wheel", cwd=base)
    inst.site = Path(inst.py("import sysconfig; print(sysconfig.get_paths()['purelib'])",
                             "create venv"))
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (inst.site / "riskmodel_test_deps.pth").write_text("".join(f"{d}\n" for d in deps))
    inst.run(inst.python, "-m", "ipykernel", "install", "--prefix", inst.venv,
             "--name", "riskmodel", "--display-name", "Python (riskmodel)", step="kernel",
             cwd=base)
    return inst


# -- one executed batch, run by the installed wheel ---------------------------------------
SESSION_BATCH = """\
# the session's batch, written by tests/conftest.py
name: test-batch
title: Session batch check
iterations: 3000
seed: 11
scenarios:
  - name: Baseline
    scenario: ../scenarios/soc2_readiness.yaml
  - name: Add a Salesforce contractor
    scenario: ../scenarios/soc2_readiness.yaml
    changes:
      - staffing: {workstream: sf_permissions, staffing: {sf_developer_contract: 2.0}}
  - name: Type II report in hand
    scenario: ../scenarios/soc2_type2_report.yaml
"""

_CLUSTER = """\
import sys
from distributed import LocalCluster

# no dashboard; the scheduler's other HTTP routes on a free port (not 8787, which the
# session's dask_cluster may want meanwhile)
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                  scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()  # until the test closes it
"""
"""A real Dask ``LocalCluster`` (two worker processes, one thread each), up until its
standard input is closed."""


@contextlib.contextmanager
def _venv_cluster(inst: Installed):
    """``_CLUSTER`` run by the installed virtualenv's Python in its work folder, closed
    when the block ends. Yields a function that returns its scheduler's address once it
    is up (None where Dask is not installed: the virtualenv has our packages)."""
    if importlib.util.find_spec("distributed") is None:
        yield lambda: None
        return
    log = inst.base / "cluster.log"
    with open(log, "w") as err, subprocess.Popen(
            [inst.python, "-c", _CLUSTER], cwd=inst.work, env=inst.env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            process_group=_OWN_GROUP) as cluster:
        _CHILDREN.add(cluster)
        _yield_to_the_tests(cluster)
        address: list[str] = []

        def scheduler() -> str:
            if not address:
                address.append(cluster.stdout.readline().strip())
            assert address[0], f"the Dask cluster did not start:\n{log.read_text()[-3000:]}"
            return address[0]

        try:
            yield scheduler
        finally:
            cluster.stdin.close()  # the cluster closes
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _stop(cluster)
            _CHILDREN.discard(cluster)


@early(after=["installed"])
def executed_batch_run(ctx):
    """One real batch, run once for the tests that only read a batch's outputs and for
    the install test's batch: the installed wheel's command line ``riskmodel batch
    --quiet`` (``installed``), from a folder outside the checkout, on the examples that
    ``riskmodel example`` copies there (``SESSION_BATCH``: the default scenario as
    "Baseline" and "Add a Salesforce contractor", and the Type II scenario, 3,000
    iterations, seed 11), with relative paths, real papermill and the wheel's kernel.
    It runs on a real Dask cluster started in that virtualenv (``--scheduler``: two
    worker processes, so the test of a batch on a cluster reads this one too); where Dask
    is not installed, in two local worker processes (``--jobs 2``).

    Returns a namespace: ``code`` (the exit code), ``out`` and ``err`` (what the command
    printed), ``scheduler`` (the cluster's address or None), ``record`` (batch.json),
    ``folder`` (the batch folder), ``cwd`` (where the command ran: ``record["file"]`` is
    relative to it) and ``package`` (listings of the installed package before and after
    the batch). Readers must not change the folder (a test that resumes the batch does
    so on a copy)."""
    import json

    inst = ctx.value("installed")
    package = inst.site / "riskmodel"
    with _venv_cluster(inst) as cluster:  # it starts while the examples are copied
        inst.run("riskmodel", "example", "session", step="example")
        batch = Path("session") / "data" / "batches" / "test-batch.yaml"
        (inst.work / batch).write_text(SESSION_BATCH, encoding="utf-8")
        before = listing(package, lambda rel: "__pycache__" in rel.parts)
        scheduler = cluster()
        where = ["--scheduler", scheduler] if scheduler else ["--jobs", "2"]
        proc = run_process(["riskmodel", "batch", batch, "--output", "reports", "--quiet",
                            *where], cwd=inst.work, env=inst.env, timeout=600)
    after = listing(package, lambda rel: "__pycache__" in rel.parts)
    folder = inst.work / "reports" / "test-batch"
    record_file = folder / "batch.json"
    record = json.loads(record_file.read_text()) if record_file.is_file() else None
    return SimpleNamespace(code=proc.returncode, out=proc.stdout, err=proc.stderr,
                           scheduler=scheduler, record=record, folder=folder, cwd=inst.work,
                           package=(before, after))


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
