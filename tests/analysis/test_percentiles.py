"""Percentiles read from sorted values: the same floats as ``np.percentile``, bit for bit.

The summary document reads its percentiles this way and promises the numbers
``np.percentile`` gives, so every comparison here is exact.
"""
import numpy as np
import pytest

from riskmodel.analysis.percentiles import percentiles, replaced_percentiles, sorted_percentiles

LEVELS = [0, 5, 10, 20, 33.3, 50, 70, 80, 90, 95, 99.9, 100]


def samples(count=400, seed=0):
    """Samples of 1 to 400 values: continuous, with many ties, and large (money)."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        n = int(rng.integers(1, 400))
        if k % 3 == 0:
            yield rng, rng.normal(10, 2, n)
        elif k % 3 == 1:
            yield rng, rng.integers(0, 6, n).astype(float)
        else:
            yield rng, rng.gamma(2.0, 1e6, n)


def test_sorted_percentiles_are_numpys_to_the_last_bit():
    for _, x in samples():
        np.testing.assert_array_equal(sorted_percentiles(np.sort(x), LEVELS),
                                      np.percentile(x, LEVELS))
        np.testing.assert_array_equal(percentiles(x, LEVELS), np.percentile(x, LEVELS))
    x = np.random.default_rng(1).normal(size=100_001)  # positions with fractions of all kinds
    levels = np.linspace(0, 100, 1001)
    np.testing.assert_array_equal(sorted_percentiles(np.sort(x), levels),
                                  np.percentile(x, levels))


def test_a_nan_makes_every_percentile_nan_as_in_numpy():
    x = np.array([3.0, np.nan, 1.0, 2.0])
    assert np.isnan(sorted_percentiles(np.sort(x), LEVELS)).all()
    assert np.isnan(np.percentile(x, LEVELS)).all()


def test_replaced_percentiles_are_those_of_the_changed_sample():
    for rng, x in samples(seed=2):
        n = len(x)
        where = np.sort(rng.choice(n, int(rng.integers(0, n + 1)), replace=False))
        if x[0] == int(x[0]):  # ties: move values by whole steps, onto others
            new = x[where] + rng.integers(-2, 3, len(where))
        else:
            new = x[where] - rng.exponential(x.std() + 1, len(where))
        changed = x.copy()
        changed[where] = new
        np.testing.assert_array_equal(
            replaced_percentiles(np.sort(x), np.sort(x[where]), np.sort(new), LEVELS),
            np.percentile(changed, LEVELS))


def test_replacing_nothing_or_everything():
    x = np.random.default_rng(3).normal(size=501)
    y = np.random.default_rng(4).normal(size=501)
    none = np.array([])
    np.testing.assert_array_equal(replaced_percentiles(np.sort(x), none, none, LEVELS),
                                  np.percentile(x, LEVELS))
    np.testing.assert_array_equal(replaced_percentiles(np.sort(x), np.sort(x), np.sort(y),
                                                       LEVELS),
                                  np.percentile(y, LEVELS))


def test_replaced_percentiles_refuse_values_that_are_not_finite():
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="finite"):
        replaced_percentiles(x, x[:2], np.array([1.0, np.inf]), [50])
    with pytest.raises(ValueError, match="finite"):
        replaced_percentiles(np.append(x, np.nan), x[:1], x[:1], [50])


@pytest.mark.parametrize("levels", [[-10, 50], [50, 150], [np.nan]])
def test_levels_outside_0_to_100_are_refused_as_numpy_refuses_them(levels):
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="range"):
        np.percentile(x, levels)
    with pytest.raises(ValueError, match=r"range \[0, 100\]"):
        sorted_percentiles(x, levels)
    with pytest.raises(ValueError, match=r"range \[0, 100\]"):
        replaced_percentiles(x, x[:2], x[:2], levels)
