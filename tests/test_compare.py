"""Comparisons: deltas equal separate runs with the same seed; cost of delay; options."""
import numpy as np
import pytest

import riskmodel as rm
from tests.conftest import DEFAULT, make, ws

N = 20_000


@pytest.fixture(scope="module")
def scenarios():
    base = rm.load_scenario(DEFAULT)
    return {"baseline": base,
            "contractor": rm.change_staffing(base, "sf_permissions", {"sf_developer_contract": 2}),
            "later": rm.move_dates(base, audit_weeks_later=2)}


def test_deltas_equal_the_difference_of_separate_runs(scenarios):
    c = rm.compare(scenarios, iterations=N, seed=5)
    d = c.deltas()
    a = rm.simulate(scenarios["baseline"], iterations=N, seed=5)
    b = rm.simulate(scenarios["contractor"], iterations=N, seed=5)
    assert d.loc["contractor", "p_meet"] == pytest.approx(
        b.p_meet("2027-03-01") - a.p_meet("2027-03-01"), abs=1e-15)
    assert d.loc["contractor", "cost_mean"] == pytest.approx(b.cost.mean() - a.cost.mean())
    assert d.loc["later", "target_date_days"] == 14
    assert (d.loc["baseline"] == 0).all()


def test_cost_of_delay_is_weekly_rate_times_expected_lateness():
    s = make([ws("a", {"dist": "uniform", "min": 10, "max": 14})],
             cost_of_delay={"weekly": 1000})  # audit at 12 weeks
    r = rm.simulate(s, iterations=100_000, sampling="random")
    cod = r.cost_of_delay().loc["audit"]
    # Y = max(0, U(10,14) - 12): E[Y] = 0.5 weeks, E[Y^2] = 2/3
    se = np.sqrt(2 / 3 - 0.25) / np.sqrt(100_000)
    assert cod["expected_weeks_late"] == pytest.approx(0.5, abs=4.5 * se)
    assert cod["expected_cost_of_delay"] == pytest.approx(1000 * cod["expected_weeks_late"])
    assert r.economic_cost() == pytest.approx(r.cost.mean() + cod["expected_cost_of_delay"])


def test_cheapest_option_that_reaches_the_target(scenarios):
    base = scenarios["baseline"]
    table = rm.cheapest_to_reach(base, {
        "contractor": scenarios["contractor"],
        "two contractors": rm.change_staffing(base, "sf_permissions",
                                              {"sf_developer_contract": 3})}, p_target=0.55,
        iterations=N)
    assert table.index[0] == "contractor" and table.iloc[0]["reaches"]
    assert not table.loc["baseline", "reaches"]
    assert table.loc["two contractors", "cost_mean"] > table.loc["contractor", "cost_mean"]


def test_comparison_plot_and_mitigation_value(scenarios):
    import matplotlib

    matplotlib.use("Agg")
    c = rm.compare({"baseline": scenarios["baseline"], "later": scenarios["later"]},
                   iterations=5000)
    ax = c.plot(lw=3.5)  # keywords go on to every curve
    curves = [ln for ln in ax.get_lines() if ":" in ln.get_label()]
    assert len(curves) == 2 and {ln.get_linewidth() for ln in curves} == {3.5}
    value = c.mitigation_value()
    assert value.loc["later", "extra_spend"] == 0
    assert value.loc["later", "cost_of_delay_saved"] > 0


def test_cheapest_to_reach_searches_staffing_moves_on_the_same_draws():
    from riskmodel import Scenario, simulate
    from riskmodel.compare import cheapest_to_reach

    s = Scenario.from_dict({
        "name": "moves", "start_date": "2027-01-04", "simulation": {"seed": 5},
        "roles": [{"id": "dev", "weekly_rate": 1000, "capacity": 1},
                  {"id": "qa", "weekly_rate": 800, "capacity": 1}],
        "workstreams": [{"id": "a", "duration": 10, "staffing": {"dev": 1}},
                        {"id": "b", "duration": {"dist": "uniform", "min": 8, "max": 12},
                         "staffing": {"qa": 1}}],
        "targets": [{"id": "audit", "date": "2027-03-15"}]})  # 10 weeks
    moves = {"+1 dev on a": {"workstream": "a", "staffing": {"dev": 2}, "arrives": 0,
                             "onboarding": 0},
             "+1 qa on b": {"workstream": "b", "staffing": {"qa": 2}, "arrives": 0,
                            "onboarding": 0}}
    table = cheapest_to_reach(s, moves=moves, iterations=20_000, rank_risks=False)
    # b alone decides: P(b <= 10) = 1/2; twice the QA: b x 2 ** -0.5 <= 8.5 < 10 always
    assert table.index[0] == "+1 qa on b" and table.iloc[0]["p_meet"] == 1.0
    assert set(table.index) == {"baseline", "+1 dev on a", "+1 qa on b",
                                "+1 dev on a + +1 qa on b"}
    # common random numbers: the baseline is the scenario's own run, and the dev move,
    # which does not touch b, changes nothing of P(meet)
    alone = simulate(s, iterations=20_000, rank_risks=False)
    assert table.loc["baseline", "p_meet"] == alone.p_meet("2027-03-15")
    assert table.loc["+1 dev on a", "p_meet"] == table.loc["baseline", "p_meet"]
    # a budget below the qa move's cost leaves nothing reaching
    tight = cheapest_to_reach(s, moves=moves, iterations=20_000, rank_risks=False,
                              budget=table.loc["baseline", "cost_mean"] + 1)
    assert not tight["reaches"].any()


def test_a_label_that_would_replace_the_baseline_or_another_is_refused(scenarios):
    from riskmodel.compare import cheapest_to_reach, staffing_options

    base = scenarios["baseline"]
    move = {"workstream": "sf_permissions", "staffing": {"sf_developer_contract": 2}}
    with pytest.raises(rm.ScenarioError) as info:
        cheapest_to_reach(base, {"baseline": scenarios["later"]}, iterations=100)
    assert str(info.value) == ("cheapest_to_reach: 'baseline' labels the base scenario; give "
                               "the option or move labelled 'baseline' another label")
    with pytest.raises(rm.ScenarioError, match="'baseline' labels the base scenario"):
        cheapest_to_reach(base, moves={"baseline": move}, iterations=100)
    with pytest.raises(rm.ScenarioError) as info:
        cheapest_to_reach(base, {"contractor": scenarios["contractor"]},
                          moves={"contractor": move}, iterations=100)
    assert str(info.value) == ("cheapest_to_reach: 'contractor' labels both an option and a "
                               "staffing move; give one of them another label")
    with pytest.raises(rm.ScenarioError) as info:
        staffing_options(base, {"a": move, "b": move, "a + b": move})
    assert str(info.value) == ("staffing options: the label 'a + b' is both a move and a "
                               "combination of moves; rename the move")
