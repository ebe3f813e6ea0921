"""Every table, imported in one place so metadata and migrations see them all."""

from bot.audit.models import AuditEvent
from bot.campaigns.models import Campaign, CampaignDelivery
from bot.checkins.models import Checkin, CheckinSchedule
from bot.conversation.models import ConversationState, Message
from bot.handoff.models import Handoff
from bot.municipalities.models import Municipality
from bot.outbox.models import OutboxItem, SendPace
from bot.people.models import ChannelIdentity, Invite, YoungPerson
from bot.plans.models import Appointment, FreeSlot, Milestone, Plan, PlanEvent
from bot.privacy.models import RetentionCount
from bot.reminders.models import Reminder
from bot.staff.models import StaffMember, StaffSession

__all__ = [
    "Appointment",
    "AuditEvent",
    "Campaign",
    "CampaignDelivery",
    "ChannelIdentity",
    "Checkin",
    "CheckinSchedule",
    "ConversationState",
    "FreeSlot",
    "Handoff",
    "Invite",
    "Message",
    "Milestone",
    "Municipality",
    "OutboxItem",
    "Plan",
    "PlanEvent",
    "Reminder",
    "RetentionCount",
    "SendPace",
    "StaffMember",
    "StaffSession",
    "YoungPerson",
]
