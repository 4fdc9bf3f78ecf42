"""A table as labelled columns: what an analysis computes, made into a pandas DataFrame
only for whoever asks for one.

The summary document (``riskmodel simulate --json``, ``SimulationResult.to_dict()``)
reads the columns directly, so the command that a meeting re-runs never imports pandas:
the shipped scenario's command went from 1.01 to 0.81 s and from 158 to 127 MiB
(``farm-bench`` pair, 2026-12-01).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Table", "descending"]


@dataclass(frozen=True)
class Table:
    """Equal-length columns under a named index (row labels).

    Attributes
    ----------
    index_name : str
        The index's name (``"risk"``, ``"workstream"``...).
    index : list
        The row labels.
    columns : dict of str to sequence
        Each column's values in row order (a NumPy array or a list).
    attrs : dict
        Copied into the DataFrame's ``attrs``.
    """

    index_name: str
    index: list
    columns: dict[str, Any]
    attrs: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, column: str) -> Any:
        return self.columns[column]

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def __len__(self) -> int:
        return len(self.index)

    def rows(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        """Each row's label and its values by column, in row order."""
        for i, label in enumerate(self.index):
            yield label, {name: values[i] for name, values in self.columns.items()}

    def take(self, order: Sequence[int] | np.ndarray) -> Table:
        """The rows in ``order`` (positions)."""
        order = [int(i) for i in order]
        return Table(self.index_name, [self.index[i] for i in order],
                     {name: _take(values, order) for name, values in self.columns.items()},
                     dict(self.attrs))

    def frame(self) -> pd.DataFrame:
        """The table as a new pandas DataFrame (the columns copied)."""
        import pandas as pd

        frame = pd.DataFrame(dict(self.columns),
                             index=pd.Index(list(self.index), name=self.index_name))
        frame.attrs.update(self.attrs)
        return frame


def _take(values: Any, order: list[int]) -> Any:
    if isinstance(values, np.ndarray):
        return values[np.asarray(order, dtype=np.intp)]
    return [values[i] for i in order]


def descending(table: Table, by: Sequence[str]) -> Table:
    """The rows sorted by the columns ``by``, largest first, the first column first;
    rows that tie keep their order and NaN goes last (as pandas' ``sort_values(by,
    ascending=False, kind="stable")`` sorts them).

    Parameters
    ----------
    table : Table
    by : sequence of str
        Column names, each of numbers.

    Returns
    -------
    Table
    """
    keys: Mapping[str, np.ndarray] = {k: -np.asarray(table[k], dtype=float) for k in by}
    # lexsort's last key sorts first, and it is stable; -NaN is NaN, which sorts last
    return table.take(np.lexsort([keys[k] for k in reversed(by)]))
