"""Counted nouns (one helper for every message) and the random value generator."""

from __future__ import annotations

import string

import pytest

from tui_vault.core.errors import UsageError
from tui_vault.core.generator import CLASSES, generate_value, parse_classes
from tui_vault.core.integrations_status import state_text, without_provider
from tui_vault.core.words import article, noun, plural


@pytest.mark.parametrize(
    ("n", "word", "text"),
    [
        (0, "secret", "0 secrets"),
        (1, "secret", "1 secret"),
        (2, "linked secret", "2 linked secrets"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (2, "byte", "2 bytes"),
        (2, "match", "2 matches"),
    ],
)
def test_plural(n: int, word: str, text: str) -> None:
    assert plural(n, word) == text


def test_noun_and_article() -> None:
    assert noun(1, "needs", "need") == "needs" and noun(2, "needs", "need") == "need"
    assert noun(2, "was") == "were"
    assert article("int") == "an int" and article("str") == "a str"


def test_generated_values_have_the_length_and_every_class() -> None:
    for _ in range(200):
        value = generate_value(8, ("lower", "upper", "digits", "symbols"))
        assert len(value) == 8
        for chars in CLASSES.values():
            assert any(c in chars for c in value)
    assert set(generate_value(64, ("digits",))) <= set(string.digits)
    assert len(generate_value()) == 32
    assert len({generate_value() for _ in range(50)}) == 50


def test_symbols_are_safe_in_shells_and_urls() -> None:
    assert not set(CLASSES["symbols"]) & set("'\"\\$`& \t\n;|<>()*")


@pytest.mark.parametrize(
    ("length", "classes", "words"),
    [(3, ("lower",), "between 4"), (5000, ("lower",), "between 4"),
     (4, ("lower", "upper", "digits", "symbols"), "")],
)  # fmt: skip
def test_length_bounds(length: int, classes: tuple[str, ...], words: str) -> None:
    if not words:
        assert len(generate_value(length, classes)) == length
        return
    with pytest.raises(UsageError, match=words):
        generate_value(length, classes)


def test_parse_classes() -> None:
    assert parse_classes("digits, LOWER,digits") == ("digits", "lower")
    for bad in ("", "emoji", "lower,emoji"):
        with pytest.raises(UsageError, match="character class"):
            parse_classes(bad)


def test_provider_state_words() -> None:
    assert state_text("not connected") == "not connected"
    assert state_text("connected", "not checked") == "connected (not checked)"
    assert state_text("needs re-authentication", "token rejected") == (
        "needs re-authentication: token rejected"
    )
    assert state_text("unreachable", "no answer within 2 s") == "unreachable: no answer within 2 s"
    # A line that names the provider does not name it again.
    assert without_provider("hashicorp", "HashiCorp Vault at http://h:1 rejected the token") == (
        "rejected the token (at http://h:1)"
    )
    assert without_provider("hashicorp", "cannot reach HashiCorp Vault at http://h:1") == (
        "cannot reach http://h:1"
    )
    assert without_provider("1password", "1Password rejected the service account token") == (
        "rejected the service account token"
    )
    assert without_provider("aws", "no usable AWS credentials") == "no usable AWS credentials"
