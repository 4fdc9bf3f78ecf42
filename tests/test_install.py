"""Installs like a user: the wheel, in a fresh virtualenv outside the checkout.

The wheel is built from a copy of the checkout (so the build writes nothing here), checked
for its tags and package data, and installed with ``--no-deps`` into a new virtualenv in
a temporary folder: the ``installed`` fixture (tests/_shared/installed.py), which says how the
dependencies and the Jupyter kernel are found there (the tests check that ``riskmodel``
and the kernel are the wheel's). Then, from a folder outside the checkout: ``riskmodel
example``, ``validate``, ``simulate --json`` on both kernel backends (the same numbers),
and a three-scenario ``batch`` whose reports, workbook and deck must open: the session's
executed batch, which the installed command line runs (``executed_batch_run``) on a Dask
cluster started in the virtualenv (the default local pool of worker processes is run by
tests/reporting/test_batch.py's broken batch, in this environment). Nothing
may be written into the checkout or into the installed package. Offline: nothing is
downloaded.

The wheel is built, and the commands run, in the background from the start of the
session (``early``, tests/_shared/background.py); the tests check what they did.
"""
from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from tests._shared.background import early
from tests._shared.installed import ROOT, compiled_here, listing, unwatched

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX virtualenv layout")]


@pytest.fixture(scope="module", autouse=True)
def nothing_written_into_the_checkout(installed):
    """Nothing appears in the checkout from before the wheel was built (the start of the
    session) to the end of these tests. The wheel is built and its commands run in the
    background while the rest of the suite runs, so a file that any test of the session
    wrote into the checkout fails this check too."""
    yield
    after = listing(ROOT, unwatched)
    new = sorted(set(after) - set(installed.checkout_before))
    assert not new, ("files written into the checkout during the session (by the wheel's "
                     f"build or commands, or by another test run meanwhile): {new}")
    times = ", ".join(f"{k} {v:.1f} s" for k, v in installed.times.items())
    print(f"\ninstall test: {installed.wheel.name}; {times}")


def test_wheel_tags_and_contents(installed):
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    import riskmodel

    name, version, _, tags = parse_wheel_filename(installed.wheel.name)
    assert name == "riskmodel" and str(version) == riskmodel.__version__
    assert tags & set(sys_tags()), f"{installed.wheel.name} does not install here"
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
        meta = whl.read(f"riskmodel-{version}.dist-info/WHEEL").decode()
        entry_points = whl.read(f"riskmodel-{version}.dist-info/entry_points.txt").decode()
    assert "riskmodel = riskmodel.cli:main" in entry_points
    for folder in ("scenarios", "batches", "status"):
        shipped = {p.name for p in (ROOT / "riskmodel" / "data" / folder).glob("*.yaml")}
        assert shipped, folder
        assert {f"riskmodel/data/{folder}/{n}" for n in shipped} <= names
    notebooks = {p.name for p in (ROOT / "riskmodel" / "notebooks").glob("*.ipynb")}
    assert {"scenario_report.ipynb", "what_if.ipynb"} <= notebooks
    assert {f"riskmodel/notebooks/{n}" for n in notebooks} <= names
    assert "riskmodel/py.typed" in names
    assert not any(".ipynb_checkpoints" in n or "__pycache__" in n or n.startswith("tests/")
                   for n in names), sorted(names)
    compiled = [n for n in names if n.startswith("riskmodel/sim/_kernels")
                and n.endswith((".so", ".pyd"))]
    if compiled_here():
        assert len(compiled) == 1, compiled
        assert "Root-Is-Purelib: false" in meta
        assert all(t.interpreter.startswith("cp") and t.platform != "any" for t in tags)
    print(f"\nwheel: {installed.wheel.name} ({len(names)} files; compiled: {compiled})")


@early(after=["installed"])
def installed_imports(ctx):
    """Asked of the virtualenv's Python in the background, once the wheel is installed:
    where riskmodel, its examples and its notebook are, and the ``riskmodel`` kernel's
    spec. Returns (the three paths, the spec's folder and command)."""
    installed = ctx.value("installed")
    code = ("import json, riskmodel, riskmodel.examples as ex, riskmodel.reporting.batch as b; "
            "from jupyter_client.kernelspec import KernelSpecManager as M; "
            "s = M().get_kernel_spec('riskmodel'); "
            "print(json.dumps({'paths': [riskmodel.__file__, str(ex.path()), str(b.NOTEBOOK)], "
            "'dir': s.resource_dir, 'argv': s.argv}))")
    found = json.loads(installed.py(code, "imports"))
    return [Path(p) for p in found.pop("paths")], found


