"""Percentiles read from sorted values: the same floats as ``np.percentile``, bit for bit.

The summary document reads its percentiles this way and promises the numbers
``np.percentile`` gives, so every comparison here is exact.
"""
import numpy as np
import pytest

from riskmodel.analysis import percentiles as percentiles_module
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


@pytest.mark.parametrize("levels", [LEVELS, [80, 90], [50]])
@pytest.mark.parametrize("window", [1, 3, percentiles_module.WINDOW])
def test_replaced_percentiles_are_those_of_the_changed_sample(monkeypatch, window, levels):
    # a window of 1 or 3 values has to grow to take in the ranks (the samples are small;
    # levels 0 and 100 make it the whole sample at once)
    monkeypatch.setattr(percentiles_module, "WINDOW", window)
    for rng, x in samples(count=150, seed=2):
        n = len(x)
        where = rng.choice(n, int(rng.integers(0, n + 1)), replace=False)  # any order
        if x[0] == int(x[0]):  # ties: move values by whole steps, onto others
            new = x[where] + rng.integers(-2, 3, len(where))
        else:
            new = x[where] - rng.exponential(x.std() + 1, len(where))
        changed = x.copy()
        changed[where] = new
        np.testing.assert_array_equal(
            replaced_percentiles(np.sort(x), x[where], new, levels),
            np.percentile(changed, levels))


@pytest.mark.parametrize("shift", [-3.0, 0.5, 3.0])
def test_replaced_percentiles_of_a_large_sample_whose_ranks_move_far(shift):
    # 30% of 200,001 values moved by up to 3 sd: the P80 moves by tens of thousands of
    # ranks, beyond the first window, which grows; integers give ties at its edges
    rng = np.random.default_rng(5)
    for x in (rng.normal(size=200_001), rng.integers(0, 50, 200_001).astype(float)):
        where = rng.choice(len(x), 60_000, replace=False)
        new = x[where] + shift * rng.random(len(where)) * x.std()
        if x[0] == int(x[0]):
            new = np.round(new)
        changed = x.copy()
        changed[where] = new
        levels = [80, 90]  # as the risk table reads them
        np.testing.assert_array_equal(
            replaced_percentiles(np.sort(x), x[where], new, levels),
            np.percentile(changed, levels))


@pytest.mark.parametrize("window", [1, percentiles_module.WINDOW])
def test_replaced_percentiles_with_more_or_fewer_values_put_in(monkeypatch, window):
    monkeypatch.setattr(percentiles_module, "WINDOW", window)
    rng = np.random.default_rng(9)
    x = rng.normal(size=3000)
    for out, into in [(0, 5000), (10, 2), (2900, 10), (0, 1), (3000, 7)]:
        where = rng.choice(len(x), out, replace=False)
        new = rng.normal(1.0, 2.0, into)
        changed = np.concatenate([np.delete(x, where), new])
        for levels in ([80, 90], LEVELS):
            np.testing.assert_array_equal(
                replaced_percentiles(np.sort(x), x[where], new, levels),
                np.percentile(changed, levels))
    with pytest.raises(ValueError, match="empty"):
        replaced_percentiles(np.sort(x[:2]), x[:2], np.array([]), [50])


def test_replacing_nothing_or_everything():
    x = np.random.default_rng(3).normal(size=501)
    y = np.random.default_rng(4).normal(size=501)
    none = np.array([])
    np.testing.assert_array_equal(replaced_percentiles(np.sort(x), none, none, LEVELS),
                                  np.percentile(x, LEVELS))
    np.testing.assert_array_equal(replaced_percentiles(np.sort(x), x, y, LEVELS),
                                  np.percentile(y, LEVELS))
    np.testing.assert_array_equal(replaced_percentiles(np.sort(x), x[:3], y[:3], []), [])


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
