"""Staff JSON reads about a young person's channels: reachable, opted out, used last."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlmodel import col, select

from bot.audit import service as audit
from bot.people import service as people
from bot.people.models import ChannelIdentity
from bot.staff import access
from bot.staff.deps import CurrentStaff, SessionDep

router = APIRouter(prefix="/api/young", tags=["people"])


class ChannelView(BaseModel):
    """One channel identity as a contact person sees it; the address is only hinted."""

    id: int
    channel: str
    address_hint: str
    verified: bool
    preferred: bool
    opted_out_at: datetime | None
    unreachable_at: datetime | None
    unreachable_reason: str | None
    last_inbound_at: datetime | None


class ChannelsView(BaseModel):
    """Every channel a young person can be reached on, and where reminders go."""

    young_person_id: int
    reachable: bool
    channels: list[ChannelView]


def address_hint(channel: str, address: str) -> str:
    """The last digits only: enough to recognise a number, not to copy it."""
    return "…" + address[-4:] if channel in ("sms", "telegram") else address[:24]


@router.get("/{person_id}/channels", response_model=ChannelsView)
async def channels(person_id: int, staff: CurrentStaff, session: SessionDep) -> ChannelsView:
    """The young person's channels with their unreachable and opt-out flags (404 elsewhere)."""
    person = await access.visible_person(session, staff, person_id)
    if person is None:
        raise HTTPException(status_code=404, detail="Not found.")
    await audit.record(session, staff=staff, young_person_id=person_id, action="read_channels")
    rows = (
        await session.exec(
            select(ChannelIdentity)
            .where(ChannelIdentity.young_person_id == person_id)
            .order_by(col(ChannelIdentity.id))
        )
    ).all()
    preferred = await people.preferred_identity(session, person_id=person_id)
    views = [
        ChannelView(
            id=row.id or 0,
            channel=row.channel,
            address_hint=address_hint(row.channel, row.address),
            verified=row.verified,
            preferred=preferred is not None and row.id == preferred.id,
            opted_out_at=row.opted_out_at,
            unreachable_at=row.unreachable_at,
            unreachable_reason=row.unreachable_reason,
            last_inbound_at=row.last_inbound_at,
        )
        for row in rows
    ]
    return ChannelsView(young_person_id=person_id, reachable=preferred is not None, channels=views)
