"""Condition the engine spec on a status: what has happened by ``as_of``.

Durations
    A finished workstream keeps its actual start and finish; risks no longer touch it.
    A started one keeps its actual start and what is left is, in this order:
    ``remaining`` (a fresh estimate of the work left); else, with ``percent_complete``
    = 100 f, the estimate of the rest at the chosen ``pace``; else its estimate *given
    that it exceeds the working time already spent* (the estimate's inverse CDF on the
    upper part of the uniform, u' = F(spent) + u (1 - F(spent)); see
    ``sim.distributions.Conditioned``). Time spent at or past the estimate's maximum
    cannot be conditioned on: the status must then give ``remaining``. Nothing else
    starts before ``as_of``; an unstarted workstream's ``remaining`` is a re-estimate.

Pace of ``percent_complete`` (``pace:`` per workstream, or for the whole file)
    ``planned`` (the default): the estimate scaled by 1 - f. ``observed``: the time
    spent so far at the observed rate, ``spent (1 - f) / f``, with the estimate's
    relative uncertainty (the estimate scaled so that its plan value equals that).
    The default is ``planned`` because (1) progress is rarely linear: ramp-up,
    onboarding and holidays make the first weeks slow (the shipped, illustrative
    history shows it: of the six workstreams under way on 2027-01-04, five finished
    nearer their planned-pace forecast than their observed-pace one, their first two
    weeks having been the year-end break); (2) the observed forecast divides the reporting error
    of a self-assessed percentage by f, so early reports (10% on day 3) swing it
    wildly, and 0% gives no pace at all; (3) status files written before ``pace``
    existed keep their meaning. Write ``pace: observed`` where the slip is systematic
    (a smaller team than planned, work found to be larger), typically once a
    workstream is a quarter or more done.

Risks
    ``occurred`` fires in every iteration (whatever its ``when`` clauses say) and
    ``retired`` in none. A risk whose
    affected workstreams have all finished is retired by the actuals, unless marked
    ``occurred``.

Costs (the forecast is actuals plus cost to go; ``EngineSpec.cost_offset`` carries
the difference from what the engine computes)
    A started workstream's fixed cost counts as incurred when it starts. With
    ``actual_cost`` (everything booked to the workstream by ``as_of``, labour and its
    fixed cost), the workstream costs ``actual_cost`` plus its labour after ``as_of``;
    a finished one exactly ``actual_cost``. ``spent_to_date`` replaces everything
    spent before ``as_of``: labour done, overhead accrued, fixed costs of started
    workstreams, programme fixed costs and the costs of occurred risks (it includes
    any ``actual_cost``); the forecast adds labour and overhead after ``as_of``, fixed
    costs of unstarted workstreams and the costs of open risks that fire.

Every input keeps its random stream (``duration:<id>``...), so a re-forecast and the
plan share their draws: the change between them is what the status says, not noise.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import cast

import numpy as np

from .errors import Problem, ScenarioError
from .scenario.schema import Scenario
from .scenario.status import Status, WorkstreamStatus, check_status
from .sim.distributions import Distribution, Fixed
from .sim.engine import EngineSpec

__all__ = ["apply_status", "time_spent", "overruns", "retired_by_actuals"]


def _working(spec: EngineSpec):
    cal = spec.calendar
    return (lambda t: float(cal.work(np.array([t]))[0])) if cal else (lambda t: t)


def _weeks(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def time_spent(spec: EngineSpec, scenario: Scenario, status: Status) -> np.ndarray:
    """Working weeks each workstream has run by ``status.as_of`` (to its actual finish
    if finished; 0 if not started).

    Parameters
    ----------
    spec : EngineSpec
        The plan's engine spec (for its working calendar).
    scenario : Scenario
        The plan.
    status : Status
        What has happened.

    Returns
    -------
    numpy.ndarray
        One value per workstream of ``spec``.
    """
    weeks, work = scenario.weeks_from_start, _working(spec)
    spent = np.zeros(len(spec.workstreams))
    for j, ws in enumerate(spec.workstreams):
        st = status.workstreams.get(ws)
        if st is not None and st.actual_start is not None:  # started
            end = st.actual_finish if st.actual_finish is not None else status.as_of
            spent[j] = work(weeks(end)) - work(weeks(st.actual_start))
    return spent


def _needs_remaining(st: WorkstreamStatus | None) -> bool:
    return (st is not None and st.started and not st.finished and st.remaining is None
            and st.percent_complete is None)


def overruns(spec: EngineSpec, scenario: Scenario, status: Status) -> list[str]:
    """Started workstreams whose time spent reaches their estimate's maximum and whose
    status gives neither ``remaining`` nor ``percent_complete`` (they cannot be
    conditioned on the time spent).

    Parameters
    ----------
    spec : EngineSpec
    scenario : Scenario
    status : Status

    Returns
    -------
    list of str
        Workstream ids.
    """
    spent = time_spent(spec, scenario, status)
    return [ws for j, ws in enumerate(spec.workstreams)
            if _needs_remaining(status.workstreams.get(ws))
            and spent[j] >= spec.durations[j].support[1]]


def retired_by_actuals(spec: EngineSpec, status: Status) -> set[str]:
    """Risks whose affected workstreams have all finished (and that did not occur).

    Parameters
    ----------
    spec : EngineSpec
    status : Status

    Returns
    -------
    set of str
        Risk ids.
    """
    done = {ws for ws, st in status.workstreams.items() if st.finished}
    return {r.key for r in spec.risks
            if r.affects and status.risks.get(r.key) != "occurred"
            and all(spec.workstreams[j] in done for j in r.affects)}


def _left(estimate: Distribution, st: WorkstreamStatus, pace: str, spent: float,
          where: str, source: str | None) -> tuple[Distribution, float]:
    """(duration distribution, working time added to it) of a started workstream."""
    if st.remaining is not None:
        return st.remaining, spent
    if st.percent_complete is not None:
        f = st.percent_complete / 100.0
        if f >= 1.0:
            return Fixed(value=0.0), spent
        if pace == "planned":
            return estimate.scaled(1.0 - f), spent
        if f == 0.0:
            raise ScenarioError(Problem(where, "percent_complete 0 gives no observed pace; "
                                               "use pace: planned or give remaining", source))
        target = spent * (1.0 - f) / f  # the rest at the pace observed so far
        plan = estimate.plan_value
        if target <= 0.0 or plan <= 0.0:
            return Fixed(value=target), spent
        return estimate.scaled(target / plan), spent
    hi = estimate.support[1]
    if spent >= hi:
        verb = "exceed" if spent > hi else "reach"
        raise ScenarioError(Problem(where, f"{_weeks(spent)} weeks spent {verb} the "
                                           f"estimate's maximum of {_weeks(hi)}; give "
                                           "remaining", source))
    return estimate.given_above(spent), 0.0


def apply_status(spec: EngineSpec, scenario: Scenario, status: Status) -> EngineSpec:
    """The engine spec conditioned on a status (see the module notes for the rules).

    Parameters
    ----------
    spec : EngineSpec
        The plan's spec (``simulate.build_spec``).
    scenario : Scenario
        The plan.
    status : Status
        What has happened by ``status.as_of``.

    Returns
    -------
    EngineSpec
        A new spec; ``spec`` is not changed.

    Raises
    ------
    ScenarioError
        If the status does not fit the scenario; every line names the status file.

    Examples
    --------
    >>> from riskmodel import Scenario
    >>> from riskmodel.simulate import build_spec
    >>> s = Scenario.from_dict({"name": "one", "start_date": "2027-01-04",
    ...     "audit_date": "2027-03-29",
    ...     "workstreams": [{"id": "a", "duration": {"dist": "uniform", "min": 4, "max": 6}}]})
    >>> st = Status.from_dict({"as_of": "2027-02-08",
    ...                        "workstreams": {"a": {"actual_start": "2027-01-04"}}})
    >>> apply_status(build_spec(s), s, st).durations[0].describe()
    'uniform(4, 6) given > 5'
    """
    check_status(scenario, status)
    source, n = status.source, len(spec.workstreams)
    weeks, now = scenario.weeks_from_start, scenario.weeks_from_start(status.as_of)
    spent = time_spent(spec, scenario, status)
    earliest = np.full(n, now) if spec.earliest is None else np.fmax(spec.earliest, now)
    pinned, offset = np.full(n, np.nan), np.zeros(n)
    durations, frozen, started, problems = list(spec.durations), [], [], []
    for j, ws in enumerate(spec.workstreams):
        st = status.workstreams.get(ws)
        if st is None or st.actual_start is None:  # not started
            if st is not None and st.remaining is not None:
                durations[j] = st.remaining  # a re-estimate of work not yet started
            continue
        pinned[j], earliest[j] = weeks(st.actual_start), 0.0
        started.append(j)
        if st.finished:
            durations[j] = Fixed(value=spent[j])
            frozen.append(j)
            continue
        try:
            durations[j], offset[j] = _left(durations[j], st, status.pace_of(ws), spent[j],
                                            f"workstreams.{ws}", source)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    retired = retired_by_actuals(spec, status)
    risks = []
    for r in spec.risks:
        state = "retired" if r.key in retired else status.risks.get(r.key, "open")
        p = {"occurred": 1.0, "retired": 0.0}.get(state, r.probability)
        # an occurred risk happened, whatever its conditions said
        risks.append(replace(r, probability=p, when=() if state == "occurred" else r.when))
    spec = replace(spec, durations=tuple(durations), risks=tuple(risks), earliest=earliest,
                   pinned=pinned, duration_offset=offset,
                   frozen=tuple(frozen), **_correlation(spec, frozen))
    return _with_actual_costs(spec, scenario, status, spent, started, now)


def _correlation(spec: EngineSpec, frozen: list[int]) -> dict:
    """The copula restricted to inputs still uncertain (all but finished workstreams)."""
    done = {f"duration:{spec.workstreams[j]}" for j in frozen}
    keep = [k for k, key in enumerate(spec.correlated) if key not in done]
    if len(keep) == len(spec.correlated):
        return {}
    if len(keep) < 2:
        return {"correlated": (), "corr_factor": None}
    assert spec.corr_factor is not None  # set whenever inputs are correlated
    cov = spec.corr_factor @ spec.corr_factor.T
    return {"correlated": tuple(spec.correlated[k] for k in keep),
            "corr_factor": np.linalg.cholesky(cov[np.ix_(keep, keep)])}


def _with_actual_costs(spec: EngineSpec, scenario: Scenario, status: Status,
                       spent: np.ndarray, started: list[int], now: float) -> EngineSpec:
    """Actual costs in place of the modelled cost of work done before ``as_of``.

    The modelled cost taken off is a constant (``cost_offset``) at certain rates and,
    with uncertain rates, units of each rate priced per iteration (``rate_offset``)."""
    rate, ids = spec.weekly_rate, spec.workstreams
    fixed = list(spec.fixed_costs)
    offset = 0.0
    units = np.zeros(len(spec.rates))  # of the uncertain rates, taken off
    staffing = np.zeros((0, len(ids))) if spec.rate_staffing is None else spec.rate_staffing
    if status.spent_to_date is None:
        for j in started:
            cost = status.workstreams[ids[j]].actual_cost
            if cost is not None:
                offset += cost - rate[j] * spent[j]
                units -= staffing[:, j] * spent[j]
                fixed[j] = None
        return replace(spec, fixed_costs=tuple(fixed), cost_offset=spec.cost_offset + offset,
                       **_rate_offset(spec, units))
    for j in started:
        fixed[j] = None
        units -= staffing[:, j] * spent[j]
    offset = status.spent_to_date - sum(rate[j] * spent[j] for j in started)
    weeks = scenario.weeks_from_start
    finished = {j: weeks(cast(dt.date, status.workstreams[ids[j]].actual_finish))
                for j in spec.frozen}  # frozen: finished
    for o, (weekly, until) in enumerate(spec.overhead):
        stops = [until] if until >= 0 else spec.sinks
        known = all(j in finished for j in stops)
        weeks_run = min(now, max(finished[j] for j in stops)) if known else now
        offset -= weekly * weeks_run
        if spec.rates:
            assert spec.overhead_staffing is not None  # set with the rates
            units -= spec.overhead_staffing[o] * weeks_run
    programme = tuple((key, Fixed(value=0.0)) for key, _ in spec.programme_costs)
    risks = tuple(replace(r, cost=None) if status.risks.get(r.key) == "occurred" else r
                  for r in spec.risks)
    return replace(spec, fixed_costs=tuple(fixed), programme_costs=programme, risks=risks,
                   cost_offset=spec.cost_offset + offset, **_rate_offset(spec, units))


def _rate_offset(spec: EngineSpec, units: np.ndarray) -> dict:
    """``rate_offset`` with ``units`` more of the uncertain rates (nothing without them)."""
    if not spec.rates or not units.any():
        return {}
    return {"rate_offset": units if spec.rate_offset is None else spec.rate_offset + units}
