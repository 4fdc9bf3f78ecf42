"""Staffing changes that respect who can do the work, when people arrive, and capacity.

``change_staffing`` is the what-if of adding or removing people on a workstream. Only
the roles that can do the work (its ``skills``) set its pace; people added add pace only
once they have arrived (their role's ``lead_time``) and learned the ropes (onboarding);
a role with a ``capacity`` grows by the people hired.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Problem, ScenarioError
from ..sim.distributions import from_spec
from .checks import plain_plan
from .fields import MAX_FTE, MAX_WEEKS, is_id, plain, short
from .problems import find
from .schema import Scenario

__all__ = ["change_staffing", "check_arguments", "DEFAULT_ELASTICITY", "DEFAULT_FLOOR",
           "DEFAULT_ONBOARDING"]

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
calibrate it). The time is paid. A productivity ramp (pace rising evenly from none to
full over R weeks) loses about as much work as R / 2 weeks of none: give ``onboarding``
the weeks of no pace plus half the ramp."""


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

    Raises
    ------
    ScenarioError
        An argument that is wrong (``check_arguments``), an unknown workstream, a role
        that cannot do the work, no one left who can do it, or a changed scenario that
        is not valid.

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
    check_arguments(workstream, staffing, elasticity=elasticity, floor=floor,
                    onboarding=onboarding, arrives=arrives, hire=hire)
    try:
        ws = find(scenario.workstreams, workstream, "workstream")
    except ScenarioError as exc:
        raise _refuse("workstream", str(exc)) from None
    skills = ws.skills or list(ws.staffing)
    for role in staffing:
        if role not in ws.staffing and role not in skills:
            raise _refuse(f"staffing.{role}", f"'{role}' cannot do the work of '{workstream}'; "
                                              f"roles that can: {', '.join(skills)} (its skills)")
    new = {**ws.staffing, **staffing}
    new = {r: f for r, f in new.items() if f > 0}
    old_fte = sum(f for r, f in ws.staffing.items() if r in skills)
    new_fte = sum(f for r, f in new.items() if r in skills)
    if old_fte <= 0 or new_fte <= 0:
        raise _refuse("staffing", f"'{workstream}' needs someone who can do the work before "
                                  f"and after ({', '.join(skills) or 'no role'}: FTE "
                                  f"{old_fte:g} -> {new_fte:g})")
    factor = max((old_fte / new_fte) ** elasticity, floor)
    duration = ws.duration.scaled(factor) if factor != 1 else ws.duration
    added = [r for r in skills if new.get(r, 0) > ws.staffing.get(r, 0)]
    if factor < 1 and added:
        roles = {r.id: r for r in scenario.roles}
        first_day = max(roles[r].lead_time for r in added) if arrives is None else arrives
        wait = max(0.0, first_day - _planned_start(scenario, workstream))
        duration = _onboarded(ws.duration, wait + onboarding, factor)
    changes: dict[str, Any] = {"workstreams": [
        {"id": workstream, "staffing": new, "duration": plain(duration)}]}
    more = {r: new.get(r, 0) - ws.staffing.get(r, 0) for r in new}
    grown = [_more_capacity(r, more[r.id]) for r in scenario.roles
             if hire and more.get(r.id, 0) > 0 and r.capacity is not None]
    if grown:
        changes["roles"] = grown
    return scenario.with_changes(changes)


def _refuse(key: str, message: str) -> ScenarioError:
    """The error for a bad argument: ``change_staffing: <key>: <message>`` (``apply_changes``
    names the change: ``changes[0].staffing.<key>: <message>``)."""
    return ScenarioError(Problem(key, message, "change_staffing"))


def check_arguments(workstream: Any, staffing: Any, *,
                    elasticity: Any = DEFAULT_ELASTICITY, floor: Any = DEFAULT_FLOOR,
                    onboarding: Any = DEFAULT_ONBOARDING, arrives: Any = None,
                    hire: Any = True) -> None:
    """Check ``change_staffing``'s arguments as far as no scenario is needed (a batch file
    can do it before anything runs): a ``ScenarioError`` of one sentence naming the first
    argument that is wrong (``change_staffing: arrives: expected a number from 0 to
    10,000 (weeks), got -3``).

    Parameters
    ----------
    workstream, staffing, elasticity, floor, onboarding, arrives, hire
        As for ``change_staffing`` (any values: they are what is checked).

    Raises
    ------
    ScenarioError
        The first argument that is wrong.
    """
    import math

    args = {"elasticity": elasticity, "floor": floor, "onboarding": onboarding,
            "arrives": arrives, "hire": hire}
    if not is_id(workstream):
        raise _refuse("workstream", f"expected a workstream id, got {short(workstream)}")
    if not isinstance(staffing, dict) or not staffing:
        raise _refuse("staffing", "expected a mapping of roles to FTE like "
                                  f"{{sf_developer_contract: 2}}, got {short(staffing)}")
    for role, fte in staffing.items():
        if not is_id(role):
            raise _refuse("staffing", f"expected role ids as keys, got {short(role)}")
        if isinstance(fte, bool) or not isinstance(fte, (int, float)) \
                or not math.isfinite(fte) or not 0 <= fte <= MAX_FTE:
            raise _refuse(f"staffing.{role}", f"expected a number of FTE from 0 to "
                                              f"{MAX_FTE:,}, got {short(fte)}")
    limits = {"elasticity": 1.0, "floor": 1.0, "onboarding": MAX_WEEKS, "arrives": MAX_WEEKS}
    for key, top in limits.items():
        value = args[key]
        if value is None and key == "arrives":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or not 0 <= value <= top:
            raise _refuse(key, f"expected a number from 0 to {top:,g}"
                               + (" (weeks)" if top == MAX_WEEKS else "")
                               + f", got {short(value)}")
    if not isinstance(hire, bool):
        raise _refuse("hire", f"expected true or false, got {short(hire)}")


def _more_capacity(role, fte: float) -> dict[str, Any]:
    """A role's capacity with ``fte`` more at every time."""
    cap = role.capacity
    if isinstance(cap, list):
        return {"id": role.id, "capacity": [{"from": p.start.isoformat(), "fte": p.fte + fte}
                                            for p in cap]}
    return {"id": role.id, "capacity": cap + fte}


def _planned_start(scenario: Scenario, workstream: str) -> float:
    """The workstream's start in the plain plan (``checks.plain_plan``: links, booked
    starts; no calendar blackouts, no waiting for people)."""
    finish, duration = plain_plan(scenario)
    j = [w.id for w in scenario.workstreams].index(workstream)
    return float(finish[j] - duration[j])


_LOCATION = {"fixed": ("value",), "uniform": ("min", "max"),
             "triangular": ("min", "mode", "max"), "pert": ("min", "mode", "max"),
             "trigen": ("low", "mode", "high"), "normal": ("mean",), "empirical": ("values",)}
_GRID = 400
"""Quantiles kept when an onboarding lag falls inside a duration's range."""


def _onboarded(dist, lag: float, factor: float):
    """D for D <= lag, lag + factor (D - lag) beyond: a shift and a scale of the family
    when the lag is below its range, the same values at ``_GRID`` quantiles otherwise."""
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
    d = dist.sample((np.arange(_GRID) + 0.5) / _GRID)
    values = np.where(d <= lag, d, lag + factor * (d - lag))
    return from_spec({"dist": "empirical", "values": [float(x) for x in values]})
