"""What staff read for a stored code: statuses, reasons, roles, channels, audit actions.

One module, so every code has one Danish name (a message id, translated for its reader) and
tests/inbox/test_no_raw_codes.py can hold it against the codes the models, channels and
content know. Templates name a code with `label(kind, code)` (bot/inbox/pages.py).
"""

from __future__ import annotations

from bot.i18n import N_, tr

# A young person's case (bot/people/models.py STATUSES).
PERSON_STATUS = {
    "active": N_("Aktiv"),
    "paused": N_("På pause"),
    "opted_out": N_("Har meldt fra"),
    "closed": N_("Afsluttet"),
}
# Staff (bot/staff/models.py ROLES and DEPARTMENTS).
ROLE = {
    "contact_person": N_("Kontaktperson"),
    "team_lead": N_("Teamleder"),
    "admin": N_("Administrator"),
    "content_editor": N_("Indholdsredaktør"),
}
DEPARTMENT = {
    "education": N_("Uddannelse"),
    "employment": N_("Beskæftigelse"),
    "social": N_("Socialområdet"),
}
# Why a conversation went to a human (bot/handoff/models.py REASONS; flows name them too).
REASON = {
    "asked": N_("Bad om et menneske"),
    "crisis": N_("Krise"),
    "not_understood": N_("Botten forstod ikke"),
    "risk": N_("Risikosvar i check-in"),
    "plan_change": N_("Ændring i planen"),
    "reschedule": N_("Vil flytte et møde"),
    "move_meeting": N_("Flyt et møde"),
    "staff": N_("Medarbejder skrev først"),
    "data_request": N_("Vil se sine data"),
}
# A handoff row's own status (bot/handoff/models.py STATUSES).
HANDOFF = {"open": N_("Ikke taget"), "held": N_("Taget"), "closed": N_("Lukket")}
# An open handoff's place in the conversation (bot/handoff/status.py).
HANDOFF_STATUS = {
    "waiting_on_us": N_("Venter på os"),
    "waiting_on_young": N_("Venter på den unge"),
    "scheduled": N_("Planlagt svar"),
}
# A message's delivery status: ours (bot/conversation/models.py) and what channels report
# (Twilio's statuses, channels/sms/parse.py).
MESSAGE_STATUS = {
    "received": N_("Modtaget"),
    "receiving": N_("Modtages"),
    "scheduled": N_("Planlagt"),
    "queued": N_("I kø"),
    "accepted": N_("Afsendt"),
    "sending": N_("Sendes"),
    "sent": N_("Afsendt"),
    "delivered": N_("Leveret"),
    "partially_delivered": N_("Delvist leveret"),
    "read": N_("Læst"),
    "undelivered": N_("Ikke leveret"),
    "failed": N_("Fejlet"),
    "cancelled": N_("Annulleret"),
    "canceled": N_("Annulleret"),
    "note": N_("Intern note"),
}
AUTHOR = {"young_person": N_("Den unge"), "bot": N_("Chatbot"), "staff": N_("Medarbejder")}
# Why a send failed, where a channel says it in words (channels/*/channel.py); the
# providers' numbered codes (Twilio's 21610, HTTP 403) are shown as they are.
SEND_ERROR = {
    "invalid_address": N_("ugyldigt telefonnummer"),
    "address": N_("ugyldig chat-adresse"),
    "callback_data": N_("en svarknap er for lang"),
    "network": N_("netværksfejl"),
    "5xx": N_("fejl hos udbyderen"),
}
# Every channel plug-in by name (bot/wiring.py CHANNELS), and where notes are kept.
CHANNEL = {
    "sms": N_("SMS"),
    "telegram": N_("Telegram"),
    "web": N_("Web-chat"),
    "console": N_("Konsol"),
    # Internal notes (bot/conversation/models.py NOTE_CHANNEL).
    "inbox": N_("Intern note"),
}
# Plan items (bot/plans/changes.py).
MILESTONE_STATUS = {"open": N_("Åben"), "done": N_("Klaret"), "dropped": N_("Opgivet")}
APPOINTMENT_STATUS = {
    "planned": N_("Planlagt"),
    "confirmed": N_("Bekræftet"),
    "cancelled": N_("Aflyst"),
    "done": N_("Afholdt"),
    "missed": N_("Udeblevet"),
    "reschedule_requested": N_("Ønskes flyttet"),
}
# A campaign's life (bot/campaigns/models.py).
CAMPAIGN_STATUS = {
    "draft": N_("Kladde"),
    "running": N_("Kører"),
    "paused": N_("På pause"),
    "cancelled": N_("Annulleret"),
    "done": N_("Færdig"),
}
# The live counts (results.progress's keys) and the delivery statuses behind them.
PROGRESS = {
    "planned": N_("Planlagt"),
    "claimed": N_("Sendes nu"),
    "queued": N_("I kø"),
    "sent": N_("Sendt"),
    "delivered": N_("Leveret"),
    "failed": N_("Fejlet"),
    "skipped": N_("Sprunget over"),
    "replied": N_("Svaret"),
    "holdout": N_("Kontrolgruppe"),
    "withdrawn": N_("Trukket tilbage"),
    "opted_out_after": N_("Meldte fra bagefter"),
}
# Why a recipient was left out (bot/campaigns/eligibility.py REASONS, preview, sending).
LEFT_OUT = {
    "already_sent": N_("Har allerede fået den"),
    "opted_out": N_("Har meldt fra"),
    "closed": N_("Sag lukket"),
    "paused": N_("På pause"),
    "no_channel": N_("Ingen kanal"),
    "unreachable": N_("Kan ikke nås"),
    "in_handoff": N_("Taler med en medarbejder"),
    "frequency_cap": N_("Har fået for mange beskeder"),
    "date_gone": N_("Datoen er væk"),
    "cancelled": N_("Kampagnen blev annulleret"),
}
# What counts as a campaign's effect (bot/campaigns/spec.py Outcome).
OUTCOME = {
    "replied": N_("Svarede"),
    "milestone_done": N_("Klarede trinnet (milepælens tag)"),
    "appointment_kept": N_("Kom til mødet"),
}
# What an audit event records (bot/audit/models.py ACTIONS).
AUDIT_ACTION = {
    "view_conversation": N_("Så samtalen"),
    "view_messages": N_("Så nye beskeder"),
    "view_plan": N_("Så profil og plan"),
    "read_plan": N_("Læste planen (API)"),
    "read_checkins": N_("Læste check-ins (API)"),
    "read_channels": N_("Læste kanalerne (API)"),
    "person_created": N_("Oprettede den unge"),
    "invite_created": N_("Lavede en invitation"),
    "take": N_("Tog samtalen"),
    "assign": N_("Overdrog samtalen"),
    "reply": N_("Svarede"),
    "reply_scheduled": N_("Planlagde et svar"),
    "reply_cancelled": N_("Annullerede et planlagt svar"),
    "note": N_("Skrev en intern note"),
    "hand_back": N_("Gav samtalen tilbage til chatbotten"),
    "close": N_("Lukkede samtalen"),
    "confidential_confirmed": N_("Sendte fortroligt indhold"),
    "digital_post": N_("Henviste til Digital Post"),
    "checkin_cadence": N_("Ændrede check-ins"),
    "checkins.schedule": N_("Ændrede check-ins (API)"),
    "plan.goal.set": N_("Satte målet"),
    "plan.milestone.add": N_("Tilføjede et delmål"),
    "plan.milestone.change": N_("Ændrede et delmål"),
    "plan.milestone.done": N_("Markerede et delmål som klaret"),
    "plan.appointment.add": N_("Bookede et møde"),
    "plan.appointment.change": N_("Ændrede et møde"),
    "export": N_("Hentede alle data (indsigt)"),
    "erased": N_("Slettede alle data"),
    "retention_deleted": N_("Slettet efter opbevaringsfristen"),
    "campaign_created": N_("Oprettede en kampagne"),
    "campaign_started": N_("Startede en kampagne"),
    "campaign_paused": N_("Satte en kampagne på pause"),
    "campaign_resumed": N_("Fortsatte en kampagne"),
    "campaign_cancelled": N_("Annullerede en kampagne"),
    "campaign_previewed": N_("Så en kampagnes modtagere"),
    "campaign_results_viewed": N_("Så en kampagnes resultater"),
    "search_messages": N_("Så beskeder i en søgning"),
    "view_meetings": N_("Så møder at følge op på"),
}

# The kinds templates ask for, by the name they use.
KINDS: dict[str, dict[str, str]] = {
    "person_status": PERSON_STATUS,
    "role": ROLE,
    "department": DEPARTMENT,
    "reason": REASON,
    "handoff": HANDOFF,
    "handoff_status": HANDOFF_STATUS,
    "message_status": MESSAGE_STATUS,
    "author": AUTHOR,
    "send_error": SEND_ERROR,
    "channel": CHANNEL,
    "milestone_status": MILESTONE_STATUS,
    "appointment_status": APPOINTMENT_STATUS,
    "campaign_status": CAMPAIGN_STATUS,
    "progress": PROGRESS,
    "left_out": LEFT_OUT,
    "outcome": OUTCOME,
    "audit_action": AUDIT_ACTION,
}


def message_id(kind: str, code: str | None) -> str:
    """The Danish message id for a code of this kind; an unknown code is returned as it is."""
    if not code:
        return ""
    return KINDS[kind].get(code, code)


def label(language: str, kind: str, code: str | None) -> str:
    """A code's name in the reader's language, e.g. label('da', 'role', 'team_lead')."""
    found = message_id(kind, code)
    return tr(language, found) if found else ""
