"""A Babel extractor for content YAML: every `say`, `label` and `text` value is a message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

# `reason`: a check-in risk rule's reason (content/checkins/risk.yaml), which staff read.
TRANSLATABLE_KEYS = frozenset({"say", "label", "text", "hours_text", "reply", "reason"})


def extract_content(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield (line, funcname, message, comments) for Babel."""
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if root is not None:
        yield from _walk(root)


def _walk(node: yaml.Node) -> Iterator[tuple[int, str, str, list[str]]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value in TRANSLATABLE_KEYS
                and isinstance(value, yaml.ScalarNode)
                and value.value.strip()
            ):
                yield value.start_mark.line + 1, "", value.value, [f"content: {key.value}"]
            else:
                yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)
