"""`indgang privacy …`: export, audit list, retention sweep and erasure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer

from bot.cli_support import run, settings

if TYPE_CHECKING:
    from bot.database import Database
    from bot.privacy.retention import Expired

app = typer.Typer(
    help="Young people's data: export, audit, retention, erasure.", no_args_is_help=True
)


def _database() -> Database:
    from bot.database import Database

    return Database(settings().database_url)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"indgang: {message}", err=True)
    return typer.Exit(code)


@app.command("export")
def export_command(
    young_person: int = typer.Option(..., "--young-person", help="The young person's id."),
    fmt: str = typer.Option("json", "--format", help="json or html."),
    out: str = typer.Option(..., "--out", help="File to write."),
    by: str | None = typer.Option(None, "--by", help="Your staff e-mail (for the audit log)."),
) -> None:
    """Write a young person's complete data to a file (this is logged as a read)."""
    from bot.privacy import export, service

    if fmt not in ("json", "html"):
        raise _fail("--format must be json or html", 2)

    async def go() -> str:
        db = _database()
        try:
            async with db.session() as session:
                staff = await service.staff_by_email(session, by) if by else None
                if by and staff is None:
                    raise _fail(f"no active staff member {by}")
                data = await export.build(session, person_id=young_person, staff=staff)
                return export.render(data, fmt)  # type: ignore[arg-type]
        except service.NotFound:
            raise _fail(f"no young person {young_person}") from None
        finally:
            await db.dispose()

    Path(out).write_text(run(go()), encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("audit")
def audit_command(
    young_person: int = typer.Option(..., "--young-person", help="The young person's id."),
) -> None:
    """List who has read or changed a young person's data, oldest first."""
    from bot.municipalities.models import Municipality
    from bot.people.models import YoungPerson
    from bot.privacy.service import audit_trail
    from bot.staff.models import StaffMember

    async def go() -> list[str]:
        db = _database()
        try:
            async with db.session() as session:
                person = await session.get(YoungPerson, young_person)
                events = await audit_trail(session, person_id=young_person)
                if person is None and not events:
                    raise _fail(f"no young person {young_person}")
                lines = []
                for event in events:
                    municipality = await session.get(Municipality, event.municipality_id)
                    zone = ZoneInfo(municipality.timezone if municipality else "Europe/Copenhagen")
                    staff = (
                        await session.get(StaffMember, event.staff_id) if event.staff_id else None
                    )
                    who = f"{staff.name} <{staff.email}> ({staff.role})" if staff else "system"
                    when = event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                    lines.append(f"{when}  {who}  {event.action}  {event.detail}".rstrip())
                return lines
        finally:
            await db.dispose()

    lines = run(go())
    typer.echo("\n".join(lines) if lines else "no audit events")


@app.command("retention")
def retention_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be deleted."),
) -> None:
    """Delete closed cases past their municipality's retention period."""
    from bot.clock import utcnow
    from bot.privacy.retention import sweep_retention

    async def go() -> list[Expired]:
        db = _database()
        try:
            return await sweep_retention(db, utcnow(), dry_run=dry_run)
        finally:
            await db.dispose()

    cases = run(go())
    verb = "would delete" if dry_run else "deleted"
    for case in cases:
        if dry_run or case.deleted:
            rows = ", ".join(f"{t}={n}" for t, n in sorted(case.rows.items()))
            typer.echo(
                f"{verb} young person {case.young_person_id} (closed "
                f"{case.closed_at.date().isoformat()}): {rows}"
            )
        else:
            typer.echo(f"FAILED young person {case.young_person_id}", err=True)
    typer.echo(f"{len(cases)} case(s) past retention")
    if any(not c.deleted for c in cases) and not dry_run:
        raise typer.Exit(1)


@app.command("erase")
def erase_command(
    young_person: int = typer.Option(..., "--young-person", help="The young person's id."),
    by: str = typer.Option(..., "--by", help="Your staff e-mail; you must be an admin."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete all of a young person's data (admin only); the audit trail of it remains."""
    from bot.privacy import service

    if not yes:
        typer.confirm(
            f"Delete all data of young person {young_person}? This cannot be undone", abort=True
        )

    async def go() -> dict[str, int]:
        db = _database()
        try:
            async with db.session() as session:
                staff = await service.staff_by_email(session, by)
                if staff is None:
                    raise _fail(f"no active staff member {by}")
                return await service.erase(session, person_id=young_person, by=staff)
        except service.NotAllowed as exc:
            raise _fail(str(exc)) from None
        except service.NotFound:
            raise _fail(f"no young person {young_person}") from None
        finally:
            await db.dispose()

    counts = run(go())
    typer.echo("erased: " + ", ".join(f"{t}={n}" for t, n in sorted(counts.items())))
