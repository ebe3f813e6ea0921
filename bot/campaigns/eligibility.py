"""Who in a page of the audience can get a campaign message now, and why the others cannot.

Read for a whole page in a few queries: the preview, the planner and the sender all ask it,
the sender again at send time, because a young person may have opted out in between.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import Message
from bot.database import among
from bot.handoff.models import OPEN_STATUSES, Handoff
from bot.outbox.models import CANCELLED, OutboxItem
from bot.people.models import ChannelIdentity, YoungPerson
from bot.people.service import identity_rank
from bot.settings import CampaignSettings

# Why a recipient was left out, in the order they are tested.
REASONS = (
    "opted_out",
    "closed",
    "paused",
    "no_channel",
    "unreachable",
    "in_handoff",
    "frequency_cap",
)


@dataclass
class Page:
    """What the tests need for a page of young people."""

    people: dict[int, YoungPerson]
    identities: dict[int, list[ChannelIdentity]]
    in_handoff: set[int]
    nudges_day: Counter[int] = field(default_factory=Counter)
    nudges_week: Counter[int] = field(default_factory=Counter)

    @classmethod
    async def load(cls, session: AsyncSession, ids: Iterable[int], now: datetime) -> Page:
        """People, identities, open handoffs and recent nudges of these young people."""
        wanted = list(ids)
        people = {
            p.id or 0: p
            for p in (
                await session.exec(select(YoungPerson).where(col(YoungPerson.id).in_(wanted)))
            ).all()
        }
        identities: dict[int, list[ChannelIdentity]] = {}
        for identity in (
            await session.exec(
                select(ChannelIdentity).where(col(ChannelIdentity.young_person_id).in_(wanted))
            )
        ).all():
            identities.setdefault(identity.young_person_id, []).append(identity)
        held = await session.exec(
            select(Handoff.young_person_id).where(
                col(Handoff.young_person_id).in_(wanted), col(Handoff.status).in_(OPEN_STATUSES)
            )
        )
        page = cls(people, identities, set(held.all()))
        await page._count_nudges(session, wanted, now)
        return page

    async def _count_nudges(self, session: AsyncSession, ids: list[int], now: datetime) -> None:
        week_ago, day_ago = now - timedelta(days=7), now - timedelta(days=1)
        rows = await session.exec(
            select(Message.young_person_id, OutboxItem.due_at)
            .join(Message, col(Message.id) == OutboxItem.message_id)
            .where(
                col(OutboxItem.nudge).is_(True),
                OutboxItem.status != CANCELLED,
                col(Message.young_person_id).in_(ids),
                col(OutboxItem.due_at) >= week_ago,
                col(OutboxItem.due_at) <= now + timedelta(days=1),
            )
        )
        for person_id, due_at in rows.all():
            if person_id is None:
                continue
            self.nudges_week[person_id] += 1
            if due_at >= day_ago:
                self.nudges_day[person_id] += 1

    def reason(self, person_id: int, caps: CampaignSettings | None) -> str | None:
        """Why this young person is left out now; None if they can get it."""
        person = self.people.get(person_id)
        capped = caps is not None and (
            self.nudges_day[person_id] >= caps.cap_per_day
            or self.nudges_week[person_id] >= caps.cap_per_week
        )
        return _reason(
            None if person is None else person.status,
            [
                (i.opted_out_at is not None, i.unreachable_at is not None)
                for i in self.identities.get(person_id, [])
            ],
            person_id in self.in_handoff,
            capped,
        )

    def identity(self, person_id: int) -> ChannelIdentity | None:
        """The reachable identity the young person used last (where reminders go too)."""
        usable = [
            i
            for i in self.identities.get(person_id, [])
            if i.opted_out_at is None and i.unreachable_at is None
        ]
        return max(usable, key=identity_rank, default=None)

    def counted(self, person_id: int) -> None:
        """One more nudge for this young person in this run (the cap holds within a sweep)."""
        self.nudges_day[person_id] += 1
        self.nudges_week[person_id] += 1


async def reasons(session: AsyncSession, ids: Iterable[int]) -> dict[int, str | None]:
    """Why each of these young people is left out now (None: they can get it), the frequency
    cap aside: what the planner asks of every page. Columns only, in three queries: no ORM
    objects for a page of the audience."""
    wanted = list(ids)
    # Plain rows through the connection: no ORM loading for thousands of tuples.
    connection = await session.connection()
    status: dict[int, str] = dict(
        (
            await connection.execute(
                select(YoungPerson.id, YoungPerson.status).where(
                    among(session, col(YoungPerson.id), wanted)
                )
            )
        ).all()
    )
    reach: dict[int, list[tuple[bool, bool]]] = {}
    for person_id, opted_out, unreachable in (
        await connection.execute(
            select(
                ChannelIdentity.young_person_id,
                col(ChannelIdentity.opted_out_at).is_not(None),
                col(ChannelIdentity.unreachable_at).is_not(None),
            ).where(among(session, col(ChannelIdentity.young_person_id), wanted))
        )
    ).all():
        reach.setdefault(person_id, []).append((bool(opted_out), bool(unreachable)))
    held = set(
        (
            await connection.execute(
                select(Handoff.young_person_id).where(
                    among(session, col(Handoff.young_person_id), wanted),
                    col(Handoff.status).in_(OPEN_STATUSES),
                )
            )
        ).scalars()
    )
    return {
        person_id: _reason(status.get(person_id), reach.get(person_id, []), person_id in held)
        for person_id in wanted
    }


def _reason(
    status: str | None, reach: list[tuple[bool, bool]], held: bool, capped: bool = False
) -> str | None:
    """The first reason in REASONS that holds: `reach` is (opted out, unreachable) for each of
    the young person's identities, `held` an open handoff, `capped` over the frequency cap."""
    if status is None or status == "closed":
        return "closed"
    if status == "opted_out":
        return "opted_out"
    if status == "paused":
        return "paused"
    if not reach:
        return "no_channel"
    open_ = [unreachable for opted_out, unreachable in reach if not opted_out]
    if not open_:
        return "opted_out"
    if all(open_):
        return "unreachable"
    if held:
        return "in_handoff"
    if capped:
        return "frequency_cap"
    return None


__all__ = ["REASONS", "Page", "reasons"]
