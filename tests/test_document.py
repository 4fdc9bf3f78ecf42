"""The summary document reads its figures faster than the result's methods do (sorted
once, tables taken whole) but gives exactly their numbers."""
import json

import numpy as np

from riskmodel import load_scenario, simulate
from riskmodel.analysis.joint import jcl_frontier, promise
from riskmodel.document import (
    CONTINGENCY_LEVELS,
    COST_LEVELS,
    FINISH_LEVELS,
    RISK_KEYS,
    WORKSTREAM_KEYS,
    summary_document,
)
from tests.conftest import DEFAULT


def test_the_documents_figures_are_the_results_to_the_last_bit(default_result):
    r = default_result
    d = summary_document(r)
    finish = r.percentiles("end", FINISH_LEVELS)
    assert {k: d["finish"][k] for k in finish.index} == finish.to_dict()
    cost = r.percentiles("cost", COST_LEVELS)
    assert {k: d["cost"][k] for k in cost.index} == cost.to_dict()
    assert d["finish_date"] == {k: v.isoformat() for k, v in r.finish_dates().items()}
    for q in CONTINGENCY_LEVELS:  # from np.percentile of the run and of its risk-free run
        level = d["contingency"][f"p{q}"]
        weeks, cost = np.percentile(r.finish, q), np.percentile(r.cost, q)
        free_weeks = np.percentile(r.no_risks["end"], q)
        free_cost = np.percentile(r.no_risks["cost"], q)
        assert level["weeks"] == weeks - r.plan["finish"]
        assert level["cost"] == cost - r.plan["cost"]
        assert level["from_risks"] == {"weeks": weeks - free_weeks, "cost": cost - free_cost}
        assert level["from_estimates"] == {"weeks": free_weeks - r.plan["finish"],
                                           "cost": free_cost - r.plan["cost"]}
    ws = r.workstreams()
    assert d["workstreams"] == {wid: {k: float(row[k]) for k in WORKSTREAM_KEYS}
                                for wid, row in ws.iterrows()}
    rk = r.risks()
    assert {rid: {k: v[k] for k in RISK_KEYS} for rid, v in d["risks"].items()} == {
        rid: {k: float(row[k]) for k in RISK_KEYS} for rid, row in rk.iterrows()}
    j = d["jcl"]
    assert j["at_p80"]["budget"] == np.percentile(r.cost, 80)
    assert r.date_of(np.percentile(r.finish, 80)).isoformat() == j["at_p80"]["date"]
    for level in ("70", "80"):  # the document's wiring (the numbers: tests/analysis/test_joint)
        frontier = jcl_frontier(r, int(level) / 100, points=20)
        assert [(p["weeks"], p["budget"]) for p in j["frontier"][level]] == list(
            zip(frontier["weeks"], frontier["budget"]))
        assert j["promise"][level] == promise(r, int(level) / 100)


def test_a_run_on_two_workers_makes_its_risk_table_on_a_second_thread(monkeypatch):
    """``result.jobs`` >= 2: the risk ranking and the joint confidence are made on another
    thread while the percentiles, the drivers and the contingency are made here; the
    document is the one a single thread makes, key for key and bit for bit."""
    import threading

    import riskmodel.analysis.joint as joint
    from riskmodel.results import SimulationResult

    scenario = load_scenario(DEFAULT)
    one = simulate(scenario, iterations=20_000, seed=8)
    two = simulate(scenario, iterations=20_000, seed=8, jobs=2)
    assert (one.jobs, two.jobs) == (1, 2)
    where: dict[str, str] = {}
    columns = SimulationResult.columns

    def watched(self, table, *args):
        where.setdefault(table, threading.current_thread().name)
        return columns(self, table, *args)

    monkeypatch.setattr(SimulationResult, "columns", watched)
    jcl_summary = joint.jcl_summary

    def watched_jcl(result, *args, **kwargs):
        where.setdefault("jcl", threading.current_thread().name)
        return jcl_summary(result, *args, **kwargs)

    monkeypatch.setattr(joint, "jcl_summary", watched_jcl)
    assert json.dumps(two.to_dict()) == json.dumps(one.to_dict())
    here = threading.current_thread().name
    assert where["risks"] != here and where["jcl"] == where["risks"]
    assert where["workstreams"] == here and where["contingency"] == here
    where.clear()
    one._cache.clear()
    one.to_dict()
    assert set(where.values()) == {here}
