"""Workstream drivers on base estimates: constructed networks with known answers."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from riskmodel import simulate  # noqa: E402
from riskmodel.analysis import NEAR_CRITICAL_WEEKS, drivers, near_criticality, rank_correlation  # noqa: E402
from tests.conftest import Z, make, prob_tol, ws  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def pert(a, m, b):
    return {"dist": "pert", "min": a, "mode": m, "max": b}


def test_a_never_critical_workstream_scores_zero_on_every_ranking_measure():
    # b (1-2 weeks) runs beside a (10-14 weeks): its float is always >= 8 weeks
    s = make([ws("a", pert(10, 12, 14)), ws("b", {"dist": "uniform", "min": 1, "max": 2}),
              ws("c", 1, ["a", "b"])])
    n = 50_000
    table = simulate(s, iterations=n).workstreams()
    b = table.loc["b"]
    assert (b.criticality, b.near_criticality, b.cruciality, b.ssi) == (0, 0, 0, 0)
    assert abs(b.sensitivity) < Z / np.sqrt(n)
    assert table.loc["a", "near_criticality"] == 1 and table.loc["c", "near_criticality"] == 1


def test_near_critical_index_on_a_network_with_known_float():
    # a(2) -> b(3) -> d(1) and a -> c(1.5, lag 1) -> d: c starts at 3, finishes at 4.5,
    # d waits for b until 5, so c has exactly half a week of float in every iteration
    s = make([ws("a", 2), ws("b", 3, ["a"]), ws("c", 1.5, [{"id": "a", "lag": 1}]),
              ws("d", 1, ["b", "c"])])
    r = simulate(s, iterations=500)
    c = r.workstream_ids.index("c")
    np.testing.assert_array_equal(r.detail["total_float"][c], 0.5)
    table = r.workstreams()
    assert table.loc["c", "criticality"] == 0
    assert table.attrs["near_critical_weeks"] == NEAR_CRITICAL_WEEKS == 0.5
    assert table.loc["c", "near_criticality"] == 1  # float 0.5 <= 0.5
    assert drivers(r, near_critical_weeks=0.4).loc["c", "near_criticality"] == 0
    assert (table.loc[["a", "b", "d"], ["criticality", "near_criticality"]] == 1).all().all()
    # no variance anywhere: nothing is sensitive, and the SSI is 0, not NaN
    assert (table[["sensitivity", "cruciality", "ssi"]] == 0).all().all()


def test_near_criticality_counts_float_up_to_the_threshold():
    tf = np.array([[0.0, 0.25, 0.5, 0.75], [1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    np.testing.assert_array_equal(near_criticality(tf), [0.75, 0.0])
    np.testing.assert_array_equal(near_criticality(tf, 0), [0.25, 0.0])
    np.testing.assert_array_equal(near_criticality(tf, 2.0), [1.0, 0.5])
    with pytest.raises(ValueError, match=">= 0"):
        near_criticality(tf, -0.1)


def test_a_risk_delay_does_not_count_as_the_workstreams_own_sensitivity():
    # a has a fixed 4-week estimate; a risk adds 1-3 weeks half of the time. The working
    # duration drives the finish completely, the estimate not at all: the effect is the
    # risk's and is ranked once, in the risk table.
    s = make([ws("a", 4), ws("b", 1, ["a"])],
             risks=[{"id": "rework", "probability": 0.5, "affects": ["a"],
                     "delay": {"dist": "uniform", "min": 1, "max": 3}}])
    r = simulate(s, iterations=20_000)
    a = r.workstream_ids.index("a")
    assert rank_correlation(r.detail["duration"][a], r.finish)[0] > 0.99
    table = r.workstreams()
    assert table.loc["a", "criticality"] == 1
    assert (table.loc["a", ["sensitivity", "cost_sensitivity", "cruciality", "ssi"]] == 0).all()
    assert table.loc["a", "mean_base_duration"] == 4
    assert r.risks().loc["rework", "mean_finish_shift"] > 0


def test_sensitivity_of_an_estimate_under_a_risk_has_its_closed_form():
    # finish = U + 10 B, U ~ uniform(2, 3) the estimate, B ~ Bernoulli(1/2) the risk.
    # The finish ranks are (B + rank(U)) / 2, so Spearman(U, finish) = (1/24) / (1/12)
    # = 1/2 exactly (working duration: 1); SSI = sd(U) / sd(finish)
    # = sqrt((1/12) / (1/12 + 25)).
    s = make([ws("a", {"dist": "uniform", "min": 2, "max": 3})],
             risks=[{"id": "big", "probability": 0.5, "affects": ["a"], "delay": 10}])
    n = 40_000
    r = simulate(s, iterations=n, sampling="random")
    row = r.workstreams().loc["a"]
    assert abs(row.sensitivity - 0.5) < Z / np.sqrt(n)
    assert row.cruciality == row.sensitivity  # critical in every iteration
    assert row.ssi == pytest.approx(np.sqrt((1 / 12) / (1 / 12 + 25)), rel=Z / np.sqrt(n))
    assert rank_correlation(r.detail["duration"], r.finish)[0] == pytest.approx(1)


def test_ssi_and_cruciality_of_a_single_task_are_one():
    table = simulate(make([ws("a", pert(1, 2, 4))]), iterations=20_000).workstreams()
    assert table.loc["a", "ssi"] == pytest.approx(1.0, rel=1e-6)  # float32 detail
    assert table.loc["a", "cruciality"] == pytest.approx(1.0)
    assert table.loc["a", "near_criticality"] == 1


def test_near_critical_is_at_least_critical_on_the_default_scenario(default_result):
    table = default_result.workstreams()
    n = default_result.detail["total_float"].shape[1]
    slack = np.array([prob_tol(p, n) for p in table["criticality"]])
    assert (table["near_criticality"] >= table["criticality"] - slack).all()
    # change management is never critical: whatever its correlations, it does not rank
    assert table.loc["change_management", "criticality"] == 0
    assert table.loc["change_management", ["cruciality", "ssi"]].eq(0).all()


def test_driver_tornado_ranks_by_cruciality_and_leaves_out_the_never_critical(default_result):
    table = default_result.workstreams()
    ax = default_result.plot.driver_tornado()
    labels = [t.get_text() for t in ax.get_yticklabels()]  # top bar first
    ranked = table[table["cruciality"] != 0].sort_values("cruciality", ascending=False,
                                                         key=abs)
    assert labels == ranked["name"].tolist()[:10]
    assert table.loc["change_management", "name"] not in labels
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(ranked["cruciality"].tolist()[:10])
    assert ax.get_xlabel().startswith("Cruciality")
    ax = default_result.plot.driver_tornado(measure="ssi")
    assert ax.get_xlabel().startswith("Schedule sensitivity index")
    with pytest.raises(ValueError, match="measure must be one of"):
        default_result.plot.driver_tornado(measure="duration")


def test_criticality_bars_show_near_critical_behind_critical(default_result):
    table = default_result.workstreams()
    ax = default_result.plot.criticality_bars()
    widths = [p.get_width() for p in ax.patches]
    k = len(table)
    assert widths[:k] == pytest.approx(table["near_criticality"].tolist())
    assert widths[k:] == pytest.approx(table["criticality"].tolist())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Near-critical: float ≤ 2.5 working days"


def test_average_ranks_are_scipys_whatever_the_ties_and_their_order():
    from scipy.stats import rankdata

    from riskmodel.analysis.drivers import _average_ranks

    rng = np.random.default_rng(5)
    # 37 rows (not a multiple of the rows ranked at a time): few, many and all values tied
    x = np.concatenate([rng.normal(size=(12, 500)), rng.integers(0, 7, (12, 500)),
                        np.full((1, 500), 2.5),
                        rng.normal(size=(12, 500)).astype(np.float32).astype(float)])
    x[12:24] = rng.permuted(x[12:24], axis=1)
    np.testing.assert_array_equal(_average_ranks(x), rankdata(x, axis=-1))
    np.testing.assert_array_equal(_average_ranks(x[13]), rankdata(x[13])[None])


def test_row_moments_are_those_of_a_float64_copy():
    from riskmodel.analysis.drivers import _row_moments

    x = np.random.default_rng(6).gamma(2.0, 1.5, (37, 3000)).astype(np.float32)
    mean, sd = _row_moments(x)
    np.testing.assert_array_equal(mean, x.astype(float).mean(axis=1))
    np.testing.assert_array_equal(sd, x.astype(float).std(axis=1))


def test_rank_correlation_is_scipys_spearman_row_by_row():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(7)
    y = rng.normal(size=2000)
    # 37 rows (more than the rows summed at a time): related to y, unrelated, tied, constant
    x = np.concatenate([y + rng.normal(scale=s, size=(12, 2000)) for s in (0.5, 3.0)]
                       + [rng.integers(0, 5, (12, 2000)), np.full((1, 2000), 4.0)])
    rho = rank_correlation(x, y)
    expected = [spearmanr(row, y).statistic for row in x[:-1]] + [0.0]  # constant: 0
    np.testing.assert_allclose(rho, expected, rtol=1e-12, atol=1e-14)
