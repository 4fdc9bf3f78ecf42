"""The kinds of value a scenario field holds: ids, dates, quantities, probabilities.

Annotated types that validate one value each (``Id``, ``Date``, ``Quantity``...), the
base model every scenario table shares (``Model``: unknown keys are errors, no NaN or
infinity), and ``plain`` (a distribution as a scenario file writes it).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ..sim.distributions import Distribution, from_spec

__all__ = ["RESERVED_MILESTONE", "MAX_ITERATIONS", "Id", "Date", "Quantity", "Factor",
           "NonNegative", "Probability", "Model", "plain"]

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
    if lo < 0 and d.is_fixed:
        raise ValueError(f"must not be negative, got {lo:g}")
    if lo < 0:
        raise ValueError(f"must not be negative ({d.describe()} goes down to {lo:g})")
    return d


def _positive(d: Distribution) -> Distribution:
    if d.support[0] <= 0:
        raise ValueError(f"must be positive ({d.describe()} goes down to {d.support[0]:g})")
    return d


def plain(d: Distribution) -> Any:
    """A distribution as a scenario file writes it: a number when fixed, else its spec."""
    return d.support[0] if d.name == "fixed" else d.to_spec()


Id = Annotated[str, BeforeValidator(_check_id)]
Date = Annotated[dt.date, BeforeValidator(_check_date)]
_Dist = [BeforeValidator(from_spec), PlainSerializer(plain)]
Quantity = Annotated[Distribution, *_Dist, AfterValidator(_non_negative)]
"""A non-negative uncertain quantity (weeks or money): a number or a distribution."""
Factor = Annotated[Distribution, *_Dist, AfterValidator(_positive)]
NonNegative = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]


class Model(BaseModel):
    """A scenario table's model: unknown keys are errors, numbers are finite."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, arbitrary_types_allowed=True,
        validate_assignment=True,
    )
