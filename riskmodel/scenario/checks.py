"""Checks across a whole scenario: ids, references, cycles, dates, correlations.

Each check returns ``Problem``s naming the key path; nothing here raises. The schema
calls ``check_scenario`` after the field-level validation has passed, and
``check_partial`` when it has not, so that one pass reports every problem it can.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Problem, ScenarioWarning
from ..sim.conditions import upstream
from ..sim.correlation import is_psd, nearest_correlation
from ..sim.network import LINK_TYPES, find_cycle, forward_pass, topological_order
from .fields import MAX_WEEKS, RESERVED_MILESTONE
from .models import ScenarioFields as Scenario
from .problems import nearest

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..sim.distributions import Distribution

__all__ = ["check_scenario", "check_partial", "correlation_matrix", "correlation_inputs",
           "MAX_CORRELATED"]

MAX_CORRELATED = 500
"""Most inputs that may take part in correlations (the consistency check of the
matrix takes time growing with the cube of this number)."""


def _duplicates(table: str, ids: Iterable[str]) -> list[Problem]:
    first: dict[str, int] = {}
    out = []
    for i, x in enumerate(ids):
        if x in first:
            out.append(Problem(f"{table}[{i}].id", f"duplicate id '{x}' (also used by "
                                                   f"{table}[{first[x]}])"))
        else:
            first[x] = i
    return out


def _unknown(where: str, kind: str, name: str, known: Iterable[str]) -> Problem:
    return Problem(where, f"unknown {kind} '{name}'{nearest(name, known)}")


def _references(s: Scenario) -> list[Problem]:
    ws_ids = [w.id for w in s.workstreams]
    roles = [r.id for r in s.roles]
    ws_set, role_set = set(ws_ids), set(roles)
    out: list[Problem] = []
    for i, ws in enumerate(s.workstreams):
        seen = set()
        for k, dep in enumerate(ws.depends_on):
            where = f"workstreams[{i}].depends_on[{k}]"
            if dep.id == ws.id:
                out.append(Problem(where, f"'{ws.id}' cannot depend on itself"))
            elif dep.id not in ws_set:
                out.append(_unknown(where, "workstream", dep.id, ws_ids))
            elif (dep.id, dep.type) in seen:  # SS and FF on one workstream is a pair
                out.append(Problem(where, f"'{dep.id}' is listed twice"
                                   + (f" as {dep.type}" if dep.type != "FS" else "")))
            seen.add((dep.id, dep.type))
        for role in ws.staffing:
            if role not in role_set:
                out.append(_unknown(f"workstreams[{i}].staffing.{role}", "role", role, roles))
        skills = getattr(ws, "skills", None) or []
        listed: set[str] = set()
        twice: set[str] = set()
        for k, role in enumerate(skills):
            if role not in role_set:
                out.append(_unknown(f"workstreams[{i}].skills[{k}]", "role", role, roles))
            elif role in listed and role not in twice:  # once, however many times
                out.append(Problem(f"workstreams[{i}].skills[{k}]", f"'{role}' is listed twice"))
                twice.add(role)
            listed.add(role)
        if skills and set(skills) <= role_set and not any(ws.staffing.get(r) for r in skills):
            named = ", ".join(list(dict.fromkeys(skills))[:5]) + (", ..." if len(set(skills)) > 5
                                                                  else "")
            out.append(Problem(f"workstreams[{i}].skills", f"'{ws.id}' has none of its skills "
                                                           f"({named}) in its staffing, so no one "
                                                           "staffed can do the work"))
    for i, ov in enumerate(s.overhead):
        for role in ov.staffing or {}:
            if role not in roles:
                out.append(_unknown(f"overhead[{i}].staffing.{role}", "role", role, roles))
    for i, risk in enumerate(s.risks):
        for k, ws_id in enumerate(risk.affects):
            if ws_id not in ws_set:
                out.append(_unknown(f"risks[{i}].affects[{k}]", "workstream", ws_id, ws_ids))
        if len(set(risk.affects)) < len(risk.affects):
            out.append(Problem(f"risks[{i}].affects", "a workstream is listed twice"))
    milestones = [RESERVED_MILESTONE, *ws_ids]
    for i, ov in enumerate(s.overhead):
        if ov.until not in milestones:
            out.append(_unknown(f"overhead[{i}].until", "milestone", ov.until, milestones))
    for i, t in enumerate(s.targets):
        if t.milestone not in milestones:
            out.append(_unknown(f"targets[{i}].milestone", "milestone", t.milestone, milestones))
    if RESERVED_MILESTONE in ws_ids:
        i = ws_ids.index(RESERVED_MILESTONE)
        out.append(Problem(f"workstreams[{i}].id", "'end' is reserved for the programme end"))
    return out


def _cycles(s: Scenario) -> list[Problem]:
    index = {w.id: j for j, w in enumerate(s.workstreams)}
    preds = [[index[d.id] for d in w.depends_on if d.id in index and d.id != w.id]
             for w in s.workstreams]
    cycle = find_cycle(preds)
    if not cycle:
        return []
    names = " -> ".join(s.workstreams[j].id for j in cycle)
    return [Problem("workstreams", f"dependency cycle: {names}")]


def plain_plan(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Each workstream's (finish, duration) in the plain plan: every estimate at its plan
    value, links and booked starts, no risk, no calendar, nobody waiting for people (the
    engine's own plan is ``spec.build_spec`` + ``evaluate``; this one needs no spec)."""
    index = {w.id: j for j, w in enumerate(s.workstreams)}
    preds = [[index[d.id] for d in w.depends_on] for w in s.workstreams]
    duration = np.array([w.duration.plan_value for w in s.workstreams])
    earliest = np.array([np.nan if w.not_before is None else
                         s.weeks_from_start(w.not_before) for w in s.workstreams])
    finish = forward_pass(duration[:, None], topological_order(preds), preds,
                          [[d.lag for d in w.depends_on] for w in s.workstreams], None,
                          earliest, types=[[LINK_TYPES.index(d.type) for d in w.depends_on]
                                           for w in s.workstreams])
    return finish[:, 0], duration


