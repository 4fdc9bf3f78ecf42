"""Each risk switched off, kept sparse: a risk's results only in the iterations where it
fired, or where it moved the end (``RiskOff``), gathered block by block (``Fired``)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from .model import BLOCK

__all__ = ["RiskOff", "Iterations", "Fired", "BITS_ABOVE"]

BITS_ABOVE = 1 / 16
"""A risk's iterations (where it fired, or where it moved the end or a milestone) are
kept as one bit an iteration of the run when its first block has more than this share
of them, else as int32 numbers (a bit an iteration is the smaller above one in 32): 17 MB
less at 1M iterations of the benchmark network, and nothing more for a rare risk."""


class Fired:
    """One risk's results in some of its iterations (where it fired, or where it moved
    the end): which iterations (as bits in place, or numbers: ``BITS_ABOVE``), and the
    values there, appended block by block into arrays that grow ahead of need (by the
    count the run is heading for), so that they are never joined from parts: a run's
    peak memory holds them once."""

    def __init__(self) -> None:
        self.size = 0
        self.bits: np.ndarray | None = None  # uint8, a bit an iteration of the run
        self.arrays: list[np.ndarray] = []  # the whole-run iterations unless bits, values
        self.where: dict[int, tuple[int, int]] = {}  # block -> its slice of the arrays

    def add(self, index: int, size: int, parts: list[np.ndarray], done: int, n: int) -> None:
        """Append block ``index``'s ``parts`` (its block-local iterations, of its
        ``size``, then values at them, each along its last axis); ``done`` of the run's
        ``n`` iterations are in with it, to size the arrays by: as many again as the
        share so far, plus 2% and this block's count (not a whole block's: 5 MiB less at
        1M iterations of the benchmark network), and never more than one for each
        iteration to come (so a run of one block has no room to spare)."""
        cols, *values = parts
        k, at = len(cols), self.size
        if not self.arrays:
            self.arrays = [np.empty(v.shape[:-1] + (0,), v.dtype) for v in values]
            if k > BITS_ABOVE * size:
                self.bits = np.zeros(0, np.uint8)
            else:
                self.arrays.insert(0, np.empty(0, np.int32))
        if self.bits is not None:
            self._set_bits(index, size, cols, n)
        if at + k > self.arrays[0].shape[-1]:
            ahead = int((at + k) * n / max(done, 1) * 1.02) + k
            room = max(at + k, min(ahead, at + k + max(n - done, 0)))
            for q, old in enumerate(self.arrays):
                new = np.empty(old.shape[:-1] + (room,), old.dtype)
                new[..., :at] = old[..., :at]
                self.arrays[q] = new
        if self.bits is None:  # whole-run iterations: below 2**31 (MAX_ITERATIONS is 1e8)
            np.add(cols, index * BLOCK, out=self.arrays[0][at:at + k], casting="unsafe")
        for array, value in zip(self.arrays[len(self.arrays) - len(values):], values):
            array[..., at:at + k] = value
        self.where[index] = (at, at + k)  # a block added again replaces the earlier one
        self.size = at + k

    def _set_bits(self, index: int, size: int, cols: np.ndarray, n: int) -> None:
        """Write block ``index``'s bits in place (a block is a whole number of bytes),
        over any the block had before; the bits grow to the run's ``n`` iterations."""
        assert self.bits is not None and BLOCK % 8 == 0
        if self.bits.size * 8 < n:
            self.bits = np.concatenate([self.bits, np.zeros(-(-n // 8) - self.bits.size,
                                                            np.uint8)])
        mask = np.zeros(size, bool)
        mask[cols] = True
        at = index * (BLOCK // 8)
        self.bits[at:at + -(-size // 8)] = np.packbits(mask)

    def in_order(self, n: int) -> list[np.ndarray]:
        """The iterations (as ``Iterations`` keeps them, of the run's first ``n``), then
        the values, in block order, of their exact length (views of the grown arrays
        when the blocks came in order and little room was left over, else copies: a
        result keeps them)."""
        spans = [self.where[b] for b in sorted(self.where)]
        room = self.arrays[0].shape[-1] if self.arrays else 0
        if (all(a == b for (_, a), (b, _) in zip([(0, 0)] + spans, spans + [(self.size, 0)]))
                and room - self.size <= self.size // 16):
            out = [a[..., :self.size] for a in self.arrays]
        else:
            take = np.concatenate([np.arange(a, b) for a, b in spans] or [np.empty(0, int)])
            out = [a[..., take] for a in self.arrays]
        if self.bits is not None:
            out.insert(0, self.bits[:-(-n // 8)])
        self.arrays, self.where, self.bits = [], {}, None
        return out


class Iterations(Sequence):
    """``RiskOff.cols`` and ``RiskOff.moved``: for each risk, the iterations (of the
    run's ``n``) where its values are kept, sorted int32; held as given, each either
    those numbers or their bits (uint8: ``np.packbits`` of a mask of the run's
    iterations), which are made into numbers when read.

    Parameters
    ----------
    kept : list of ndarray
        Each risk's iterations (int32) or bits (uint8).
    n : int
        The run's iterations.
    """

    def __init__(self, kept: list[np.ndarray], n: int):
        self.kept, self.n = kept, n

    def __len__(self) -> int:
        return len(self.kept)

    def __getitem__(self, i):
        if not isinstance(i, (int, np.integer)):
            raise TypeError("risks are read one at a time")
        kept = self.kept[i]
        if kept.dtype == np.uint8:
            mask = np.unpackbits(kept, count=self.n).view(bool)
            return np.flatnonzero(mask).astype(np.int32)
        return kept


class RiskOff(Mapping):
    """End, cost and milestone finishes of a run with each risk switched off in turn, on
    the same draws, kept sparse: a risk can only change the iterations where it fired,
    so only those are kept (``cols[i]``, sorted, with its cost there), and of those,
    the end and the milestones only where the risk moved one of them (``moved[i]``, a
    third of them on the benchmark network: elsewhere they are the run's own, bit for
    bit); memory grows with the sum of the risks' probabilities, not with their number.

    ``risk_off["end"][i]`` (likewise ``"cost"``, ``"milestones"``) is the whole run
    without risk i, built on demand from the run itself (``base``) with the kept
    iterations replaced (``at(name, i)``); ``dense(name, i)`` is the same.
    ``np.asarray(risk_off["end"])`` builds every risk's at once (risks x iterations:
    large for long runs).

    Parameters
    ----------
    base : dict of str to ndarray
        The run itself: ``"end"``, ``"cost"`` (iterations) and ``"milestones"``
        (milestones x iterations).
    cols : sequence of ndarray
        For each risk, the iterations where it fired (sorted, int32; ``Iterations``
        holds them as bits where that is smaller).
    moved : sequence of ndarray
        For each risk, those of them where the end or a milestone's finish differs
        without it (likewise).
    values : dict of str to list of ndarray
        Each risk's ``"cost"`` at its ``cols``, and ``"end"`` and ``"milestones"`` at
        its ``moved``.
    """

    NAMES = ("end", "cost", "milestones")
    # each risk's values; the attribute hides Mapping.values(), which nothing here uses
    values: dict[str, list[np.ndarray]]  # type: ignore[assignment]

    def __init__(self, base: dict[str, np.ndarray], cols: Sequence[np.ndarray],
                 moved: Sequence[np.ndarray], values: dict[str, list[np.ndarray]]):
        self.base, self.cols, self.moved, self.values = base, cols, moved, values

    def __len__(self) -> int:
        return len(self.NAMES)

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __getitem__(self, name: str) -> _RiskRows:
        if name not in self.NAMES:
            raise KeyError(name)
        return _RiskRows(self, name)

    @property
    def risks(self) -> int:
        """How many risks the results are kept for."""
        return len(self.cols)

    def at(self, name: str, i: int) -> np.ndarray:
        """The iterations (int32) where ``values[name][i]`` is kept: where risk ``i``
        fired for ``"cost"``, where it moved the end or a milestone for ``"end"`` and
        ``"milestones"`` (the parameters are ``dense``'s)."""
        return self.cols[i] if name == "cost" else self.moved[i]

    def dense(self, name: str, i: int) -> np.ndarray:
        """The whole run's ``name`` with risk ``i`` switched off (a new array).

        Parameters
        ----------
        name : {"end", "cost", "milestones"}
        i : int
            The risk's index.

        Returns
        -------
        ndarray
            The shape of ``base[name]``.
        """
        full = self.base[name].copy()
        full[..., self.at(name, i)] = self.values[name][i]
        return full


class _RiskRows:
    """``RiskOff[name]``: indexable by risk like the dense (risks x ...) array it stands for."""

    def __init__(self, owner: RiskOff, name: str):
        self.owner, self.name = owner, name

    def __len__(self) -> int:
        return self.owner.risks

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.owner.risks, *self.owner.base[self.name].shape)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            i = range(self.owner.risks)[i]
            return self.owner.dense(self.name, i)
        return np.asarray(self)[i]

    def __iter__(self):
        return (self.owner.dense(self.name, i) for i in range(self.owner.risks))

    def __array__(self, dtype=None, copy=None):
        full = np.stack(list(self)) if self.owner.risks else np.empty(self.shape)
        return full if dtype is None else full.astype(dtype)
