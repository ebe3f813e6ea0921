"""Flow actions and views for handing the conversation to a human."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content.texts import system_text
from bot.conversation.registry import action, view
from bot.handoff import service as handoffs

if TYPE_CHECKING:
    from bot.conversation.engine import Turn


@action("handoff")
async def open_handoff(turn: Turn, reason: str) -> None:
    """Hand the conversation to the contact person (`do: handoff:<reason>`)."""
    await handoffs.open_handoff(turn.session, person=turn.person, reason=reason or "asked")


@view("handoff_opened")
async def handoff_opened(turn: Turn) -> str:
    """Tell the young person who will answer."""
    name = await handoffs.responder_name(turn.session, person=turn.person, now=turn.now)
    if name is None:
        return system_text("handoff_opened_team", turn.lang)
    return system_text("handoff_opened", turn.lang, contact=name)
