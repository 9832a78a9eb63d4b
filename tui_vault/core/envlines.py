"""`NAME=value` lines, as in a `.env` file: one parser for `run --env-file` and bulk paste.

The grammar is python-dotenv's (`dotenv.parser`, a small pure-Python module): blank lines and
`#` comments are skipped, `export NAME=value` is accepted, values may be single- or
double-quoted (double quotes understand `\\n`, `\\t`, `\\"`...), a quoted value may span
lines, and an unquoted value ends at ` #` (an inline comment). Names are checked by the
caller: an environment variable and a secret allow different characters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from tui_vault.core.errors import InvalidSecretError


class EnvLineError(InvalidSecretError):
    """A line that is not `NAME=value`. The message never repeats the line (it may hold a
    value); `line` is its 1-based number."""

    def __init__(self, line: int, problem: str = "expected NAME=value") -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class EnvLine:
    name: str
    value: str
    line: int  # where the assignment starts (1-based)


def parse_env_lines(text: str) -> list[EnvLine]:
    """Every assignment in order (a later one may repeat a name). Raises EnvLineError."""
    from dotenv.parser import parse_stream

    out: list[EnvLine] = []
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        # dotenv marks a binding where the previous one ended: skip the blank lines before it.
        skipped = raw[: len(raw) - len(raw.lstrip())]
        line = (
            binding.original.line
            + skipped.count("\n")
            + skipped.count("\r")
            - (skipped.count("\r\n"))
        )
        if binding.error:
            raise EnvLineError(line, _why_not_an_assignment(raw.strip()))
        if binding.key is None:  # a comment or trailing blank lines
            continue
        if binding.value is None:  # `NAME` alone
            raise EnvLineError(line)
        out.append(EnvLine(binding.key, binding.value, line))
    return out


def _why_not_an_assignment(raw: str) -> str:
    """What is wrong with a line dotenv could not parse, without repeating any of it: a
    `NAME=value` line whose name has a space or other characters a name cannot hold is
    told so (`bad name=x` read as "expected NAME=value", although it has that form)."""
    head, equals, _ = raw.partition("=")
    if head.startswith("export "):
        head = head[len("export ") :]
    if equals and head.strip():
        return "the name before '=' holds a character a name cannot (a space, a quote...)"
    return "expected NAME=value"
