"""What-if changes: small named functions that return a new, validated scenario.

Every change goes through ``Scenario.with_changes``, so it is validated like a scenario
file and a bad change raises ``ScenarioError`` naming what is wrong. Ids are kept, so a
changed scenario shares every untouched input's random draws with the original
(common random numbers): a comparison shows only the change's own effect.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ScenarioError
from .schema import Scenario

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
    "DEFAULT_ELASTICITY",
    "DEFAULT_FLOOR",
    "DEFAULT_ONBOARDING",
]

DEFAULT_ELASTICITY = 0.5
"""Duration scales by (old FTE / new FTE) ** elasticity. 0.5: doubling the team cuts the
duration by ~29%, not 50% (Brooks's law: onboarding and coordination eat part of the
gain). An assumption: calibrate it for your teams."""
DEFAULT_FLOOR = 0.5
"""However many people are added, a duration never drops below this share of the
baseline (some work is sequential)."""
DEFAULT_ONBOARDING = 1.0
"""Weeks an added person spends learning the org, its systems and the controls before
adding pace (an assumption: about a week for an experienced hire on a known platform;
calibrate it). The time is paid."""


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


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


def change_staffing(scenario: Scenario, workstream: str, staffing: dict[str, float], *,
                    elasticity: float = DEFAULT_ELASTICITY,
                    floor: float = DEFAULT_FLOOR,
                    onboarding: float = DEFAULT_ONBOARDING,
                    arrives: float | None = None, hire: bool = True) -> Scenario:
    """Change a workstream's staffing; its duration and cost follow.

    Only the roles that can do the work (the workstream's ``skills``; by default every
    role in its staffing) set its pace. A role that cannot do it is refused; changing
    the FTE of a supporting role (staffed, not in ``skills``) changes the cost only.

    Parameters
    ----------
    scenario : Scenario
    workstream : str
        Workstream id.
    staffing : dict of str to float
        New FTE of the named roles (0 removes a role); other roles keep theirs.
    elasticity : float
        The duration is scaled by (old FTE / new FTE of the roles in ``skills``) **
        ``elasticity`` (see ``DEFAULT_ELASTICITY``).
    floor : float
        ... but never below ``floor`` x the baseline duration.
    onboarding : float
        Weeks an added person works before adding pace (``DEFAULT_ONBOARDING``).
    arrives : float, optional
        Weeks from the start date to the added people's first day; default the largest
        ``lead_time`` of the roles added (hired or contracted when the plan starts).
    hire : bool
        True: the people added are new (hired, contracted or moved in), so a role with a
        ``capacity`` gets that many FTE more. False: they must come from the role's
        capacity as it is (a workstream waits for them where others use it).

    Returns
    -------
    Scenario
        Duration D becomes D where D <= L and L + factor x (D - L) beyond, where L is the
        time from the workstream's planned start (the plan without blackouts) until they
        arrive, plus ``onboarding``: the first L weeks go at the old pace. Labour
        cost follows the new staffing over the whole new duration: onboarding is paid,
        and time before a bought-in person arrives is counted too (an upper bound).

    Notes
    -----
    Limits: adding people never makes a workstream later here (Brooks's law is in the
    elasticity and the floor only); a risk's delay is weeks of work whatever the
    staffing, and a duration factor multiplies the new duration.

    Examples
    --------
    >>> from riskmodel import load_scenario
    >>> base = load_scenario("data/scenarios/soc2_readiness.yaml")
    >>> more = change_staffing(base, "sf_permissions", {"sf_developer_contract": 2.0},
    ...                        onboarding=0)
    >>> round(more.workstream("sf_permissions").duration.plan_value, 2)
    2.86
    """
    import math

    ws = _find(scenario.workstreams, workstream, "workstream")
    if not isinstance(staffing, dict):
        raise ScenarioError(f"change_staffing: staffing must map roles to FTE, "
                            f"got {type(staffing).__name__}")
    for role, fte in staffing.items():
        if isinstance(fte, bool) or not isinstance(fte, (int, float)) \
                or not math.isfinite(fte) or fte < 0:
            raise ScenarioError(f"change_staffing: staffing.{role}: expected a number of FTE "
                                f"of 0 or more, got {fte!r}"[:200])
    for key, value in (("elasticity", elasticity), ("floor", floor),
                       ("onboarding", onboarding), ("arrives", arrives)):
        if value is None and key == "arrives":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise ScenarioError(f"change_staffing: {key}: expected a number of 0 or more, "
                                f"got {value!r}"[:200])
    if not isinstance(hire, bool):
        raise ScenarioError(f"change_staffing: hire: expected true or false, got {hire!r}"[:200])
    skills = ws.skills or list(ws.staffing)
    for role in staffing:
        if role not in ws.staffing and role not in skills:
            raise ScenarioError(f"change_staffing: '{role}' cannot do the work of "
                                f"'{workstream}'; roles that can: {', '.join(skills)} "
                                "(its skills)"[:300])
    new = {**ws.staffing, **staffing}
    new = {r: f for r, f in new.items() if f > 0}
    old_fte = sum(f for r, f in ws.staffing.items() if r in skills)
    new_fte = sum(f for r, f in new.items() if r in skills)
    if old_fte <= 0 or new_fte <= 0:
        raise ScenarioError(f"change_staffing: '{workstream}' needs someone who can do the "
                            f"work before and after ({', '.join(skills) or 'no role'}: FTE "
                            f"{old_fte:g} -> {new_fte:g})"[:300])
    factor = max((old_fte / new_fte) ** elasticity, floor)
    duration = ws.duration.scaled(factor) if factor != 1 else ws.duration
    added = [r for r in skills if new.get(r, 0) > ws.staffing.get(r, 0)]
    if factor < 1 and added:
        roles = {r.id: r for r in scenario.roles}
        first_day = max(roles[r].lead_time for r in added) if arrives is None else arrives
        wait = max(0.0, first_day - _planned_start(scenario, workstream))
        duration = _onboarded(ws.duration, wait + onboarding, factor)
    changes: dict[str, Any] = {"workstreams": [
        {"id": workstream, "staffing": new, "duration": _plain(duration)}]}
    more = {r: new.get(r, 0) - ws.staffing.get(r, 0) for r in new}
    grown = [_more_capacity(r, more[r.id]) for r in scenario.roles
             if hire and more.get(r.id, 0) > 0 and r.capacity is not None]
    if grown:
        changes["roles"] = grown
    return scenario.with_changes(changes)


def _more_capacity(role, fte: float) -> dict[str, Any]:
    """A role's capacity with ``fte`` more at every time."""
    cap = role.capacity
    if isinstance(cap, list):
        return {"id": role.id, "capacity": [{"from": p.start.isoformat(), "fte": p.fte + fte}
                                            for p in cap]}
    return {"id": role.id, "capacity": cap + fte}