def _plan_span(s: Scenario) -> list[Problem]:
    """The plain plan (``plain_plan``: the earliest the work can end) finishes within
    ``MAX_WEEKS``; a longer one comes from a value far too large (durations, lags and
    booked starts that add up)."""
    end = float(np.max(plain_plan(s)[0]))
    if np.isfinite(end) and end <= MAX_WEEKS:
        return []
    return [Problem("workstreams", f"the plan finishes {end:,.0f} weeks after start_date; the "
                                   f"limit is {MAX_WEEKS:,} weeks: check durations, lags and "
                                   "not_before dates for values far too large")]


def _upstream(s: Scenario, milestone: str) -> set[str]:
    """Workstreams whose finish can move ``milestone``'s (itself included): the ids of
    ``conditions.upstream`` (an unknown milestone, reported elsewhere: itself only)."""
    ids = [w.id for w in s.workstreams]
    index = {x: j for j, x in enumerate(ids)}
    if milestone != RESERVED_MILESTONE and milestone not in index:
        return {milestone}
    preds = [[index[d.id] for d in w.depends_on if d.id in index] for w in s.workstreams]
    return {ids[j] for j in upstream(preds, index.get(milestone, -1))}


def _conditions(s: Scenario) -> list[Problem]:
    """Risks' ``when`` clauses name known risks and targets, and never go round: a risk
    must not delay a target it waits on, directly or through the risks it waits on."""
    risk_ids = [r.id for r in s.risks]
    targets = {t.id: t for t in s.all_targets}
    out: list[Problem] = []
    for i, r in enumerate(s.risks):
        for k, c in enumerate(r.when):
            where = f"risks[{i}].when[{k}]"
            if c.kind in ("risk", "not_risk"):
                if c.ref == r.id:
                    out.append(Problem(where, f"'{r.id}' cannot depend on itself"))
                elif c.ref not in risk_ids:
                    out.append(_unknown(where, "risk", c.ref, risk_ids))
            elif c.ref not in targets:
                out.append(_unknown(where, "target", c.ref, targets))
            elif set(r.affects) & _upstream(s, targets[c.ref].milestone):
                out.append(Problem(where, f"'{r.id}' depends on '{c.ref}', which it delays"))
        out += _clashing_clauses(i, r)
    if out:
        return out
    # risk r waits on risk a: a is named in r's clauses, or a can move a target r names
    index = {x: i for i, x in enumerate(risk_ids)}
    waits: list[list[int]] = []
    for r in s.risks:
        named = {index[c.ref] for c in r.when if c.kind in ("risk", "not_risk")}
        for c in r.when:
            if c.kind in ("late", "on_time"):
                up = _upstream(s, targets[c.ref].milestone)
                named |= {a for a, other in enumerate(s.risks) if set(other.affects) & up}
        waits.append(sorted(named))
    cycle = find_cycle(waits)
    if cycle:
        names = " -> ".join(risk_ids[a] for a in cycle)
        out.append(Problem("risks", f"risk conditions go round: {names} (each waits on the "
                                    "next, by name or through a target the next delays)"))
    return out


