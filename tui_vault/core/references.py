"""`{{vault:NAME}}` references: find them and fill them in. Anything else in {{...}} stays."""

from __future__ import annotations

import re
from collections.abc import Mapping

REFERENCE_RE = re.compile(r"\{\{vault:([A-Za-z0-9._-]+)\}\}")


def reference(name: str) -> str:
    return "{{vault:" + name + "}}"


def find_references(text: str) -> list[str]:
    """Names referenced in text, each once, in order of first appearance."""
    return list(dict.fromkeys(m.group(1) for m in REFERENCE_RE.finditer(text)))


def has_references(text: str) -> bool:
    return REFERENCE_RE.search(text) is not None


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace each reference whose name is in values; leave the others exactly as written."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return values[name] if name in values else m.group(0)

    return REFERENCE_RE.sub(sub, text)
