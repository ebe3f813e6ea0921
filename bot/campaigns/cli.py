"""`indgang campaign …`: create from a file, preview, start, pause, resume, cancel, follow."""

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from bot.cli_support import channel_settings, run, settings

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.database import Database
    from bot.staff.models import StaffMember

T = TypeVar("T")
campaign_app = typer.Typer(
    help="Scheduled campaigns to groups of young people.", no_args_is_help=True
)
STAFF = typer.Option(..., "--staff", help="Your staff email: the action is recorded as yours.")
CSV_FILE = typer.Option(None, "--csv", help="Write the rows per arm to this file.")


def _with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    from bot.database import Database
    from bot.migrate import upgrade

    async def go() -> T:
        db = Database(settings().database_url)
        try:
            await upgrade(db)
            return await work(db)
        finally:
            await db.dispose()

    return run(go())


async def _staff(session: AsyncSession, email: str) -> StaffMember:
    from sqlmodel import select

    from bot.staff.models import StaffMember

    found = (
        await session.exec(select(StaffMember).where(StaffMember.email == email.strip().lower()))
    ).first()
    if found is None or found.role not in ("admin", "team_lead"):
        raise typer.BadParameter("campaigns are for admins and team leads; no such staff member")
    return found


async def _campaign(session: AsyncSession, campaign_id: int, staff: StaffMember | None) -> Any:
    from bot.campaigns.models import Campaign

    found = await session.get(Campaign, campaign_id)
    if found is None or (staff is not None and found.municipality_id != staff.municipality_id):
        raise typer.BadParameter(f"no campaign {campaign_id} in your municipality")
    return found


@campaign_app.command("create")
def create(file: Path, staff: str = STAFF) -> None:
    """Create a draft campaign from a YAML file (see content/campaigns/README.md)."""
    from pydantic import ValidationError

    from bot.campaigns import service
    from bot.campaigns.spec import load_spec
    from bot.clock import utcnow

    try:
        spec = load_spec(file)
    except (ValidationError, ValueError, OSError) as exc:
        typer.echo(f"indgang: {file}: {exc}", err=True)
        raise typer.Exit(2) from None

    async def work(db: Database) -> int:
        async with db.session() as session:
            who = await _staff(session, staff)
            try:
                campaign = await service.create(session, spec, staff=who, now=utcnow())
            except service.CampaignError as exc:
                raise typer.BadParameter(str(exc)) from None
            return campaign.id or 0

    campaign_id = _with_db(work)
    typer.echo(f"campaign {campaign_id} created (draft): preview it, then start it")


def _set(campaign_id: int, staff: str, status: str) -> None:
    from bot.campaigns import service
    from bot.clock import utcnow

    async def work(db: Database) -> str:
        async with db.session() as session:
            who = await _staff(session, staff)
            campaign = await _campaign(session, campaign_id, who)
            try:
                await service.set_status(session, campaign, status, staff=who, now=utcnow())
            except service.CampaignError as exc:
                raise typer.BadParameter(str(exc)) from None
            return str(campaign.status)

    typer.echo(f"campaign {campaign_id}: {_with_db(work)}")


@campaign_app.command("start")
def start(campaign_id: int, staff: str = STAFF) -> None:
    """Start a draft campaign: its deliveries are planned and sent on its schedule."""
    _set(campaign_id, staff, "running")


@campaign_app.command("pause")
def pause(campaign_id: int, staff: str = STAFF) -> None:
    """Pause: nothing more is sent; what was queued and not sent is taken back."""
    _set(campaign_id, staff, "paused")


@campaign_app.command("resume")
def resume(campaign_id: int, staff: str = STAFF) -> None:
    """Resume a paused campaign; nobody gets a message twice."""
    _set(campaign_id, staff, "running")


@campaign_app.command("cancel")
def cancel(campaign_id: int, staff: str = STAFF) -> None:
    """Cancel: nothing more is sent, ever."""
    _set(campaign_id, staff, "cancelled")


