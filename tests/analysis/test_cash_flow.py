"""Cash flow on the calendar: labour on working time, overhead on elapsed time."""
import numpy as np
import pytest

from riskmodel import load_scenario, simulate
from riskmodel.analysis.money import _labour_share
from tests.conftest import ROOT, make, ws


def one_workstream(weeks, blackouts=(), overhead=100):
    """One workstream at 1000 a working week (start 2027-01-04) and 100 a week overhead."""
    return make([ws("build", weeks, staffing={"dev": 1.0})],
                roles=[{"id": "dev", "weekly_rate": 1000}],
                overhead=[{"id": "pm", "weekly_cost": overhead}],
                calendar={"blackouts": list(blackouts)})


def cumulative(result):
    flow = result.cash_flow("W")
    assert (flow["p10"] == flow["p90"]).all()  # nothing is uncertain
    return flow["mean"].to_numpy()


def test_labour_stops_in_a_blackout_at_capacity_zero_and_overhead_does_not():
    # 3 working weeks from week 0; week 1 to 2 (11-18 Jan 2027) does not count as work:
    # labour 1000 by week 1, still 1000 at week 2, 2000 at week 3, 3000 at the finish
    # (week 4); overhead 100 every elapsed week, blackout or not
    s = one_workstream(3, [{"from": "2027-01-11", "to": "2027-01-18", "capacity": 0}])
    r = simulate(s, iterations=200)
    assert r.finish[0] == 4
    labour = np.array([0, 1000, 1000, 2000, 3000])
    overhead = 100 * np.arange(5)
    np.testing.assert_allclose(cumulative(r), labour + overhead)
    assert cumulative(r)[-1] == r.cost[0] == 3400


def test_labour_accrues_at_the_blackouts_capacity():
    # 2 working weeks; weeks 1-3 at quarter capacity: 1 week done by week 1, 1.25 by
    # week 2, 1.5 by week 3, the last half week by 3.5
    s = one_workstream(2, [{"from": "2027-01-11", "to": "2027-01-25", "capacity": 0.25}],
                       overhead=0)
    r = simulate(s, iterations=200)
    assert r.finish[0] == 3.5
    np.testing.assert_allclose(cumulative(r), [0, 1000, 1250, 1500, 2000])


def test_without_a_calendar_labour_accrues_evenly():
    r = simulate(one_workstream(4, overhead=0), iterations=200)
    np.testing.assert_allclose(cumulative(r), 1000 * np.arange(5))


def test_a_workstream_with_no_working_time_spends_at_its_finish():
    zero = np.array([0.0])
    finish = np.array([2.0])
    assert _labour_share(np.array(1.0), 1.0, finish, zero, finish) == 0
    assert _labour_share(np.array(2.0), 2.0, finish, zero, finish) == 1


def test_holiday_freeze_cash_curve_ends_at_the_cost_and_spends_less_in_the_freeze():
    path = ROOT / "data" / "scenarios" / "soc2_readiness_holiday_freeze.yaml"
    r = simulate(load_scenario(path), iterations=5000)
    flow = r.cash_flow("W")
    assert flow.iloc[-1]["mean"] == pytest.approx(r.cost.mean(), rel=1e-6)
    assert (np.diff(flow["p50"]) >= -1e-6).all()
    # the freeze is weeks 2-4 (21 Dec to 4 Jan): the median weekly spend there is
    # below the weeks either side, where the same people work at full pace
    spend = flow["spend_p50"].to_numpy()
    assert spend[3] < spend[2] and spend[4] < spend[5]


def test_a_re_forecast_s_cash_flow_ends_at_its_cost_actuals_included():
    """Recorded actual costs (``actual_cost``) count from the status date, so the curve
    still ends at each iteration's total cost."""
    from riskmodel import load_scenario
    from riskmodel.reforecast import reforecast
    from tests.conftest import DEFAULT, ROOT

    r = reforecast(load_scenario(DEFAULT), ROOT / "data/status/2027-01-25.yaml",
                   iterations=5_000)
    assert r.spec.cost_offset != 0  # the shipped status records an actual cost
    flow = r.cash_flow("W")
    assert flow.iloc[-1]["mean"] == pytest.approx(r.cost.mean(), rel=1e-6)
