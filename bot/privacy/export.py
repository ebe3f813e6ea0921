"""A young person's complete data as JSON, or as a readable HTML page (for Digital Post)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.clock import utcnow
from bot.municipalities.models import Municipality
from bot.privacy import person_rows
from bot.privacy.service import audit_trail, person_for_staff
from bot.staff.models import StaffMember

Format = Literal["json", "html"]

# Section titles on the HTML page; a table added later shows under its own name.
TITLES = {
    "young_person": "Oplysninger om dig",
    "channel_identity": "Hvor du skriver fra",
    "conversation_state": "Hvor du er i samtalen",
    "message": "Beskeder",
    "plan": "Uddannelsesplan",
    "milestone": "Skridt i planen",
    "appointment": "Møder",
    "plan_event": "Ændringer i planen",
    "checkin": "Check-ins",
    "checkin_schedule": "Hvornår du får check-ins",
    "handoff": "Samtaler med en medarbejder",
    "reminder": "Påmindelser",
    "invite": "Invitationer",
    "outbox": "Beskeder sendt fra os (teknisk)",
    "campaign_delivery": "Fælles beskeder",
}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


async def build(
    session: AsyncSession, *, person_id: int, staff: StaffMember | None
) -> dict[str, Any]:
    """Everything stored about one young person, with who has looked; records the export."""
    person = await person_for_staff(session, person_id=person_id, staff=staff)
    # The export is itself a read of the young person's data: it is audited first, so it
    # appears in its own audit list.
    await audit.record(
        session,
        staff=staff,
        young_person_id=person_id,
        action="export",
        municipality_id=person.municipality_id,
        detail="" if staff else "command line",
    )
    municipality = await session.get(Municipality, person.municipality_id)
    assert municipality is not None
    events = []
    names: dict[int, StaffMember | None] = {}
    for event in await audit_trail(session, person_id=person_id):
        if event.staff_id is not None and event.staff_id not in names:
            names[event.staff_id] = await session.get(StaffMember, event.staff_id)
        who = names.get(event.staff_id) if event.staff_id is not None else None
        events.append(
            {
                "at": event.at,
                "action": event.action,
                "detail": event.detail,
                "staff": who.name if who else None,
                "staff_email": who.email if who else None,
                "staff_role": who.role if who else None,
            }
        )
    return {
        "young_person_id": person_id,
        "municipality": municipality.name,
        "timezone": municipality.timezone,
        "exported_at": utcnow(),
        "tables": await person_rows.dump_rows(session, person_id),
        "audit": events,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def to_json(export: dict[str, Any]) -> str:
    """The export as indented JSON (times in UTC, ISO 8601)."""
    return json.dumps(export, default=_plain, ensure_ascii=False, indent=2)


def to_html(export: dict[str, Any]) -> str:
    """The export as one self-contained, readable HTML page (times in local time)."""
    zone = ZoneInfo(export["timezone"])

    def show(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, datetime):
            return value.astimezone(zone).strftime("%d.%m.%Y %H.%M")
        if isinstance(value, date):
            return value.strftime("%d.%m.%Y")
        if isinstance(value, bool):
            return "ja" if value else "nej"
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, default=_plain)
        return str(value)

    sections = [(TITLES.get(name, name), rows) for name, rows in export["tables"].items()]
    template = _templates.get_template("export.html")
    return template.render(export=export, sections=sections, show=show)


def render(export: dict[str, Any], fmt: Format) -> str:
    """The export in the asked format."""
    return to_json(export) if fmt == "json" else to_html(export)
