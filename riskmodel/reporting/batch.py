"""``riskmodel batch``: many scenarios through the report notebook, then the batch outputs.

A batch file names scenarios (files, a base with overrides or named changes, grids).
Problems with the batch file itself (unknown keys, unknown notebook parameters, unsafe
or duplicate names) stop everything before anything is written. A scenario that fails
while running is recorded with its error and the others go on. Each scenario folder is
built in a temporary folder and moved into place when complete.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import shutil
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem, ScenarioError
from ..scenario.load import read_yaml
from ..scenario.problems import nearest
from .provenance import plain

__all__ = ["BatchItem", "Batch", "load_batch", "run_batch", "NOTEBOOK"]

ROOT = Path(__file__).resolve().parent.parent.parent
NOTEBOOK = ROOT / "notebooks" / "scenario_report.ipynb"
_BATCH_KEYS = {"name", "title", "notebook", "iterations", "seed", "scenarios", "grids",
               "kernel", "start_timeout", "cell_timeout"}
_ITEM_KEYS = {"name"}  # every other key of an item is a notebook parameter
_GRID_KEYS = {"name", "scenario", "audit_date", "options"}
_RESERVED = {"output_dir"}  # set by the runner


def slug(text: str) -> str:
    """A safe folder name: lower case letters, digits and dashes (no dots, no slashes)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:60]


@dataclass
class BatchItem:
    """One scenario of a batch: its folder id, its label and its notebook parameters."""

    id: str
    label: str
    parameters: dict[str, Any]


@dataclass
class Batch:
    """A validated batch file."""

    path: Path
    name: str
    title: str
    notebook: Path
    kernel: str
    items: list[BatchItem]
    start_timeout: int = 120
    cell_timeout: int = 600
    sha256: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


def _declared_parameters(notebook: Path) -> dict[str, Any]:
    import papermill

    return papermill.inspect_notebook(str(notebook))


def _kernel_of(notebook: Path) -> str:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return nb.metadata.get("kernelspec", {}).get("name", "python3")


def load_batch(path: str | Path) -> Batch:
    """Read and check a batch file; raises ``ScenarioError`` listing every problem."""
    path = Path(path)
    data, digest = read_yaml(path)
    src = str(path)
    if not isinstance(data, dict):
        raise ScenarioError(Problem("", "a batch file must be a mapping", src))
    problems: list[Problem] = []
    for key in data:
        if key not in _BATCH_KEYS:
            problems.append(Problem(str(key), f"unknown key '{key}'{nearest(key, _BATCH_KEYS)}",
                                    src))
    base = path.parent
    notebook = (base / data["notebook"]).resolve() if data.get("notebook") else NOTEBOOK
    if not notebook.is_file():
        raise ScenarioError(Problem("notebook", f"notebook {notebook} not found", src))
    declared = _declared_parameters(notebook)
    name = slug(data.get("name") or path.stem)
    if not name:
        problems.append(Problem("name", "the batch needs a name made of letters or digits", src))
    defaults = {k: data[k] for k in ("iterations", "seed") if k in data}

    raw_items: list[tuple[str, str, dict[str, Any]]] = []
    for i, item in enumerate(data.get("scenarios") or []):
        where = f"scenarios[{i}]"
        if not isinstance(item, dict) or "name" not in item or "scenario" not in item:
            problems.append(Problem(where, "each scenario needs a name and a scenario file", src))
            continue
        params = {k: v for k, v in item.items() if k not in _ITEM_KEYS}
        raw_items.append((where, str(item["name"]), params))
    for g, grid in enumerate(data.get("grids") or []):
        where = f"grids[{g}]"
        if not isinstance(grid, dict):
            problems.append(Problem(where, "a grid is a mapping", src))
            continue
        for key in grid:
            if key not in _GRID_KEYS:
                problems.append(Problem(f"{where}.{key}", f"unknown key '{key}'"
                                        f"{nearest(key, _GRID_KEYS)}", src))
        dates = grid.get("audit_date") or [""]
        dates = dates if isinstance(dates, list) else [dates]
        options = grid.get("options") or {"": {}}
        if not isinstance(options, dict):
            problems.append(Problem(f"{where}.options", "options map a label to parameters", src))
            continue
        pattern = str(grid.get("name", "{audit_date} {option}"))
        for date, (label, extra) in itertools.product(dates, options.items()):
            if not isinstance(extra, dict):
                problems.append(Problem(f"{where}.options.{label}", "expected a mapping", src))
                continue
            params = {"scenario": grid.get("scenario"), **extra}
            if date:
                params["audit_date"] = date
            raw_items.append((where, pattern.format(audit_date=date, option=label), params))
    if not raw_items:
        problems.append(Problem("scenarios", "the batch names no scenario", src))

    items, seen = [], {}
    for where, label, params in raw_items:
        ident = slug(label)
        if not ident:
            problems.append(Problem(f"{where}.name", f"'{label}' has no letters or digits to "
                                                     "make a folder name from", src))
            continue
        if ident in seen:
            problems.append(Problem(f"{where}.name", f"'{label}' gives the same folder "
                                                     f"'{ident}' as '{seen[ident]}'", src))
            continue
        seen[ident] = label
        params = {**defaults, **params, "title": params.get("title", label)}
        for key in params:
            if key not in declared or key in _RESERVED:
                known = [k for k in declared if k not in _RESERVED]
                problems.append(Problem(f"{where}.{key}", f"unknown parameter '{key}'"
                                        f"{nearest(key, known)}; the notebook takes "
                                        f"{', '.join(known)}", src))
        if params.get("scenario"):
            scenario_path = (base / str(params["scenario"])).resolve()
            if not scenario_path.is_file():
                problems.append(Problem(f"{where}.scenario", f"file not found: {scenario_path}",
                                        src))
            params["scenario"] = str(scenario_path)
        items.append(BatchItem(ident, label, plain(params)))
    if problems:
        raise ScenarioError(problems)
    return Batch(path=path, name=name, title=str(data.get("title") or data.get("name") or name),
                 notebook=notebook, kernel=str(data.get("kernel") or _kernel_of(notebook)),
                 items=items, start_timeout=int(data.get("start_timeout", 120)),
                 cell_timeout=int(data.get("cell_timeout", 600)), sha256=digest,
                 settings=plain(defaults))


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise ScenarioError(f"Jupyter kernel '{name}' is not installed: run 'make venv' (or "
                            f"python -m ipykernel install --sys-prefix --name {name})") from None


