"""SmsChannel.send with the real twilio Client against a fake Twilio REST server."""

from __future__ import annotations

import re
import socket

import pytest

from channels.base import Choice, SendError
from channels.sms.channel import SmsChannel
from tests.channels.sms_support import CALLBACK, SERVICE, YOUTH, MakeChannel, outbound
from tests.fakes.twilio_api import FakeTwilio


async def test_send_reaches_twilio_with_service_and_callback(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    result = await make_channel().send(outbound("Hej! Dit møde er i morgen kl. 10."))

    assert len(fake.calls) == 1
    call = fake.calls[0]
    assert call.authorised
    assert call.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert call.params == {
        "To": YOUTH,
        "Body": "Hej! Dit møde er i morgen kl. 10.",
        "MessagingServiceSid": SERVICE,
        "StatusCallback": CALLBACK,
    }
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.provider_id or "")
    assert result.provider_id == fake.messages[0]["sid"]
    assert result.status == "accepted"
    assert (result.encoding, result.segments) == ("GSM-7", 1)


async def test_send_with_from_number_and_national_address(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    channel = make_channel(messaging_service_sid=None, from_number="+4552123456")
    result = await channel.send(outbound("Hej", address="20 12 34 56"))

    assert fake.calls[0].params["From"] == "+4552123456"
    assert "MessagingServiceSid" not in fake.calls[0].params
    assert fake.sent_bodies(YOUTH) == ["Hej"]
    assert result.status == "queued"


async def test_choices_become_numbered_lines(fake: FakeTwilio, make_channel: MakeChannel) -> None:
    choices = (Choice("yes", "Ja"), Choice("no", "Nej"), Choice("human", "Tal med en voksen"))
    await make_channel().send(outbound("Vil du have en påmindelse?", *choices))

    assert fake.sent_bodies(YOUTH) == [
        "Vil du have en påmindelse?\n1. Ja\n2. Nej\n3. Tal med en voksen"
    ]


async def test_long_text_is_shortened_but_keeps_choices(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    text = "Her er hvad der sker på dit næste møde med din kontaktperson. " * 20
    result = await make_channel(max_segments=2).send(outbound(text, Choice("ok", "OK")))

    (body,) = fake.sent_bodies(YOUTH)
    assert body.endswith("...\n1. OK")
    assert result.segments == 2
    assert result.encoding == "GSM-7"


async def test_emoji_reply_is_counted_as_ucs2(fake: FakeTwilio, make_channel: MakeChannel) -> None:
    text = "Godt gået 🎉 " + "du er klar til næste skridt " * 3
    result = await make_channel().send(outbound(text))

    assert fake.sent_bodies(YOUTH) == [text]
    assert result.encoding == "UCS-2"
    assert result.segments == 2  # 97 UTF-16 units: over 70, so 67 per part


ERRORS = [
    # name, fail_next args, permanent, unreachable, code, retry_after
    ("unsubscribed", {"error": 21610}, True, True, "21610", None),
    ("invalid number", {"error": 21211}, True, True, "21211", None),
    ("not a mobile", {"error": 21614}, True, True, "21614", None),
    ("other 4xx", {"error": 21602}, True, False, "21602", None),
    ("rate limited", {"error": 429, "retry_after": "7"}, False, False, "20429", 7.0),
    ("rate limited no header", {"error": 429}, False, False, "20429", None),
    ("server error", {"error": 500}, False, False, "20500", None),
    ("unavailable", {"error": 503, "retry_after": "30"}, False, False, "20503", 30.0),
]


@pytest.mark.parametrize(
    ("failure", "permanent", "unreachable", "code", "retry_after"),
    [c[1:] for c in ERRORS],
    ids=[c[0] for c in ERRORS],
)
async def test_twilio_errors_are_classified(
    fake: FakeTwilio,
    make_channel: MakeChannel,
    failure: dict[str, object],
    permanent: bool,
    unreachable: bool,
    code: str,
    retry_after: float | None,
) -> None:
    fake.fail_next(**failure)  # type: ignore[arg-type]
    channel = make_channel()
    with pytest.raises(SendError) as info:
        await channel.send(outbound("Hej fra Indgang"))

    error = info.value
    assert (error.permanent, error.unreachable, error.code) == (permanent, unreachable, code)
    assert error.retry_after == retry_after
    assert YOUTH not in str(error) and "20123456" not in str(error)
    assert "Hej fra Indgang" not in str(error)
    assert error.__cause__ is None and error.__suppress_context__
    # The next send goes through: failures are per call, the client survives.
    assert (await channel.send(outbound("Igen"))).provider_id


async def test_wrong_credentials_are_permanent(fake: FakeTwilio, make_channel: MakeChannel) -> None:
    with pytest.raises(SendError) as info:
        await make_channel(auth_token="wrong").send(outbound("Hej"))

    assert info.value.permanent
    assert info.value.code == "20003"
    assert fake.calls[0].authorised is False
    assert fake.messages == []


async def test_timeout_is_transient(fake: FakeTwilio, make_channel: MakeChannel) -> None:
    fake.stall_next(0.5)
    with pytest.raises(SendError) as info:
        await make_channel(timeout=0.05).send(outbound("Hej"))

    assert not info.value.permanent
    assert "unreachable" in info.value.reason
    assert info.value.in_doubt, "Twilio may have taken it: reconciled before a retry"


async def test_connection_refused_is_transient(make_channel: MakeChannel) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more.
    channel = make_channel(api_base=f"http://127.0.0.1:{port}")
    with pytest.raises(SendError) as info:
        await channel.send(outbound("Hej"))

    assert not info.value.permanent
    assert not info.value.unreachable
    assert not info.value.in_doubt, "nothing reached Twilio"


async def test_invalid_address_is_permanent_without_calling_twilio(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    with pytest.raises(SendError) as info:
        await make_channel().send(outbound("Hej", address="12"))

    assert (info.value.permanent, info.value.unreachable) == (True, True)
    assert fake.calls == []


async def test_close_then_send_again_reopens(fake: FakeTwilio, make_channel: MakeChannel) -> None:
    channel = make_channel()
    await channel.send(outbound("Et"))
    await channel.close()
    await channel.close()  # idempotent
    await channel.send(outbound("To"))

    assert fake.sent_bodies(YOUTH) == ["Et", "To"]


def test_needs_a_sender() -> None:
    with pytest.raises(ValueError, match="messaging_service_sid or from_number"):
        SmsChannel(account_sid="AC1", auth_token="t")


def test_capabilities() -> None:
    channel = SmsChannel(account_sid="AC1", auth_token="t", from_number="+4552123456")
    assert channel.name == "sms"
    assert channel.capabilities.buttons is False
    assert channel.capabilities.max_length == 480
    assert channel.capabilities.per_second == 10
    assert channel.capabilities.pace_key == "sms:+4552123456"  # the number sends are paced by
