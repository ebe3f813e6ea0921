"""The conversation page's message list: what it shows and where it opens."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.service import history
from bot.handoff.models import Handoff
from bot.inbox import service
from bot.inbox.login import Login
from bot.people.models import YoungPerson


async def thread(
    session: AsyncSession, login: Login, person: YoungPerson, handoff: Handoff | None
) -> dict[str, Any]:
    """Messages, scheduled replies, authors' names and the message the page opens at."""
    assert person.id is not None
    return {
        "messages": await history(session, person_id=person.id),
        "scheduled": await service.scheduled(session, person_id=person.id),
        "authors": await service.staff_names(session, login),
        # An urgent handoff opens at the young person's message that made it urgent; any
        # other conversation at its newest message.
        "focus": handoff.message_id if handoff is not None and handoff.urgent else None,
    }
