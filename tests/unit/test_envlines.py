"""One NAME=value parser (python-dotenv's grammar) for `run --env-file` and bulk paste."""

from __future__ import annotations

import pytest

from tui_vault.core.bulk import parse_bulk
from tui_vault.core.envlines import EnvLine, EnvLineError, parse_env_lines
from tui_vault.core.errors import InvalidSecretError

MARKER = "MARKER-7f3a9c-SECRET"


def test_the_dotenv_grammar() -> None:
    text = (
        "# a comment\n"
        "\n"
        "A=plain\n"
        "export B='single {{vault:x}}'\n"
        'C="double\\nescaped \\"quote\\""\n'
        "D=unquoted # an inline comment\n"
        'E="spans\n'
        'two lines"\n'
        "  F = ' spaced '  \r\n"
        "G=\n"
        "H=#not-a-comment\n"
    )
    assert parse_env_lines(text) == [
        EnvLine("A", "plain", 3),
        EnvLine("B", "single {{vault:x}}", 4),
        EnvLine("C", 'double\nescaped "quote"', 5),
        EnvLine("D", "unquoted", 6),
        EnvLine("E", "spans\ntwo lines", 7),
        EnvLine("F", " spaced ", 9),
        EnvLine("G", "", 10),
        EnvLine("H", "#not-a-comment", 11),
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("NAME\n", 1),
        ("A=1\n\n\nthis is not an assignment\n", 4),
        ("# c\n=value\n", 2),
        ('A="multi\nline"\n\nB\n', 4),
        ("A=1\r\n\r\nB\r\n", 3),
    ],
)
def test_a_bad_line_is_named_by_number_never_quoted(text: str, line: int) -> None:
    with pytest.raises(EnvLineError) as info:
        parse_env_lines(text.replace("value", MARKER))
    assert info.value.line == line
    assert info.value.message == f"line {line}: expected NAME=value"
    assert MARKER not in str(info.value)


def test_bulk_paste_uses_it_and_checks_secret_names() -> None:
    secrets = parse_bulk("# c\nONE=1\nexport TWO='two words'\nthree.x=\"a\\tb\"\n")
    assert [(s.name, s.value) for s in secrets] == [
        ("ONE", "1"),
        ("TWO", "two words"),
        ("three.x", "a\tb"),
    ]
    with pytest.raises(InvalidSecretError, match=r"^line 2: 'A' appears twice"):
        parse_bulk("A=1\nA=2\n")
    with pytest.raises(InvalidSecretError, match=r"^line 3:"):
        parse_bulk("A=1\n\nbad name=3\n")
    with pytest.raises(InvalidSecretError, match=r"^line 1:"):
        parse_bulk("bad/name=1\n")


@pytest.mark.parametrize("text", ["bad name=x", "export two words=1", "a b c=MARKER d"])
def test_a_name_that_cannot_be_one_is_told_so_without_quoting_the_line(text: str) -> None:
    """`bad name=x` has the form NAME=value: "expected NAME=value" sent users looking for
    a missing `=`. The message names the name as the problem, and repeats nothing."""
    with pytest.raises(EnvLineError) as info:
        parse_env_lines("A=1\n" + text.replace("MARKER", MARKER) + "\n")
    assert info.value.line == 2
    assert "name before '='" in info.value.message
    assert MARKER not in str(info.value) and "bad" not in str(info.value)