@campaign_app.command("preview")
def preview(campaign_id: int, staff: str = STAFF) -> None:
    """Who would get it now, who would not and why, ten messages as they would read."""
    from bot.audit import service as audit
    from bot.campaigns.preview import preview as make_preview
    from bot.clock import utcnow
    from bot.wiring import build_engine, show_as_sent

    async def work(db: Database) -> Any:
        async with db.session() as session:
            who = await _staff(session, staff)
            campaign = await _campaign(session, campaign_id, who)
            await audit.record(
                session,
                staff=who,
                young_person_id=None,
                action="campaign_previewed",
                detail=f"campaign {campaign_id}",
                now=utcnow(),
                municipality_id=campaign.municipality_id,
            )
        return await make_preview(
            db,
            build_engine(),
            campaign,
            now=utcnow(),
            show=show_as_sent(channel_settings()),
            settings=settings().campaign,
        )

    shown = _with_db(work)
    typer.echo(f"audience {shown.audience}, would get it {shown.eligible}, holdout {shown.holdout}")
    typer.echo("by channel: " + _counts(shown.by_channel))
    typer.echo("by language: " + _counts(shown.by_language))
    typer.echo("left out: " + (_counts(shown.left_out) or "nobody"))
    typer.echo(
        f"SMS: {shown.sms_segments} segments, about {shown.sms_cost:.2f} kr; "
        f"done in about {shown.seconds_to_finish / 60:.0f} min at the throttle"
    )
    for recipient in shown.recipients:
        sample = recipient.sample
        head = f"\n— {recipient.first_name or recipient.person_id} ({recipient.channel}, "
        head += f"{recipient.language}, arm {recipient.arm}"
        if sample.segments:
            head += f", {sample.segments} segment(s) {sample.encoding}"
        typer.echo(head + ")")
        typer.echo(sample.text)
        for label in sample.buttons:
            typer.echo(f"  [{label}]")


def _counts(counts: Any) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))


@campaign_app.command("status")
def status(
    campaign_id: int,
    staff: str = STAFF,
    watch: bool = typer.Option(False, help="Follow until nothing is planned or queued."),
) -> None:
    """Progress: planned, queued, sent, delivered, failed, skipped, replied."""
    import asyncio

    from rich.progress import Progress

    from bot.campaigns.results import progress

    async def work(db: Database) -> None:
        async with db.session() as session:
            await _campaign(session, campaign_id, await _staff(session, staff))
        counts = await progress(db, campaign_id)
        if not watch:
            typer.echo(_counts({k: v for k, v in counts.items() if v}) or "nothing planned yet")
            return
        with Progress(transient=False) as bar:
            total = max(1, counts["planned"] + counts["queued"] + _done(counts))
            task = bar.add_task(f"campaign {campaign_id}", total=total)
            while True:
                bar.update(task, completed=_done(counts))
                if counts["planned"] == 0 and counts["queued"] == 0:
                    break
                await asyncio.sleep(1)
                counts = await progress(db, campaign_id)
        typer.echo(_counts({k: v for k, v in counts.items() if v}))

    _with_db(work)


def _done(counts: dict[str, int]) -> int:
    return counts["sent"] + counts["delivered"] + counts["failed"]


@campaign_app.command("results")
def results(
    campaign_id: int,
    staff: str = STAFF,
    csv_file: Path | None = CSV_FILE,
) -> None:
    """The outcome per arm against the holdout (or the first arm), with a 95% interval."""
    from bot.campaigns.results import compare, outcomes

    async def work(db: Database) -> Any:
        async with db.session() as session:
            await _campaign(session, campaign_id, await _staff(session, staff))
        return await outcomes(db, campaign_id)

    arms = _with_db(work)
    if not arms:
        typer.echo("no results yet")
        return
    for arm in arms:
        typer.echo(f"{arm.arm}: {arm.reached}/{arm.n} ({arm.rate:.1%})")
    reference = next((a for a in arms if a.arm == "holdout"), arms[0])
    for arm in arms:
        if arm is reference:
            continue
        c = compare(arm, reference)
        verdict = "a real difference" if c.can_tell else "too few or too close to tell"
        typer.echo(
            f"{c.arm} vs {c.against}: {c.difference:+.1%} "
            f"(95% interval {c.low:+.1%} to {c.high:+.1%}): {verdict}"
        )
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["arm", "recipients", "reached", "rate"])
            for arm in arms:
                writer.writerow([arm.arm, arm.n, arm.reached, f"{arm.rate:.4f}"])
        typer.echo(f"written to {csv_file}")


@campaign_app.command("dry-run")
def dry_run(
    campaign_id: int,
    staff: str = STAFF,
    weeks: int = typer.Option(4, min=1, max=52, help="How far ahead to look."),
) -> None:
    """Who would get what and when over the next weeks; nothing is sent or written."""
    from bot.campaigns.dry_run import dry_run as simulate
    from bot.clock import utcnow

    async def work(db: Database) -> Any:
        async with db.session() as session:
            campaign = await _campaign(session, campaign_id, await _staff(session, staff))
        return await simulate(db, campaign, start=utcnow(), weeks=weeks)

    shown = _with_db(work)
    typer.echo(f"{shown.total} messages in {weeks} weeks (holdout left out: {shown.holdout})")
    for day, count in sorted(shown.per_day.items()):
        typer.echo(f"  {day.isoformat()}: {count}")
    for local, person_id, occurrence, arm in shown.first:
        typer.echo(f"{local:%Y-%m-%d %H:%M}  young person {person_id}  {occurrence}  arm {arm}")
