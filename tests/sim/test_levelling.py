"""Levelling: workstreams wait for limited people. Exact answers from small networks.

Two workstreams of U(1, 3) weeks needing the one engineer run one after the other (end
A + B: mean 4, P(end <= 4) = 1/2); with two engineers side by side (end max(A, B): mean
2 + 1/3). Without capacities nothing changes, bit for bit; both backends agree bit for
bit on random networks with capacities, periods and calendars.
"""
import datetime as dt

import numpy as np
import pytest

from riskmodel import Scenario, ScenarioError, simulate
from riskmodel.scenario.changes import change_staffing
from riskmodel.sim import kernels
from riskmodel.sim.levelling import priority_order
from riskmodel.sim.network import WorkCalendar, forward_pass, levelled_pass
from tests.conftest import mean_tol, prob_tol
from tests.sim.test_backends import identical, needs_compiled

START = dt.date(2027, 1, 4)
N = 40_000


def week(w):
    return str(START + dt.timedelta(weeks=w))


def two(capacity, **extra):
    role = {"id": "eng", "weekly_rate": 1000,
            **({"capacity": capacity} if capacity is not None else {})}
    u13 = {"dist": "uniform", "min": 1, "max": 3}
    return Scenario.from_dict({
        "name": "two", "start_date": str(START), "simulation": {"seed": 3}, "roles": [role],
        "workstreams": [{"id": "a", "duration": u13, "staffing": {"eng": 1}},
                        {"id": "b", "duration": u13, "staffing": {"eng": 1}}],
        "targets": [{"id": "t", "date": week(4)}], **extra})


@pytest.mark.parametrize("backend", kernels.available_backends())
def test_one_engineer_runs_the_two_one_after_the_other(backend):
    with kernels.using(backend):
        r = simulate(two(1), iterations=N)
    assert r.finish.mean() == pytest.approx(4.0, abs=mean_tol(r.finish))
    assert r.p_meet(4) == pytest.approx(0.5, abs=prob_tol(0.5, N))
    # had nobody waited: the later of the two, on the same draws
    assert r.unlevelled["end"].mean() == pytest.approx(2 + 1 / 3, abs=mean_tol(r.finish))
    wait = r.finish - r.unlevelled["end"]
    assert np.all(wait >= 0) and wait.mean() == pytest.approx(4 - (2 + 1 / 3), abs=0.02)


def test_two_engineers_let_them_overlap():
    r = simulate(two(2), iterations=N)
    assert r.finish.mean() == pytest.approx(2 + 1 / 3, abs=mean_tol(r.finish))
    # two engineers for two workstreams: nobody can ever wait, so levelling is skipped
    assert r.unlevelled is None and r.spec.priority is None
    assert r.waiting()["p80_weeks"] == 0 and not r.waiting()["matters"]


def test_without_capacities_the_numbers_are_the_same_bit_for_bit():
    free = simulate(two(None), iterations=20_000)
    roomy = simulate(two(5), iterations=20_000)
    assert np.array_equal(free.finish, roomy.finish)
    assert np.array_equal(free.cost, roomy.cost)
    assert free.waiting() is None and roomy.waiting()["share_waiting"] == 0
    # ... and a levelled pass that never has to wait gives the same bits too
    from dataclasses import replace

    from riskmodel.sim.engine import evaluate, sample_block
    from riskmodel.spec import build_spec, with_priority

    spec = build_spec(two(5))
    forced = with_priority(spec)
    assert spec.priority is None and forced.priority is not None
    root = np.random.SeedSequence(1)
    draws = sample_block(spec, root, 0, 4096)
    a, b = evaluate(spec, draws), evaluate(forced, draws)
    assert np.array_equal(a.finish, b.finish) and np.array_equal(a.cost, b.cost)
    assert replace(forced, priority=None).levelling is False


