"""Clipboard: OSC 52 plus a local clipboard, cleared later only if it still holds our value."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tui_vault.core.clipboard import ClipboardManager, CopyResult, osc52

MARKER = "MARKER-7f3a9c-SECRET"


class FakeLocal:
    """A local clipboard that someone else may also write to."""

    def __init__(self, available: bool = True) -> None:
        self.text: str | None = "" if available else None
        self.copies: list[str] = []

    def available(self) -> bool:
        return self.text is not None

    def copy(self, text: str) -> bool:
        if self.text is None:
            return False
        self.text = text
        self.copies.append(text)
        return True

    def paste(self) -> str | None:
        return self.text


def make(local: FakeLocal | None = None) -> tuple[ClipboardManager, list[str]]:
    written: list[str] = []
    return ClipboardManager(written.append, local, clear_after=30), written  # type: ignore[arg-type]


def test_osc52_sequence() -> None:
    seq = osc52("héllo")
    assert seq.startswith("\x1b]52;c;") and seq.endswith("\a")
    assert base64.b64decode(seq[7:-1]).decode() == "héllo"


def test_copy_goes_to_terminal_and_local() -> None:
    local = FakeLocal()
    m, written = make(local)
    res = m.copy(MARKER)
    assert res == CopyResult(terminal=True, local=True)
    assert res.describe() == "the terminal (OSC 52) and the system clipboard"
    assert written == [MARKER] and local.text == MARKER
    assert m.holds_ours() and m.clear_after == 30


def test_manager_keeps_only_a_digest() -> None:
    m, _ = make(FakeLocal())
    m.copy(MARKER)
    assert MARKER not in repr(vars(m))


def test_clear_if_still_ours() -> None:
    local = FakeLocal()
    m, written = make(local)
    m.copy(MARKER)
    assert m.clear_if_ours() is True
    assert local.text == "" and written[-1] == ""
    assert not m.holds_ours()
    assert m.clear_if_ours() is False


def test_not_cleared_when_someone_copied_something_else() -> None:
    local = FakeLocal()
    m, written = make(local)
    m.copy(MARKER)
    local.text = "the user's own text"
    assert m.clear_if_ours() is False
    assert local.text == "the user's own text"
    assert written == [MARKER]
    assert not m.holds_ours()


def test_an_older_timer_does_not_clear_a_newer_copy() -> None:
    local = FakeLocal()
    m, _ = make(local)
    m.copy("first")
    first_gen = m.generation
    m.copy("second")
    assert m.clear_if_ours(first_gen) is False
    assert local.text == "second"
    assert m.clear_if_ours(m.generation) is True
    assert local.text == ""


def test_terminal_only_and_nowhere() -> None:
    m, written = make(None)
    assert m.copy("x") == CopyResult(terminal=True, local=False)
    assert m.clear_if_ours() is True and written == ["x", ""]

    def broken(_: str) -> None:
        raise OSError("no tty")

    n = ClipboardManager(broken, FakeLocal(available=False))  # type: ignore[arg-type]
    res = n.copy("x")
    assert res == CopyResult(False, False)
    assert res.describe().startswith("nowhere")
    assert n.clear_if_ours() is True  # nothing to read back; the terminal write is best effort


def test_backends_that_put_the_value_on_argv_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyperclip's Klipper backend runs `qdbus ... setClipboardContents VALUE`: never used."""
    import pyperclip

    from tui_vault.core.clipboard import LocalClipboard

    calls: list[str] = []

    def copy_klipper(text: str) -> None:
        calls.append(text)

    def paste_klipper() -> str:
        return ""

    monkeypatch.setattr(pyperclip, "determine_clipboard", lambda: (copy_klipper, paste_klipper))
    local = LocalClipboard()
    assert not local.available() and "command line" in local.reason
    assert local.copy("MARKER-7f3a9c-SECRET") is False and calls == []


def test_xclip_gets_the_value_on_stdin_not_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real pyperclip choosing a (fake) xclip: the value reaches its stdin, never argv."""
    from tui_vault.core.clipboard import LocalClipboard

    log = tmp_path / "log"
    fake = tmp_path / "bin" / "xclip"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'printf "argv:%s\\n" "$*" >> {log}\n'
        f'case "$*" in *-o*) cat {tmp_path}/clip 2>/dev/null ;; '
        f'*) cat > {tmp_path}/clip; printf "stdin:" >> {log}; '
        f"cat {tmp_path}/clip >> {log} ;; esac\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    local = LocalClipboard()
    assert local.available(), local.reason
    assert local.copy("MARKER-7f3a9c-SECRET")
    assert local.paste() == "MARKER-7f3a9c-SECRET"
    text = log.read_text()
    argv_lines = [ln for ln in text.splitlines() if ln.startswith("argv:")]
    assert argv_lines and all("MARKER" not in ln for ln in argv_lines)
    assert "stdin:MARKER-7f3a9c-SECRET" in text
