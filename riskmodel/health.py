"""Schedule health check: what to fix before anyone trusts a number.

``check(scenario)`` looks at a valid scenario (and its deterministic plan) for things
that make a forecast misleading although the file is valid: a plan that runs over a
holiday with no calendar, certainty where there is none, risks and workstreams that
cannot change any answer, too few iterations for the precision reports show, and
``normal`` estimates whose cut at 0 moves their mean. Each finding is a warning, not
an error: the scenario still runs. ``riskmodel check FILE`` prints them, and reports
show them at the top.

This module uses the scenario schema, ``riskmodel.spec`` and the engine's deterministic
plan only; it never simulates and never prints.

Examples
--------
>>> from riskmodel import load_scenario
>>> from riskmodel.health import check
>>> for finding in check(load_scenario("data/scenarios/soc2_readiness.yaml")):
...     print(finding.code, finding.where)
holiday_window calendar
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .formatting import long_date, money
from .scenario.schema import RESERVED_MILESTONE, Risk, Scenario
from .sim.distributions import Distribution, Normal
from .sim.engine import Outcome, evaluate, plan_draws
from .spec import build_spec

__all__ = [
    "HOLIDAY_WINDOWS",
    "MIN_ITERATIONS",
    "NORMAL_MEAN_SHIFT",
    "Finding",
    "HolidayWindow",
    "check",
    "margin_points",
    "truncated_normal_mean",
]

MIN_ITERATIONS = 10_000
"""Fewest iterations without a warning: at 10,000 the 95% margin of P(meet) is under
one percentage point (1.96 x 0.5 / sqrt(10,000) = 0.98 points at P = 50%, the worst
case), so the whole points reports show are right to about a point."""

NORMAL_MEAN_SHIFT = 0.01
"""A ``normal`` whose cut at 0 raises its mean by more than this share is reported."""


# -- findings ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One health warning about a scenario.

    Parameters
    ----------
    code : str
        Stable identifier of the check (``holiday_window``, ``fixed_critical``,
        ``risk_no_impact``, ``workstream_no_target``, ``lead``, ``plan_waits``,
        ``few_iterations``, ``normal_truncated``, ``blackout_outside_plan``), for scripts
        and tests.
    where : str
        Key path in the scenario, as in error messages (``calendar``,
        ``workstreams[3].duration``).
    message : str
        One sentence for a person: what is wrong and what to do.

    Examples
    --------
    >>> str(Finding("few_iterations", "simulation.iterations", "too few"))
    'simulation.iterations: too few'
    """

    code: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


# -- holiday windows --------------------------------------------------------------------
def _year_end(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 12, 24), dt.date(year + 1, 1, 1)


def _thanksgiving(year: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 11, 1)
    thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday, thursday + dt.timedelta(days=1)


@dataclass(frozen=True)
class HolidayWindow:
    """A holiday window dated by a rule: ``dates(year)`` gives its first and last day.

    ``source`` says where the dates come from and what is assumed about them.
    """

    name: str
    rule: Callable[[int], tuple[dt.date, dt.date]]
    source: str

    def dates(self, year: int) -> tuple[dt.date, dt.date]:
        """First and last day (both included) of the window that starts in ``year``.

        Parameters
        ----------
        year : int

        Returns
        -------
        tuple of date
        """
        return self.rule(year)


HOLIDAY_WINDOWS: list[HolidayWindow] = [
    HolidayWindow(
        "year-end", _year_end,
        "ASSUMPTION: 24 Dec (Christmas Eve) to 1 Jan (New Year's Day), the usual "
        "year-end shutdown and production change freeze in the US and Europe; many "
        "teams are away and little work gets done"),
    HolidayWindow(
        "US Thanksgiving", _thanksgiving,
        "US federal holiday on the fourth Thursday of November (5 U.S.C. 6103); "
        "ASSUMPTION: the Friday after is taken off too. E-commerce peak-season "
        "freezes (Black Friday to Cyber Monday) are often longer: model them in the "
        "calendar"),
]
"""Holiday windows the check knows. Only these are checked: other national holidays,
Lunar New Year or European summer holidays are for a scenario's own calendar."""


