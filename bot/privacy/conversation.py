"""Flow views for a young person's right of access ("hvad ved I om mig")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content.texts import system_text
from bot.conversation.registry import ConversationPlugin
from bot.handoff import service as handoffs
from bot.i18n import native_name, normalise_language
from bot.privacy import service

if TYPE_CHECKING:
    from bot.conversation.turn import Steps, Turn

CHANNEL_TEXTS = {"web": "channel_web", "sms": "channel_sms", "telegram": "channel_telegram"}

plugin = ConversationPlugin("privacy")


@plugin.view("privacy_notice")
async def privacy_notice(turn: Turn) -> str:
    """How long we keep data, and how to stop or see it (first contact)."""
    return system_text("privacy_notice", turn.lang, days=turn.municipality.retention_days)


@plugin.view("privacy_summary")
async def privacy_summary(turn: Turn) -> str:
    """A plain list of what is stored about the young person, and who can see it."""
    lang = turn.lang
    facts = await service.facts(turn.session, person=turn.person)
    unknown = system_text("privacy_unknown", lang)
    channels = ", ".join(
        system_text(CHANNEL_TEXTS[c], lang) if c in CHANNEL_TEXTS else c for c in facts.channels
    )
    lines = [
        system_text("privacy_intro", lang),
        system_text("privacy_line_name", lang, first_name=facts.first_name or unknown),
        system_text("privacy_line_birth_year", lang, year=facts.birth_year or unknown),
        system_text(
            "privacy_line_language",
            lang,
            language_name=native_name(normalise_language(facts.language)),
        ),
        system_text("privacy_line_channels", lang, channels=channels or unknown),
        system_text("privacy_line_messages", lang, count=facts.messages),
        system_text(
            "privacy_line_plan", lang, milestones=facts.milestones, appointments=facts.appointments
        )
        if facts.has_plan
        else system_text("privacy_line_no_plan", lang),
        system_text("privacy_line_checkins", lang, count=facts.checkins),
    ]
    return (
        "\n".join(lines)
        + "\n\n"
        + "\n\n".join(
            [
                system_text("privacy_who", lang),
                system_text("privacy_how_long", lang, days=turn.municipality.retention_days),
                system_text("privacy_offer", lang),
            ]
        )
    )


@plugin.view("privacy_request_sent")
async def privacy_request_sent(turn: Turn) -> str:
    """Tell the young person who sends the full export, and how."""
    name = await handoffs.responder_name(turn.session, person=turn.person, now=turn.now)
    if name is None:
        return system_text("privacy_request_sent_team", turn.lang)
    return system_text("privacy_request_sent", turn.lang, contact=name)


@plugin.guard("cpr_notice")
async def cpr_notice(turn: Turn, _steps: Steps) -> bool:
    """Say once that a CPR number was taken out of a message before it was stored."""
    if turn.cpr_removed and not turn.person.cpr_warned:
        turn.person.cpr_warned = True
        turn.say(system_text("cpr_removed", turn.lang))
    return False
