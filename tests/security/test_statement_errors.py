"""A failed statement's error reaches the log without a bound parameter or the failing row:
a young person's message in an INSERT that fails must not be logged (issue 17, defect 6).
SQLAlchemy hides the parameters; PostgreSQL's own DETAIL line, which quotes the row, is
masked by the log pipeline."""

from __future__ import annotations

import pytest
import structlog
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot import logs
from bot.clock import utcnow
from bot.conversation.models import INBOUND, Message
from bot.database import Database
from bot.municipalities.models import Municipality
from bot.people.models import YoungPerson

BODY = "min stedfar slår mig probe-7f3a"


async def test_a_failed_insert_logs_no_message_body(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    async with db.session() as session:
        town = Municipality(name="Aby", code="aby")
        session.add(town)
        await session.flush()
        person = YoungPerson(municipality_id=town.id or 0, first_name="Sofie")
        session.add(person)
        await session.flush()
        person_id = person.id
    row = {
        "young_person_id": person_id,
        "direction": INBOUND,
        "channel": "sms",
        "author": None,  # NOT NULL: the insert fails, naming the row on PostgreSQL
        "body": BODY,
        "created_at": utcnow(),
    }
    with pytest.raises(IntegrityError) as failed:
        async with db.engine.begin() as conn:
            await conn.execute(insert(Message), [row])
    assert "parameters hidden" in str(failed.value) or "Failing row" in str(failed.value)

    logs.configure("INFO")  # as the app configures it
    structlog.get_logger("test").error("db.failed", exc_info=failed.value)
    logged = capsys.readouterr().err
    assert "INSERT INTO message" in logged  # the statement is still named, for the developer
    assert "probe-7f3a" not in logged and "stedfar" not in logged
