"""The audit list on a young person's page, in the reader's words.

Audit events keep their detail as the code wrote it (row ids, ISO times in UTC, status
codes): the export and the tests read it so. The page names the action (bot/inbox/labels.py)
and shows what a person can use from the detail — a title, a local time, a status, a
colleague's name — and leaves out bare row ids, which the export still has. A detail of an
unknown shape is shown as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.audit.models import AuditEvent
from bot.i18n import tr
from bot.inbox.formatting import Formatter
from bot.inbox.labels import label

# The shapes the code writes: bot/plans/changes.py (_milestone_detail, _appointment_detail),
# bot/handoff/operations.py (assign; " (absence)" when a stand-in takes over),
# bot/inbox/people_views.py (set_cadence), bot/inbox/reply_views.py (a confirmed
# confidential reply: the message ids and what was found), bot/privacy/retention.py.
_MILESTONE = re.compile(r"#\d+ (?P<title>.*) \(due (?P<due>[\d-]+), (?P<status>\w+)\)", re.S)
_APPOINTMENT = re.compile(r"#\d+ (?P<at>\S+) (?P<place>.*) \((?P<status>\w+)\)", re.S)
_ASSIGN = re.compile(r"handoff \d+ to staff (?P<staff>\d+)(?P<absence> \(absence\))?")
_CADENCE = re.compile(r"every (?P<days>\d+) days, paused=(?P<paused>True|False)")
_CONFIDENTIAL = re.compile(r"message [\d, ]+: (?P<hits>.+)", re.S)
_CLOSED = re.compile(r"closed (?P<day>\d{4}-\d{2}-\d{2})")
# Details that are row ids only ("handoff 3", "message 4, 5", "campaign 2"), or an erasure's
# counts per table.
_NOTHING_TO_SAY = frozenset(
    {"take", "hand_back", "close", "reply", "reply_scheduled", "reply_cancelled", "note"}
    | {"erased"}
)


@dataclass(frozen=True)
class AuditLine:
    """One row of the list: when, who, what (named) and what it was about."""

    at: datetime
    who: str
    what: str
    detail: str


def lines(
    events: list[AuditEvent], *, language: str, fmt: Formatter, names: Mapping[int, str]
) -> list[AuditLine]:
    """The events as the page lists them; `names` are staff names by id."""
    reader = _Reader(language, fmt, names)
    system = tr(language, "Systemet")
    return [
        AuditLine(
            at=event.at,
            who=names.get(event.staff_id, "–") if event.staff_id is not None else system,
            what=label(language, "audit_action", event.action),
            detail=reader.detail(event.action, event.detail),
        )
        for event in events
    ]


class _Reader:
    """One event's detail in words, in one language."""

    def __init__(self, language: str, fmt: Formatter, names: Mapping[int, str]) -> None:
        self.language = language
        self.fmt = fmt
        self.names = names

    def detail(self, action: str, detail: str) -> str:
        if not detail or action in _NOTHING_TO_SAY or action.startswith("campaign_"):
            return ""
        read = {
            "plan.milestone.add": self._milestone,
            "plan.milestone.change": self._milestone,
            "plan.appointment.add": self._appointment,
            "plan.appointment.change": self._appointment,
            "assign": self._assign,
            "checkin_cadence": self._cadence,
            "checkins.schedule": self._schedule,
            "confidential_confirmed": self._confidential,
            "retention_deleted": self._closed,
            "export": self._export,
        }.get(action)
        # Without a reader the detail is words a person wrote: a goal, a milestone's title.
        said = read(detail) if read is not None else None
        return detail if said is None else said

    def _day(self, text: str) -> str | None:
        try:
            return self.fmt.day(date.fromisoformat(text))
        except ValueError:
            return None

    def _milestone(self, detail: str) -> str | None:
        found = _MILESTONE.fullmatch(detail)
        if found is None:
            return None
        parts = [found["title"]]
        day = self._day(found["due"])
        if day:
            parts.append(tr(self.language, "senest {day}", day=day))
        parts.append(label(self.language, "milestone_status", found["status"]))
        return " · ".join(parts)

    def _appointment(self, detail: str) -> str | None:
        found = _APPOINTMENT.fullmatch(detail)
        if found is None:
            return None
        try:
            at = datetime.fromisoformat(found["at"])
        except ValueError:
            return None
        status = label(self.language, "appointment_status", found["status"])
        return " · ".join([self.fmt.when(at), found["place"], status])

    def _assign(self, detail: str) -> str | None:
        found = _ASSIGN.fullmatch(detail)
        if found is None:
            return None
        name = self.names.get(int(found["staff"]), "–")
        if found["absence"]:
            return tr(self.language, "til {name}, stedfortræder under fravær", name=name)
        return tr(self.language, "til {name}", name=name)

    def _cadence(self, detail: str) -> str | None:
        found = _CADENCE.fullmatch(detail)
        if found is None:
            return None
        return self._every(int(found["days"]), paused=found["paused"] == "True")

    def _schedule(self, detail: str) -> str | None:
        # The JSON API's request body: any of cadence_days, weekday, hour, paused.
        try:
            body = json.loads(detail)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        days = body.get("cadence_days")
        return self._every(days if isinstance(days, int) else None, paused=body.get("paused"))

    def _every(self, days: int | None, *, paused: object) -> str:
        parts = []
        if days == 1:
            parts.append(tr(self.language, "hver dag"))
        elif days is not None:
            parts.append(tr(self.language, "hver {n}. dag", n=days))
        if paused is True:
            parts.append(tr(self.language, "sat på pause"))
        return ", ".join(parts)

    def _confidential(self, detail: str) -> str | None:
        found = _CONFIDENTIAL.fullmatch(detail)
        if found is None:
            return None
        hits = [hit.strip() for hit in found["hits"].split(",") if hit.strip()]
        cpr = tr(self.language, "et CPR-nummer")
        return ", ".join(cpr if hit == "CPR" else hit for hit in hits)

    def _closed(self, detail: str) -> str | None:
        found = _CLOSED.fullmatch(detail)
        day = self._day(found["day"]) if found else None
        return tr(self.language, "sagen lukket {day}", day=day) if day else None

    def _export(self, detail: str) -> str | None:
        return tr(self.language, "fra kommandolinjen") if detail == "command line" else None
