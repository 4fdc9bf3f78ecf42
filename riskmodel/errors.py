"""Errors and warnings raised for bad scenarios."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "ScenarioError", "ScenarioWarning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file, key path or row) and what."""

    where: str
    message: str
    source: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        return ": ".join([*parts, self.message])


class ScenarioError(ValueError):
    """A scenario (or batch, or status file) is invalid. ``problems`` lists every issue.

    ``str(error)`` is one line per problem, e.g.
    ``data/x.yaml: workstreams[3].duration: min 5 > mode 4``.

    Parameters
    ----------
    problems : list of Problem, Problem or str
        Every issue; a string is one problem with no location.
    """

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, (Problem, str)):
            problems = [problems if isinstance(problems, Problem) else Problem("", problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def lines(self) -> list[str]:
        """One readable line per problem."""
        return [str(p) for p in self.problems]


class ScenarioWarning(UserWarning):
    """Something in a scenario was repaired or looks suspicious but can still run."""
