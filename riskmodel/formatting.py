"""How numbers are written for people: money in the scenario's currency, dates,
percentages and weeks. Every output (the console summary, plots, the report, the deck,
the workbook, the comparison page, the what-if) writes them through these functions.
"""
from __future__ import annotations

import datetime as dt

__all__ = ["SYMBOLS", "money", "signed_money", "long_date", "target_name", "percent", "points",
           "weeks", "axis_money", "excel_money_format", "axis_percent"]

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
"""Currencies written with a symbol before the amount; others get their code after it."""


def _code(currency: str) -> str:
    return "".join(ch for ch in str(currency) if ch.isalnum())[:3].upper() or "USD"


def money(x: float | None, currency: str = "USD", short: bool = False) -> str:
    """An amount in a currency, for people.

    Parameters
    ----------
    x : float or None
        The amount.
    currency : str
        An ISO code; USD, EUR, GBP, JPY and INR get their symbol before the amount, any
        other its code after it.
    short : bool
        ``$314k`` (``$1.2M`` past a million) instead of ``$313,694``.

    Returns
    -------
    str
        ``n/a`` for None or NaN.

    Examples
    --------
    >>> money(313694.2), money(-1500, "EUR"), money(2.5e6, short=True), money(9e3, "SEK")
    ('$313,694', '-€1,500', '$2.5M', '9,000 SEK')
    """
    if x is None or x != x:
        return "n/a"
    sign, x = ("-" if x < 0 else ""), abs(float(x))
    if short and x >= 1e6:
        text = f"{x / 1e6:.1f}M"
    elif short:
        text = f"{x / 1e3:,.0f}k"
    else:
        text = f"{x:,.0f}"
    code = _code(currency)
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def signed_money(x: float, currency: str = "USD", short: bool = False) -> str:
    """An amount with its sign: ``+$12,272`` / ``-$1,000`` (``+$0`` for less than half a unit).

    Parameters
    ----------
    x : float
    currency : str
    short : bool
        As for ``money``.

    Returns
    -------
    str

    Examples
    --------
    >>> signed_money(12272.4), signed_money(-1000, "GBP"), signed_money(-0.2)
    ('+$12,272', '-£1,000', '+$0')
    """
    return ("-" if x < -0.5 else "+") + money(abs(x), currency, short)


def long_date(d: dt.date | dt.datetime | str) -> str:
    """A date for people: ``1 Mar 2027``.

    Parameters
    ----------
    d : date, datetime or str
        A date or ISO text (only its first ten characters are read).

    Returns
    -------
    str

    Examples
    --------
    >>> long_date("2027-03-01"), long_date(dt.date(2026, 12, 24))
    ('1 Mar 2027', '24 Dec 2026')
    """
    if isinstance(d, str):
        d = dt.date.fromisoformat(d[:10])
    return f"{d.day} {d:%b %Y}"


def target_name(target_id: object) -> str:
    """What a target is called in words.

    Parameters
    ----------
    target_id : object
        The target's id.

    Returns
    -------
    str
        ``audit-ready`` for the audit, else its id with spaces.

    Examples
    --------
    >>> target_name("audit"), target_name("report_in_hand")
    ('audit-ready', 'report in hand')
    """
    return "audit-ready" if target_id == "audit" else str(target_id).replace("_", " ")


def percent(p: float | None, digits: int = 0, signed: bool = False) -> str:
    """A share as a percentage.

    Parameters
    ----------
    p : float or None
        A share (0.46 for 46%).
    digits : int
        Decimals.
    signed : bool
        Always write the sign.

    Returns
    -------
    str
        ``n/a`` for None or NaN.

    Examples
    --------
    >>> percent(0.4617), percent(0.4617, 1), percent(0.12, signed=True), percent(None)
    ('46%', '46.2%', '+12%', 'n/a')
    """
    if p is None or p != p:
        return "n/a"
    return f"{p:{'+' if signed else ''}.{digits}%}"


def points(change: float, signed: bool = False, unit: str = "points") -> str:
    """A change in a probability as percentage points.

    Parameters
    ----------
    change : float
        The change as a share (0.12 for 12 points).
    signed : bool
        Always write the sign.
    unit : str
        ``"points"``, or ``"pts"`` for a chart's short note.

    Returns
    -------
    str

    Examples
    --------
    >>> points(0.123), points(-0.05, signed=True), points(0.2, True, "pts"), points(0.01)
    ('12 points', '-5 points', '+20 pts', '1 point')
    """
    number = f"{change * 100:{'+' if signed else ''}.0f}"
    if unit == "points" and number.lstrip("+-") == "1":
        unit = "point"
    return f"{number} {unit}"


def weeks(x: float, digits: int = 1, signed: bool = False) -> str:
    """A number of weeks: ``2.7 weeks`` (``+2.7 weeks`` when ``signed``; ``1 week``).

    Parameters
    ----------
    x : float
    digits : int
        Decimals.
    signed : bool
        Always write the sign.

    Returns
    -------
    str

    Examples
    --------
    >>> weeks(2.66), weeks(1), weeks(0.5, signed=True)
    ('2.7 weeks', '1.0 week', '+0.5 weeks')
    """
    text = f"{x:{'+' if signed else ''}.{digits}f}"
    return f"{text} week" if text.lstrip("+-") in ("1", "1.0", "1.00") else f"{text} weeks"


def axis_money(currency: str = "USD"):
    """A matplotlib tick formatter writing short amounts (``$314k``); the dollar sign is
    escaped so that matplotlib never reads two of them as mathematics.

    Parameters
    ----------
    currency : str
        As for ``money``.

    Returns
    -------
    matplotlib.ticker.FuncFormatter
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: money(x, currency, short=True).replace("$", r"\$"))


def axis_percent():
    """A matplotlib tick formatter writing shares as whole percentages (``46%``).

    Returns
    -------
    matplotlib.ticker.FuncFormatter
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda y, _pos=None: percent(y))


def excel_money_format(currency: str = "USD") -> str:
    """An Excel number format for whole amounts.

    Parameters
    ----------
    currency : str
        As for ``money``.

    Returns
    -------
    str
        ``"$"#,##0`` for USD, ``"€"#,##0`` for EUR, ``#,##0 "SEK"`` for a currency
        without a symbol here (negative amounts with a minus sign).
    """
    code = _code(currency)
    symbol = SYMBOLS.get(code)
    if symbol is not None:
        return f'"{symbol}"#,##0;-"{symbol}"#,##0'
    return f'#,##0 "{code}";-#,##0 "{code}"'