def _moment(scenario: Scenario, weeks: float) -> dt.datetime:
    start = dt.datetime.combine(scenario.start_date, dt.time())
    return start + dt.timedelta(weeks=float(weeks))


def _midnight(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time())


def _plan_span(scenario: Scenario, plan: Outcome) -> tuple[dt.datetime, dt.datetime]:
    """From the start to the later of the plan's finish and the headline target date."""
    finish = _moment(scenario, plan.end[0])
    return _midnight(scenario.start_date), max(finish, _midnight(scenario.all_targets[0].date))


def _holiday_windows(scenario: Scenario, plan: Outcome) -> list[Finding]:
    """Holiday windows the plan crosses that no calendar blackout touches.

    The span runs from ``start_date`` to the later of the deterministic plan's finish
    and the headline target date. A window is covered when any blackout overlaps it
    (a blackout's ``to`` is the first day back at full pace, as in the engine).
    """
    start, end = _plan_span(scenario, plan)
    blackouts = scenario.calendar.blackouts if scenario.calendar else []
    windows = sorted(((*w.dates(year), w) for year in range(start.year - 1, end.year + 1)
                      for w in HOLIDAY_WINDOWS), key=lambda x: x[0])
    out = []
    for first, last, window in windows:
        lo, hi = _midnight(first), _midnight(last + dt.timedelta(days=1))
        if not (start < hi and end > lo):
            continue
        if any(_midnight(b.start) < hi and _midnight(b.to) > lo for b in blackouts):
            continue
        how = "with no calendar" if not blackouts else "and no calendar blackout covers it"
        out.append(Finding(
            "holiday_window", "calendar",
            f"the plan runs over {window.name} ({long_date(first)} - {long_date(last)}) {how}: "
            "work is assumed to go at full pace; add calendar.blackouts "
            "(see soc2_readiness_holiday_freeze.yaml)"))
    return out


def _blackouts_outside_plan(scenario: Scenario, plan: Outcome) -> list[Finding]:
    """Calendar blackouts that lie wholly outside the plan's span (a wrong year?)."""
    if not scenario.calendar:
        return []
    start, end = _plan_span(scenario, plan)
    last_target = max(_midnight(t.date) for t in scenario.all_targets)
    end = max(end, last_target)
    out = []
    for i, b in enumerate(scenario.calendar.blackouts):
        if _midnight(b.start) < end and _midnight(b.to) > start:
            continue
        out.append(Finding(
            "blackout_outside_plan", f"calendar.blackouts[{i}]",
            f"the blackout from {long_date(b.start)} to {long_date(b.to)} lies outside the plan "
            f"({long_date(start.date())} - {long_date(end.date())}), so it changes nothing; "
            "check its year"))
    return out


# -- estimates --------------------------------------------------------------------------
def _fixed_on_critical_path(scenario: Scenario, plan: Outcome) -> list[Finding]:
    """Fixed (zero-width) durations on the deterministic plan's critical path.

    Zero durations (milestone markers) are left alone.
    """
    critical = plan.critical[:, 0]
    out = []
    for j, ws in enumerate(scenario.workstreams):
        lo, _ = ws.duration.support
        if ws.duration.is_fixed and lo > 0 and critical[j]:
            out.append(Finding(
                "fixed_critical", f"workstreams[{j}].duration",
                f"'{ws.id}' is on the plan's critical path with a duration fixed at "
                f"{lo:g} weeks, so none of its uncertainty reaches the dates; give a range "
                "(min, mode, max) unless its length is set by contract or policy"))
    return out


