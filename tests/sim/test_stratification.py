"""Latin hypercube strata are kept for every input, correlated ones included."""
import numpy as np
from scipy import stats

from riskmodel.sim.engine import BLOCK, sample_block
from riskmodel.sim.random import as_seed_sequence
from riskmodel.spec import build_spec
from tests.conftest import make, ws


def draws(rho=0.7, sampling="lhs", block=0):
    s = make([ws("a", {"dist": "uniform", "min": 0, "max": 1}),
              ws("b", {"dist": "uniform", "min": 0, "max": 1}),
              ws("c", {"dist": "uniform", "min": 0, "max": 1})],
             correlations=[{"between": ["a", "b"], "rho": rho},
                           {"between": ["b", "c"], "rho": -0.4}])
    return sample_block(build_spec(s, sampling), as_seed_sequence(5), block, BLOCK).duration


def test_every_correlated_input_has_one_point_per_stratum():
    d = draws()
    for row in d:  # uniform(0, 1) durations are the uniforms themselves
        strata = np.floor(row * BLOCK).astype(int)
        assert np.array_equal(np.sort(strata), np.arange(BLOCK))


def test_the_reordering_still_gives_the_target_rank_correlations():
    d = np.concatenate([draws(block=b) for b in range(4)], axis=1)
    assert abs(stats.spearmanr(d[0], d[1])[0] - 0.7) < 0.02
    assert abs(stats.spearmanr(d[1], d[2])[0] + 0.4) < 0.02


def test_random_sampling_keeps_the_plain_copula():
    d = draws(sampling="random")
    strata = np.floor(d[1] * BLOCK).astype(int)
    assert len(np.unique(strata)) < BLOCK  # not stratified, as plain random sampling is
    assert abs(stats.spearmanr(d[0], d[1])[0] - 0.7) < 0.03
