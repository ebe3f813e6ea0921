"""Reading YAML content: libyaml's parser when PyYAML has it, the same safe subset.

Content files are read at start (flows, texts, the crisis screen's words: some 270 kB). The
pure-Python parser took about 2 s of each start for them; libyaml's takes under 0.2 s and
builds the same data.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(source: str | bytes | IO[str] | IO[bytes]) -> Any:
    """The data of one YAML document, as `yaml.safe_load` reads it."""
    return yaml.load(source, Loader=_LOADER)  # noqa: S506 (a safe loader)