def test_installed_package_is_the_wheel(installed, installed_imports):
    paths, spec = installed_imports
    assert len(paths) == 3, paths
    for path in paths:
        assert path.is_relative_to(installed.venv), f"{path} is not the wheel's"
        assert path.exists()
    assert Path(spec["dir"]).is_relative_to(installed.venv), spec
    assert Path(spec["argv"][0]) == installed.python, spec


SCENARIO = Path("ex/data/scenarios/soc2_readiness.yaml")


@early(after=["installed"])
def installed_commands(ctx):
    """Run by the installed wheel from the folder outside the checkout, in the background
    once it is installed (``Installed.run``: each must exit 0): ``riskmodel example ex``,
    ``validate`` of its default scenario (``SCENARIO``), and on each kernel backend
    (``RISKMODEL_KERNELS``) ``simulate --json --iterations 5000`` and the backend that
    Python then loads. Returns (what example printed, what validate printed, {backend:
    (simulate's JSON, the backend loaded)})."""
    installed = ctx.value("installed")
    example = installed.run("riskmodel", "example", "ex", step="example").stdout
    validate = installed.run("riskmodel", "validate", SCENARIO, step="validate").stdout
    runs = {}
    for backend in ["numpy", "compiled"] if compiled_here() else ["numpy"]:
        env = {"RISKMODEL_KERNELS": backend}
        text = installed.run("riskmodel", "simulate", SCENARIO, "--json", "--iterations", "5000",
                             step="simulate", env=env).stdout
        used = installed.py("from riskmodel.sim import kernels; print(kernels.BACKEND)",
                            "simulate", env=env)
        runs[backend] = (json.loads(text), used)
    return example, validate, runs


def test_example_validate_simulate(installed, installed_commands):
    example, validate, runs = installed_commands
    assert "file(s) written" in example
    for rel in (SCENARIO, Path("ex/data/batches/leadership.yaml"),
                Path("ex/data/status/2027-01-04.yaml"),
                Path("ex/notebooks/scenario_report.ipynb")):
        assert (installed.work / rel).is_file(), rel
    assert validate.startswith(f"{SCENARIO}: OK")

    backends = ["numpy", "compiled"] if compiled_here() else ["numpy"]
    assert list(runs) == backends
    for backend, (_, used) in runs.items():
        assert used == backend
    doc = runs["numpy"][0]
    assert doc["iterations"] == 5000
    assert 0 < doc["targets"]["audit"]["probability"] < 1
    assert doc["finish"]["p50"] <= doc["finish"]["p80"] and doc["cost"]["mean"] > 0
    for backend, (other, _) in runs.items():
        assert other == doc, f"{backend} backend: different numbers"


def test_batch(installed, executed_batch_run):
    # the session's batch (tests/conftest.py): `riskmodel batch <relative path> --output
    # reports --quiet` run by the installed command line in the folder outside the checkout
    run = executed_batch_run
    assert Path(run.cwd) == installed.work
    assert run.code == 0, f"exit code {run.code}\nstdout:\n{run.out}\nstderr:\n{run.err}"
    assert "FAILED" not in run.out, run.out

    folder = installed.work / "reports" / "test-batch"
    assert run.folder == folder
    record = json.loads((folder / "batch.json").read_text())
    assert not record["failed"] and len(record["scenarios"]) == 3, record
    for ident in record["scenarios"]:
        html = (folder / ident / "report.html").read_text(encoding="utf-8")
        assert "<html" in html.lower()
        summary = json.loads((folder / ident / "summary.json").read_text())
        assert summary["iterations"] == 3000
    for name in ("comparison.html", "summary.csv"):
        assert (folder / name).is_file(), name

    import openpyxl
    from pptx import Presentation

    assert len(Presentation(str(folder / "deck.pptx")).slides) >= 2
    book = openpyxl.load_workbook(folder / "forecast.xlsx", read_only=True)
    assert book.sheetnames
    book.close()
    before, after = run.package
    assert before and after == before, "the batch wrote into the installed package"
