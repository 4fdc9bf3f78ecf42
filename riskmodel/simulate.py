"""The seam: Scenario -> engine spec -> blocks on an executor -> SimulationResult."""
from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from typing import cast

import numpy as np

from .errors import Problem, ScenarioError
from .health import check
from .scenario.schema import RESERVED_MILESTONE, Scenario
from .sim.engine import (
    BLOCK,
    Collector,
    Workspace,
    evaluate,
    keep_workspace,
    plan_draws,
    run_block,
    run_blocks,
)
from .sim.random import Sampling, SeedLike, as_seed_sequence
from .spec import build_spec

__all__ = ["simulate", "build_spec", "DETAIL_CELLS"]

DETAIL_CELLS = 2**22
"""Per-workstream detail (durations, finishes, costs) is kept for the first
``DETAIL_CELLS / n_workstreams`` iterations (at least one block); it feeds
sensitivities, workstream percentiles and the cash flow while keeping memory bounded."""


TASKS_PER_WORKER = 16
"""Blocks are grouped into about this many tasks a worker of a Dask cluster or of worker
processes (threads take a block a task: ``_tasks``): the last tasks to finish are short,
so no worker waits long for another (4 a worker left up to a second of a 6 s ``--jobs 2``
run idle on two cores, 2026-11-30)."""

MAX_WEEKS = 10_000
"""Latest simulated finish accepted, in weeks from the start (about 190 years)."""
MAX_COST = 1e15
"""Largest simulated cost accepted (anything near it is a typing error)."""


def _iterations(value) -> int:
    """A whole number of iterations within the schema's cap, else ``ScenarioError``."""
    from .scenario.schema import MAX_ITERATIONS

    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if isinstance(value, float) and value.is_integer():
        ok, value = True, int(value)
    if not ok or not 1 <= value <= MAX_ITERATIONS:
        raise ScenarioError(f"iterations: expected a whole number from 1 to "
                            f"{MAX_ITERATIONS:,}, got {value!r}"[:200])
    return int(value)


def memory_needed(spec, iterations: int, jobs: int = 1) -> int:
    """Bytes a run needs, about: the per-iteration results (finish, cost, milestones;
    when ranking risks, the same without any risk, and each risk's kept where it can
    fire, at most its probability of the iterations: ``sim.without_risk``), the
    per-workstream detail and, in each worker, the per-block workstream arrays."""
    w, m = len(spec.workstreams), len(spec.milestones)
    per_iteration = 8.0 * (2 + m)
    if spec.rank_risks and spec.risks:
        per_iteration *= 2
        for risk in spec.risks:  # its cost, end and milestones, and which iterations
            p = min(max(float(risk.probability), 0.0), 1.0)
            per_iteration += 8 * p * (2 + m) + 2 * min(4 * p, 1 / 8)
    detail_iterations = _detail_iterations(_plan_blocks(iterations, w))
    block = min(iterations, BLOCK)
    return int(iterations * per_iteration) + 8 * (3 * w * detail_iterations
                                                  + 8 * w * block * max(1, jobs))


def _memory_available() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def check_memory(spec, iterations: int, jobs: int = 1, source: str | None = None) -> None:
    """Refuse, with the figure and what to do, a run needing over half the memory."""
    total = _memory_available()
    need = memory_needed(spec, iterations, jobs)
    if total is None or need <= total // 2:
        return
    gib = 2**30
    raise ScenarioError(Problem(
        "", f"this run needs about {need / gib:,.1f} GiB of memory ({iterations:,} iterations, "
        f"{len(spec.workstreams):,} workstreams, {len(spec.risks):,} risks) and this machine "
        f"has {total / gib:,.1f} GiB: run fewer iterations, switch risk ranking off "
        "(rank_risks=False), use fewer --jobs, or run on a cluster (--scheduler)", source))


def _check_finite(collector, plan, source: str | None = None) -> None:
    """Refuse results that overflowed (a rate of 1e308, a duration of 1e300...)."""
    end, cost = collector.arrays.get("end"), collector.arrays.get("cost")
    finish = max(float(np.max(a)) for a in (end, plan.end) if a is not None and np.size(a))
    money = max(float(np.max(a)) for a in (cost, plan.cost) if a is not None and np.size(a))
    if not np.isfinite(finish) or finish > MAX_WEEKS:
        raise ScenarioError(Problem(
            "", f"the simulated finish reaches {finish:.3g} weeks after start_date; the limit "
            f"is {MAX_WEEKS:,} weeks: check durations, delays, remaining estimates and dates "
            "for a value far too large", source))
    if not np.isfinite(money) or money > MAX_COST:
        raise ScenarioError(Problem(
            "", f"the simulated cost reaches {money:.3g}; the limit is {MAX_COST:.0e}: check "
            "rates, costs and durations for a value far too large", source))


