"""The kinds of value a scenario field holds: ids, dates, quantities, probabilities.

Annotated types that validate one value each (``Id``, ``Date``, ``Quantity``...), the
base model every scenario table shares (``Model``: unknown keys are errors, no NaN or
infinity), and ``plain`` (a distribution as a scenario file writes it).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ..sim.distributions import Distribution, from_spec

__all__ = ["RESERVED_MILESTONE", "MAX_ITERATIONS", "MAX_WEEKS", "MAX_MONEY", "MAX_FTE", "Id",
           "Date", "Quantity", "Duration", "Money", "Factor", "NonNegative", "Probability",
           "Weeks", "Lag", "Fte", "Model", "plain", "short", "finite_number", "is_id"]

RESERVED_MILESTONE = "end"
MAX_ITERATIONS = 100_000_000
"""Most iterations a run may ask for (the file's ``simulation.iterations``, ``--iterations``)."""
MAX_WEEKS = 10_000
"""Longest span in weeks a scenario may give (a lag, a lead time, a ``by``): the latest
simulated finish accepted (``riskmodel.simulate.MAX_WEEKS``, about 190 years)."""
MAX_MONEY = 1e15
"""Largest amount of money a scenario may give (``riskmodel.simulate.MAX_COST``: anything
near it is a typing error, and sums of it still fit a float)."""
MAX_FTE = 10_000
"""Most FTE a staffing or a capacity may give (a programme team is tens of people)."""
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def short(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters (never quote an input at length).

    Parameters
    ----------
    value : object
    width : int
        The most characters, ``...`` included.

    Returns
    -------
    str

    Examples
    --------
    >>> short("x" * 100, width=10)
    "'xxxxxx..."
    """
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def is_id(value: Any) -> bool:
    """Whether ``value`` is a valid id: text that starts with a letter, then letters,
    digits, ``_ . -`` (ASCII, at most 64 characters).

    Parameters
    ----------
    value : object

    Returns
    -------
    bool
    """
    return isinstance(value, str) and 0 < len(value) <= 64 and value[0].isalpha() \
        and set(value) <= _ID_CHARS


def _check_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"an id must be text, got {short(value)}")
    if not is_id(value):
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


def finite_number(value: Any) -> Any:
    """Refuse true/false and NaN/infinity as a number, in a sentence (pydantic reads
    true as 1 and says "Input should be a finite number"); the rest is pydantic's.

    Parameters
    ----------
    value : object
        A field's value as given.

    Returns
    -------
    object
        ``value`` unchanged, for pydantic to check and convert.

    Raises
    ------
    ValueError
        ``value`` is true or false, or a NaN or an infinity (a number or short text).
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    number = value
    if isinstance(value, str) and len(value) < 40:
        try:
            number = float(value)
        except ValueError:
            return value
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {short(value)}")
    return value


_LONG_WORD = re.compile(r"\S{61,}")


def _distribution(value: Any) -> Distribution:
    """``from_spec``, with any long piece of the input it quotes cut short."""
    try:
        return from_spec(value)
    except ValueError as exc:
        text = _LONG_WORD.sub(lambda m: m.group()[:57] + "...", str(exc))
        raise ValueError(text if len(text) <= 300 else text[:297] + "...") from None


def _non_negative(d: Distribution) -> Distribution:
    lo = d.support[0]
    if lo < 0 and d.is_fixed:
        raise ValueError(f"must not be negative, got {lo:g}")
    if lo < 0:
        raise ValueError(f"must not be negative ({d.describe()} goes down to {lo:g})")
    return d


def _at_most(limit: float, unit: str):
    """A check that no number a distribution is given with (its value, min, max, p90,
    sd...) is above ``limit``: a far too large one is refused before anything runs."""
    def check(d: Distribution) -> Distribution:
        spec = d.to_spec()
        numbers = [x for key, v in spec.items() if key != "dist" and key not in d.SCALE_FREE
                   for x in (v if isinstance(v, list) else [v])]
        largest = max((abs(x) for x in numbers if isinstance(x, (int, float))), default=0.0)
        if largest > limit:
            shown = f"{limit:,.0f}{unit}" if limit < 1e6 else f"{limit:.0e}"
            raise ValueError(f"{largest:.3g}{unit} is far too large; the limit is {shown}")
        return d
    return check


def _positive(d: Distribution) -> Distribution:
    if d.support[0] <= 0:
        raise ValueError(f"must be positive ({d.describe()} goes down to {d.support[0]:g})")
    return d


def plain(d: Distribution) -> Any:
    """A distribution as a scenario file writes it: a number when fixed, else its spec.

    Parameters
    ----------
    d : Distribution

    Returns
    -------
    float or dict

    Examples
    --------
    >>> from riskmodel.sim.distributions import from_spec
    >>> plain(from_spec(3))
    3.0
    """
    return d.support[0] if d.name == "fixed" else d.to_spec()


Id = Annotated[str, BeforeValidator(_check_id)]
Date = Annotated[dt.date, BeforeValidator(_check_date)]
_Dist = [BeforeValidator(_distribution), PlainSerializer(plain)]
Quantity = Annotated[Distribution, *_Dist, AfterValidator(_non_negative)]
"""A non-negative uncertain quantity (weeks or money): a number or a distribution."""
Duration = Annotated[Distribution, *_Dist, AfterValidator(_non_negative),
                     AfterValidator(_at_most(MAX_WEEKS, " weeks"))]
"""A duration or a delay in weeks: a number or a distribution, 0 to ``MAX_WEEKS``."""
Money = Annotated[Distribution, *_Dist, AfterValidator(_non_negative),
                  AfterValidator(_at_most(MAX_MONEY, ""))]
"""A cost or a rate: a number or a distribution, 0 to ``MAX_MONEY``."""
Factor = Annotated[Distribution, *_Dist, AfterValidator(_positive)]
NonNegative = Annotated[float, BeforeValidator(finite_number), Field(ge=0)]
Probability = Annotated[float, BeforeValidator(finite_number), Field(ge=0, le=1)]
Weeks = Annotated[float, BeforeValidator(finite_number), Field(ge=0, le=MAX_WEEKS)]
"""A span of time in weeks, 0 to ``MAX_WEEKS``."""
Lag = Annotated[float, BeforeValidator(finite_number), Field(ge=-MAX_WEEKS, le=MAX_WEEKS)]
"""A lag in weeks (negative: a lead), at most ``MAX_WEEKS`` either way."""
Fte = Annotated[float, BeforeValidator(finite_number), Field(ge=0, le=MAX_FTE)]
"""A number of full-time equivalents, 0 to ``MAX_FTE``."""


class Model(BaseModel):
    """A scenario table's model: unknown keys are errors, numbers are finite."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, arbitrary_types_allowed=True,
        validate_assignment=True,
    )