def _clashing_clauses(i: int, r) -> list[Problem]:
    """A clause that repeats an earlier one of the same risk, or contradicts it (then
    the risk could never occur): ``risk: x`` with ``not_risk: x``; ``late: t, by: W``
    with ``on_time: t, by: W2`` where W >= W2 (missed by more than W, and by at most W2)."""
    out: list[Problem] = []
    seen: dict[tuple[str, str, float], int] = {}
    repeated: set[tuple[str, str, float]] = set()
    fired: dict[str, tuple[str, int]] = {}
    late: dict[str, tuple[float, int]] = {}  # the largest late ``by`` so far, per target
    on_time: dict[str, tuple[float, int]] = {}  # the smallest on_time ``by``
    for k, c in enumerate(r.when):
        where, by = f"risks[{i}].when[{k}]", c.by or 0.0
        key = (c.kind, c.ref, by)
        clash: int | None = None
        if key in seen:
            if key not in repeated:  # once, however many times
                out.append(Problem(where, f"repeats when[{seen[key]}] ({c.describe()})"))
                repeated.add(key)
            continue
        seen[key] = k
        if c.kind in ("risk", "not_risk"):
            other = fired.setdefault(c.ref, (c.kind, k))
            clash = other[1] if other[0] != c.kind else None
        elif c.kind == "late":
            if c.ref in on_time and by >= on_time[c.ref][0]:
                clash = on_time[c.ref][1]
            if c.ref not in late or by > late[c.ref][0]:
                late[c.ref] = (by, k)
        else:
            if c.ref in late and late[c.ref][0] >= by:
                clash = late[c.ref][1]
            if c.ref not in on_time or by < on_time[c.ref][0]:
                on_time[c.ref] = (by, k)
        if clash is not None:
            out.append(Problem(where, f"contradicts when[{clash}] ({r.when[clash].describe()}), "
                                      f"so '{r.id}' could never occur"))
    return out


def _capacity(s: Scenario) -> list[Problem]:
    """Every workstream fits the capacity that lasts (the last period's) of each role it
    needs, so that levelling can always place it; and the people it needs exist before
    the last target date (not only from a date in the far future)."""
    roles = {r.id: (k, r) for k, r in enumerate(s.roles)}
    last = max((t.date for t in s.all_targets), default=None)
    out: list[Problem] = []
    for i, w in enumerate(s.workstreams):
        for role, fte in w.staffing.items():
            k, r = roles[role]
            steps = r.capacity_steps()
            if steps is None:
                continue
            where = f"workstreams[{i}].staffing.{role}"
            if fte > steps[-1][1] + 1e-9:
                when = f" from {steps[-1][0]} on" if steps[-1][0] else ""
                out.append(Problem(where, f"'{w.id}' needs {fte:g} FTE of {role}, but "
                                          f"roles[{k}].capacity has {steps[-1][1]:g}{when}"))
                continue
            first = next(d for d, f in steps if fte <= f + 1e-9)
            if first is not None and last is not None and first > last:
                out.append(Problem(where, f"'{w.id}' needs {fte:g} FTE of {role}, which "
                                          f"roles[{k}].capacity has only from {first} on, after "
                                          f"the last target date {last}"))
    return out


