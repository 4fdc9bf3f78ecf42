"""Tables as columns: the same rows, order and DataFrame as pandas would give, so the
summary document (which reads the columns) and the methods (which hand out DataFrames)
say the same thing."""
import numpy as np
import pandas as pd
import pytest

from riskmodel import load_scenario, simulate
from riskmodel.analysis.table import Table, descending


def _frame_sorted(table: Table, by):
    return table.frame().sort_values(list(by), ascending=False, kind="stable")


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("by", [("a",), ("a", "b")])
def test_descending_sorts_as_pandas_does_with_ties_and_nan(seed, by):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    a = rng.integers(-3, 3, n).astype(float)  # many ties
    b = rng.integers(-2, 2, n).astype(float)
    a[rng.random(n) < 0.2] = np.nan
    b[rng.random(n) < 0.2] = np.nan
    a[rng.random(n) < 0.1] = -0.0
    table = Table("row", [f"r{i}" for i in range(n)],
                  {"a": a, "b": b, "label": [f"x{i}" for i in range(n)]})
    ours = descending(table, by)
    pd.testing.assert_frame_equal(ours.frame(), _frame_sorted(table, by), check_exact=True)
    assert ours.index == list(_frame_sorted(table, by).index)


def test_a_table_reads_by_row_and_makes_a_new_frame_each_time():
    table = Table("k", ["x", "y"], {"v": np.array([1.0, 2.0]), "s": ["a", "b"]},
                  {"note": 1})
    assert list(table.rows()) == [("x", {"v": 1.0, "s": "a"}), ("y", {"v": 2.0, "s": "b"})]
    assert len(table) == 2 and "v" in table and "w" not in table
    one = table.frame()
    one.loc["x", "v"] = 9.0  # a copy: the table (shared by the result's cache) is unchanged
    assert table["v"][0] == 1.0 and table.frame().loc["x", "v"] == 1.0
    assert one.index.name == "k" and one.attrs == {"note": 1}
    assert table.take([1, 0]).index == ["y", "x"] and table.take([1, 0])["s"] == ["b", "a"]


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario("data/scenarios/soc2_type2_go_ahead.yaml"),
                    iterations=4_000, seed=3)


NUMBERS = "float64"
FRAMES = {  # what users of the DataFrames rely on: index, columns in order, dtypes
    "risks": ("risk", "str", {
        "name": "str", "probability": NUMBERS, "fired": NUMBERS, "affects": "str",
        "p_meet_shift": NUMBERS, "mean_finish_impact": NUMBERS, "mean_cost_impact": NUMBERS,
        "time_cost": NUMBERS, "triggered_cost": NUMBERS, "p80_finish_shift": NUMBERS,
        "p80_cost_shift": NUMBERS, "p90_finish_shift": NUMBERS, "p90_cost_shift": NUMBERS,
        "own_cost": NUMBERS, "expected_delay": NUMBERS, "condition": "str",
        "mean_finish_shift": NUMBERS}),
    "workstreams": ("workstream", "str", {
        "name": "str", "criticality": NUMBERS, "near_criticality": NUMBERS,
        "sensitivity": NUMBERS, "cost_sensitivity": NUMBERS, "cruciality": NUMBERS,
        "ssi": NUMBERS, "mean_duration": NUMBERS, "mean_base_duration": NUMBERS,
        "plan_duration": NUMBERS, "finish_p50": NUMBERS, "finish_p80": NUMBERS,
        "plan_start": NUMBERS, "plan_finish": NUMBERS, "on_plan_critical_path": "bool"}),
    "targets": ("target", "str", {
        "milestone": "str", "date": "object", "probability": NUMBERS, "std_error": NUMBERS,
        "std_error_method": "str"}),
    "contingency_table": ("confidence", "str", {
        "finish_weeks": NUMBERS, "finish_date": "object",
        "schedule_contingency_weeks": NUMBERS, "cost": NUMBERS, "cost_contingency": NUMBERS,
        "from_estimates_weeks": NUMBERS, "from_risks_weeks": NUMBERS,
        "from_estimates_cost": NUMBERS, "from_risks_cost": NUMBERS}),
}


@pytest.mark.parametrize("method", sorted(FRAMES))
def test_the_dataframes_keep_their_index_columns_and_dtypes(result, method):
    index, kind, columns = FRAMES[method]
    frame = getattr(result, method)()
    assert (frame.index.name, str(frame.index.dtype)) == (index, kind)
    assert {k: str(v) for k, v in frame.dtypes.items()} == columns
    assert list(frame.columns) == list(columns)
    if method == "workstreams":
        assert frame.attrs == {"near_critical_weeks": 0.5}
    if method == "contingency_table":
        assert list(frame.index) == ["p50", "p70", "p80", "p90", "p95"]
    jcl = result.jcl_frontier(points=3)
    assert (jcl.index.name, str(jcl.index.dtype), list(jcl.columns)) == (
        "date", "datetime64[s]", ["weeks", "budget"])
    for table in result.role_demand().values():
        assert (table.index.name, str(table.index.dtype)) == ("week", "int64")
        assert list(table.columns) == ["demand_p50", "demand_p90", "in_use_p50",
                                       "in_use_p90", "capacity"]


@pytest.mark.parametrize("name, method, args", [
    ("targets", "targets", ()),
    ("workstreams", "workstreams", (1.5,)),
    ("risks", "risks", ("p90",)),
    ("contingency", "contingency_table", ([60, 80],)),
])
def test_a_table_is_kept_and_what_is_handed_out_is_a_copy(result, name, method, args):
    columns = result.columns(name, *args)
    assert result.columns(name, *args) is columns  # computed once (a list of levels too)
    frame = getattr(result, method)(*args)
    frame.iloc[0, 1] = None  # changing a DataFrame changes nothing kept
    pd.testing.assert_frame_equal(getattr(result, method)(*args), columns.frame())
    for values in columns.columns.values():  # nor do the columns share the result's arrays
        if isinstance(values, np.ndarray):
            assert not any(np.shares_memory(values, mine) for mine in (
                result.criticality_, result.mean_duration_, result.fired_, result.finish))


def test_contingency_levels_read_the_columns_or_the_dataframe(result):
    from riskmodel.analysis.money import contingency_levels

    assert contingency_levels(result.columns("contingency")) == \
        contingency_levels(result.contingency_table()) == result.to_dict()["contingency"]


def test_the_default_columns_are_the_default_tables(result):
    assert result.columns("risks") is result.columns("risks", "expected")
    assert result.columns("workstreams") is result.columns("workstreams", 0.5)
    with pytest.raises(ValueError, match="no table"):
        result.columns("drivers")
    with pytest.raises(TypeError, match="targets table takes 0"):
        result.columns("targets", 0.5)
    with pytest.raises(ValueError, match="by must be one of"):
        result.risks("largest")
