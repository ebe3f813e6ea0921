"""`indgang young …`: create a young person and hand out invites to link SMS and Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from babel.dates import format_datetime
from sqlalchemy import func
from sqlmodel import select

from bot.cli_support import channel_settings
from bot.cli_support import settings as checked_settings
from bot.clock import utcnow
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.people import service as people
from bot.people.models import YoungPerson
from bot.staff.models import StaffMember
from bot.wiring import ChannelSettingsMap, invite_ways
from channels.base import InviteWay

young_app = typer.Typer(help="Young people and their invites.", no_args_is_help=True)

# The youth act covers 15-25; support may continue to 30. Outside this a typo is likelier.
MIN_AGE, MAX_AGE = 13, 30


class InviteError(ValueError):
    """A request the CLI refuses, with a message for the operator."""


@dataclass(frozen=True)
class InviteCard:
    """What a contact person hands the young person to link a chat."""

    person_id: int
    first_name: str | None
    code: str
    expires_at: datetime
    timezone: str
    sms_number: str | None
    telegram_link: str | None


async def add_young_person(
    db: Database,
    *,
    channel_settings: ChannelSettingsMap,
    first_name: str,
    birth_year: int,
    contact_email: str,
    municipality_code: str,
    now: datetime,
) -> InviteCard:
    """Create a young person with a contact person, and a first invite."""
    name = " ".join(first_name.split())
    if not name or len(name) > 60:
        raise InviteError("the first name must be 1 to 60 characters")
    if not now.year - MAX_AGE <= birth_year <= now.year - MIN_AGE:
        raise InviteError(
            f"birth year must be between {now.year - MAX_AGE} and {now.year - MIN_AGE}"
        )
    async with db.session() as session:
        municipality = (
            await session.exec(select(Municipality).where(Municipality.code == municipality_code))
        ).first()
        if municipality is None or municipality.id is None:
            raise InviteError(f"no municipality with code {municipality_code!r}")
        contact = (
            await session.exec(
                select(StaffMember).where(
                    func.lower(StaffMember.email) == contact_email.strip().lower()
                )
            )
        ).first()
        if contact is None or contact.municipality_id != municipality.id or not contact.active:
            # One message for both: do not reveal staff of other municipalities.
            raise InviteError(f"no active staff member {contact_email!r} in {municipality.name}")
        person = YoungPerson(
            municipality_id=municipality.id,
            first_name=name,
            birth_year=birth_year,
            language=municipality.default_language,
            contact_person_id=contact.id,
            created_at=now,
        )
        session.add(person)
        await session.flush()
        assert person.id is not None
        code = await people.create_invite(
            session, person_id=person.id, now=now, staff_id=contact.id
        )
        return _card(channel_settings, municipality, person, code, now)


async def new_invite(
    db: Database, *, channel_settings: ChannelSettingsMap, person_id: int, now: datetime
) -> InviteCard:
    """Another invite for an existing young person (a lost code, or a second channel)."""
    async with db.session() as session:
        person = await session.get(YoungPerson, person_id)
        if person is None or person.id is None:
            raise InviteError(f"no young person with id {person_id}")
        if person.status == "closed":
            raise InviteError(f"young person {person_id} is closed")
        municipality = await session.get(Municipality, person.municipality_id)
        assert municipality is not None
        code = await people.create_invite(
            session, person_id=person.id, now=now, staff_id=person.contact_person_id
        )
        return _card(channel_settings, municipality, person, code, now)


def _card(
    channel_settings: ChannelSettingsMap,
    municipality: Municipality,
    person: YoungPerson,
    code: str,
    now: datetime,
) -> InviteCard:
    assert person.id is not None
    ways = invite_ways(channel_settings, code)
    sms, telegram = ways.get("sms", InviteWay()), ways.get("telegram", InviteWay())
    return InviteCard(
        person_id=person.id,
        first_name=person.first_name,
        code=code,
        expires_at=now + people.INVITE_LIFETIME,
        timezone=municipality.timezone,
        sms_number=municipality.sms_number or sms.address,
        telegram_link=telegram.link,
    )


def describe(card: InviteCard) -> str:
    """The invite as the operator reads it (the code is shown once; only its hash is kept)."""
    expires = format_datetime(
        card.expires_at, "dd.MM.yyyy HH:mm", tzinfo=ZoneInfo(card.timezone), locale="da"
    )
    sms_to = card.sms_number or "the municipality's SMS number"
    lines = [
        f"young person {card.person_id} ({card.first_name or 'no name'})",
        f"invite code: {card.code}  (single use, expires {expires})",
        f"SMS: text {card.code} to {sms_to}",
    ]
    if card.telegram_link:
        lines.append(f"Telegram: {card.telegram_link}")
    else:
        lines.append("Telegram: set INDGANG_TELEGRAM_BOT_USERNAME to print the link")
    return "\n".join(lines)


def _print(make: Callable[[Database, ChannelSettingsMap], Awaitable[InviteCard]]) -> None:
    settings, channels = checked_settings(), channel_settings()

    async def go() -> InviteCard:
        db = Database(settings.database_url)
        try:
            return await make(db, channels)
        finally:
            await db.dispose()

    try:
        card = asyncio.run(go())
    except InviteError as exc:
        typer.echo(f"indgang: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(describe(card))


@young_app.command("add")
def add(
    first_name: str = typer.Option(..., help="First name or nickname (no surname, no CPR)."),
    birth_year: int = typer.Option(..., help="Year of birth, e.g. 2008."),
    contact: str = typer.Option(..., help="Email of the contact person."),
    municipality: str = typer.Option(..., help="Municipality code."),
) -> None:
    """Create a young person and print an invite (SMS code and Telegram link)."""
    _print(
        lambda db, channels: add_young_person(
            db,
            channel_settings=channels,
            first_name=first_name,
            birth_year=birth_year,
            contact_email=contact,
            municipality_code=municipality,
            now=utcnow(),
        )
    )


@young_app.command("invite")
def invite(person_id: int = typer.Argument(..., help="The young person's id.")) -> None:
    """Print a new invite for an existing young person."""
    _print(
        lambda db, channels: new_invite(
            db, channel_settings=channels, person_id=person_id, now=utcnow()
        )
    )
