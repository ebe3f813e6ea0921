"""Every inbox route in one router, for the app factory to include."""

from __future__ import annotations

from fastapi import APIRouter

from bot.inbox import (
    campaign_views,
    events,
    meeting_views,
    people_views,
    reply_views,
    search_views,
    views,
)
from bot.staff import views as staff_views

router = APIRouter()
# The static route and fixed paths (/people/new, /campaigns/new) before the ones with parameters.
router.include_router(staff_views.router)
router.include_router(events.router)
router.include_router(campaign_views.router)
router.include_router(people_views.router)
router.include_router(search_views.router)
router.include_router(meeting_views.router)
router.include_router(views.router)
router.include_router(reply_views.router)