def _planned_start(scenario: Scenario, workstream: str) -> float:
    """The workstream's start in the deterministic plan (links, booked starts; no
    calendar blackouts, no waiting for people)."""
    import numpy as np

    from ..sim.network import LINK_TYPES, forward_pass, topological_order

    index = {w.id: j for j, w in enumerate(scenario.workstreams)}
    preds = [[index[d.id] for d in w.depends_on] for w in scenario.workstreams]
    duration = np.array([[w.duration.plan_value] for w in scenario.workstreams])
    earliest = np.array([np.nan if w.not_before is None else
                         scenario.weeks_from_start(w.not_before) for w in scenario.workstreams])
    finish = forward_pass(duration, topological_order(preds), preds,
                          [[d.lag for d in w.depends_on] for w in scenario.workstreams],
                          None, earliest, None,
                          types=[[LINK_TYPES.index(d.type) for d in w.depends_on]
                                 for w in scenario.workstreams])
    j = index[workstream]
    return float(finish[j, 0] - duration[j, 0])


_LOCATION = {"fixed": ("value",), "uniform": ("min", "max"),
             "triangular": ("min", "mode", "max"), "pert": ("min", "mode", "max"),
             "trigen": ("low", "mode", "high"), "normal": ("mean",), "empirical": ("values",)}
_GRID = 400
"""Quantiles kept when an onboarding lag falls inside a duration's range."""


