"""``riskmodel batch``: many scenarios through the report notebook, then the batch outputs.

The batch file is read and checked by ``batch_file.load_batch``. A scenario that fails
while running is recorded with its error and the others go on. Each scenario folder is
built in a temporary folder and moved into place when complete; workers stop when the
batch process is gone; ``--resume`` reuses only scenarios whose inputs hash the same.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from .batch_file import NOTEBOOK, Batch, BatchItem, load_batch

__all__ = ["BatchItem", "Batch", "load_batch", "run_batch", "NOTEBOOK", "inputs_hash"]


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise ScenarioError(f"Jupyter kernel '{name}' is not installed: run 'make venv' (or "
                            f"python -m ipykernel install --sys-prefix --name {name})") from None


def _inside(folder: Path, root: Path) -> bool:
    return folder.resolve().is_relative_to(root.resolve())


_STALE = (".tmp-", ".old-", ".out-")
"""Prefixes of the temporary folders a run makes (and a killed run leaves behind)."""


def _remove(path: Path) -> None:
    """Remove a file, a link (not what it points to) or a folder, if there."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _clean_stale(batch_dir: Path) -> None:
    for entry in batch_dir.iterdir():
        if entry.name.startswith(_STALE):
            _remove(entry)
        elif entry.name.endswith(".tmp") and entry.name.startswith("."):
            _remove(entry)


def _own_folder(path: Path) -> Path:
    """``path`` as a real folder of ours: a link (or a file) there is replaced."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        _remove(path)
    path.mkdir(exist_ok=True)
    return path


def _parent_gone(parent: int | None) -> bool:
    return parent is not None and os.getppid() != parent


def _worker_init(parent: int) -> None:
    """Pool workers: die with the parent, leave Ctrl-C to it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    # the worker and its kernel talk through the results: a kernel stopped with the batch
    # would otherwise print its shutdown noise on the batch's terminal
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def inputs_hash(item: BatchItem, batch: Batch) -> str | None:
    """SHA-256 of what a scenario's report is made from: its parameters, the scenario
    file and every file it reads (extends, CSV tables), the notebook and riskmodel's
    version. ``None`` if the scenario cannot be read (then it always runs).

    Parameters
    ----------
    item : BatchItem
    batch : Batch

    Returns
    -------
    str or None
    """
    from .. import __version__
    from ..scenario.load import source_hashes

    try:
        sources = source_hashes(item.parameters["scenario"]) if item.parameters.get(
            "scenario") else {}
        notebook = hashlib.sha256(batch.notebook.read_bytes()).hexdigest()
    except (ScenarioError, OSError):
        return None
    doc = {"parameters": item.parameters, "sources": sources, "notebook": notebook,
           "kernel": batch.kernel, "riskmodel": __version__}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _unchanged(folder: Path, digest: str | None) -> bool:
    if digest is None or folder.is_symlink() or not _complete(folder):
        return False
    try:
        return json.loads((folder / INPUTS).read_text()).get("sha256") == digest
    except (OSError, ValueError, AttributeError):
        return False


INPUTS = "inputs.json"


def _run_one(item: BatchItem, batch: Batch, batch_dir: Path, digest: str | None = None,
             parent: int | None = None) -> dict[str, Any]:
    """Execute the notebook for one item into a temporary folder, then move it into place."""
    import papermill

    from .html import export_html
    from .kernel import papermill_options

    batch_dir = batch_dir.resolve()  # the kernel runs in the notebook's folder
    final = batch_dir / item.id
    tmp = batch_dir / f".tmp-{item.id}-{os.getpid()}"
    _remove(tmp)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    params = {**item.parameters, "output_dir": str(tmp)}
    try:
        papermill.execute_notebook(
            str(batch.notebook), str(tmp / "report.ipynb"), parameters=params,
            kernel_name=batch.kernel, start_timeout=batch.start_timeout,
            execution_timeout=batch.cell_timeout, progress_bar=False,
            cwd=str(batch.notebook.parent),
            log_output=False, **papermill_options())
        body = export_html(tmp / "report.ipynb", title=item.label)
        (tmp / "report.html").write_text(body, encoding="utf-8")
        if not (tmp / "summary.json").is_file():
            raise RuntimeError("the notebook wrote no summary.json")
        (tmp / INPUTS).write_text(json.dumps({"sha256": digest, "parameters": item.parameters},
                                             indent=2) + "\n", encoding="utf-8")
    except Exception as exc:  # recorded, the batch goes on
        error = _error_text(exc)
        try:
            if (tmp / "report.ipynb").is_file() and not _parent_gone(parent):
                failed = _own_folder(batch_dir / "_failed")
                dest = failed / f"{item.id}.ipynb"
                part = failed / f".{item.id}.ipynb.{os.getpid()}.tmp"
                try:
                    shutil.copyfile(tmp / "report.ipynb", part)
                    os.replace(part, dest)  # replaces a link there, never writes through it
                finally:
                    part.unlink(missing_ok=True)
        except OSError as copy_error:
            error += f" (its notebook could not be kept in _failed/: {copy_error.strerror})"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return {"status": "failed", "error": error,
                "seconds": round(time.perf_counter() - t0, 2)}
    except BaseException:  # interrupted or killed: leave nothing half-made
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if _parent_gone(parent):  # the batch was killed: do not touch its folder any more
        shutil.rmtree(tmp, ignore_errors=True)
        return {"status": "failed", "error": "the batch was stopped"}
    if final.exists() or final.is_symlink():
        trash = batch_dir / f".old-{item.id}-{os.getpid()}"
        os.replace(final, trash)
        _remove(trash)
    os.replace(tmp, final)
    return {"status": "ok", "seconds": round(time.perf_counter() - t0, 2)}


