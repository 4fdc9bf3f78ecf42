"""The run with each risk switched off, kept sparse (``RiskOff``): a risk's results only
in the iterations where it fired, or where it moved the end or a milestone, and which
iterations those are (``Iterations``). ``sim.risk_off`` computes them a block at a time;
``sim.collect`` gathers them."""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

__all__ = ["RiskOff", "Iterations"]


class Iterations(Sequence):
    """``RiskOff.cols`` and ``RiskOff.moved``: for each risk, the iterations of the run
    where its values are kept, sorted int32. Each is held as those numbers, or as their
    bits (uint8: ``np.packbits`` of a mask of the run's ``n`` iterations) when that is
    smaller (``sim.collect``: more than one iteration in 32); bits are made into numbers
    each time they are read (about 1 ms at 1M iterations), numbers are handed out as
    they are held (do not write to them).

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
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
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
