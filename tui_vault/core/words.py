"""Counted nouns in messages: `plural(1, "secret")` is "1 secret", `plural(2, "secret")`
"2 secrets". One helper, so no message says "1 secrets" or "Deleted 1 secrets"."""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "copy": "copies", "is": "are", "was": "were", "has": "have"}


def noun(n: int, word: str, many: str = "") -> str:
    """The word alone, in the form that goes with n."""
    if n == 1:
        return word
    if many:
        return many
    head, _, last = word.rpartition(" ")
    form = _IRREGULAR.get(last) or (
        last + "es" if last.endswith(("s", "x", "sh", "ch")) else last + "s"
    )
    return f"{head} {form}" if head else form


def plural(n: int, word: str, many: str = "") -> str:
    """ "1 secret", "0 secrets", "3 linked secrets": the count and the noun."""
    return f"{n} {noun(n, word, many)}"


def article(word: str) -> str:
    """ "a int" is wrong: "an int", "a str"."""
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"
