"""People: the FTE each role is asked for and uses by week (against the definition), and
which role to name: the one most often over capacity, else the one nearest it."""
import numpy as np
import pandas as pd
import pytest

from riskmodel import simulate
from riskmodel.analysis.resources import _weekly, bottleneck, nearest_capacity, role_demand
from riskmodel.analysis.table import Table


def frame(p50, p90, capacity):
    return pd.DataFrame({"demand_p50": p50, "demand_p90": p90, "in_use_p50": p50,
                         "in_use_p90": p90, "capacity": capacity})


def columns(p50, p90, capacity):
    """The same as plain columns (what the summary document reads)."""
    f = frame(p50, p90, capacity)
    return Table("week", list(f.index), {c: f[c].to_numpy() for c in f})


@pytest.mark.parametrize("table", [frame, columns])
def test_bottleneck_is_the_role_over_capacity_in_the_most_weeks(table):
    demand = {"a": table([1, 2, 2], [2, 3, 3], [1, 1, 3]),   # over in week 1
              "b": table([2, 2, 1], [2, 2, 2], [1, 1, 1])}   # over in weeks 0 and 1
    assert bottleneck(demand) == ("b", [0, 1])
    assert bottleneck({"a": table([1, 1], [1, 1], [1, 1])}) is None  # at capacity: fine


@pytest.mark.parametrize("table", [frame, columns])
def test_nearest_capacity_is_the_highest_p90_share_of_capacity(table):
    demand = {"a": table([0, 0], [1.0, 1.5], [2, 2]),     # at most 75% of capacity
              "b": table([0, 0], [0.9, 0.0], [1, 0]),     # 90% (no capacity: not counted)
              "c": table([0, 0], [5.0, 5.0], [0, 0])}     # never any capacity: 0
    assert nearest_capacity(demand) == "b"
    assert nearest_capacity({}) is None
    # a week with no figure is passed over, as pandas' max(skipna=True) did
    assert nearest_capacity({"a": table([0, 0], [np.nan, 0.5], [1, 1]),
                             "b": table([0, 0], [0.9, 0.9], [1, 1])}) == "b"


def fte_by_week(start, finish, fte, weeks):
    """The definition, week by week: FTE times the share of week [k, k + 1) worked."""
    return np.array([fte @ np.clip(np.minimum(finish, k + 1) - np.maximum(start, k), 0, 1)
                     for k in range(weeks)])


def weekly(start, finish, fte, weeks):
    """``_weekly``'s table as a whole weeks x iterations array."""
    first, table = _weekly(start, finish, fte, weeks, np.empty((weeks + 2, start.shape[1])))
    out = np.zeros((weeks, start.shape[1]))
    out[first:first + len(table)] = table
    return out


def test_fte_by_week_by_hand():
    # 2 FTE over weeks 0.5 to 2.25, 1 FTE over 1 to 1 (no time), 3 FTE never needed
    start, finish = np.array([[0.5], [1.0], [0.0]]), np.array([[2.25], [1.0], [9.0]])
    table = weekly(start, finish, np.array([2.0, 1.0, 0.0]), 4)
    np.testing.assert_array_equal(table[:, 0], [1.0, 2.0, 0.5, 0.0])


def test_fte_by_week_is_its_definition_wherever_the_edges_fall():
    rng = np.random.default_rng(11)
    n = 3000
    start = rng.uniform(-3, 25, (9, n))
    start[:, :500] = np.round(start[:, :500])  # edges on whole weeks
    finish = start + rng.choice([0.0, 0.5, 3.0, 12.0], (9, 1)) * rng.uniform(0, 2, (9, n))
    finish[:, 500:1000] = np.ceil(finish[:, 500:1000])
    fte = np.array([0.5, 0.0, 1.0, 2.0, 0.0, 0.25, 1.0, 3.0, 0.5])
    for weeks in (1, 12, 40):  # work past the last week, and weeks after all of it
        expected = fte_by_week(start, finish, fte, weeks)
        np.testing.assert_allclose(weekly(start, finish, fte, weeks), expected,
                                   rtol=0, atol=1e-12)
    assert not weekly(start, finish, np.zeros(9), 12).any()
    assert np.signbit(weekly(start, finish, fte, 40)).sum() == 0  # no -0.0 to print
    # large FTEs: the running sum leaves nothing where nobody works; tiny ones are kept
    s, f = np.array([[3.64102655383659, 0], [3.8550375034528415, 0], [4.0975121109092045, 0]]), \
        np.array([[7.152281664812402, 11.5], [4.920002911038663, 0], [7.966909639271661, 0]])
    big = weekly(s, f, np.array([3333.3, 1e4, 1e4]), 12)
    assert not big[8:, 0].any() and big[3:8, 0].all()  # work from week 3 to week 7
    np.testing.assert_allclose(big, fte_by_week(s, f, np.array([3333.3, 1e4, 1e4]), 12),
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(weekly(s, f, np.full(3, 1e-13), 12),
                               fte_by_week(s, f, np.full(3, 1e-13), 12), rtol=1e-9, atol=0)


@pytest.mark.parametrize("people_wait", [False, True])
def test_role_demand_is_the_percentiles_of_the_definition(default_result, people_wait):
    from riskmodel.sim.block import start_of

    r = default_result
    if people_wait:  # one shared security engineer: the levelled schedule is not the free one
        s = r.scenario.with_changes({"roles": [{"id": "security_engineer", "capacity": 1.0}]})
        r = simulate(s, iterations=4000, seed=2)
        assert "free_start" in r.detail
    tables = role_demand(r)
    assert tables and set(tables) == set(r.spec.limited_roles)
    d = r.detail
    finish, duration = d["finish"].astype(float), d["duration"].astype(float)
    start = start_of(r.spec, finish, duration)
    free_s = d["free_start"].astype(float) if "free_start" in d else start
    free_f = d["free_finish"].astype(float) if "free_finish" in d else finish
    for k, role in enumerate(r.spec.limited_roles):
        table = tables[role]
        weeks = len(table)
        for name, (s, f) in (("demand", (free_s, free_f)), ("in_use", (start, finish))):
            by_week = fte_by_week(s, f, r.spec.demand[k], weeks)
            for q in (50, 90):
                np.testing.assert_allclose(table[f"{name}_p{q}"],
                                           np.percentile(by_week, q, axis=1), atol=1e-12)