def truncated_normal_mean(dist: Normal) -> float:
    """Mean of ``dist`` after its cut at 0: mu + sigma phi(a) / (1 - Phi(a)), a = -mu/sigma.

    Examples
    --------
    >>> round(truncated_normal_mean(Normal(mean=0, sd=1)), 4)  # sqrt(2 / pi)
    0.7979

    Parameters
    ----------
    dist : Normal

    Returns
    -------
    float
    """
    from scipy import special
    a = -dist.mean / dist.sd
    phi = math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    return dist.mean + dist.sd * phi / float(special.ndtr(-a))


def _distributions(scenario: Scenario) -> Iterator[tuple[str, str, Distribution]]:
    """(key path, unit, distribution) for every uncertain quantity in the scenario."""
    currency = scenario.currency
    for j, ws in enumerate(scenario.workstreams):
        yield f"workstreams[{j}].duration", "weeks", ws.duration
        yield f"workstreams[{j}].fixed_cost", currency, ws.fixed_cost
    for i, r in enumerate(scenario.risks):
        if r.delay is not None:
            yield f"risks[{i}].delay", "weeks", r.delay
        if r.factor is not None:
            yield f"risks[{i}].factor", "", r.factor
        yield f"risks[{i}].cost", currency, r.cost
    for i, f in enumerate(scenario.fixed_costs):
        yield f"fixed_costs[{i}].cost", currency, f.cost


def _amount(x: float, unit: str) -> str:
    """``2.28 weeks``, ``$1,288`` (``unit`` a currency), or a plain factor."""
    if unit == "weeks":
        return f"{x:.2f} weeks"
    if unit:
        return money(x, unit)
    return f"{x:.3g}"


def _truncated_normals(scenario: Scenario) -> list[Finding]:
    """``normal`` estimates whose cut at 0 raises the mean by more than 1%."""
    out = []
    for where, unit, dist in _distributions(scenario):
        if not isinstance(dist, Normal):
            continue
        real = truncated_normal_mean(dist)
        mu = dist.mean
        if mu > 0 and real - mu <= NORMAL_MEAN_SHIFT * mu:
            continue
        shift = f", {100 * (real - mu) / mu:.0f}% above the {mu:g} written" if mu > 0 else ""
        out.append(Finding(
            "normal_truncated", where,
            f"normal(mean {mu:g}, sd {dist.sd:g}) is cut at 0, so its real mean is "
            f"{_amount(real, unit)}{shift} (the plan uses {dist.plan_value:g}); if {mu:g} "
            "is the mean you meant, use a lognormal or a three-point estimate"))
    return out


# -- risks and workstreams --------------------------------------------------------------
def _no_impact(risk: Risk) -> str | None:
    """Why the risk cannot change anything, or None."""
    if risk.probability == 0:
        return "its probability is 0, so it never fires"
    no_cost = risk.cost.support[1] == 0
    if risk.delay is None and risk.factor is None and no_cost:
        return "it has no delay, factor or cost"
    if no_cost and risk.delay is not None and risk.delay.support == (0.0, 0.0):
        return "its delay is 0 and it has no cost"
    if no_cost and risk.factor is not None and risk.factor.support == (1.0, 1.0):
        return "its factor is 1 and it has no cost"
    return None


def _risks_without_impact(scenario: Scenario) -> list[Finding]:
    """Risks that change nothing when they fire, or never fire."""
    out = []
    for i, risk in enumerate(scenario.risks):
        why = _no_impact(risk)
        if why:
            where = f"risks[{i}].probability" if risk.probability == 0 else f"risks[{i}]"
            out.append(Finding(
                "risk_no_impact", where,
                f"'{risk.id}' changes no date or cost: {why}; give its impact or remove it"))
    return out