def _dates(s: Scenario) -> list[Problem]:
    out = []
    if s.audit_date is not None and s.audit_date <= s.start_date:
        out.append(Problem("audit_date", f"{s.audit_date} is not after start_date {s.start_date}"))
    if s.audit_date is not None and any(t.id == "audit" for t in s.targets):
        out.append(Problem("audit_date", "give audit_date or a target with id 'audit', not both"))
    for i, t in enumerate(s.targets):
        if t.date <= s.start_date:
            out.append(Problem(f"targets[{i}].date", f"{t.date} is not after start_date "
                                                     f"{s.start_date}"))
    last = max((t.date for t in s.all_targets), default=None)
    for i, w in enumerate(s.workstreams):
        if w.not_before is not None and w.not_before < s.start_date:
            out.append(Problem(f"workstreams[{i}].not_before", f"{w.not_before} is before "
                                                               f"start_date {s.start_date}"))
        elif w.not_before is not None and last is not None and w.not_before > last:
            out.append(Problem(f"workstreams[{i}].not_before", f"{w.not_before} is after the "
                                                               f"last target date {last}"))
    if not s.all_targets:
        out.append(Problem("audit_date", "missing: give audit_date or at least one target"))
    ids = [t.id for t in s.all_targets]
    if s.headline_target is not None and s.headline_target not in ids:
        out.append(_unknown("headline_target", "target", s.headline_target, ids))
    return out


def correlation_inputs(s: Scenario) -> dict[str, list[tuple[str, str, Distribution | None]]]:
    """What a correlation may name, by id: (what the id is, the input's random key, its
    distribution) for each table that has the id. A workstream is its duration, a risk
    its delay or factor (its cost if it has neither), a role its weekly rate, a
    programme fixed cost its cost and an overhead its weekly cost (None: priced by its
    staffing, whose roles are correlated instead).

    Parameters
    ----------
    s : Scenario
        A field-valid scenario.

    Returns
    -------
    dict of str to list of (str, str, Distribution or None)
        By id: one entry for each table that has the id (more than one entry is a clash
        of ids).
    """
    out: dict[str, list[tuple[str, str, Distribution | None]]] = {}
    for w in s.workstreams:
        out.setdefault(w.id, []).append(("workstream", f"duration:{w.id}", w.duration))
    for r in s.risks:
        impact = r.delay if r.delay is not None else r.factor
        out.setdefault(r.id, []).append(
            ("risk", f"risk:{r.id}:cost", r.cost) if impact is None else
            ("risk", f"risk:{r.id}:impact", impact))
    for role in s.roles:
        out.setdefault(role.id, []).append(("role", f"rate:{role.id}", role.weekly_rate))
    for f in s.fixed_costs:
        out.setdefault(f.id, []).append(("fixed cost", f"programme_cost:{f.id}", f.cost))
    for o in s.overhead:
        out.setdefault(o.id, []).append(("overhead", f"overhead:{o.id}", o.weekly_cost))
    return out


_CORRELATED_VALUE = {"workstream": "duration", "risk": "impact", "role": "weekly rate",
                     "fixed cost": "cost", "overhead": "weekly cost"}


def correlation_matrix(s: Scenario) -> tuple[list[str], np.ndarray]:
    """Ids that take part in correlations (in the order first named) and their Spearman
    target matrix (``correlation_inputs`` says what each id stands for).

    Parameters
    ----------
    s : Scenario
        A field-valid scenario.

    Returns
    -------
    ids : list of str
    matrix : ndarray
        len(ids) x len(ids), symmetric, ones on the diagonal.
    """
    index: dict[str, int] = {}
    for c in s.correlations:
        for ws in c.between:
            index.setdefault(ws, len(index))
    ids = list(index)
    m = np.eye(len(ids))
    for c in s.correlations:
        a, b = (index[x] for x in c.between)
        m[a, b] = m[b, a] = c.rho
    return ids, m


def _correlated_input(where: str, x: str, inputs: dict) -> Problem | None:
    """Why id ``x`` cannot be correlated (None: it can)."""
    found = inputs.get(x)
    if not found:
        return _unknown(where, "workstream, risk, role, fixed cost or overhead", x, inputs)
    kinds = list(dict.fromkeys(kind for kind, _, _ in found))
    if len(kinds) > 1:
        return Problem(where, f"'{x}' is both a {' and a '.join(kinds)}: give them different "
                              "ids to correlate either")
    if len(found) > 1:  # an id twice in one table: that table's duplicate is the problem
        return None
    kind, key, dist = found[0]
    if dist is None:
        return Problem(where, f"overhead '{x}' is priced by its staffing: correlate its "
                              "roles' weekly rates instead")
    if dist.is_fixed:
        value = "cost" if key.endswith(":cost") else _CORRELATED_VALUE[kind]
        return Problem(where, f"'{x}' has a fixed {value}: nothing to correlate")
    return None


