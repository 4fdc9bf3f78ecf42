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
    ax = c.plot()
    assert len([ln for ln in ax.get_lines() if ":" in ln.get_label()]) == 2
    value = c.mitigation_value()
    assert value.loc["later", "extra_spend"] == 0
    assert value.loc["later", "cost_of_delay_saved"] > 0
