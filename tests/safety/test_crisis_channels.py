"""Crisis over the real webhooks: SMS (signed), Telegram (secret header) and the simulator.

Every crisis message of the tuning share that the screen flags as a crisis goes through each
real channel of the real app, with fake providers: the help reply (two lines on SMS, within
two segments; three elsewhere), an urgent handoff, and then "Din besked er sendt til Mette"
instead of a flow. The SMS reply is also measured for every category, every hour of a week,
in Danish and English.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import clock
from bot.conversation.models import ConversationState
from bot.conversation.turn import Turn
from bot.handoff import service as handoffs
from bot.handoff.models import Handoff
from bot.municipalities.models import Municipality
from bot.people.models import ChannelIdentity, YoungPerson
from bot.safety import crisis
from bot.safety.concepts import CATEGORIES
from bot.safety.conversation import TOPIC_KEY, show_crisis_help
from bot.staff.models import StaffMember
from channels.base import Inbound
from channels.sms.channel import SmsChannel
from channels.sms.encoding import analyse
from tests.fakes.telegram_api import callback_update, text_update
from tests.fixtures.stack import Stack
from tests.safety.test_crisis_flow import (
    ACK,
    CHECK,
    GENERAL,
    LINES_FOR_UNKNOWN_AGE,
    LINES_INTRO,
    METTE_NOW,
    crisis_messages,
    help_reply,
)

CRISIS = crisis_messages()
ZONE = ZoneInfo("Europe/Copenhagen")


async def crisis_handoffs(stack: Stack, channel: str, address: str) -> list[Handoff]:
    async with stack.db.session() as session:
        identity = (
            await session.exec(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.address == address
                )
            )
        ).one()
        return list(
            (
                await session.exec(
                    select(Handoff)
                    .where(
                        Handoff.young_person_id == identity.young_person_id,
                    )
                    .order_by(col(Handoff.id))
                )
            ).all()
        )


async def room_for_everyone(stack: Stack) -> None:
    """Every new sender goes to Mette by round robin; let her take them all."""
    async with stack.db.session() as session:
        mette = await session.get(StaffMember, stack.contact_id)
        assert mette is not None
        mette.capacity = 100_000
        session.add(mette)


def handoff_ok(found: list[Handoff], detail: str) -> bool:
    return [(h.urgent, h.reason, h.status, h.detail) for h in found] == [
        (True, "crisis", "open", detail)
    ]


def help_lines(text: str, language: str = "da") -> list[str]:
    """The help lines of a reply: the lines after 'Du kan tale med nogen nu:'."""
    intro = LINES_INTRO if language == "da" else "You can talk to someone now:"
    if intro not in text:
        return []
    return text.split(intro + "\n", 1)[1].split("\n\n", 1)[0].split("\n")


# --- every crisis message, every channel --------------------------------------------------


async def test_crisis_over_sms(stack: Stack) -> None:
    await room_for_everyone(stack)
    numbers = (f"+452012{n:04d}" for n in itertools.count(1000))
    failures = []
    for text, match in CRISIS:
        phone = next(numbers)
        response = await stack.sms(text, sender=phone)
        assert response.status_code == 200
        await stack.dispatch()
        first = stack.twilio.sent_bodies(phone)
        await stack.sms("menu", sender=phone)
        await stack.dispatch()
        after = stack.twilio.sent_bodies(phone)
        # Two lines on SMS, sent as written: not shortened by the channel.
        expected = help_reply(match.category, METTE_NOW, LINES_FOR_UNKNOWN_AGE[match.category][:2])
        found = await crisis_handoffs(stack, "sms", phone)
        ok = (
            first == [expected]
            and after == [expected, ACK]
            and analyse(first[0]).segments <= 2
            and analyse(first[0]).encoding == "GSM-7"
            and handoff_ok(found, f"{match.category}:{match.rule_id}:{match.language}")
        )
        if not ok:
            failures.append((text, after))
    assert failures == [], f"{len(failures)} of {len(CRISIS)} failed: {failures[:3]}"
    sent = [m for m in stack.twilio.messages if m["body"] != ACK]
    assert len(sent) == len(CRISIS)
    assert all(int(str(m["num_segments"])) <= 2 for m in sent)


async def test_crisis_over_telegram(stack: Stack) -> None:
    await room_for_everyone(stack)
    failures = []
    for number, (text, match) in enumerate(CRISIS):
        chat_id = 6_000_000_000 + number
        response = await stack.telegram_update(text_update(text, chat_id=chat_id))
        assert response.status_code == 200
        await stack.dispatch()
        await stack.telegram_update(text_update("menu", chat_id=chat_id))
        await stack.dispatch()
        sent = stack.telegram.sent_messages(chat_id)
        expected = help_reply(match.category, METTE_NOW, LINES_FOR_UNKNOWN_AGE[match.category])
        found = await crisis_handoffs(stack, "telegram", str(chat_id))
        ok = (
            [m.get("text") for m in sent] == [expected, ACK]
            and not any(m.get("reply_markup") for m in sent)  # no buttons: a human answers
            and handoff_ok(found, f"{match.category}:{match.rule_id}:{match.language}")
        )
        if not ok:
            failures.append((text, sent))
    assert failures == [], f"{len(failures)} of {len(CRISIS)} failed: {failures[:3]}"


async def test_crisis_over_the_simulator(stack: Stack) -> None:
    await room_for_everyone(stack)
    failures = []
    for number, (text, match) in enumerate(CRISIS):
        visitor = f"crisis-visitor-{number:03d}"
        response = await stack.http.post(
            "/chat/api/messages", json={"visitor": visitor, "text": text}
        )
        assert response.status_code == 200
        await stack.dispatch()
        await stack.http.post("/chat/api/messages", json={"visitor": visitor, "text": "menu"})
        await stack.dispatch()
        feed = (await stack.http.get("/chat/api/messages", params={"visitor": visitor})).json()
        bot = [(m["body"], m["choices"]) for m in feed if m["direction"] == "out"]
        expected = help_reply(match.category, METTE_NOW, LINES_FOR_UNKNOWN_AGE[match.category])
        found = await crisis_handoffs(stack, "web", visitor)
        ok = (
            [body for body, _ in bot] == [expected, ACK]
            and not any(c for _, c in bot)
            and handoff_ok(found, f"{match.category}:{match.rule_id}:{match.language}")
        )
        if not ok:
            failures.append((text, bot))
    assert failures == [], f"{len(failures)} of {len(CRISIS)} failed: {failures[:3]}"


# --- the gentle check over real channels -------------------------------------------------


async def test_crisis_over_sms_on_a_saturday(stack: Stack) -> None:
    clock.set(datetime(2026, 3, 7, 11, 0, tzinfo=UTC))  # Saturday noon in Copenhagen
    phone = "+4520128888"
    await stack.sms("jeg har taget 20 piller", sender=phone)
    await stack.dispatch()
    [body] = stack.twilio.sent_bodies(phone)
    assert body == help_reply(
        "acute_danger", "Vi har lukket. Mette læser din besked mandag kl. 08.00.", GENERAL[:2]
    )
    assert body.startswith(
        "Tak, fordi du skriver. Du er ikke alene. Er du i fare lige nu, så ring 112. "
    )
    assert analyse(body).segments <= 2
    await stack.sms("hallo", sender=phone)  # a burst right after: no acknowledgement
    await stack.sms("menu", sender=phone)
    await stack.dispatch()
    assert stack.twilio.sent_bodies(phone)[1:] == [
        "Din besked er sendt til Mette. Vi har lukket nu. Mette svarer tidligst mandag kl. 08.00."
    ]


async def test_gentle_check_over_sms_answered_by_number(stack: Stack) -> None:
    phone = "+4520127777"
    await stack.sms("jeg kan ikke mere", sender=phone)
    await stack.dispatch()
    assert stack.twilio.sent_bodies(phone) == [f"{CHECK}\n1. Ja\n2. Nej\n3. Menu"]
    assert await crisis_handoffs(stack, "sms", phone) == []
    await stack.sms("1", sender=phone)
    await stack.dispatch()
    [_, reply] = stack.twilio.sent_bodies(phone)
    assert reply == help_reply("distress", METTE_NOW, GENERAL[:2])
    assert analyse(reply).segments <= 2
    [handoff] = await crisis_handoffs(stack, "sms", phone)
    assert (handoff.urgent, handoff.reason, handoff.detail) == (
        True,
        "crisis",
        "gentle check: distress",
    )


async def test_gentle_check_over_telegram_with_buttons(stack: Stack) -> None:
    yes_chat, no_chat = 6_100_000_001, 6_100_000_002
    for chat_id in (yes_chat, no_chat):
        await stack.telegram_update(text_update("jeg er så træt af alt", chat_id=chat_id))
        await stack.dispatch()
        [check] = stack.telegram.sent_messages(chat_id)
        assert check["text"] == CHECK
        buttons = [b for row in check["reply_markup"]["inline_keyboard"] for b in row]
        assert [(b["text"], b["callback_data"]) for b in buttons] == [
            ("Ja", "yes"),
            ("Nej", "no"),
            ("Menu", "menu"),
        ]
    await stack.telegram_update(callback_update("yes", chat_id=yes_chat))
    await stack.telegram_update(callback_update("no", chat_id=no_chat))
    await stack.dispatch()
    [_, yes] = stack.telegram.sent_messages(yes_chat)
    assert yes["text"] == help_reply("distress", METTE_NOW, GENERAL)
    assert not yes.get("reply_markup")
    [handoff] = await crisis_handoffs(stack, "telegram", str(yes_chat))
    assert handoff.urgent and handoff.detail == "gentle check: distress"
    [_, no] = stack.telegram.sent_messages(no_chat)
    assert no["text"] == (
        "Okay. Skriv KONTAKT, hvis du vil tale med en voksen senere.\n\nHvad vil du gerne?"
    )
    assert no.get("reply_markup")  # the menu's buttons
    assert await crisis_handoffs(stack, "telegram", str(no_chat)) == []
    assert len(stack.telegram.calls_to("answerCallbackQuery")) == 2


async def test_crisis_during_a_handoff_over_telegram(stack: Stack) -> None:
    chat_id = 6_200_000_001
    await stack.telegram_update(text_update("hej", chat_id=chat_id))  # the welcome
    await stack.telegram_update(text_update("kontakt", chat_id=chat_id))
    await stack.dispatch()
    [asked] = await crisis_handoffs(stack, "telegram", str(chat_id))
    assert not asked.urgent
    await stack.telegram_update(text_update("jeg vil dø", chat_id=chat_id))
    await stack.telegram_update(text_update("hjælp", chat_id=chat_id))
    await stack.dispatch()
    texts = stack.telegram.sent_texts(chat_id)
    assert texts[-2:] == [help_reply("suicide", METTE_NOW, LINES_FOR_UNKNOWN_AGE["suicide"]), ACK]
    [handoff] = await crisis_handoffs(stack, "telegram", str(chat_id))
    assert handoff.id == asked.id and handoff.urgent and handoff.reason == "crisis"


async def test_forged_requests_are_not_processed(stack: Stack) -> None:
    form = {
        "MessageSid": "SM" + "1" * 32,
        "From": "+4520129999",
        "To": "+4552123456",
        "Body": "jeg vil dø",
    }
    response = await stack.twilio_post("/webhooks/twilio/sms", form, token="wrong-token")
    assert response.status_code == 403
    response = await stack.telegram_update(
        text_update("jeg vil dø", chat_id=6_300_000_001), secret="wrong-secret"
    )
    assert response.status_code == 403
    await stack.dispatch()
    assert await stack.all(Handoff) == []
    assert stack.twilio.messages == [] and stack.telegram.sent_messages() == []


# --- two SMS segments: every category, every hour of a week, Danish and English ----------------

# Ages whose line choices differ: unknown, exact ages and the ranges a birth year gives
# (3 March 2026 is inside the week measured).
AGES: list[dict[str, Any]] = [
    {},
    {"birth_date": date(2011, 6, 1)},
    {"birth_date": date(2009, 6, 1)},
    {"birth_year": 2008},
    {"birth_date": date(2006, 6, 1)},
    {"birth_year": 2001},
    {"birth_year": 2000},
    {"birth_date": date(1996, 6, 1)},
]
# Monday 2 March 2026, 00:00 in Copenhagen, and every hour of that week.
WEEK = [datetime(2026, 3, 2, tzinfo=ZONE) + timedelta(hours=h) for h in range(7 * 24)]
SMS = SmsChannel(account_sid="AC" + "0" * 32, auth_token="x", messaging_service_sid="MG1")


async def each_sms_reply(language: str, *, gentle_yes: bool = False) -> list[tuple[str, str, str]]:
    """(what, when, reply) for every category, hour of the week and age, as sent over SMS."""
    town = Municipality(id=1, name="Aarhus Kommune", code="751")
    # The gentle check remembers what the worrying message was about.
    states = {
        category: ConversationState(young_person_id=1, data={TOPIC_KEY: category})
        for category in CATEGORIES
    }
    replies = []
    for number, born in enumerate(AGES):
        person = YoungPerson(id=number + 1, municipality_id=1, language=language, **born)
        address = f"+452012{number:04d}"
        identity = ChannelIdentity(channel="sms", address=address, young_person_id=number + 1)
        for local in WEEK:
            for category in CATEGORIES:
                turn = Turn(
                    session=cast(AsyncSession, None),
                    text="",
                    person=person,
                    identity=identity,
                    municipality=town,
                    inbound=Inbound(channel="sms", address=address, provider_id="SM0"),
                    now=local.astimezone(UTC),
                    state=states[category],
                )
                if gentle_yes:
                    text = await show_crisis_help(turn)
                else:
                    text = await crisis.help_text(turn, category, danger=category == "acute_danger")
                replies.append((f"{category} {born}", local.strftime("%a %H:%M"), text))
    return replies


def responder(name: str | None) -> Callable[..., Awaitable[StaffMember | None]]:
    """Who the handoff went to: a contact person with this first name, or none (the team)."""

    async def assignee(session: object, *, person_id: int) -> StaffMember | None:
        return (
            None
            if name is None
            else StaffMember(municipality_id=1, name=f"{name} Test", email="x@y.dk")
        )

    return assignee


# The longest first name measured; "En medarbejder" / "A member of staff" stands for none.
NAMES = ["Mette", "Anne-Kathrine", None]


@pytest.mark.parametrize("name", NAMES, ids=str)
@pytest.mark.parametrize("language", ["da", "en"])
async def test_crisis_reply_fits_two_sms_segments_all_week(
    monkeypatch: pytest.MonkeyPatch, language: str, name: str | None
) -> None:
    monkeypatch.setattr(handoffs, "assignee", responder(name))
    replies = await each_sms_reply(language)
    assert len(replies) == len(AGES) * len(WEEK) * len(CATEGORIES)
    danger = "If you are in danger" if language == "en" else "Er du i fare"
    too_long, malformed = [], []
    for what, when, text in replies:
        shape = analyse(text)
        if shape.segments > 2 or shape.encoding != "GSM-7" or SMS.render(text, ()) != text:
            too_long.append((what, when, shape.characters, text))
        if len(help_lines(text, language)) > 2 or danger not in text or "112" not in text:
            malformed.append((what, when, text))
    longest = max(analyse(text).characters for _, _, text in replies)
    print(f"\nlongest {language} SMS crisis reply naming {name}: {longest} of 306 characters")
    assert too_long == [], f"{len(too_long)} replies over two segments: {too_long[:2]}"
    assert malformed == [], malformed[:2]
    # The hour matters: named staff in working hours, and when they read it outside them.
    told = {
        "da": f"{name or 'En medarbejder'} får besked nu",
        "en": f"{name or 'A member of staff'} is told now",
    }[language]
    monday = {"da": "mandag kl. 08.00", "en": "on Monday at 08:00"}[language]
    tomorrow = {"da": "i morgen kl. 08.00", "en": "tomorrow at 08:00"}[language]
    by_hour = {when: text for _, when, text in replies}
    assert told in by_hour["Tue 10:00"] and told not in by_hour["Tue 16:00"]
    assert tomorrow in by_hour["Tue 16:00"] and tomorrow in by_hour["Sun 23:00"]
    assert monday in by_hour["Fri 16:00"] and monday in by_hour["Sat 12:00"]


async def test_gentle_yes_reply_fits_two_sms_segments_all_week(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handoffs, "assignee", responder("Mette"))
    too_long = []
    for language in ("da", "en"):
        for what, when, text in await each_sms_reply(language, gentle_yes=True):
            assert text.startswith(("Tak, fordi du skriver.", "Thank you for writing."))
            if analyse(text).segments > 2:
                too_long.append((language, what, when, analyse(text).characters))
    assert too_long == [], f"{len(too_long)} over two segments, e.g. {too_long[:3]}"
