"""Crisis over the real webhooks: SMS (signed), Telegram (secret header) and the simulator.

Every positive of the corpus goes through each real channel of the real app, with fake
providers: the help reply, an urgent handoff, and nothing from a flow after it.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import col, select

from bot.handoff.models import Handoff
from bot.people.models import ChannelIdentity
from tests.e2e.conftest import Stack
from tests.e2e.conftest import stack as stack  # the running app with fakes (a fixture)
from tests.fakes.telegram_api import text_update

CORPUS: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "safety" / "corpus.yaml").read_text("utf-8")
)


POSITIVES = [entry["text"] for entry in CORPUS["positives"]]


async def crisis_handoffs(stack: Stack, channel: str, address: str) -> list[Handoff]:
    async with stack.db.session() as session:
        identity = (await session.exec(select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.address == address))).one()
        return list((await session.exec(select(Handoff).where(
            Handoff.young_person_id == identity.young_person_id,
            Handoff.urgent == True,  # noqa: E712
            Handoff.reason == "crisis",
        ).order_by(col(Handoff.id)))).all())


def is_help(text: str) -> bool:
    return "112" in text and "Du er ikke alene" in text


async def test_the_corpus_covers_danish_english_and_more() -> None:
    assert {"da", "en"} < {entry["lang"] for entry in CORPUS["positives"]}
    assert len(POSITIVES) >= 100


async def test_crisis_over_sms(stack: Stack) -> None:
    numbers = (f"+452012{n:04d}" for n in itertools.count(1000))
    failures = []
    for text in POSITIVES:
        phone = next(numbers)
        response = await stack.sms(text, sender=phone)
        assert response.status_code == 200
        await stack.dispatch()
        first = stack.twilio.sent_bodies(phone)
        await stack.sms("menu", sender=phone)
        await stack.dispatch()
        after = stack.twilio.sent_bodies(phone)
        handoffs = await crisis_handoffs(stack, "sms", phone)
        if not (len(first) == 1 and is_help(first[0]) and after == first and len(handoffs) == 1):
            failures.append((text, first, after))
    assert failures == []


async def test_crisis_over_telegram(stack: Stack) -> None:
    failures = []
    for number, text in enumerate(POSITIVES):
        chat_id = 6_000_000_000 + number
        response = await stack.telegram_update(text_update(text, chat_id=chat_id))
        assert response.status_code == 200
        await stack.dispatch()
        first = stack.telegram.sent_texts(chat_id)
        await stack.telegram_update(text_update("menu", chat_id=chat_id))
        await stack.dispatch()
        after = stack.telegram.sent_texts(chat_id)
        handoffs = await crisis_handoffs(stack, "telegram", str(chat_id))
        if not (len(first) == 1 and is_help(first[0]) and after == first and len(handoffs) == 1):
            failures.append((text, first, after))
    assert failures == []


async def test_crisis_over_the_simulator(stack: Stack) -> None:
    failures = []
    for number, text in enumerate(POSITIVES):
        visitor = f"crisis-visitor-{number:03d}"
        response = await stack.http.post("/chat/api/messages",
                                         json={"visitor": visitor, "text": text})
        assert response.status_code == 200
        await stack.dispatch()
        await stack.http.post("/chat/api/messages", json={"visitor": visitor, "text": "menu"})
        await stack.dispatch()
        feed = (await stack.http.get("/chat/api/messages",
                                     params={"visitor": visitor})).json()
        bot = [m["body"] for m in feed if m["direction"] == "out"]
        handoffs = await crisis_handoffs(stack, "web", visitor)
        if not (len(bot) == 1 and is_help(bot[0]) and len(handoffs) == 1):
            failures.append((text, bot))
    assert failures == []


async def test_forged_sms_signature_is_not_processed(stack: Stack) -> None:
    form = {"MessageSid": "SM" + "1" * 32, "From": "+4520129999", "To": "+4552123456",
            "Body": "jeg vil dø"}
    response = await stack.twilio_post("/webhooks/twilio/sms", form, token="wrong-token")
    assert response.status_code == 403
    assert await stack.all(Handoff) == []
