"""Risk impacts, the contingency split and the cost breakdown against runs made apart.

A risk's impact is defined on common random numbers: the run minus the same run with
the risk switched off. Each test re-computes it from two separate simulations with the
same seed (``disabled_risks`` keeps every draw), so the expected values are not the
code's own output.
"""
import numpy as np
import pytest

from riskmodel import load_scenario, simulate
from tests.conftest import DEFAULT, make, ws

N = 20_000


def toy():
    roles = [{"id": "eng", "weekly_rate": 1000}]
    return make(
        [ws("a", {"dist": "uniform", "min": 2, "max": 4}, staffing={"eng": 1}),
         ws("b", {"dist": "pert", "min": 1, "mode": 2, "max": 4}, ["a"],
            staffing={"eng": 2}),
         ws("c", {"dist": "uniform", "min": 1, "max": 5}, ["a"], staffing={"eng": 1})],
        roles=roles,
        overhead=[{"id": "pmo", "weekly_cost": 500}],
        risks=[{"id": "r1", "probability": 0.4, "affects": ["b"], "delay": 1, "cost": 2000},
               {"id": "r2", "probability": 0.3, "affects": ["c"],
                "delay": {"dist": "uniform", "min": 1, "max": 3}, "cost": 500},
               {"id": "r3", "probability": 0.2, "affects": ["a", "b"], "factor": 1.5}])


@pytest.fixture(scope="module")
def runs():
    s = toy()
    full = simulate(s, iterations=N, seed=3)
    apart = {r: simulate(s, iterations=N, seed=3, disabled_risks=[r]) for r in ("r1", "r2",
                                                                                 "r3")}
    none = simulate(s, iterations=N, seed=3, disabled_risks=["r1", "r2", "r3"])
    return full, apart, none


def test_each_impact_is_the_difference_with_and_without_the_risk(runs):
    full, apart, _ = runs
    rk = full.risks()
    for rid, alone in apart.items():
        assert rk.loc[rid, "mean_cost_impact"] == pytest.approx(
            full.cost.mean() - alone.cost.mean(), rel=1e-12)
        assert rk.loc[rid, "mean_finish_impact"] == pytest.approx(
            full.finish.mean() - alone.finish.mean(), rel=1e-12)
        for q in (80, 90):
            assert rk.loc[rid, f"p{q}_finish_shift"] == pytest.approx(
                np.percentile(full.finish, q) - np.percentile(alone.finish, q), abs=1e-12)
            assert rk.loc[rid, f"p{q}_cost_shift"] == pytest.approx(
                np.percentile(full.cost, q) - np.percentile(alone.cost, q), abs=1e-9)
        # own cost plus the time the risk adds is the whole impact
        assert rk.loc[rid, "own_cost"] + rk.loc[rid, "time_cost"] == pytest.approx(
            rk.loc[rid, "mean_cost_impact"])


def test_a_delay_on_a_path_with_float_adds_labour_but_little_time(runs):
    full, _, _ = runs
    rk = full.risks()
    # r1 delays b by exactly one week: its labour (2 FTE x 1000) for one week each time
    labour = 2 * 1000 * 1.0 * rk.loc["r1", "fired"]
    assert rk.loc["r1", "own_cost"] == pytest.approx(2000 * rk.loc["r1", "fired"])
    assert rk.loc["r1", "time_cost"] >= labour - 1e-9  # plus overhead while the end moves


def test_contingency_splits_into_estimates_and_risks_on_the_same_draws(runs):
    full, _, none = runs
    table = full.contingency_table()
    for level in (50, 70, 80, 90, 95):
        row = table.loc[f"p{level}"]
        free_w = np.percentile(none.finish, level)
        free_c = np.percentile(none.cost, level)
        assert row.from_estimates_weeks == pytest.approx(free_w - full.plan["finish"])
        assert row.from_risks_weeks == pytest.approx(np.percentile(full.finish, level) - free_w)
        assert row.from_estimates_cost == pytest.approx(free_c - full.plan["cost"])
        assert row.from_estimates_weeks + row.from_risks_weeks == pytest.approx(
            row.schedule_contingency_weeks)
    c = full.to_dict()["contingency"]
    assert set(c) == {"p50", "p70", "p80", "p90", "p95"}
    assert set(c["p80"]) == {"weeks", "cost", "from_risks", "from_estimates"}
    assert c["p80"]["from_risks"]["cost"] + c["p80"]["from_estimates"]["cost"] == \
        pytest.approx(c["p80"]["cost"])


def test_the_risk_free_run_inside_a_run_is_the_run_without_its_risks(runs):
    # the run without any risk, kept beside the run, equals a separate run with every
    # risk disabled: its finishes and its per-workstream sums bit for bit; its cost is
    # the run's less what the risks changed, so within rounding
    full, _, none = runs
    np.testing.assert_array_equal(full.no_risks["end"], none.finish)
    np.testing.assert_allclose(full.no_risks["cost"], none.cost, rtol=1e-14)
    np.testing.assert_array_equal(full.norisk_mean_duration_, none.mean_duration_)
    np.testing.assert_array_equal(full.norisk_mean_finish_, none.mean_finish_)