def _onboarded(dist, lag: float, factor: float):
    """D for D <= lag, lag + factor (D - lag) beyond: a shift and a scale of the family
    when the lag is below its range, the same values at ``_GRID`` quantiles otherwise."""
    from ..sim.distributions import from_spec

    lo, hi = dist.support
    if lag >= hi:
        return dist  # the added people arrive after the work is done
    spec = dist.scaled(factor).to_spec()
    if lag <= lo and spec["dist"] in _LOCATION:
        shift = lag * (1 - factor)
        for key in _LOCATION[spec["dist"]]:
            v = spec[key]
            spec[key] = [x + shift for x in v] if isinstance(v, list) else v + shift
        return from_spec(spec)
    import numpy as np

    d = dist.sample((np.arange(_GRID) + 0.5) / _GRID)
    values = np.where(d <= lag, d, lag + factor * (d - lag))
    return from_spec({"dist": "empirical", "values": [float(x) for x in values]})


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
    """
    r = _find(scenario.risks, risk, "risk")
    change: dict[str, Any] = {"id": risk}
    if probability is not None:
        change["probability"] = probability
    if impact_factor is not None:
        for key in ("delay", "cost"):
            dist = getattr(r, key)
            if dist is not None:
                change[key] = _plain(dist.scaled(impact_factor))
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
    return _plain(from_spec({"dist": spec["dist"], **moved}))


def scale_estimates(scenario: Scenario, factor: float,
                    workstreams: Sequence[str] | None = None) -> Scenario:
    """Multiply the duration estimates of some (default: all) workstreams by ``factor``."""
    chosen = [w for w in scenario.workstreams if workstreams is None or w.id in workstreams]
    if workstreams is not None:
        for ws in workstreams:
            _find(scenario.workstreams, ws, "workstream")
    return scenario.with_changes({"workstreams": [
        {"id": w.id, "duration": _plain(w.duration.scaled(factor))} for w in chosen]})


def add_workstream(scenario: Scenario, workstream: dict[str, Any],
                   before: Sequence[str] = ()) -> Scenario:
    """Add a workstream (a mapping as in a scenario file); ``before`` lists workstreams
    that must now wait for it."""
    changes = {"workstreams": [workstream] + [
        {"id": b, "depends_on": _deps(scenario, b) + [{"id": workstream["id"]}]}
        for b in before]}
    return scenario.with_changes(changes)


def remove_workstream(scenario: Scenario, workstream: str) -> Scenario:
    """Remove a workstream; what depended on it now depends on its predecessors.

    Risks lose it from ``affects``; a risk left affecting nothing keeps only its cost
    (or is dropped if it had no cost).
    """
    gone = _find(scenario.workstreams, workstream, "workstream")
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
    """Make ``workstream`` wait for ``on`` (``type`` FS, finish-to-start, by default; SS,
    FF or SF), with a lag in weeks (negative: a lead); it replaces any link to ``on``."""
    deps = [d for d in _deps(scenario, workstream) if d["id"] != on]
    link = {"id": on, "lag": lag, **({} if type == "FS" else {"type": type})}
    return scenario.with_changes({"workstreams": [
        {"id": workstream, "depends_on": deps + [link]}]})


def remove_dependency(scenario: Scenario, workstream: str, on: str) -> Scenario:
    """Stop ``workstream`` waiting for ``on``."""
    deps = _deps(scenario, workstream)
    if not any(d["id"] == on for d in deps):
        raise ScenarioError(f"remove_dependency: '{workstream}' does not depend on '{on}'")
    return scenario.with_changes({"workstreams": [
        {"id": workstream, "depends_on": [d for d in deps if d["id"] != on]}]})


def _deps(scenario: Scenario, workstream: str) -> list[dict[str, Any]]:
    return [d.model_dump() for d in _find(scenario.workstreams, workstream,
                                          "workstream").depends_on]


def _find(items, key: str, kind: str):
    from .problems import nearest

    for item in items:
        if item.id == key:
            return item
    raise ScenarioError(f"unknown {kind} '{key}'{nearest(key, [i.id for i in items])}")


def _plain(dist) -> Any:
    return dist.support[0] if dist.name == "fixed" else dist.to_spec()


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
    """
    from .problems import nearest

    for k, item in enumerate(changes):
        if not isinstance(item, dict) or len(item) != 1:
            raise ScenarioError(f"changes[{k}]: expected one change like "
                                "{staffing: {workstream: ..., staffing: {...}}}")
        (name, args), = item.items()
        func = _CHANGES.get(name)
        if func is None:
            raise ScenarioError(f"changes[{k}]: unknown change '{name}'{nearest(name, _CHANGES)}"
                                f"; known: {', '.join(_CHANGES)}")
        if not isinstance(args, dict):
            raise ScenarioError(f"changes[{k}].{name}: expected a mapping of arguments")
        try:
            scenario = func(scenario, **args)
        except TypeError as exc:
            raise ScenarioError(f"changes[{k}].{name}: {exc}") from None
    return scenario
