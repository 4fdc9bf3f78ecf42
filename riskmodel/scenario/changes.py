"""What-if changes: small named functions that return a new, validated scenario.

Every change goes through ``Scenario.with_changes``, so it is validated like a scenario
file and a bad change raises ``ScenarioError`` naming what is wrong. Ids are kept, so a
changed scenario shares every untouched input's random draws with the original
(common random numbers): a comparison shows only the change's own effect.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import Problem, ScenarioError
from ..sim.distributions import DistributionError
from .fields import MAX_WEEKS, plain, short
from .problems import NAME, find
from .schema import Scenario
from .staffing import DEFAULT_ELASTICITY, DEFAULT_FLOOR, DEFAULT_ONBOARDING, change_staffing

__all__ = [
    "move_dates",
    "change_staffing",
    "mitigate_risk",
    "scale_estimates",
    "add_workstream",
    "remove_workstream",
    "add_dependency",
    "remove_dependency",
    "apply_changes",
    "check_changes",
    "DEFAULT_ELASTICITY",
    "DEFAULT_FLOOR",
    "DEFAULT_ONBOARDING",
]

def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"move_dates: expected an ISO date like 2027-03-01, got "
                            f"{short(value)}") from None


def move_dates(scenario: Scenario, *, start_date=None, audit_date=None,
               audit_weeks_later: float | None = None) -> Scenario:
    """Move the start date and/or the audit date.

    Parameters
    ----------
    scenario : Scenario
    start_date, audit_date : date or ISO text, optional
        New dates; the audit date moves the ``audit`` target wherever it points.
    audit_weeks_later : float, optional
        Move the audit date by this many weeks (after ``audit_date`` if both are given).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        A date that is not a date, or a changed scenario that is not valid (a target
        before the start date...).
    """
    changes: dict[str, Any] = {}
    if start_date is not None:
        changes["start_date"] = _date(start_date).isoformat()
    new_audit = _date(audit_date) if audit_date is not None else None
    if audit_weeks_later is not None:
        base = new_audit or scenario.audit_target.date
        new_audit = base + dt.timedelta(days=round(7 * audit_weeks_later))
    if new_audit is not None:
        changes["audit_date"] = new_audit.isoformat()
    return scenario.with_changes(changes)


def mitigate_risk(scenario: Scenario, risk: str, *, probability: float | None = None,
                  impact_factor: float | None = None, cost: float = 0.0,
                  name: str | None = None) -> Scenario:
    """Mitigate a risk.

    Parameters
    ----------
    scenario : Scenario
    risk : str
        Risk id.
    probability : float, optional
        Its new probability.
    impact_factor : float, optional
        Multiplies its delay and cost (for a duration factor, what it adds above 1).
    cost : float
        What the mitigation costs, added as the programme fixed cost
        ``mitigation_<risk>`` so that it can be weighed against what it saves.
    name : str, optional
        Name of that fixed cost.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        An unknown risk, or a changed scenario that is not valid (a probability above 1...).
    DistributionError
        ``impact_factor`` is not positive.
    """
    r = find(scenario.risks, risk, "risk")
    change: dict[str, Any] = {"id": risk}
    if probability is not None:
        change["probability"] = probability
    if impact_factor is not None:
        for key in ("delay", "cost"):
            dist = getattr(r, key)
            if dist is not None:
                change[key] = plain(dist.scaled(impact_factor))
        if r.factor is not None:  # a duration factor: shrink what it adds above 1
            change["factor"] = _factor_towards_one(r.factor, impact_factor)
    changes: dict[str, Any] = {"risks": [change]}
    if cost:
        changes["fixed_costs"] = [{"id": f"mitigation_{risk}", "cost": cost,
                                   "name": name or f"Mitigation of {r.name or risk}"}]
    return scenario.with_changes(changes)


def _factor_towards_one(dist, k: float):
    from ..sim.distributions import from_spec

    spec = dist.to_spec()
    def move(v):
        return [move(x) for x in v] if isinstance(v, list) else 1 + (v - 1) * k

    moved = {key: v if key in dist.SCALE_FREE else move(v)
             for key, v in spec.items() if key != "dist"}
    return plain(from_spec({"dist": spec["dist"], **moved}))


def scale_estimates(scenario: Scenario, factor: float,
                    workstreams: Sequence[str] | None = None) -> Scenario:
    """Multiply the duration estimates of some (default: all) workstreams by ``factor``.

    Parameters
    ----------
    scenario : Scenario
    factor : float
        Multiplies every parameter of each duration distribution.
    workstreams : sequence of str, optional
        Workstream ids (default: all of them).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        An unknown workstream, or a changed scenario that is not valid.
    DistributionError
        ``factor`` is not positive.
    """
    chosen = [w for w in scenario.workstreams if workstreams is None or w.id in workstreams]
    if workstreams is not None:
        for ws in workstreams:
            find(scenario.workstreams, ws, "workstream")
    return scenario.with_changes({"workstreams": [
        {"id": w.id, "duration": plain(w.duration.scaled(factor))} for w in chosen]})


def add_workstream(scenario: Scenario, workstream: dict[str, Any],
                   before: Sequence[str] = ()) -> Scenario:
    """Add a workstream; ``before`` lists workstreams that must now wait for it.

    Parameters
    ----------
    scenario : Scenario
    workstream : dict
        The workstream as written in a scenario file (``id``, ``duration``,
        ``depends_on``, ``staffing``...).
    before : sequence of str
        Workstreams that get a finish-to-start link to the new one.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        An unknown workstream in ``before``, or a changed scenario that is not valid (a
        workstream without a duration, a dependency cycle...).
    """
    changes = {"workstreams": [workstream] + [
        {"id": b, "depends_on": _deps(scenario, b) + [{"id": workstream["id"]}]}
        for b in before]}
    return scenario.with_changes(changes)


def remove_workstream(scenario: Scenario, workstream: str) -> Scenario:
    """Remove a workstream; what depended on it now depends on its predecessors.

    Risks lose it from ``affects``; a risk left affecting nothing keeps only its cost
    (or is dropped if it had no cost).

    Parameters
    ----------
    scenario : Scenario
    workstream : str
        Workstream id.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        An unknown workstream, or a changed scenario that is not valid.
    """
    gone = find(scenario.workstreams, workstream, "workstream")
    inherited = [d.model_dump() for d in gone.depends_on]
    items: list[dict[str, Any]] = [{"id": workstream, "remove": True}]
    for w in scenario.workstreams:
        if any(d.id == workstream for d in w.depends_on):
            deps = [d.model_dump() for d in w.depends_on if d.id != workstream]
            seen = {d["id"] for d in deps}
            deps += [d for d in inherited if d["id"] not in seen]
            items.append({"id": w.id, "depends_on": deps})
    risks: list[dict[str, Any]] = []
    for r in scenario.risks:
        if workstream in r.affects:
            left = [a for a in r.affects if a != workstream]
            if left:
                risks.append({"id": r.id, "affects": left})
            elif r.cost.support[1] > 0:
                risks.append({"id": r.id, "affects": [], "delay": None, "factor": None})
            else:
                risks.append({"id": r.id, "remove": True})
    correlations = [c.model_dump() for c in scenario.correlations
                    if workstream not in c.between]
    return scenario.with_changes({"workstreams": items, "risks": risks,
                                  "correlations": correlations}, replace=("correlations",))


def add_dependency(scenario: Scenario, workstream: str, on: str, lag: float = 0.0,
                   type: str = "FS") -> Scenario:
    """Make ``workstream`` wait for ``on``; it replaces any link to ``on``.

    Parameters
    ----------
    scenario : Scenario
    workstream, on : str
        Workstream ids: the successor and the workstream it waits for.
    lag : float
        Weeks (negative: a lead).
    type : {"FS", "SS", "FF", "SF"}
        Finish-to-start (default), start-to-start, finish-to-finish or start-to-finish.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        An unknown workstream, or a changed scenario that is not valid (a dependency
        cycle, a lag out of range...).
    """
    deps = [d for d in _deps(scenario, workstream) if d["id"] != on]
    link = {"id": on, "lag": lag, **({} if type == "FS" else {"type": type})}
    return scenario.with_changes({"workstreams": [
        {"id": workstream, "depends_on": deps + [link]}]})


def remove_dependency(scenario: Scenario, workstream: str, on: str) -> Scenario:
    """Stop ``workstream`` waiting for ``on``.

    Parameters
    ----------
    scenario : Scenario
    workstream, on : str
        Workstream ids: the successor and the workstream it no longer waits for.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        An unknown workstream, or ``workstream`` does not depend on ``on``.
    """
    deps = _deps(scenario, workstream)
    if not any(d["id"] == on for d in deps):
        raise ScenarioError(f"remove_dependency: '{workstream}' does not depend on '{on}'")
    return scenario.with_changes({"workstreams": [
        {"id": workstream, "depends_on": [d for d in deps if d["id"] != on]}]})


def _deps(scenario: Scenario, workstream: str) -> list[dict[str, Any]]:
    return [d.model_dump() for d in find(scenario.workstreams, workstream,
                                          "workstream").depends_on]


_CHANGES: dict[str, Callable[..., Scenario]] = {
    "move_dates": move_dates, "staffing": change_staffing, "mitigate": mitigate_risk,
    "scale_estimates": scale_estimates, "add_workstream": add_workstream,
    "remove_workstream": remove_workstream, "add_dependency": add_dependency,
    "remove_dependency": remove_dependency,
}


def apply_changes(scenario: Scenario, changes: Sequence[dict[str, Any]]) -> Scenario:
    """Apply a list of named changes, as written in a batch file or notebook parameter.

    Each item is ``{name: {arguments}}``, e.g. ``{"staffing": {"workstream":
    "sf_permissions", "staffing": {"sf_developer_contract": 2}}}`` or
    ``{"mitigate": {"risk": "evidence_gaps", "probability": 0.1, "cost": 15000}}``.

    Parameters
    ----------
    scenario : Scenario
    changes : sequence of dict
        The changes, applied in order.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Naming the change and the argument (``changes[0].staffing.arrives: ...``).
    """
    for where, func, args in _changes(changes):
        try:
            scenario = func(scenario, **args)
        except ScenarioError as exc:
            raise ScenarioError([_within(where, func.__name__, p) for p in exc.problems]) \
                from None
        except DistributionError as exc:  # a value the change cannot scale by
            text = str(exc)  # our own sentence: no quotes around it
            raise _bad(where, text if len(text) <= 200 else text[:197] + "...") from None
        except TypeError as exc:  # a value of a type the change cannot use
            raise _bad(where, short(str(exc), 200)) from None
    return scenario


def check_changes(changes: Any, where: str = "changes") -> list[Problem]:
    """What is wrong with a list of changes before any scenario is at hand.

    For a batch file, before anything runs: its shape, the changes' names and
    arguments, the values of ``staffing``'s arguments and of the number arguments
    (``factor``, ``impact_factor``, ``audit_weeks_later``); one problem at most per
    change, named as ``apply_changes`` names it (``changes[0].staffing.arrives: ...``).

    Parameters
    ----------
    changes : object
        What a batch file or notebook parameter gives as ``changes``.
    where : str
        The key path the problems start with.

    Returns
    -------
    list of Problem
        Empty when the changes are well formed.
    """
    from .staffing import check_arguments

    if changes is None:  # no changes
        return []
    out: list[Problem] = []
    try:
        if not isinstance(changes, (list, tuple)):
            list(_changes(changes, where))  # raises, naming the list
        for k, item in enumerate(changes):
            try:
                (_, func, args), = _changes([item], where, first=k)
                if func is change_staffing:
                    check_arguments(**args)
            except ScenarioError as exc:
                out += [_within(f"{where}[{k}].staffing", "change_staffing", p)
                        if p.source == "change_staffing" else p for p in exc.problems]
    except ScenarioError as exc:
        out += exc.problems
    return out


def _changes(changes: Any, where: str = "changes", first: int = 0):
    """Each change as (where, function, arguments), once its shape, name and argument
    names are checked; ``ScenarioError`` for the first that is wrong."""
    if not isinstance(changes, (list, tuple)):
        raise _bad(where, "expected a list of changes like [{staffing: {workstream: ..., "
                          "staffing: {...}}}], got " + short(changes))
    for k, item in enumerate(changes, start=first):
        if not isinstance(item, dict) or len(item) != 1:
            raise _bad(f"{where}[{k}]", "expected one change like {staffing: {workstream: ..., "
                                        "staffing: {...}}}")
        (name, args), = item.items()
        func = _CHANGES.get(name) if isinstance(name, str) else None
        if func is None:
            raise _bad(f"{where}[{k}]", f"unknown change {_quote(name)}"
                                        f"{_nearest(name, _CHANGES)}; known: {', '.join(_CHANGES)}")
        if not isinstance(args, dict):
            raise _bad(f"{where}[{k}].{name}", f"expected a mapping of arguments, got "
                                               f"{short(args)}")
        _check_arguments(f"{where}[{k}].{name}", func, args)
        _check_numbers(f"{where}[{k}].{name}", name, args)
        yield f"{where}[{k}].{name}", func, args


def _quote(key: Any) -> str:
    """``'key'`` for a short name, else a description (never an input at length)."""
    named = isinstance(key, str) and NAME.fullmatch(key)
    return f"'{key}'" if named else "(a key that is not a name)"


def _nearest(key: Any, known) -> str:
    from .problems import nearest

    return nearest(key, known) if isinstance(key, str) and NAME.fullmatch(key) else ""


def _check_arguments(where: str, func: Callable[..., Scenario], args: dict[str, Any]) -> None:
    """Every argument of a change is one it takes, and none it needs is missing."""
    import inspect

    params = dict(list(inspect.signature(func).parameters.items())[1:])  # after scenario
    for key in args:
        if key not in params:
            raise _bad(where, f"unknown argument {_quote(key)}{_nearest(key, params)}; it "
                              f"takes {', '.join(params)}")
    for key, param in params.items():
        if param.default is inspect.Parameter.empty and key not in args:
            raise _bad(where, f"missing argument '{key}'")


_NUMBERS: dict[str, dict[str, tuple[float, float, bool]]] = {
    "move_dates": {"audit_weeks_later": (-MAX_WEEKS, MAX_WEEKS, True)},
    "mitigate": {"impact_factor": (0.0, math.inf, True)},
    "scale_estimates": {"factor": (0.0, math.inf, False)},
}
"""Number arguments of a change, by change name: (lowest, highest, may be None); a range
from 0 to infinity means above 0, a finite one is in weeks, bounds included."""


def _check_numbers(where: str, name: str, args: dict[str, Any]) -> None:
    """Each number argument of a change is a number in its range (one sentence naming it,
    ``changes[0].scale_estimates.factor: expected a number above 0, got 0``)."""
    for key, (low, high, optional) in _NUMBERS.get(name, {}).items():
        if key not in args or (args[key] is None and optional):
            continue
        value = args[key]
        number = not isinstance(value, bool) and isinstance(value, (int, float)) \
            and math.isfinite(value)
        if high == math.inf:
            wanted, ok = f"a number above {low:,g}", number and value > low
        else:
            wanted = f"a number from {low:,g} to {high:,g} (weeks)"
            ok = number and low <= value <= high
        if not ok:
            raise _bad(f"{where}.{key}", f"expected {wanted}, got {short(value)}")


def _bad(where: str, message: str) -> ScenarioError:
    return ScenarioError(Problem(where, message))


def _within(where: str, function: str, problem: Problem) -> Problem:
    """A change's problem, named from the change: an argument's (``change_staffing:
    arrives: ...``) as ``<where>.arrives: ...``; the changed scenario's (``change:
    workstreams[1].duration: ...``) as ``<where>: workstreams[1].duration: ...``."""
    if problem.source == function:
        return Problem(f"{where}.{problem.where}" if problem.where else where, problem.message)
    inner = f"{problem.where}: {problem.message}" if problem.where else problem.message
    return Problem(where, inner.removeprefix(f"{function}: "))
