"""Gathering block results into whole-run arrays as they arrive."""
from __future__ import annotations

import numpy as np

from .model import BLOCK, BlockResult
from .without_risk import Iterations, RiskOff

__all__ = ["Collector", "DETAIL_IN_PLACE_BELOW"]

DETAIL_IN_PLACE_BELOW = 1 << 20
"""Bytes: per-workstream detail whose parts are all smaller than this (at ``BLOCK``
iterations: a partial block counts as a whole one) is copied into place as it comes.
Small arrays live in the heap, which keeps the memory of parts freed after a join (75 MB
at 1M iterations of the 9-workstream shipped scenario). Bigger parts are kept as they
are (the working durations as their changes: ``KEPT_AS_CHANGES``) and joined at the
end: each is a mapping of its own, given back when freed, while an
array written a block at a time is resident whole from its first block, NumPy backing
big arrays with 2 MB pages (20-35 MB more on the 200-workstream benchmark network)."""

KEPT_AS_CHANGES = {"duration": "base_duration"}
"""Detail kinds that blocks joined at the end keep as their changes from another kind
of the block, when that is smaller: the working durations differ from the base ones
where a risk hit, or where a status moved a workstream in progress (4.2% of the cells
on the benchmark network: 11 MiB less at 1M iterations), and are made whole again, the
same bits, when the blocks are joined."""


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
        self.detail_parts: dict[int, dict[str, np.ndarray | _Changes]] = {}  # or by block
        self.detail_room, self.detail_size = detail, 0
        self._size = 0  # iterations in self.blocks
        self.blocks: dict[int, BlockResult] = {}
        # per risk switched off, as they come: the cost where it fired, and the end and
        # milestones where one of them changed
        self.switched_off: list[tuple[_Fired, _Fired]] = []

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
            names = list(self.detail_parts[order[0]])
            joined = {}
            # kinds kept as differences first, while what they differ from is still there
            for name in sorted(names, key=lambda kind: kind not in KEPT_AS_CHANGES):
                joined[name] = np.concatenate([_whole(self.detail_parts[b], name)
                                               for b in order], axis=-1)
            self.detail_arrays.update((name, joined.pop(name)) for name in names)
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
                part: dict[str, np.ndarray | _Changes] = dict(block.detail)
                for name, like in KEPT_AS_CHANGES.items():
                    if name in part and like in part:
                        part[name] = _Changes.or_whole(block.detail[name], block.detail[like])
                self.detail_parts[block.index] = part
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
                self.switched_off = [(_Fired(), _Fired()) for _ in w["cols"]]
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