def _error_text(exc: BaseException) -> str:
    """One line for a failed scenario: the error's name and its sentences, shortened."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"
    lines = [" ".join(line.split()) for line in str(text).splitlines() if line.strip()]
    text = "; ".join(lines[:5]) + (f"; and {len(lines) - 5} more" if len(lines) > 5 else "")
    text = "".join(c for c in text if c.isprintable())
    return text if len(text) <= 600 else text[:597] + "..."


def _complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in ("summary.json", "report.html", "report.ipynb"))


def run_batch(path: str | Path, *, output: str | Path = "reports", jobs: int = 1,
              resume: bool = False, progress: bool = True,
              executor: Executor | None = None) -> dict[str, Any]:
    """Run every scenario of a batch and write the batch outputs.

    Scenarios run ``jobs`` at a time in worker processes, or on ``executor`` (for
    example a Dask cluster's ``client.get_executor()``; its workers need this project
    and the notebook's kernel, and write into the output folder by its absolute path).
    With ``resume``, a scenario whose folder is complete and was made from the same
    inputs (``inputs.json``: parameters, scenario files, notebook, version) is skipped;
    any other is run again. Returns the batch record (also written as ``batch.json``);
    its ``failed`` count says whether all scenarios passed, ``output_errors`` lists
    batch-level outputs that could not be made.

    Parameters
    ----------
    path : str or Path
        The batch YAML file.
    output : str or Path
        The folder the batch's folder is made in.
    jobs : int
        Scenarios run at once.
    resume : bool
        Skip scenarios already made from the same inputs.
    progress : bool
        Show a progress bar.
    executor : concurrent.futures.Executor, optional
        Where the scenarios run (default: local worker processes).

    Returns
    -------
    dict

    Raises
    ------
    ScenarioError
        The batch file is not valid, the notebook's Jupyter kernel is not installed, or
        the batch's folder exists and is not a folder. A scenario that fails does not
        raise: the record counts it.
    """
    from tqdm import tqdm

    batch = load_batch(path)
    _check_kernel(batch.kernel)
    batch_dir = _batch_folder(Path(output).absolute(), batch.name)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    status: dict[str, dict[str, Any]] = {}
    digests = {item.id: inputs_hash(item, batch) for item in batch.items}
    todo = []
    for item in batch.items:
        if resume and _unchanged(batch_dir / item.id, digests[item.id]):
            status[item.id] = {"status": "ok", "resumed": True}
        else:
            todo.append(item)
    bar = tqdm(total=len(todo), desc=f"batch {batch.name}", unit="scenario",
               disable=not progress)
    try:
        if todo:  # in worker processes even for jobs=1: Ctrl-C and a kill stop them cleanly
            _run_in_workers(todo, batch, batch_dir, digests, jobs, executor, status, bar)
        else:
            for item in todo:
                status[item.id] = _run_one(item, batch, batch_dir, digests[item.id])
                bar.update()
    except BaseException:
        bar.close()
        _clean_stale(batch_dir)
        raise
    bar.close()
    summaries = _read_summaries(batch, batch_dir, status)
    record = _batch_record(batch, started, digests, status)
    from .outputs import write_batch_outputs

    record["output_errors"] = write_batch_outputs(batch_dir, batch, summaries, record) or {}
    return record


def _batch_folder(root: Path, name: str) -> Path:
    """The batch's folder under ``root`` (absolute: workers elsewhere, a cluster, must not
    use their cwd), made if need be and cleared of what a killed run left."""
    batch_dir = root / name
    if batch_dir.is_symlink() or (batch_dir.exists() and not batch_dir.is_dir()):
        raise ScenarioError(f"{batch_dir}: exists and is not a folder (a link or a file); "
                            "move it away or choose another --output")
    batch_dir.mkdir(parents=True, exist_ok=True)
    if not _inside(batch_dir, root):  # pragma: no cover - checked above
        raise ScenarioError(f"batch folder {batch_dir} is outside {root}")
    batch_dir = batch_dir.resolve()
    _clean_stale(batch_dir)  # what a killed run left
    if (batch_dir / "_failed").is_symlink():
        _remove(batch_dir / "_failed")
    return batch_dir


def _run_in_workers(todo: list[BatchItem], batch: Batch, batch_dir: Path,
                    digests: dict[str, str | None], jobs: int, executor: Executor | None,
                    status: dict[str, dict[str, Any]], bar) -> None:
    """Run ``todo`` on ``executor``, else on a pool of ``jobs`` worker processes, into
    ``status``; on an interrupt the pool's workers are killed (or the futures
    cancelled) before it goes on up."""
    pool = executor or ProcessPoolExecutor(max_workers=min(jobs, len(todo)),
                                           initializer=_worker_init,
                                           initargs=(os.getpid(),))
    parent = os.getpid() if executor is None else None
    futures: dict = {}
    try:
        futures = {pool.submit(_run_one, item, batch, batch_dir, digests[item.id],
                               parent): item for item in todo}
        for future in as_completed(futures):
            try:
                status[futures[future].id] = future.result()
            except Exception as exc:  # a worker that died (out of memory, killed)
                status[futures[future].id] = {"status": "failed",
                                              "error": _error_text(exc)}
            bar.update()
    except BaseException:
        if executor is None:
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:  # their kernels follow (they poll their parent)
                proc.kill()
        else:
            for future in futures:
                future.cancel()
        raise
    else:
        if executor is None:
            pool.shutdown()


def _read_summaries(batch: Batch, batch_dir: Path,
                    status: dict[str, dict[str, Any]]) -> dict[str, dict]:
    """Each scenario's summary.json that ran; one that cannot be read fails it."""
    summaries = {}
    for item in batch.items:
        if status[item.id]["status"] == "ok":
            try:
                summary = json.loads((batch_dir / item.id / "summary.json").read_text())
            except (OSError, ValueError):
                status[item.id] = {"status": "failed",
                                   "error": "its summary.json could not be read"}
                continue
            problem = _not_a_summary(summary)
            if problem:  # a custom notebook's, or a stale one --resume kept
                status[item.id] = {"status": "failed", "error": "its summary.json is not "
                                   f"a riskmodel summary ({problem})"}
            else:
                summaries[item.id] = summary
    return summaries