def test_levelling_is_skipped_only_where_nobody_can_wait():
    from riskmodel import load_scenario
    from riskmodel.spec import build_spec
    from tests.conftest import DEFAULT

    base = load_scenario(DEFAULT)
    assert build_spec(base).priority is None  # the plan's own team
    shared = base.with_changes({"roles": [{"id": "security_engineer", "capacity": 1.0}]})
    assert build_spec(shared).priority is not None
    r = simulate(shared, iterations=20_000)
    wait = r.waiting()
    # API hardening (1 FTE) and logging (0.25) can no longer overlap: logging waits
    assert wait["matters"] and wait["p50_weeks"] > 1 and wait["p_meet_change"] < -0.2


def test_a_capacity_from_a_date_holds_work_until_then():
    # none before week 2, one from then: a starts at 2, b after a
    r = simulate(two([{"from": week(2), "fte": 1}]), iterations=N)
    assert r.finish.min() >= 4.0
    assert r.finish.mean() == pytest.approx(6.0, abs=mean_tol(r.finish))


def test_the_priority_is_plan_start_then_least_float_then_file_order():
    # c (long) and b (short) both start at 0: c has no float, so it goes first
    preds = [(), (), (), (0, 1)]
    start = np.array([0.0, 0.0, 0.0, 5.0])
    total_float = np.array([0.0, 3.0, 0.0, 0.0])
    assert priority_order(preds, start, total_float) == [0, 2, 1, 3]


def test_a_workstream_needing_more_than_exists_is_refused():
    with pytest.raises(ScenarioError, match=r"workstreams\[0\]\.staffing\.eng: 'a' needs 1 "
                                            r"FTE of eng, but roles\[0\]\.capacity has 0\.5"):
        two(0.5)
    with pytest.raises(ScenarioError, match=r"roles\[0\]\.capacity: periods must be in date"):
        two([{"from": week(3), "fte": 1}, {"from": week(1), "fte": 2}])


def random_network(rng, m=12, n=257, roles=3, calendar=None):
    preds = [tuple(sorted(set(rng.choice(j, size=min(j, rng.integers(0, 3)), replace=False))))
             if j else () for j in range(m)]
    lags = [tuple(float(rng.choice([0.0, 0.5, -0.25])) for _ in p) for p in preds]
    types = [tuple(int(rng.integers(0, 4)) for _ in p) for p in preds]
    duration = rng.uniform(0.5, 3.0, size=(m, n))
    demand = np.where(rng.random((roles, m)) < 0.4, rng.choice([0.25, 0.5, 1.0], (roles, m)),
                      0.0)
    capacity = [(np.array([-np.inf]), np.array([1.0])),
                (np.array([-np.inf, 2.0]), np.array([1.0, 1.5])),
                (np.array([-np.inf, 1.0, 4.0]), np.array([1.0, 0.5, 1.25]))][:roles]
    pinned = np.full(m, np.nan)
    pinned[1] = 0.5
    order = priority_order(preds, rng.random(m), rng.random(m))
    return dict(duration=duration, order=order, preds=preds, lags=lags, calendar=calendar,
                earliest=np.where(rng.random(m) < 0.2, 1.0, np.nan), pinned=pinned,
                types=types, demand=demand, capacity=capacity)


@needs_compiled
@pytest.mark.parametrize("seed", range(6))
def test_both_backends_level_the_same_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    calendar = WorkCalendar.from_blackouts([(1.5, 2.5, 0.0), (4.0, 5.0, 0.5)]) if seed % 2 \
        else None
    net = random_network(rng, calendar=calendar)

    def run():
        d = net.copy()
        return levelled_pass(d.pop("duration"), d.pop("order"), d.pop("preds"), d.pop("lags"),
                             d.pop("calendar"), d.pop("earliest"), d.pop("pinned"), **d)

    with kernels.using("compiled"):
        s1, f1 = run()
    with kernels.using("numpy"):
        s2, f2 = run()
    identical(s1, s2)
    identical(f1, f2)


