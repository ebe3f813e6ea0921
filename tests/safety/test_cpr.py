"""CPR redaction: shape plus a valid date, never inside longer digit runs."""

from __future__ import annotations

import pytest

from bot.safety.cpr import MARKER, contains_cpr, redact_cpr


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("010203-1234", "[CPR]", 1),
        ("0102031234", "[CPR]", 1),
        ("010203 1234", "[CPR]", 1),
        ("010203 - 1234", "[CPR]", 1),
        ("010203–1234", "[CPR]", 1),  # en dash, as phones autocorrect it
        ("320103-1234", "320103-1234", 0),  # no 32nd
        ("011303-1234", "011303-1234", 0),  # no 13th month
        ("000103-1234", "000103-1234", 0),  # no day 0
        ("310403-1234", "310403-1234", 0),  # April has 30 days
        ("310203-1234", "310203-1234", 0),  # 31 February
        ("290200-1234", "[CPR]", 1),  # 2000 was a leap year
        ("290204-1234", "[CPR]", 1),
        ("290201-1234", "290201-1234", 0),
        ("311299-9999", "[CPR]", 1),
        # Numbers issued since 2007 need not pass modulus 11: no checksum check.
        ("010203-1235", "[CPR]", 1),
        ("mit cpr er 010203-1234, hvad nu?", "mit cpr er [CPR], hvad nu?", 1),
        ("cpr:0102031234.", "cpr:[CPR].", 1),
        ("(010203-1234)", "([CPR])", 1),
        ("🙏 010203-1234 😊", "🙏 [CPR] 😊", 1),
        ("رقمي 010203-1234 شكرا", "رقمي [CPR] شكرا", 1),
        ("٠١٠٢٠٣-١٢٣٤", "[CPR]", 1),  # Arabic-Indic digits from an Arabic keyboard
        ("010203-1234 og 150599-4321", "[CPR] og [CPR]", 2),
        ("010203-1234\n020304-5678\n", "[CPR]\n[CPR]\n", 2),
        # Not CPR numbers.
        ("ring +45 20123456", "ring +45 20123456", 0),
        ("ring +4520123456", "ring +4520123456", 0),
        ("+0102031234", "+0102031234", 0),
        ("ordrenummer 123456789012", "ordrenummer 123456789012", 0),
        ("ordre 010203123456", "ordre 010203123456", 0),  # 12 digits
        ("x10102031234", "x10102031234", 0),  # 11 digits
        ("20 12 34 56", "20 12 34 56", 0),
        ("010203-123", "010203-123", 0),
        ("01-02-03-1234", "01-02-03-1234", 0),
        ("mødet er 10.30 den 04.03.2025", "mødet er 10.30 den 04.03.2025", 0),
        ("", "", 0),
    ],
)
def test_redact_cpr(text: str, expected: str, count: int) -> None:
    assert redact_cpr(text) == (expected, count)
    assert contains_cpr(text) is (count > 0)


def test_redaction_is_stable() -> None:
    once, _ = redact_cpr("010203-1234")
    assert once == MARKER
    assert redact_cpr(once) == (MARKER, 0)
