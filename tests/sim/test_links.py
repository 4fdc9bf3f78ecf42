"""Dependency types (FS, SS, FF, SF) and leads: exact answers on toy networks, forward and
backward, on every kernels backend; and a simulation with a known answer.

Durations are working weeks; a network here is a list of workstreams, each a list of
links (predecessor, type, lag). Every figure is worked out by hand in the comments.
"""
from __future__ import annotations

import numpy as np
import pytest

from riskmodel import Scenario, simulate
from riskmodel.sim import kernels
from riskmodel.sim.network import (
    FF,
    FS,
    SF,
    SS,
    WorkCalendar,
    critical_mask,
    end_nodes,
    forward_pass,
    start_times,
    topological_order,
)


@pytest.fixture(params=kernels.available_backends(), autouse=True)
def backend(request):
    """Every test here runs on each backend this install has (compiled and NumPy)."""
    with kernels.using(request.param):
        yield request.param


def schedule(durations, links, calendar=None):
    """(start, finish, end, late start, late finish bound used for criticality: critical)
    of a one-iteration network, through the public passes."""
    m = len(durations)
    preds = [[p for p, _, _ in x] for x in links]
    types = [[t for _, t, _ in x] for x in links]
    lags = [[g for _, _, g in x] for x in links]
    succs, succ_lags, succ_types = ([[] for _ in range(m)] for _ in range(3))
    for j, x in enumerate(links):
        for p, t, g in x:
            succs[p].append(j)
            succ_lags[p].append(g)
            succ_types[p].append(t)
    order = topological_order(preds)
    d = np.array(durations, dtype=float).reshape(m, 1)
    finish = forward_pass(d, order, preds, lags, calendar, types=types)
    start = start_times(finish, order, preds, lags, types=types, duration=d, calendar=calendar)
    end = finish[end_nodes(succ_lags, succ_types)].max(axis=0)
    late_start = np.empty_like(d)
    critical = critical_mask(d, finish, end, order, succs, succ_lags, calendar,
                             succ_types=succ_types, scratch=late_start)
    return start[:, 0], finish[:, 0], float(end[0]), late_start[:, 0], critical[:, 0]


def check(got, start, finish, end, late_start, critical):
    s, f, e, ls, c = got
    np.testing.assert_allclose(s, start, rtol=0, atol=1e-12)
    np.testing.assert_allclose(f, finish, rtol=0, atol=1e-12)
    assert e == pytest.approx(end, abs=1e-12)
    np.testing.assert_allclose(ls, late_start, rtol=0, atol=1e-12)
    assert c.tolist() == critical


def test_finish_to_start_is_as_it_was():
    # A 2; B FS A: 2-5; the end 5; both critical
    check(schedule([2, 3], [[], [(0, FS, 0)]]), [0, 2], [2, 5], 5, [0, 2], [True, True])


def test_start_to_start_lets_the_work_overlap():
    # A 2; B 5 SS +1 after A: 1-6, end 6. A's finish holds nothing back, but its start
    # holds B's: late start 1 - 1 = 0, so A is critical too
    check(schedule([2, 5], [[], [(0, SS, 1)]]), [0, 1], [2, 6], 6, [0, 1], [True, True])


def test_a_start_to_start_predecessor_whose_start_drives_nothing_has_float():
    # A 5; B 2 SS +1 after A: 1-3; Z 10 alone: the end is 10. B's late start is 8, so
    # A's start may wait until 7 (SS), and its finish until 10 (the end): late start
    # min(10 - 5, 7) = 5, float 5; B's float 7; Z critical
    got = schedule([5, 2, 10], [[], [(0, SS, 1)], []])
    check(got, [0, 1, 0], [5, 3, 10], 10, [5, 8, 0], [False, False, True])
    np.testing.assert_allclose(got[3] - got[0], [5, 7, 0])  # total float