def _plan_blocks(iterations: int, n_ws: int) -> list[tuple[int, int, bool]]:
    n_blocks = math.ceil(iterations / BLOCK)
    detail_blocks = max(1, DETAIL_CELLS // (max(n_ws, 1) * BLOCK))
    return [(b, min(BLOCK, iterations - b * BLOCK), b < detail_blocks) for b in range(n_blocks)]


def _detail_iterations(blocks: list[tuple[int, int, bool]]) -> int:
    """Iterations of the planned blocks that keep their detail (``_plan_blocks``)."""
    return sum(size for _, size, detail in blocks if detail)


def _group(blocks: list, per_task: int) -> list[list]:
    return [blocks[i:i + per_task] for i in range(0, len(blocks), per_task)]


def simulate(
    scenario: Scenario,
    *,
    iterations: int | None = None,
    seed: SeedLike = None,
    jobs: int = 1,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    sampling: Sampling | None = None,
    rank_risks: bool = True,
    disabled_risks: Sequence[str] = (),
    precision: float | None = None,
    max_iterations: int = 10_000_000,
    status=None,
):
    """Run the Monte Carlo simulation of a scenario.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (``load_scenario`` or ``Scenario.from_dict``).
    iterations : int, optional
        Number of iterations; default ``scenario.simulation.iterations``.
    seed : int, SeedSequence or Generator, optional
        Default ``scenario.simulation.seed``; if both are missing, fresh entropy is
        drawn and recorded in ``result.seed`` so the run can be repeated.
    jobs : int
        Workers running blocks at once (``1``: none besides this thread): threads of this
        process with the compiled loops, worker processes with the NumPy loops
        (``riskmodel.sim.kernels.BACKEND``). Ignored if ``executor`` is given.
    executor : concurrent.futures.Executor, optional
        Any executor (a process pool, ``dask.distributed.Client.get_executor()``...).
    chunk_size : int, optional
        Iterations per task, rounded up to whole blocks of ``BLOCK`` iterations.
        Results do not depend on it, nor on ``jobs``.
    sampling : {"lhs", "random"}, optional
        Latin hypercube or plain random sampling; default from the scenario.
    rank_risks : bool
        Also evaluate every iteration with each risk switched off (same draws), for the
        risk ranking. Costs memory of (risks x iterations); switch off for huge runs.
    disabled_risks : sequence of str
        Risks to switch off entirely (their draws are still made, so the other inputs
        keep their values).
    precision : float, optional
        Keep adding blocks until the standard error of P(audit target) is at most this
        (e.g. 0.005), starting from ``iterations``, up to ``max_iterations``. The result
        equals a plain run with the final iteration count; ``result.convergence()`` says
        how many iterations it took.
    max_iterations : int
        The most iterations ``precision`` may add up to.
    status : Status, optional
        Re-forecast from this status (see ``riskmodel.reforecast``).

    Returns
    -------
    SimulationResult

    Raises
    ------
    TypeError
        ``scenario`` is not a ``Scenario`` (a path not loaded yet).
    ScenarioError
        ``iterations`` is not a whole number from 1 to 100,000,000 (``MAX_ITERATIONS``), or
        ``disabled_risks`` names an unknown risk.
    ValueError
        ``precision`` is not between 0 and 0.5.

    Examples
    --------
    >>> from riskmodel import Scenario, simulate
    >>> s = Scenario.from_dict({"name": "one task", "start_date": "2026-12-07",
    ...     "audit_date": "2027-03-01", "simulation": {"seed": 1},
    ...     "workstreams": [{"id": "gap", "duration": {"dist": "uniform", "min": 10, "max": 14}}]})
    >>> round(simulate(s, iterations=10_000).p_meet("2027-03-01"), 2)
    0.5
    """
    from .results import SimulationResult

    n, disabled_risks = _checked(scenario, iterations, disabled_risks, precision)
    root = as_seed_sequence(seed if seed is not None else scenario.simulation.seed)
    spec = _engine_spec(scenario, sampling, rank_risks, status, disabled_risks, n,
                        jobs=1 if executor is not None else jobs)
    t0 = time.perf_counter()
    blocks = _plan_blocks(n, len(spec.workstreams))
    collector = Collector(n, detail=_detail_iterations(blocks))
    _run(spec, root, blocks, jobs, executor, chunk_size, collector)
    convergence = None
    if precision is not None:
        convergence = _until_precise(scenario, spec, root, collector, precision,
                                     max_iterations, jobs, executor, chunk_size)
    elapsed = time.perf_counter() - t0
    plan = evaluate(spec, plan_draws(spec))
    _check_finite(collector, plan, source=next(iter(scenario.sources), None))
    result = SimulationResult._from_blocks(
        scenario=scenario, spec=spec, collector=collector, plan=plan,
        seed=int(cast(int, root.entropy)),  # an int (as_seed_sequence)
        elapsed=elapsed, sampling=spec.sampling, disabled_risks=tuple(disabled_risks),
    )
    result.precision_run_ = convergence
    result.status = status
    result.jobs = jobs if executor is None else 1
    result.warnings_ = check(scenario, iterations=result.iterations)
    return result


def _checked(scenario, iterations, disabled_risks, precision) -> tuple[int, tuple[str, ...]]:
    """``simulate``'s arguments checked: the number of iterations and the risks to switch
    off (one name or several); ``TypeError``, ``ScenarioError`` or ``ValueError`` naming
    the one that is wrong."""
    if not isinstance(scenario, Scenario):
        raise TypeError("simulate() takes a Scenario; use load_scenario(path) for a file")
    n = _iterations(iterations if iterations is not None else scenario.simulation.iterations)
    if isinstance(disabled_risks, str):
        disabled_risks = (disabled_risks,)
    if precision is not None and not 0 < precision < 0.5:
        raise ValueError(f"precision must be between 0 and 0.5, got {precision}")
    unknown = set(disabled_risks) - {r.id for r in scenario.risks}
    if unknown:
        raise ScenarioError(f"disabled_risks: unknown risk(s) {', '.join(sorted(unknown))}")
    return n, tuple(disabled_risks)


def _engine_spec(scenario: Scenario, sampling: Sampling | None, rank_risks: bool, status,
                 disabled_risks: tuple[str, ...], n: int, jobs: int):
    """The engine's spec of the run: the scenario's, with ``rank_risks``, conditioned on
    ``status`` and without ``disabled_risks``; refused (``check_memory``) when ``n``
    iterations on ``jobs`` workers would not fit in memory."""
    spec = build_spec(scenario, sampling)
    spec.rank_risks = rank_risks
    check_memory(spec, n, jobs=jobs, source=next(iter(scenario.sources), None))
    if status is not None:
        from .conditioning import apply_status

        spec = apply_status(spec, scenario, status)
    if disabled_risks:
        spec = spec.without_risks(disabled_risks)
    return spec


def _workers(executor: Executor | None, jobs: int) -> int:
    """How many tasks run at once: a pool's workers, a Dask cluster's threads
    (``client.get_executor()``: every worker's, at the time of the call), else ``jobs``."""
    count = getattr(executor, "_max_workers", None)
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    if count is None and client is not None:
        try:
            count = sum(client.nthreads().values())
        except Exception:  # not a Dask client after all, or the scheduler is unreachable
            count = None
    return count or max(1, jobs)


def _tasks(blocks: list, workers: int, chunk_size: int | None, threads: bool = False
           ) -> list[list]:
    """The blocks grouped into tasks: ``chunk_size`` iterations each, or else a block
    each on ``threads`` of this process (a task costs them nothing: no copy, no message;
    the two threads of a 1M-iteration ``--jobs 2`` run ended 0.03 s apart on average,
    against 0.12 s in tasks of four blocks, 2026-12-01), or else ``TASKS_PER_WORKER``
    tasks for each of ``workers``."""
    per_task = (max(1, math.ceil(chunk_size / BLOCK)) if chunk_size
                else 1 if threads
                else max(1, math.ceil(len(blocks) / (TASKS_PER_WORKER * workers))))
    return _group(blocks, per_task)


def _pool(jobs: int) -> Executor:
    """``jobs`` workers, each with a workspace of its own (``keep_workspace``): threads of
    this process while the compiled loops run, which let go of Python's lock, so the
    workers share the set-up and the results with nothing to copy; processes under the
    NumPy loops, whose Python keeps the lock (threads ran them slower than one worker).

    Measured 2026-12-01, 1M iterations of the benchmark network on two cores, the run
    alone: 7.55 s in one worker, 4.35 s on two threads, 4.55 s on two processes, which
    also copy every result back and hold a copy of the set-up each; the NumPy loops, at
    200,000 iterations: 4.95 s, 5.24 s on two threads, 2.94 s on two processes.
    """
    from .sim import kernels

    kind = ThreadPoolExecutor if kernels.BACKEND == "compiled" else ProcessPoolExecutor
    return kind(max_workers=jobs, initializer=keep_workspace)


def _run(spec, root, blocks, jobs, executor, chunk_size, collector: Collector) -> None:
    """Run blocks serially, on ``jobs`` > 1 workers (``_pool``) or on ``executor``; each
    result goes to ``collector`` as soon as it is back."""
    tasks = _tasks(blocks, _workers(executor, jobs), chunk_size)
    if executor is not None:
        _run_on(executor, spec, root, tasks, collector)
    elif jobs > 1 and len(tasks) > 1:
        # one iteration here first: it builds the PERT tables and the caches every block
        # reads, once, before the workers start (threads share them, processes inherit them)
        run_block(spec, root, 0, 1)
        pool = _pool(jobs)
        if isinstance(pool, ThreadPoolExecutor):
            tasks = _tasks(blocks, jobs, chunk_size, threads=True)
        try:
            _run_on(pool, spec, root, tasks, collector)
        finally:  # on Ctrl-C or an error, the tasks not started yet are dropped
            pool.shutdown(wait=True, cancel_futures=True)
    else:  # each block gathered as soon as it is made, all in one workspace
        work = Workspace()
        for index, size, detail in blocks:
            collector.add(run_block(spec, root, index, size, detail, work))


def _until_precise(scenario, spec, root, collector, precision, max_iterations, jobs, executor,
                   chunk_size) -> dict:
    """Add blocks until the standard error of P(audit target) is at most ``precision``."""
    from .analysis.precision import block_std_error

    target = scenario.all_targets[0]
    row = None if target.milestone == RESERVED_MILESTONE else \
        list(spec.milestones).index(list(spec.workstreams).index(target.milestone))
    limit = scenario.weeks_from_start(target.date) + 1e-12
    rounds = 1
    while True:
        n = collector.size
        arrays = collector.arrays
        finish = arrays["end"][:n] if row is None else arrays["milestones"][row, :n]
        met = finish <= limit
        p = float(np.mean(met))
        # the same standard error the result reports (between blocks under LHS)
        se = block_std_error(met, BLOCK) if spec.sampling == "lhs" else None
        if se is None:
            se = math.sqrt(p * (1 - p) / n)
        if se <= precision or n >= max_iterations:
            break
        # an error shrinks as 1/sqrt(n): the iterations that bring it to the precision
        wanted = min(max_iterations, max(math.ceil(n * (se / precision) ** 2), n + 1))
        # blocks past what is done; a partial last block is re-run whole, as a longer run would
        plan = _plan_blocks(wanted, len(spec.workstreams))
        more = [blk for blk in plan if blk[0] * BLOCK + blk[1] > n]
        collector.grow(wanted, detail=_detail_iterations(plan))
        _run(spec, root, more, jobs, executor, chunk_size, collector)
        rounds += 1
    return {"precision": precision, "achieved_std_error": se, "rounds": rounds,
            "reached_limit": se > precision}


def _run_on(executor: Executor, spec, root, tasks, collector: Collector) -> None:
    """Each task's blocks go to ``collector`` as soon as that task is done, in whatever
    order the tasks finish (the collector puts every block in its place), and the task is
    let go then: a Dask worker keeps a task's results for as long as its future lives,
    so in submission order a worker held every result it had made (0.9 GB each at 10M
    iterations on the benchmark network)."""
    # as_completed holds the only references and drops each future once it is yielded
    for future in as_completed([executor.submit(run_blocks, spec, root, t) for t in tasks]):
        for block in future.result():
            collector.add(block)
