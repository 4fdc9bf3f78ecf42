"""The summary document (DESIGN §4, ``riskmodel.summary/2``) and the headline table.

``summary_document(result)`` is what ``SimulationResult.to_dict()`` and
``riskmodel simulate --json`` give; every key of ``riskmodel.summary/1`` is kept with its
meaning, and /2 adds the keys listed in DESIGN §4.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._version import __version__
from .analysis.money import contingency_levels
from .formatting import money as fmt_money

if TYPE_CHECKING:  # pragma: no cover
    from .analysis.sample import Result

__all__ = ["SCHEMA", "summary_document", "headline_table", "headline_row"]

SCHEMA = "riskmodel.summary/2"
FINISH_LEVELS = (5, 10, 20, 50, 70, 80, 90, 95)
COST_LEVELS = (10, 50, 80, 90)
CONTINGENCY_LEVELS = (50, 70, 80, 90, 95)
WORKSTREAM_KEYS = ("criticality", "sensitivity", "finish_p80", "cruciality", "ssi",
                   "near_criticality", "cost_sensitivity")
RISK_KEYS = ("fired", "p80_finish_shift", "p80_cost_shift", "mean_finish_impact",
             "mean_cost_impact", "p90_finish_shift", "p90_cost_shift", "own_cost",
             "time_cost", "triggered_cost", "p_meet_shift")


def _number(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def _finding(f) -> dict[str, str]:
    return {"code": getattr(f, "code", "warning"), "where": getattr(f, "where", ""),
            "message": getattr(f, "message", str(f))}


def summary_document(result: Result) -> dict[str, Any]:
    """The summary document of one result (plain JSON types, no NaN)."""
    f = result.percentiles("end", FINISH_LEVELS)
    c = result.percentiles("cost", COST_LEVELS)
    ws = result.workstreams()
    rk = result.risks()
    from .analysis.joint import jcl_summary

    out: dict[str, Any] = {
        "schema": SCHEMA,
        "scenario": {"name": result.scenario.name, "sha256": result.scenario.sha256},
        "iterations": result.iterations,
        "seed": result.seed,
        "version": __version__,
        "sampling": result.sampling,
        "finish": {"unit": "weeks", "mean": float(result.finish.mean()),
                   "std": float(result.finish.std()), **{k: float(v) for k, v in f.items()}},
        "finish_date": {k: v.isoformat() for k, v in result.finish_dates().items()},
        "targets": {
            tid: {"milestone": row.milestone, "date": row.date.isoformat(),
                  "probability": row.probability, "std_error": row.std_error,
                  "std_error_method": row.std_error_method}
            for tid, row in result.targets().iterrows()
        },
        "cost": {"currency": result.scenario.currency, "mean": float(result.cost.mean()),
                 "std": float(result.cost.std()), **{k: float(v) for k, v in c.items()}},
        "cost_band": result.cost_band(),
        "deterministic": {"finish": result.plan["finish"], "cost": result.plan["cost"]},
        "contingency": contingency_levels(result.contingency_table(CONTINGENCY_LEVELS)),
        "jcl": jcl_summary(result),
        "workstreams": {
            wid: {k: _number(r[k]) for k in WORKSTREAM_KEYS if k in r.index}
            for wid, r in ws.iterrows()
        },
        **({"as_of": result.status.as_of.isoformat()} if result.status is not None else {}),
        "risks": {rid: {**{k: _number(r[k]) for k in RISK_KEYS if k in r.index},
                        **({"when": r["condition"]} if r["condition"] else {})}
                  for rid, r in rk.iterrows()},
        "warnings": [_finding(w) for w in result.warnings_],
        **_people(result),
    }
    return out


def _people(result: Result) -> dict[str, Any]:
    """``levelling`` (lateness due to waiting for people, and ``short_of``: the role most
    often needed beyond its capacity, with those weeks) and ``resources.<role>`` (FTE by
    week), when roles have capacities."""
    from .analysis.resources import bottleneck

    wait = result.waiting()
    if wait is None:
        return {}
    tables = result.role_demand()
    worst = bottleneck(tables)
    short_of = None if worst is None else {"role": worst[0], "weeks": worst[1]}
    return {"levelling": {**wait, "short_of": short_of}, "resources": {
        role: {"weeks": [int(k) for k in t.index],
               **{col: [round(float(x), 4) for x in t[col]] for col in t.columns}}
        for role, t in tables.items()}}


def headline_table(result: Result) -> pd.DataFrame:
    """The headline figures as a two-column table a person reads (``result.summary()``).

    Separate percentiles are never presented as a joint commitment: the P80 date and
    the P80 cost are shown with the share of futures in which both hold.
    """
    d = result.to_dict()
    cur = d["cost"]["currency"]
    money = lambda x: fmt_money(x, cur)  # noqa: E731
    rows = []
    for tid, t in d["targets"].items():
        rows.append((f"P({tid}: {t['milestone']} by {t['date']})",
                     f"{t['probability']:.1%} ± {t['std_error']:.1%}"))
    fd = d["finish_date"]
    rows += [("Finish P50 / P80", f"{fd['p50']} / {fd['p80']}"),
             ("Finish P10 – P90 (weeks)", f"{d['finish']['p10']:.1f} – "
                                          f"{d['finish']['p90']:.1f}"),
             ("Cost P50 / P80", f"{money(d['cost']['p50'])} / {money(d['cost']['p80'])}"),
             ("Cost P10 – P90", f"{money(d['cost']['p10'])} – {money(d['cost']['p90'])}")]
    b = d["cost_band"]
    rows.append((f"Cost below / within / above {money(b['low'])}–{money(b['high'])}",
                 f"{b['p_below']:.0%} / {b['p_within']:.0%} / {b['p_above']:.0%}"))
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
    rows.append((f"Joint confidence (by {j['date']} and ≤ {money(j['budget'])}, {source})",
                 f"{j['probability']:.1%}"))
    rows.append(("P80 date and P80 cost both met", f"{j['at_p80']['probability']:.1%}"))
    p80 = j["promise"]["80"]
    rows.append((f"80% joint: date within {money(j['budget'])}", p80["date_at_budget"]))
    rows.append((f"80% joint: budget by {p80['date']}",
                 money(p80["budget_at_date"]) if p80["budget_at_date"] is not None else
                 "not reachable: the date alone is met less than 80% of the time"))
    if not p80["date_at_budget"]:
        rows[-2:-1] = [(f"80% joint: date within {money(j['budget'])}",
                        "not reachable: the budget alone holds less than 80% of the time")]
    lev = d.get("levelling")
    if lev and lev["share_waiting"]:
        rows.append(("Waiting for people: P50 / P80 date moves",
                     f"{lev['p50_shift_weeks']:+.1f} / {lev['p80_shift_weeks']:+.1f} weeks; "
                     f"P({lev['target']}) {lev['p_meet_change'] * 100:+.0f} points"))
    return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")


def headline_row(result: Result) -> dict[str, Any]:
    """The headline figures of one result as a flat row: what ``compare`` lines up and
    ``forecast_trail`` follows (the batch's ``summary.csv`` reads the same figures from
    each scenario's summary document)."""
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
