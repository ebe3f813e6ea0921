"""Every route goes through the role-to-permission table (issue 17, defect 2; acceptance 2):
the routes are discovered from the app, so a route added later without an entry fails here;
a content editor reaches their own settings and nothing about young people or campaigns."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from bot.database import Database
from bot.municipalities.models import Municipality
from bot.staff.permissions import ROLE_PERMISSIONS, allowed, permission_for
from bot.staff.service import create_session
from tests.fixtures.inbox import client, sign_in
from tests.security.routes import FORMS, JSON, walk
from tests.world import PASSWORD, TwoTowns, staff_member

# Reached without signing in: sign-in, static files, the language switch, probes, the web
# chat simulator and the provider webhooks (each with its own check), the API's own docs.
PUBLIC = (
    "/",
    "/healthz",
    "/readyz",
    "/inbox/login",
    "/inbox/static/",
    "/inbox/lang/",
    "/chat",
    "/webhooks/",
    "/openapi.json",
    "/docs",
    "/redoc",
)


def _public(path: str) -> bool:
    return any(
        path == p or (len(p) > 1 and p.endswith("/") and path.startswith(p)) for p in PUBLIC
    ) or (path.startswith(("/chat/", "/docs/")))


def test_every_route_is_public_or_in_the_permission_table(app: FastAPI) -> None:
    routes = sorted({path for _method, path in walk(app.routes)})
    assert len(routes) >= 40
    missing = [p for p in routes if not _public(p) and permission_for(p) is None]
    assert missing == []
    # Every role has an entry, and none but the leads may run campaigns.
    assert {r for r in ROLE_PERMISSIONS if allowed(r, "/inbox/campaigns")} == {
        "team_lead",
        "admin",
    }


async def test_a_content_editor_gets_nothing_about_young_people(
    app: FastAPI, world: TwoTowns, db: Database, frozen_clock: datetime
) -> None:
    async with db.session() as session:
        aby = await session.get_one(Municipality, world.towns["aby"])
        emma = await staff_member(
            session, aby, name="Emma Holm", role="content_editor", password=PASSWORD
        )
        token, _ = await create_session(session, staff_id=emma.id or 0, now=frozen_clock)
    answers: dict[tuple[str, str], int] = {}
    async with client(app) as http:
        landed = await sign_in(http, "emma@aby.dk")
        assert landed.headers["location"] == "/inbox/me"
        me = await http.get("/inbox/me")
        assert me.status_code == 200 and "Emma Holm" in me.text
        assert 'href="/inbox/people"' not in me.text and 'href="/inbox/campaigns"' not in me.text
        bearer = {"Authorization": f"Bearer {token}"}
        for method, template in walk(app.routes):
            if _public(template) or permission_for(template) == "own_settings":
                continue
            path = template.format(
                person_id=world.people["sofie"],
                milestone_id=1,
                appointment_id=1,
                slot_id=1,
                message_id=1,
                campaign_id=1,
                action="start",
                name="x",
                code="da",
            )
            tail = template.split("{person_id}", 1)[-1]
            if template.startswith("/api/"):
                body = JSON.get(tail) if method != "GET" else None
                answer = await http.request(method, path, headers=bearer, json=body)
            else:
                answer = await http.request(method, path, data=FORMS.get(tail))
            answers[(method, template)] = answer.status_code
    assert len(answers) >= 35
    assert {route: code for route, code in answers.items() if code not in (403, 404)} == {}
