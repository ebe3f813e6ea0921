"""Import every domain's flow actions and views so they are registered."""

from bot.checkins import conversation as checkins_conversation
from bot.conversation import preferences as preferences_conversation
from bot.handoff import conversation as handoff_conversation
from bot.plans import conversation as plans_conversation
from bot.privacy import conversation as privacy_conversation
from bot.reminders import conversation as reminders_conversation
from bot.safety import conversation as safety_conversation

__all__ = ["checkins_conversation", "handoff_conversation", "plans_conversation",
           "preferences_conversation", "privacy_conversation", "reminders_conversation",
           "safety_conversation"]