def _workstreams_without_target(scenario: Scenario) -> list[Finding]:
    """Workstreams that are neither a target's milestone nor upstream of one."""
    milestones = {t.milestone for t in scenario.all_targets}
    if RESERVED_MILESTONE in milestones:
        return []  # the programme end depends on every workstream
    preds = {ws.id: [d.id for d in ws.depends_on] for ws in scenario.workstreams}
    reached, todo = set(), [m for m in milestones if m in preds]
    while todo:
        x = todo.pop()
        if x not in reached:
            reached.add(x)
            todo.extend(preds[x])
    return [
        Finding("workstream_no_target", f"workstreams[{j}]",
                f"'{ws.id}' leads to no target (no target is on it or on anything that "
                "depends on it), so it moves no P(meet), only cost and the programme end; "
                "make a later workstream depend on it, add a target on it, or remove it")
        for j, ws in enumerate(scenario.workstreams) if ws.id not in reached
    ]


_ENDS = {"FS": ("start", "finishes"), "SS": ("start", "starts"),
         "FF": ("finish", "finishes"), "SF": ("finish", "starts")}


def _leads(scenario: Scenario) -> list[Finding]:
    """Dependencies with a negative lag (a lead; DCMA's 14-point check wants none)."""
    out = []
    for j, ws in enumerate(scenario.workstreams):
        for k, dep in enumerate(ws.depends_on):
            if dep.lag < 0:
                mine, theirs = _ENDS[dep.type]
                weeks = f"{-dep.lag:g} week{'' if dep.lag == -1 else 's'}"
                out.append(Finding(
                    "lead", f"workstreams[{j}].depends_on[{k}].lag",
                    f"'{ws.id}' may {mine} {weeks} before '{dep.id}' {theirs} (a lead), an "
                    "overlap nothing in the plan explains; link it to what the work really "
                    "waits for with a lag of 0 or more (an overlap: type SS)"))
    return out


def _plan_waits(scenario: Scenario, spec, plan: Outcome) -> list[Finding]:
    """The deterministic plan waits for people (levelling moves its finish): names the
    workstreams that start later than their links allow."""
    if plan.unlevelled is None:
        return []
    from .sim.block import start_of
    from .sim.network import start_times

    ids = [w.id for w in scenario.workstreams]
    allowed = start_times(plan.finish, spec.order, spec.preds, spec.lags, spec.earliest,
                          spec.pinned, types=spec.link_types, duration=plan.duration,
                          calendar=spec.calendar)
    start = start_of(spec, plan.finish, plan.duration)
    late = [ids[j] for j in range(len(ids)) if start[j, 0] > allowed[j, 0] + 1e-9]
    if not late:
        return []
    moved = float(plan.end[0] - plan.unlevelled[list(spec.sinks), 0].max())  # as the engine
    named = ", ".join(f"'{x}'" for x in late[:3]) + (" ..." if len(late) > 3 else "")
    return [Finding(
        "plan_waits", "roles",
        f"the plan needs more people at once than the roles' capacities: {named} "
        f"{'waits for its people' if len(late) == 1 else 'wait for their people'}, so the "
        f"plan ends {max(moved, 0):.1f} weeks later than its links say; add capacity, move "
        "work apart, or plan for the later date")]


# -- precision --------------------------------------------------------------------------
def margin_points(iterations: int) -> float:
    """95% margin of a simulated probability at 50% (the worst case), in points.

    1.96 x 0.5 / sqrt(n) x 100: the binomial standard error of independent draws.
    Latin hypercube sampling is never worse than that (Owen 1997), so it is a bound.

    Examples
    --------
    >>> round(margin_points(10_000), 2)
    0.98

    Parameters
    ----------
    iterations : int

    Returns
    -------
    float
    """
    return 100 * 1.96 * 0.5 / math.sqrt(iterations)


def _few_iterations(scenario: Scenario, iterations: int | None) -> list[Finding]:
    """Fewer than ``MIN_ITERATIONS``: P(meet) less precise than the whole points shown."""
    n = scenario.simulation.iterations if iterations is None else int(iterations)
    if n >= MIN_ITERATIONS:
        return []
    where = "simulation.iterations" if n == scenario.simulation.iterations else "iterations"
    return [Finding(
        "few_iterations", where,
        f"{n:,} iterations give P(meet) only to within about ±{margin_points(n):.1f} "
        f"points (95%), coarser than the whole points reports show; use at least "
        f"{MIN_ITERATIONS:,} (±{margin_points(MIN_ITERATIONS):.0f} point)")]


