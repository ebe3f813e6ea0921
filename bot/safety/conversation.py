"""Flow actions and views for the gentle check ("Er du okay?")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation.registry import action, view
from bot.handoff import service as handoffs
from bot.safety import crisis

if TYPE_CHECKING:
    from bot.conversation.engine import Turn

TOPIC_KEY = "gentle_topic"


@action("handoff_urgent")
async def open_urgent_handoff(turn: Turn, reason: str) -> None:
    """The young person said yes to a grown-up now: an urgent handoff."""
    topic = str(turn.state.data.get(TOPIC_KEY, "general"))
    await handoffs.open_handoff(turn.session, person=turn.person, reason=reason or "crisis",
                                urgent=True, detail=f"gentle check: {topic}")


@view("crisis_help")
async def show_crisis_help(turn: Turn) -> str:
    """Who knows now, and help lines for what the worrying message was about."""
    topic = str(turn.state.data.get(TOPIC_KEY, "general"))
    return await crisis.help_text(turn, topic, danger=False)
