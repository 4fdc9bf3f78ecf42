"""Seeds and random streams.

One helper normalises every ``seed`` argument. Every uncertain input draws from its own
stream, keyed by (seed, input key) and counted by (iteration, block), so two scenarios
that differ in one input share every other draw (common random numbers), and a block's
draws do not depend on which worker runs it or on how many blocks a worker is given.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Literal, Union, cast

import numpy as np

from .kernels import uniform_rows

__all__ = ["SeedLike", "Sampling", "as_seed_sequence", "stream_keys", "uniforms"]

SeedLike = Union[int, np.random.SeedSequence, np.random.Generator, None]
Sampling = Literal["lhs", "random"]


def as_seed_sequence(seed: SeedLike = None) -> np.random.SeedSequence:
    """Turn any accepted seed into a ``SeedSequence``.

    ``None`` draws fresh entropy (its ``entropy`` is what to record to re-run);
    an int is used as entropy; a ``Generator`` gives one draw to use as entropy.

    Parameters
    ----------
    seed : int, SeedSequence, Generator or None
        A ``SeedSequence`` is returned as it is.

    Returns
    -------
    SeedSequence

    Raises
    ------
    ValueError
        ``seed`` is not a non-negative integer (a bool or a float is not one).

    Examples
    --------
    >>> as_seed_sequence(7).entropy
    7
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(2**63)))
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, (bool, float)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.SeedSequence(int(seed))


@functools.lru_cache(maxsize=65536)
def _key(entropy: int, spawn_key: tuple[int, ...], key: str) -> tuple[int, int]:
    words = ",".join(str(k) for k in spawn_key)
    digest = hashlib.sha256(f"{entropy}/{words}/{key}".encode()).digest()
    first, second = (int(w) for w in np.frombuffer(digest[:8], dtype="<u4"))
    return first, second


def stream_keys(root: np.random.SeedSequence, keys: Sequence[str]) -> np.ndarray:
    """The Philox key (two 32-bit words) of each input's stream under seed ``root``.

    Parameters
    ----------
    root : SeedSequence
        The run's root seed (its entropy an int).
    keys : sequence of str
        Input keys, e.g. ``"duration:sf_permissions"``.

    Returns
    -------
    ndarray of uint64
        len(keys) x 2.
    """
    spawn = tuple(int(k) for k in root.spawn_key)
    entropy = int(cast(int, root.entropy))  # an int (as_seed_sequence)
    return np.array([_key(entropy, spawn, k) for k in keys],
                    dtype=np.uint64).reshape(len(keys), 2)


def uniforms(root: np.random.SeedSequence, block: int, keys: Sequence[str], n: int,
             sampling: Sampling, out: np.ndarray | None = None) -> np.ndarray:
    """Uniforms in [0, 1) for block ``block``: a row of ``n`` per input key.

    Each input's stream is Philox4x32-10 (a counter-based generator) keyed by a hash
    of (seed, input key) and counted by (iteration, block), so a row depends on nothing
    else: not on the other inputs, the worker or the chunking. ``"lhs"`` gives a Latin
    hypercube (one point per stratum of width 1/n, strata shuffled); ``"random"``
    plain uniforms. Written into ``out`` (len(keys) x n) when given.

    Parameters
    ----------
    root : SeedSequence
        The run's root seed.
    block : int
        The block's number.
    keys : sequence of str
        Input keys, one row each.
    n : int
        Iterations in the block.
    sampling : {"lhs", "random"}
    out : ndarray, optional
        len(keys) x n, written in place.

    Returns
    -------
    ndarray
        len(keys) x n uniforms (``out`` when given).

    Raises
    ------
    ValueError
        ``sampling`` is neither ``"lhs"`` nor ``"random"``.

    Examples
    --------
    >>> root = as_seed_sequence(1)
    >>> u = uniforms(root, 0, ["a", "b"], 4, "lhs")
    >>> sorted((u[0] * 4).astype(int).tolist())   # one point in each quarter
    [0, 1, 2, 3]
    >>> bool((uniforms(root, 0, ["b"], 4, "lhs")[0] == u[1]).all())
    True
    """
    if sampling not in ("lhs", "random"):
        raise ValueError(f"sampling must be 'lhs' or 'random', got {sampling!r}")
    if out is None:
        out = np.empty((len(keys), n))
    if len(keys):
        uniform_rows(stream_keys(root, keys), int(block), sampling == "lhs", out)
    return out
