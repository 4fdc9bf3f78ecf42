"""Installs like a user: the wheel, in a fresh virtualenv outside the checkout.

The wheel is built from a copy of the checkout (so the build writes nothing here), checked
for its tags and package data, and installed with ``--no-deps`` into a new virtualenv in
a temporary folder. The dependencies come from this project's environment through a
``.pth`` file listing its site-packages: a folder added by a ``.pth`` file does not run
the ``.pth`` files inside it, so the checkout's editable riskmodel stays invisible (the
test checks that ``riskmodel`` is the wheel's); ``JUPYTER_PATH`` adds the data files they
installed into this environment's prefix (nbconvert's templates). A Jupyter kernel named
``riskmodel`` is registered in the new virtualenv, so the batch's notebooks run the
wheel's riskmodel too.
Then, from a folder outside the checkout: ``riskmodel example``, ``validate``,
``simulate --json`` on both kernel backends (the same numbers), and a two-scenario
``batch`` whose report, workbook and deck must open. Nothing may be written into the
checkout or into the installed package. Offline: nothing is downloaded.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX virtualenv layout")]

ROOT = Path(__file__).resolve().parent.parent
# left out of the copy the wheel is built from: environments, caches, build products and outputs
_TOP_SKIP = {".git", ".venv", "build", "dist", "reports", "gallery", ".ci"}
_ANY_SKIP = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
             ".ipynb_checkpoints"}
_FILE_SKIP = (".pyc", ".so", ".pyd")
BATCH_YAML = """\
# two scenarios of the shipped example, written by tests/test_install.py
name: install-check
title: Installed wheel check
iterations: 3000
seed: 20261207
scenarios:
  - name: Baseline
    scenario: ../scenarios/soc2_readiness.yaml
  - name: Mitigate the evidence-gap risk
    scenario: ../scenarios/soc2_readiness.yaml
    changes:
      - mitigate: {risk: evidence_gaps, probability: 0.10, cost: 15000}
