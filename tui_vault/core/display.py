"""Terminal safety: the one function that makes text safe to show (DESIGN.md §7).

A name, value, link field, path or server message can hold bytes a terminal obeys: ESC ] 52
sets the clipboard, ESC ] 0 the window title, a C1 CSI (U+009B) starts a control sequence
on some terminals, and bidi overrides make `abc.txt` read as `txt.cba`. Everything shown to
a person goes through `visible()`; only `get`, `inject` and `run` pass values through raw,
because handing over the exact bytes is their job.

What is replaced, always the same way:
- C0 controls U+0000..U+001F and DEL U+007F: their Unicode control pictures (ESC → ␛,
  newline → ␊, tab → ␉, DEL → ␡), one column each, so tables keep their shape;
- C1 controls U+0080..U+009F: ``\\x9b``-style escapes;
- format characters (bidi overrides and isolates, zero-width characters, the BOM, soft
  hyphen, tag characters), line and paragraph separators, lone surrogates, unassigned code
  points and a few letters that render as nothing (Hangul fillers): ``\\u202e``-style
  (``\\U000e0001`` above the BMP).
Everything else (letters of every script, emoji, combining marks, spaces) is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable

# Letters (category Lo) that every font draws as blank space: a name could hide in them.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})


def _escape_char(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)
    if cp == 0x7F:
        return "\u2421"
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def needs_escape(ch: str) -> bool:
    """True for one character that `visible()` replaces."""
    import unicodedata  # a C extension to load: only when a text is not plainly printable

    return ch in _BLANK_LETTERS or unicodedata.category(ch) in _ESCAPED_CATEGORIES


def visible(text: str) -> str:
    """`text` with every control, format or invisible character made visible (see above)."""
    if text.isprintable() and not _BLANK_LETTERS.intersection(text):
        return text  # the common case: one C-level scan, nothing to build
    return "".join(_escape_char(ch) if needs_escape(ch) else ch for ch in text)


def has_controls(text: str) -> bool:
    """True if showing `text` raw could drive a terminal or hide characters (see `visible`)."""
    return visible(text) != text


def has_controls_besides_layout(text: str) -> bool:
    """`has_controls`, line breaks and tabs not counted: a PEM key or a JSON document holds
    them, and a terminal lays them out instead of obeying them."""
    return has_controls(text.replace("\r", "").replace("\n", "").replace("\t", ""))


def control_warning(values: Iterable[tuple[str, str]]) -> str | None:
    """A warning naming the secrets (name, value) whose values hold control characters, or
    None. Such values are kept as they are (a token may be binary-ish on purpose), but the
    user should know before one is pasted into a terminal by `get`. Line breaks and tabs
    are not counted (has_controls_besides_layout)."""
    names = [name for name, value in values if has_controls_besides_layout(value)]
    if not names:
        return None
    shown = ", ".join(visible(n) for n in names[:10]) + (" …" if len(names) > 10 else "")
    return (
        f"warning: {len(names)} value(s) hold control or invisible characters ({shown}); "
        "kept as they are, shown made visible here; `get` prints them raw"
    )
