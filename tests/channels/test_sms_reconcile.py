"""SmsChannel.reconcile: the real twilio Client lists messages at a fake Twilio REST server.

The fake answers the list in Twilio's wire format (page shape, RFC 2822 dates, newest first,
To/From/DateSent filters, paging by next_page_uri) behind the same Basic auth as sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from channels.base import Choice, SendError
from channels.parts import split
from channels.sms.channel import CLOCK_SKEW, LIST_PAGE_SIZE
from tests.channels.sms_support import YOUTH, MakeChannel, outbound
from tests.fakes.twilio_api import FakeTwilio

OTHER = "+4520999999"


def _now() -> datetime:
    return datetime.now(UTC)


def _age(fake: FakeTwilio, sid: str | None, by: timedelta) -> None:
    """Make a message at the fake older: created and sent `by` earlier."""
    for message in fake.messages:
        if message["sid"] == sid:
            for key in ("date_created", "date_sent", "date_updated"):
                when = parsedate_to_datetime(str(message[key])) - by
                message[key] = format_datetime(when)


async def test_a_message_twilio_holds_is_found_by_the_authorised_list(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    channel = make_channel()
    since = _now()
    choices = (Choice("yes", "Ja"), Choice("no", "Nej"))
    sent = await channel.send(outbound("Kommer du i morgen?", *choices))

    answer = await channel.reconcile(outbound("Kommer du i morgen?", *choices), since)

    assert answer.known
    assert [r.provider_id for r in answer.found] == [sent.provider_id]
    assert answer.found[0].status == "sent"  # as Twilio lists it now
    assert (answer.found[0].encoding, answer.found[0].segments) == ("GSM-7", 1)
    (listing,) = fake.lists()
    assert listing.authorised and listing.status == 200
    assert listing.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    day = (since - CLOCK_SKEW).strftime("%Y-%m-%d")
    assert listing.params == {"To": YOUTH, "DateSent>": day, "PageSize": str(LIST_PAGE_SIZE)}


async def test_with_a_from_number_the_list_is_filtered_by_it(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    ours = make_channel(messaging_service_sid=None, from_number="+4552123456")
    theirs = make_channel(messaging_service_sid=None, from_number="+4552000000")
    since = _now()
    await theirs.send(outbound("Hej"))
    assert (await ours.reconcile(outbound("Hej"), since)).found == ()
    sent = await ours.send(outbound("Hej"))

    answer = await ours.reconcile(outbound("Hej"), since)

    assert [r.provider_id for r in answer.found] == [sent.provider_id]
    assert fake.lists()[-1].params["From"] == "+4552123456"


async def test_only_our_body_to_our_recipient_from_our_service_since_the_attempt_counts(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    channel = make_channel()
    other_service = make_channel(messaging_service_sid="MG" + "f" * 32)
    old = await channel.send(outbound("Husk dit møde"))
    _age(fake, old.provider_id, CLOCK_SKEW + timedelta(seconds=30))
    since = _now()
    await channel.send(outbound("Husk dit møde!"))  # another body
    await channel.send(outbound("Husk dit møde", address=OTHER))  # another recipient
    await other_service.send(outbound("Husk dit møde"))  # another sender

    assert (await channel.reconcile(outbound("Husk dit møde"), since)).found == ()
    # Within the clock-skew margin before the attempt, it still counts.
    assert [
        r.provider_id
        for r in (await channel.reconcile(outbound("Husk dit møde"), since - CLOCK_SKEW)).found
    ] == [old.provider_id]


async def test_identical_messages_are_all_found_oldest_first(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    channel = make_channel()
    since = _now()
    first = await channel.send(outbound("Husk dit møde"))
    second = await channel.send(outbound("Husk dit møde"))
    _age(fake, first.provider_id, timedelta(seconds=5))

    answer = await channel.reconcile(outbound("Husk dit møde"), since - timedelta(seconds=10))

    assert [r.provider_id for r in answer.found] == [first.provider_id, second.provider_id]


async def test_a_long_body_matches_as_rendered_and_each_part_of_a_split_text_alone(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    channel = make_channel(max_segments=2)
    since = _now()
    long = "Her er hvad der sker på dit næste møde med din kontaktperson. " * 20
    shortened = await channel.send(outbound(long, Choice("ok", "OK")))
    parts = split(long, lambda text: channel.render(text, ()) == text)
    assert len(parts) > 2
    sids = [(await channel.send(outbound(part))).provider_id for part in parts]

    found = await channel.reconcile(outbound(long, Choice("ok", "OK")), since)
    assert [r.provider_id for r in found.found] == [shortened.provider_id]
    assert found.found[0].segments == 2
    for part, sid in zip(parts, sids, strict=True):
        answer = await channel.reconcile(outbound(part), since)
        assert [r.provider_id for r in answer.found] == [sid]


async def test_every_page_is_read(fake: FakeTwilio, make_channel: MakeChannel) -> None:
    channel = make_channel()
    since = _now()
    wanted = await channel.send(outbound("Den første"))
    for n in range(LIST_PAGE_SIZE + 20):
        await channel.send(outbound(f"Besked {n}"))

    answer = await channel.reconcile(outbound("Den første"), since)

    assert [r.provider_id for r in answer.found] == [wanted.provider_id]
    pages = fake.lists()
    assert len(pages) == 2
    assert pages[1].params["Page"] == "1" and pages[1].params["PageToken"].startswith("PA")


async def test_the_list_speaks_twilios_wire_format(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    channel = make_channel()
    for n in range(3):
        await channel.send(outbound(f"Besked {n}"))
    await channel.send(outbound("Til en anden", address=OTHER))
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    auth = (fake.account_sid, fake.auth_token)
    async with httpx.AsyncClient() as http:
        page = (await http.get(url, params={"To": YOUTH, "PageSize": 2}, auth=auth)).json()
        rest = (await http.get(fake.base_url + page["next_page_uri"], auth=auth)).json()
        refused = await http.get(url, auth=(fake.account_sid, "wrong"))
        bad_date = await http.get(url, params={"DateSent>": "i går"}, auth=auth)

    assert set(page) == {
        "end",
        "first_page_uri",
        "messages",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 2, 0, 1)
    assert page["previous_page_uri"] is None
    assert [m["body"] for m in page["messages"] + rest["messages"]] == [
        "Besked 2",
        "Besked 1",
        "Besked 0",
    ]  # newest first, only to YOUTH
    assert rest["next_page_uri"] is None and rest["previous_page_uri"]
    message = page["messages"][0]
    assert message["status"] == "sent" and message["direction"] == "outbound-api"
    for key in ("date_created", "date_sent", "date_updated"):
        assert parsedate_to_datetime(message[key]).tzinfo is not None  # RFC 2822
        assert message[key].endswith("+0000")
    assert refused.status_code == 401 and refused.json()["code"] == 20003
    assert bad_date.status_code == 400


async def test_date_filters_count_whole_days(fake: FakeTwilio, make_channel: MakeChannel) -> None:
    channel = make_channel()
    yesterday = await channel.send(outbound("Hej"))
    _age(fake, yesterday.provider_id, timedelta(days=1))
    today = await channel.send(outbound("Hej"))
    client = channel._twilio()
    now = _now()

    def sids(messages: list[object]) -> list[str]:
        return [m.sid for m in messages]  # type: ignore[attr-defined]

    assert sids(await client.messages.list_async(to=YOUTH, date_sent_after=now)) == [
        today.provider_id
    ]
    assert sids(
        await client.messages.list_async(to=YOUTH, date_sent_before=now - timedelta(days=1))
    ) == [yesterday.provider_id]
    assert sids(await client.messages.list_async(to=YOUTH)) == [
        today.provider_id,
        yesterday.provider_id,
    ]


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [({"error": 429, "retry_after": "7"}, 7.0), ({"error": 500}, None), ({"error": 20003}, None)],
    ids=["rate limited", "server error", "refused"],
)
async def test_a_failed_list_is_a_transient_error_to_ask_again(
    fake: FakeTwilio,
    make_channel: MakeChannel,
    failure: dict[str, object],
    retry_after: float | None,
) -> None:
    channel = make_channel()
    fake.fail_next(**failure, listing=True)  # type: ignore[arg-type]

    with pytest.raises(SendError) as info:
        await channel.reconcile(outbound("Hej"), _now())

    assert not info.value.permanent and not info.value.unreachable
    assert info.value.retry_after == retry_after
    assert YOUTH not in str(info.value)
    assert fake.messages == [], "asking never sends"
    assert (await channel.reconcile(outbound("Hej"), _now())).known


async def test_an_unusable_address_was_never_sent_to(
    fake: FakeTwilio, make_channel: MakeChannel
) -> None:
    answer = await make_channel().reconcile(outbound("Hej", address="12"), _now())

    assert answer.known and answer.found == ()
    assert fake.calls == []
