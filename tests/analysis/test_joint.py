"""Joint confidence (NASA JCL) on a case whose answers are products of two uniforms."""
import datetime as dt

import numpy as np
import pytest

from riskmodel import simulate
from tests.conftest import Z, make, prob_tol, ws

N = 100_000


@pytest.fixture(scope="module")
def independent():
    # finish U(11, 13) weeks and cost U(0, 400), independent; audit 90 days = 12.857 weeks
    s = make([ws("a", {"dist": "uniform", "min": 11, "max": 13})],
             fixed_costs=[{"id": "fee", "cost": {"dist": "uniform", "min": 0, "max": 400}}],
             cost_band={"low": 100, "high": 300}, budget=390,
             audit_date=(dt.date(2027, 1, 4) + dt.timedelta(days=90)).isoformat())
    return simulate(s, iterations=N, sampling="random")


def test_budget_is_an_input_and_defaults_to_the_band_top(independent):
    assert independent.budget == 390 and independent.budget_source == "budget"
    plain = simulate(make([ws("a", 2)], cost_band={"low": 1, "high": 300}), iterations=10)
    assert plain.budget == 300 and plain.budget_source == "cost_band.high"
    assert plain.to_dict()["jcl"]["budget_source"] == "cost_band.high"


def test_jcl_at_the_separate_p80s_is_about_two_thirds_not_80_percent(independent):
    at = independent.to_dict()["jcl"]["at_p80"]
    assert at["budget"] == pytest.approx(320, abs=3)
    # the P80 finish, 12.6 weeks = 88.2 days, is shown as day 89: P(finish by it) 0.857
    assert at["date"] == (dt.date(2027, 1, 4) + dt.timedelta(days=89)).isoformat()
    expected = (89 / 7 - 11) / 2 * 0.8
    assert abs(at["probability"] - expected) < prob_tol(expected, N) + 0.01  # + P80 noise
    assert at["probability"] < 0.8


def test_the_pairs_to_promise_hold_jointly(independent):
    r = independent
    p = r.jcl_promise(0.8)
    # earliest date at budget 390: P(f <= d) x 0.975 = 0.8 -> d = 11 + 2 x 0.8205
    assert p["weeks_at_budget"] == pytest.approx(11 + 2 * 0.8 / 0.975, abs=0.02)
    assert r.jcl(p["weeks_at_budget"], 390) >= 0.8
    assert r.jcl(p["weeks_at_budget"] - 1e-6, 390) < 0.8
    # least budget at the audit date: P(c <= B) x 0.9286 = 0.8 -> B = 400 x 0.8615
    p_date = (90 / 7 - 11) / 2
    assert p["budget_at_date"] == pytest.approx(400 * 0.8 / p_date, abs=3)
    assert r.jcl(budget=p["budget_at_date"]) >= 0.8
    assert r.jcl(budget=p["budget_at_date"] - 1e-6) < 0.8


def test_unreachable_pairs_are_none_not_a_number(independent):
    p = independent.jcl_promise(0.95)  # the audit date alone is met 92.9% of the time
    assert p["budget_at_date"] is None
    s = make([ws("a", {"dist": "uniform", "min": 11, "max": 13})],
             fixed_costs=[{"id": "fee", "cost": {"dist": "uniform", "min": 0, "max": 400}}],
             budget=200)
    assert simulate(s, iterations=10_000).jcl_promise(0.8)["date_at_budget"] is None


def test_the_document_carries_both_frontiers_and_their_promises(independent):
    j = independent.to_dict()["jcl"]
    assert set(j) >= {"date", "budget", "probability", "at_p80", "frontier", "promise"}
    assert set(j["frontier"]) == {"70", "80"} and set(j["promise"]) == {"70", "80"}
    for level, points in j["frontier"].items():
        assert points, level
        for pt in points:
            assert independent.jcl(pt["weeks"], pt["budget"]) >= int(level) / 100
    assert abs(j["probability"] - 0.929 * 0.975) < Z * np.sqrt(0.91 * 0.09 / N) + 0.003


def _stub(finish, cost):
    """What the frontier and the promise read of a result, for given finishes and costs."""
    from types import SimpleNamespace

    start = dt.date(2027, 1, 4)
    return SimpleNamespace(
        finish_of=lambda milestone: finish, cost=cost, budget=float(np.median(cost)),
        primary_target=SimpleNamespace(milestone="end", date=12.0),
        weeks=float, date_of=lambda w: start + dt.timedelta(days=int(np.ceil(w * 7))))


def test_frontier_and_promise_are_the_least_by_their_definition_ties_included():
    from riskmodel.analysis.joint import jcl_frontier, promise

    rng = np.random.default_rng(8)
    for n in (1, 7, 500, 4001):
        # finishes and costs on coarse grids, related: many ties in both
        finish = rng.integers(20, 60, n) / 4
        cost = np.round(finish * 10 + rng.integers(0, 40, n), -1)
        for confidence in (0.3, 0.7, 0.8, 0.95):
            need = int(np.ceil(confidence * n - 1e-9))
            frontier = jcl_frontier(_stub(finish, cost), confidence, points=25)
            expected = []
            f = np.sort(finish)
            for d in np.linspace(f[need - 1], f[-1], 25):
                by_then = np.sort(cost[finish <= d])
                if len(by_then) >= need:
                    expected.append((float(d), float(by_then[need - 1])))
            assert list(zip(frontier["weeks"], frontier["budget"])) == expected
            p = promise(_stub(finish, cost), confidence)
            within = np.sort(finish[cost <= np.median(cost)])
            on_time = np.sort(cost[finish <= 12.0 + 1e-12])
            assert p["weeks_at_budget"] == (within[need - 1] if len(within) >= need else None)
            assert p["budget_at_date"] == (on_time[need - 1] if len(on_time) >= need else None)
