"""How the campaign pages name stored keys: statuses, progress counts, reasons left out."""

from __future__ import annotations

from bot.i18n import N_

CAMPAIGN_STATUS = {
    "draft": N_("Kladde"),
    "running": N_("Kører"),
    "paused": N_("På pause"),
    "cancelled": N_("Annulleret"),
    "done": N_("Færdig"),
}
# The live counts, in the order the page shows them (results.progress's keys).
PROGRESS = {
    "planned": N_("Planlagt"),
    "queued": N_("I kø"),
    "sent": N_("Sendt"),
    "delivered": N_("Leveret"),
    "failed": N_("Fejlet"),
    "skipped": N_("Sprunget over"),
    "replied": N_("Svaret"),
    "holdout": N_("Kontrolgruppe"),
    "withdrawn": N_("Trukket tilbage"),
}
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
CHANNELS = {"sms": N_("SMS"), "telegram": N_("Telegram"), "web": N_("Web-chat")}


class Labels:
    """Label lookups for templates: the Danish message id for a key, or the key itself."""

    def status(self, key: str) -> str:
        """A campaign's status."""
        return CAMPAIGN_STATUS.get(key, key)

    def progress(self, key: str) -> str:
        """A progress count's name."""
        return PROGRESS.get(key, key)

    def left_out(self, key: str) -> str:
        """Why someone was left out."""
        return LEFT_OUT.get(key, key)

    def channel(self, key: str) -> str:
        """A channel's name."""
        return CHANNELS.get(key, key)


LABELS = Labels()
