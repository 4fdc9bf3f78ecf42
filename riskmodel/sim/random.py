"""Seeds and random streams.

One helper normalises every ``seed`` argument. Every uncertain input draws from its own
stream keyed by (seed, chunk, input key), so two scenarios that differ in one input share
every other draw (common random numbers), and a chunk's draws do not depend on which
worker runs it or on how many chunks a worker is given.
"""
from __future__ import annotations

import functools
import hashlib
from typing import Literal, Union

import numpy as np

from .kernels import latin_hypercube

__all__ = ["SeedLike", "Sampling", "as_seed_sequence", "stream", "uniforms"]

SeedLike = Union[int, np.random.SeedSequence, np.random.Generator, None]
Sampling = Literal["lhs", "random"]


def as_seed_sequence(seed: SeedLike = None) -> np.random.SeedSequence:
    """Turn any accepted seed into a ``SeedSequence``.

    ``None`` draws fresh entropy (its ``entropy`` is what to record to re-run);
    an int is used as entropy; a ``Generator`` gives one draw to use as entropy.
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
def _key_words(key: str) -> tuple[int, ...]:
    digest = hashlib.sha256(key.encode("utf-8")).digest()[:16]
    return tuple(int(w) for w in np.frombuffer(digest, dtype="<u4"))


def stream(root: np.random.SeedSequence, chunk: int, key: str) -> np.random.Generator:
    """The generator for one input (``key``) in one chunk."""
    child = np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (int(chunk),) + _key_words(key)
    )
    return np.random.Generator(np.random.PCG64(child))


def uniforms(rng: np.random.Generator, n: int, sampling: Sampling,
             out: np.ndarray | None = None) -> np.ndarray:
    """``n`` uniforms in [0, 1): Latin hypercube (one per stratum, shuffled) or plain.

    Written into ``out`` (length ``n``) when given.
    """
    if out is None:
        out = np.empty(n)
    if sampling == "lhs":
        latin_hypercube(rng.random(2 * n), out)
    elif sampling == "random":
        rng.random(n, out=out)
    else:
        raise ValueError(f"sampling must be 'lhs' or 'random', got {sampling!r}")
    return out
