"""The summary document (DESIGN §4, ``riskmodel.summary/2``) and the headline table.

``summary_document(result)`` is what ``SimulationResult.to_dict()`` and
``riskmodel simulate --json`` give; every key of ``riskmodel.summary/1`` is kept with its
meaning, and /2 adds the keys listed in DESIGN §4.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ._version import __version__
from .analysis.money import contingency_levels
from .analysis.percentiles import sorted_percentiles
from .formatting import long_date, percent, points
from .formatting import money as fmt_money

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .analysis.sample import Result

__all__ = ["SCHEMA", "summary_document", "headline_table", "headline_row",
           "summary_row"]

SCHEMA = "riskmodel.summary/2"
FINISH_LEVELS = (5, 10, 20, 50, 70, 80, 90, 95)
COST_LEVELS = (10, 50, 80, 90)
DATE_LEVELS = (10, 50, 80, 90)  # the finish dates (``result.finish_dates()``'s default)
CONTINGENCY_LEVELS = (50, 70, 80, 90, 95)
WORKSTREAM_KEYS = ("criticality", "sensitivity", "finish_p80", "cruciality", "ssi",
                   "near_criticality", "cost_sensitivity")
RISK_KEYS = ("fired", "p80_finish_shift", "p80_cost_shift", "mean_finish_impact",
             "mean_cost_impact", "p90_finish_shift", "p90_cost_shift", "own_cost",
             "time_cost", "triggered_cost", "p_meet_shift")


def _number(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def _percentiles(ordered: np.ndarray, *levels: tuple[float, ...]) -> list[dict[str, float]]:
    """``result.percentiles(of, levels)`` for each tuple of ``levels`` (labelled ``p50``,
    ``p80``...), read from the values sorted (``result.sorted_values``)."""
    return [{f"p{q:g}": float(x) for q, x in zip(each, sorted_percentiles(ordered, each))}
            for each in levels]


def _finding(f) -> dict[str, str]:
    return {"code": getattr(f, "code", "warning"), "where": getattr(f, "where", ""),
            "message": getattr(f, "message", str(f))}


def summary_document(result: Result) -> dict[str, Any]:
    """The summary document of one result (DESIGN §4; plain JSON types, no NaN).

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).

    Returns
    -------
    dict
        ``riskmodel.summary/2``: what ``SimulationResult.to_dict()`` and ``riskmodel
        simulate --json`` give.
    """
    (rk, jcl), (f, dates, c, ws, contingency) = _tables(result)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "scenario": {"name": result.scenario.name, "sha256": result.scenario.sha256},
        "iterations": result.iterations,
        "seed": result.seed,
        "version": __version__,
        "sampling": result.sampling,
        "finish": {"unit": "weeks", "mean": float(result.finish.mean()),
                   "std": float(result.finish.std()), **f},
        "finish_date": {k: result.date_of(v).isoformat() for k, v in dates.items()},
        "targets": {
            tid: {"milestone": row["milestone"], "date": row["date"].isoformat(),
                  "probability": row["probability"], "std_error": row["std_error"],
                  "std_error_method": row["std_error_method"]}
            for tid, row in result.columns("targets").rows()
        },
        "cost": {"currency": result.scenario.currency, "mean": float(result.cost.mean()),
                 "std": float(result.cost.std()), **c},
        "cost_band": result.cost_band(),
        "deterministic": {"finish": result.plan["finish"], "cost": result.plan["cost"]},
        "contingency": contingency_levels(contingency),
        "jcl": jcl,
        "workstreams": {wid: {k: _number(r[k]) for k in WORKSTREAM_KEYS if k in r}
                        for wid, r in ws.rows()},
        **({"as_of": result.status.as_of.isoformat()} if result.status is not None else {}),
        "risks": {rid: {**{k: _number(r[k]) for k in RISK_KEYS if k in r},
                        **({"when": r["condition"]} if r["condition"] else {})}
                  for rid, r in rk.rows()},
        "warnings": [_finding(w) for w in result.warnings_],
        **_people(result),
    }
    return out


def _tables(result: Result) -> tuple:
    """The parts of the document that take the time: the risk ranking and the joint
    confidence, and (the rest) the percentiles of the end and the cost, the drivers and
    the contingency. A run made on two workers or more (``result.jobs``) has the first
    two made on a thread of its own meanwhile (NumPy's sorts let go of Python's lock:
    0.82 -> 0.46 s at 1M iterations of the benchmark network, 2026-12-01, where the risk
    ranking alone on the thread took 0.61); each part is computed as it would be alone,
    so the numbers are the same."""
    from .analysis.joint import jcl_summary

    def first() -> tuple:
        return result.columns("risks"), jcl_summary(result)

    def rest() -> tuple:
        f, dates = _percentiles(result.sorted_values("finish"), FINISH_LEVELS, DATE_LEVELS)
        (c,) = _percentiles(result.sorted_values("cost"), COST_LEVELS)
        return (f, dates, c, result.columns("workstreams"),
                result.columns("contingency", CONTINGENCY_LEVELS))

    if result.jobs < 2:
        return first(), rest()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        made = pool.submit(first)
        others = rest()
        return made.result(), others


def _people(result: Result) -> dict[str, Any]:
    """``levelling`` (lateness due to waiting for people, and ``short_of``: the role most
    often needed beyond its capacity, with those weeks) and ``resources.<role>`` (FTE by
    week), when roles have capacities."""
    from .analysis.resources import bottleneck, role_demand_columns

    wait = result.waiting()
    if wait is None:
        return {}
    tables = role_demand_columns(result)
    worst = bottleneck(tables)
    short_of = None if worst is None else {"role": worst[0], "weeks": worst[1]}
    return {"levelling": {**wait, "short_of": short_of}, "resources": {
        role: {"weeks": [int(k) for k in t.index],
               **{col: [round(float(x), 4) for x in values] for col, values in t.columns.items()}}
        for role, t in tables.items()}}


def headline_table(result: Result) -> pd.DataFrame:
    """The headline figures as a two-column table a person reads (``result.summary()``).

    Separate percentiles are never presented as a joint commitment: the P80 date and
    the P80 cost are shown with the share of futures in which both hold.

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``figure``, one ``value`` column of text (money, dates and
        percentages through ``riskmodel.formatting``).
    """
    import pandas as pd

    d = result.to_dict()
    cur = d["cost"]["currency"]
    money = lambda x: fmt_money(x, cur)  # noqa: E731
    rows = []
    for tid, t in d["targets"].items():
        rows.append((f"P({tid}: {t['milestone']} by {long_date(t['date'])})",
                     f"{percent(t['probability'], 1)} ± {percent(t['std_error'], 1)}"))
    fd = d["finish_date"]
    rows += [("Finish P50 / P80", f"{long_date(fd['p50'])} / {long_date(fd['p80'])}"),
             ("Finish P10 – P90 (weeks)", f"{d['finish']['p10']:.1f} – "
                                          f"{d['finish']['p90']:.1f}"),
             ("Cost P50 / P80", f"{money(d['cost']['p50'])} / {money(d['cost']['p80'])}"),
             ("Cost P10 – P90", f"{money(d['cost']['p10'])} – {money(d['cost']['p90'])}")]
    b = d["cost_band"]
    rows.append((f"Cost below / within / above {money(b['low'])}–{money(b['high'])}",
                 f"{percent(b['p_below'])} / {percent(b['p_within'])} / "
                 f"{percent(b['p_above'])}"))
    cont = d["contingency"]["p80"]
    split = ""
    if "from_risks" in cont:
        split = (f" (estimates {cont['from_estimates']['weeks']:+.1f} wk, "
                 f"risks {cont['from_risks']['weeks']:+.1f} wk)")
    rows += [("Deterministic plan", f"{d['deterministic']['finish']:.1f} weeks, "
                                    f"{money(d['deterministic']['cost'])}"),
             ("Contingency to P80", f"{cont['weeks']:+.1f} weeks, "
                                    f"{money(cont['cost'])}{split}")]
    j = d["jcl"]
    source = "budget" if j["budget_source"] == "budget" else "band top"
    rows.append((f"Joint confidence (by {long_date(j['date'])} and ≤ {money(j['budget'])}, "
                 f"{source})", percent(j["probability"], 1)))
    rows.append(("P80 date and P80 cost both met", percent(j["at_p80"]["probability"], 1)))
    p80 = j["promise"]["80"]
    rows.append((f"80% joint: date within {money(j['budget'])}",
                 long_date(p80["date_at_budget"]) if p80["date_at_budget"] else
                 "not reachable: the budget alone holds less than 80% of the time"))
    rows.append((f"80% joint: budget by {long_date(p80['date'])}",
                 money(p80["budget_at_date"]) if p80["budget_at_date"] is not None else
                 "not reachable: the date alone is met less than 80% of the time"))
    lev = d.get("levelling")
    if lev and lev["share_waiting"]:
        rows.append(("Waiting for people: P50 / P80 date moves",
                     f"{lev['p50_shift_weeks']:+.1f} / {lev['p80_shift_weeks']:+.1f} weeks; "
                     f"P({lev['target']}) {points(lev['p_meet_change'], signed=True)}"))
    return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")


def headline_row(result: Result) -> dict[str, Any]:
    """The headline figures of one result as a flat row: what ``compare`` lines up and
    ``forecast_trail`` follows (``summary_row`` reads the same figures from a summary
    document, for the batch's ``summary.csv``).

    Parameters
    ----------
    result : SimulationResult
        The result (anything meeting ``analysis.sample.Result``).

    Returns
    -------
    dict
        ``target``, ``target_date``, ``p_meet``, ``std_error``, the P50/P80 date and weeks
        of the headline target's milestone, mean/P50/P80 cost, the cost band shares,
        ``jcl``, ``jcl_at_p80``, ``expected_cost_of_delay`` and ``economic_cost``.
    """
    t = result.primary_target
    p = result.p_meet(t.date, t.milestone)
    q = result.percentiles(t.milestone, (50, 80))
    c = result.percentiles("cost", (50, 80))
    p80_date = result.date_of(q["p80"])
    mean = float(result.cost.mean())
    cod = float(result.cost_of_delay()["expected_cost_of_delay"].iloc[0])
    band = result.cost_band()
    return {
        "target": t.id, "target_date": t.date, "p_meet": p,
        "std_error": result.p_meet_std_error(t.date, t.milestone)[0],
        "p50_date": result.date_of(q["p50"]), "p80_date": p80_date,
        "p50_weeks": float(q["p50"]), "p80_weeks": float(q["p80"]),
        "cost_mean": mean, "cost_p50": float(c["p50"]), "cost_p80": float(c["p80"]),
        "p_below_band": band["p_below"], "p_within_band": band["p_within"],
        "p_above_band": band["p_above"], "jcl": result.jcl(),
        "jcl_at_p80": result.jcl(p80_date, float(c["p80"])),
        "expected_cost_of_delay": cod, "economic_cost": mean + cod,
    }


def summary_row(d: dict[str, Any]) -> dict[str, Any]:
    """The headline row read from a summary document instead of a result.

    A batch has each scenario's ``summary.json``, not its result: this gives the keys of
    ``headline_row`` that the document holds (dates as ISO text; the P50/P80 dates are
    ``finish_date``'s), plus the P10/P90 cost, the contingency to P80, the iterations and
    the seed. The batch's ``summary.csv`` has one such row per scenario.

    Parameters
    ----------
    d : dict
        A summary document (``summary_document``); the expected cost of delay is read
        from its ``report`` part (``summary.json``), None without one.

    Returns
    -------
    dict
        The row, keyed as in ``summary.csv``.
    """
    target_id, target = next(iter(d["targets"].items()))
    delay = (d.get("report") or {}).get("cost_of_delay") or {}
    return {
        "target": target_id, "target_date": target["date"],
        "p_meet": target["probability"], "std_error": target["std_error"],
        "p50_date": d["finish_date"]["p50"], "p80_date": d["finish_date"]["p80"],
        "cost_mean": d["cost"]["mean"], "cost_p10": d["cost"]["p10"],
        "cost_p50": d["cost"]["p50"], "cost_p80": d["cost"]["p80"],
        "cost_p90": d["cost"]["p90"],
        "p_below_band": d["cost_band"]["p_below"],
        "p_within_band": d["cost_band"]["p_within"],
        "p_above_band": d["cost_band"]["p_above"],
        "contingency_p80_weeks": d["contingency"]["p80"]["weeks"],
        "contingency_p80_cost": d["contingency"]["p80"]["cost"],
        "jcl": d["jcl"]["probability"],
        "expected_cost_of_delay": (next(iter(delay.values()))["expected_cost_of_delay"]
                                   if delay else None),
        "iterations": d["iterations"], "seed": d["seed"],
    }
