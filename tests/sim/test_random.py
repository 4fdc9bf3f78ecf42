"""The random streams: Philox4x32-10 against its published answers, and the sampling."""
import numpy as np
import pytest
from scipy import stats

from riskmodel.sim.kernels import philox4x32
from riskmodel.sim.random import as_seed_sequence, stream_keys, uniforms

# Random123 (D. E. Shaw Research) tests/kat_vectors: counter, key -> output
KNOWN_ANSWERS = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


@pytest.mark.parametrize("counter, key, expected", KNOWN_ANSWERS)
def test_philox_gives_the_published_answers(counter, key, expected):
    assert list(philox4x32(counter, key)) == expected


ROOT = as_seed_sequence(7)
N = 8192


def test_a_latin_hypercube_has_one_point_in_every_stratum():
    u = uniforms(ROOT, 3, [f"input{i}" for i in range(20)], N, "lhs")
    strata = np.sort(np.floor(u * N).astype(int), axis=1)
    assert (strata == np.arange(N)).all()
    assert ((u >= 0) & (u < 1)).all()


def test_a_short_block_is_a_latin_hypercube_of_its_own_size():
    u = uniforms(ROOT, 0, ["a"], 10, "lhs")[0]
    assert sorted(np.floor(u * 10).astype(int)) == list(range(10))


@pytest.mark.parametrize("sampling", ["lhs", "random"])
def test_uniforms_are_uniform_and_independent(sampling):
    # 200 inputs x 8192: Kolmogorov-Smirnov on values pooled across inputs; the 19,900
    # pairwise correlations of independent inputs are about N(0, 1/n): their spread is
    # 1/sqrt(n) and even the largest stays within a Bonferroni bound (6 sigma).
    u = uniforms(ROOT, 11, [f"x{i}" for i in range(200)], N, sampling)
    assert stats.kstest(u[:, :500].ravel(), "uniform").pvalue > 1e-4
    r = np.corrcoef(u)[np.triu_indices(200, 1)]
    assert r.std() * np.sqrt(N) == pytest.approx(1.0, abs=0.05)
    assert abs(r.mean()) * np.sqrt(N) < 0.05 and np.abs(r).max() * np.sqrt(N) < 6
    if sampling == "random":
        assert abs(u.mean() - 0.5) < 4.5 * np.sqrt(1 / 12 / u.size)


def test_a_row_depends_only_on_seed_block_and_its_own_key():
    both = uniforms(ROOT, 5, ["a", "b"], 100, "lhs")
    assert np.array_equal(uniforms(ROOT, 5, ["b"], 100, "lhs")[0], both[1])
    assert not np.array_equal(uniforms(ROOT, 6, ["b"], 100, "lhs")[0], both[1])
    assert not np.array_equal(uniforms(as_seed_sequence(8), 5, ["b"], 100, "lhs")[0], both[1])
    assert np.array_equal(uniforms(as_seed_sequence(7), 5, ["a", "b"], 100, "lhs"), both)


def test_consecutive_blocks_are_not_correlated():
    first = uniforms(ROOT, 0, ["a"], N, "random")[0]
    second = uniforms(ROOT, 1, ["a"], N, "random")[0]
    assert abs(np.corrcoef(first, second)[0, 1]) < 4.5 / np.sqrt(N)


def test_stream_keys_are_distinct_words():
    keys = stream_keys(ROOT, [f"k{i}" for i in range(1000)])
    assert keys.shape == (1000, 2) and keys.max() < 2**32
    assert len({tuple(k) for k in keys.tolist()}) == 1000


def test_unknown_sampling_is_refused():
    with pytest.raises(ValueError, match="sampling"):
        uniforms(ROOT, 0, ["a"], 10, "sobol")


@pytest.mark.parametrize("sampling", ["lhs", "random"])
# the vector builds take 8 or 4 at a time; the strata sort 32-bit items up to 2^14 keys
@pytest.mark.parametrize("n", [1000, 1003, 3, 8192, 20_001])
@pytest.mark.parametrize("block", [9, 2**32 + 9])  # the block's number in two words
def test_every_build_of_the_generator_gives_the_same_numbers(sampling, n, block):
    from riskmodel.sim.kernels import _numpy, uniform_rows

    keys = stream_keys(ROOT, [f"v{i}" for i in range(5)])
    plain = np.empty((5, n))
    uniform_rows(keys, block, sampling == "lhs", plain, variant=1)
    numpy = np.empty_like(plain)
    _numpy.uniform_rows_variant(0, keys, 5, n, block, sampling == "lhs", numpy)
    np.testing.assert_array_equal(numpy, plain)
    ran = 0
    for variant in (0, 2, 3):  # best for this CPU, AVX2, AVX-512
        out = np.empty_like(plain)
        try:
            uniform_rows(keys, block, sampling == "lhs", out, variant=variant)
        except ValueError:  # this CPU lacks that instruction set
            continue
        ran += 1
        np.testing.assert_array_equal(out, plain)
    assert ran >= 1
