"""Session fixtures whose values other processes make in the background (``early``),
started as soon as the tests are collected, and the processes they start (``run_process``).

tests/conftest.py calls ``start_selected`` from ``pytest_collection_modifyitems`` and
``stop_all`` from ``pytest_sessionfinish``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

WAIT = 1800.0
"""Seconds a test waits for background work before it fails (each process the work
starts has a shorter timeout of its own: this only catches work that waits for nothing)."""


class BackgroundWorkFailed(Exception):
    """Raised in a test whose fixture's background work failed (the cause is chained)."""


class ProcessTimeout(AssertionError):
    """``run_process``: the process was still running at its timeout (it was stopped)."""


class Early:
    """A session fixture's value made by ``func(ctx)`` (``ctx``: an ``EarlyContext``) in a
    background thread.

    The thread starts as soon as the tests are collected, if a selected test uses the
    fixture (``start_selected``), rather than when the first such test runs; the test
    files that use it run after all the others. The work is done by other processes (the
    thread only starts them and waits: ``run_process``), so it takes the machine's other
    core while this process runs the rest of the suite. Nothing in the thread runs
    papermill or a Dask client in this process: a notebook client in a process that has
    run a Dask cluster can wait forever for a reply the kernel already sent.

    A failure is raised again in every test that uses the fixture: a skip as a skip,
    anything else as ``BackgroundWorkFailed`` naming the fixture, caused by the error.
    """

    def __init__(self, func: Callable[[EarlyContext], Any], after: tuple[str, ...] = (),
                 name: str | None = None):
        self.func = func
        self.name = name or func.__name__
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
        if not self._done.wait(WAIT):
            raise BackgroundWorkFailed(f"{self.name}: the background work is still running "
                                       f"after {WAIT:.0f} s")
        error = self._error
        if isinstance(error, pytest.skip.Exception):
            raise pytest.skip.Exception(error.msg, allow_module_level=True)
        if error is not None:
            raise BackgroundWorkFailed(
                f"{self.name} (made in the background) failed: "
                f"{type(error).__name__}: {str(error)[:4000]}") from error
        return self._value

    def join(self, timeout: float) -> bool:
        """Wait for the work if it was started; False if it is still running."""
        return self._thread is None or self._done.wait(timeout)


class EarlyContext:
    """What the background work of an ``Early`` fixture gets: the session's temporary
    folders, and the values of the other ``Early`` fixtures it needs (``value``)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory):
        self.tmp_path_factory = tmp_path_factory

    def value(self, name: str) -> Any:
        return REGISTRY[name].result(self)


REGISTRY: dict[str, Early] = {}
"""Fixture name -> the background work that makes its value (``early``)."""
CONTEXT = pytest.StashKey[EarlyContext]()


def early(func=None, *, after: Sequence[str] = (), name: str | None = None):
    """Decorator: a session fixture named like ``func`` (or ``name``), whose value
    ``func(ctx)`` makes in the background (``Early``); ``after`` names the ``early``
    fixtures it reads with ``ctx.value``. For tests/conftest.py and test files alike."""
    if func is None:
        return lambda func: early(func, after=after, name=name)
    name = name or func.__name__
    job = REGISTRY.get(name)
    if job is None or _where(job.func) != _where(func):
        assert job is None, f"two early fixtures named {name}"
        job = REGISTRY[name] = Early(func, tuple(after), name)
    # else: the same function, its module imported a second time (as conftest and as
    # tests.conftest): one background job for both

    def fixture(request):
        return job.result(request.config.stash[CONTEXT])

    fixture.__doc__ = func.__doc__
    return pytest.fixture(scope="session", name=job.name)(fixture)


def _where(func) -> tuple[str, int]:
    return func.__code__.co_filename, func.__code__.co_firstlineno


def wait_for_all() -> None:
    """Wait until all the background work that was started has finished."""
    for job in REGISTRY.values():
        if not job.join(WAIT):
            raise BackgroundWorkFailed(f"{job.name}: still running after {WAIT:.0f} s")


def start_selected(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the background work that the selected tests use (and the work it needs), and
    move the test files that use it to the end, each file whole: first those whose work
    needs no other work's result, then those that need one, and so on (in their order
    otherwise); last the files of tests that need a quiet machine (``quiet_machine``)."""
    factory = config._tmp_path_factory  # type: ignore[attr-defined]  # tmp_path_factory's value
    ctx = config.stash[CONTEXT] = EarlyContext(factory)
    if config.getoption("collectonly") or config.getoption("setupplan"):
        return
    used = {name for name in REGISTRY
            if any(name in getattr(item, "fixturenames", ()) for item in items)}

    def depth(name: str) -> int:
        return 1 + max((depth(n) for n in REGISTRY[name].after), default=0)

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
    while more := {n for name in needed for n in REGISTRY[name].after} - needed:
        needed |= more
    if needed:
        factory.getbasetemp()  # made here, not by two threads at once
    for name in sorted(needed, key=depth):
        REGISTRY[name].start(ctx)


