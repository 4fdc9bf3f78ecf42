"""Which role to name: the one most often over capacity, else the one nearest it."""
import pandas as pd

from riskmodel.analysis.resources import bottleneck, nearest_capacity


def table(p50, p90, capacity):
    return pd.DataFrame({"demand_p50": p50, "demand_p90": p90, "in_use_p50": p50,
                         "in_use_p90": p90, "capacity": capacity})


def test_bottleneck_is_the_role_over_capacity_in_the_most_weeks():
    demand = {"a": table([1, 2, 2], [2, 3, 3], [1, 1, 3]),   # over in week 1
              "b": table([2, 2, 1], [2, 2, 2], [1, 1, 1])}   # over in weeks 0 and 1
    assert bottleneck(demand) == ("b", [0, 1])
    assert bottleneck({"a": table([1, 1], [1, 1], [1, 1])}) is None  # at capacity: fine


def test_nearest_capacity_is_the_highest_p90_share_of_capacity():
    demand = {"a": table([0, 0], [1.0, 1.5], [2, 2]),     # at most 75% of capacity
              "b": table([0, 0], [0.9, 0.0], [1, 0]),     # 90% (no capacity: not counted)
              "c": table([0, 0], [5.0, 5.0], [0, 0])}     # never any capacity: 0
    assert nearest_capacity(demand) == "b"
    assert nearest_capacity({}) is None
