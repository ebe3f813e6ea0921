"""Telegram: aiogram's Bot for sending, aiogram's types for parsing, a secret-checked webhook."""

from channels.telegram.channel import TelegramChannel
from channels.telegram.parse import Ignored, MalformedUpdate, ParsedUpdate, parse_update

__all__ = ["Ignored", "MalformedUpdate", "ParsedUpdate", "TelegramChannel", "parse_update"]
