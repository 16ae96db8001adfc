"""Showing decimals as officials write them: 5000, 91.2 — never 5E+3 or 91.2000."""

from __future__ import annotations

from decimal import Decimal


def plain_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
