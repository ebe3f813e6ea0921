"""A sender writing faster than anyone reads: the bot stops answering each message for a
minute (issue 17, defect 7: 200 "menu" in a minute made 200 SMS).

Every message is still stored and shown to staff; a crisis is answered before this guard
runs, STOP too, and a worrying message still gets its gentle check. The count is of stored
messages, so it holds across web processes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from bot.content.texts import system_text
from bot.conversation.models import INBOUND, Message
from bot.conversation.registry import ConversationPlugin

if TYPE_CHECKING:
    from bot.conversation.turn import Steps, Turn

WINDOW = timedelta(minutes=1)

plugin = ConversationPlugin("flood")


@plugin.guard("fast_sender")
async def hold_back_when_fast(turn: Turn, _steps: Steps) -> bool:
    """Past the municipality's messages per minute, say once that the bot waits; then store
    without answering until the minute has passed."""
    limit = turn.municipality.inbound_per_minute
    if limit <= 0 or turn.worry is not None:
        return False
    recent = (
        await turn.session.exec(
            select(func.count())
            .select_from(Message)
            .where(
                Message.young_person_id == turn.person.id,
                Message.direction == INBOUND,
                col(Message.created_at) > turn.now - WINDOW,
            )
        )
    ).one()
    if recent <= limit:
        return False
    if recent == limit + 1:
        turn.say(system_text("flood_notice", turn.lang))
        turn.flush()
    return True
