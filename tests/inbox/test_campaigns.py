"""Campaign pages over HTTP: who may use them, the form's errors, and create → preview →
start → progress, with every view and action in the audit log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlmodel import col, select

from bot.audit.models import AuditEvent
from bot.campaigns import service
from bot.campaigns.models import Campaign
from bot.campaigns.planning import plan_due
from bot.campaigns.results import progress
from bot.campaigns.sending import send_due
from bot.campaigns.spec import CampaignSpec
from bot.clock import utcnow
from bot.database import Database
from bot.settings import CampaignSettings
from bot.wiring import build_engine
from tests.fixtures.inbox import Staff
from tests.world import TwoTowns, channel_identity, young_person

SignedIn = Callable[[str], Awaitable[Staff]]
TEMPLATE = Path(__file__).resolve().parents[2] / "content" / "campaigns" / "ansogning-1-marts.yaml"
# A campaign for everyone active in Aby, sent at once, with answer buttons.
FORM = {
    "name": "Husk mødet",
    "combine": "all",
    "status": "active",
    "text_da": "Hej {first_name}. Husk at skrive til os. Hilsen {contact_name}",
    "text_en": "Hi {first_name}. Remember to write to us.",
    "choice1_da": "Ja tak",
    "choice1_goto": "contact.open",
    "schedule_kind": "at",
    "at": "2026-03-03T10:00",
    "per_second": "5",
}


async def _actions(db: Database, campaign_id: int) -> list[str]:
    async with db.session() as session:
        rows = await session.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.detail).startswith(f"campaign {campaign_id}"))
            .order_by(col(AuditEvent.id))
        )
        return list(rows.all())


async def _campaign_in(db: Database, code: str) -> int:
    """A draft campaign in the municipality with this code, made by the system."""
    made = CampaignSpec.model_validate({**_spec(), "municipality": code})
    async with db.session() as session:
        campaign = await service.create(session, made, staff=None, now=utcnow())
        return campaign.id or 0


def _spec() -> dict[str, object]:
    return {
        "name": "Bby-kampagne",
        "audience": {"status": ["active"]},
        "text": {"da": "Hej"},
        "schedule": {"at": "2026-03-03T10:00:00"},
    }


async def _more_people(db: Database, world: TwoTowns) -> None:
    """Two more young people in Aby who can be reached: Ida by SMS, Emil on Telegram."""
    from bot.municipalities.models import Municipality

    async with db.session() as session:
        aby = await session.get(Municipality, world.towns["aby"])
        assert aby is not None
        ida = await young_person(session, aby, first_name="Ida", birth_year=2008)
        await channel_identity(session, ida, channel="sms", address="+4520000011")
        emil = await young_person(session, aby, first_name="Emil", birth_year=2006, language="en")
        await channel_identity(session, emil, channel="telegram", address="70000011")


def _campaign_paths(campaign_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/inbox/campaigns/{campaign_id}"),
        ("GET", f"/inbox/campaigns/{campaign_id}/progress"),
        ("GET", f"/inbox/campaigns/{campaign_id}/deliveries.csv"),
        *[("POST", f"/inbox/campaigns/{campaign_id}/{a}") for a in ("start", "pause", "cancel")],
    ]


async def test_contact_persons_get_403_and_no_link(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    campaign_id = await _campaign_in(db, "aby")
    mette = await signed_in("mette")
    paths = [("GET", "/inbox/campaigns"), ("GET", "/inbox/campaigns/new")]
    paths += [("POST", "/inbox/campaigns"), ("POST", "/inbox/campaigns/count")]
    for method, path in paths + _campaign_paths(campaign_id):
        answer = await (mette.get(path) if method == "GET" else mette.form(path, FORM))
        assert answer.status_code == 403, (method, path)
    assert 'href="/inbox/campaigns"' not in (await mette.get("/inbox/me")).text
    ali = await signed_in("ali")
    assert 'href="/inbox/campaigns"' in (await ali.get("/inbox/me")).text
    assert await _actions(db, campaign_id) == ["campaign_created"]


async def test_another_municipalitys_campaign_is_404(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    theirs = await _campaign_in(db, "bby")
    ali = await signed_in("ali")
    for method, path in _campaign_paths(theirs):
        answer = await (ali.get(path) if method == "GET" else ali.form(path))
        assert answer.status_code == 404, (method, path)
    assert "Bby-kampagne" not in (await ali.get("/inbox/campaigns")).text
    async with db.session() as session:
        row = await session.get(Campaign, theirs)
        assert row is not None and row.status == "draft"
    assert await _actions(db, theirs) == ["campaign_created"]


async def test_actions_need_the_csrf_token(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    campaign_id = await _campaign_in(db, "aby")
    ali = await signed_in("ali")
    answer = await ali.post(f"/inbox/campaigns/{campaign_id}/start", data={})
    assert answer.status_code == 403
    assert (await ali.post("/inbox/campaigns", data=FORM)).status_code == 403


async def test_form_errors_are_shown_next_to_the_fields(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    ali = await signed_in("ali")
    bad = {
        **FORM,
        "name": "",
        "age_min": "femten",
        "text_da": "Hej {navn}",
        "holdout": "60",
        "schedule_kind": "cron",
        "cron": "hver mandag",
    }
    answer = await ali.form("/inbox/campaigns", bad)
    assert answer.status_code == 400
    page = answer.text
    assert 'role="alert"' in page and "Ret det, der er markeret" in page
    for name, said in (
        ("name", "Skal udfyldes."),
        ("age_min", "Skriv et helt tal."),
        ("text_da", "Ukendt felt i teksten"),
        ("holdout", "En andel mellem 0 og 49 %."),
        ("cron", "Ikke et gyldigt cron-udtryk"),
    ):
        assert re.search(rf'id="err-{name}">{re.escape(said)}', page), name
        assert re.search(rf'id="f-{name}"[^>]*aria-invalid="true"', page), name
    # What was typed is kept.
    assert 'value="femten"' in page and "Hej {navn}" in page
    async with db.session() as session:
        assert not (await session.exec(select(Campaign))).all()


async def test_yaml_spec_pasted_or_with_errors(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    ali = await signed_in("ali")
    broken = "name: x\naudience: {status: [gone]}\ntext: {da: hej}\nschedule: {at: 2027-01-01}\n"
    answer = await ali.form("/inbox/campaigns", {"yaml": broken})
    assert answer.status_code == 400
    assert "Ugyldigt valg. (audience.status.0)" in answer.text
    answer = await ali.form("/inbox/campaigns", {"yaml": "- not a mapping"})
    assert answer.status_code == 400 and "Ikke gyldig YAML" in answer.text
    answer = await ali.form("/inbox/campaigns", {"yaml": TEMPLATE.read_text(encoding="utf-8")})
    assert answer.status_code == 303
    campaign_id = int(answer.headers["location"].rsplit("/", 1)[1])
    async with db.session() as session:
        row = await session.get(Campaign, campaign_id)
        assert row is not None and row.municipality_id == world.towns["aby"]
    # Another municipality's code is refused, not created there.
    other = TEMPLATE.read_text(encoding="utf-8") + "municipality: bby\n"
    answer = await ali.form("/inbox/campaigns", {"yaml": other})
    assert answer.status_code == 400 and "din egen kommune" in answer.text


async def test_the_audience_count_follows_the_filter(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    await _more_people(db, world)
    ali = await signed_in("ali")

    async def count(**fields: str) -> object:
        answer = await ali.form("/inbox/campaigns/count", fields)
        assert answer.status_code == 200
        return answer.json()["count"]

    assert await count() == 3  # Sofie, Ida, Emil; Bo lives in Bby
    assert await count(channel="telegram") == 1
    assert await count(age_min="19") == 2  # born 2007 and 2006 may be 19; 2008 may not
    assert await count(language="en", channel="sms") == 0
    assert await count(language="en", channel="sms", combine="any") == 3
    assert await count(team="Nord") == 1  # Sofie's contact person is in team Nord
    assert await count(age_min="abc") is None


async def test_create_preview_start_and_progress(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    await _more_people(db, world)
    ali = await signed_in("ali")
    assert (await ali.get("/inbox/campaigns/new")).status_code == 200
    answer = await ali.form("/inbox/campaigns", FORM)
    assert answer.status_code == 303, answer.text
    page_path = answer.headers["location"]
    campaign_id = int(page_path.rsplit("/", 1)[1])

    page = (await ali.get(page_path)).text
    assert "Hvis kampagnen startede nu" in page
    assert re.search(r'id="preview-eligible">2<', page)  # Sofie talks with Mette right now
    assert "Taler med en medarbejder: <strong>1</strong>" in page
    assert "Hej Ida. Husk at skrive til os." in page and "Hi Emil." in page
    assert "SMS-dele" in page and "GSM-7" in page
    assert "Start kampagnen" in page

    answer = await ali.form(f"/inbox/campaigns/{campaign_id}/start")
    assert answer.status_code == 303 and answer.headers["location"] == page_path
    await plan_due(db, utcnow())
    await send_due(db, build_engine(), utcnow(), settings=CampaignSettings())

    live = (await ali.get(f"/inbox/campaigns/{campaign_id}/progress")).json()
    assert live == {"status": "running", "counts": await progress(db, campaign_id)}
    assert live["counts"]["queued"] == 2 and live["counts"]["skipped"] == 1
    page = (await ali.get(page_path)).text
    assert re.search(r'data-count="queued">2<', page)
    assert "Resultat pr. gruppe" in page and "Sæt på pause" in page

    table = (await ali.get(f"/inbox/campaigns/{campaign_id}/deliveries.csv")).text
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["status"] for r in rows].count("queued") == 2
    assert {r["skip_reason"] for r in rows} == {"", "in_handoff"}
    assert "+45" not in table and "Husk" not in table

    for action, status in (("pause", "paused"), ("resume", "running"), ("cancel", "cancelled")):
        await ali.form(f"/inbox/campaigns/{campaign_id}/{action}")
        assert (await ali.get(f"/inbox/campaigns/{campaign_id}/progress")).json()[
            "status"
        ] == status
    answer = await ali.form(f"/inbox/campaigns/{campaign_id}/start")
    assert answer.headers["location"] == f"{page_path}?cannot=start"

    listing = (await ali.get("/inbox/campaigns")).text
    assert "Husk mødet" in listing and "Annulleret" in listing
    assert await _actions(db, campaign_id) == [
        "campaign_created",
        "campaign_previewed",
        "campaign_started",
        "campaign_results_viewed",
        "campaign_results_viewed",
        "campaign_paused",
        "campaign_resumed",
        "campaign_cancelled",
    ]


async def test_results_say_plainly_when_there_are_too_few(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    await _more_people(db, world)
    ali = await signed_in("ali")
    form = {**FORM, "b_text_da": "Hej {first_name}, skriv til os.", "holdout": "10"}
    page_path = (await ali.form("/inbox/campaigns", form)).headers["location"]
    campaign_id = int(page_path.rsplit("/", 1)[1])
    await ali.form(f"/inbox/campaigns/{campaign_id}/start")
    await plan_due(db, utcnow())
    await send_due(db, build_engine(), utcnow(), settings=CampaignSettings())
    page = (await ali.get(page_path)).text
    assert "Resultat pr. gruppe" in page
    assert "For få til at sige noget." in page


async def test_campaign_pages_in_english(
    signed_in: SignedIn, world: TwoTowns, db: Database
) -> None:
    await _more_people(db, world)
    ali = await signed_in("ali")
    await ali.get("/inbox/lang/en")
    form = {**FORM, "b_text_da": "Hej {first_name}, skriv til os.", "holdout": "10"}
    page_path = (await ali.form("/inbox/campaigns", form)).headers["location"]
    draft = await ali.get(page_path)
    assert "If the campaign started now" in draft.text and "SMS part" in draft.text
    campaign_id = page_path.rsplit("/", 1)[1]
    await ali.form(f"/inbox/campaigns/{campaign_id}/start")
    await plan_due(db, utcnow())
    await send_due(db, build_engine(), utcnow(), settings=CampaignSettings())
    running = await ali.get(page_path)
    assert "Results per group" in running.text and "Too few to tell." in running.text
    assert "New campaign" in (await ali.get("/inbox/campaigns/new")).text
    errors = await ali.form("/inbox/campaigns", {**FORM, "name": "", "per_second": "0"})
    assert "Required." in errors.text and "Above 0.0." in errors.text
