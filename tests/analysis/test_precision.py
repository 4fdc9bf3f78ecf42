"""Standard errors that mean what they say: under Latin hypercube sampling the error of
P(meet) comes from the spread between blocks, checked against the spread of many runs."""
import numpy as np
import pytest

from riskmodel import simulate
from riskmodel.sim.engine import BLOCK
from tests.conftest import make, ws

SEEDS = 40


def chain_and_merge():
    pert = {"dist": "pert", "min": 2, "mode": 3, "max": 5}
    # a chain then a merge: sums gain most from stratification, maxima least
    return make([ws("a", pert), ws("b", pert, ["a"]), ws("c", pert),
                 ws("d", {"dist": "uniform", "min": 1, "max": 2}, ["b", "c"])],
                audit_date="2027-02-22")  # 7 weeks after the 2027-01-04 start


def test_block_standard_error_matches_the_spread_of_seeded_runs():
    s = chain_and_merge()
    n = 10 * BLOCK
    runs = [simulate(s, iterations=n, seed=k, rank_risks=False) for k in range(SEEDS)]
    p = np.array([r.p_meet("2027-02-22") for r in runs])
    reported = np.array([r.targets().iloc[0].std_error for r in runs])
    spread = p.std(ddof=1)
    # the spread of 40 runs is known to about +-11%; one run's block estimate (9 degrees
    # of freedom) to about +-24%: their mean must agree with the spread
    assert 0.75 < reported.mean() / spread < 1.3
    # LHS never does worse than plain sampling for outcomes monotone in every input
    # (McKay, Beckman and Conover 1979): the binomial formula is an upper bound
    binomial = np.sqrt(p.mean() * (1 - p.mean()) / n)
    assert binomial > spread
    assert runs[0].targets().iloc[0].std_error_method.startswith("between blocks (10 ")


def test_random_sampling_and_short_runs_use_the_binomial_formula():
    s = chain_and_merge()
    r = simulate(s, iterations=10 * BLOCK, sampling="random", rank_risks=False)
    row = r.targets().iloc[0]
    assert row.std_error == pytest.approx(np.sqrt(row.probability * (1 - row.probability)
                                                  / r.iterations))
    assert row.std_error_method == "binomial"
    short = simulate(s, iterations=3 * BLOCK, rank_risks=False).targets().iloc[0]
    assert short.std_error_method.startswith("binomial (an upper bound")