# -- the processes the background work starts ---------------------------------------------
_CHILDREN: set[subprocess.Popen] = set()
"""Processes started by ``run_process`` (or ``track``) that are still running."""
_CHILDREN_LOCK = threading.Lock()
_CLOSED = threading.Event()
"""Set at the end of the session: no process may start after it."""
OWN_GROUP = 0 if os.name == "posix" else None
"""``Popen(process_group=...)``: a process group of its own (POSIX)."""


def track(proc: subprocess.Popen) -> None:
    """Have the end of the session stop ``proc`` (and its process group) if it still runs;
    stops it at once if the session is over (the work that started it was not waited for)."""
    with _CHILDREN_LOCK:
        if not _CLOSED.is_set():
            _CHILDREN.add(proc)
            yield_to_the_tests(proc)
            return
    stop(proc)
    raise BackgroundWorkFailed("the test session is over: no process starts after it")


def untrack(proc: subprocess.Popen) -> None:
    with _CHILDREN_LOCK:
        _CHILDREN.discard(proc)


def run_process(args, *, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run(args, capture_output=True, text=True, timeout=timeout)`` in a
    process group of its own, stopped whole on a timeout (with the kernels or workers it
    started) and by the end of the session if it is still running (an interrupted or
    failed session leaves no wheel build or batch behind). The same session as this
    process, not a new one: Linux shares the processor fairly between sessions
    ("autogroups"), whatever their priority (``yield_to_the_tests``). A timeout raises
    ``ProcessTimeout`` (an ``AssertionError``) with what the process printed so far."""
    with subprocess.Popen([str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, process_group=OWN_GROUP,
                          **kwargs) as proc:
        track(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            try:  # a grandchild in a session of its own (a kernel) may hold the pipes
                out, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                out, err = "(not read)", "(not read)"
            raise ProcessTimeout(f"{' '.join(map(str, args))[:300]}: still running after "
                                 f"{timeout:.0f} s, stopped\nstdout:\n{out[-3000:]}\n"
                                 f"stderr:\n{err[-3000:]}") from None
        except BaseException:
            stop(proc)
            raise
        finally:
            untrack(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def yield_to_the_tests(proc: subprocess.Popen) -> None:
    """Lower the priority of a process started in the background (and so of the processes
    it starts: kernels, workers): it takes a core this process does not need, never the
    one it runs the tests on."""
    if threading.current_thread() is not threading.main_thread() and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
        except OSError:  # already gone
            pass


def stop(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and its process group (the kernels or workers it started)."""
    if sys.platform != "win32":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.kill()
    proc.wait()


def stop_all() -> list[str]:
    """End of the session: no process starts any more, those still running are stopped,
    and the background threads are waited for. Returns the names of the background work
    that did not finish (its thread still waits for something that is not a process)."""
    with _CHILDREN_LOCK:
        _CLOSED.set()
        running = list(_CHILDREN)
    for proc in running:
        stop(proc)
    return [job.name for job in REGISTRY.values() if not job.join(30)]
