"""Safety checks run on every incoming message before any flow: crisis screen and CPR redaction."""

from bot.safety.cpr import contains_cpr, redact_cpr
from bot.safety.helplines import EMERGENCY, Helpline, helplines_for
from bot.safety.normalise import normalise
from bot.safety.screen import CrisisMatch, screen

__all__ = [
    "EMERGENCY",
    "CrisisMatch",
    "Helpline",
    "contains_cpr",
    "helplines_for",
    "normalise",
    "redact_cpr",
    "screen",
]
