"""Showing numbers and dates as officials write them: 5000, 91.2 (never 5E+3 or
91.2000); 2015年12月31日 (GB/T 9704-2012 7.3.5.1: Arabic numerals, no leading zeros)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def plain_decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")


def cell_number(value: Decimal | None) -> int | float | None:
    """A decimal as the plain number people expect in a spreadsheet cell."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
