"""Re-forecast from a status date, the trail of forecasts, and why a forecast changed.

A re-forecast is a simulation conditioned on what has happened (the rules are in
``riskmodel.conditioning``). Every input keeps its random stream, so a re-forecast and
the plan share their draws and the change between them is what the status says, not
noise.

``explain_change`` splits the change between two status dates into three components:
*actuals* (actual dates, progress and its pace, actual costs), *risk states*
(occurred, retired) and *re-estimates* (``remaining``). It runs all 2^3 = 8
combinations of the earlier and later values of the three on the same draws and gives
each component its Shapley value: its marginal effect averaged over the 3! orders in
which the components could be added. The parts add up to the total change exactly and
do not depend on any order (a fixed sequence of steps moved a component's share by up
to 24 points of P(meet) on the shipped statuses).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .conditioning import apply_status, overruns
from .results import SimulationResult
from .scenario.schema import Scenario
from .scenario.status import Status, WorkstreamStatus, load_status
from .simulate import build_spec, simulate

__all__ = ["apply_status", "reforecast", "forecast_trail", "explain_change", "shapley",
           "COMPONENTS", "METHOD"]

COMPONENTS = ("actuals", "risk states", "re-estimates")
METHOD = ("Shapley values over the 8 combinations of actuals, risk states and "
          "re-estimates, same random draws")


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


_TRAIL = ("p_meet", "p50_date", "p80_date", "cost_mean", "cost_p50", "cost_p80",
          "target_date")


def _measures(r: SimulationResult) -> dict:
    """The figures a trail follows: the headline row's (``r.headline_row()``)."""
    row = r.headline_row()
    return {k: row[k] for k in _TRAIL}


def forecast_trail(scenario: Scenario, statuses: Sequence[Status | str | Path],
                   **kwargs) -> pd.DataFrame:
    """P(meet), P50/P80 dates and mean/P50/P80 costs at the plan and each status date.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    statuses : sequence of Status or path
        Status files, in any order (they are sorted by ``as_of``).
    **kwargs
        As for ``simulate``.

    Returns
    -------
    pandas.DataFrame
        One row per forecast (``plan``, then each ``as_of``), indexed by ``status``.
    """
    kwargs.setdefault("rank_risks", False)
    rows = [{"status": "plan", "as_of": scenario.start_date}
            | _measures(simulate(scenario, **kwargs))]
    for s in sorted((_status(s) for s in statuses), key=lambda s: s.as_of):
        rows.append({"status": s.as_of.isoformat(), "as_of": s.as_of}
                    | _measures(reforecast(scenario, s, **kwargs)))
    return pd.DataFrame(rows).set_index("status")


def shapley(values: Mapping[frozenset, float], players: Sequence[str]) -> dict[str, float]:
    """Each player's Shapley value of the game ``values`` (every subset -> its worth).

    Parameters
    ----------
    values : mapping of frozenset to float
        The worth of every subset of ``players`` (2^n entries).
    players : sequence of str
        The players; their order does not matter.

    Returns
    -------
    dict
        Player -> its marginal contribution averaged over all n! orders of joining,
        sum over S not containing i of |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)).
        The values add up to v(all) - v(none).

    Examples
    --------
    >>> v = {frozenset(): 0, frozenset("a"): 1, frozenset("b"): 2, frozenset("ab"): 6}
    >>> shapley(v, ["a", "b"])
    {'a': 2.5, 'b': 3.5}
    """
    n = len(players)
    out = {}
    for p in players:
        others = [q for q in players if q != p]
        terms = []
        for k in range(n):
            weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for subset in itertools.combinations(others, k):
                s = frozenset(subset)
                terms.append(weight * (values[s | {p}] - values[s]))
        out[p] = math.fsum(terms)
    return out


def _combine(scenario: Scenario, spec, actuals: Status | None, risks: Status | None,
             estimates: Status | None) -> Status:
    """A status taking each component from one of two statuses (None: the plan).

    Status files are cumulative: each one says everything known at its date. A
    ``remaining`` that no longer fits the actuals (a finished workstream, or one with
    percent_complete) is dropped; a started workstream whose time spent is past its
    estimate's maximum keeps the ``remaining`` its own status gave, which the actuals
    force.
    """
    a_ws = actuals.workstreams if actuals else {}
    e_ws = estimates.workstreams if estimates else {}
    ws = {}
    for key in dict.fromkeys([*a_ws, *e_ws]):
        a, e = a_ws.get(key), e_ws.get(key)
        remaining = e.remaining if e is not None else None
        if a is not None and (a.finished or a.percent_complete is not None):
            remaining = None
        fields = a.model_dump(exclude={"remaining"}) if a is not None else {}
        ws[key] = WorkstreamStatus(**fields, remaining=remaining)
    status = Status(as_of=actuals.as_of if actuals else scenario.start_date,
                    pace=actuals.pace if actuals else "planned",
                    spent_to_date=actuals.spent_to_date if actuals else None,
                    workstreams=ws, risks=dict(risks.risks) if risks else {})
    for key in overruns(spec, scenario, status):
        ws[key].remaining = a_ws[key].remaining
    source = [s.source for s in (actuals, risks, estimates) if s is not None and s.source]
    status._source = source[0] if source else None
    return status


def explain_change(scenario: Scenario, before: Status | str | Path | None,
                   after: Status | str | Path, **kwargs) -> pd.DataFrame:
    """Split the change between two status dates into actuals, risk states and
    re-estimates, by Shapley values.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    before : Status, path or None
        The earlier status (None: the plan).
    after : Status or path
        The later status.
    **kwargs
        As for ``simulate``; every combination runs on the same draws.

    Returns
    -------
    pandas.DataFrame
        Rows ``actuals``, ``risk states``, ``re-estimates`` and ``total`` (after minus
        before, the sum of the three); columns ``p_meet_change``,
        ``p80_date_change_days`` (the P80 date as shown, rounded up to a day),
        ``cost_mean_change`` and ``cost_p80_change``. ``attrs`` holds ``method`` (how
        the parts were computed), ``before`` and ``after`` (the two forecasts'
        figures) and ``combinations`` (the figures of all 8 runs).
    """
    kwargs.setdefault("rank_risks", False)
    b = _status(before) if before is not None else None
    a = _status(after)
    spec = build_spec(scenario)
    runs = {}
    for k in range(len(COMPONENTS) + 1):
        for subset in itertools.combinations(COMPONENTS, k):
            taken = [a if c in subset else b for c in COMPONENTS]
            status = b if k == 0 else a if k == len(COMPONENTS) else \
                _combine(scenario, spec, *taken)
            runs[frozenset(subset)] = _measures(simulate(scenario, status=status, **kwargs))
    first = runs[frozenset()]["p80_date"]
    games = {
        "p_meet_change": {s: m["p_meet"] for s, m in runs.items()},
        "p80_date_change_days": {s: float((m["p80_date"] - first).days)
                                 for s, m in runs.items()},
        "cost_mean_change": {s: m["cost_mean"] for s, m in runs.items()},
        "cost_p80_change": {s: m["cost_p80"] for s, m in runs.items()},
    }
    whole, none = frozenset(COMPONENTS), frozenset[str]()
    table = pd.DataFrame({col: shapley(v, COMPONENTS) | {"total": v[whole] - v[none]}
                          for col, v in games.items()})
    table.index.name = "component"
    table.attrs["method"] = METHOD
    table.attrs["before"] = runs[none]
    table.attrs["after"] = runs[whole]
    table.attrs["combinations"] = {" + ".join(c for c in COMPONENTS if c in s) or "before": m
                                   for s, m in runs.items()}
    return table
