"""No inbox page shown in Danish contains a raw status, reason, role or action code (issue 14).

The codes are read from where they are defined — the models' constants, the channel plug-ins,
Twilio's statuses, the flows' handoff reasons, the audit actions — and every one must have a
Danish label in bot/inbox/labels.py. Then a world is built in which they occur: a young person
of each status on each channel, a handoff of each reason and queue status, staff of each role
and department, messages of each delivery status, plan items of each status, campaigns of each
status and an audit event of each action. Signed in as a contact person, a team lead, an admin
and a content editor, a crawler follows every /inbox link from the queue (new pages are
covered without listing them) and looks for a code as a whole word in what each page shows.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args
from urllib.parse import urldefrag

import httpx
from babel.messages.pofile import read_po
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import service as audit
from bot.audit.models import ACTIONS, AuditEvent
from bot.campaigns import eligibility
from bot.campaigns import models as campaign_models
from bot.campaigns import service as campaigns
from bot.campaigns.spec import CampaignSpec, Outcome
from bot.checkins.risk import load_rules
from bot.content.flows import load_flows
from bot.conversation import models as conversation_models
from bot.conversation.models import INBOUND, OUTBOUND, Message
from bot.database import Database
from bot.handoff import models as handoff_models
from bot.handoff import status as handoff_status
from bot.i18n import LOCALES_DIR
from bot.inbox import labels
from bot.municipalities.models import Municipality
from bot.people import models as people_models
from bot.plans import changes
from bot.plans.models import Appointment
from bot.privacy import export
from bot.staff import models as staff_models
from bot.staff.models import StaffMember
from bot.wiring import CHANNELS
from channels.sms.parse import STATUSES as TWILIO_STATUSES
from tests.fixtures.inbox import Staff
from tests.world import PASSWORD, TwoTowns, channel_identity, handoff, staff_member, young_person

SignedIn = Callable[[str], Awaitable[Staff]]
CHANNELS_DIR = Path(__file__).resolve().parents[2] / "channels"

# Flow actions whose argument is a handoff reason (`do: handoff:data_request`).
HANDOFF_ACTIONS = ("handoff", "handoff_urgent", "handoff_appointment")
# Skip reasons written outside eligibility.REASONS: bot/campaigns/preview.py (already_sent),
# sending.py (date_gone) and service.py (cancelled, when a campaign is cancelled).
OTHER_LEFT_OUT = ("already_sent", "date_gone", "cancelled")
# Codes that are also words of Danish text staff read. They may stand inside such a text (a
# message id of locales/messages.pot), never on their own:
DANISH_WORDS = {
    # Danish for a note: "Intern note", "Gem note", "Skriv en intern note".
    "note": "a message status and an audit action",
    # Lower-case "sms" in running Danish ("skriv sms til 116 111", a help line).
    "sms": "a channel, named 'SMS' on every page",
}
# Codes are matched case-sensitively: they are stored in lower case, and their labels are
# capitalised words ("SMS", "Telegram", "Aktiv"), some of them the same word.


def send_errors() -> set[str]:
    """The word codes channels give a failed send (`SendError(..., code="address")`)."""
    found = set()
    for path in CHANNELS_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "SendError":
                found |= {
                    k.value.value
                    for k in node.keywords
                    if k.arg == "code" and isinstance(k.value, ast.Constant)
                }
    return {code for code in found if isinstance(code, str) and not code.isdigit()}


def codes() -> dict[str, set[str]]:
    """Every code staff could be shown, by the label kind that names it."""
    flow_reasons = {
        action.partition(":")[2]
        for flow in load_flows().flows.values()
        for step in flow.steps.values()
        for action in filter(None, [step.do, *(c.do for c in step.choices)])
        if action.partition(":")[0] in HANDOFF_ACTIONS and action.partition(":")[2]
    }
    return {
        "person_status": set(people_models.STATUSES),
        "role": set(staff_models.ROLES),
        "department": set(staff_models.DEPARTMENTS),
        "reason": set(handoff_models.REASONS) | flow_reasons,
        "handoff": set(handoff_models.STATUSES),
        "handoff_status": {
            handoff_status.WAITING_ON_US,
            handoff_status.WAITING_ON_YOUNG,
            handoff_status.SCHEDULED,
        },
        "message_status": set(conversation_models.STATUSES) | set(TWILIO_STATUSES),
        "author": set(conversation_models.AUTHORS),
        "send_error": send_errors(),
        "channel": {plugin.name for plugin in CHANNELS} | {conversation_models.NOTE_CHANNEL},
        "milestone_status": set(changes.MILESTONE_STATUSES),
        "appointment_status": set(changes.APPOINTMENT_STATUSES),
        "campaign_status": set(campaign_models.STATUSES),
        "progress": set(campaign_models.DELIVERY_STATUSES),
        "left_out": set(eligibility.REASONS) | set(OTHER_LEFT_OUT),
        "outcome": set(get_args(Outcome)),
        "audit_action": set(ACTIONS),
    }


def all_codes() -> set[str]:
    """The codes of every kind together."""
    return set().union(*codes().values(), *(set(kind) for kind in labels.KINDS.values()))


@cache
def danish_messages() -> tuple[str, ...]:
    """Every Danish text of the catalog: templates, code and content."""
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        return tuple(str(m.id) for m in read_po(handle) if m.id)


def _word(code: str) -> str:
    # A hyphen joins words ("SMS-dele"): a code inside such a compound is not a word of its own.
    return rf"(?<![\w-]){re.escape(code)}(?![\w-])"


@cache
def _code_pattern() -> re.Pattern[str]:
    found = sorted(all_codes(), key=len, reverse=True)
    return re.compile("|".join(_word(code) for code in found))


@cache
def _danish_uses() -> re.Pattern[str]:
    """The catalog's texts that hold a DANISH_WORDS code, placeholders matching any words."""
    texts = [
        text
        for text in danish_messages()
        if any(re.search(_word(word), text) for word in DANISH_WORDS)
    ]
    patterns = [
        re.sub(r"\\\{\w+\\\}", r"[^\\n]*?", re.escape(text))
        for text in sorted(texts, key=len, reverse=True)
    ]
    return re.compile("|".join(patterns) or "(?!)")


