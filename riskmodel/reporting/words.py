"""Sentences about a scenario's summary, shared by the deck, the workbook and the
comparison page: the pair to promise, second peaks, the budget, the recommendation,
the schedule checks. Every sentence holds for the number it gives."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from ..formatting import long_date, money, percent, points, target_name, weeks

__all__ = ["CONFIDENCE", "weeks_date", "s_curve_of", "peak_text", "waiting_text", "budget_words",
           "promise_text",
           "target_of", "target_words", "baseline_id", "recommend", "warnings_text"]

CONFIDENCE = 0.8
"""The confidence an option must reach to be recommended (P(meet) >= 80%)."""


# -- words shared with the workbook and the comparison page --------------------------
def weeks_date(s: dict, weeks: float) -> str:
    """The date ``weeks`` after the scenario's start, rounded up to a day (as the results).

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.
    weeks : float
        Weeks from the start.

    Returns
    -------
    str
        A long date, e.g. ``14 Sep 2026``.

    Examples
    --------
    >>> weeks_date({"report": {"start_date": "2026-09-07"}}, 1.01)
    '15 Sep 2026'
    """
    start = dt.date.fromisoformat(s["report"]["start_date"])
    return long_date(start + dt.timedelta(days=math.ceil(round(weeks * 7, 9))))


def s_curve_of(s: dict, label: str) -> tuple:
    """The headline target's S-curve of summary ``s`` as ``plots.probability_curves``
    draws it: (label, finish dates, cumulative probabilities, target date, P(meet)),
    from the report's 101 finish quantiles.

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.
    label : str
        The curve's label.

    Returns
    -------
    tuple
        (label, datetime64 finish dates, probabilities from 0 to 1, the target's date,
        its P(meet)).
    """
    import numpy as np

    start = np.datetime64(s["report"]["start_date"], "s")
    weeks = np.array(s["report"]["finish_quantiles"]["weeks"])
    _, t = target_of(s)
    return (label, start + np.round(weeks * 7 * 86400).astype("timedelta64[s]"),
            np.linspace(0, 1, len(weeks)), t["date"], t["probability"])


def peak_text(s: dict, which: str) -> str | None:
    """``second peak: 15% of futures near 9 Dec 2027`` (or near a cost); None if one peak.

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.
    which : {"finish", "cost"}
        The distribution whose peaks to describe.

    Returns
    -------
    str or None
    """
    shape = (s.get("report", {}).get("modes") or {}).get(which)
    if not shape:
        return None
    second = shape["second"]
    where = weeks_date(s, second["value"]) if which == "finish" else \
        money(second["value"], s["cost"]["currency"])
    cause = second.get("cause")
    why = (f" ({percent(cause['share'])} of them with: {cause['name']})" if cause else "")
    return f"second peak: {percent(second['share'])} of futures near {where}{why}"


def waiting_text(s: dict) -> str | None:
    """``Waiting for people moves the P50 date 1.6 weeks later and the P80 date 1.6 weeks later,
    and takes 39 points off the chance of being audit-ready; Security engineer is needed
    beyond capacity from 21 Dec 2026 to 4 Jan 2027 in half of futures or more`` when it
    matters (``levelling.matters``), else None.

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.

    Returns
    -------
    str or None
    """
    lev = s.get("levelling")
    if not lev or not lev.get("matters"):
        return None
    tid, t = target_of(s)
    change = lev["p_meet_change"]
    odds = (f"takes {points(-change)} off" if change <= -0.005 else
            f"adds {points(change)} to" if change >= 0.005 else "leaves unchanged")
    text = (f"Waiting for people moves the P50 date {weeks(lev['p50_shift_weeks'])} later "
            f"and the P80 date {weeks(lev['p80_shift_weeks'])} later, and {odds} the "
            f"chance of being {target_words(tid, t)}")
    short = lev.get("short_of")  # analysis.resources.bottleneck, in the summary
    if short:
        role, over = short["role"], short["weeks"]
        when = (f"from {weeks_date(s, over[0])} to {weeks_date(s, over[-1] + 1)}"
                if "start_date" in s.get("report", {}) else
                f"in weeks {over[0] + 1}-{over[-1] + 1} of the programme")
        names = s.get("report", {}).get("role_names", {})
        text += (f"; {names.get(role, role.replace('_', ' '))} is needed beyond capacity "
                 f"{when} in half of futures or more")
    return text


def budget_words(s: dict) -> str:
    """``$400,000 (the top of the cost band)`` or ``$450,000 (the budget)``.

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.

    Returns
    -------
    str

    Examples
    --------
    >>> budget_words({"jcl": {"budget": 450_000, "budget_source": "budget"},
    ...               "cost": {"currency": "USD"}})
    '$450,000 (the budget)'
    """
    j = s["jcl"]
    source = "the budget" if j["budget_source"] == "budget" else "the top of the cost band"
    return f"{money(j['budget'], s['cost']['currency'])} ({source})"


def promise_text(s: dict, level: str = "80") -> str:
    """The date and budget to promise together at ``level``% joint confidence, in words
    (the joint frontier; says so when neither is reachable).

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.
    level : str
        The joint confidence in percent, a key of the summary's ``jcl.promise``.

    Returns
    -------
    str
    """
    j, cur = s["jcl"], s["cost"]["currency"]
    p = j["promise"][level]
    date_ok, budget_ok = bool(p["date_at_budget"]), p["budget_at_date"] is not None
    first = (f"by {long_date(p['date_at_budget'])} within {budget_words(s)}" if date_ok
             else f"no date reaches {level}% within {budget_words(s)}")
    second = (f"by {long_date(p['date'])} with {money(p['budget_at_date'], cur)}" if budget_ok
              else f"no budget reaches {level}% by {long_date(p['date'])}")
    if date_ok and budget_ok:  # two alternatives, not one pair
        return f"either {first}, or {second}"
    return f"{first}; {second}"


def target_of(s: dict) -> tuple[str, dict]:
    """The headline target: (id, {milestone, date, probability, ...}).

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.

    Returns
    -------
    tuple of (str, dict)
        The first of the summary's ``targets``.
    """
    return next(iter(s["targets"].items()))


def target_words(target_id: str, target: dict) -> str:
    """``audit-ready by 1 Mar 2027`` / ``report in hand by 30 Jul 2027``.

    Parameters
    ----------
    target_id : str
        The target's id.
    target : dict
        The target's summary; ``date`` is read.

    Returns
    -------
    str

    Examples
    --------
    >>> target_words("report_in_hand", {"date": "2027-07-30"})
    'report in hand by 30 Jul 2027'
    """
    return f"{target_name(target_id)} by {long_date(target['date'])}"


def baseline_id(summaries: dict[str, dict], order: Iterable[str]) -> str | None:
    """The baseline: the first scenario of the batch that ran.

    Parameters
    ----------
    summaries : dict of str to dict
        Each scenario's ``summary.json`` that ran.
    order : iterable of str
        The batch's scenario ids in order.

    Returns
    -------
    str or None
        None when none ran.

    Examples
    --------
    >>> baseline_id({"b": {}, "c": {}}, ["a", "b", "c"])
    'b'
    """
    return next((i for i in order if i in summaries), None)


def recommend(summaries: dict[str, dict], order: Iterable[str],
              confidence: float = CONFIDENCE) -> dict[str, Any]:
    """The cheapest scenario (lowest mean cost) whose P(meet) reaches ``confidence``,
    among those with the baseline's headline target (another target, such as the report
    in hand, answers another question).

    Parameters
    ----------
    summaries : dict of str to dict
        Each scenario's ``summary.json`` that ran.
    order : iterable of str
        The batch's scenario ids in order (the first that ran is the baseline).
    confidence : float
        The P(meet) an option must reach.

    Returns
    -------
    dict
        ``{"baseline", "choice" (None when none reaches it), "best" (the highest
        P(meet)), "comparable" (ids), "other_target" (ids)}``.
    """
    order = [i for i in order if i in summaries]
    base = baseline_id(summaries, order)
    if base is None:
        return {"baseline": None, "choice": None, "best": None, "comparable": [],
                "other_target": []}
    base_target = target_of(summaries[base])[0]
    comparable = [i for i in order if target_of(summaries[i])[0] == base_target]
    other = [i for i in order if i not in comparable]
    p = {i: target_of(summaries[i])[1]["probability"] for i in comparable}
    reach = [i for i in comparable if p[i] >= confidence]
    choice = min(reach, key=lambda i: (summaries[i]["cost"]["mean"], -p[i])) if reach else None
    best = max(comparable, key=lambda i: (p[i], -summaries[i]["cost"]["mean"]))
    return {"baseline": base, "choice": choice, "best": best, "comparable": comparable,
            "other_target": other}


def warnings_text(s: dict, limit: int = 1) -> str | None:
    """``Check first (2 checks, all in the workbook's Checks sheet): <message>`` or None.

    Parameters
    ----------
    s : dict
        A scenario's ``summary.json``.
    limit : int
        How many checks' messages to give.

    Returns
    -------
    str or None
        None when there are no checks to make.
    """
    found = s.get("warnings") or []
    if not found:
        return None
    shown = [w["message"] for w in found[:limit]]
    more = (f" ({len(found)} checks, all in the workbook's Checks sheet)"
            if len(found) > limit else "")
    return f"Check first{more}: " + "; ".join(shown)
