"""`indgang plan ...`: set a goal, add and finish milestones, book and move appointments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import typer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli_support import run, settings

plan_app = typer.Typer(
    help="Education plans: goal, milestones, appointments.", no_args_is_help=True
)
STAFF = typer.Option(..., "--staff", help="Your staff email: the change is recorded as yours.")


def _go(
    person_id: int,
    staff_email: str,
    work: Callable[[AsyncSession, Any, Any, datetime], Awaitable[str]],
) -> None:
    from bot.clock import utcnow
    from bot.database import Database
    from bot.people.models import YoungPerson
    from bot.staff.models import StaffMember

    async def go() -> str:
        db = Database(settings().database_url)
        try:
            async with db.session() as session:
                staff = (
                    await session.exec(
                        select(StaffMember).where(StaffMember.email == staff_email.strip().lower())
                    )
                ).first()
                person = await session.get(YoungPerson, person_id)
                if (
                    staff is None
                    or person is None
                    or person.municipality_id != staff.municipality_id
                ):
                    raise typer.BadParameter("no such young person in your municipality")
                return await work(session, person, staff, utcnow())
        finally:
            await db.dispose()

    typer.echo(run(go()))


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time with its offset, e.g. 2026-03-10T10:00+01:00")
    return moment


@plan_app.command("goal")
def goal(person_id: int, text: str, staff: str = STAFF) -> None:
    """Set the plan's goal."""
    from bot.plans import changes

    async def work(session: AsyncSession, person: Any, who: Any, now: datetime) -> str:
        await changes.set_goal(session, person=person, goal=text, now=now, staff=who)
        return "goal set"

    _go(person_id, staff, work)


@plan_app.command("milestone")
def milestone(
    person_id: int, title: str, due: str = typer.Option("", help="YYYY-MM-DD"), staff: str = STAFF
) -> None:
    """Add a milestone (reminders are planned)."""
    from bot.plans import changes

    async def work(session: AsyncSession, person: Any, who: Any, now: datetime) -> str:
        row = await changes.add_milestone(
            session,
            person=person,
            title=title,
            now=now,
            due_date=date.fromisoformat(due) if due else None,
            staff=who,
        )
        return f"milestone {row.id} added"

    _go(person_id, staff, work)


@plan_app.command("milestone-done")
def milestone_done(person_id: int, milestone_id: int, staff: str = STAFF) -> None:
    """Mark a milestone done."""
    from bot.plans import changes

    async def work(session: AsyncSession, person: Any, who: Any, now: datetime) -> str:
        await changes.update_milestone(
            session, person=person, milestone_id=milestone_id, status="done", now=now, staff=who
        )
        return f"milestone {milestone_id} done"

    _go(person_id, staff, work)


@plan_app.command("appointment")
def appointment(
    person_id: int,
    starts_at: str,
    place: str,
    with_whom: str = typer.Option("", "--with"),
    bring: str = typer.Option("", "--bring", help="What to bring, said in every reminder."),
    staff: str = STAFF,
) -> None:
    """Book an appointment (STARTS_AT with offset, e.g. 2026-03-10T10:00+01:00); the young
    person is told once."""
    from bot.reminders import notices
    from bot.wiring import build_engine

    async def work(session: AsyncSession, person: Any, who: Any, now: datetime) -> str:
        row = await notices.staff_book(
            session,
            person=person,
            staff=who,
            engine=build_engine(),
            now=now,
            starts_at=_when(starts_at),
            place=place,
            with_whom=with_whom,
            bring=bring,
        )
        return f"appointment {row.id} booked"

    _go(person_id, staff, work)


@plan_app.command("appointment-move")
def appointment_move(
    person_id: int, appointment_id: int, starts_at: str, staff: str = STAFF
) -> None:
    """Move an appointment; its reminders follow and the young person is told once."""
    _change(
        person_id,
        appointment_id,
        staff,
        f"appointment {appointment_id} moved",
        starts_at=_when(starts_at),
    )


@plan_app.command("appointment-cancel")
def appointment_cancel(person_id: int, appointment_id: int, staff: str = STAFF) -> None:
    """Cancel an appointment; its reminders stop and the young person is told once."""
    _change(
        person_id,
        appointment_id,
        staff,
        f"appointment {appointment_id} cancelled",
        status="cancelled",
    )


def _change(person_id: int, appointment_id: int, staff: str, done: str, **fields: Any) -> None:
    from bot.reminders import notices
    from bot.wiring import build_engine

    async def work(session: AsyncSession, person: Any, who: Any, now: datetime) -> str:
        await notices.staff_change(
            session,
            person=person,
            appointment_id=appointment_id,
            staff=who,
            engine=build_engine(),
            now=now,
            **fields,
        )
        return done

    _go(person_id, staff, work)
