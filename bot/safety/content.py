"""Where the safety content files live."""

from __future__ import annotations

import os
from pathlib import Path

from bot.content.flows import CONTENT_DIR

ENV_VAR = "INDGANG_CONTENT_DIR"


def content_dir(override: Path | str | None = None) -> Path:
    """Return the content root: the argument, else $INDGANG_CONTENT_DIR, else the project's."""
    if override is not None:
        return Path(override)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return CONTENT_DIR
