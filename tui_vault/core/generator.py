"""Random secret values from `secrets`: a length and character classes.

Classes: `lower` (a-z), `upper` (A-Z), `digits` (0-9), `symbols` (a shell- and URL-friendly
set: no quotes, backslash, `$`, backtick, space or `&`). Every class asked for appears at
least once: values are drawn uniformly until one has them all (unbiased over such values).
"""

from __future__ import annotations

import string

from tui_vault.core.errors import UsageError

CLASSES: dict[str, str] = {
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "digits": string.digits,
    "symbols": "!#%+,-./:=?@^_~",
}
DEFAULT_LENGTH = 32
DEFAULT_CLASSES = ("lower", "upper", "digits")
MIN_LENGTH = 4
MAX_LENGTH = 4096


def parse_classes(text: str) -> tuple[str, ...]:
    """`lower,upper,digits,symbols` (any subset, any order) -> the class names."""
    names = [c.strip().lower() for c in text.split(",") if c.strip()]
    unknown = [c for c in names if c not in CLASSES]
    if unknown or not names:
        raise UsageError(
            f"unknown character class {', '.join(unknown) or repr(text)}: "
            f"choose from {', '.join(CLASSES)} (comma-separated)"
        )
    return tuple(dict.fromkeys(names))


def check_length(length: int, classes: tuple[str, ...]) -> None:
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise UsageError(f"the length must be between {MIN_LENGTH} and {MAX_LENGTH}")
    if length < len(classes):
        raise UsageError(f"a length of {length} cannot hold one of each of {len(classes)} classes")


def generate_value(length: int = DEFAULT_LENGTH, classes: tuple[str, ...] = DEFAULT_CLASSES) -> str:
    """A random value of `length` characters with at least one of each class."""
    import secrets  # here, not at the top: `get` imports this module's constants for --help

    check_length(length, classes)
    alphabet = "".join(CLASSES[c] for c in classes)
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(ch in CLASSES[c] for ch in value) for c in classes):
            return value
