"""What each staff role may do, and which permission each staff route needs: one table that
every signed-in request passes through (the inbox's login and the JSON API's alike), so a
route added later without an entry is refused, not open to every role.

Content editors (youth organisations' volunteers) work on content files and catalogs, not
on young people: they may sign in and keep their own settings, nothing more in the inbox.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

YOUNG_PEOPLE = "young_people"  # read and change young people's conversations and plans
CAMPAIGNS = "campaigns"  # define, start and follow campaigns
OWN_SETTINGS = "own_settings"  # one's own absence, stand-in and sign-out

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "contact_person": frozenset({YOUNG_PEOPLE, OWN_SETTINGS}),
    "team_lead": frozenset({YOUNG_PEOPLE, CAMPAIGNS, OWN_SETTINGS}),
    "admin": frozenset({YOUNG_PEOPLE, CAMPAIGNS, OWN_SETTINGS}),
    "content_editor": frozenset({OWN_SETTINGS}),
}

# Path prefix -> the permission a signed-in request under it needs; the longest prefix wins.
ROUTE_PERMISSIONS: dict[str, str] = {
    "/inbox": YOUNG_PEOPLE,  # the queue
    "/inbox/queue": YOUNG_PEOPLE,
    "/inbox/events": YOUNG_PEOPLE,
    "/inbox/people": YOUNG_PEOPLE,
    "/inbox/search": YOUNG_PEOPLE,
    "/inbox/meetings": YOUNG_PEOPLE,  # missed and moved meetings, and one's free times
    "/inbox/measure": YOUNG_PEOPLE,
    "/api/young": YOUNG_PEOPLE,
    "/inbox/campaigns": CAMPAIGNS,
    "/inbox/me": OWN_SETTINGS,
    "/inbox/logout": OWN_SETTINGS,
}


def permission_for(path: str) -> str | None:
    """The permission a request for `path` needs; None when no entry covers it."""
    found: tuple[int, str] | None = None
    for prefix, permission in ROUTE_PERMISSIONS.items():
        if (path == prefix or path.startswith(prefix + "/")) and (
            found is None or len(prefix) > found[0]
        ):
            found = (len(prefix), permission)
    return found[1] if found else None


def allowed(role: str, path: str) -> bool:
    """True when a staff member of `role` may make a request for `path`."""
    needed = permission_for(path)
    return needed is not None and needed in ROLE_PERMISSIONS.get(role, frozenset())


def require(request: Request, role: str) -> None:
    """403 unless the role may use this route (a route without an entry: nobody may)."""
    if not allowed(role, request.url.path):
        raise HTTPException(status_code=403, detail="Your role does not give access to this.")
