"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from bot.migrate import is_current

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """A probe's answer."""

    status: str
    database: str | None = None
    migrations: str | None = None


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="Database reachable, migrations current",
    responses={503: {"model": Health}},
)
async def readyz(request: Request) -> JSONResponse:
    db = request.app.state.db
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse(
            Health(status="unavailable", database="unreachable").model_dump(), status_code=503
        )
    if not await is_current(db):
        return JSONResponse(
            Health(status="unavailable", database="ok", migrations="pending").model_dump(),
            status_code=503,
        )
    return JSONResponse(Health(status="ok", database="ok", migrations="current").model_dump())