def _correlations(s: Scenario) -> list[Problem]:
    inputs = correlation_inputs(s) if s.correlations else {}
    out: list[Problem] = []
    pairs: dict[frozenset[str], int] = {}
    for i, c in enumerate(s.correlations):
        a, b = c.between
        where = f"correlations[{i}].between"
        bad = [p for p in (_correlated_input(where, x, inputs) for x in dict.fromkeys((a, b)))
               if p is not None]
        out += bad
        if bad:
            continue
        if a == b:
            out.append(Problem(where, f"an input cannot be correlated with itself ('{a}')"))
            continue
        key = frozenset((a, b))
        if key in pairs:
            out.append(Problem(where, f"{a} ~ {b} is already given in correlations[{pairs[key]}]"))
        pairs[key] = i
    if out:
        return out
    ids, m = correlation_matrix(s)
    if len(ids) > MAX_CORRELATED:  # the matrix check grows with the cube of its size
        return [Problem("correlations", f"{len(ids):,} inputs take part in correlations; "
                                        f"the limit is {MAX_CORRELATED}")]
    if ids and not is_psd(m):
        repaired = nearest_correlation(m)
        changed = [
            f"{ids[a]} ~ {ids[b]} {m[a, b]:+.2f} -> {repaired[a, b]:+.2f}"
            for a in range(len(ids)) for b in range(a + 1, len(ids))
            if abs(repaired[a, b] - m[a, b]) >= 0.005
        ]
        text = ("the correlations are inconsistent (the matrix is not positive "
                "semi-definite): " + "; ".join(changed))
        if s.simulation.strict:
            out.append(Problem("correlations", text + " (strict: fix them or drop strict)"))
        else:
            warnings.warn(f"{text}; using the nearest consistent values", ScenarioWarning,
                          stacklevel=4)
    return out


def check_scenario(s: Scenario) -> list[Problem]:
    """Every cross-key problem in a field-valid scenario.

    Parameters
    ----------
    s : Scenario
        A scenario whose fields passed validation.

    Returns
    -------
    list of Problem
        Empty when there is none.

    Warns
    -----
    ScenarioWarning
        The correlations are inconsistent and ``simulation.strict`` is off (the nearest
        consistent values are used; with ``strict`` it is a problem instead).
    """
    out: list[Problem] = []
    for table in ("roles", "workstreams", "risks", "fixed_costs", "overhead", "targets"):
        out += _duplicates(table, (x.id for x in getattr(s, table)))
    out += _references(s)
    if not out:
        out += _cycles(s)
    out += _dates(s)
    if not out:
        out += _plan_span(s)
        out += _conditions(s)
        out += _capacity(s)
    out += _correlations(s)
    return out


_TABLE_MODELS = ("roles", "workstreams", "risks", "fixed_costs", "overhead", "targets")
_INVALID = "\x00invalid"


def _partial_table(name: str, items) -> list:
    """A table's items validated one by one; an item that fails keeps its place as a stub
    with its id (so references to it resolve) and no references of its own."""
    from . import models as schema

    models: dict[str, type[BaseModel]] = {
        "roles": schema.Role, "workstreams": schema.Workstream, "risks": schema.Risk,
        "fixed_costs": schema.FixedCost, "overhead": schema.Overhead, "targets": schema.Target}
    model = models[name]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(model.model_validate(item))
        except Exception:  # noqa: BLE001 - its own problems are reported by the schema
            ident = item.get("id") if isinstance(item, dict) else None
            ident = ident if isinstance(ident, str) else f"{_INVALID}{i}"
            out.append(model.model_construct(id=ident))
    return out


def check_partial(data: dict) -> list[Problem]:
    """Cross-key problems (duplicate ids, unknown references, cycles) of scenario data
    that did not pass field validation, from the items that did; nothing about the
    items that failed (the schema reports those).

    Parameters
    ----------
    data : dict
        The scenario as read from its file.

    Returns
    -------
    list of Problem
    """
    from types import SimpleNamespace

    tables = {name: _partial_table(name, data.get(name))
              if isinstance(data.get(name), list) else [] for name in _TABLE_MODELS}
    s = SimpleNamespace(**tables)
    out: list[Problem] = []
    for table in _TABLE_MODELS:
        out += _duplicates(table, (x.id for x in tables[table]))
    out += _references(s)  # type: ignore[arg-type]
    if not out:
        out += _cycles(s)  # type: ignore[arg-type]
    return [p for p in out if _INVALID not in p.message]
