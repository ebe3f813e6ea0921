"""'Hvorfor fik jeg den?': which campaign, reminder or check-in the last message the bot
started came from, because of which date or step, and how to stop that kind of message."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.campaigns.models import Campaign, CampaignDelivery
from bot.content.texts import system_text
from bot.conversation.models import Message
from bot.conversation.turn import Turn
from bot.outbox.models import OutboxItem
from bot.plans.models import Appointment, Milestone
from bot.reminders.models import Reminder


async def why_text(turn: Turn) -> str:
    """One plain answer about the young person's last bot-started message."""
    found = await turn.session.exec(
        select(OutboxItem)
        .join(Message, col(Message.id) == OutboxItem.message_id)
        .where(Message.young_person_id == turn.person.id, col(OutboxItem.nudge).is_(True))
        .order_by(col(OutboxItem.id).desc())
        .limit(1)
    )
    item = found.first()
    if item is None:
        return system_text("why_nothing", turn.lang)
    if item.delivery_id is not None:
        return await _campaign(turn, item.delivery_id)
    reminder = (
        await turn.session.exec(select(Reminder).where(Reminder.message_id == item.message_id))
    ).first()
    if reminder is None:
        return system_text("why_checkin", turn.lang)
    if reminder.kind == "appointment":
        appointment = await turn.session.get(Appointment, reminder.target_id)
        when = appointment_when(appointment, turn.municipality.timezone)
        return system_text("why_reminder_appointment", turn.lang, when=when)
    milestone = await turn.session.get(Milestone, reminder.target_id)
    title = milestone.title if milestone else ""
    return system_text("why_reminder_milestone", turn.lang, title=title)


async def _campaign(turn: Turn, delivery_id: int) -> str:
    delivery = await turn.session.get(CampaignDelivery, delivery_id)
    campaign = await turn.session.get(Campaign, delivery.campaign_id) if delivery else None
    values = {
        "campaign": campaign.name if campaign else "",
        "municipality": turn.municipality.name,
    }
    kind, _, rest = (delivery.occurrence if delivery else "").partition(":")
    target = rest.partition(":")[0]
    if kind == "appointment" and target.isdigit():
        appointment = await turn.session.get(Appointment, int(target))
        values["when"] = appointment_when(appointment, turn.municipality.timezone)
        return system_text("why_campaign_appointment", turn.lang, **values)
    if kind == "milestone" and target.isdigit():
        milestone = await turn.session.get(Milestone, int(target))
        if milestone is not None:
            values["title"] = milestone.title
            values["when"] = milestone.due_date.strftime("%d.%m.") if milestone.due_date else ""
        return system_text("why_campaign_milestone", turn.lang, **values)
    return system_text("why_campaign", turn.lang, **values)


def appointment_when(appointment: Appointment | None, timezone: str) -> str:
    """An appointment's local date and time, as campaign texts name it ('03.03. kl. 10.00')."""
    if appointment is None:
        return ""
    return appointment.starts_at.astimezone(ZoneInfo(timezone)).strftime("%d.%m. kl. %H.%M")
