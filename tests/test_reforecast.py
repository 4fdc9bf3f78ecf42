"""Re-forecasts condition on what happened, and the trail and its explanation add up.

Exact answers: conditioned estimates against their closed-form CDFs, costs of
fixed-duration programmes computed by hand, Shapley values against the average over
all orders. Monte Carlo tolerances come from tests/conftest.py.
"""
import ast
import datetime as dt
import itertools
import math

import numpy as np
import pytest
import yaml
from scipy import special

import riskmodel as rm
from riskmodel.cli import main
from riskmodel.conditioning import apply_status
from riskmodel.reforecast import METHOD, explain_change, forecast_trail, reforecast, shapley
from riskmodel.scenario.status import Status, load_status
from riskmodel.sim.distributions import Conditioned, from_spec
from tests.conftest import DEFAULT, ROOT, make, mean_tol, prob_tol, ws

STATUS = ROOT / "data" / "status"
N = 20_000


@pytest.fixture(scope="module")
def base():
    return rm.load_scenario(DEFAULT)


def weeks(base, day):
    return base.weeks_from_start(dt.date.fromisoformat(day))


def status_file(tmp_path, data, name="status.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


# -- CDFs and the conditioned distribution -------------------------------------------

Z10 = float(special.ndtri(0.1))


@pytest.mark.parametrize("spec,x,p", [
    (3, 3, 1.0), (3, 2.999, 0.0),
    ({"dist": "uniform", "min": 4, "max": 6}, 5.5, 0.75),
    ({"dist": "triangular", "min": 1, "mode": 2, "max": 6}, 2, 1 / 5),
    ({"dist": "triangular", "min": 1, "mode": 2, "max": 6}, 4, 1 - 4 / 20),
    ({"dist": "triangular", "min": 1, "mode": 1, "max": 6}, 1, 0.0),
    ({"dist": "triangular", "min": 1, "mode": 6, "max": 6}, 6, 1.0),
    ({"dist": "trigen", "low": 2, "mode": 3, "high": 6}, 2, 0.1),
    ({"dist": "trigen", "low": 2, "mode": 3, "high": 6}, 6, 0.9),
    ({"dist": "pert", "min": 2.5, "mode": 3.5, "max": 4.5}, 3.5, 0.5),
    # alpha 2, beta 4: I_1/2(2, 4) = sum over j = 2..5 of C(5, j) / 2^5
    ({"dist": "pert", "min": 0, "mode": 1, "max": 4}, 2, (10 + 10 + 5 + 1) / 32),
    ({"dist": "lognormal", "median": 2, "p90": 5}, 2, 0.5),
    ({"dist": "lognormal", "p10": 1, "p90": 4}, 4, 0.9),
    ({"dist": "lognormal", "p10": 1, "p90": 4}, -1, 0.0),
    ({"dist": "normal", "mean": 1, "sd": 1}, 1,
     (0.5 - special.ndtr(-1)) / (1 - special.ndtr(-1))),
    ({"dist": "normal", "mean": 1, "sd": 1}, -0.5, 0.0),
    ({"dist": "empirical", "values": [1, 2, 2, 7]}, 2, 0.75),
    ({"dist": "empirical", "values": [1, 2, 2, 7]}, 1.5, 0.25),
])
def test_every_family_has_its_closed_form_cdf(spec, x, p):
    assert float(from_spec(spec).cdf(np.array(x))) == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("spec", [
    {"dist": "uniform", "min": 4, "max": 6},
    {"dist": "triangular", "min": 1, "mode": 2, "max": 6},
    {"dist": "trigen", "low": 2, "mode": 3, "high": 6},
    {"dist": "pert", "min": 2, "mode": 3, "max": 7},
    {"dist": "lognormal", "median": 2, "p90": 5},
    {"dist": "normal", "mean": 1, "sd": 1},
], ids=lambda s: s["dist"])
def test_cdf_inverts_the_ppf(spec):
    d = from_spec(spec)
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(d.cdf(d.ppf(u)), u, atol=1e-8)  # PERT's tables: 2e-8 of range


def test_conditioned_draws_the_upper_part_of_the_estimate():
    d = from_spec({"dist": "uniform", "min": 4, "max": 6}).given_above(5)
    assert isinstance(d, Conditioned) and d.support == (5, 6)
    np.testing.assert_allclose(d.ppf(np.array([0, 0.25, 0.5])), [5, 5.25, 5.5])
    np.testing.assert_allclose(d.cdf(np.array([4.5, 5.5, 7])), [0, 0.5, 1])
    assert d.plan_value == 5  # past the plan value: the time spent
    assert from_spec({"dist": "uniform", "min": 4, "max": 6}).given_above(3).describe() == \
        "uniform(4, 6)"  # nothing at or below 3: unchanged


def test_conditioned_rows_go_to_their_own_rows_whatever_the_base_family():
    bases = [{"dist": "pert", "min": 2, "mode": 3, "max": 7},
             {"dist": "triangular", "min": 1, "mode": 2, "max": 6},
             {"dist": "pert", "min": 1, "mode": 1.5, "max": 3}]
    dists = [from_spec(b).given_above(lo) for b, lo in zip(bases, (3.5, 2.5, 1.2))]
    u = np.random.default_rng(3).random((3, 40))
    out = np.full((5, 40), -1.0)
    Conditioned.ppf_rows_into(dists, u, out, [4, 0, 2])
    for d, row, k in zip(dists, u, (4, 0, 2)):
        np.testing.assert_allclose(out[k], d.ppf(row), rtol=1e-14)
        exact = (d.base.cdf(out[k]) - d.p_lo) / (1 - d.p_lo)
        np.testing.assert_allclose(exact, row, atol=1e-8)
    assert (out[[1, 3]] == -1).all()


def test_an_empirical_estimate_conditions_exactly_on_its_steps():
    values = list(range(1, 50))  # 1/49 * 49 rounds below 1: the exact route avoids it
    d = from_spec({"dist": "empirical", "values": values}).given_above(1)
    assert d.describe() == "empirical(48 values)"
    assert d.sample(np.array([0.0])) == 2


# -- conditioning a started workstream -------------------------------------------------

def test_started_without_progress_is_conditioned_on_the_time_spent():
    # uniform(4, 6) started at week 0, seen at week 5 with no progress reported:
    # the finish is uniform(5, 6), so P(finish <= 5.5) = 0.5 and never before 5
    s = make([ws("a", {"dist": "uniform", "min": 4, "max": 6})])
    status = Status.from_dict({"as_of": "2027-02-08", "workstreams": {
        "a": {"actual_start": "2027-01-04"}}})
    r = reforecast(s, status, iterations=N)
    assert r.finish.min() >= 5 and r.finish.max() <= 6
    assert abs(np.mean(r.finish <= 5.5) - 0.5) <= prob_tol(0.5, N)
    assert abs(r.finish.mean() - 5.5) <= mean_tol(r.finish)
    # common random numbers: the same uniform as the plan's, 4 + 2u -> 5 + u
    plan = rm.simulate(s, iterations=N)
    np.testing.assert_allclose(r.finish, 3 + plan.finish / 2, rtol=1e-14)


def test_a_conditioned_pert_follows_its_closed_form():
    # PERT(2.5, 3.5, 4.5) (alpha = beta = 3), started at week 0 and seen 24 days in
    # with no progress: P(duration <= 4) = (F(4) - F(spent)) / (1 - F(spent)), F the
    # regularised incomplete beta I_x(3, 3) at x = (t - 2.5) / 2
    s = make([ws("a", {"dist": "pert", "min": 2.5, "mode": 3.5, "max": 4.5})])
    status = Status.from_dict({"as_of": "2027-01-28", "workstreams": {  # 3.43 weeks
        "a": {"actual_start": "2027-01-04"}}})
    spent = 24 / 7
    r = reforecast(s, status, iterations=N)
    f4, fs = special.betainc(3, 3, np.array([4.0 - 2.5, spent - 2.5]) / 2)
    p = (f4 - fs) / (1 - fs)
    assert r.finish.min() >= spent
    assert abs(np.mean(r.finish <= 4.0) - p) <= prob_tol(p, N)


def test_percent_complete_at_the_planned_pace_scales_the_estimate():
    s = make([ws("a", {"dist": "uniform", "min": 4, "max": 6})])  # start 2027-01-04
    status = Status.from_dict({"as_of": "2027-01-18", "workstreams": {
        "a": {"actual_start": "2027-01-04", "percent_complete": 50}}})
    assert status.pace_of("a") == "planned"  # the default
    r = reforecast(s, status, iterations=N)
    # finish = status date (week 2) + 50% of U(4, 6) = 2 + U(2, 3)
    assert r.finish.min() >= 4 - 1e-9 and r.finish.max() <= 5 + 1e-9
    assert abs(r.finish.mean() - 4.5) <= mean_tol(r.finish)


@pytest.mark.parametrize("where", ["workstream", "file"])
def test_percent_complete_at_the_observed_pace(where):
    # 50% in 2 weeks: 2 more weeks at that pace; U(4, 6) (plan value 5) scaled by 2/5
    # keeps its relative spread: U(1.6, 2.4), so the finish is 2 + U(1.6, 2.4)
    s = make([ws("a", {"dist": "uniform", "min": 4, "max": 6})])
    a = {"actual_start": "2027-01-04", "percent_complete": 50}
    data = {"as_of": "2027-01-18", "workstreams": {"a": a}}
    if where == "file":
        data["pace"] = "observed"
    else:
        a["pace"] = "observed"
    r = reforecast(s, Status.from_dict(data), iterations=N)
    assert r.finish.min() >= 3.6 - 1e-9 and r.finish.max() <= 4.4 + 1e-9
    assert abs(r.finish.mean() - 4.0) <= mean_tol(r.finish)


# -- errors name the status file -------------------------------------------------------

def test_time_spent_past_the_maximum_needs_remaining(tmp_path):
    s = make([ws("sf_permissions", {"dist": "pert", "min": 2.5, "mode": 3.5, "max": 4.5})])
    data = {"as_of": "2027-02-05", "workstreams": {  # 32 days = 4.57 weeks
        "sf_permissions": {"actual_start": "2027-01-04"}}}
    path = status_file(tmp_path, data)
    with pytest.raises(rm.ScenarioError) as exc:
        reforecast(s, path, iterations=100)
    assert exc.value.lines == [(f"{path}: workstreams.sf_permissions: 4.57 weeks spent "
                                "exceed the estimate's maximum of 4.5; give remaining")]
    data["workstreams"]["sf_permissions"]["remaining"] = 1
    r = reforecast(s, status_file(tmp_path, data), iterations=100)
    assert np.allclose(r.finish, 32 / 7 + 1)


def test_every_problem_names_the_status_file(tmp_path):
    s = make([ws("a", 2), ws("b", {"dist": "uniform", "min": 1, "max": 2})])
    path = status_file(tmp_path, {"as_of": "2027-01-25", "spent_to_date": 100, "workstreams": {
        "a": {"actual_cost": 500, "pace": "observed"},
        "b": {"actual_start": "2027-01-04", "percent_complete": 0, "pace": "observed"},
        "c": {"actual_start": "2027-01-04"}}})
    with pytest.raises(rm.ScenarioError) as exc:
        reforecast(s, path, iterations=100)
    lines = exc.value.lines
    assert len(lines) == 4 and all(line.startswith(f"{path}: ") for line in lines)
    assert any("workstreams.a.pace: " in line for line in lines)
    assert any("workstreams.a.actual_cost: actual_cost needs an actual_start" in line
               for line in lines)
    assert any("spent_to_date: 100 is less than the workstreams' actual_cost total 500"
               in line for line in lines)
    assert any("unknown workstream 'c'" in line for line in lines)
    fixed = yaml.safe_load(path.read_text())
    del fixed["workstreams"]["a"], fixed["workstreams"]["c"], fixed["spent_to_date"]
    with pytest.raises(rm.ScenarioError) as exc:
        reforecast(s, status_file(tmp_path, fixed), iterations=100)
    assert exc.value.lines == [(f"{tmp_path / 'status.yaml'}: workstreams.b: percent_complete"
                                " 0 gives no observed pace; use pace: planned or give "
                                "remaining")]


@pytest.mark.parametrize("status,message", [
    ({"as_of": "2027-01-11", "workstreams": {"gap": {"actual_finish": "2026-12-20"}}},
     "unknown workstream 'gap' (did you mean 'gap_analysis'?)"),
    ({"as_of": "2027-01-11", "workstreams": {"gap_analysis": {"actual_finish": "2026-12-20"}}},
     "actual_finish needs an actual_start"),
    ({"as_of": "2027-01-11", "workstreams": {"gap_analysis": {
        "actual_start": "2026-12-07", "actual_finish": "2027-02-01"}}}, "is after as_of"),
    ({"as_of": "2027-01-11", "workstreams": {"sf_permissions": {
        "actual_start": "2026-12-21", "percent_complete": 150}}},
     "less than or equal to 100"),
    ({"as_of": "2027-01-11", "workstreams": {"sf_permissions": {
        "actual_start": "2026-12-21", "percent_complete": 15, "pace": "fast"}}},
     "workstreams.sf_permissions.pace"),
    ({"as_of": "2027-01-11", "risks": {"evidence_gap": "retired"}},
     "unknown risk 'evidence_gap'"),
    ({"as_of": "2027-01-11", "risks": {"evidence_gaps": "gone"}}, "risks.evidence_gaps"),
    ({"as_of": "2026-11-01"}, "before the scenario's start_date"),
])
def test_bad_status_files_exit_2(tmp_path, capsys, status, message):
    path = status_file(tmp_path, status)
    assert main(["reforecast", str(DEFAULT), str(path), "--iterations", "100"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert all(line.startswith(f"{path}: ") for line in err.strip().splitlines())


# -- risks -----------------------------------------------------------------------------

def test_retired_and_occurred_risks(base):
    status = Status.from_dict({"as_of": "2026-12-07", "risks": {
        "evidence_gaps": "occurred", "permission_sprawl": "retired"}})
    rk = reforecast(base, status, iterations=10_000).risks()
    assert rk.loc["evidence_gaps", "fired"] == 1 and rk.loc["permission_sprawl", "fired"] == 0


def test_risks_on_finished_work_retire_unless_they_occurred():
    # a: 2 weeks at $1,000/wk -> b: 3 weeks at $2,000/wk; a risk on a (p 0.5, $1,000,
    # +1 week). a finished on time: the risk retires, cost is exactly 2,000 + 6,000
    roles = [{"id": "eng", "weekly_rate": 1000}]
    s = make([ws("a", 2, staffing={"eng": 1}), ws("b", 3, ["a"], staffing={"eng": 2})],
             roles=roles, risks=[{"id": "slip", "probability": 0.5, "affects": ["a"],
                                  "delay": 1, "cost": 1000}])
    a = {"actual_start": "2027-01-04", "actual_finish": "2027-01-18"}
    r = reforecast(s, Status.from_dict({"as_of": "2027-01-18", "workstreams": {"a": a}}),
                   iterations=1000)
    assert r.risks().loc["slip", "fired"] == 0
    np.testing.assert_allclose(r.cost, 8000)
    occurred = Status.from_dict({"as_of": "2027-01-18", "workstreams": {"a": a},
                                 "risks": {"slip": "occurred"}})
    np.testing.assert_allclose(reforecast(s, occurred, iterations=1000).cost, 9000)


def test_the_shipped_status_retires_risks_on_finished_work(base):
    r = reforecast(base, STATUS / "2027-01-25.yaml", iterations=10_000)
    fired = r.risks()["fired"]
    for risk in ("integration_breakage", "event_monitoring_procurement",
                 "vendor_oauth_limits", "eu_encryption_finding"):
        assert fired[risk] == 0
    assert fired["permission_sprawl"] == 1


# -- costs: actuals plus cost to go ----------------------------------------------------

def cost_scenario():
    """a (2 wk, $1,000/wk, fixed $500) -> b (3 wk, $2,000/wk, fixed $700) -> c (1 wk,
    $1,000/wk, fixed $300); overhead $100/wk to the end; programme fixed cost $1,000;
    a risk on b that occurs: +1 week, $400."""
    roles = [{"id": "eng", "weekly_rate": 1000}]
    return make([ws("a", 2, staffing={"eng": 1}, fixed_cost=500),
                 ws("b", 3, ["a"], staffing={"eng": 2}, fixed_cost=700),
                 ws("c", 1, ["b"], staffing={"eng": 1}, fixed_cost=300)],
                roles=roles, overhead=[{"id": "pm", "weekly_cost": 100}],
                fixed_costs=[{"id": "tool", "cost": 1000}],
                risks=[{"id": "rework", "probability": 0.2, "affects": ["b"], "delay": 1,
                        "cost": 400}])


def cost_status(**extra):
    # week 3: a finished at week 2, b started at week 2 (1 of its 3 weeks done)
    data = {"as_of": "2027-01-25", "risks": {"rework": "occurred"}, "workstreams": {
        "a": {"actual_start": "2027-01-04", "actual_finish": "2027-01-18"},
        "b": {"actual_start": "2027-01-18"}}}
    for key, value in extra.items():
        if key in ("a", "b"):
            data["workstreams"][key].update(value)
        else:
            data[key] = value
    return Status.from_dict(data)


def test_without_actual_costs_the_model_prices_the_work_done():
    # end = 2 + 3 + 1 (risk) + 1 = 7; labour 2,000 + 2,000 x 4 + 1,000; fixed 1,500;
    # overhead 700; programme 1,000; risk 400
    r = reforecast(cost_scenario(), cost_status(), iterations=1000)
    np.testing.assert_allclose(r.finish, 7)
    np.testing.assert_allclose(r.cost, 2000 + 8000 + 1000 + 1500 + 700 + 1000 + 400)


def test_actual_cost_replaces_the_modelled_cost_of_work_done():
    # a: exactly its actual 2,600 (labour and fixed cost); b: actual 1,900 plus labour
    # after as_of (3 weeks x 2,000); c as planned (1,000 + 300); overhead 700,
    # programme 1,000, risk 400
    r = reforecast(cost_scenario(), cost_status(a={"actual_cost": 2600},
                                                b={"actual_cost": 1900}), iterations=1000)
    np.testing.assert_allclose(r.cost, 2600 + 1900 + 6000 + 1300 + 700 + 1000 + 400)


def test_spent_to_date_replaces_everything_spent_before_as_of():
    # spent 9,000 by week 3; to go: b's labour 3 x 2,000, c's 1,000 + 300 fixed,
    # overhead weeks 3 to 7 (400); the occurred risk's cost and the programme and
    # started workstreams' fixed costs are in the 9,000; actual_cost is inside it too
    r = reforecast(cost_scenario(), cost_status(spent_to_date=9000, a={"actual_cost": 2600}),
                   iterations=1000)
    np.testing.assert_allclose(r.cost, 9000 + 6000 + 1300 + 400)


def test_spent_to_date_with_an_open_risk_and_uncertain_work_to_go():
    # the risk is open (p 0.2): each firing adds 1 week of b (2,000), 1 week of
    # overhead (100) and its 400; mean cost to go = 7,700 + 0.2 x 2,500 exactly in
    # expectation, and every iteration is one of the two values
    st = cost_status(spent_to_date=9000)
    st.risks = {}
    r = reforecast(cost_scenario(), st, iterations=N)
    low = 9000 + 4000 + 1300 + 300
    assert set(np.round(r.cost, 6)) == {low, low + 2500}
    assert abs(np.mean(r.cost > low) - 0.2) <= prob_tol(0.2, N)


# -- trail and explanation -------------------------------------------------------------

def test_everything_finished_gives_a_point_mass_at_the_actual_finish(base):
    finished = {w.id: {"actual_start": "2026-12-07", "actual_finish": "2027-02-20"}
                for w in base.workstreams}
    status = Status.from_dict({"as_of": "2027-02-22", "workstreams": finished,
                               "risks": {r.id: "occurred" for r in base.risks}})
    r = reforecast(base, status, iterations=5000)
    assert np.all(r.finish == weeks(base, "2027-02-20"))
    assert r.p_meet("2027-02-20") == 1.0 and r.p_meet("2027-02-19") == 0.0


def test_no_simulated_date_falls_before_what_already_happened(base):
    r = reforecast(base, STATUS / "2027-01-25.yaml", iterations=N)
    now = weeks(base, "2027-01-25")
    fin = r.detail["finish"].astype(float)
    ids = r.workstream_ids
    assert np.allclose(fin[ids.index("api_hardening")], weeks(base, "2027-01-15"), atol=1e-5)
    for w in ("control_testing", "documentation"):
        assert fin[ids.index(w)].min() >= now - 1e-5
    assert r.finish.min() >= now
    assert r.to_dict()["as_of"] == "2027-01-25"


def test_a_status_at_the_start_equals_the_plan(base):
    plan = rm.simulate(base, iterations=10_000)
    same = reforecast(base, Status.from_dict({"as_of": "2026-12-07"}), iterations=10_000)
    np.testing.assert_array_equal(plan.finish, same.finish)
    np.testing.assert_array_equal(plan.cost, same.cost)


def test_the_shipped_statuses_name_their_file():
    assert load_status(STATUS / "2027-01-25.yaml").source == str(STATUS / "2027-01-25.yaml")


def test_shapley_values_are_the_average_over_all_orders():
    players = ["actuals", "risk states", "re-estimates"]
    rng = np.random.default_rng(5)
    v = {frozenset(s): float(rng.normal()) for k in range(4)
         for s in itertools.combinations(players, k)}
    v[frozenset()] = 0.3
    by_order = {p: 0.0 for p in players}
    for order in itertools.permutations(players):
        for i, p in enumerate(order):
            by_order[p] += (v[frozenset(order[:i + 1])] - v[frozenset(order[:i])]) / 6
    for perm in itertools.permutations(players):
        phi = shapley(v, list(perm))
        for p in players:
            assert phi[p] == pytest.approx(by_order[p], abs=1e-15)
    assert math.fsum(phi.values()) == pytest.approx(v[frozenset(players)] - 0.3, abs=1e-15)


def test_explanation_parts_add_up_and_follow_no_order(base):
    files = [STATUS / "2027-01-04.yaml", STATUS / "2027-01-25.yaml"]
    trail = forecast_trail(base, files, iterations=10_000)
    assert list(trail.index) == ["plan", "2027-01-04", "2027-01-25"]
    why = explain_change(base, files[0], files[1], iterations=10_000)
    assert why.attrs["method"] == METHOD and len(why.attrs["combinations"]) == 8
    assert list(why.index) == ["actuals", "risk states", "re-estimates", "total"]
    parts = why.drop(index="total")
    for col in why.columns:
        scale = max(1.0, abs(why.loc["total", col]))
        assert abs(parts[col].sum() - why.loc["total", col]) <= 1e-12 * scale
    before, after = trail.loc["2027-01-04"], trail.loc["2027-01-25"]
    assert why.loc["total", "p_meet_change"] == pytest.approx(
        after["p_meet"] - before["p_meet"], abs=1e-12)
    assert why.loc["total", "cost_mean_change"] == pytest.approx(
        after["cost_mean"] - before["cost_mean"], rel=1e-12)
    assert why.loc["total", "p80_date_change_days"] == (after["p80_date"]
                                                        - before["p80_date"]).days
    # each part is its marginal effect averaged over the 6 orders of adding components,
    # from the 8 runs
    combos, components = why.attrs["combinations"], list(why.index[:3])

    def p_meet(subset):
        return combos[" + ".join(c for c in components if c in subset) or "before"]["p_meet"]

    for c in components:
        average = sum(p_meet(order[:order.index(c) + 1]) - p_meet(order[:order.index(c)])
                      for order in itertools.permutations(components)) / 6
        assert why.loc[c, "p_meet_change"] == pytest.approx(average, abs=1e-12)


def test_a_component_that_did_not_change_gets_exactly_nothing(base):
    # the same risk states before and after: their Shapley value is 0 in every column
    before = load_status(STATUS / "2027-01-04.yaml")
    after = load_status(STATUS / "2027-01-25.yaml").model_copy(
        update={"risks": dict(before.risks)})
    why = explain_change(base, before, after, iterations=5000)
    assert (why.loc["risk states"] == 0).all()


def test_reforecast_command(capsys):
    code = main(["reforecast", str(DEFAULT), str(STATUS / "2027-01-04.yaml"),
                 str(STATUS / "2027-01-25.yaml"), "--iterations", "5000"])
    out = capsys.readouterr().out
    assert code == 0 and "Forecast trail" in out and "re-estimates" in out
    assert METHOD in out.splitlines()


def test_conditioning_sits_below_the_seam():
    # simulate -> conditioning; conditioning imports neither simulate, results nor
    # reforecast (no import circle)
    def imports(module):
        tree = ast.parse((ROOT / "riskmodel" / f"{module}.py").read_text())
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}

    assert not imports("conditioning") & {"simulate", "results", "reforecast"}
    assert "reforecast" not in imports("simulate") and "conditioning" in imports("simulate")
    assert apply_status.__module__ == "riskmodel.conditioning"


def test_a_remaining_forced_by_the_actuals_goes_with_them():
    # a: U(1, 2) weeks, 1 week in on 2027-01-11 (no progress: conditioned), 4 weeks in on
    # 2027-02-01 with 1 week remaining. The combination of the later actuals with the
    # earlier estimates cannot condition 4 weeks on U(1, 2): it keeps the remaining week
    s = make([ws("a", {"dist": "uniform", "min": 1, "max": 2})])
    before = Status.from_dict({"as_of": "2027-01-11", "workstreams": {
        "a": {"actual_start": "2027-01-04"}}})
    after = Status.from_dict({"as_of": "2027-02-01", "workstreams": {
        "a": {"actual_start": "2027-01-04", "remaining": 1}}})
    why = explain_change(s, before, after, iterations=2000)
    assert why.attrs["combinations"]["actuals"]["p80_date"] == dt.date(2027, 2, 8)
    assert why.loc["total", "p80_date_change_days"] == (
        dt.date(2027, 2, 8) - why.attrs["before"]["p80_date"]).days == why.drop(
        index="total")["p80_date_change_days"].sum()
