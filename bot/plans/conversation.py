"""What flows can show of the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation.registry import view
from bot.plans import service as plans

if TYPE_CHECKING:
    from bot.conversation.engine import Turn


@view("plan")
async def show_plan(turn: Turn) -> str:
    """The goal and next milestones."""
    return await plans.plan_text(turn.session, person=turn.person, language=turn.lang,
                                 timezone=turn.municipality.timezone)


@view("next_appointment")
async def show_next_appointment(turn: Turn) -> str:
    """When and where the next meeting is."""
    return await plans.next_appointment_text(
        turn.session, person=turn.person, language=turn.lang,
        timezone=turn.municipality.timezone, now=turn.now,
    )
