"""Conditional risks (``when``) and booked starts (``not_before``) against exact answers.

Each expected value is worked out by hand from the distributions (stated beside it);
Monte Carlo tolerances are ``Z`` standard errors.
"""
import datetime as dt
import math

import numpy as np
import pytest

from riskmodel import Scenario, simulate
from riskmodel.conditioning import apply_status
from riskmodel.scenario.status import Status
from riskmodel.spec import build_spec
from tests.conftest import Z, mean_tol, prob_tol, ws

START = dt.date(2027, 1, 4)
N = 40_000


def week(w: float) -> str:
    return str(START + dt.timedelta(weeks=w))


def scenario(workstreams, risks, targets, **extra) -> Scenario:
    return Scenario.from_dict({"name": "when", "start_date": str(START),
                               "simulation": {"seed": 11}, "workstreams": workstreams,
                               "risks": risks, "targets": targets, **extra})


ONE = [ws("a", 3)]
END = [{"id": "done", "date": week(20)}]


def test_a_risk_on_a_risk_fires_with_the_product_of_the_probabilities():
    s = scenario(ONE, [{"id": "r1", "probability": 0.5, "cost": 1000},
                       {"id": "r2", "probability": 0.4, "cost": 100, "when": [{"risk": "r1"}]},
                       {"id": "r3", "probability": 0.4, "cost": 10,
                        "when": [{"not_risk": "r1"}]}], END)
    r = simulate(s, iterations=N)
    # r2: 0.5 x 0.4 = 0.2, only with r1; r3: (1 - 0.5) x 0.4 = 0.2, only without r1
    for cost, p in ((1100, 0.2), (1000, 0.3), (10, 0.2), (0, 0.3)):
        assert np.mean(r.cost == cost) == pytest.approx(p, abs=prob_tol(p, N))
    fired = r.risks()["fired"]
    assert fired["r2"] == pytest.approx(0.2, abs=prob_tol(0.2, N))
    assert np.mean(np.isin(r.cost, (110, 100, 1010))) == 0  # never the wrong pairs


def late_network(by=None):
    clause = {"late": "audit", **({"by": by} if by is not None else {})}
    return scenario(
        [ws("a", {"dist": "uniform", "min": 10, "max": 14}), ws("b", 2, ["a"])],
        [{"id": "slip", "probability": 1.0, "affects": ["b"], "delay": 4, "when": [clause]}],
        [{"id": "audit", "milestone": "a", "date": week(12)}, *END])


def test_a_risk_on_a_missed_target_follows_the_finish_it_waits_on():
    r = simulate(late_network(), iterations=N)
    # a ~ U(10, 14); a <= 12: end = a + 2, else a + 6 > 16: P(end <= 13.5) = 1.5 / 4
    assert r.p_meet(13.5) == pytest.approx(0.375, abs=prob_tol(0.375, N))
    assert r.p_meet(15.5) == pytest.approx(0.5, abs=prob_tol(0.5, N))
    # mean: 0.5 x (11 + 2) + 0.5 x (13 + 6)
    assert r.finish.mean() == pytest.approx(16.0, abs=mean_tol(r.finish))


def test_by_counts_only_a_miss_of_more_than_so_many_weeks():
    r = simulate(late_network(by=1), iterations=N)
    # fires only where a > 13: P(end <= 15.5) = P(a <= 13) = 0.75
    assert r.p_meet(15.5) == pytest.approx(0.75, abs=prob_tol(0.75, N))
    assert r.risks().loc["slip", "fired"] == pytest.approx(0.25, abs=prob_tol(0.25, N))


def test_on_time_is_the_complement_of_late():
    s = scenario([ws("a", {"dist": "uniform", "min": 10, "max": 14}), ws("b", 2, ["a"])],
                 [{"id": "bonus", "probability": 1.0, "cost": 500,
                   "when": [{"on_time": "audit"}]}],
                 [{"id": "audit", "milestone": "a", "date": week(12)}, *END])
    r = simulate(s, iterations=N)
    met = r.finish_of("a") <= 12 + 1e-12
    assert np.array_equal(r.cost == 500, met)