@pytest.mark.parametrize("seed", range(4))
def test_a_levelled_schedule_never_overfills_a_role(seed):
    rng = np.random.default_rng(100 + seed)
    net = random_network(rng, n=64)
    d = dict(net)
    start, finish = levelled_pass(d.pop("duration"), d.pop("order"), d.pop("preds"),
                                  d.pop("lags"), d.pop("calendar"), d.pop("earliest"),
                                  d.pop("pinned"), **d)
    free = forward_pass(net["duration"], net["order"], net["preds"], net["lags"], None,
                        net["earliest"], net["pinned"], types=net["types"])
    assert np.all(finish >= free - 1e-12)  # waiting never makes anything earlier...
    # ... and at every start, each role's running demand fits its capacity
    for r, (times, fte) in enumerate(net["capacity"]):
        for i in range(start.shape[1]):
            for p in start[:, i]:
                running = (start[:, i] <= p) & (p < finish[:, i])
                used = net["demand"][r] @ running
                cap = fte[np.searchsorted(times, p, side="right") - 1]
                pinned_there = running & ~np.isnan(net["pinned"]) & (net["demand"][r] > 0)
                if not pinned_there.any():  # an actual start is kept even when over
                    assert used <= cap + 1e-9


def test_adding_people_raises_capacity_and_respects_skills():
    s = two(1)
    more = change_staffing(s, "a", {"eng": 2}, onboarding=0, hire=True)
    assert more.roles[0].capacity == 2
    with pytest.raises(ScenarioError, match="'a' needs 2 FTE of eng"):
        change_staffing(s, "a", {"eng": 2}, onboarding=0, hire=False)


def test_onboarding_delays_the_effect_of_added_people_by_exactly_the_lag():
    s = Scenario.from_dict({
        "name": "onboard", "start_date": str(START),
        "roles": [{"id": "dev", "weekly_rate": 1000}, {"id": "qa", "weekly_rate": 500}],
        "workstreams": [{"id": "w", "duration": 10, "staffing": {"dev": 1, "qa": 1},
                         "skills": ["dev"]}],
        "targets": [{"id": "t", "date": week(20)}]})
    # doubling the developers: factor 2 ** -0.5; the first L weeks at the old pace
    f = 2 ** -0.5
    for lag in (0, 2, 3.5):
        new = change_staffing(s, "w", {"dev": 2}, onboarding=lag, arrives=0)
        assert new.workstream("w").duration.plan_value == pytest.approx(lag + f * (10 - lag))
    # a lag past the work's end changes the duration not at all (the cost, yes)
    late = change_staffing(s, "w", {"dev": 2}, onboarding=12, arrives=0)
    assert late.workstream("w").duration.plan_value == 10
    # a role that cannot do the work is refused; a supporting one changes cost only
    with pytest.raises(ScenarioError, match="cannot do the work of 'w'"):
        change_staffing(s, "w", {"pm": 1})
    support = change_staffing(s, "w", {"qa": 3})
    assert support.workstream("w").duration.plan_value == 10
    with pytest.raises(ScenarioError, match="needs someone who can do the work"):
        change_staffing(s, "w", {"dev": 0})


def test_people_arriving_later_count_from_the_workstreams_planned_start():
    s = Scenario.from_dict({
        "name": "arrive", "start_date": str(START),
        "roles": [{"id": "dev", "weekly_rate": 1000, "lead_time": 6}],
        "workstreams": [{"id": "first", "duration": 4},
                        {"id": "w", "duration": 10, "depends_on": ["first"],
                         "staffing": {"dev": 1}}],
        "targets": [{"id": "t", "date": week(20)}]})
    f = 2 ** -0.5
    # hired at the start, on board at week 6: 2 weeks into w (planned start 4), +1 onboarding
    new = change_staffing(s, "w", {"dev": 2})
    assert new.workstream("w").duration.plan_value == pytest.approx(3 + f * (10 - 3))
    early = change_staffing(s, "w", {"dev": 2}, arrives=1, onboarding=0)
    assert early.workstream("w").duration.plan_value == pytest.approx(f * 10)
