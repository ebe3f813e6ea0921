"""Import every domain's flow actions and views so they are registered."""

from bot.handoff import conversation as handoff_conversation
from bot.plans import conversation as plans_conversation

__all__ = ["handoff_conversation", "plans_conversation"]