def _not_a_summary(d: Any) -> str | None:
    """Why ``d`` is not a summary document the batch outputs can read (None: it is):
    another ``schema``, or a key that ``summary.csv``'s row reads is missing."""
    from ..document import SCHEMA, summary_row
    from .outputs import _joint_columns

    if not isinstance(d, dict):
        return "not a JSON object"
    if d.get("schema") != SCHEMA:
        return f"schema {d.get('schema')!r}, not {SCHEMA!r}"
    try:
        summary_row(d)
        _joint_columns(d)
    except KeyError as exc:
        return f"no {exc.args[0]!r}" if exc.args else "a key is missing"
    except StopIteration:
        return "no targets"
    except (TypeError, AttributeError, IndexError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _batch_record(batch: Batch, started: dt.datetime, digests: dict[str, str | None],
                  status: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The batch record (``batch.json``) before the batch-level outputs are written."""
    return {
        "schema": "riskmodel.batch/1",
        "batch": batch.name, "title": batch.title,
        "file": str(batch.path), "file_sha256": batch.sha256,
        "notebook": str(batch.notebook),
        "notebook_sha256": hashlib.sha256(batch.notebook.read_bytes()).hexdigest(),
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "settings": batch.settings,
        "scenarios": {item.id: {"label": item.label, "parameters": item.parameters,
                                "inputs_sha256": digests[item.id],
                                **status[item.id]} for item in batch.items},
        "failed": sum(1 for s in status.values() if s["status"] != "ok"),
    }
