"""What one inbound message is handled with, and the shapes of the plug-ins that handle it.

This is the leaf of the conversation: the engine and every domain's plug-in import it, and it
imports no domain at run time (the model types are only named for the type checker).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import normalise_language
from channels.base import Choice, Inbound

if TYPE_CHECKING:
    from bot.content.flows import Step
    from bot.conversation.models import ConversationState
    from bot.municipalities.models import Municipality
    from bot.people.models import ChannelIdentity, YoungPerson

# Set in a session's `info` when a human took the conversation during this turn (a risky
# check-in answer, say): the engine then offers no buttons, which would get no answer.
HUMAN_TOOK_OVER = "indgang.human_took_over"


@dataclass
class Reply:
    """One message back to the young person."""

    text: str
    choices: tuple[Choice, ...] = ()
    bypass_opt_out: bool = False


@dataclass
class Turn:
    """Everything one inbound message is handled with."""

    session: AsyncSession
    inbound: Inbound
    text: str
    person: YoungPerson
    identity: ChannelIdentity
    municipality: Municipality
    state: ConversationState
    now: datetime
    cpr_removed: bool = False
    # The stored inbound message this turn answers (None for a turn the bot starts itself).
    message_id: int | None = None
    # The global keyword the message is ('stop', 'menu', …), or the one the provider answered.
    keyword: str | None = None
    # What a worrying message that is not a crisis was about ('self_harm', …), if it was one.
    worry: str | None = None
    replies: list[Reply] = field(default_factory=list)
    _parts: list[str] = field(default_factory=list)

    @classmethod
    def started(
        cls,
        session: AsyncSession,
        *,
        person: YoungPerson,
        identity: ChannelIdentity,
        municipality: Municipality,
        state: ConversationState,
        now: datetime,
    ) -> Turn:
        """A turn the bot starts itself, answering no message: for `Engine.start`."""
        return cls(
            session=session,
            inbound=Inbound(channel=identity.channel, address="", provider_id=""),
            text="",
            person=person,
            identity=identity,
            municipality=municipality,
            state=state,
            now=now,
        )

    @property
    def lang(self) -> str:
        """The young person's language."""
        return normalise_language(self.person.language)

    def say(self, text: str) -> None:
        """Add a paragraph to the reply being built."""
        self._parts.append(text)

    def flush(self, choices: tuple[Choice, ...] = (), *, bypass_opt_out: bool = False) -> None:
        """Turn the paragraphs said so far into one reply."""
        if self._parts:
            self.replies.append(Reply("\n\n".join(self._parts), choices, bypass_opt_out))
            self._parts = []


@dataclass(frozen=True)
class Option:
    """A choice as offered: what the young person sees, where it goes, what it does."""

    choice: Choice
    goto: str | None = None
    do: str | None = None


class Steps(Protocol):
    """What a guard may ask of the engine: walk into a flow step."""

    async def enter(self, turn: Turn, ref: str) -> None:
        """Enter `flow.step` and say what it says, up to the next wait."""
        ...


# `do: name:argument` in a flow step.
Action = Callable[[Turn, str], Awaitable[None]]
# `show: name`: text for the reply.
View = Callable[[Turn], Awaitable[str]]
# `choices_from: name`: choices built from data.
ChoiceSource = Callable[[Turn], Awaitable[list[Option]]]
# `read: name`: reads free text and says what it was, an outcome the step's `routes` follow.
Reader = Callable[[Turn, str], Awaitable[str]]
# Runs before the flow step, in the order the composition root gives; True when it handled
# the message (a crisis, an opted-out channel, a human holding the conversation).
Guard = Callable[[Turn, Steps], Awaitable[bool]]
# Where typed text leads before the step reads it (another language, say), given the step,
# its reference and where the message's own intent leads; None to leave it to the step.
Redirect = Callable[[Turn, "Step", str, str | None], str | None]
