"""The wheel, built from a copy of the checkout and installed in a fresh virtualenv
outside it (``install``), and one batch run there by the installed command line on a
Dask cluster started there (``run_session_batch``): the values of the ``installed`` and
``executed_batch_run`` fixtures of tests/conftest.py, made in the background."""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests._shared.background import OWN_GROUP, EarlyContext, run_process, stop, track, untrack

ROOT = Path(__file__).resolve().parent.parent.parent

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


def install(ctx: EarlyContext) -> Installed:
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
cell_timeout: 120  # a hung notebook cell fails its scenario in 2 minutes, not 10
scenarios:
  - name: Baseline
    scenario: ../scenarios/soc2_readiness.yaml
  - name: Contractor and evidence dry run
    scenario: ../scenarios/soc2_readiness.yaml
    changes:
      - staffing: {workstream: sf_permissions, staffing: {sf_developer_contract: 2.0}}
      - mitigate: {risk: evidence_gaps, probability: 0.10, cost: 15000}
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
CLUSTER_START = 120  # seconds


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
            process_group=OWN_GROUP) as cluster:
        track(cluster)
        address: list[str] = []

        def scheduler() -> str:
            if not address:
                up, _, _ = select.select([cluster.stdout], [], [], CLUSTER_START)
                address.append(cluster.stdout.readline().strip() if up else "")
            assert address[0], (f"the Dask cluster did not start within {CLUSTER_START} s:\n"
                                f"{log.read_text()[-3000:]}")
            return address[0]

        try:
            yield scheduler
        finally:
            cluster.stdin.close()  # the cluster closes
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop(cluster)
            untrack(cluster)


def run_session_batch(ctx: EarlyContext) -> SimpleNamespace:
    """One real batch, run once for the tests that only read a batch's outputs and for
    the install test's batch: the installed wheel's command line ``riskmodel batch
    --quiet`` (``installed``), from a folder outside the checkout, on the examples that
    ``riskmodel example`` copies there (``SESSION_BATCH``: the default scenario as
    "Baseline" and "Contractor and evidence dry run" (a staffing and a mitigate change),
    and the Type II scenario, 3,000
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
