"""Status files: what has actually happened by a date, for a re-forecast.

```yaml
as_of: 2027-01-11
pace: planned                 # default for percent_complete: planned (default) or observed
spent_to_date: 120000         # optional: everything spent on the programme before as_of
workstreams:
  gap_analysis:   {actual_start: 2026-12-07, actual_finish: 2026-12-22, actual_cost: 24000}
  sf_permissions: {actual_start: 2026-12-22, percent_complete: 50, pace: observed}
  api_hardening:  {actual_start: 2026-12-22,
                   remaining: {dist: triangular, min: 1, mode: 1.5, max: 2.5}}
  sync_encryption: {actual_start: 2026-12-22}   # conditioned: the estimate beyond the time spent
  documentation:  {remaining: {dist: pert, min: 1.5, mode: 2, max: 3}}   # a re-estimate
risks:
  permission_sprawl: occurred
  vendor_oauth_limits: retired
```
How each key is used is ``riskmodel.conditioning``'s business; this module only reads
and checks the file. A ``Status`` remembers the file it came from (``source``), and
every problem found in it, here or later, names that file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, ValidationError

from ..errors import Problem, ScenarioError
from .fields import Date, Id, Model, NonNegative, Quantity
from .load import read_yaml
from .problems import nearest, problems_from_validation
from .schema import Scenario

__all__ = ["Status", "WorkstreamStatus", "Pace", "load_status", "check_status"]

Pace = Literal["planned", "observed"]
"""How ``percent_complete`` forecasts what is left: at the plan's pace (the estimate
scaled by 1 - percent / 100) or at the pace observed so far."""


class WorkstreamStatus(Model):
    """Actuals and re-estimates for one workstream."""

    actual_start: Date | None = None
    actual_finish: Date | None = None
    percent_complete: Annotated[float, Field(ge=0, le=100)] | None = None
    pace: Pace | None = None
    remaining: Quantity | None = None
    actual_cost: NonNegative | None = None

    @property
    def finished(self) -> bool:
        """True when the workstream has an actual finish."""
        return self.actual_finish is not None

    @property
    def started(self) -> bool:
        """True when the workstream has an actual start."""
        return self.actual_start is not None


class Status(Model):
    """A status report: actual starts and finishes, progress, re-estimates, risk states."""

    as_of: Date
    pace: Pace = "planned"
    spent_to_date: NonNegative | None = None
    workstreams: dict[Id, WorkstreamStatus] = {}
    risks: dict[Id, Literal["occurred", "retired", "open"]] = {}
    note: str | None = None
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """The file this status was read from (None if built in code)."""
        return self._source

    def pace_of(self, workstream: str) -> str:
        """The pace that forecasts ``workstream``'s remaining work from its progress.

        Parameters
        ----------
        workstream : str
            A workstream id.

        Returns
        -------
        {"planned", "observed"}
            The workstream's own ``pace`` if it has one, else the report's.
        """
        st = self.workstreams.get(workstream)
        return st.pace if st is not None and st.pace is not None else self.pace

    @classmethod
    def from_dict(cls, data, source: str | None = None) -> Status:
        """Validate plain data into a status; raises ``ScenarioError``.

        Parameters
        ----------
        data : dict
            The parsed status file.
        source : str, optional
            The file it came from; named in every problem and kept as ``source``.

        Returns
        -------
        Status

        Raises
        ------
        ScenarioError
            ``data`` is not a mapping, or is not a valid status (every problem listed).
        """
        if not isinstance(data, dict):
            raise ScenarioError(Problem("", "a status file must be a mapping", source))
        try:
            status = cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(problems_from_validation(exc, cls, source)) from None
        status._source = source
        return status


def load_status(path: str | Path) -> Status:
    """Read a status YAML file; raises ``ScenarioError`` naming the file.

    Parameters
    ----------
    path : str or Path
        The status YAML file.

    Returns
    -------
    Status

    Raises
    ------
    ScenarioError
        The file cannot be read, is not YAML or is not a valid status.
    """
    data, _ = read_yaml(path)
    return Status.from_dict(data, str(path))


def check_status(scenario: Scenario, status: Status, source: str | None = None) -> None:
    """Raise ``ScenarioError`` if the status does not fit the scenario or itself.

    Parameters
    ----------
    scenario : Scenario
        The plan the status reports on.
    status : Status
        The status to check.
    source : str, optional
        The file to name in problems; default ``status.source``.

    Raises
    ------
    ScenarioError
        Listing every problem: dates out of order or outside the plan, unknown
        workstreams or risks, progress that contradicts itself.
    """
    source = source or status.source
    problems: list[Problem] = []
    ws_ids = [w.id for w in scenario.workstreams]
    risk_ids = [r.id for r in scenario.risks]
    if status.as_of < scenario.start_date:
        problems.append(Problem("as_of", f"{status.as_of} is before the scenario's start_date "
                                         f"{scenario.start_date}", source))
    for ws, st in status.workstreams.items():
        where = f"workstreams.{ws}"
        if ws not in ws_ids:
            problems.append(Problem(where, f"unknown workstream '{ws}'{nearest(ws, ws_ids)}",
                                    source))
            continue
        if st.finished and not st.started:
            problems.append(Problem(where, "actual_finish needs an actual_start", source))
        for key in ("actual_start", "actual_finish"):
            day = getattr(st, key)
            if day is not None and day > status.as_of:
                problems.append(Problem(f"{where}.{key}", f"{day} is after as_of {status.as_of}",
                                        source))
            if day is not None and day < scenario.start_date:
                problems.append(Problem(f"{where}.{key}", f"{day} is before the start_date "
                                        f"{scenario.start_date}", source))
        if (st.actual_start is not None and st.actual_finish is not None
                and st.actual_finish < st.actual_start):
            problems.append(Problem(where, f"actual_finish {st.actual_finish} is before "
                                           f"actual_start {st.actual_start}", source))
        if st.finished and (st.percent_complete is not None or st.remaining is not None):
            problems.append(Problem(where, "a finished workstream has no percent_complete or "
                                           "remaining", source))
        if st.percent_complete is not None and st.remaining is not None:
            problems.append(Problem(where, "give percent_complete or remaining, not both",
                                    source))
        if st.percent_complete is not None and not st.started:
            problems.append(Problem(where, "percent_complete needs an actual_start", source))
        if st.pace is not None and st.percent_complete is None:
            problems.append(Problem(f"{where}.pace", "pace reads percent_complete, which is "
                                                     "not given", source))
        if st.actual_cost is not None and not st.started:
            problems.append(Problem(f"{where}.actual_cost", "actual_cost needs an "
                                                            "actual_start", source))
    booked = sum(st.actual_cost or 0.0 for st in status.workstreams.values())
    if status.spent_to_date is not None and booked > status.spent_to_date:
        problems.append(Problem("spent_to_date", f"{status.spent_to_date:,.0f} is less than "
                                f"the workstreams' actual_cost total {booked:,.0f}", source))
    for risk in status.risks:
        if risk not in risk_ids:
            problems.append(Problem(f"risks.{risk}", f"unknown risk '{risk}'"
                                    f"{nearest(risk, risk_ids)}", source))
    if problems:
        raise ScenarioError(problems)

