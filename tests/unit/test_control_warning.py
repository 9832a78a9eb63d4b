"""The import and bulk-add warning about values a terminal would obey (core/display.py)."""

from __future__ import annotations

from tui_vault.core.display import control_warning


def test_line_breaks_and_tabs_are_not_control_characters_here() -> None:
    """A PEM key or a JSON document is not worth a warning; an escape sequence is."""
    pem = "-----BEGIN KEY-----\r\nAAAA\n\tBBBB\n-----END KEY-----"
    assert control_warning([("pem", pem), ("plain", "v")]) is None
    warning = control_warning([("pem", pem), ("osc", "x\x1b]52;c;QQ==\x07"), ("rtl", "\u202e")])
    assert warning is not None
    assert "2 value(s)" in warning and "(osc, rtl)" in warning and "pem" not in warning
    assert "\x1b" not in warning and "QQ==" not in warning  # names only, never values
