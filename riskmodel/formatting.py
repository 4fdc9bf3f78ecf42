"""How numbers are written for people: money in the scenario's currency, dates,
percentages and weeks. Every output (the console summary, plots, the report, the deck,
the workbook, the comparison page, the what-if) writes them through these functions.
"""
from __future__ import annotations

import datetime as dt

__all__ = ["SYMBOLS", "money", "signed_money", "long_date", "target_name", "percent", "weeks",
           "axis_money", "excel_money_format"]

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
"""Currencies written with a symbol before the amount; others get their code after it."""


def _code(currency: str) -> str:
    return "".join(ch for ch in str(currency) if ch.isalnum())[:3].upper() or "USD"


def money(x: float | None, currency: str = "USD", short: bool = False) -> str:
    """``$313,694`` (``$314k`` when ``short``; ``$1.2M`` past a million), ``€313,694``,
    ``313,694 SEK`` for a currency without a symbol here; ``n/a`` for None.

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
    """``+$12,272`` / ``-$1,000`` (``+$0`` for less than half a unit)."""
    return ("-" if x < -0.5 else "+") + money(abs(x), currency, short)


def long_date(d: dt.date | dt.datetime | str) -> str:
    """``1 Mar 2027`` from a date or ISO text."""
    if isinstance(d, str):
        d = dt.date.fromisoformat(d[:10])
    return f"{d.day} {d:%b %Y}"


def target_name(target_id: object) -> str:
    """What a target is called in words: ``audit-ready`` for the audit, else its id with
    spaces (``report in hand``)."""
    return "audit-ready" if target_id == "audit" else str(target_id).replace("_", " ")


def percent(p: float | None, digits: int = 0, signed: bool = False) -> str:
    """``46%`` (``46.2%`` with ``digits=1``; ``+12%`` when ``signed``); ``n/a`` for None."""
    if p is None or p != p:
        return "n/a"
    return f"{p:{'+' if signed else ''}.{digits}%}"


def weeks(x: float, digits: int = 1, signed: bool = False) -> str:
    """``2.7 weeks`` (``+2.7 weeks`` when ``signed``; ``1 week``)."""
    text = f"{x:{'+' if signed else ''}.{digits}f}"
    return f"{text} week" if text.lstrip("+-") in ("1", "1.0", "1.00") else f"{text} weeks"


def axis_money(currency: str = "USD"):
    """A matplotlib tick formatter writing short amounts (``$314k``); the dollar sign is
    escaped so that matplotlib never reads two of them as mathematics."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos=None: money(x, currency, short=True).replace("$", r"\$"))


def excel_money_format(currency: str = "USD") -> str:
    """An Excel number format for whole amounts: ``"$"#,##0`` for USD, ``"€"#,##0`` for
    EUR, ``#,##0 "SEK"`` for a currency without a symbol here."""
    code = _code(currency)
    symbol = SYMBOLS.get(code)
    if symbol is not None:
        return f'"{symbol}"#,##0;-"{symbol}"#,##0'
    return f'#,##0 "{code}";-#,##0 "{code}"'