def test_conditions_chain_through_stages():
    # A waits on T1 (a's finish) and delays b; B waits on T2 (b's finish) and delays c.
    # a ~ U(0, 2). a <= 1: b ends a + 1 <= 2.5, end a + 2. a > 1: b ends a + 3 > 2.5,
    # end a + 3 + 1 + 5. Mean 0.5 x 2.5 + 0.5 x 10.5 = 6.5; P(end <= 3) = 0.5.
    s = scenario([ws("a", {"dist": "uniform", "min": 0, "max": 2}), ws("b", 1, ["a"]),
                  ws("c", 1, ["b"])],
                 [{"id": "B", "probability": 1.0, "affects": ["c"], "delay": 5,
                   "when": [{"late": "t2"}]},
                  {"id": "A", "probability": 1.0, "affects": ["b"], "delay": 2,
                   "when": [{"late": "t1"}]}],
                 [{"id": "t1", "milestone": "a", "date": week(1)},
                  {"id": "t2", "milestone": "b", "date": week(2.5)}, *END])
    assert build_spec(s).risk_stages == [[], [1], [0]]
    r = simulate(s, iterations=N)
    assert r.finish.mean() == pytest.approx(6.5, abs=mean_tol(r.finish))
    assert r.p_meet(3) == pytest.approx(0.5, abs=prob_tol(0.5, N))


def test_a_risks_draws_do_not_depend_on_whether_it_is_drawn():
    base = [{"id": "r1", "probability": 0.5, "cost": 1000},
            {"id": "r2", "probability": 0.4, "affects": ["a"],
             "delay": {"dist": "uniform", "min": 1, "max": 2}}]
    free = simulate(scenario(ONE, base, END), iterations=N)
    cond = simulate(scenario(ONE, [base[0], {**base[1], "when": [{"risk": "r1"}]}], END),
                    iterations=N)
    with_r1 = free.cost == 1000  # r1's own draws are the same in both
    assert np.array_equal(with_r1, cond.cost == 1000)
    assert np.array_equal(free.finish[with_r1], cond.finish[with_r1])
    assert np.all(cond.finish[~with_r1] == 3)


def test_what_a_risk_costs_counts_the_risks_it_brings():
    s = scenario([ws("a", {"dist": "uniform", "min": 2, "max": 4}, staffing={"eng": 1}),
                  ws("b", 2, ["a"], staffing={"eng": 1})],
                 [{"id": "r1", "probability": 0.5, "affects": ["a"], "delay": 1, "cost": 300},
                  {"id": "r2", "probability": 0.4, "affects": ["b"], "delay": 2, "cost": 700,
                   "when": [{"risk": "r1"}]}],
                 END, roles=[{"id": "eng", "weekly_rate": 1000}])
    r = simulate(s, iterations=20_000, seed=3)
    rk = r.risks()
    for rid in ("r1", "r2"):  # against a separate run with the risk switched off
        alone = simulate(s, iterations=20_000, seed=3, disabled_risks=[rid])
        assert rk.loc[rid, "mean_cost_impact"] == pytest.approx(
            r.cost.mean() - alone.cost.mean(), rel=1e-12)
        assert rk.loc[rid, "mean_finish_impact"] == pytest.approx(
            r.finish.mean() - alone.finish.mean(), rel=1e-12)
    # r2 fires only with r1: all of its own cost comes with r1
    own = dict(zip(r.risk_ids, r.mean_risk_cost_))
    assert rk.loc["r1", "triggered_cost"] == pytest.approx(own["r2"], rel=1e-12)
    assert rk.loc["r2", "triggered_cost"] == 0
    # r1 adds a week of a (1 FTE) and, through r2, two weeks of b: per future 0 (half of
    # them), 1000 (0.5 x 0.6) or 3000 (0.5 x 0.4), mean 900, sd sqrt(2.1e6 - 900^2)
    se = math.sqrt(0.3 * 1000**2 + 0.2 * 3000**2 - 900**2) / math.sqrt(20_000)
    assert rk.loc["r1", "time_cost"] == pytest.approx(900, abs=Z * se)
    none = simulate(s, iterations=20_000, seed=3, disabled_risks=["r1", "r2"])
    assert r.no_risks["cost"].mean() == pytest.approx(none.cost.mean(), rel=1e-12)
    assert r.risks().loc["r2", "condition"] == "if r1 occurs"


def test_an_occurred_conditional_risk_fires_whatever_its_conditions():
    s = late_network()
    status = Status.from_dict({"as_of": week(1), "risks": {"slip": "occurred"}})
    spec = apply_status(build_spec(s), s, status)
    assert spec.risks[0].when == () and spec.risks[0].probability == 1.0


def test_not_before_holds_a_start_to_its_booked_date():
    s = scenario([ws("a", {"dist": "uniform", "min": 1, "max": 9}),
                  ws("w", 2, ["a"], not_before=week(5))], [], END)
    r = simulate(s, iterations=N)
    # w starts at max(a, 5): P(end <= 7) = P(a <= 5) = 0.5, never before week 7
    assert r.finish.min() == pytest.approx(7.0)
    assert r.p_meet(7) == pytest.approx(0.5, abs=prob_tol(0.5, N))
    assert r.plan["finish"] == pytest.approx(7.0)  # the plan: a's mode 5, then w
