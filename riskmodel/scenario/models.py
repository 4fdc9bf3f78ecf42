"""The scenario's fields (DESIGN §3): pydantic models that validate each key.

Field-level checks live here; checks across the whole scenario (unknown ids, cycles,
correlation matrices) live in ``checks.py``; ``schema.Scenario`` (built on
``ScenarioFields``) runs both, and reads and merges, from ``from_dict`` and
``with_changes``. The kinds of value (``Id``, ``Quantity``...) are in ``fields.py``;
nothing else of this package is imported here.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import numbers
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_serializer,
    model_validator,
)

from ..sim.distributions import from_spec
from .fields import (
    MAX_FTE,
    MAX_ITERATIONS,
    MAX_WEEKS,
    RESERVED_MILESTONE,
    Date,
    Duration,
    Factor,
    Fte,
    Id,
    Lag,
    Model,
    Money,
    NonNegative,
    Probability,
    Quantity,
    Weeks,
    finite_number,
    short,
)

__all__ = [
    "ScenarioFields",
    "Role",
    "CapacityPeriod",
    "Workstream",
    "Dependency",
    "Risk",
    "Condition",
    "Correlation",
    "FixedCost",
    "Overhead",
    "CostBand",
    "CostOfDelay",
    "Target",
    "Blackout",
    "Calendar",
    "SimulationSettings",
    "RESERVED_MILESTONE",
    "MAX_ITERATIONS",
    "MAX_WEEKS",
    "MAX_FTE",
    "MAX_CAPACITY_PERIODS",
    "Id",
    "Date",
    "Quantity",
    "Factor",
    "NonNegative",
    "Probability",
]

class CapacityPeriod(Model):
    """FTE of a role available from a date on (until the next period's date)."""

    model_config = ConfigDict(populate_by_name=True)
    start: Date = Field(alias="from")
    fte: Fte


MAX_CAPACITY_PERIODS = 1_000
"""Most capacity periods a role may list (one a day for 2.7 years): levelling's time
grows with them."""
_PERIODS = TypeAdapter(list[CapacityPeriod])
_FTE = TypeAdapter(Fte)


def _capacity(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A role's capacity, checked as the one form it is written in (a number of FTE or a
    list of periods), so a wrong value is one sentence, not one per form."""
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            raise ValueError("give a number of FTE or at least one period")
        if len(value) > MAX_CAPACITY_PERIODS:
            raise ValueError(f"{len(value):,} periods; the limit is {MAX_CAPACITY_PERIODS:,} "
                             "(merge the periods that have the same FTE)")
        periods = _PERIODS.validate_python(value)
        days = [p.start for p in periods]
        if any(b <= a for a, b in zip(days, days[1:])):
            raise ValueError("periods must be in date order, one per date")
        return periods
    if isinstance(value, (numbers.Real, str)) and not isinstance(value, bool):
        return _FTE.validate_python(value)
    raise ValueError("expected a number of FTE or a list of periods like [{from: 2027-01-04, "
                     f"fte: 1}}], got {short(value)}")


class Role(Model):
    """A role with a loaded weekly rate (a number or a distribution: a contractor's
    range); workstreams staff it in FTEs.

    ``capacity`` (optional) is the FTE of the role that exists: a number for all the
    time, or periods ``[{from: date, fte: x}, ...]`` in date order (before the first
    date none is available). Without it the role is unlimited.
    """

    id: Id
    weekly_rate: Money
    name: str | None = None
    capacity: Annotated[float | list[CapacityPeriod] | None, WrapValidator(_capacity)] = None
    lead_time: Weeks = 0.0
    """Weeks from the decision to the first day of a person added to this role (hiring
    or contracting; 0 for people already on the payroll). Used by ``change_staffing``."""

    def capacity_steps(self) -> list[tuple[dt.date | None, float]] | None:
        """Capacity as (from date, FTE) steps, the first from None (the beginning of
        time); None for an unlimited role.

        Returns
        -------
        list of (date or None, float), or None
            Periods that do not change the FTE are left out.

        Examples
        --------
        >>> Role(id="grc_analyst", weekly_rate=3000, capacity=2).capacity_steps()
        [(None, 2.0)]
        """
        if self.capacity is None:
            return None
        if not isinstance(self.capacity, list):
            return [(None, float(self.capacity))]
        steps: list[tuple[dt.date | None, float]] = [(None, 0.0)]
        for p in self.capacity:  # a period with the FTE of the one before changes nothing
            if p.fte != steps[-1][1]:
                steps.append((p.start, p.fte))
        return steps


def _dependency(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


LinkType = Literal["FS", "SS", "FF", "SF"]


class Dependency(Model):
    """Dependency on workstream ``id``: ``type`` FS (finish-to-start, the default), SS
    (start-to-start), FF (finish-to-finish) or SF (start-to-finish), with a ``lag`` in
    weeks; a negative lag is a lead (DESIGN §3)."""

    id: Id
    type: LinkType = "FS"
    lag: Lag = 0.0

    @model_serializer(mode="wrap")
    def _plain(self, handler) -> Any:
        data = handler(self)
        if self.type == "FS" and isinstance(data, dict):  # as before types: no key
            data.pop("type", None)
        return data

    def describe(self, name: str | None = None) -> str:
        """As people read it: the workstream's ``name`` (default its id), then the type
        unless FS and the lag unless 0, as in "Permission sets (SS +2 wk)".

        Parameters
        ----------
        name : str, optional
            The predecessor's name.

        Returns
        -------
        str

        Examples
        --------
        >>> Dependency(id="sf_permissions", type="SS", lag=2).describe("Permission sets")
        'Permission sets (SS +2 wk)'
        """
        parts = ([] if self.type == "FS" else [self.type]) + (
            [f"{self.lag:+g} wk"] if self.lag else [])
        return (name or self.id) + (f" ({' '.join(parts)})" if parts else "")


class Workstream(Model):
    """A piece of remediation work: duration in weeks, predecessors, staffing, fixed cost."""

    id: Id
    name: str | None = None
    duration: Duration
    depends_on: list[Annotated[Dependency, BeforeValidator(_dependency)]] = []
    staffing: dict[Id, Fte] = {}
    fixed_cost: Money = Field(default_factory=lambda: from_spec(0))
    not_before: Date | None = None
    """A date before which it cannot start (a booked slot: "start no earlier than")."""
    skills: list[Id] = []
    """Roles that can do the work (its pace follows their FTE); default: every role in
    ``staffing``. Other staffed roles support it (paid, not faster with more)."""
    criteria: list[str] = []
    description: str | None = None


class Condition(Model):
    """One clause of a risk's ``when``: exactly one of ``risk`` (that risk fired),
    ``not_risk`` (it did not), ``late`` (that target is missed; with ``by``, missed by
    more than ``by`` weeks) or ``on_time`` (that target is met; with ``by``, missed by at
    most ``by`` weeks)."""

    risk: Id | None = None
    not_risk: Id | None = None
    late: Id | None = None
    on_time: Id | None = None
    by: Weeks | None = None

    @model_validator(mode="after")
    def _one(self) -> Condition:
        given = [k for k in ("risk", "not_risk", "late", "on_time") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of risk, not_risk, late or on_time"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.by is not None and given[0] not in ("late", "on_time"):
            raise ValueError("by goes with late or on_time (weeks past the target date)")
        return self

    @property
    def kind(self) -> Literal["risk", "not_risk", "late", "on_time"]:
        """Which clause this is."""
        return ("risk" if self.risk else "not_risk" if self.not_risk
                else "late" if self.late else "on_time")

    @property
    def ref(self) -> str:
        """The risk or target the clause names."""
        return str(self.risk or self.not_risk or self.late or self.on_time)

    def describe(self, names: dict[str, str] | None = None,
                 target: Callable[[str, float], str] | None = None) -> str:
        """The clause in words, "if ...": a risk by ``names[id]`` if given; a target by
        ``target(id, weeks)`` if given ("audit-ready by 15 Mar 2027": the target met
        ``by`` weeks late at most), else by its id.

        Parameters
        ----------
        names : dict of str to str, optional
            Risks' names by id.
        target : callable, optional
            ``target(id, weeks)``: a target in words, met at most ``weeks`` late.

        Returns
        -------
        str

        Examples
        --------
        >>> Condition(late="audit", by=2).describe()
        'if audit is missed by more than 2 weeks'
        """
        ref = (names or {}).get(self.ref, self.ref)
        if self.kind in ("risk", "not_risk"):
            return f"if {ref} {'occurs' if self.kind == 'risk' else 'does not occur'}"
        if target is not None:
            return f"if {'not ' if self.kind == 'late' else ''}{target(self.ref, self.by or 0)}"
        by = f" by more than {self.by:g} weeks" if self.by else ""
        return (f"if {ref} is missed{by}" if self.kind == "late" else
                f"if {ref} is missed by {self.by:g} weeks or less" if self.by
                else f"if {ref} is met")


class Risk(Model):
    """A discrete risk event (AACE 57R-09 risk driver).

    With ``when``, it is drawn only where every clause holds, and ``probability`` is the
    probability given that they hold.
    """

    id: Id
    name: str | None = None
    probability: Probability
    when: list[Condition] = []
    affects: list[Id] = []
    delay: Duration | None = None
    factor: Factor | None = None
    cost: Money = Field(default_factory=lambda: from_spec(0))
    description: str | None = None

    @model_validator(mode="after")
    def _impact(self) -> Risk:
        if self.delay is not None and self.factor is not None:
            raise ValueError("give either delay or factor, not both")
        if (self.delay is not None or self.factor is not None) and not self.affects:
            raise ValueError("a risk with a delay or factor must name the workstreams it affects")
        if self.delay is None and self.factor is None and self.cost.support[1] == 0:
            raise ValueError("a risk needs a delay, a factor or a cost")
        return self


class Correlation(Model):
    """Spearman rank correlation between two uncertain inputs, named by id: a
    workstream (its duration), a risk (its delay or factor; its cost if it has
    neither), a role (its weekly rate), a programme fixed cost or an overhead (its
    weekly cost)."""

    between: tuple[Id, Id]
    rho: Annotated[float, BeforeValidator(finite_number), Field(ge=-1, le=1)]


class FixedCost(Model):
    """A programme-level cost that does not depend on time."""

    id: Id
    name: str | None = None
    cost: Money
    note: str | None = None


class Overhead(Model):
    """A time-dependent programme cost accruing every week from the start until the
    milestone ``until`` finishes (the programme ``end`` by default)."""

    id: Id
    name: str | None = None
    weekly_cost: Money | None = None
    staffing: dict[Id, Fte] | None = None
    until: Id = RESERVED_MILESTONE
    note: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Overhead:
        if (self.weekly_cost is None) == (self.staffing is None):
            raise ValueError("give exactly one of weekly_cost or staffing")
        return self


class CostBand(Model):
    """The budget range whose probabilities finance wants (below / within / above)."""

    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _order(self) -> CostBand:
        if not self.low < self.high:
            raise ValueError(f"low {self.low:g} must be below high {self.high:g}")
        return self


class CostOfDelay(Model):
    """Revenue at risk per week late, reported apart from spend."""

    weekly: NonNegative


class Target(Model):
    """A date to test on a milestone (a workstream's finish, or ``end``)."""

    id: Id
    milestone: Id = RESERVED_MILESTONE
    date: Date


class Blackout(Model):
    """Calendar window in which work proceeds at ``capacity`` (0 = stopped)."""

    model_config = ConfigDict(populate_by_name=True)
    start: Date = Field(alias="from")
    to: Date
    capacity: Annotated[float, BeforeValidator(finite_number), Field(ge=0, lt=1)] = 0.0

    @model_validator(mode="after")
    def _order(self) -> Blackout:
        if not self.start < self.to:
            raise ValueError(f"from {self.start} must be before to {self.to}")
        return self


class Calendar(Model):
    """Time that does not count (fully) as work."""

    blackouts: list[Blackout] = []


class SimulationSettings(Model):
    """How to simulate: iterations, seed, sampling plan, strictness."""

    iterations: Annotated[int, Field(ge=1, le=MAX_ITERATIONS)] = 100_000
    seed: Annotated[int, Field(ge=0)] | None = None
    sampling: Literal["lhs", "random"] = "lhs"
    strict: bool = False


class ScenarioFields(Model):
    """The fields of a scenario and what derives from them (``schema.Scenario`` adds
    validation across keys, reading and merging). Build a ``Scenario`` with
    ``load_scenario(path)`` or ``Scenario.from_dict`` (examples there).
    """

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str | None = None
    start_date: Date
    audit_date: Date | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    cost_band: CostBand = CostBand(low=150_000, high=400_000)
    budget: NonNegative | None = None
    """The budget to test joint confidence against (default: the top of the cost band)."""
    simulation: SimulationSettings = SimulationSettings()
    roles: list[Role] = []
    workstreams: Annotated[list[Workstream], Field(min_length=1)]
    risks: list[Risk] = []
    correlations: list[Correlation] = []
    fixed_costs: list[FixedCost] = []
    overhead: list[Overhead] = []
    cost_of_delay: CostOfDelay | None = None
    targets: list[Target] = []
    headline_target: Id | None = None
    calendar: Calendar | None = None

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) that ``from_dict`` turns back into this scenario.

        Returns
        -------
        dict
            Keys as a scenario file writes them; unset keys left out.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    # -- derived -----------------------------------------------------------------
    @property
    def sha256(self) -> str:
        """Hash of the validated content (the same however the scenario was written)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def sources(self) -> dict[str, str]:
        """Files this scenario was read from, with their SHA-256."""
        return dict(self._sources)

    @property
    def all_targets(self) -> list[Target]:
        """Targets, with ``audit_date`` expanded to the target ``audit`` on ``end``.

        The first is the headline target: ``headline_target`` if set, else ``audit``,
        else the first one listed.
        """
        targets = list(self.targets)
        if self.audit_date is not None and not any(t.id == "audit" for t in targets):
            targets.insert(0, Target(id="audit", milestone=RESERVED_MILESTONE,
                                     date=self.audit_date))
        first = [t for t in targets if t.id == self.headline_target]
        return first + [t for t in targets if t not in first]

    @property
    def audit_target(self) -> Target:
        """The target ``audit`` if there is one, else the headline target."""
        return next((t for t in self.all_targets if t.id == "audit"), self.all_targets[0])

    def weeks_from_start(self, date: dt.date) -> float:
        """Weeks between the start date and ``date``.

        Parameters
        ----------
        date : datetime.date

        Returns
        -------
        float
            Negative before the start date.
        """
        return (date - self.start_date).days / 7.0

    def workstream(self, ws_id: str) -> Workstream:
        """The workstream with this id.

        Parameters
        ----------
        ws_id : str

        Returns
        -------
        Workstream

        Raises
        ------
        KeyError
            No workstream has this id.
        """
        for ws in self.workstreams:
            if ws.id == ws_id:
                return ws
        raise KeyError(ws_id)
