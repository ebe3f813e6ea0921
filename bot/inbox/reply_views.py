"""Replying to a young person: the reply (split into numbered parts where the channel needs
it, refused when too long, held when it looks confidential) and the reply box's counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.clock import utcnow
from bot.content.texts import system_text
from bot.handoff import operations
from bot.i18n import N_, normalise_language, tr
from bot.inbox import service
from bot.inbox.login import FormLogin, InboxSession, Login
from bot.inbox.pages import ui_language
from bot.inbox.replies import confidential_hits
from bot.inbox.views import _back, _refused, load_person, parse_local
from bot.people import service as people
from bot.people.models import YoungPerson
from channels.base import MAX_PARTS, Measure

# The longest reply the inbox takes, on any channel (an SMS one may be refused sooner).
MAX_REPLY = 4000
TOO_LONG = operations.TOO_LONG

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


def _measurer(request: Request) -> operations.Measurer:
    """The channels' own length rules (`bot.wiring.measure_as_sent`, set by the app)."""
    measure: operations.Measurer = request.app.state.measure
    return measure


@router.post("/measure")
async def measure_draft(
    request: Request,
    session: InboxSession,
    login: FormLogin,
    text: str = Form(""),
    person: int | None = Form(None),
    channel: str = Form("sms"),
) -> dict[str, Any]:
    """A draft's length by its channel's own rules: the young person's channel (a reply) or
    a named one (a campaign's SMS). The reply box's live counter calls this, so the page has
    no copy of the SMS encoder; `parts` is 0 when the reply would be refused."""
    if person is not None:
        young = await load_person(session, login, person)
        assert young.id is not None
        identity = await people.preferred_identity(session, person_id=young.id)
        channel = identity.channel if identity else ""
    text = text.strip()
    measured = _measurer(request)(channel, text)
    too_long = not measured.parts or len(text) > MAX_REPLY
    return {
        "channel": channel,
        "characters": measured.characters,
        "limit": measured.limit,
        "segments": measured.segments,
        "max_segments": measured.max_segments,
        "encoding": measured.encoding,
        "parts": 0 if too_long else len(measured.parts),
        "max_parts": MAX_PARTS,
        "summary": counter_summary(
            ui_language(request), measured, too_long=too_long, parts=person is not None
        ),
    }


def counter_summary(lang: str, measured: Measure, *, too_long: bool, parts: bool) -> str:
    """The counter's line in the staff member's language; with `parts`, how many a reply
    is sent in."""
    if too_long:
        return tr(lang, TOO_LONG)
    if measured.segments is not None:
        line = tr(
            lang,
            "{encoding} · {characters} af {limit} tegn · {segments} SMS",
            encoding=measured.encoding or "",
            characters=measured.characters,
            limit=measured.limit,
            segments=measured.segments,
        )
    else:
        line = tr(
            lang,
            "{characters} af {limit} tegn",
            characters=measured.characters,
            limit=measured.limit,
        )
    if parts and len(measured.parts) > 1:
        line += " · " + tr(lang, "sendes i {n} dele", n=len(measured.parts))
    return line


@router.post("/people/{person_id}/reply")
async def reply(
    request: Request,
    session: InboxSession,
    login: FormLogin,
    person_id: int,
    text: str = Form(""),
    when: str = Form("now"),
    send_at: str = Form(""),
    confirm: str = Form(""),
    action: str = Form("send"),
) -> Response:
    """Send or schedule a reply; confidential content needs confirmation or Digital Post."""
    person = await load_person(session, login, person_id)
    now = utcnow()
    text = text.strip()
    if len(text) > MAX_REPLY:
        # Refused whole, never cut: the staff member keeps the draft to shorten it.
        return await _refused(request, session, login, person, TOO_LONG, draft=text)
    due_at = None
    if when == "later":
        due_at = parse_local(send_at, login.municipality.timezone)
        if due_at is None or due_at <= now:
            return await _refused(
                request, session, login, person, N_("Vælg et tidspunkt i fremtiden."), draft=text
            )
    hits = confidential_hits(text)
    try:
        if action == "digital_post":
            await _digital_post(session, login, person, text, now)
            return _back(person_id)
        if hits and confirm != "1":
            # Not sent: SMS and Telegram are not encrypted channels for case content.
            return await _refused(
                request,
                session,
                login,
                person,
                N_("Beskeden ser fortrolig ud. Den er ikke sendt."),
                draft=text,
                status=409,
                guard=hits,
            )
        sent = await operations.reply(
            session,
            staff=login.staff,
            person=person,
            text=text,
            now=now,
            due_at=due_at,
            measure=_measurer(request),
        )
    except operations.Refused as refused:
        return await _refused(request, session, login, person, str(refused), draft=text)
    if hits:
        await audit.record(
            session,
            staff=login.staff,
            young_person_id=person.id,
            action="confidential_confirmed",
            detail=f"message {sent[0].id}: {', '.join(hits)}",
        )
    if due_at is None:
        request.app.state.dispatcher.wake()
    return _back(person_id)


async def _digital_post(
    session: AsyncSession, login: Login, person: YoungPerson, text: str, now: datetime
) -> None:
    """Keep the text as an internal note for Digital Post; tell the young person to look there."""
    lang = normalise_language(person.language)
    await service.note(
        session, login, person, now=now, text=tr("da", "Sendes med Digital Post:") + "\n" + text
    )
    await operations.reply(
        session,
        staff=login.staff,
        person=person,
        now=now,
        text=system_text("digital_post_notice", lang),
    )
    await audit.record(
        session, staff=login.staff, young_person_id=person.id, action="digital_post", now=now
    )
