"""`indgang staff …`: add staff members from the command line."""

from __future__ import annotations

import asyncio

import typer
from sqlmodel import select

from bot.cli_support import settings
from bot.municipalities.models import Municipality
from bot.staff.models import DEPARTMENTS, ROLES, StaffMember

staff_app = typer.Typer(help="Staff members who use the inbox.", no_args_is_help=True)
MIN_PASSWORD = 12


class StaffError(ValueError):
    """The staff member cannot be added as asked."""


async def add_staff(  # type: ignore[no-untyped-def]
    db,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    department: str,
    team: str,
    municipality_code: str,
    capacity: int = 40,
) -> StaffMember:
    """Create a staff member with an argon2 password hash."""
    from bot.staff.service import hash_password

    email = email.strip().lower()
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if department not in DEPARTMENTS:
        raise StaffError(f"department must be one of {', '.join(DEPARTMENTS)}")
    if "@" not in email or not name.strip():
        raise StaffError("a name and an email address are needed")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must be at least {MIN_PASSWORD} characters")
    async with db.session() as session:
        municipality = (
            await session.exec(select(Municipality).where(Municipality.code == municipality_code))
        ).first()
        if municipality is None:
            raise StaffError(f"no municipality with code {municipality_code!r}")
        if (await session.exec(select(StaffMember).where(StaffMember.email == email))).first():
            raise StaffError(f"{email} already exists")
        staff = StaffMember(
            municipality_id=municipality.id,
            name=name.strip(),
            email=email,
            role=role,
            department=department,
            team=team.strip(),
            capacity=capacity,
            password_hash=hash_password(password),
        )
        session.add(staff)
        await session.flush()
        return staff


@staff_app.command("add")
def add(
    email: str = typer.Option(..., help="Sign-in email."),
    name: str = typer.Option(..., help="Full name, as young people will see the first name."),
    municipality: str = typer.Option(..., help="Municipality code, e.g. 'demo'."),
    role: str = typer.Option("contact_person", help=f"One of: {', '.join(ROLES)}."),
    department: str = typer.Option("education", help=f"One of: {', '.join(DEPARTMENTS)}."),
    team: str = typer.Option("", help="Team name; round robin and 'my team' use it."),
    capacity: int = typer.Option(40, help="How many young people this person can hold."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 12 characters (prompted if left out).",
    ),
) -> None:
    """Add a staff member who signs in to /inbox with email and password."""
    from bot.database import Database
    from bot.migrate import upgrade

    async def go() -> StaffMember:
        db = Database(settings().database_url)
        try:
            await upgrade(db)
            return await add_staff(
                db,
                email=email,
                name=name,
                password=password,
                role=role,
                department=department,
                team=team,
                municipality_code=municipality,
                capacity=capacity,
            )
        finally:
            await db.dispose()

    try:
        staff = asyncio.run(go())
    except StaffError as error:
        typer.echo(f"indgang: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"added {staff.email} ({staff.role}, {staff.department}) as staff #{staff.id}")