def test_the_end_counts_a_predecessor_that_finishes_after_its_successors():
    # A 10; B 2 SS +1 after A: 1-3. The end is A's finish, 10, not B's (B has float 7)
    check(schedule([10, 2], [[], [(0, SS, 1)]]), [0, 1], [10, 3], 10, [0, 8], [True, False])


def test_finish_to_finish():
    # A 4; B 2 FF +1 after A: finishes by 5 at the earliest, so starts 3. Backward: A's
    # late finish is B's 5 - 1 = 4: critical
    check(schedule([4, 2], [[], [(0, FF, 1)]]), [0, 3], [4, 5], 5, [0, 3], [True, True])


def test_finish_to_finish_never_starts_before_the_programme():
    # A 2; B 5 FF +1 after A: would start at 3 - 5 = -2, clamped to 0: 0-5. A may finish
    # as late as 5 - 1 = 4: float 2
    check(schedule([2, 5], [[], [(0, FF, 1)]]), [0, 0], [2, 5], 5, [2, 0], [False, True])


def test_start_to_finish():
    # A 3; B 2 SF +4 after A: finishes no earlier than A's start + 4 = 4, so 2-4. The end
    # is 4. Backward: B's late finish 4 less 4 bounds A's late start by 0: critical
    check(schedule([3, 2], [[], [(0, SF, 4)]]), [0, 2], [3, 4], 4, [0, 2], [True, True])


def test_a_lead_starts_the_successor_before_the_predecessor_finishes():
    # A 4; B 3 FS -1 after A (a lead): 3-6; A's late finish is B's late start + 1 = 4
    check(schedule([4, 3], [[], [(0, FS, -1)]]), [0, 3], [4, 6], 6, [0, 3], [True, True])


def test_a_lead_before_the_programme_start_is_clamped_to_zero():
    # A 1; B 3 FS -2 after A: 1 - 2 = -1, clamped to 0: 0-3. A's late finish is
    # min(end 3, B's late start 0 + 2) = 2: float 1 (B does not wait for A at all)
    check(schedule([1, 3], [[], [(0, FS, -2)]]), [0, 0], [1, 3], 3, [1, 0], [False, True])


def test_a_ladder_of_start_to_start_and_finish_to_finish():
    # A 4; B 3 SS +1 and FF +2 after A: starts >= 1 and finishes >= 6, so 3-6. Backward:
    # FF bounds A's late finish by 6 - 2 = 4 (its finish): critical; SS only by 3 - 1
    check(schedule([4, 3], [[], [(0, SS, 1), (0, FF, 2)]]), [0, 3], [4, 6], 6, [0, 3],
          [True, True])


def test_float_through_each_type_onto_a_longer_path():
    # Z 10 alone sets the end; each type gives A float 10 - (when it must be done)
    # A 2 -> B 3 by each type with lag 1; B is last, so its late finish is 10
    cases = {  # type: (B's start, A's late start)
        FS: (3, 10 - 3 - 1 - 2),     # B 3-6; A must finish by LS_B - 1 = 6
        SS: (1, 10 - 3 - 1),         # B 1-4; A must start by LS_B - 1 = 6 (finish by 10)
        FF: (0, 10 - 1 - 2),         # B 0-3 (clamped); A must finish by LF_B - 1 = 9
        SF: (0, 10 - 1),             # B 0-3; A must start by LF_B - 1 = 9 (> 10 - 2)
    }
    for kind, (b_start, a_late) in cases.items():
        got = schedule([2, 3, 10], [[], [(0, kind, 1)], []])
        a_late = min(a_late, 8)  # and A itself must finish by the end
        check(got, [0, b_start, 0], [2, b_start + 3, 10], 10, [a_late, 7, 0],
              [False, False, True])


