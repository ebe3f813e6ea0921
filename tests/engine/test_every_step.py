"""Every step a young person can reach, in Danish and English, read the way they get it.

The walk puts Sofie (tests.world.youth_service) on each step, presses every choice the bot offers
(and answers each free-text question), and checks every message that comes back: a way
on, at most three SMS segments, really translated, no unfilled placeholder, no link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlmodel import col, select

from bot.campaigns import service as campaigns
from bot.campaigns.spec import load_spec
from bot.clock import clock, utcnow
from bot.content.flows import Flows, flows
from bot.content.texts import system_text
from bot.conversation import preferences
from bot.conversation.engine import KEYWORD_TARGETS
from bot.conversation.intents import reading
from bot.conversation.models import ConversationState
from bot.database import Database
from bot.handoff.models import OPEN_STATUSES, Handoff
from bot.i18n import LANGUAGES, LOCALES_DIR, _catalog, native_name, tr
from bot.municipalities.models import Municipality
from bot.paths import REPO_ROOT
from bot.people.models import ChannelIdentity, YoungPerson
from bot.plans import slots
from bot.plans.models import Appointment, FreeSlot, Milestone, Plan
from bot.plans.service import format_when
from bot.safety.conversation import GENTLE_CHECK
from bot.staff.models import StaffMember
from channels.base import Choice, Outbound
from tests.support import Harness
from tests.world import SOFIE, without_flood_limit, youth_service

pytestmark = pytest.mark.usefixtures("frozen_clock")

ADDRESS = SOFIE
MAX_SEGMENTS = 3
# Steps no button leads to: the scheduler (reminders, check-ins), a contact person (hand
# back), the engine after two misses, a worrying message (the gentle check), a keyword, a
# question in free text (content/intents.yaml), text in another language (the language
# offer) or an empty plan puts the young person there.
ENTRIES = (
    "onboarding.welcome",
    "menu.main",
    "reminder.appointment",
    "reminder.milestone",
    "reminder.missed",
    "reminder.changed",
    "campaign.message",
    "checkin.ask",
    "handback.ask",
    "contact.offer",
    GENTLE_CHECK,
    "plan.no_steps",
    preferences.OFFER_STEP,
    *KEYWORD_TARGETS.values(),
    *(intent.goto for intent in reading().intents.values()),
)
# What a young person might type where the bot waits for free text.
FREE_TEXT = {"first_name": "Yasmin", "checkin_comment": "Det går fint", "handback_answer": "ok tak"}
# What they might type where a step reads free text (short, so no language offer).
READ_TEXT = {"milestone_report": ["Jeg har søgt", "ikke endnu", "bananer", "hvorfor?"]}
# Labels that are the same word in Danish and English.
SAME_IN_BOTH = {"OK", "Menu"} | {native_name(code) for code in LANGUAGES}
PLACEHOLDER = re.compile(r"\{\w+\}")
# Babel writes English times as '10:00\u202fAM'. That space is not in GSM-7 and turns the
# whole SMS into UCS-2 (70 characters a segment). The SMS channel should send a plain space
# (test_english_times_stay_gsm7 below); until it does, lengths are measured as if it did.
TYPOGRAPHIC_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


@dataclass
class Seen:
    """One message the bot sent, and what the young person did just before."""

    where: str
    did: str
    message: Outbound
    language: str
    human_holds: bool
    opted_out: bool = False


@dataclass
class Walk:
    """Every message of one walk, and every step the engine went through."""

    seen: list[Seen] = field(default_factory=list)
    steps: set[str] = field(default_factory=set)
    bursts: list[str] = field(default_factory=list)


class Walker:
    """Breadth-first over the flows: place the young person, act, follow where it leads."""

    def __init__(self, db: Database, language: str, content: Flows) -> None:
        self.db = db
        self.language = language
        self.content = content
        self.chat = Harness(db, address=ADDRESS)
        self.walk = Walk()

    async def run(self) -> Walk:
        """Enter every entry step, then press every choice of every step reached."""
        ids = await self._ids()
        other = "en" if self.language == "da" else "da"
        meeting = {"appointment_id": ids["appointment"]}
        free = {"move": "times", "offered_slots": ids["slots"]}
        data = {
            "reminder.appointment": meeting,
            "reminder.cant_come": meeting,
            "reminder.missed": meeting,
            "reminder.changed": {**meeting, "meeting_change": "moved"},
            "reminder.move": {**meeting, **free},
            "reminder.moved": {**meeting, "moved": True},
            "reminder.milestone": {"milestone_id": ids["milestone"]},
            "campaign.message": {
                "campaign_id": ids["campaign"],
                "occurrence": "deadline:ungdomsuddannelse_ansoegning:2027:14d@16:00",
            },
            preferences.OFFER_STEP: {
                preferences.PENDING: {"code": other, "detected": other, "after": "menu.main"}
            },
        }
        queue: list[tuple[str, dict[str, Any], tuple[Choice, ...]]] = []
        explored: set[str] = set()
        for ref in ENTRIES:
            landed, choices = await self._turn(ref, data.get(ref, {}), None)
            if landed not in explored:
                explored.add(landed)
                queue.append((landed, data.get(landed, {}), choices))
        while queue:
            ref, step_data, choices = queue.pop(0)
            step = self.content.step(ref)
            actions: list[Choice | str] = [*choices]
            if step.input:
                actions.append(FREE_TEXT[step.input])
            if step.read:
                actions += READ_TEXT[step.read]
            for action in actions:
                landed, offered = await self._turn(ref, step_data, action)
                if landed not in explored and self.content.step(landed).waits:
                    explored.add(landed)
                    queue.append((landed, data.get(landed, {}), offered))
        return self.walk

    async def _ids(self) -> dict[str, Any]:
        async with self.db.session() as session:
            person_id = await _person_id(session)
            plan = (await session.exec(select(Plan).where(Plan.young_person_id == person_id))).one()
            appointment = (
                await session.exec(select(Appointment).where(Appointment.plan_id == plan.id))
            ).first()
            milestone = (
                await session.exec(
                    select(Milestone)
                    .where(Milestone.plan_id == plan.id)
                    .order_by(col(Milestone.due_date))
                )
            ).first()
            person = await session.get_one(YoungPerson, person_id)
            town = await session.get_one(Municipality, person.municipality_id)
            # Free times of Sofie's contact person, for "Jeg kan ikke komme".
            mette = await session.get_one(StaffMember, person.contact_person_id)
            free = [
                await slots.publish(
                    session,
                    staff=mette,
                    starts_at=utcnow() + timedelta(days=days),
                    place="Torvet 1",
                    now=utcnow(),
                )
                for days in (5, 6, 7)
            ]
            template = load_spec(REPO_ROOT / "content" / "campaigns" / "ansogning-1-marts.yaml")
            campaign = await campaigns.create(
                session,
                template.model_copy(update={"municipality": town.code}),
                staff=None,
                now=utcnow(),
            )
        assert person_id and appointment and appointment.id and milestone and milestone.id
        return {
            "person": person_id,
            "appointment": appointment.id,
            "milestone": milestone.id,
            "campaign": campaign.id or 0,
            "slots": [slot.id or 0 for slot in free],
        }

    async def _place(self, ref: str, data: dict[str, Any], *, entering: bool) -> None:
        """Put the young person on `ref` with nothing left over from the last turn."""
        async with self.db.session() as session:
            person_id = await _person_id(session)
            person = await session.get(YoungPerson, person_id)
            assert person is not None
            person.language = self.language
            # Onboarding asks for a name only when none is known.
            person.first_name = None if ref.startswith("onboarding.") else "Sofie"
            person.risk_flag_at = None
            session.add(person)
            for handoff in (
                await session.exec(select(Handoff).where(col(Handoff.status).in_(OPEN_STATUSES)))
            ).all():
                handoff.status = "closed"
                session.add(handoff)
            for milestone in (await session.exec(select(Milestone))).all():
                milestone.status = "open"
                session.add(milestone)
            for appointment in (await session.exec(select(Appointment))).all():
                appointment.status = "planned"
                session.add(appointment)
            for slot in (await session.exec(select(FreeSlot))).all():
                slot.appointment_id = None  # a free time taken by the last turn is free again
                session.add(slot)
            for identity in (await session.exec(select(ChannelIdentity))).all():
                identity.opted_out_at = None  # "Ja, stop beskederne" opts out
                session.add(identity)
            state = await session.get(ConversationState, person_id)
            assert state is not None
            if entering:
                # An empty step makes the engine enter `flow` (here a full 'flow.step').
                state.flow, state.step = ref, ""
            else:
                state.flow, _, state.step = ref.partition(".")
            state.data, state.misses = dict(data), 0
            session.add(state)

    async def _turn(
        self, ref: str, data: dict[str, Any], action: Choice | str | None
    ) -> tuple[str, tuple[Choice, ...]]:
        """Enter `ref` (action None), press a choice on it, or type an answer to it."""
        await self._place(ref, data, entering=action is None)
        if isinstance(action, Choice):
            sent = await self.chat.say(action.label, choice=action.key)
            did = f"press {action.key}"
        elif isinstance(action, str):
            sent = await self.chat.say(action)
            did = f"type {action!r}"
        else:
            sent = await self.chat.say("hej")
            did = "enter"
        async with self.db.session() as session:
            person_id = await _person_id(session)
            person = await session.get(YoungPerson, person_id)
            state = await session.get(ConversationState, person_id)
            held = (
                await session.exec(
                    select(Handoff).where(
                        Handoff.young_person_id == person_id, col(Handoff.status).in_(OPEN_STATUSES)
                    )
                )
            ).first() is not None
            stopped = (
                await session.exec(
                    select(ChannelIdentity).where(ChannelIdentity.address == ADDRESS)
                )
            ).one().opted_out_at is not None
        assert person is not None and state is not None
        if len(sent) > 1:
            self.walk.bursts.append(f"{ref} {did}: {len(sent)} messages in one turn")
        for message in sent:
            self.walk.seen.append(Seen(ref, did, message, person.language or "da", held, stopped))
        return f"{state.flow}.{state.step}", sent[-1].choices if sent else ()


async def _person_id(session: Any) -> int:
    identity = (
        await session.exec(select(ChannelIdentity).where(ChannelIdentity.address == ADDRESS))
    ).one()
    return int(identity.young_person_id)


def _sms_segments(text: str, choices: tuple[Choice, ...]) -> tuple[int, bool]:
    """Segments of the whole SMS, and whether the SMS channel had to shorten it."""
    from channels.sms.channel import SmsChannel
    from channels.sms.encoding import analyse

    sms = SmsChannel(
        account_sid="AC0", auth_token="t", from_number="+4552123456", max_segments=MAX_SEGMENTS
    )
    text = text.translate(TYPOGRAPHIC_SPACES)
    tail = "".join(f"\n{n}. {choice.label}" for n, choice in enumerate(choices, start=1))
    whole = text + tail if text else tail.lstrip("\n")
    return analyse(whole).segments, sms.render(text, choices) != whole


def _problems(walk: Walk) -> list[str]:
    found = list(walk.bursts)
    for seen in walk.seen:
        text, choices = seen.message.text, seen.message.choices
        where = f"[{seen.language}] {seen.where} {seen.did}: {text[:50]!r}"
        if not choices and not seen.human_holds and not seen.opted_out:
            # After STOP the only way on is START, and the message says so.
            found.append(f"{where}: no way on (no choices, no human)")
        segments, shortened = _sms_segments(text, choices)
        if segments > MAX_SEGMENTS or shortened:
            found.append(f"{where}: {segments} SMS segments")
        for part in [text, *(c.label for c in choices)]:
            if PLACEHOLDER.search(part):
                found.append(f"{where}: unfilled placeholder in {part!r}")
        if "http" in text.lower() or "www." in text.lower():
            found.append(f"{where}: a link")
        if not text.strip():
            found.append(f"{where}: empty text")
    return found


def _untranslated(danish: Walk, english: Walk) -> list[str]:
    """English messages that are the Danish ones, or still hold Danish sentences."""
    found = []
    by_turn = {(s.where, s.did): s for s in danish.seen if s.language == "da"}
    catalog = _catalog("en")
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        sources = [str(m.id) for m in read_po(handle) if m.id]
    # Every Danish sentence (between placeholders) that English says differently.
    pieces = [
        piece.strip()
        for source in sources
        if catalog.get(source) != source
        for piece in PLACEHOLDER.split(source)
        if len(piece.strip()) >= 12
    ]
    for seen in english.seen:
        if seen.language != "en" or (seen.where, seen.did) == (preferences.OFFER_STEP, "enter"):
            # The language offer is written in the offered language, on purpose.
            continue
        text = seen.message.text
        where = f"[en] {seen.where} {seen.did}: {text[:50]!r}"
        for piece in pieces:
            if piece in text:
                found.append(f"{where}: Danish left in English: {piece!r}")
        twin = by_turn.get((seen.where, seen.did))
        if twin is None:
            continue
        if twin.message.text == text:
            found.append(f"{where}: same text as Danish")
        for mine, theirs in zip(seen.message.choices, twin.message.choices, strict=False):
            same = mine.label == theirs.label
            # Choices built from the plan (m<id>) carry staff-written titles, not content.
            from_data = mine.key.startswith("m") and mine.key[1:].isdigit()
            kept = from_data or mine.label in SAME_IN_BOTH or mine.label.isdigit()
            if same and not kept:
                found.append(f"{where}: label {mine.label!r} not translated")
    return found


async def test_every_step_in_both_languages(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    await youth_service(db)
    async with db.session() as session:  # a walk of hundreds of turns, not a flood
        await without_flood_limit(session)
    content = flows()
    everything = {f"{name}.{step}" for name, flow in content.flows.items() for step in flow.steps}
    walks: dict[str, Walk] = {}
    for language in ("da", "en"):
        walker = Walker(db, language, content)
        original = content.step

        def recording(ref: str, _walk: Walk = walker.walk, _step: Any = original) -> Any:
            _walk.steps.add(content.resolve(ref))
            return _step(ref)

        monkeypatch.setattr(content, "step", recording)
        walks[language] = await walker.run()
        monkeypatch.undo()
        assert everything - walks[language].steps == set(), f"{language}: steps never reached"
    found = _problems(walks["da"]) + _problems(walks["en"])
    found += _untranslated(walks["da"], walks["en"])
    assert found == [], "\n".join(found)
    assert len(walks["da"].seen) > 60  # the walk really talked


@pytest.mark.parametrize("language", ["da", "en"])
async def test_handoff_after_hours_still_fits(db: Database, language: str) -> None:
    """In the evening the handoff reply grows by when we answer; it must still fit."""
    await youth_service(db)
    clock.set(datetime(2026, 3, 3, 20, 30, tzinfo=UTC))  # 21:30 in Copenhagen
    walker = Walker(db, language, flows())
    handing = [
        f"{name}.{step}"
        for name, flow in flows().flows.items()
        for step, spec in flow.steps.items()
        if (spec.do or "").startswith("handoff")
    ]
    for ref in handing:
        await walker._turn(ref, {}, None)
    assert {s.where for s in walker.walk.seen} == set(handing)
    assert _problems(walker.walk) == []


@pytest.mark.parametrize("language", ["da", "en"])
def test_hand_back_message_fits(language: str) -> None:
    """The inbox's hand-back message (told + the handback question) fits three SMS."""
    step = flows().step("handback.ask")
    text = (
        f"{system_text('handed_back', language, contact='Mette')}\n\n{tr(language, step.say or '')}"
    )
    choices = tuple(Choice(c.key, tr(language, c.label)) for c in step.choices)
    segments, shortened = _sms_segments(text, choices)
    assert segments <= MAX_SEGMENTS and not shortened


def test_english_times_stay_gsm7() -> None:
    """An English meeting time must not switch the SMS to UCS-2 (3 times fewer characters)."""
    from channels.sms.channel import SmsChannel
    from channels.sms.encoding import analyse

    sms = SmsChannel(account_sid="AC0", auth_token="t", from_number="+4552123456")
    when = format_when(
        datetime(2026, 3, 6, 9, 0, tzinfo=UTC), language="en", timezone="Europe/Copenhagen"
    )
    text = system_text("next_appointment", "en", when=when, place="Torvet 1")
    assert analyse(sms.render(text, ())).encoding == "GSM-7"
