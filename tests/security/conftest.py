"""Security tests reuse the inbox's two-municipality world and signed-in clients."""

from tests.inbox.conftest import app, signed_in, world

__all__ = ["app", "signed_in", "world"]
