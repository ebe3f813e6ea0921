"""The crisis screen's place in the conversation, and the gentle check ("Er du okay?").

Two guards: `crisis` runs first of all and answers a crisis whatever else holds (a human,
the night, STOP); `worry` runs after the handoff guard and asks "Er du okay?" about a
worrying message that is not clearly a crisis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation.registry import ConversationPlugin
from bot.handoff import service as handoffs
from bot.safety import crisis

if TYPE_CHECKING:
    from bot.conversation.turn import Steps, Turn

TOPIC_KEY = "gentle_topic"
GENTLE_CHECK = "safety.check"

plugin = ConversationPlugin("safety")


@plugin.action("handoff_urgent")
async def open_urgent_handoff(turn: Turn, reason: str) -> None:
    """The young person said yes to a grown-up now: an urgent handoff."""
    topic = str(turn.state.data.get(TOPIC_KEY, "general"))
    await handoffs.open_handoff(
        turn.session,
        person=turn.person,
        reason=reason or "crisis",
        urgent=True,
        message_id=turn.message_id,
        detail=f"gentle check: {topic}",
    )


@plugin.view("crisis_help")
async def show_crisis_help(turn: Turn) -> str:
    """Who knows now, and help lines for what the worrying message was about."""
    topic = str(turn.state.data.get(TOPIC_KEY, "general"))
    return await crisis.help_text(turn, topic, danger=False)


@plugin.guard("crisis")
async def answer_crisis(turn: Turn, _steps: Steps) -> bool:
    """A crisis is always answered; a worrying message is noted for the guards after."""
    match = crisis.screen(turn.text)
    if match is None:
        return False
    if match.gentle:
        turn.worry = match.category
        return False
    await crisis.respond(turn, match)
    turn.flush(bypass_opt_out=True)
    return True


@plugin.guard("worry")
async def ask_if_okay(turn: Turn, steps: Steps) -> bool:
    """A worrying message, not clearly a crisis: one short question, "Er du okay?"."""
    if turn.worry is None:
        return False
    turn.state.data = {**turn.state.data, TOPIC_KEY: turn.worry}
    await steps.enter(turn, GENTLE_CHECK)
    return True
