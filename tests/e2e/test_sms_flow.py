"""SMS end to end: signed Twilio webhooks -> engine -> outbox -> twilio Client -> fake REST API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import clock, utcnow
from bot.conversation.models import INBOUND, Message
from bot.handoff.models import Handoff
from bot.outbox import service as outbox
from bot.outbox.models import CANCELLED, FAILED, PENDING, SENT
from bot.people.models import YoungPerson
from channels.sms.encoding import analyse
from tests.fixtures.stack import PUBLIC, SERVICE_SID, Stack, twilio_form

PHONE = "+4520123456"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"


async def say(stack: Stack, body: str, *, sender: str = PHONE) -> list[str]:
    """Text the service, run the dispatcher, return the bodies Twilio was asked to send."""
    before = len(stack.twilio.sent_bodies(sender))
    response = await stack.sms(body, sender=sender)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Message" not in response.text  # replies go through the outbox, never TwiML
    await stack.dispatch()
    return stack.twilio.sent_bodies(sender)[before:]


async def onboarded(stack: Stack) -> None:
    """A young person who has texted once and got the welcome."""
    assert len(await say(stack, "Hej")) == 1


async def test_full_conversation_with_invite_and_numbered_answers(stack: Stack) -> None:
    person_id, code = await stack.invite(first_name="Sofie", goal="Blive tømrer")

    [welcome] = await say(stack, f"{code[:4].lower()} {code[4:].lower()}")
    assert "Aarhus Kommune" in welcome and welcome.endswith("\n1. Fortsæt\n2. Menu")
    identity = await stack.identity("sms", PHONE)
    assert (identity.young_person_id, identity.verified) == (person_id, True)

    [privacy] = await say(stack, "1")
    assert "Vi gemmer" in privacy
    [language] = await say(stack, "1")
    assert "\n1. Dansk\n2. English" in language
    [menu] = await say(stack, "dansk")  # an answer by word works as well as by number
    assert "Hvad vil du gerne?" in menu and "\n1. Min plan\n" in menu
    [plan] = await say(stack, "1")
    assert "Blive tømrer" in plan
    await say(stack, "menu")
    [handed] = await say(stack, "3")
    assert "Mette" in handed

    handoffs = await stack.all(Handoff)
    assert [(h.young_person_id, h.reason) for h in handoffs] == [(person_id, "asked")]
    calls = [c for c in stack.twilio.calls if c.status == 201]
    assert len(calls) == 7
    for call in calls:
        assert call.params["MessagingServiceSid"] == SERVICE_SID
        assert call.params["StatusCallback"] == PUBLIC + STATUS_PATH
        assert call.params["To"] == PHONE
    for message in await stack.outbound("sms"):
        shape = analyse(rendered(stack, message))
        assert (message.encoding, message.segments) == (shape.encoding, shape.segments)
        assert message.status == "accepted"  # what Twilio says for a Messaging Service


def rendered(stack: Stack, message: Message) -> str:
    """The body as the SMS channel rendered it (numbered choices included)."""
    from channels.base import Choice

    channel = stack.app.state.channels["sms"]
    return str(
        channel.render(message.body, tuple(Choice(c["key"], c["label"]) for c in message.choices))
    )


@pytest.mark.parametrize("how", ["missing", "wrong token", "other url", "tampered body"])
async def test_forged_signature_is_403_and_nothing_stored(stack: Stack, how: str) -> None:
    from tests.fakes.twilio_api import signed_headers

    form = twilio_form("inbound_sms")
    headers = signed_headers(PUBLIC + SMS_PATH, form, stack.twilio.auth_token)
    if how == "missing":
        del headers["X-Twilio-Signature"]
    elif how == "wrong token":
        headers = signed_headers(PUBLIC + SMS_PATH, form, "0" * 32)
    elif how == "other url":
        headers = signed_headers("http://internal:8000" + SMS_PATH, form, stack.twilio.auth_token)
    else:
        form = {**form, "Body": "STOP"}

    response = await stack.http.post(SMS_PATH, data=form, headers=headers)

    assert response.status_code == 403
    assert await stack.all(Message) == []
    assert await stack.all(YoungPerson) == []
    assert await stack.dispatch() == 0 and stack.twilio.calls == []


async def test_duplicate_webhook_gets_one_reply(stack: Stack) -> None:
    first = await stack.sms("Hej", sid="SM" + "a" * 32)
    again = await stack.sms("Hej", sid="SM" + "a" * 32)
    await stack.dispatch()

    assert (first.status_code, again.status_code) == (200, 200)
    assert len([m for m in await stack.all(Message) if m.direction == INBOUND]) == 1
    assert len(stack.twilio.sent_bodies(PHONE)) == 1


@pytest.mark.parametrize(
    ("error", "retry_after", "wait"),
    [
        (429, "30", 30),  # Twilio's Retry-After is obeyed
        (429, None, 2),  # otherwise exponential back-off: base 2 ** attempt 1
        (503, None, 2),
    ],
)
async def test_busy_twilio_is_retried_after_a_wait(
    stack: Stack, error: int, retry_after: str | None, wait: int
) -> None:
    stack.twilio.fail_next(error, retry_after=retry_after)
    await stack.sms("Hej")
    await stack.dispatch()

    [message] = await stack.outbound("sms")
    row = await stack.outbox_for(message.id)
    assert (row.status, row.attempts) == (PENDING, 1)
    if retry_after is None:  # our own back-off, with jitter: between half and all of it
        jitter = stack.settings.outbox.send_backoff_jitter
        earliest = utcnow() + timedelta(seconds=wait * (1 - jitter))
        assert earliest <= row.due_at <= utcnow() + timedelta(seconds=wait)
    else:  # the provider's Retry-After, exactly
        assert row.due_at == utcnow() + timedelta(seconds=wait)
    clock.advance(row.due_at - utcnow() - timedelta(milliseconds=1))
    assert await stack.dispatch() == 0
    clock.advance(timedelta(milliseconds=1))
    assert await stack.dispatch() == 1
    assert (await stack.outbox_for(message.id)).status == SENT
    assert len(stack.twilio.sent_bodies(PHONE)) == 1


async def test_21610_marks_the_number_and_nothing_more_is_sent(stack: Stack) -> None:
    stack.twilio.fail_next(21610)
    await stack.sms("Hej")
    await stack.dispatch()

    identity = await stack.identity("sms", PHONE)
    assert (identity.unreachable_at, identity.unreachable_reason) == (utcnow(), "21610")
    [message] = await stack.outbound("sms")
    assert ((await stack.outbox_for(message.id)).status, message.error_code) == (FAILED, "21610")

    async with stack.db.session() as session:
        await outbox.enqueue(session, identity=identity, text="Husk mødet kl. 10.", now=utcnow())
    calls = len(stack.twilio.calls)
    await stack.dispatch()
    assert len(stack.twilio.calls) == calls  # not even tried

    # START to Twilio re-subscribes the number; it reaches us and we may answer again.
    clock.advance(timedelta(minutes=1))
    assert len(await say(stack, "START")) == 1
    assert (await stack.identity("sms", PHONE)).unreachable_at is None


async def test_emoji_reply_is_stored_as_ucs2(stack: Stack) -> None:
    await onboarded(stack)
    [welcome] = await stack.outbound("sms")
    assert welcome.encoding == "GSM-7"  # æ, ø and å are in GSM-7
    identity = await stack.identity("sms", PHONE)
    text = "Godt gået med CV'et 👍 Vi ses på tirsdag kl. 10 i Ungeindsatsen, Torvet 1."

    async with stack.db.session() as session:
        staff_reply = await outbox.enqueue(
            session,
            identity=identity,
            text=text,
            now=utcnow(),
            author="staff",
            staff_id=stack.contact_id,
        )
    await stack.dispatch()

    [stored] = [m for m in await stack.outbound("sms") if m.id == staff_reply.id]
    assert (stored.encoding, stored.segments) == ("UCS-2", 2)
    [provider] = [m for m in stack.twilio.messages if m["body"] == text]
    assert provider["num_segments"] == "2"


async def test_mms_gets_only_text_reply(stack: Stack) -> None:
    await onboarded(stack)

    form = twilio_form("inbound_mms_no_text", From=PHONE)
    response = await stack.twilio_post(SMS_PATH, form)
    await stack.dispatch()

    assert response.status_code == 200
    reply = stack.twilio.sent_bodies(PHONE)[-1]
    assert reply.startswith("Jeg kan kun læse tekst.") and "\n1. Fortsæt" in reply


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("status_sent", None),
        ("status_delivered", None),
        ("status_undelivered_30003", "30003"),
        ("status_failed_30008", "30008"),
        # The longest status Twilio reports (19 characters): the column must hold it.
        ("status_partially_delivered", None),
    ],
)
async def test_status_callback_updates_the_message(
    stack: Stack, status: str, code: str | None
) -> None:
    await onboarded(stack)
    [message] = await stack.outbound("sms")
    form = twilio_form(status)
    form = {**form, "MessageSid": str(message.provider_id), "SmsSid": str(message.provider_id)}

    response = await stack.twilio_post(STATUS_PATH, form)

    assert response.status_code == 200
    [updated] = await stack.outbound("sms")
    assert (updated.status, updated.error_code) == (form["MessageStatus"], code)


async def test_status_for_unknown_message_is_200_and_changes_nothing(stack: Stack) -> None:
    await onboarded(stack)

    response = await stack.twilio_post(STATUS_PATH, twilio_form("status_delivered"))

    assert response.status_code == 200
    [message] = await stack.outbound("sms")
    assert message.status == "accepted"


@pytest.mark.parametrize("sender", ["abc", "+45123", "12", "+999 1234 5678", ""])
async def test_malformed_from_is_400_and_nothing_stored(stack: Stack, sender: str) -> None:
    response = await stack.sms("Hej", sender=sender)

    assert response.status_code == 400
    assert "From" in response.text
    if sender:
        assert sender not in response.text  # the number is never echoed (it ends up in logs)
    assert await stack.all(Message) == []
    assert await stack.all(YoungPerson) == []


@pytest.mark.parametrize("national", ["20 12 34 56", "004520123456", "+45 20 12 34 56"])
async def test_danish_number_forms_are_one_identity(stack: Stack, national: str) -> None:
    await stack.sms("Hej", sender=national)
    await stack.dispatch()

    assert (await stack.identity("sms", PHONE)).address == PHONE
    assert stack.twilio.sent_bodies(PHONE)


@pytest.mark.parametrize("stop", ["STOP", "Stopp", "afmeld", "STOP."])
@pytest.mark.parametrize("start", ["START", "ja"])
async def test_stop_confirms_once_then_silence_until_start(
    stack: Stack, stop: str, start: str
) -> None:
    await onboarded(stack)

    [confirmation] = await say(stack, stop)
    assert confirmation.startswith("Du får ikke flere beskeder fra os.")
    assert (await stack.identity("sms", PHONE)).opted_out_at == utcnow()
    for body in ("Hej", "1", "HJÆLP", stop):
        assert await say(stack, body) == []

    # Nothing written for the number later goes out either (reminders, staff replies).
    async with stack.db.session() as session:
        later = await outbox.enqueue(
            session,
            identity=await stack.identity("sms", PHONE),
            text="Husk mødet kl. 10.",
            now=utcnow(),
        )
    await stack.dispatch()
    assert (await stack.outbox_for(later.id)).status == CANCELLED
    assert "Husk mødet kl. 10." not in stack.twilio.sent_bodies(PHONE)

    [welcome_back] = await say(stack, start)
    assert welcome_back.startswith("Velkommen tilbage.") and "Hvad vil du gerne?" in welcome_back
    assert (await stack.identity("sms", PHONE)).opted_out_at is None


@pytest.mark.parametrize("word", ["HELP", "hjælp", "Hjaelp"])
async def test_help_explains_the_service_and_the_way_to_a_human(stack: Stack, word: str) -> None:
    await onboarded(stack)

    [help_text] = await say(stack, word)

    assert "Indgang er kommunens chat for unge." in help_text
    assert "KONTAKT" in help_text and "STOP" in help_text and "112" in help_text


async def test_twilio_advanced_opt_out_is_recorded_but_not_answered_twice(stack: Stack) -> None:
    """With Advanced Opt-Out on, Twilio replies to STOP/START/HELP itself and says so."""
    await onboarded(stack)
    # A custom Twilio keyword we do not list ourselves: Twilio's word decides.
    response = await stack.sms("AFBRYD", OptOutType="STOP")
    assert response.status_code == 200
    await stack.dispatch()
    assert (await stack.identity("sms", PHONE)).opted_out_at == utcnow()
    assert len(stack.twilio.sent_bodies(PHONE)) == 1  # only the welcome from before

    await stack.sms("START", OptOutType="START")
    await stack.dispatch()
    assert (await stack.identity("sms", PHONE)).opted_out_at is None
    assert len(stack.twilio.sent_bodies(PHONE)) == 1, "Twilio already welcomed them back"

    await stack.sms("HELP", OptOutType="HELP")
    await stack.dispatch()
    assert len(stack.twilio.sent_bodies(PHONE)) == 1
    assert (await say(stack, "menu"))[0].startswith("Hvad vil du gerne?")