class _Fired:
    """One risk's results in some of its iterations (where it fired, or where it moved
    the end): which iterations, and the values there, appended block by block into
    arrays that grow ahead of need (by the count the run is heading for), so that they
    are never joined from parts: a run's peak memory holds them once.

    The iterations are kept as int32 numbers until there are more than one in 32 of the
    run's (in the blocks in; what the run is heading for can be misjudged from a block,
    a partial last one first on a cluster, say), from then on as one bit an iteration of
    the run, written in place (``Iterations``): whichever is smaller, at the end, in any
    order the blocks come (17 MB less at 1M iterations of the benchmark network)."""

    def __init__(self) -> None:
        self.size = 0  # values appended (a block added again leaves its old ones behind)
        self.live = 0  # of them, those of the blocks' current spans
        self.cols: np.ndarray | None = np.empty(0, np.int32)  # whole-run, until bits
        self.bits: np.ndarray | None = None  # uint8, a bit an iteration of the run
        self.values: list[np.ndarray] = []
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
        was = self.where.get(index, (0, 0))
        self.live += k - (was[1] - was[0])
        if self.cols is not None and self.live * 32 > n:  # bits are the smaller now
            self._to_bits(n)
        if not self.values:
            self.values = [np.empty(v.shape[:-1] + (0,), v.dtype) for v in values]
        if at + k > self.values[0].shape[-1]:
            ahead = int((at + k) * n / max(done, 1) * 1.02) + k
            room = max(at + k, min(ahead, at + k + max(n - done, 0)))
            self.values = [_grown(a, at, room) for a in self.values]
        for array, value in zip(self.values, values):
            array[..., at:at + k] = value
        if self.cols is None:
            self._set_bits(index, size, cols, n)
        else:  # never more room than bits would take, give or take a block
            if at + k > self.cols.size:
                self.cols = _grown(self.cols, at, max(at + k, min(
                    self.values[0].shape[-1], at + k + n // 32 + BLOCK - self.live)))
            # whole-run iterations: below 2**31 (MAX_ITERATIONS is 1e8)
            np.add(cols, index * BLOCK, out=self.cols[at:at + k], casting="unsafe")
        self.where[index] = (at, at + k)  # a block added again replaces the earlier one
        self.size = at + k

    def _to_bits(self, n: int) -> None:
        """Keep the iterations of the blocks in as bits from now on."""
        assert self.cols is not None
        mask = np.zeros(-(-n // 8) * 8, bool)
        for a, b in self.where.values():
            mask[self.cols[a:b]] = True
        self.bits, self.cols = np.packbits(mask), None

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
        """The iterations (bits, or int32 numbers, of the run's first ``n``), then the
        values, in block order, of their exact length (views of the grown arrays when
        the blocks came in order and little room was left over, else copies: a result
        keeps them)."""
        spans = [self.where[b] for b in sorted(self.where)]
        arrays = self.values if self.cols is None else [self.cols, *self.values]
        room = self.values[0].shape[-1] if self.values else 0
        if (all(a == b for (_, a), (b, _) in zip([(0, 0)] + spans, spans + [(self.size, 0)]))
                and room - self.size <= self.size // 16):
            out = [a[..., :self.size] for a in arrays]
        else:
            take = np.concatenate([np.arange(a, b) for a, b in spans] or [np.empty(0, int)])
            out = [a[..., take] for a in arrays]
        if self.bits is not None:
            out.insert(0, self.bits[:-(-n // 8)])
        self.values, self.where, self.cols, self.bits = [], {}, None, None
        return out


def _grown(old: np.ndarray, keep: int, room: int) -> np.ndarray:
    """``old``'s first ``keep`` (along its last axis) in a new array of ``room``."""
    new = np.empty(old.shape[:-1] + (room,), old.dtype)
    new[..., :keep] = old[..., :keep]
    return new


class _Changes:
    """A block's detail kind kept as where, and to what, it differs from another kind of
    the same shape and dtype (bit for bit): ``whole(like)`` gives it back."""

    def __init__(self, at: np.ndarray, values: np.ndarray):
        self.at, self.values = at, values

    @classmethod
    def or_whole(cls, value: np.ndarray, like: np.ndarray) -> _Changes | np.ndarray:
        """``value``'s changes from ``like``, or ``value`` itself where they would take
        as much room (half of the cells changed, or more: an int32 place and a value
        each)."""
        assert value.shape == like.shape and value.dtype == like.dtype
        bits = np.dtype(f"u{value.dtype.itemsize}")
        at = np.flatnonzero(value.view(bits) != like.view(bits))
        if value.size < 2**31:
            at = at.astype(np.int32)
        if at.nbytes + at.size * value.itemsize >= value.nbytes:
            return value
        return cls(at, value.reshape(-1)[at])

    def whole(self, like: np.ndarray) -> np.ndarray:
        out = like.copy()
        out.reshape(-1)[self.at] = self.values
        return out


def _whole(part: dict[str, np.ndarray | _Changes], name: str) -> np.ndarray:
    """Kind ``name`` of a block's detail, let go from ``part``, whole."""
    value = part.pop(name)
    if isinstance(value, _Changes):
        like = part[KEPT_AS_CHANGES[name]]
        assert isinstance(like, np.ndarray)  # never kept as changes itself
        return value.whole(like)
    return value

