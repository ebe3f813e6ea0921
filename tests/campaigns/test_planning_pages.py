"""Planning holds a page of the audience at a time, never all of it: a property, not a timing.

The page size is made tiny, and spies on the three things planning does per page (read the
audience, ask why some are left out, insert the delivery rows) see no call with more than a
page, as many pages as the audience fills, and the same deliveries as ever.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from bot.campaigns import audience, planning
from bot.campaigns.models import PLANNED, SKIPPED
from bot.database import Database
from tests.campaigns.world import crowd, deliveries, spec, started
from tests.world import municipality

PAGE = 7
PER_CHANNEL = 20
LEFT_OUT = {"opted_out": 2, "no_channel": 1, "paused": 1, "in_handoff": 1, "unreachable": 2}


async def test_planning_reads_and_writes_the_audience_a_page_at_a_time(
    db: Database, frozen_clock: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.session() as session:
        town = await municipality(session, code="0999")
    await crowd(db, town.id or 0, frozen_clock, PER_CHANNEL, LEFT_OUT)
    everyone = 2 * PER_CHANNEL + sum(LEFT_OUT.values())

    read: list[int] = []
    asked: list[int] = []
    written: list[int] = []
    real_pages, real_reasons, real_insert = audience.pages, planning.reasons, planning.insert_new

    async def pages(*args: Any, **kwargs: Any) -> AsyncIterator[list[int]]:
        async for ids in real_pages(*args, **kwargs):
            read.append(len(ids))
            yield ids

    async def reasons(session: Any, ids: Any) -> Any:
        asked.append(len(ids))
        return await real_reasons(session, ids)

    async def insert_new(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
        written.append(len(rows))
        await real_insert(session, model, rows)

    monkeypatch.setattr(planning, "PAGE", PAGE)
    monkeypatch.setattr(audience, "pages", pages)
    monkeypatch.setattr(planning, "reasons", reasons)
    monkeypatch.setattr(planning, "insert_new", insert_new)

    campaign_id = await started(
        db,
        spec(audience={"status": ["active", "paused"]}, schedule={"at": frozen_clock.isoformat()}),
        frozen_clock,
    )
    await planning.plan_due(db, frozen_clock)

    pages_needed = math.ceil(everyone / PAGE)
    assert read == [PAGE] * (pages_needed - 1) + [everyone - PAGE * (pages_needed - 1)]
    assert asked == read and written == read
    rows = await deliveries(db, campaign_id)
    assert len(rows) == everyone
    assert Counter(d.status for d in rows) == {PLANNED: 2 * PER_CHANNEL, SKIPPED: 7}
    assert Counter(d.skip_reason for d in rows if d.skip_reason) == Counter(LEFT_OUT)
