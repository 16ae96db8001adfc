from decimal import Decimal

import pytest

from zhiliang.lib.numbers import plain_decimal


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("5000.0000", "5000"),
        ("100", "100"),
        ("91.2000", "91.2"),
        ("0.0500", "0.05"),
        ("-3.10", "-3.1"),
    ],
)
def test_it_writes_decimals_plainly(value, text):
    assert plain_decimal(Decimal(value)) == text
