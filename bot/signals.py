"""Signals between the processes of one deployment, carried by PostgreSQL's LISTEN/NOTIFY.

Triggers (`TRIGGERS`, installed by migration `8081265f61aa`) notify, when the writing
transaction commits:

- `indgang_outbox` after rows are inserted into `outbox`: every dispatcher process wakes at
  once instead of at its next interval, whichever process wrote the rows (a web process
  answering a young person, the scheduler's sweeps, `indgang campaign start` in a shell);
- `indgang_inbox` after `message` or `handoff` rows change: every web process re-reads the
  live views of the inbox it serves, whichever process changed them.

Each process keeps one listening connection (`Listener`). A lost connection costs only
speed: the dispatcher still looks at the outbox every `INDGANG_DISPATCHER_INTERVAL`
seconds, the inbox's live views look again every few seconds, and the listener connects
again with capped back-off. SQLite has no notifications: a process there wakes its own
dispatcher, and the inbox polls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextlib import suppress

import structlog
from sqlalchemy.engine import make_url

log = structlog.get_logger(__name__)

OUTBOX = "indgang_outbox"
INBOX = "indgang_inbox"

# (table, events, channel): one notification per statement, delivered when it commits.
# PostgreSQL folds identical notifications of one transaction into one. Installed by
# migration 8081265f61aa; a change here needs a migration that drops and creates them again.
TRIGGERS = (
    ("outbox", "INSERT", OUTBOX),
    ("message", "INSERT OR UPDATE", INBOX),
    ("handoff", "INSERT OR UPDATE OR DELETE", INBOX),
)
NOTIFY_FUNCTION = """
CREATE FUNCTION indgang_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$
"""


def trigger_statements() -> list[str]:
    """The SQL that installs the notifying triggers (PostgreSQL only)."""
    return [NOTIFY_FUNCTION] + [
        f"CREATE TRIGGER {table}_notify AFTER {events} ON {table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION indgang_notify('{channel}')"
        for table, events, channel in TRIGGERS
    ]


_RECONNECT_BASE = 0.5
_RECONNECT_CAP = 30.0
_KEEPALIVE = 10.0


def libpq_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+psycopg://…`) as a connection string for psycopg."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Changes:
    """Something changed: every waiter wakes (a broadcast, unlike a bare asyncio.Event)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake everyone waiting now."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait for the next change, at most `seconds`; whether one came."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True


class Listener:
    """Calls the handler of each notification channel when it is notified, until stopped.

    Runs on its own connection (outside the pool, in autocommit: LISTEN holds a session).
    Connection failures are logged and retried; they never stop the process, and after
    each one every handler is called once, as rows may have come while nobody listened.
    """

    def __init__(self, database_url: str, handlers: Mapping[str, Callable[[], None]]) -> None:
        self.dsn = libpq_dsn(database_url)
        self.handlers = dict(handlers)
        self.listening = asyncio.Event()
        self.connections = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set."""
        listening = asyncio.create_task(self._keep_listening())
        try:
            await stop.wait()
        finally:
            listening.cancel()
            with suppress(asyncio.CancelledError):
                await listening

    async def _keep_listening(self) -> None:
        # psycopg only here: a process on SQLite never listens, and never loads it (9 MB).
        import psycopg

        delay = _RECONNECT_BASE
        while True:
            before = self.connections
            try:
                await self._listen()
            except (OSError, psycopg.Error) as error:
                # A connection that got as far as listening starts the back-off afresh.
                delay = _RECONNECT_BASE if self.connections > before else delay
                log.warning("signals.listener_lost", error=type(error).__name__, retry_in=delay)
            for handler in self.handlers.values():
                handler()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_CAP)

    async def _listen(self) -> None:
        import psycopg

        connection = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        try:
            for channel in self.handlers:
                await connection.execute(f"LISTEN {channel}")
            self.connections += 1
            self.listening.set()
            log.info("signals.listening", channels=sorted(self.handlers))
            while True:
                # notifies() ends after `timeout` seconds without one; the query between
                # rounds is a keep-alive that notices a dead connection.
                async for notice in connection.notifies(timeout=_KEEPALIVE):
                    handler = self.handlers.get(notice.channel)
                    if handler is not None:
                        handler()
                await connection.execute("SELECT 1")
        finally:
            self.listening.clear()
            await connection.close()
