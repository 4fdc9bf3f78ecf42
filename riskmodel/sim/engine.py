"""The Monte Carlo engine: sample a block of iterations, evaluate it, summarise it.

Work is split into fixed blocks of ``BLOCK`` iterations. Block ``b`` always draws the
same numbers for the same seed and input keys, whichever worker runs it and however
blocks are grouped into tasks, so results never depend on worker count or chunking.
Per-iteration outputs (finish, cost, milestone finishes) are kept; everything else is
reduced to per-block sums, so memory is bounded by the block size.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .block import evaluate, plan_draws, sample_block, start_of
from .collect import Collector
from .model import BLOCK, BlockResult, Draws, EngineSpec, Outcome, RiskSpec, Workspace
from .risk_off import _without_any_risk, _without_each_risk
from .without_risk import RiskOff

__all__ = [
    "BLOCK",
    "Workspace",
    "RiskSpec",
    "EngineSpec",
    "Draws",
    "Outcome",
    "BlockResult",
    "sample_block",
    "evaluate",
    "run_block",
    "run_blocks",
    "keep_workspace",
    "Collector",
    "RiskOff",
    "plan_draws",
]


def _per_workstream(spec: EngineSpec, values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(spec.workstreams))
    out[spec.fixed_index] = values
    return out


def run_block(
    spec: EngineSpec, root: np.random.SeedSequence, index: int, size: int, detail: bool = False,
    work: Workspace | None = None,
) -> BlockResult:
    """Sample and evaluate one block and reduce it to what the results keep.

    Parameters
    ----------
    spec : EngineSpec
        The compiled scenario.
    root : SeedSequence
        The run's root seed.
    index : int
        The block's number (which random numbers it draws).
    size : int
        Iterations in the block (``BLOCK``, or fewer for the last one).
    detail : bool
        Also keep the per-workstream arrays (sensitivities, float, cash flow, demand).
    work : Workspace, optional
        Reused arrays.

    Returns
    -------
    BlockResult
        Per-iteration end, cost and milestone finishes, per-block sums, and (with risk
        ranking) each risk switched off in turn.
    """
    draws = sample_block(spec, root, index, size, work)
    out = evaluate(spec, draws, work)
    fired = draws.fired if out.fired is None else out.fired
    kept = _detail(spec, draws, out, fired) if detail else None
    rate_sums = None
    if spec.rates:  # what the cost breakdown needs of E[rate x time]
        rate_sums = _rate_sums(spec, draws, out)
        if spec.rank_risks and spec.risks:
            norisk = evaluate(spec, replace(draws, fired=np.zeros_like(draws.fired)),
                              brief=True)
            rate_sums.update({f"norisk_{k}": v for k, v in
                              _rate_sums(spec, draws, norisk).items() if k != "rate"})
    duration_sum, finish_sum = out.duration.sum(axis=1), out.finish.sum(axis=1)
    no_risks = norisk_duration_sum = norisk_finish_sum = without_risk = triggered = None
    if spec.rank_risks and spec.risks:
        no_risks, norisk_duration_sum, norisk_finish_sum = _without_any_risk(
            spec, draws, out, duration_sum.copy(), finish_sum.copy())
        without_risk, triggered = _without_each_risk(spec, draws, out)
    return BlockResult(
        index=index,
        size=size,
        end=out.end,
        cost=out.cost,
        milestones=out.finish[list(spec.milestones)] if spec.milestones else np.empty((0, size)),
        duration_sum=duration_sum,
        finish_sum=finish_sum,
        fixed_sum=_per_workstream(spec, draws.fixed.sum(axis=1)),
        risk_cost_sum=np.where(fired, draws.risk_cost, 0.0).sum(axis=1),
        programme_sum=draws.programme.sum(axis=1),
        fired_count=np.count_nonzero(fired, axis=1),
        critical_count=np.count_nonzero(out.critical, axis=1),
        detail=kept,
        without_risk=without_risk,
        no_risks=no_risks,
        norisk_duration_sum=norisk_duration_sum,
        norisk_finish_sum=norisk_finish_sum,
        triggered_cost_sum=triggered,
        rate_sums=rate_sums,
        unlevelled=None if out.unlevelled is None else {
            "end": out.unlevelled[spec.sinks].max(axis=0),
            "milestones": out.unlevelled[list(spec.milestones)] if spec.milestones
            else np.empty((0, size))},
    )


def _detail(spec: EngineSpec, draws: Draws, out: Outcome, fired: np.ndarray
            ) -> dict[str, np.ndarray]:
    """Per-workstream arrays a detail block keeps (sensitivities, float, cash flow, the
    demand for people), as float32 where a few digits are enough."""
    start = start_of(spec, out.finish, out.duration)
    assert out.late_start is not None  # a full evaluation has it
    kept = {
        "duration": out.duration.astype(np.float32),
        "base_duration": draws.duration.astype(np.float32),
        "total_float": (out.late_start - start).astype(np.float32),
        "finish": out.finish.astype(np.float32),
        "fired": fired.copy(),
        "cost": out.cost.copy(),
        "fixed": draws.fixed.copy(),
        "risk_cost": np.where(fired, draws.risk_cost, 0.0),
        "programme": draws.programme.copy(),
    }
    if out.unlevelled is not None:  # the schedule had nobody waited for people
        free = replace(spec, priority=None)
        kept["free_finish"] = out.unlevelled.astype(np.float32)
        kept["free_start"] = start_of(free, out.unlevelled, out.duration).astype(np.float32)
    if draws.rate is not None:
        kept["rate"] = draws.rate.copy()
    return kept


def _rate_sums(spec: EngineSpec, draws: Draws, out: Outcome) -> dict[str, np.ndarray]:
    """Sums over a block's iterations of each uncertain rate, and of it times each
    workstream's working duration (rates x workstreams) and times the weeks each
    overhead runs (rates x overheads): ``BlockResult.rate_sums``."""
    assert draws.rate is not None  # drawn whenever there are uncertain rates
    weeks = [out.end if until < 0 else out.finish[until] for _, until in spec.overhead]
    return {"rate": draws.rate.sum(axis=1),
            "rate_duration": np.array([(out.duration * r).sum(axis=1) for r in draws.rate]),
            "rate_weeks": np.array([[(w * r).sum() for w in weeks]
                                    for r in draws.rate]).reshape(len(spec.rates), len(weeks))}


_LOCAL = threading.local()  # .work: this thread's Workspace, once ``keep_workspace`` ran


def keep_workspace() -> None:
    """Give the calling thread one ``Workspace`` for all the tasks it runs (a pool's
    initializer: each worker thread, or each worker process's one thread, runs one task
    at a time).

    A fresh workspace is a few dozen megabytes of new pages to fault in; made anew for
    each task, that cost a worker about a tenth of its time (2026-12-01, 1M iterations of
    the benchmark network on two processes: 9.0 CPU s in the workers, 8.6 reusing one).
    """
    _LOCAL.work = Workspace()


def run_blocks(
    spec: EngineSpec, root: np.random.SeedSequence, blocks: Sequence[tuple[int, int, bool]]
) -> list[BlockResult]:
    """Run several blocks given as (index, size, keep detail); the unit of work of a task.

    The blocks share the thread's workspace (``keep_workspace``), or else one of their
    own.

    Parameters
    ----------
    spec : EngineSpec
        The compiled scenario.
    root : SeedSequence
        The run's root seed.
    blocks : sequence of (int, int, bool)
        Each block's index, size and whether to keep its detail.

    Returns
    -------
    list of BlockResult
        In the order of ``blocks``.
    """
    work = getattr(_LOCAL, "work", None) or Workspace()
    return [run_block(spec, root, i, n, d, work) for i, n, d in blocks]
