"""Risk ranking's sparse re-scheduling (``sim.risk_off``) against re-runs.

Each risk switched off inside a run must give, iteration by iteration, what a separate
run with that risk disabled gives on the same draws: the end bit for bit (the same
max-plus arithmetic), the cost to rounding (a risk's labour is added up as the change in
what it hits, not as a whole new sum). The networks are random, with leads, booked starts,
delays and factors (some below 1), risks on critical and on floating workstreams, so that
the shortcut (an iteration where nothing the risk hits is critical or gets longer keeps
its end, not re-scheduled) is taken and must still agree.
"""
import datetime as dt

import numpy as np
import pytest

from riskmodel import Scenario, simulate
from riskmodel.sim import risk_off

START = dt.date(2027, 1, 4)
N = 4000


def network(seed: int, *, calendar: bool = False, target: bool = False,
            until: bool = False) -> Scenario:
    """30 workstreams, each after up to three of the six before it (some with a lead),
    some booked, and 10 short ones beside them (after one, before one three later); 8
    risks (delays and factors) on two workstreams each, half of them on the short ones
    only; with ``calendar``
    a shutdown of 1.5 weeks, ``target`` a milestone mid-network, ``until`` an overhead
    running until one."""
    rng = np.random.default_rng(seed)
    workstreams = []
    for j in range(30):
        a = float(rng.uniform(0.5, 2))
        deps = [{"id": f"w{p}", "lag": float(rng.choice([0, 0, -0.5, 0.5]))}
                for p in sorted({int(p) for p in rng.integers(max(0, j - 6), j, 3)})] \
            if j else []
        record = {"id": f"w{j}", "depends_on": deps, "staffing": {"eng": 1.0},
                  "duration": {"dist": "triangular", "min": a, "mode": a + 0.5,
                               "max": a + float(rng.uniform(1, 3))}}
        if j in (7, 19):
            record["not_before"] = str(START + dt.timedelta(weeks=int(rng.integers(2, 6))))
        workstreams.append(record)
    for k in range(10):
        after = int(rng.integers(0, 27))
        workstreams.append({"id": f"s{k}", "depends_on": [f"w{after}"],
                            "duration": {"dist": "uniform", "min": 0.1, "max": 0.4}})
        workstreams[after + 3]["depends_on"].append(f"s{k}")
    risks = []
    for i in range(8):
        side = [f"s{int(k)}" for k in rng.choice(10, 2, replace=False)]
        risk = {"id": f"r{i}", "probability": float(rng.uniform(0.2, 0.6)),
                "affects": side if i % 2 else [f"w{int(rng.integers(30))}", side[0]],
                "cost": 1000 * (i + 1)}
        if i % 3 == 2:
            # below 1 too: an opportunity, which switched off makes what it hits longer
            risk["factor"] = {"dist": "uniform", "min": 0.6, "max": 1.6}
        else:
            risk["delay"] = {"dist": "triangular", "min": 0.5, "mode": 1, "max": 3}
        risks.append(risk)
    data = {"name": "risk off", "start_date": str(START), "audit_date": "2027-09-27",
            "roles": [{"id": "eng", "weekly_rate": 2000}], "workstreams": workstreams,
            "risks": risks, "simulation": {"seed": seed},
            "overhead": [{"id": "pmo", "weekly_cost": 700}]}
    if calendar:
        data["calendar"] = {"blackouts": [{"from": "2027-02-15", "to": "2027-02-25"}]}
    if target:
        data["targets"] = [{"id": "half", "milestone": "w15", "date": "2027-05-03"}]
    if until:
        data["overhead"].append({"id": "lab", "weekly_cost": 300, "until": "w20"})
    return Scenario.from_dict(data)