def test_without_risks_the_split_gives_everything_to_estimates():
    s = make([ws("a", {"dist": "uniform", "min": 2, "max": 4})])
    c = simulate(s, iterations=5000).contingency(0.8)
    assert c["from_risks"] == {"weeks": 0.0, "cost": 0.0}
    assert c["from_estimates"]["weeks"] == pytest.approx(c["weeks"])


def test_cost_breakdown_adds_up_and_keeps_what_risks_add_apart(runs):
    full, _, none = runs
    table = full.cost_breakdown()
    assert table["mean"].sum() == pytest.approx(full.cost.mean(), rel=1e-12)
    by = table.groupby("category")["mean"].sum()
    # the risk-free run's mean cost is everything but what the risks add
    assert by["time added by risks"] + by["risk events' own cost"] == pytest.approx(
        full.cost.mean() - none.cost.mean(), rel=1e-9)
    assert by["risk events' own cost"] == pytest.approx(full.risks()["own_cost"].sum())
    assert set(table.columns) == {"category", "item", "name", "role", "mean"}


def test_without_ranking_the_breakdown_still_adds_up_and_says_why_it_does_not_split():
    r = simulate(toy(), iterations=5000, rank_risks=False)
    table = r.cost_breakdown()
    assert table["mean"].sum() == pytest.approx(r.cost.mean(), rel=1e-12)
    assert "time added by risks" not in set(table["category"])
    assert "without risk ranking" in table.attrs["note"]
    assert "from_risks" not in r.contingency(0.8)


def test_shipped_scenario_risks_cost_more_than_their_own_cost():
    r = simulate(load_scenario(DEFAULT), iterations=N)
    by = r.cost_breakdown().groupby("category")["mean"].sum()
    own, added = by["risk events' own cost"], by["time added by risks"]
    assert own == pytest.approx(15_200, rel=0.05)  # probability x cost, summed
    assert added > own  # delays keep the team and overhead running
    rk = r.risks()
    assert (rk["mean_cost_impact"] >= rk["own_cost"] - 1e-9).all()
    assert list(rk.index) == list(rk.sort_values(["mean_finish_impact", "mean_cost_impact"],
                                                 ascending=False).index)


def test_tail_ranking_puts_a_rare_large_risk_first():
    # a 15% risk of +10 weeks moves P80 less than a common one-week slip, but it
    # dominates P90 and the mean (1.5 weeks expected against 0.5)
    s = make([ws("a", {"dist": "uniform", "min": 10, "max": 12})],
             risks=[{"id": "rare", "probability": 0.15, "affects": ["a"], "delay": 10},
                    {"id": "common", "probability": 0.5, "affects": ["a"], "delay": 1}])
    r = simulate(s, iterations=N)
    assert r.risks(by="p80").index[0] == "common"
    assert r.risks(by="p90").index[0] == "rare"
    assert r.risks().index[0] == "rare"
    with pytest.raises(ValueError):
        r.risks(by="nope")


@pytest.mark.parametrize("which", ["toy", "default"])
def test_the_shifts_are_those_of_each_risks_whole_vector_to_the_last_bit(runs, which,
                                                                         default_result):
    # the ranking reads percentiles from sorted parts; they are the dense vector's
    full = runs[0] if which == "toy" else default_result
    w, rk = full.without_risk, full.risks()
    for i, rid in enumerate(full.risk_ids):
        for name, what, run in (("end", "finish", full.finish), ("cost", "cost", full.cost)):
            alone = w.dense(name, i)
            assert rk.loc[rid, f"mean_{what}_impact"] == run.mean() - alone.mean()
            for q in (80, 90):
                assert rk.loc[rid, f"p{q}_{what}_shift"] == (np.percentile(run, q)
                                                             - np.percentile(alone, q))


@pytest.mark.parametrize("headline", ["end", "b"])
def test_the_p_meet_shift_is_the_change_in_the_odds_without_the_risk(headline):
    """P(headline target) with the risk minus without it, each from a run of its own;
    the headline on the programme's end, and on a milestone (where a risk can move the
    milestone and not the end)."""
    s = toy()
    if headline != "end":
        data = s.model_dump(mode="json", exclude_none=True)
        data.pop("audit_date", None)
        data["targets"] = [{"id": "mid", "milestone": headline, "date": "2027-02-15"}]
        s = type(s).from_dict(data)
    t = s.all_targets[0]
    assert t.milestone == headline
    full = simulate(s, iterations=N, seed=3)
    rk = full.risks()
    for rid in ("r1", "r2", "r3"):
        alone = simulate(s, iterations=N, seed=3, disabled_risks=[rid])
        assert rk.loc[rid, "p_meet_shift"] == pytest.approx(
            full.p_meet(t.date, t.milestone) - alone.p_meet(t.date, t.milestone), abs=1e-12)
        # r2 is on c, after a and beside b: it cannot move b
        assert (rk.loc[rid, "p_meet_shift"] != 0) == (headline == "end" or rid != "r2")