def test_a_blackout_with_start_to_start_and_finish_to_finish():
    # weeks 2-4 do no work. A 3: 0-2, then 4-5. B 2 SS +1: starts 1, works 1-2 and 4-5.
    # C 1 FF +1: must finish by work(5 + 1) = 4 working weeks, so starts where 3 are
    # done: at 5, and finishes at 6 (the end).
    cal = WorkCalendar.from_blackouts([(2.0, 4.0, 0.0)])
    s, f, e, ls, c = schedule([3, 2, 1], [[], [(0, SS, 1)], [(0, FF, 1)]], cal)
    np.testing.assert_allclose(s, [0, 1, 5], atol=1e-12)
    np.testing.assert_allclose(f, [5, 5, 6], atol=1e-12)
    assert e == pytest.approx(6)
    # backward: C's late start 5; B's latest start with 2 weeks of work by 6 is 4 (the
    # blackout's end); A's late finish is C's 6 - 1 = 5, its finish: critical, B not
    np.testing.assert_allclose(ls, [0, 4, 5], atol=1e-12)
    assert c.tolist() == [True, False, True]


def test_start_times_apply_the_forward_rule_for_every_type():
    rng = np.random.default_rng(4)
    m, n = 12, 500
    preds = [sorted(set(rng.integers(0, j, 2).tolist())) if j else [] for j in range(m)]
    types = [rng.integers(0, 4, len(p)).tolist() for p in preds]
    lags = [rng.choice([-1.0, 0.0, 0.5], len(p)).tolist() for p in preds]
    d = rng.uniform(0, 3, (m, n))
    order = topological_order(preds)
    for cal in (None, WorkCalendar.from_blackouts([(1.0, 2.5, 0.0), (4.0, 6.0, 0.5)])):
        finish = forward_pass(d, order, preds, lags, cal, types=types)
        start = start_times(finish, order, preds, lags, types=types, duration=d,
                            calendar=cal)
        again = d + start if cal is None else cal.time(cal.work(start) + d)
        np.testing.assert_array_equal(again, finish)
        assert (start >= 0).all()
    with pytest.raises(ValueError, match="need the durations"):
        start_times(finish, order, preds, lags, types=types)


def test_without_types_every_link_is_finish_to_start():
    rng = np.random.default_rng(5)
    preds, lags = [[], [0], [0, 1]], [[], [0.5], [0.0, 1.0]]
    d = rng.uniform(0, 3, (3, 100))
    plain = forward_pass(d, [0, 1, 2], preds, lags)
    typed = forward_pass(d, [0, 1, 2], preds, lags, types=[[], [FS], [FS, FS]])
    np.testing.assert_array_equal(plain, typed)
    assert end_nodes([[0.5, 0.0], [1.0], []]) == [2]
    assert end_nodes([[0.5, -1.0], [1.0], []], [[SS, FS], [FF], []]) == [0, 1, 2]


# ---- through the engine -----------------------------------------------------------------

def ss_scenario(**more) -> Scenario:
    return Scenario.from_dict({
        "name": "start to start", "start_date": "2027-01-04", "audit_date": "2027-01-25",
        "roles": [{"id": "eng", "weekly_rate": 1000}],
        "workstreams": [
            {"id": "a", "duration": {"dist": "uniform", "min": 2, "max": 4},
             "staffing": {"eng": 1}},
            {"id": "b", "duration": 2, "staffing": {"eng": 1},
             "depends_on": [{"id": "a", "type": "SS", "lag": 1}]}],
        "simulation": {"iterations": 20_000, "seed": 11, "sampling": "random"}, **more})


def test_start_to_start_end_has_its_exact_mean_and_median():
    # end = max(A, 1 + 2) with A ~ uniform(2, 4): E = 0.5 x 3 + 0.5 x 3.5 = 3.25,
    # P(end <= 3) = P(A <= 3) = 0.5; audit 3 weeks after the start
    r = simulate(ss_scenario())
    n = r.finish.size
    se_mean = r.finish.std() / np.sqrt(n)  # sd is sqrt(0.1041...) = 0.32
    assert abs(r.finish.mean() - 3.25) < 4 * se_mean
    p = r.p_meet("2027-01-25")
    assert p == (r.finish <= 3).mean()
    assert abs(p - 0.5) < 4 * np.sqrt(0.25 / n)
    # A's start drives B's (A always critical); B critical where A < 3
    assert r.criticality_[0] == 1.0
    assert abs(r.criticality_[1] - 0.5) < 4 * np.sqrt(0.25 / n)