# Elements whose text is not shown as a label: scripts, styles, and <pre> — the one <pre> is
# a campaign's settings shown verbatim as YAML, the file format staff write and paste
# (content/campaigns/*.yaml), whose keys and values are that format's words.
HIDDEN = frozenset({"script", "style", "pre"})
# Attributes whose value is shown or read aloud (tooltips, screen readers, the table labels
# a narrow screen shows through CSS, the texts scripts swap in); other attributes (classes,
# data-* keys, form values) are not text.
SHOWN_ATTRIBUTES = frozenset(
    {"title", "aria-label", "alt", "placeholder", "data-label", "data-title"}
    | {"data-label-bad", "data-label-wait"}
)
LINK_ATTRIBUTES = ("href", "data-url", "data-refresh-url")


class _Page(HTMLParser):
    """The visible text and the links of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag in HIDDEN:
            self._hidden += 1
        if "download" not in found:
            self.links += [found[name] for name in LINK_ATTRIBUTES if found.get(name)]
        if not self._hidden:
            self.text += [found[name] for name in SHOWN_ATTRIBUTES if found.get(name)]

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def read_page(html: str) -> _Page:
    """Parse a page."""
    page = _Page()
    page.feed(html)
    page.close()
    return page


def visible_text(html: str) -> str:
    """What a staff member reads on the page, one text node a line."""
    lines = (" ".join(part.split()) for part in read_page(html).text)
    return "\n".join(line for line in lines if line)


def raw_codes(html: str) -> list[tuple[str, str]]:
    """Codes shown as words on the page, each with the text around it."""
    text = _danish_uses().sub(" ", visible_text(html))
    return [
        (found.group(), text[max(0, found.start() - 40) : found.end() + 40].replace("\n", " | "))
        for found in _code_pattern().finditer(text)
    ]


# Not pages: static files, the language switch (a redirect), the live stream, signing out.
NOT_PAGES = ("/inbox/static/", "/inbox/lang/", "/inbox/events", "/inbox/logout")


# Where the crawl starts: the queue, and what a search finds (a form, which links do not
# reach): the seeded messages ("Besked nummer 3") and notes hold the word.
START = ("/inbox", "/inbox/search?q=nummer", "/inbox/search?q=skolen")


async def crawl(
    http: httpx.AsyncClient, limit: int = 400, start: tuple[str, ...] = START
) -> dict[str, str]:
    """Every inbox page reachable by links (and the fragments pages load), by address."""
    seen: dict[str, str] = {}
    waiting = list(start)
    while waiting:
        path = waiting.pop(0)
        if path in seen:
            continue
        answer = await http.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        seen[path] = answer.text if answer.headers["content-type"].startswith("text/html") else ""
        assert len(seen) < limit, "the crawl does not end"
        for link in read_page(seen[path]).links:
            target = urldefrag(link).url
            if (
                target.startswith("/inbox")
                and not target.startswith(NOT_PAGES)
                and not target.endswith(".csv")
                and target not in seen
            ):
                waiting.append(target)
    return {path: html for path, html in seen.items() if html}


def test_every_code_has_a_danish_label() -> None:
    missing = {
        kind: sorted(found - set(labels.KINDS[kind]))
        for kind, found in codes().items()
        if found - set(labels.KINDS[kind])
    }
    assert missing == {}
    messages = set(danish_messages())
    unextracted = {
        (kind, code, name)
        for kind, names in labels.KINDS.items()
        for code, name in names.items()
        if name not in messages
    }
    assert unextracted == set()


def test_codes_that_are_danish_words_are_named() -> None:
    # A code that turns up in Danish text needs a decision here; a stale entry is dropped.
    words = {
        found.group() for text in danish_messages() for found in _code_pattern().finditer(text)
    }
    assert words == set(DANISH_WORDS)


def test_the_check_finds_codes_and_only_codes() -> None:
    page = (
        "<h1 class='active' data-status='paused'>Status</h1><td>opted_out</td>"
        "<p title='team_lead'>Intern note · note</p><pre>status: [active]</pre>"
        "<script>let s = 'closed';</script>"
        "<p>BørneTelefonen: ring eller skriv sms til 116 111. · SMS · sms</p>"
        "<p>plan.goal.set, Planlagt, draft-ish, non_code</p>"
    )
    found = [code for code, _ in raw_codes(page)]
    assert found == ["opted_out", "team_lead", "note", "sms", "plan.goal.set"]


def _storable(status: str) -> bool:
    """Whether a message status fits its column. Twilio's "partially_delivered" does not
    (19 characters, 16 stored): PostgreSQL refuses it, a gap of the status callback apart from
    this test, which checks its label all the same."""
    return len(status) <= Message.__table__.c.status.type.length  # type: ignore[attr-defined,no-any-return]


async def _seed(db: Database, world: TwoTowns, now: datetime) -> dict[str, int]:
    """Staff of every role, young people of every status on every channel, a handoff of every
    reason, messages of every delivery status (on Sofie's conversation) and five campaigns."""
    ids = {"sofie": world.people["sofie"]}
    async with db.session() as session:
        aby = await session.get(Municipality, world.towns["aby"])
        mette = await session.get(StaffMember, world.staff["mette"])
        ali = await session.get(StaffMember, world.staff["ali"])
        assert aby is not None and mette is not None and ali is not None
        for name, role, department in (
            ("Karin Holm", "admin", "social"),
            ("Peter Dahl", "content_editor", "education"),
        ):
            await staff_member(
                session, aby, name=name, role=role, department=department, password=PASSWORD
            )
        rows = (
            # name, status, channel, address, handoff reason (None: none yet)
            ("Ida", "paused", "telegram", "10001", "crisis"),
            ("Emil", "opted_out", "web", "visitor-emil", "not_understood"),
            ("Lea", "closed", "console", "konsol-lea", "risk"),
            ("Noah", "active", "sms", "+4520000021", "plan_change"),
            ("Alma", "active", "sms", "+4520000022", "reschedule"),
            ("Oskar", "active", "sms", "+4520000023", None),
            ("Freja", "active", "web", "visitor-freja", "data_request"),
            ("Karl", "active", "sms", "+4520000024", "asked"),
            ("Vera", "active", "telegram", "10002", "asked"),
            ("Ella", "active", "sms", "+4520000025", "move_meeting"),
        )
        for name, status, channel, address, reason in rows:
            person = await young_person(
                session, aby, first_name=name, birth_year=2007, contact=mette, status=status
            )
            ids[name.lower()] = person.id or 0
            await channel_identity(
                session,
                person,
                channel=channel,
                address=address,
                last_inbound_at=now,
                opted_out_at=now if status == "opted_out" else None,
            )
            if reason is not None:
                await handoff(
                    session,
                    person,
                    reason=reason,
                    urgent=reason == "crisis",
                    opened_at=now - timedelta(hours=1),
                )
            if reason == "risk":
                person.risk_flag_at, person.risk_reason = now, load_rules().low_scores.reason
            if status == "closed":
                person.closed_at = now
            session.add(person)
        # A meeting Sofie missed yesterday, on Mette's meeting list.
        sofie_plan = await changes.ensure_plan(
            session, person=await session.get_one(people_models.YoungPerson, ids["sofie"]), now=now
        )
        session.add(
            Appointment(
                plan_id=sofie_plan.id or 0,
                starts_at=now - timedelta(days=1),
                place="Torvet 1",
                status="missed",
                missed_notice_at=now,
            )
        )
        # Every delivery status a message can have, on Sofie's conversation.
        statuses = sorted(s for s in codes()["message_status"] - {"note"} if _storable(s))
        session.add(
            Message(
                young_person_id=ids["sofie"],
                channel="sms",
                direction=INBOUND,
                author="young_person",
                body="Hej, jeg har et spørgsmål om mødet",
                created_at=now - timedelta(minutes=90),
            )
        )
        for n, status in enumerate(statuses):
            session.add(
                Message(
                    young_person_id=ids["sofie"],
                    channel="sms",
                    direction=OUTBOUND,
                    author="staff" if n % 2 else "bot",
                    staff_id=mette.id if n % 2 else None,
                    body=f"Besked nummer {n + 1}",
                    choices=[{"key": "ja", "label": "Ja tak"}] if n == 0 else [],
                    status=status,
                    created_at=now - timedelta(minutes=60 - n),
                )
            )
        for n, error in enumerate([*sorted(send_errors()), "21610"]):
            session.add(
                Message(
                    young_person_id=ids["sofie"],
                    channel="sms",
                    direction=OUTBOUND,
                    author="bot",
                    body=f"Påmindelse nummer {n + 1}",
                    status="failed",
                    error_code=error,
                    created_at=now - timedelta(minutes=30 - n),
                )
            )
        await _campaigns(session, ali, ids, now)
    return ids


async def _campaigns(
    session: AsyncSession, ali: StaffMember, ids: dict[str, int], now: datetime
) -> None:
    """A campaign of each status; the running one with deliveries of each status."""
    made = {}
    for name, status in (
        ("Husk mødet", campaign_models.DRAFT),
        ("Åbent hus", campaign_models.RUNNING),
        ("Ny uge", campaign_models.PAUSED),
        ("Sommerjob", campaign_models.CANCELLED),
        ("Tilmelding", campaign_models.DONE),
    ):
        spec = CampaignSpec.model_validate(
            {
                "name": name,
                "audience": {"language": ["da", "en"]},
                "text": {"da": "Hej {first_name}. Husk at skrive til os."},
                "schedule": {"at": "2026-03-10T10:00:00"},
            }
        )
        campaign = await campaigns.create(session, spec, staff=ali, now=now)
        for step in {
            campaign_models.RUNNING: [campaign_models.RUNNING],
            campaign_models.PAUSED: [campaign_models.RUNNING, campaign_models.PAUSED],
            campaign_models.CANCELLED: [campaign_models.CANCELLED],
            campaign_models.DONE: [campaign_models.RUNNING],
        }.get(status, []):
            await campaigns.set_status(session, campaign, step, staff=ali, now=now)
        if status == campaign_models.DONE:
            campaign.status = status  # the scheduler ends a campaign when all is sent
            session.add(campaign)
        made[status] = campaign
    running = made[campaign_models.RUNNING]
    people = list(ids.values())
    for n, status in enumerate(campaign_models.DELIVERY_STATUSES):
        skipped = status in (campaign_models.SKIPPED, campaign_models.WITHDRAWN)
        session.add(
            campaign_models.CampaignDelivery(
                campaign_id=running.id or 0,
                young_person_id=people[n % len(people)],
                occurrence=f"once-{n}",
                arm="holdout" if status == campaign_models.HOLDOUT else "A",
                status=status,
                skip_reason=OTHER_LEFT_OUT[n % 3] if skipped else None,
                due_at=now,
                sent_at=now if status == campaign_models.QUEUED else None,
            )
        )
    await session.flush()


def _page(answer: httpx.Response) -> str:
    """The HTML a form answered with (a redirect has none)."""
    if answer.headers.get("content-type", "").startswith("text/html"):
        return answer.text
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    return ""


async def _work(
    db: Database, world: TwoTowns, ids: dict[str, int], mette: Staff, ali: Staff
) -> list[tuple[str, str]]:
    """A day's work through the pages and the API, so the audit list holds each action with
    the detail the code writes; returns the pages forms answered with."""
    sofie = f"/inbox/people/{ids['sofie']}"
    shown: list[tuple[str, str]] = []

    async def form(http: Staff, path: str, data: dict[str, str] | None = None) -> None:
        shown.append((f"POST {path}", _page(await http.form(path, data))))

    await form(mette, f"{sofie}/note", {"text": "Ringede til skolen."})
    await form(mette, f"{sofie}/plan/goal", {"goal": "Blive tømrer"})
    await form(mette, f"{sofie}/plan/milestones", {"title": "Besøg skolen", "due": "2026-03-20"})
    await form(
        mette,
        f"{sofie}/plan/appointments",
        {"starts_at": "2026-03-10T10:00", "place": "Torvet 1", "with_whom": "Mette"},
    )
    await form(
        mette,
        f"{sofie}/checkins",
        {"cadence_days": "3", "weekday": "2", "hour": "15", "paused": "1"},
    )
    await form(mette, f"{sofie}/invite")
    await form(
        mette,
        "/inbox/people",
        {"first_name": "Mikkel", "birth_year": "2008", "language": "da"},
    )
    await form(mette, f"/inbox/people/{ids['ida']}/take")
    noah = f"/inbox/people/{ids['noah']}"
    await form(mette, f"{noah}/reply", {"text": "Hej Noah, det lyder godt."})
    held = await mette.form(f"{noah}/reply", {"text": "Dit CPR er 010203-1234"})
    assert held.status_code == 409
    shown.append((f"POST {noah}/reply (held)", held.text))
    await form(mette, f"{noah}/reply", {"text": "Dit CPR er 010203-1234", "confirm": "1"})
    await form(mette, f"{noah}/reply", {"text": "Din diagnose er klar", "action": "digital_post"})
    later = {"when": "later", "send_at": "2026-03-04T08:00"}
    await form(mette, f"/inbox/people/{ids['alma']}/reply", {"text": "Vi ses i morgen", **later})
    oskar = f"/inbox/people/{ids['oskar']}"
    await form(mette, f"{oskar}/reply", {"text": "Hej Oskar, hvordan går det?"})
    await form(mette, f"{oskar}/reply", {"text": "Husk mødet", **later})
    pending = re.search(r"/scheduled/(\d+)/cancel", (await mette.get(f"{oskar}/messages")).text)
    assert pending is not None
    await form(mette, f"{oskar}/scheduled/{pending.group(1)}/cancel")
    await form(mette, f"/inbox/people/{ids['karl']}/close")
    await form(mette, f"/inbox/people/{ids['vera']}/handback")
    await form(ali, f"/inbox/people/{ids['emil']}/assign", {"to": str(world.staff["nora"])})
    shown.append(("GET /inbox/meetings", _page(await mette.get("/inbox/meetings"))))
    # The JSON API (reads, the check-in schedule, every milestone and appointment status).
    api = f"/api/young/{ids['sofie']}"
    csrf = {"X-CSRF-Token": ali.csrf}
    plan = (await ali.get(f"{api}/plan")).json()
    for path in ("checkins", "channels"):
        assert (await ali.get(f"{api}/{path}")).status_code == 200
    answer = await ali.put(
        f"{api}/checkins/schedule", json={"cadence_days": 5, "paused": False}, headers=csrf
    )
    assert answer.status_code == 200, answer.text
    milestone = plan["milestones"][0]["id"]
    for status in changes.MILESTONE_STATUSES:
        answer = await ali.patch(
            f"{api}/plan/milestones/{milestone}", json={"status": status}, headers=csrf
        )
        assert answer.status_code == 200, answer.text
    appointment = plan["appointments"][0]["id"]
    for status in changes.APPOINTMENT_STATUSES:
        answer = await ali.patch(
            f"{api}/plan/appointments/{appointment}", json={"status": status}, headers=csrf
        )
        assert answer.status_code == 200, answer.text
    async with db.session() as session:
        await export.build(session, person_id=ids["sofie"], staff=None)  # from the command line
        about_someone = select(AuditEvent.action).where(
            col(AuditEvent.young_person_id).is_not(None)
        )
        done = set((await session.exec(about_someone.distinct())).all())
        # Events no young person's page shows (erasure and retention delete the young person,
        # campaigns concern none), put on Sofie so their names are checked too.
        campaign = (await session.exec(select(campaign_models.Campaign.id))).first()
        details = {
            "erased": "message=3, plan=1",
            "retention_deleted": "closed 2026-01-31",
            "plan.milestone.done": "Skriv CV",  # staff mark done through plan.milestone.change
        }
        ali_row = await session.get(StaffMember, world.staff["ali"])
        for action in sorted(ACTIONS - done):
            await audit.record(
                session,
                staff=ali_row,
                young_person_id=ids["sofie"],
                action=action,
                detail=details.get(action, f"campaign {campaign}" if "campaign" in action else ""),
            )
    return [(where, html) for where, html in shown if html]


# What the world shows, by kind: each label must be on some page (the crawl reached it).
# Not here: a handoff row's own status and a message's author (no page names them: the
# queue shows the queue status, a message its sender's name), delivery counts and skip
# reasons (shown only as the campaign's results come).
SHOWN_KINDS = (
    "person_status",
    "role",
    "department",
    "reason",
    "handoff_status",
    "message_status",
    "send_error",
    "channel",
    "milestone_status",
    "appointment_status",
    "campaign_status",
    "outcome",
    "audit_action",
)


async def test_no_inbox_page_shows_a_raw_code(
    db: Database, world: TwoTowns, signed_in: SignedIn, frozen_clock: datetime
) -> None:
    ids = await _seed(db, world, frozen_clock)
    mette, ali = await signed_in("mette"), await signed_in("ali")
    pages = await _work(db, world, ids, mette, ali)
    async with db.session() as session:
        recorded = set((await session.exec(select(AuditEvent.action).distinct())).all())
    assert recorded == ACTIONS
    for who in ("mette", "ali", "karin", "peter"):
        http = mette if who == "mette" else ali if who == "ali" else await signed_in(who)
        # A content editor starts at their own settings: the rest is not theirs (403).
        start = ("/inbox/me",) if who == "peter" else START
        crawled = await crawl(http, start=start)
        pages += [(f"{who}: GET {path}", html) for path, html in crawled.items()]
    # The team lead's searches found messages.
    searches = [html for where, html in pages if where.startswith("ali: GET /inbox/search?q=")]
    assert len(searches) == 2 and all("<mark>" in html for html in searches)
    found = [(where, code, around) for where, html in pages for code, around in raw_codes(html)]
    assert found == []
    # The crawl saw the world: each seeded code's label is on some page.
    text = "\n".join(visible_text(html) for _, html in pages)
    unseen = [
        (kind, code)
        for kind in SHOWN_KINDS
        for code in sorted(codes()[kind])
        if labels.message_id(kind, code) not in text
        and (kind != "message_status" or _storable(code))
    ]
    assert unseen == []
    assert len({where.split(": ", 1)[-1] for where, _ in pages}) > 40
    # A milestone's date is its own words, not glued to the title ("Besøg skolen20.03.2026").
    assert "Besøg skolen · senest 20.03.2026" in text
    # And in English, English names.
    await ali.get("/inbox/lang/en")
    people, me = (await ali.get("/inbox/people")).text, (await ali.get("/inbox/me")).text
    assert "Opted out" in people and "Har meldt fra" not in people
    assert "Team lead · Employment" in me
