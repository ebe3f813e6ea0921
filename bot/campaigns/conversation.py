"""A campaign message in the conversation: its text, and the choices its answer is read against.

The sweep starts a young person on `campaign.message` through `Engine.start`; the same
choice source then reads the answer, so what was offered is what is understood.
"""

from __future__ import annotations

import string
from typing import Any
from zoneinfo import ZoneInfo

from bot.campaigns.models import Campaign
from bot.campaigns.spec import CampaignSpec
from bot.campaigns.why import appointment_when, why_text
from bot.content.flows import MENU
from bot.conversation.registry import ConversationPlugin
from bot.conversation.turn import Option, Turn
from bot.plans.models import Appointment, Milestone
from bot.reminders.calendar import calendar
from bot.staff.models import StaffMember
from channels.base import Choice

plugin = ConversationPlugin("campaigns")
MESSAGE_STEP = "campaign.message"
_SPECS = "indgang.campaign_specs"
_NAMES = "indgang.staff_names"


async def _spec(turn: Turn) -> CampaignSpec | None:
    # One read per campaign per session: a sweep starts thousands of turns in one session.
    cache: dict[int, CampaignSpec | None] = turn.session.info.setdefault(_SPECS, {})
    campaign_id = int(turn.state.data.get("campaign_id") or 0)
    if campaign_id not in cache:
        campaign = await turn.session.get(Campaign, campaign_id)
        cache[campaign_id] = CampaignSpec.model_validate(campaign.spec) if campaign else None
    return cache[campaign_id]


async def _contact_name(turn: Turn) -> str:
    staff_id = turn.person.contact_person_id
    if staff_id is None:
        return ""
    names: dict[int, str] = turn.session.info.setdefault(_NAMES, {})
    if staff_id not in names:
        staff = await turn.session.get(StaffMember, staff_id)
        names[staff_id] = staff.name.split()[0] if staff and staff.name else ""
    return names[staff_id]


async def _when(turn: Turn) -> str:
    """The date the message is about (date-relative campaigns), as local text."""
    kind, *parts = str(turn.state.data.get("occurrence", "")).split(":")
    target = parts[0] if parts else ""
    if kind == "deadline" and len(parts) >= 2 and parts[1].isdigit():
        deadline = next((d for d in calendar().deadlines if d.key == target), None)
        if deadline is not None:
            return deadline.moment(int(parts[1])).astimezone(_zone(turn)).strftime("%d.%m.")
    if kind == "appointment" and target.isdigit():
        appointment = await turn.session.get(Appointment, int(target))
        return appointment_when(appointment, turn.municipality.timezone)
    if kind == "milestone" and target.isdigit():
        milestone = await turn.session.get(Milestone, int(target))
        if milestone is not None and milestone.due_date is not None:
            return milestone.due_date.strftime("%d.%m.")
    return ""


def _zone(turn: Turn) -> ZoneInfo:
    return ZoneInfo(turn.municipality.timezone)


def fill(text: str, values: dict[str, str]) -> str:
    """Placeholders filled; an unknown one is left out rather than shown as {name}."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return " ".join("".join(out).split(" ")).strip()


@plugin.view("campaign_message")
async def show_campaign_message(turn: Turn) -> str:
    """The campaign's text in the young person's language (Danish when not translated)."""
    spec = await _spec(turn)
    if spec is None:
        return ""
    arm_name = turn.state.data.get("arm")
    arm = next((a for a in spec.arms if a.name == arm_name), spec.arms[0])
    text = arm.text.get(turn.lang) or arm.text["da"]
    values: dict[str, Any] = {
        "first_name": turn.person.first_name or "",
        "contact_name": await _contact_name(turn),
        "when": await _when(turn),
    }
    return fill(text, values)


@plugin.choice_source("campaign_choices")
async def campaign_choices(turn: Turn) -> list[Option]:
    """The campaign's answer choices, routing where the campaign says."""
    spec = await _spec(turn)
    if spec is None:
        return []
    return [
        Option(Choice(c.key, c.label.get(turn.lang) or c.label["da"]), c.goto or MENU, c.do)
        for c in spec.choices
    ]


@plugin.view("why_message")
async def show_why(turn: Turn) -> str:
    """'Hvorfor fik jeg den?': where the last message the bot started came from."""
    return await why_text(turn)