def test_typed_links_switch_risks_off_by_full_re_evaluation():
    # a risk on A, ranked: the run without it equals a run with it disabled, same draws
    risk = {"id": "slip", "probability": 0.4, "affects": ["a"], "delay": 1}
    s = ss_scenario(risks=[risk])
    from riskmodel.spec import build_spec

    assert not build_spec(s).sparse_risk_off
    r = simulate(s, iterations=3000)
    off = simulate(s, iterations=3000, disabled_risks=["slip"], rank_risks=False)
    np.testing.assert_array_equal(r.without_risk.dense("end", 0), off.finish)
    np.testing.assert_array_equal(r.without_risk.dense("cost", 0), off.cost)


def test_leads_keep_the_sparse_risk_off_exact():
    # FS links with a lead stay on the sparse path, and it still equals a re-run (the
    # cost to rounding: a risk's labour is the change in what it hits)
    s = Scenario.from_dict({
        "name": "lead", "start_date": "2027-01-04", "audit_date": "2027-02-15",
        "roles": [{"id": "eng", "weekly_rate": 1000}],
        "workstreams": [
            {"id": "a", "duration": {"dist": "uniform", "min": 2, "max": 4},
             "staffing": {"eng": 1}},
            {"id": "b", "duration": {"dist": "triangular", "min": 1, "mode": 2, "max": 4},
             "staffing": {"eng": 1}, "depends_on": [{"id": "a", "lag": -1.5}]},
            {"id": "c", "duration": 1, "depends_on": [{"id": "b", "lag": -3}]}],
        "risks": [{"id": "slip", "probability": 0.4, "affects": ["a"], "delay": 2}],
        "simulation": {"iterations": 3000, "seed": 3}})
    from riskmodel.spec import build_spec

    assert build_spec(s).sparse_risk_off
    r = simulate(s)
    off = simulate(s, disabled_risks=["slip"], rank_risks=False)
    np.testing.assert_array_equal(r.without_risk.dense("end", 0), off.finish)
    np.testing.assert_allclose(r.without_risk.dense("cost", 0), off.cost, rtol=1e-12)
    # c may start 3 weeks before b finishes: never before the programme's start
    assert (r.detail["finish"][2] >= 1 - 1e-6).all()


def test_the_gantt_draws_each_bar_from_its_start(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    s = Scenario.from_dict({
        "name": "gantt", "start_date": "2027-01-04", "audit_date": "2027-03-01",
        "workstreams": [
            {"id": "a", "duration": {"dist": "triangular", "min": 3, "mode": 4, "max": 6}},
            {"id": "b", "duration": {"dist": "triangular", "min": 2, "mode": 3, "max": 4},
             "depends_on": [{"id": "a", "type": "SS", "lag": 1}]},
            {"id": "c", "duration": 2, "depends_on": [{"id": "a", "type": "FF", "lag": 1}]},
            {"id": "d", "duration": 1, "depends_on": ["b", "c"]}],
        "simulation": {"iterations": 2000, "seed": 1}})
    r = simulate(s)
    table = r.workstreams()
    # plan: a 0-4; b SS+1: 1-4; c FF+1: finishes 5, so 3-5; d after both: 5-6
    np.testing.assert_allclose(table["plan_start"], [0, 1, 3, 5])
    np.testing.assert_allclose(table["plan_finish"], [4, 4, 5, 6])
    ax = r.plot.gantt()
    bars = ax.patches
    import matplotlib.dates as mdates

    lefts = [mdates.num2date(p.get_x()).date() for p in bars]
    assert [(d - s.start_date).days for d in lefts] == [0, 7, 21, 35]
    assert [p.get_width() for p in bars] == pytest.approx([28, 21, 14, 7])
    ax.figure.savefig(tmp_path / "gantt.png")
