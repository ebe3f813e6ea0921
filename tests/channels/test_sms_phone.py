"""Phone numbers to E.164."""

from __future__ import annotations

import pytest

from channels.sms.phone import InvalidPhoneNumber, normalise

VALID = [
    ("spaced national", "20 12 34 56", "DK", "+4520123456"),
    ("plus and spaces", "+45 20123456", "DK", "+4520123456"),
    ("00 international prefix", "004520123456", "DK", "+4520123456"),
    ("already E.164", "+4520123456", "DK", "+4520123456"),
    ("dashes", "20-12-34-56", "DK", "+4520123456"),
    ("foreign number kept", "+46 70 123 45 67", "DK", "+46701234567"),
    ("other region national", "070-123 45 67", "SE", "+46701234567"),
]

INVALID = [
    ("empty", ""),
    ("blank", "   "),
    ("letters", "ring mig"),
    ("too short", "2012345"),
    ("too long", "2012345678"),
    ("not a DK number", "+45 00 00 00 00"),
]


@pytest.mark.parametrize(
    ("raw", "region", "expected"), [c[1:] for c in VALID], ids=[c[0] for c in VALID]
)
def test_normalise(raw: str, region: str, expected: str) -> None:
    assert normalise(raw, region) == expected


@pytest.mark.parametrize("raw", [c[1] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_numbers_raise_without_echoing_the_number(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as info:
        normalise(raw)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert message
    if raw.strip():
        assert raw.strip() not in message
    assert not any(ch.isdigit() for ch in message)
    assert info.value.__cause__ is None