@pytest.mark.parametrize("kind", ["plain", "calendar", "target", "until"])
def test_each_risk_switched_off_equals_a_run_without_it(kind, monkeypatch):
    s = network(5, calendar=kind == "calendar", target=kind == "target",
                until=kind == "until")
    rescheduled = []
    real = risk_off.reschedule_cols

    def counting(duration, finish, cols, *rest):
        rescheduled.append(cols.size)
        real(duration, finish, cols, *rest)

    monkeypatch.setattr(risk_off, "reschedule_cols", counting)
    full = simulate(s, iterations=N)
    fired = full.detail["fired"]
    assert (fired.sum(axis=1) > 0).all()
    for i, risk in enumerate(s.risks):
        gone = simulate(s, iterations=N, disabled_risks=[risk.id], rank_risks=False)
        np.testing.assert_array_equal(full.without_risk.dense("end", i), gone.finish)
        np.testing.assert_allclose(full.without_risk.dense("cost", i), gone.cost, rtol=1e-12)
        for q, name in enumerate(full.milestone_finish):
            np.testing.assert_array_equal(full.without_risk.dense("milestones", i)[q],
                                          gone.milestone_finish[name])
    # the no-risk run too
    none = simulate(s, iterations=N, disabled_risks=[r.id for r in s.risks], rank_risks=False)
    np.testing.assert_array_equal(full.no_risks["end"], none.finish)
    np.testing.assert_allclose(full.no_risks["cost"], none.cost, rtol=1e-12)
    for q, name in enumerate(full.milestone_finish):
        np.testing.assert_array_equal(full.no_risks["milestones"][q],
                                      none.milestone_finish[name])
    # the shortcut is taken, and not under a calendar (whose float counts non-working
    # time: a workstream can drive the end with float; taking it there fails above)
    per_risk = sum(rescheduled) - N  # less the no-risk run, over every iteration
    if kind == "plain":
        assert fired.sum() - per_risk > 1000  # futures kept without re-scheduling
    if kind == "calendar":
        assert per_risk == fired.sum()


def test_an_opportunity_switched_off_lengthens_the_end_even_off_the_critical_path():
    # a: 10 weeks; b: 12, halved when the opportunity occurs (6: float 4, not critical);
    # without it b takes 12 and the end is 12 in every future, costs 12 x 1000 + 12 x 500
    s = Scenario.from_dict({
        "name": "opportunity", "start_date": str(START), "audit_date": "2027-09-27",
        "roles": [{"id": "eng", "weekly_rate": 1000}],
        "workstreams": [{"id": "a", "duration": 10, "staffing": {"eng": 1}},
                        {"id": "b", "duration": 12, "staffing": {"eng": 1}}],
        "risks": [{"id": "faster", "probability": 0.5, "affects": ["b"], "factor": 0.5}],
        "overhead": [{"id": "pmo", "weekly_cost": 500}], "simulation": {"seed": 1}})
    full = simulate(s, iterations=64)
    assert set(full.finish.tolist()) == {10.0, 12.0}
    np.testing.assert_array_equal(full.without_risk.dense("end", 0), 12.0)
    np.testing.assert_allclose(full.without_risk.dense("cost", 0), 10_000 + 12_000 + 6_000,
                               rtol=1e-12)


@pytest.mark.parametrize("kind", ["plain", "target"])
def test_the_end_is_kept_only_where_the_risk_moved_it(kind):
    """Each risk's cost is kept in every iteration where it fired, its end and milestones
    only in those where one of them changed (elsewhere they are the run's own, bit for
    bit): about a third as many on this network, and no iteration where nothing moved."""
    s = network(5, target=kind == "target")
    full = simulate(s, iterations=N)
    w = full.without_risk
    fired = full.detail["fired"]
    kept = fired_total = 0
    for i in range(w.risks):
        np.testing.assert_array_equal(w.cols[i], np.flatnonzero(fired[i]))
        assert np.isin(w.moved[i], w.cols[i]).all() and np.all(np.diff(w.moved[i]) > 0)
        assert w.moved[i].dtype == np.int32 and w.cols[i].dtype == np.int32
        end, milestones = w.dense("end", i), w.dense("milestones", i)
        changed = (end != full.finish) | (milestones != w.base["milestones"]).any(axis=0)
        np.testing.assert_array_equal(w.moved[i], np.flatnonzero(changed))
        kept += w.moved[i].size
        fired_total += w.cols[i].size
    assert 0 < kept < fired_total
    if kind == "target":  # a milestone moved where the end did not, somewhere
        assert any(np.any((w.dense("milestones", i) != w.base["milestones"]).any(axis=0)
                          & (w.dense("end", i) == full.finish)) for i in range(w.risks))
