"""Routes of the web chat simulator: the page, sending, and reading new messages."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from channels.base import Inbound, Translate, untranslated

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
VISITOR_PATTERN = r"^[A-Za-z0-9_-]{4,64}$"
# The page's own texts exist in these languages (locales/); Danish for any other reader.
PAGE_LANGUAGES = ("da", "en")

Receive = Callable[[Inbound], Awaitable[object]]
History = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
Visitors = Callable[[], Awaitable[list[dict[str, str]]]]


class WebMessageIn(BaseModel):
    """What the chat page posts: typed text or a pressed button."""

    visitor: str = Field(pattern=VISITOR_PATTERN)
    text: str = Field(default="", max_length=2000)
    choice: str | None = Field(default=None, max_length=64)
    client_id: str = Field(
        default_factory=lambda: uuid.uuid4().hex, pattern=r"^[A-Za-z0-9-]{8,64}$"
    )


class WebMessageOut(BaseModel):
    """A message in the chat, either way."""

    id: int
    direction: str
    author: str
    body: str
    choices: list[dict[str, str]]
    status: str


class Accepted(BaseModel):
    """The message was taken (or had been taken before)."""

    ok: bool = True


def page_language(request: Request) -> str:
    """Danish, like the service's texts, unless the address asks for another (`?lang=en`)."""
    wanted = request.query_params.get("lang", "").lower()
    return wanted if wanted in PAGE_LANGUAGES else PAGE_LANGUAGES[0]


def build_router(
    receive: Receive,
    history: History,
    visitors: Visitors,
    translate: Translate = untranslated,
    endpoint: str | None = None,
) -> APIRouter:
    """The simulator's page and JSON API."""
    router = APIRouter(tags=["web simulator"])

    @router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
    async def chat_page(request: Request) -> HTMLResponse:
        lang = page_language(request)

        def gettext(message: str, **values: Any) -> str:
            return translate(lang, message, **values)

        people = await visitors()
        return TEMPLATES.TemplateResponse(
            request,
            "chat.html",
            {
                "_": gettext,
                "lang": lang,
                "visitors": people,
                "names": ", ".join(v["label"] for v in people),
            },
        )

    @router.post("/chat/api/messages", response_model=Accepted, summary="Send as a young person")
    async def post_message(body: WebMessageIn) -> Accepted:
        if not body.text.strip() and body.choice is None:
            raise HTTPException(status_code=422, detail="Write a message or pick a choice.")
        await receive(
            Inbound(
                channel="web",
                address=body.visitor,
                provider_id=body.client_id,
                text=body.text,
                choice=body.choice,
                endpoint=endpoint,
            )
        )
        return Accepted()

    @router.get(
        "/chat/api/messages",
        response_model=list[WebMessageOut],
        summary="Messages of one simulated chat, after a given id",
    )
    async def get_messages(
        visitor: str = Query(pattern=VISITOR_PATTERN), after: int = Query(default=0, ge=0, lt=2**63)
    ) -> list[dict[str, Any]]:
        return await history(visitor, after)

    return router
