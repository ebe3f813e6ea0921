"""The SMS channel under test against a fake Twilio REST server: its settings and messages
(the fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from channels.base import Choice, Outbound
from channels.sms.channel import SmsChannel

YOUTH = "+4520123456"
SERVICE = "MG" + "0" * 31 + "1"
CALLBACK = "https://indgang.example.dk/webhooks/twilio/status"

MakeChannel = Callable[..., SmsChannel]


def outbound(text: str, *choices: Choice, address: str = YOUTH) -> Outbound:
    return Outbound(message_id=7, address=address, text=text, choices=choices)