"""


def _skipped(rel: Path) -> bool:
    parts = rel.parts
    return bool(parts) and (parts[0] in _TOP_SKIP or parts[0].endswith(".egg-info")
                            or any(p in _ANY_SKIP for p in parts)
                            or rel.name.endswith(_FILE_SKIP))


def _unwatched(rel: Path) -> bool:
    """True for what the before/after listing of the checkout leaves out: the git
    folder, the project's environment, caches, and Python sources (which people may be
    editing meanwhile); any other file that appears is an error."""
    return bool(rel.parts) and (rel.parts[0] in (".git", ".venv")
                                or any(p in _ANY_SKIP for p in rel.parts)
                                or rel.name.endswith((".pyc", ".py")))


def _listing(folder: Path, skip=lambda rel: False) -> dict[str, tuple[int, int]]:
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


def _compiled_here() -> bool:
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
        self.times: dict[str, float] = {}
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
        proc = subprocess.run([str(a) for a in args], cwd=cwd or self.work, timeout=timeout,
                              env={**self.env, **(env or {})}, capture_output=True, text=True)
        self.times[step] = self.times.get(step, 0.0) + time.perf_counter() - t0
        assert proc.returncode == 0, (f"{step}: exit code {proc.returncode}\n"
                                      f"stdout:\n{proc.stdout[-3000:]}\n"
                                      f"stderr:\n{proc.stderr[-3000:]}")
        return proc

    def py(self, code: str, step: str, env: dict[str, str] | None = None) -> str:
        return self.run(self.python, "-c", code, step=step, env=env).stdout.strip()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    assert not base.resolve().is_relative_to(ROOT), "the temporary folder is in the checkout"
    inst = Installed(base)
    inst.work.mkdir()
    before = _listing(ROOT, _unwatched)

    # the wheel, from a copy of the checkout (the build writes build/ and *.egg-info)
    missing = _missing_build_requirements()
    assert not missing, ("build requirements missing from this environment (the test extra "
                         f"should bring them): {', '.join(missing)}")
    src, dist = base / "src", base / "dist"
    _copy_source(src)
    build_env = {"RISKMODEL_REQUIRE_COMPILED": "1"} if _compiled_here() else {}
    inst.run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
             "-w", dist, step="build wheel", cwd=src, env=build_env)
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    inst.wheel = wheels[0]

    # a fresh virtualenv, the wheel without its dependencies, and the project's
    # site-packages for those (the lines of a .pth file are added as they are)
    inst.run(sys.executable, "-m", "venv", inst.venv, step="create venv", cwd=base)
    inst.run(inst.python, "-m", "pip", "install", "--quiet", "--no-deps", inst.wheel,
             step="install wheel", cwd=base)
    site = Path(inst.py("import sysconfig; print(sysconfig.get_paths()['purelib'])",
                        "create venv"))
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "riskmodel_test_deps.pth").write_text("".join(f"{d}\n" for d in deps))
    inst.run(inst.python, "-m", "ipykernel", "install", "--prefix", inst.venv,
             "--name", "riskmodel", "--display-name", "Python (riskmodel)", step="kernel",
             cwd=base)
    inst.site = site
    yield inst

    after = _listing(ROOT, _unwatched)
    new = sorted(set(after) - set(before))
    assert not new, f"files written into the checkout: {new}"
    times = ", ".join(f"{k} {v:.1f} s" for k, v in inst.times.items())
    print(f"\ninstall test: {inst.wheel.name}; {times}")


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
    if _compiled_here():
        assert len(compiled) == 1, compiled
        assert "Root-Is-Purelib: false" in meta
        assert all(t.interpreter.startswith("cp") and t.platform != "any" for t in tags)
    print(f"\nwheel: {installed.wheel.name} ({len(names)} files; compiled: {compiled})")


def test_installed_package_is_the_wheel(installed):
    code = ("import riskmodel, riskmodel.examples as ex, riskmodel.reporting.batch as b; "
            "print(riskmodel.__file__); print(ex.path()); print(b.NOTEBOOK)")
    paths = [Path(p) for p in installed.py(code, "imports").splitlines()]
    for path in paths:
        assert path.is_relative_to(installed.venv), f"{path} is not the wheel's"
        assert path.exists()
    spec = json.loads(installed.py(
        "import json; from jupyter_client.kernelspec import KernelSpecManager as M; "
        "s = M().get_kernel_spec('riskmodel'); "
        "print(json.dumps({'dir': s.resource_dir, 'argv': s.argv}))", "imports"))
    assert Path(spec["dir"]).is_relative_to(installed.venv), spec
    assert Path(spec["argv"][0]) == installed.python, spec


def test_example_validate_simulate(installed):
    out = installed.run("riskmodel", "example", "ex", step="example").stdout
    assert "file(s) written" in out
    scenario = Path("ex/data/scenarios/soc2_readiness.yaml")
    for rel in (scenario, Path("ex/data/batches/leadership.yaml"),
                Path("ex/data/status/2027-01-04.yaml"),
                Path("ex/notebooks/scenario_report.ipynb")):
        assert (installed.work / rel).is_file(), rel
    out = installed.run("riskmodel", "validate", scenario, step="validate").stdout
    assert out.startswith(f"{scenario}: OK")

    backends = ["numpy", "compiled"] if _compiled_here() else ["numpy"]
    docs = {}
    for backend in backends:
        env = {"RISKMODEL_KERNELS": backend}
        text = installed.run("riskmodel", "simulate", scenario, "--json", "--iterations", "5000",
                             step="simulate", env=env).stdout
        docs[backend] = json.loads(text)
        used = installed.py("from riskmodel.sim import kernels; print(kernels.BACKEND)",
                            "simulate", env=env)
        assert used == backend
    doc = docs["numpy"]
    assert doc["iterations"] == 5000
    assert 0 < doc["targets"]["audit"]["probability"] < 1
    assert doc["finish"]["p50"] <= doc["finish"]["p80"] and doc["cost"]["mean"] > 0
    for backend in backends:
        assert docs[backend] == doc, f"{backend} backend: different numbers"


def test_batch(installed):
    if not (installed.work / "ex").is_dir():
        installed.run("riskmodel", "example", "ex", step="example")
    package = installed.site / "riskmodel"
    unchanged = _listing(package, lambda rel: "__pycache__" in rel.parts)
    batch = installed.work / "ex" / "data" / "batches" / "install_check.yaml"
    batch.write_text(BATCH_YAML, encoding="utf-8")
    out = installed.run("riskmodel", "batch", batch.relative_to(installed.work),
                        "--output", "reports", "--quiet", step="batch").stdout
    assert "FAILED" not in out, out

    folder = installed.work / "reports" / "install-check"
    record = json.loads((folder / "batch.json").read_text())
    assert not record["failed"] and len(record["scenarios"]) == 2, record
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
    assert _listing(package, lambda rel: "__pycache__" in rel.parts) == unchanged, \
        "the batch wrote into the installed package"
