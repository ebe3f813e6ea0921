"""Where content/ and locales/ live: the checkout, or INDGANG_HOME in an installed image."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(os.environ.get("INDGANG_HOME") or Path(__file__).resolve().parents[1])
