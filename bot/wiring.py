"""The composition root: the conversation's plug-ins, and the concrete channels and routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bot.checkins import conversation as checkins
from bot.clock import utcnow
from bot.conversation import preferences
from bot.conversation.engine import Engine
from bot.conversation.registry import ConversationPlugin, Registry
from bot.conversation.service import Receiver, messages_for_address
from bot.database import Database
from bot.demo import DEMO_VISITORS
from bot.handoff import conversation as handoff
from bot.outbox.service import record_status
from bot.plans import conversation as plans
from bot.privacy import conversation as privacy
from bot.reminders import conversation as reminders
from bot.safety import conversation as safety
from bot.settings import Settings
from channels.base import Channel
from channels.sms.channel import SmsChannel
from channels.sms.parse import StatusUpdate
from channels.telegram.channel import TelegramChannel
from channels.web.channel import WebChannel

SMS_STATUS_PATH = "/webhooks/twilio/status"

# Every domain's part of the conversation.
CONVERSATION: tuple[ConversationPlugin, ...] = (
    preferences.plugin, safety.plugin, handoff.plugin, plans.plugin, checkins.plugin,
    reminders.plugin, privacy.plugin,
)
# What runs before a flow step, in this order: a crisis is answered before anything else
# (a human holding the conversation, STOP); a worry is asked about only when no human has it.
GUARDS = ("privacy.cpr_notice", "safety.crisis", "preferences.opt_out", "handoff.held",
          "safety.worry")


def build_registry() -> Registry:
    """Every action, view, choice source, reader and guard the flows can use."""
    return Registry.of(CONVERSATION, guard_order=GUARDS)


def build_engine() -> Engine:
    """The conversation engine with every domain's plug-in."""
    return Engine(build_registry())


def build_channels(settings: Settings) -> dict[str, Channel]:
    """Every channel whose credentials are set; the web simulator in development."""
    channels: dict[str, Channel] = {}
    if settings.env == "development":
        channels["web"] = WebChannel()
    if settings.telegram_token:
        channels["telegram"] = telegram_channel(settings)
    if settings.twilio_account_sid and settings.twilio_auth_token:
        channels["sms"] = SmsChannel(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            from_number=settings.twilio_from,
            status_callback_url=settings.public_base + SMS_STATUS_PATH,
            api_base=_base(settings.twilio_api_base),
            max_segments=settings.sms_max_segments,
        )
    return channels


def telegram_channel(settings: Settings) -> TelegramChannel:
    """The Telegram channel from settings (also used by the CLI)."""
    assert settings.telegram_token
    return TelegramChannel(settings.telegram_token, _base(settings.telegram_api_base))


def _base(url: object | None) -> str | None:
    return str(url).rstrip("/") if url else None


def build_routers(channels: dict[str, Channel], receiver: Receiver, db: Database,
                  settings: Settings) -> list[APIRouter]:
    """The webhook and simulator routes of the channels that are on."""
    from channels.sms import views as sms_views
    from channels.telegram import views as telegram_views
    from channels.web import views as web_views

    routers = []
    if "web" in channels:
        async def history(address: str, after: int) -> list[dict[str, Any]]:
            return await messages_for_address(db, channel="web", address=address, after=after)

        async def visitors() -> list[dict[str, str]]:
            return [{"visitor": v, "label": label} for v, label in DEMO_VISITORS.items()]

        routers.append(web_views.build_router(receiver, history, visitors))
    telegram = channels.get("telegram")
    if isinstance(telegram, TelegramChannel):
        assert settings.telegram_webhook_secret
        routers.append(telegram_views.build_router(telegram, settings.telegram_webhook_secret,
                                                   receiver))
    sms = channels.get("sms")
    if isinstance(sms, SmsChannel):
        assert settings.twilio_auth_token

        async def on_status(update: StatusUpdate) -> bool:
            return await record_status(db, channel="sms", provider_id=update.provider_id,
                                       status=update.status, error_code=update.error_code,
                                       now=utcnow())

        routers.append(sms_views.build_router(sms, settings.twilio_auth_token,
                                              settings.public_base, receiver, on_status))
    return routers
