"""The scenario's fields (DESIGN §3): pydantic models that validate each key.

Field-level checks live here; checks across the whole scenario (unknown ids, cycles,
correlation matrices) live in ``checks.py``; ``schema.Scenario`` (built on
``ScenarioFields``) runs both, and reads and merges, from ``from_dict`` and
``with_changes``. Nothing here imports the other modules of this package.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    model_validator,
)

from ..sim.distributions import Distribution, from_spec

__all__ = [
    "ScenarioFields",
    "Role",
    "Workstream",
    "Dependency",
    "Risk",
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
    "Id",
    "Date",
    "Quantity",
    "Factor",
    "NonNegative",
    "Probability",
]

RESERVED_MILESTONE = "end"
MAX_ITERATIONS = 100_000_000
"""Most iterations a run may ask for (the file's ``simulation.iterations``, ``--iterations``)."""
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _check_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"an id must be text, got {value!r}")
    if not value or not value[0].isalpha() or not set(value) <= _ID_CHARS or len(value) > 64:
        raise ValueError(
            f"'{value[:80]}' is not a valid id: start with a letter, then letters, digits, "
            "_ . or - (at most 64 characters)"
        )
    return value


def _check_date(value: Any) -> dt.date:
    day = None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    if day is None:
        raise ValueError(f"expected an ISO date like 2027-03-01, got {value!r}"[:120])
    if not 1970 <= day.year <= 2199:  # weeks from a start date, and back, stay dates
        raise ValueError(f"{day} is out of range: dates go from 1970 to 2199")
    return day


def _non_negative(d: Distribution) -> Distribution:
    lo = d.support[0]
    if lo < 0:
        raise ValueError(f"must not be negative ({d.describe()} goes down to {lo:g})")
    return d


def _positive(d: Distribution) -> Distribution:
    if d.support[0] <= 0:
        raise ValueError(f"must be positive ({d.describe()} goes down to {d.support[0]:g})")
    return d


def _dist_to_plain(d: Distribution) -> Any:
    return d.support[0] if d.name == "fixed" else d.to_spec()


Id = Annotated[str, BeforeValidator(_check_id)]
Date = Annotated[dt.date, BeforeValidator(_check_date)]
_Dist = [BeforeValidator(from_spec), PlainSerializer(_dist_to_plain)]
Quantity = Annotated[Distribution, *_Dist, AfterValidator(_non_negative)]
"""A non-negative uncertain quantity (weeks or money): a number or a distribution."""
Factor = Annotated[Distribution, *_Dist, AfterValidator(_positive)]
NonNegative = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, arbitrary_types_allowed=True,
        validate_assignment=True,
    )


class Role(_Model):
    """A role with a loaded weekly rate; workstreams staff it in FTEs."""

    id: Id
    weekly_rate: NonNegative
    name: str | None = None


def _dependency(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


class Dependency(_Model):
    """Finish-to-start dependency on workstream ``id`` with an optional lag in weeks."""

    id: Id
    lag: NonNegative = 0.0


class Workstream(_Model):
    """A piece of remediation work: duration in weeks, predecessors, staffing, fixed cost."""

    id: Id
    name: str | None = None
    duration: Quantity
    depends_on: list[Annotated[Dependency, BeforeValidator(_dependency)]] = []
    staffing: dict[Id, NonNegative] = {}
    fixed_cost: Quantity = Field(default_factory=lambda: from_spec(0))
    criteria: list[str] = []
    description: str | None = None


class Risk(_Model):
    """A discrete risk event (AACE 57R-09 risk driver)."""

    id: Id
    name: str | None = None
    probability: Probability
    affects: list[Id] = []
    delay: Quantity | None = None
    factor: Factor | None = None
    cost: Quantity = Field(default_factory=lambda: from_spec(0))
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


class Correlation(_Model):
    """Spearman rank correlation between two workstreams' durations."""

    between: tuple[Id, Id]
    rho: Annotated[float, Field(ge=-1, le=1)]


class FixedCost(_Model):
    """A programme-level cost that does not depend on time."""

    id: Id
    name: str | None = None
    cost: Quantity
    note: str | None = None


class Overhead(_Model):
    """A time-dependent programme cost accruing every week from the start until the
    milestone ``until`` finishes (the programme ``end`` by default)."""

    id: Id
    name: str | None = None
    weekly_cost: NonNegative | None = None
    staffing: dict[Id, NonNegative] | None = None
    until: Id = RESERVED_MILESTONE
    note: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Overhead:
        if (self.weekly_cost is None) == (self.staffing is None):
            raise ValueError("give exactly one of weekly_cost or staffing")
        return self


class CostBand(_Model):
    """The budget range whose probabilities finance wants (below / within / above)."""

    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _order(self) -> CostBand:
        if not self.low < self.high:
            raise ValueError(f"low {self.low:g} must be below high {self.high:g}")
        return self


class CostOfDelay(_Model):
    """Revenue at risk per week late, reported apart from spend."""

    weekly: NonNegative


class Target(_Model):
    """A date to test on a milestone (a workstream's finish, or ``end``)."""

    id: Id
    milestone: Id = RESERVED_MILESTONE
    date: Date


class Blackout(_Model):
    """Calendar window in which work proceeds at ``capacity`` (0 = stopped)."""

    model_config = ConfigDict(populate_by_name=True)
    start: Date = Field(alias="from")
    to: Date
    capacity: Annotated[float, Field(ge=0, lt=1)] = 0.0

    @model_validator(mode="after")
    def _order(self) -> Blackout:
        if not self.start < self.to:
            raise ValueError(f"from {self.start} must be before to {self.to}")
        return self


class Calendar(_Model):
    """Time that does not count (fully) as work."""

    blackouts: list[Blackout] = []


class SimulationSettings(_Model):
    """How to simulate: iterations, seed, sampling plan, strictness."""

    iterations: Annotated[int, Field(ge=1, le=MAX_ITERATIONS)] = 100_000
    seed: Annotated[int, Field(ge=0)] | None = None
    sampling: Literal["lhs", "random"] = "lhs"
    strict: bool = False


class ScenarioFields(_Model):
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
        """Plain data (JSON/YAML-ready) that ``from_dict`` turns back into this scenario."""
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
        """Weeks between the start date and ``date``."""
        return (date - self.start_date).days / 7.0

    def workstream(self, ws_id: str) -> Workstream:
        """The workstream with this id."""
        for ws in self.workstreams:
            if ws.id == ws_id:
                return ws
        raise KeyError(ws_id)
