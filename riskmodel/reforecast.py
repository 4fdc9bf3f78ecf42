"""Re-forecast from a status date: a simulation conditioned on what has happened.

- finished workstreams keep their actual start and finish (no risk touches them);
- started ones keep their actual start; what is left is the ``remaining`` estimate, or
  the original estimate scaled by (1 - percent complete), or, with neither, the original
  estimate with any draw shorter than the time already spent raised to it;
- nothing else starts before the status date;
- occurred risks fire in every iteration, retired ones in none.
Every other input keeps its random stream, so a re-forecast and the plan share their
draws and the change between them is what the status says, not noise.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .results import SimulationResult
from .scenario.schema import Scenario
from .scenario.status import Status, WorkstreamStatus, check_status, load_status
from .sim.distributions import Fixed
from .sim.engine import EngineSpec
from .simulate import simulate

__all__ = ["apply_status", "reforecast", "forecast_trail", "explain_change"]


def apply_status(spec: EngineSpec, scenario: Scenario, status: Status) -> EngineSpec:
    """The engine spec conditioned on a status."""
    check_status(scenario, status)
    n = len(spec.workstreams)
    weeks = scenario.weeks_from_start
    now = weeks(status.as_of)
    cal = spec.calendar
    work = (lambda t: float(cal.work(np.array([t]))[0])) if cal else (lambda t: t)
    earliest = np.full(n, now)
    pinned = np.full(n, np.nan)
    offset, floor = np.zeros(n), np.zeros(n)
    durations = list(spec.durations)
    frozen = []
    for j, ws in enumerate(spec.workstreams):
        st = status.workstreams.get(ws)
        if st is None or not st.started:
            if st is not None and st.remaining is not None:
                durations[j] = st.remaining  # a re-estimate of work not yet started
            continue
        start = weeks(st.actual_start)
        pinned[j], earliest[j] = start, 0.0
        if st.finished:
            durations[j] = Fixed(value=work(weeks(st.actual_finish)) - work(start))
            frozen.append(j)
            continue
        done = work(now) - work(start)  # working time spent so far
        if st.remaining is not None:
            durations[j], offset[j] = st.remaining, done
        elif st.percent_complete is not None:
            left = 1.0 - st.percent_complete / 100.0
            durations[j] = durations[j].scaled(left) if left > 0 else Fixed(value=0.0)
            offset[j] = done
        else:
            floor[j] = done
    risks = []
    for r in spec.risks:
        state = status.risks.get(r.key, "open")
        p = {"occurred": 1.0, "retired": 0.0}.get(state, r.probability)
        risks.append(replace(r, probability=p))
    correlated = tuple(j for j in spec.correlated if j not in frozen)
    factor = spec.corr_factor
    if spec.correlated and len(correlated) < len(spec.correlated):
        keep = [k for k, j in enumerate(spec.correlated) if j not in frozen]
        factor = _sub_factor(spec.corr_factor, keep) if len(keep) > 1 else None
        correlated = correlated if len(keep) > 1 else ()
    return replace(spec, durations=tuple(durations), risks=tuple(risks), earliest=earliest,
                   pinned=pinned, duration_offset=offset, duration_floor=floor,
                   frozen=tuple(frozen), correlated=correlated, corr_factor=factor)


def _sub_factor(factor: np.ndarray, keep: list[int]) -> np.ndarray:
    cov = factor @ factor.T
    return np.linalg.cholesky(cov[np.ix_(keep, keep)])


def _status(status: Status | str | Path) -> Status:
    return status if isinstance(status, Status) else load_status(status)


def reforecast(scenario: Scenario, status: Status | str | Path, **kwargs) -> SimulationResult:
    """Simulate from a status date.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    status : Status or path
        What has happened by ``status.as_of`` (see ``riskmodel.scenario.status``).
    **kwargs
        As for ``simulate`` (iterations, seed, jobs...).

    Returns
    -------
    SimulationResult
        With ``status`` set; its JSON has ``as_of``.

    Examples
    --------
    >>> from riskmodel import load_scenario
    >>> scenario = load_scenario("data/scenarios/soc2_readiness.yaml")
    >>> now = reforecast(scenario, "data/status/2027-01-25.yaml", iterations=20_000)
    >>> round(now.p_meet(scenario.audit_date), 1)  # doctest: +SKIP
    0.4
    >>> bool(now.finish.min() >= scenario.weeks_from_start(now.status.as_of))
    True
    """
    return simulate(scenario, status=_status(status), **kwargs)


def _row(label, as_of, r: SimulationResult) -> dict:
    t = r.primary_target
    q = r.percentiles(t.milestone if t.milestone != "end" else "finish", (50, 80))
    return {"status": label, "as_of": as_of, "p_meet": r.p_meet(t.date, t.milestone),
            "p50_date": r.date_of(q["p50"]), "p80_date": r.date_of(q["p80"]),
            "cost_p50": float(np.percentile(r.cost, 50)),
            "cost_p80": float(np.percentile(r.cost, 80)), "target_date": t.date}


def forecast_trail(scenario: Scenario, statuses: Sequence[Status | str | Path],
                   **kwargs) -> pd.DataFrame:
    """P(meet), P50/P80 dates and costs at the plan and at each status date, in order."""
    kwargs.setdefault("rank_risks", False)
    rows = [_row("plan", scenario.start_date, simulate(scenario, **kwargs))]
    for s in sorted((_status(s) for s in statuses), key=lambda s: s.as_of):
        rows.append(_row(s.as_of.isoformat(), s.as_of, reforecast(scenario, s, **kwargs)))
    return pd.DataFrame(rows).set_index("status")


def _actuals_only(status: Status, estimates_from: Status | None) -> Status:
    """``status``'s actual dates and progress with the earlier status's risks and estimates.

    Status files are cumulative: each one says everything known at its date.
    """
    ws = {}
    for key, st in status.workstreams.items():
        old = estimates_from.workstreams.get(key) if estimates_from else None
        keep = old.remaining if old is not None else None
        if st.finished or st.percent_complete is not None:
            keep = None  # a remaining estimate does not fit these
        ws[key] = WorkstreamStatus(actual_start=st.actual_start, actual_finish=st.actual_finish,
                                   percent_complete=st.percent_complete, remaining=keep)
    risks = dict(estimates_from.risks) if estimates_from else {}
    return Status(as_of=status.as_of, workstreams=ws, risks=risks)


def explain_change(scenario: Scenario, before: Status | str | Path | None,
                   after: Status | str | Path, **kwargs) -> pd.DataFrame:
    """Split the change in P(meet) between two status dates into its causes.

    Steps, each on the same random draws: the earlier forecast (the plan if ``before``
    is None); with the later status's actual dates and progress; plus its risk changes
    (occurred, retired); plus its re-estimates (= the later forecast). Columns give each
    step's P(meet), P80 date and the change it brought.
    """
    kwargs.setdefault("rank_risks", False)
    b = _status(before) if before is not None else None
    a = _status(after)
    step1 = _actuals_only(a, b)
    step2 = step1.model_copy(update={"risks": dict(a.risks)})
    runs = [("before", simulate(scenario, status=b, **kwargs)),
            ("+ actuals", simulate(scenario, status=step1, **kwargs)),
            ("+ risks retired or occurred", simulate(scenario, status=step2, **kwargs)),
            ("+ re-estimates (after)", simulate(scenario, status=a, **kwargs))]
    rows = [{k: v for k, v in _row(label, None, r).items() if k not in ("status", "as_of")}
            | {"step": label} for label, r in runs]
    table = pd.DataFrame(rows).set_index("step")
    table["p_meet_change"] = table["p_meet"].diff().fillna(0.0)
    table["p80_date_change_days"] = [0] + [
        (x - y).days for x, y in zip(table["p80_date"][1:], table["p80_date"][:-1])]
    return table
