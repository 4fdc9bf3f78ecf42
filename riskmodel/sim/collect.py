"""Gathering block results into whole-run arrays as they arrive."""
from __future__ import annotations

import numpy as np

from .model import BLOCK, BlockResult
from .without_risk import Fired, Iterations, RiskOff

__all__ = ["Collector", "DETAIL_IN_PLACE_BELOW"]

DETAIL_IN_PLACE_BELOW = 1 << 20
"""Bytes: per-workstream detail whose parts are all smaller than this (at ``BLOCK``
iterations: a partial block counts as a whole one) is copied into place as it comes.
Small arrays live in the heap, which keeps the memory of parts freed after a join (75 MB
at 1M iterations of the 9-workstream shipped scenario). Bigger parts are kept as they
are and joined at the end: each is a mapping of its own, given back when freed, while an
array written a block at a time is resident whole from its first block, NumPy backing
big arrays with 2 MB pages (20-35 MB more on the 200-workstream benchmark network)."""


class Collector:
    """Gathers block results into whole-run arrays as they arrive.

    Per-iteration arrays (finish, cost, milestone finishes, the risk-off variants, and
    the per-workstream detail of the first blocks when its parts are small:
    ``DETAIL_IN_PLACE_BELOW``) are copied into place, at ``index x BLOCK``, and dropped
    from the block at once, so memory holds one copy of them however many blocks there
    are; the blocks keep their small sums. A block added again (a partial last block
    re-run whole) replaces the earlier one.

    Parameters
    ----------
    n : int
        Iterations to make room for (``grow`` adds more).
    detail : int
        Iterations of the blocks that keep their detail, to make room for (more if
        they come).
    """

    PER_ITERATION = ("end", "cost", "milestones")

    def __init__(self, n: int, detail: int = 0):
        self.n = n
        self.arrays: dict[str, np.ndarray] = {}
        self.detail_arrays: dict[str, np.ndarray] = {}  # in place
        self.detail_parts: dict[int, dict[str, np.ndarray]] = {}  # or by block, to join
        self.detail_room, self.detail_size = detail, 0
        self._size = 0  # iterations in self.blocks
        self.blocks: dict[int, BlockResult] = {}
        # per risk switched off, as they come: the cost where it fired, and the end and
        # milestones where one of them changed
        self.switched_off: list[tuple[Fired, Fired]] = []

    def grow(self, n: int, detail: int = 0) -> None:
        """Make room for ``n`` iterations in all, ``detail`` of them in blocks that keep
        their detail.

        Parameters
        ----------
        n : int
            Iterations in all; no change if there is room already.
        detail : int
            Iterations of the blocks that keep their detail (the detail kept in place
            grows to it at the next such block, once, not a block at a time).
        """
        self.detail_room = max(self.detail_room, detail)
        if n <= self.n:
            return
        for name, old in self.arrays.items():
            new = np.empty(old.shape[:-1] + (n,), dtype=old.dtype)
            new[..., :self.n] = old
            self.arrays[name] = new
        self.n = n

    def _put(self, name: str, value: np.ndarray, at: int) -> None:
        if name not in self.arrays:
            self.arrays[name] = np.empty(value.shape[:-1] + (self.n,), dtype=value.dtype)
        self.arrays[name][..., at:at + value.shape[-1]] = value

    def _put_detail(self, name: str, value: np.ndarray, at: int) -> None:
        end = at + value.shape[-1]
        kept = self.detail_arrays.get(name)
        if kept is None or kept.shape[-1] < end:
            new = np.empty(value.shape[:-1] + (max(end, self.detail_room),), value.dtype)
            if kept is not None:
                new[..., :kept.shape[-1]] = kept
            self.detail_arrays[name] = kept = new
        kept[..., at:end] = value

    def detail(self) -> dict[str, np.ndarray] | None:
        """The per-workstream detail of the blocks that kept it, over their iterations
        (the first ones of the run), or None if none did.

        Returns
        -------
        dict of str to ndarray or None
        """
        if self.detail_parts:  # joined a kind at a time, each part let go as it is joined
            order = sorted(self.detail_parts)
            for name in list(self.detail_parts[order[0]]):
                self.detail_arrays[name] = np.concatenate(
                    [self.detail_parts[b].pop(name) for b in order], axis=-1)
            self.detail_parts = {}
        if not self.detail_arrays:
            return None
        return {name: kept[..., :self.detail_size] for name, kept in self.detail_arrays.items()}

    def add(self, block: BlockResult) -> None:
        """Copy a block's per-iteration results into place and keep its sums.

        Parameters
        ----------
        block : BlockResult
            Its per-iteration arrays are moved out (set to None).
        """
        at = block.index * BLOCK
        old = self.blocks.get(block.index)  # a partial block now run whole
        size = self._size + block.size - (old.size if old is not None else 0)
        for name in self.PER_ITERATION:
            self._put(name, getattr(block, name), at)
            setattr(block, name, None)
        if block.detail is not None:
            # decided on a whole block's parts, so a partial block decides as a whole would
            big = max(v.nbytes // max(v.shape[-1], 1)
                      for v in block.detail.values()) * BLOCK >= DETAIL_IN_PLACE_BELOW
            if self.detail_parts or (big and not self.detail_arrays):
                self.detail_parts[block.index] = block.detail
            else:
                while block.detail:  # each part let go as soon as it is in place
                    self._put_detail(*block.detail.popitem(), at)
            self.detail_size = max(self.detail_size, at + block.size)
            block.detail = None
        if block.unlevelled is not None:
            for name, value in block.unlevelled.items():
                self._put(f"unlevelled:{name}", value, at)
            block.unlevelled = None
        if block.no_risks is not None:
            for name, value in block.no_risks.items():
                self._put(f"no_risks:{name}", value, at)
            block.no_risks = None
        if block.without_risk is not None:
            w = block.without_risk
            if not self.switched_off:
                self.switched_off = [(Fired(), Fired()) for _ in w["cols"]]
            for i, (costs, times) in enumerate(self.switched_off):
                costs.add(block.index, block.size, [w["cols"][i], w["cost"][i]], size,
                          self.n)
                times.add(block.index, block.size,
                          [w["moved"][i], w["end"][i], w["milestones"][i]], size, self.n)
            block.without_risk = None
        self._size = size
        self.blocks[block.index] = block

    @property
    def size(self) -> int:
        """Iterations collected so far."""
        return self._size

    def ordered(self) -> list[BlockResult]:
        """The blocks in iteration order.

        Returns
        -------
        list of BlockResult
        """
        return [self.blocks[i] for i in sorted(self.blocks)]

    def risk_off(self) -> RiskOff | None:
        """The per-risk variants gathered into a ``RiskOff`` (None without ranking).

        Returns
        -------
        RiskOff or None
        """
        if not self.switched_off:
            return None
        n = self.size
        cols: list[np.ndarray] = []
        moved: list[np.ndarray] = []
        values: dict[str, list[np.ndarray]] = {name: [] for name in RiskOff.NAMES}
        for costs, times in self.switched_off:
            at, cost = costs.in_order(n)
            cols.append(at)
            values["cost"].append(cost)
            at, end, milestones = times.in_order(n)
            moved.append(at)
            values["end"].append(end)
            values["milestones"].append(milestones)
        self.switched_off = []
        base = {"end": self.arrays["end"][:n], "cost": self.arrays["cost"][:n],
                "milestones": self.arrays["milestones"][:, :n]}
        return RiskOff(base, Iterations(cols, n), Iterations(moved, n), values)