# -- all together -----------------------------------------------------------------------
def check(scenario: Scenario, iterations: int | None = None) -> list[Finding]:
    """Schedule health warnings for a valid scenario, most serious first.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    iterations : int, optional
        Iterations the forecast runs with (default ``scenario.simulation.iterations``).

    Returns
    -------
    list of Finding
        Empty when nothing was found. Pure: nothing is printed or changed.

    Notes
    -----
    The plan is the engine's deterministic plan (every estimate at its plan value,
    no risk fired, the scenario's calendar applied). The checks, each its own function:

    - ``holiday_window`` (``calendar``): the span from ``start_date`` to the later of
      the plan's finish and the headline target date crosses a window of
      ``HOLIDAY_WINDOWS`` (year-end 24 Dec - 1 Jan; US Thanksgiving Thursday-Friday)
      that no ``calendar.blackouts`` entry overlaps.
    - ``fixed_critical`` (``workstreams[j].duration``): a fixed duration above 0 on the
      plan's critical path.
    - ``normal_truncated``: a ``normal`` anywhere (durations, fixed costs, risk delays
      and costs, programme fixed costs) whose cut at 0 raises its mean by more than
      ``NORMAL_MEAN_SHIFT`` (1%); the message gives the real mean,
      mu + sigma phi(a) / (1 - Phi(a)) with a = -mu / sigma.
    - ``risk_no_impact`` (``risks[i]``): probability 0, or no delay, factor or cost,
      or a delay fixed at 0 / a factor fixed at 1 with no cost.
    - ``workstream_no_target`` (``workstreams[j]``): not a target's milestone nor
      upstream (through ``depends_on``) of one; a target on ``end`` covers all.
    - ``lead`` (``workstreams[j].depends_on[k].lag``): a negative lag (DCMA: no leads).
    - ``plan_waits`` (``roles``): the plan itself needs more people at once than the
      roles' capacities: some workstreams wait, and it ends later than its links say.
    - ``blackout_outside_plan`` (``calendar.blackouts[i]``): a blackout wholly outside
      the start to the later of the plan finish and the last target date.
    - ``few_iterations``: fewer than ``MIN_ITERATIONS`` (10,000). Reports show
      P(meet) in whole points; at 10,000 iterations its 95% margin is at most 0.98
      points (1.96 x 0.5 / sqrt(n), P = 50%), below that it is more than a point.

    Examples
    --------
    >>> from riskmodel import Scenario
    >>> s = Scenario.from_dict({"name": "demo", "start_date": "2027-02-01",
    ...     "audit_date": "2027-04-01", "simulation": {"iterations": 2000},
    ...     "workstreams": [{"id": "gap", "duration": 4}]})
    >>> for finding in check(s):
    ...     print(finding)  # doctest: +NORMALIZE_WHITESPACE
    workstreams[0].duration: 'gap' is on the plan's critical path with a duration fixed
    at 4 weeks, so none of its uncertainty reaches the dates; give a range (min, mode,
    max) unless its length is set by contract or policy
    simulation.iterations: 2,000 iterations give P(meet) only to within about ±2.2
    points (95%), coarser than the whole points reports show; use at least 10,000
    (±1 point)
    """
    spec = build_spec(scenario)
    plan = evaluate(spec, plan_draws(spec))
    return [
        *_holiday_windows(scenario, plan),
        *_fixed_on_critical_path(scenario, plan),
        *_truncated_normals(scenario),
        *_risks_without_impact(scenario),
        *_workstreams_without_target(scenario),
        *_leads(scenario),
        *_plan_waits(scenario, spec, plan),
        *_blackouts_outside_plan(scenario, plan),
        *_few_iterations(scenario, iterations),
    ]

