"""Campaign pages in the inbox: list, create (form or YAML), preview, start/pause/resume/cancel,
live progress, results per arm and the deliveries as CSV. For admins and team leads, each in
their own municipality; every page view and action is audited."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile

from bot.audit import service as audit
from bot.campaigns import audience, results, service
from bot.campaigns.models import CANCELLED, DRAFT, PAUSED, RUNNING, Campaign, CampaignDelivery
from bot.campaigns.preview import preview
from bot.campaigns.spec import CampaignSpec, Condition
from bot.clock import utcnow
from bot.i18n import LANGUAGES, N_, tr
from bot.inbox import campaign_form
from bot.inbox.labels import OUTCOME
from bot.inbox.login import FormLogin, InboxSession, Login, PageLogin, find_login
from bot.inbox.pages import render, settings_of, ui_language
from bot.people.models import YoungPerson
from bot.staff.deps import get_db
from bot.staff.models import StaffMember
from bot.wiring import show_as_sent

router = APIRouter(prefix="/inbox/campaigns", tags=["inbox"], include_in_schema=False)
# Button -> the status it asks for.
ACTIONS = {"start": RUNNING, "pause": PAUSED, "resume": RUNNING, "cancel": CANCELLED}
YAML_LIMIT = 64_000


def _lead(login: Login) -> Login:
    if not login.is_lead:
        raise HTTPException(status_code=403, detail="Campaigns are for admins and team leads.")
    return login


async def _lead_page(login: PageLogin) -> Login:
    return _lead(login)


async def _lead_form(login: FormLogin) -> Login:
    return _lead(login)


LeadPage = Annotated[Login, Depends(_lead_page)]
LeadForm = Annotated[Login, Depends(_lead_form)]


async def _lead_in_own_session(request: Request, *, page: bool) -> Login:
    """The signed-in lead, read in a session that is closed again.

    Pages that read progress and previews open sessions of their own; on SQLite a request
    session held open meanwhile would keep the one write lock they wait for.
    """
    async with get_db(request).session() as session:
        login = await find_login(request, session)
    if login is None:
        if page:
            raise HTTPException(status_code=303, headers={"Location": "/inbox/login"})
        raise HTTPException(status_code=401, detail="Sign in first.")
    return _lead(login)


async def _campaign_in_own_session(
    request: Request, campaign_id: int, *, page: bool
) -> tuple[Login, Campaign]:
    """The signed-in lead and their municipality's campaign (else 404), sessions closed again."""
    login = await _lead_in_own_session(request, page=page)
    async with get_db(request).session() as session:
        return login, await load_campaign(session, login, campaign_id)


async def load_campaign(session: AsyncSession, login: Login, campaign_id: int) -> Campaign:
    """The campaign, or 404 when it is another municipality's (or none)."""
    found = await session.get(Campaign, campaign_id)
    if found is None or found.municipality_id != login.staff.municipality_id:
        raise HTTPException(status_code=404, detail="Not Found")
    return found


async def _audit(
    session: AsyncSession, login: Login, campaign: Campaign, action: str, what: str = ""
) -> None:
    await audit.record(
        session,
        staff=login.staff,
        young_person_id=None,
        action=action,
        detail=f"campaign {campaign.id}{what}",
        municipality_id=campaign.municipality_id,
    )


@router.get("")
async def campaign_list(request: Request) -> Response:
    """The municipality's campaigns, newest first, with their progress."""
    login = await _lead_in_own_session(request, page=True)
    db = get_db(request)
    async with db.session() as session:
        rows = await session.exec(
            select(Campaign)
            .where(Campaign.municipality_id == login.staff.municipality_id)
            .order_by(col(Campaign.created_at).desc(), col(Campaign.id).desc())
        )
        found = list(rows.all())
    counts = {c.id: await results.progress(db, c.id or 0) for c in found}
    context = {"campaigns": found, "counts": counts}
    return render(request, "campaigns.html", context, login=login)


async def _choices(session: AsyncSession, login: Login) -> dict[str, Any]:
    """What the audience builder offers: the municipality's teams and languages."""
    place = login.staff.municipality_id
    teams = await session.exec(
        select(StaffMember.team)
        .where(StaffMember.municipality_id == place, col(StaffMember.team).is_not(None))
        .distinct()
    )
    spoken = await session.exec(
        select(YoungPerson.language).where(YoungPerson.municipality_id == place).distinct()
    )
    return {
        "teams": sorted(t for t in teams.all() if t),
        "languages": sorted(set(LANGUAGES) | set(spoken.all())),
        "goto": campaign_form.GOTO,
        "outcomes": OUTCOME,
        "choice_rows": range(1, campaign_form.CHOICES + 1),
    }


def _form_page(
    request: Request,
    login: Login,
    choices: dict[str, Any],
    *,
    values: Any = None,
    problems: dict[str, list[campaign_form.Problem]] | None = None,
    status: int = 200,
) -> Response:
    context = {
        **choices,
        "values": values or campaign_form.Values(),
        "problems": problems or {},
        "field_labels": campaign_form.FIELD_LABELS,
    }
    return render(request, "campaign_new.html", context, status=status, login=login)


@router.get("/new")
async def new_campaign(request: Request, session: InboxSession, login: LeadPage) -> Response:
    """The form: name, audience (with its live count), message, choices, schedule, arms."""
    return _form_page(request, login, await _choices(session, login))


