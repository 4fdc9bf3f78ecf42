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


@pytest.mark.parametrize("name, method, args", [
    ("targets", "targets", ()),
    ("workstreams", "workstreams", ()),
    ("workstreams", "workstreams", (1.5,)),
    ("risks", "risks", ()),
    ("risks", "risks", ("p90",)),
    ("contingency", "contingency_table", ((60, 80),)),
])
def test_the_columns_are_what_the_dataframes_hold(result, name, method, args):
    columns = result.columns(name, *args)
    frame = getattr(result, method)(*args)
    pd.testing.assert_frame_equal(columns.frame(), frame, check_exact=True)
    assert result.columns(name, *args) is columns  # computed once
    frame.iloc[0, 0] = None  # a copy: changing it changes nothing kept
    pd.testing.assert_frame_equal(getattr(result, method)(*args), columns.frame())


def test_the_default_columns_are_the_default_tables(result):
    assert result.columns("risks") is result.columns("risks", "expected")
    assert result.columns("workstreams") is result.columns("workstreams", 0.5)
    with pytest.raises(ValueError, match="no table"):
        result.columns("drivers")
    with pytest.raises(ValueError, match="by must be one of"):
        result.risks("largest")
