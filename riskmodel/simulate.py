"""The seam: Scenario -> engine spec -> blocks on an executor -> SimulationResult."""
from __future__ import annotations

import math
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Sequence

import numpy as np

from .errors import ScenarioError
from .scenario.schema import RESERVED_MILESTONE, Scenario
from .sim.engine import BLOCK, Collector, evaluate, plan_draws, run_blocks
from .sim.random import SeedLike, as_seed_sequence
from .health import check
from .spec import build_spec

__all__ = ["simulate", "build_spec", "DETAIL_CELLS"]

DETAIL_CELLS = 2**22
"""Per-workstream detail (durations, finishes, costs) is kept for the first
``DETAIL_CELLS / n_workstreams`` iterations (at least one block); it feeds
sensitivities, workstream percentiles and the cash flow while keeping memory bounded."""


def _plan_blocks(iterations: int, n_ws: int) -> list[tuple[int, int, bool]]:
    n_blocks = math.ceil(iterations / BLOCK)
    detail_blocks = max(1, DETAIL_CELLS // (max(n_ws, 1) * BLOCK))
    return [(b, min(BLOCK, iterations - b * BLOCK), b < detail_blocks) for b in range(n_blocks)]


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
    sampling: str | None = None,
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
        Worker processes (``1`` runs in this process). Ignored if ``executor`` is given.
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

    status : Status, optional
        Re-forecast from this status (see ``riskmodel.reforecast``).

    Returns
    -------
    SimulationResult

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

    if not isinstance(scenario, Scenario):
        raise TypeError("simulate() takes a Scenario; use load_scenario(path) for a file")
    n = int(iterations if iterations is not None else scenario.simulation.iterations)
    if n < 1:
        raise ValueError(f"iterations must be at least 1, got {n}")
    unknown = set(disabled_risks) - {r.id for r in scenario.risks}
    if unknown:
        raise ScenarioError(f"disabled_risks: unknown risk(s) {', '.join(sorted(unknown))}")
    root = as_seed_sequence(seed if seed is not None else scenario.simulation.seed)
    spec = build_spec(scenario, sampling)
    spec.rank_risks = rank_risks
    if status is not None:
        from .conditioning import apply_status

        spec = apply_status(spec, scenario, status)
    if disabled_risks:
        spec = spec.without_risks(disabled_risks)
    t0 = time.perf_counter()
    collector = Collector(n)
    _run(spec, root, _plan_blocks(n, len(spec.workstreams)), jobs, executor, chunk_size,
         collector)
    convergence = None
    if precision is not None:
        convergence = _until_precise(scenario, spec, root, collector, precision,
                                     max_iterations, jobs, executor, chunk_size)
    elapsed = time.perf_counter() - t0
    plan = evaluate(spec, plan_draws(spec))
    result = SimulationResult._from_blocks(
        scenario=scenario, spec=spec, collector=collector, plan=plan, seed=int(root.entropy),
        elapsed=elapsed, sampling=spec.sampling, disabled_risks=tuple(disabled_risks),
    )
    result.convergence_ = convergence
    result.status = status
    result.warnings_ = check(scenario, iterations=result.iterations)
    return result


def _run(spec, root, blocks, jobs, executor, chunk_size, collector: Collector) -> None:
    """Run blocks serially, on a process pool (``jobs`` > 1) or on ``executor``; each
    result goes to ``collector`` as soon as it is back."""
    workers = getattr(executor, "_max_workers", None) or max(1, jobs)
    per_task = (max(1, math.ceil(chunk_size / BLOCK)) if chunk_size
                else max(1, math.ceil(len(blocks) / (4 * workers))))
    tasks = _group(blocks, per_task)
    if executor is not None:
        _run_on(executor, spec, root, tasks, collector)
    elif jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            _run_on(pool, spec, root, tasks, collector)
    else:
        for task in tasks:
            for block in run_blocks(spec, root, task):
                collector.add(block)


def _until_precise(scenario, spec, root, collector, precision, max_iterations, jobs, executor,
                   chunk_size) -> dict:
    """Add blocks until the standard error of P(audit target) is at most ``precision``."""
    if not 0 < precision < 0.5:
        raise ValueError(f"precision must be between 0 and 0.5, got {precision}")
    target = scenario.all_targets[0]
    row = None if target.milestone == RESERVED_MILESTONE else \
        list(spec.milestones).index(list(spec.workstreams).index(target.milestone))
    limit = scenario.weeks_from_start(target.date) + 1e-12
    rounds = 1
    while True:
        n = collector.size
        arrays = collector.arrays
        finish = arrays["end"][:n] if row is None else arrays["milestones"][row, :n]
        p = float(np.mean(finish <= limit))
        se = math.sqrt(p * (1 - p) / n)
        if se <= precision or n >= max_iterations:
            break
        wanted = min(max_iterations, max(math.ceil(p * (1 - p) / precision**2), n + 1))
        # blocks past what is done; a partial last block is re-run whole, as a longer run would
        more = [blk for blk in _plan_blocks(wanted, len(spec.workstreams))
                if blk[0] * BLOCK + blk[1] > n]
        collector.grow(wanted)
        _run(spec, root, more, jobs, executor, chunk_size, collector)
        rounds += 1
    return {"precision": precision, "achieved_std_error": se, "rounds": rounds,
            "reached_limit": se > precision}


def _run_on(executor: Executor, spec, root, tasks, collector: Collector) -> None:
    futures = [executor.submit(run_blocks, spec, root, task) for task in tasks]
    for future in futures:
        for block in future.result():
            collector.add(block)