@router.post("/count")
async def audience_count(request: Request, session: InboxSession, login: LeadForm) -> Response:
    """How many young people the audience being built holds now (JSON, for the form)."""
    condition, places = campaign_form.audience(await request.form())
    try:
        parsed = Condition.model_validate(condition)
    except ValidationError as exc:
        problems = campaign_form.check_audience(exc, places)
        language = ui_language(request)
        said = {
            name: [tr(language, p.message, **p.values) if p.values else tr(language, p.message)]
            for name, found in problems.items()
            for p in found[:1]
        }
        return JSONResponse({"count": None, "problems": said})
    zone = ZoneInfo(login.municipality.timezone)
    count = await audience.count(
        session, parsed, municipality_id=login.staff.municipality_id, now=utcnow(), zone=zone
    )
    return JSONResponse({"count": count, "problems": {}})


async def _yaml_text(form: Any) -> str:
    upload = form.get("yaml_file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(YAML_LIMIT + 1)
        return raw.decode("utf-8", errors="replace")
    value = form.get("yaml", "")
    return value if isinstance(value, str) else ""


@router.post("")
async def create_campaign(request: Request, session: InboxSession, login: LeadForm) -> Response:
    """Create a draft from the form (or a pasted/uploaded YAML spec); its page, or the errors."""
    form = await request.form()
    text = await _yaml_text(form)
    checked = campaign_form.check_yaml(text) if text.strip() else campaign_form.check(form)
    if checked.spec is not None:
        try:
            made = await service.create(session, checked.spec, staff=login.staff, now=utcnow())
        except service.CampaignError:
            problem = campaign_form.Problem(N_("Kampagnen skal være for din egen kommune."))
            checked.problems = {"yaml" if text.strip() else "": [problem]}
        else:
            return RedirectResponse(f"/inbox/campaigns/{made.id}", status_code=303)
    values = campaign_form.Values(form, yaml=text)
    choices = await _choices(session, login)
    return _form_page(request, login, choices, values=values, problems=checked.problems, status=400)


@router.get("/{campaign_id}")
async def campaign_page(request: Request, campaign_id: int) -> Response:
    """The preview before start; the buttons; live progress; results per arm."""
    login, campaign = await _campaign_in_own_session(request, campaign_id, page=True)
    db = get_db(request)
    spec = CampaignSpec.model_validate(campaign.spec)
    context: dict[str, Any] = {
        "campaign": campaign,
        "spec": spec,
        "spec_yaml": yaml.safe_dump(campaign.spec, allow_unicode=True, sort_keys=False),
        "counts": await results.progress(db, campaign_id),
        "cannot": request.query_params.get("cannot", ""),
        "shown": None,
        "arms": [],
    }
    seen = []
    if campaign.status in (DRAFT, PAUSED):
        context["shown"] = await preview(
            db,
            request.app.state.receiver.engine,
            campaign,
            now=utcnow(),
            show=show_as_sent(request.app.state.channel_settings),
            settings=settings_of(request).campaign,
        )
        seen.append("campaign_previewed")
    if campaign.status != DRAFT:
        context["arms"] = _compared(await results.outcomes(db, campaign_id))
        seen.append("campaign_results_viewed")
    async with db.session() as session:
        for action in seen:
            await _audit(session, login, campaign, action)
    return render(request, "campaign.html", context, login=login)


def _compared(arms: list[results.ArmResult]) -> list[dict[str, Any]]:
    """Each arm with its interval, and the comparison with the reference arm."""
    reference = next((a for a in arms if a.arm == "holdout"), arms[0] if arms else None)
    rows = []
    for arm in arms:
        low, high = results.wilson(arm.reached, arm.n)
        against = results.compare(arm, reference) if reference and arm is not reference else None
        rows.append({"arm": arm, "low": low, "high": high, "compared": against})
    return rows


@router.get("/{campaign_id}/progress")
async def campaign_progress(request: Request, campaign_id: int) -> Response:
    """Live progress as JSON (the page polls it every two seconds)."""
    _, campaign = await _campaign_in_own_session(request, campaign_id, page=False)
    counts = await results.progress(get_db(request), campaign_id)
    return JSONResponse(
        {"status": campaign.status, "counts": counts},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/{campaign_id}/{action}")
async def campaign_action(
    session: InboxSession, login: LeadForm, campaign_id: int, action: str
) -> Response:
    """Start, pause, resume or cancel (audited by the service)."""
    if action not in ACTIONS:
        raise HTTPException(status_code=404, detail="Not Found")
    campaign = await load_campaign(session, login, campaign_id)
    target = f"/inbox/campaigns/{campaign_id}"
    try:
        await service.set_status(
            session, campaign, ACTIONS[action], staff=login.staff, now=utcnow()
        )
    except service.CampaignError:
        target += f"?cannot={action}"
    return RedirectResponse(target, status_code=303)


@router.get("/{campaign_id}/deliveries.csv")
async def deliveries_csv(session: InboxSession, login: LeadPage, campaign_id: int) -> Response:
    """Who was sent what and when: ids, arm, status and times; no bodies, no phone numbers."""
    campaign = await load_campaign(session, login, campaign_id)
    rows = await session.exec(
        select(CampaignDelivery)
        .where(CampaignDelivery.campaign_id == campaign_id)
        .order_by(col(CampaignDelivery.id))
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["person_id", "arm", "status", "skip_reason", "due_at", "sent_at"])
    for row in rows.all():
        sent_at = row.sent_at.isoformat() if row.sent_at else ""
        writer.writerow(
            [
                row.young_person_id,
                row.arm or "",
                row.status,
                row.skip_reason or "",
                row.due_at.isoformat(),
                sent_at,
            ]
        )
    await _audit(session, login, campaign, "campaign_results_viewed", ": deliveries.csv")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'},
    )
