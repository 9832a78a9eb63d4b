"""`{{vault:NAME}}` references: find and render; anything else in {{...}} is untouched."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_vault.core.references import find_references, has_references, reference, render


def test_find_in_order_once() -> None:
    text = "a={{vault:A}} b={{vault:B.x-1_2}} again={{vault:A}}"
    assert find_references(text) == ["A", "B.x-1_2"]
    assert has_references(text)


@pytest.mark.parametrize(
    "text",
    [
        "{{other}}",
        "{{ vault:A }}",
        "{{vault:}}",
        "{{vault:a b}}",
        "{{VAULT:A}}",
        "{vault:A}",
        "{{vault:A}",
        "{{env:A}}",
        "{{vault:A/B}}",
        "",
    ],
)
def test_not_references(text: str) -> None:
    assert find_references(text) == []
    assert not has_references(text)
    assert render(text, {"A": "x"}) == text


def test_render_fills_known_names_and_leaves_the_rest() -> None:
    text = "{{vault:A}}-{{vault:B}}-{{other}}-{{vault:A}}"
    assert render(text, {"A": "1"}) == "1-{{vault:B}}-{{other}}-1"
    assert render(text, {}) == text


def test_render_is_a_single_pass() -> None:
    """A value that looks like a reference is not expanded again."""
    assert render("{{vault:A}}", {"A": "{{vault:B}}", "B": "no"}) == "{{vault:B}}"


def test_values_with_regex_specials_are_literal() -> None:
    assert render("x{{vault:A}}y", {"A": r"\1 \g<0> $& \\"}) == r"x\1 \g<0> $& \\y"


def test_reference_helper() -> None:
    assert reference("DB") == "{{vault:DB}}"
    assert find_references(reference("DB")) == ["DB"]


NAMES = st.text("abcXYZ019._-", min_size=1, max_size=8)


@given(st.text(), st.dictionaries(NAMES, st.text()))
def test_render_without_references_is_identity(text: str, values: dict[str, str]) -> None:
    if has_references(text):
        return
    assert render(text, values) == text


@given(st.lists(NAMES, max_size=5))
def test_rendering_known_names_leaves_no_references(names: list[str]) -> None:
    text = " ".join(reference(n) for n in names)
    assert find_references(text) == list(dict.fromkeys(names))
    assert not has_references(render(text, {n: "v" for n in names}))