def _inside(folder: Path, root: Path) -> bool:
    return folder.resolve().is_relative_to(root.resolve())


def _run_one(item: BatchItem, batch: Batch, batch_dir: Path) -> dict[str, Any]:
    """Execute the notebook for one item into a temporary folder, then move it into place."""
    import papermill
    from nbconvert import HTMLExporter

    batch_dir = batch_dir.resolve()  # the kernel runs in the notebook's folder
    final = batch_dir / item.id
    tmp = batch_dir / f".tmp-{item.id}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    params = {**item.parameters, "output_dir": str(tmp)}
    try:
        papermill.execute_notebook(
            str(batch.notebook), str(tmp / "report.ipynb"), parameters=params,
            kernel_name=batch.kernel, start_timeout=batch.start_timeout,
            execution_timeout=batch.cell_timeout, progress_bar=False, cwd=str(batch.notebook.parent),
            log_output=False)
        exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                                exclude_output_prompt=True)
        body, _ = exporter.from_filename(str(tmp / "report.ipynb"))
        (tmp / "report.html").write_text(body, encoding="utf-8")
        if not (tmp / "summary.json").is_file():
            raise RuntimeError("the notebook wrote no summary.json")
    except Exception as exc:  # recorded, the batch goes on
        failed = batch_dir / "_failed"
        failed.mkdir(exist_ok=True)
        if (tmp / "report.ipynb").is_file():
            shutil.copy(tmp / "report.ipynb", failed / f"{item.id}.ipynb")
        shutil.rmtree(tmp, ignore_errors=True)
        return {"status": "failed", "error": _error_text(exc),
                "seconds": round(time.perf_counter() - t0, 2)}
    if final.exists():
        trash = batch_dir / f".old-{item.id}-{os.getpid()}"
        os.replace(final, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(tmp, final)
    return {"status": "ok", "seconds": round(time.perf_counter() - t0, 2)}


def _error_text(exc: Exception) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {exc}".strip()


def _complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in ("summary.json", "report.html", "report.ipynb"))


def run_batch(path: str | Path, *, output: str | Path = "reports", jobs: int = 1,
              resume: bool = False, progress: bool = True,
              executor: Executor | None = None) -> dict[str, Any]:
    """Run every scenario of a batch and write the batch outputs.

    Scenarios run ``jobs`` at a time in worker processes, or on ``executor`` (for
    example a Dask cluster's ``client.get_executor()``; its workers need this project
    and the notebook's kernel). Returns the batch record (also written as
    ``batch.json``); its ``failed`` count says whether all scenarios passed.
    """
    from tqdm import tqdm

    batch = load_batch(path)
    _check_kernel(batch.kernel)
    root = Path(output)
    batch_dir = root / batch.name
    if not _inside(batch_dir, root):  # pragma: no cover - slug() makes this impossible
        raise ScenarioError(f"batch folder {batch_dir} is outside {root}")
    batch_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    status: dict[str, dict[str, Any]] = {}
    todo = []
    for item in batch.items:
        if resume and _complete(batch_dir / item.id):
            status[item.id] = {"status": "ok", "resumed": True}
        else:
            todo.append(item)
    bar = tqdm(total=len(todo), desc=f"batch {batch.name}", unit="scenario",
               disable=not progress)
    if executor is not None or (jobs > 1 and len(todo) > 1):
        pool = executor or ProcessPoolExecutor(max_workers=jobs)
        try:
            futures = {pool.submit(_run_one, item, batch, batch_dir): item for item in todo}
            for future in as_completed(futures):
                status[futures[future].id] = future.result()
                bar.update()
        finally:
            if executor is None:
                pool.shutdown()
    else:
        for item in todo:
            status[item.id] = _run_one(item, batch, batch_dir)
            bar.update()
    bar.close()
    summaries = {}
    for item in batch.items:
        if status[item.id]["status"] == "ok":
            summaries[item.id] = json.loads((batch_dir / item.id / "summary.json").read_text())
    record = {
        "schema": "riskmodel.batch/1",
        "batch": batch.name, "title": batch.title,
        "file": str(batch.path), "file_sha256": batch.sha256,
        "notebook": str(batch.notebook),
        "notebook_sha256": hashlib.sha256(batch.notebook.read_bytes()).hexdigest(),
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "settings": batch.settings,
        "scenarios": {item.id: {"label": item.label, "parameters": item.parameters,
                                **status[item.id]} for item in batch.items},
        "failed": sum(1 for s in status.values() if s["status"] != "ok"),
    }
    from .outputs import write_batch_outputs

    write_batch_outputs(batch_dir, batch, summaries, record)
    return record
