"""The main screen: the secrets table with filter, sort and every per-secret action."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress, repeat
from operator import contains
from typing import Any, overload

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Label, ProgressBar, Static

from tui_vault.core.display import visible
from tui_vault.core.model import PROVIDERS, Secret, VaultData
from tui_vault.core.references import reference
from tui_vault.core.vault import Vault
from tui_vault.core.words import noun
from tui_vault.ui.base import display_path, subscribe_changes, vapp
from tui_vault.ui.messages import ResolveProgressed, VaultChanged
from tui_vault.ui.screens.dialogs import ConfirmDialog
from tui_vault.ui.screens.secret_form import BulkAddForm, SecretDraft, SecretForm
from tui_vault.ui.widgets.footer import VaultFooter
from tui_vault.ui.widgets.inputs import Input
from tui_vault.ui.widgets.virtual_table import CELL_PADDING, VirtualTable

COLUMNS = ("Key", "Value", "Domains", "Source", "Status")
# The least a column is squeezed to, and the order in which columns give up space when the
# terminal is narrow (Value first, Status never below its minimum): Status stays visible.
MIN_WIDTH = {"Key": 10, "Value": 10, "Domains": 8, "Source": 6, "Status": 12}
SHRINK_ORDER = ("Value", "Domains", "Key", "Source", "Status")
VALUE_CAP = 32  # a revealed value shows in full in the detail line under the table
NEWLINE_MARK = "⏎"
MASK = "••••••••"
EMPTY_STATE = (
    "Your vault is empty.\n\n"
    "  [b]a[/b]  add a secret          [b]b[/b]  paste NAME=value lines\n"
    "  [b]i[/b]  import a file (tui-vault export or Postman environment)\n\n"
    "Then use it anywhere as [b]{{vault:NAME}}[/b], e.g. "
    "[i]tui-vault run -- cmd[/i] or [i]tui-vault inject[/i]."
)


def source_label(secret: Secret) -> str:
    return PROVIDERS[secret.link.provider] if secret.link else "local"


def one_line(text: str) -> str:
    """A multi-line value (a PEM, a JSON blob) as one row: line breaks become ⏎."""
    return (
        text.replace("\r\n", NEWLINE_MARK).replace("\n", NEWLINE_MARK).replace("\r", NEWLINE_MARK)
    )


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[Any, ...]:
    """n1, n2, n10 (numbers compare as numbers), case-insensitive."""
    parts = _DIGITS.split(text.lower())
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def fit_widths(natural: dict[str, int], available: int) -> dict[str, int]:
    """Column widths that fit `available` cells (paddings already taken off).

    Each column asks for its natural width (Value capped at VALUE_CAP); when they do not fit,
    columns give up space in SHRINK_ORDER down to MIN_WIDTH; space left over goes to the
    columns that were cut, then to Value, so the table spans the whole width.
    """
    want = {c: max(1, natural.get(c, 1)) for c in COLUMNS}
    widths = dict(want)
    widths["Value"] = min(widths["Value"], max(VALUE_CAP, available // 3))
    excess = sum(widths.values()) - available
    for column in SHRINK_ORDER:
        if excess <= 0:
            break
        floor = min(MIN_WIDTH[column], widths[column])
        give = min(excess, widths[column] - floor)
        widths[column] -= give
        excess -= give
    spare = available - sum(widths.values())
    for column in ("Key", "Domains", "Value", "Status"):
        if spare <= 0:
            break
        grow = min(spare, want[column] - widths[column])
        if grow > 0:
            widths[column] += grow
            spare -= grow
    if spare > 0:
        widths["Value"] += spare
    return widths


class EmptyState(Static, can_focus=True):
    """The empty vault's help text; focusable so keys reach the screen, not the filter."""


Kind = tuple[bool, bool, bool]  # linked, enabled, empty value


def _kind(s: Secret) -> Kind:
    return (s.link is not None, s.enabled, s.value == "")


def _shown_width(text: str) -> int:
    """The cells `visible(text)` takes on screen; printable ASCII (the usual name or value)
    is shown as it is, one cell a character, without asking Rich."""
    if text.isascii() and text.isprintable():
        return len(text)
    return cell_len(visible(text))


# The widths of the cells `SecretsScreen.row_cells` draws (what Text(...).cell_len says).
def _key_width(s: Secret) -> int:
    return _shown_width(s.name)


def _domains_width(s: Secret) -> int:
    return _shown_width(", ".join(s.allowed_domains)) if s.allowed_domains else 3


def _source_width(s: Secret) -> int:
    return cell_len(source_label(s))


def _revealed_width(s: Secret) -> int:
    """A local value's width when revealed (as `value_cell` draws it); linked: measured
    every time, from their fetch."""
    if s.link is not None:
        return 0
    return _shown_width(one_line(s.value)) if s.value else len("(empty)")


class FilterInput(Input):
    """The filter field: the table follows its value in the same step as the key (or the
    assignment) that changed it, through the value's watcher, not one message later.

    With Input.Changed the screen refreshed the table when it next handled its messages,
    and the screen's update came first after a pause in typing: a frame with the new text
    over the table as it was (~5 ms), and the filtered one ~12 ms later than it comes now
    at 100,000 secrets (bench row scale_filter). Changed is still posted, as for any Input."""

    def __init__(self, on_change: Callable[[], object], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_change = on_change

    def _watch_value(self, value: str) -> None:
        super()._watch_value(value)
        if self.is_mounted:
            self._on_change()


HEAD_ROWS = 256  # positions of a mask's first matches found one by one: a few screenfuls


class _Marked(Sequence[int]):
    """The positions of a match over every secret, kept as its mask (a byte per secret,
    1 where the needle matched) and worked out as they are asked for.

    The frame after a keystroke needs how many matched (a count over the mask, in C) and a
    screenful of rows: the first `HEAD_ROWS` positions are found one by one in the mask.
    All of them are made (a tuple) only when asked for beyond that, backwards, or sliced;
    at once when there are no more than `HEAD_ROWS`. At 100,000 secrets a one-character
    filter keeps ~41,000: their tuple took ~0.6 ms to fill and the collector's next young
    collection ~0.8 ms to walk it, both inside the keystroke (bench/PROFILING.md, round
    11). The mask itself is never walked (a bytearray holds no objects); it is never changed
    after it is made."""

    __slots__ = ("_all", "_count", "_head", "_mask", "_positions", "_scan")

    def __init__(self, mask: bytearray, positions: list[int]) -> None:
        self._mask = mask
        self._positions = positions  # the index's ints, one per secret
        self._count = mask.count(1)
        self._head: list[int] = []  # the first positions, found one by one
        self._scan = 0  # where the next 1 of the mask is looked for
        self._all: tuple[int, ...] | None = None
        if self._count <= HEAD_ROWS:  # a few: found with the mask's own search, in C
            self._all = tuple(self._first(self._count))
            self._head = []

    def _first(self, count: int) -> list[int]:
        """The first `count` positions (`count` at most the number of ones)."""
        head, find, positions, at = self._head, self._mask.find, self._positions, self._scan
        while len(head) < count:
            at = find(1, at)
            head.append(positions[at])
            at += 1
        self._scan = at
        return head

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[int, ...]: ...
    def __getitem__(self, i: int | slice) -> int | tuple[int, ...]:
        if self._all is None and isinstance(i, int) and 0 <= i < HEAD_ROWS:
            return self._first(i + 1)[i]  # (more ones than HEAD_ROWS: it is there)
        return self.every()[i]

    def __iter__(self) -> Iterator[int]:
        if self._all is not None:
            return iter(self._all)
        return compress(self._positions, self._mask)

    def every(self) -> tuple[int, ...]:
        """All the positions, in order (made on first use)."""
        if self._all is None:
            self._all = tuple(compress(self._positions, self._mask))
            self._head = []
        return self._all

    def pick(self, items: list[str]) -> Iterator[str]:
        """The items at these positions, in order, from a list with one item per secret."""
        if self._all is not None:
            return map(items.__getitem__, self._all)
        return compress(items, self._mask)


class _Picked(Sequence[Secret]):
    """Some of the index's secrets, held by position (`matching`'s result for a needle).

    A list of the secrets themselves is walked by each of the cyclic collector's young and
    middle collections while it is new, one cache miss per secret: at 100,000 secrets a
    one-character filter keeps ~41,000 of them, and those two collections took ~1.5-2.5 ms
    each, inside the keystroke (bench/PROFILING.md, round 7). The positions are the index's
    own small ints, made together once. A match over every secret holds them as a mask
    (`_Marked`: nothing for the collector to walk); a narrower one, as a tuple."""

    __slots__ = ("_at", "_secrets")

    def __init__(self, secrets: list[Secret], at: Sequence[int]) -> None:
        self._secrets = secrets
        self._at = at

    def __len__(self) -> int:
        return len(self._at)

    @overload
    def __getitem__(self, i: int) -> Secret: ...
    @overload
    def __getitem__(self, i: slice) -> _Picked: ...
    def __getitem__(self, i: int | slice) -> Secret | _Picked:
        if isinstance(i, slice):
            return _Picked(self._secrets, self._at[i])
        return self._secrets[self._at[i]]

    def __iter__(self) -> Iterator[Secret]:
        return map(self._secrets.__getitem__, self._at)

    def __eq__(self, other: object) -> bool:
        """Equal to a list (or another pick) of the same secrets in the same order."""
        if isinstance(other, list | _Picked):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (mutable peers compare equal: as list)

    def __repr__(self) -> str:
        return f"<{len(self._at)} of {len(self._secrets)} secrets>"


class _SecretIndex:
    """One vault's secrets, in natural name order, with what filtering and sorting read.

    Matching is the same test as ever (the needle in the lowercased name, in a domain, or in
    the lowercased source label); the lowercased fields and the sort keys are worked out once
    here. `local_blocking` tells whether a local secret needs attention: for a secret without
    a link that depends on the secret alone (disabled, or an empty value), so it is cached;
    linked secrets depend on the session's fetches and are asked every time.
    """

    SEP = "\n"  # never in a name, a domain or a source label (all single-line)

    def __init__(self, data: VaultData, local_blocking: Callable[[Secret], bool]) -> None:
        self.data = data
        ordered = sorted(data.secrets.values(), key=lambda s: natural_key(s.name))
        self.secrets = ordered
        sep = self.SEP
        self.haystacks = [
            sep.join((s.name.lower(), *s.allowed_domains, source_label(s).lower())) for s in ordered
        ]
        self._blocking = {s.name for s in ordered if s.link is None and local_blocking(s)}
        self.position = {s.name: i for i, s in enumerate(ordered)}
        self._positions = list(range(len(ordered)))  # (the ints _Picked holds, made once)
        self._last: tuple[str, Sequence[int]] = ("", self._positions)  # the last needle matched
        self.blocking_local = [self.position[name] for name in self._blocking]
        self.linked = [s for s in ordered if s.link is not None]
        self._sort_keys: dict[int, dict[str, Any]] = {}
        self._widest: dict[str, list[tuple[int, list[int]]]] = {}
        self._kinds: dict[Kind, list[int]] | None = None

    def matching(self, needle: str) -> Sequence[Secret]:
        """The secrets the filter shows, in natural name order. Not to be changed: with no
        needle it is `secrets` itself (no copy to make, and none to free when a filter
        replaces it: at 100,000 secrets each is ~1.5 ms of touching every secret)."""
        if not needle:
            return self.secrets
        if self.SEP in needle:  # could match across two fields: test them one by one
            return [s for s in self.secrets if _matches(s, needle)]
        # A needle that holds the last one (typing on) can only match where that one did.
        last_needle, last_at = self._last
        if needle == last_needle:
            return _Picked(self.secrets, last_at)
        at: Sequence[int]
        if last_needle and last_needle in needle:
            if isinstance(last_at, _Marked):
                haystacks: Iterable[str] = last_at.pick(self.haystacks)
            else:
                haystacks = map(self.haystacks.__getitem__, last_at)
            at = tuple(compress(last_at, map(contains, haystacks, repeat(needle))))
        else:  # every secret: a mask (`needle in h` for each haystack, in C)
            at = _Marked(bytearray(map(contains, self.haystacks, repeat(needle))), self._positions)
        self._last = (needle, at)
        return _Picked(self.secrets, at)

    def blocking(self, secret: Secret) -> bool:
        return secret.name in self._blocking

    def shown_test(self, needle: str) -> Callable[[int], bool]:
        """Whether the secret at a position (in `secrets`) matches `needle`: `matching`'s
        own test, for one secret."""
        if not needle:
            return lambda i: True
        if self.SEP in needle:
            secrets = self.secrets
            return lambda i: _matches(secrets[i], needle)
        haystacks = self.haystacks
        return lambda i: needle in haystacks[i]

    def widest(
        self,
        what: str,
        width_of: Callable[[Secret], int],
        rows: Sequence[Secret],
        shown: Callable[[int], bool],
    ) -> int:
        """The largest `width_of` over `rows` (`shown`: the test they passed), for cells
        that depend on the secret alone. Few rows: measured one by one. Many: the secrets
        are grouped by that width once (under the label `what`), and the widest group with
        a secret shown wins (with many rows shown, one is found after a few tries)."""
        if not rows:
            return 0
        if len(rows) * 8 < len(self.secrets):
            return max(map(width_of, rows))
        groups = self._widest.get(what)
        if groups is None:
            by_width: dict[int, list[int]] = {}
            for i, secret in enumerate(self.secrets):
                by_width.setdefault(width_of(secret), []).append(i)
            groups = [(w, by_width[w]) for w in sorted(by_width, reverse=True)]
            self._widest[what] = groups
        for width, members in groups:  # (not `width, *members`: a copy of each group)
            if any(map(shown, members)):
                return width
        return 0

    def kinds_shown(
        self, rows: Sequence[Secret], shown: Callable[[int], bool], leave_out: set[str]
    ) -> dict[Kind, Secret]:
        """A secret of each kind (linked, enabled, empty) among `rows`, but not the names in
        `leave_out`."""
        if len(rows) * 8 < len(self.secrets):
            found: dict[Kind, Secret] = {}
            for s in rows:
                if s.name not in leave_out:
                    found.setdefault(_kind(s), s)
            return found
        if self._kinds is None:
            self._kinds = {}
            for i, s in enumerate(self.secrets):
                self._kinds.setdefault(_kind(s), []).append(i)
        secrets = self.secrets
        examples = {}
        for kind, members in self._kinds.items():
            first = next(
                (i for i in members if shown(i) and secrets[i].name not in leave_out), None
            )
            if first is not None:
                examples[kind] = secrets[first]
        return examples

    def sort_keys(self, column: int) -> dict[str, Any]:
        """Sort keys of the Value, Domains and Source columns, by name (built on first use)."""
        keys = self._sort_keys.get(column)
        if keys is None:
            key = _COLUMN_KEYS[column]
            keys = self._sort_keys[column] = {s.name: key(s) for s in self.secrets}
        return keys


def _matches(s: Secret, needle: str) -> bool:
    return (
        needle in s.name.lower()
        or any(needle in d for d in s.allowed_domains)
        or needle in source_label(s).lower()
    )


_COLUMN_KEYS: dict[int, Callable[[Secret], Any]] = {
    1: lambda s: (s.link is not None, s.value == ""),
    2: lambda s: natural_key(",".join(s.allowed_domains)),
    3: lambda s: source_label(s).lower(),
}


def _every(position: int) -> bool:
    return True


def _name_of(secret: Secret) -> str:
    return secret.name


class SecretsScreen(Screen[None]):
    BINDINGS = [
        Binding("a", "add", "Add", id="secrets.add", tooltip="Add a secret"),
        Binding("e", "edit", "Edit", id="secrets.edit", tooltip="Edit name, value, domains"),
        Binding("d,delete", "delete", "Delete", id="secrets.delete", tooltip="Delete a secret"),
        Binding(
            "space",
            "toggle_enabled",
            "Enable/disable",
            id="secrets.toggle",
            tooltip="Enable or disable the selected secret (on/off)",
            show=False,
        ),
        Binding("r", "reveal", "Reveal", id="secrets.reveal", tooltip="Show or hide this value"),
        Binding(
            "R",
            "reveal_all",
            "Reveal all",
            id="secrets.reveal_all",
            tooltip="Show/hide all",
            show=False,
        ),
        Binding("c", "copy_value", "Copy", id="secrets.copy", tooltip="Copy the value"),
        Binding(
            "y",
            "copy_reference",
            "Copy ref",
            id="secrets.copy_ref",
            tooltip="Copy {{vault:name}}",
            show=False,
        ),
        Binding(
            "b",
            "bulk_add",
            "Bulk add",
            id="secrets.bulk",
            tooltip="Paste NAME=value lines",
            show=False,
        ),
        Binding(
            "l", "link", "Link", id="secrets.link", tooltip="Link to an external vault", show=False
        ),
        Binding(
            "m",
            "move",
            "Move to HashiCorp/AWS…",
            id="secrets.move",
            tooltip="Push to a team vault, link",
            show=False,
        ),
        # Priority: handled as the key is read, before the next keys are routed, so "/be"
        # arriving in one read (a paste, typing over SSH) filters by "be" instead of
        # sending "b" and "e" to the table. The filter never needs a "/" itself: names,
        # domains and sources cannot hold one.
        Binding(
            "slash",
            "filter",
            "Filter",
            id="secrets.filter",
            tooltip="Filter as you type",
            priority=True,
        ),
        Binding(
            "o", "sort", "Sort", id="secrets.sort", tooltip="Sort by the next column", show=False
        ),
        Binding(
            "O",
            "sort_reverse",
            "Reverse sort",
            id="secrets.sort_reverse",
            tooltip="Reverse the sort order",
            show=False,
        ),
        Binding(
            "t",
            "troubleshoot",
            "Troubleshoot",
            id="secrets.troubleshoot",
            tooltip="Empty and unresolved secrets, and how to fix them",
        ),
        Binding("i", "import", "Import", id="secrets.import", tooltip="Import secrets", show=False),
        Binding("x", "export", "Export", id="secrets.export", tooltip="Export secrets", show=False),
        Binding(
            "h",
            "history",
            "History",
            id="secrets.history",
            tooltip="Who read this secret, when (the access log)",
            show=False,
        ),
        Binding(
            "H",
            "history_all",
            "History (all)",
            id="secrets.history_all",
            tooltip="The access log of every secret",
            show=False,
        ),
        Binding("comma", "settings", "Settings", id="secrets.settings", tooltip="Settings"),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            id="secrets.clear_filter",
            show=False,
            tooltip="Empty the filter and show every secret",
        ),
        # The screen's, not the filter's: a Down typed in the filter reaches it (the field
        # takes no Down), while one sent to the filter in a burst after Escape or Enter moved
        # the focus comes back to the table's own Down (ui/key_order.py).
        Binding(
            "down",
            "filter_down",
            "To the rows",
            id="secrets.filter_down",
            show=False,
            tooltip="From the filter, on to the rows it shows (the filter is kept)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.revealed: set[str] = set()
        self.reveal_all = False
        self.sort_column = 0
        self.sort_reverse = False
        self._widths: dict[str, int] = dict(MIN_WIDTH)
        self._requested: set[str] = set()  # linked secrets asked for, not answered yet
        self._status_timer: Timer | None = None
        self._laid_out_width = 0
        self._index: _SecretIndex | None = None
        self._rows: Sequence[Secret] = []  # what the filter and sort show, all of it
        self._linked_rows: list[Secret] = []  # the linked ones among them, in that order

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="secrets-body"):
            with Horizontal(id="filter-row"):
                yield FilterInput(
                    self._filter_changed,
                    placeholder="Filter secrets  ( / )",
                    id="filter",
                    compact=True,
                )
                yield Label("", id="count")
            # Hidden until a fetch reports progress (which sets the real total). Without a
            # total, the bar would run its indeterminate animation at 15 frames a second
            # even while hidden: the idle TUI's only busy timer.
            yield ProgressBar(total=1, id="progress", show_eta=False)
            # Every matching secret is in the table; only the rows on screen are drawn.
            yield VirtualTable[Secret](key=_name_of, cells=self.row_cells, id="table")
            yield EmptyState(EMPTY_STATE, id="empty")
            yield Static("", id="detail")
            yield Static("", id="status-line")
        yield VaultFooter()

    def on_mount(self) -> None:
        app = vapp(self)
        self.sub_title = display_path(app.vault_path)
        self.reveal_all = not app.settings.mask_values
        table = self.table
        self.query_one("#progress", ProgressBar).display = False
        subscribe_changes(self, self._changed, self._progress)
        self.refresh_table()
        table.focus()
        # Cache ages count down while the table is on screen (stopped under other screens):
        # refresh_table and on_screen_resume schedule the status timer.

    def on_screen_suspend(self) -> None:
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None

    def on_screen_resume(self) -> None:
        self._tick_statuses()
        self._focus_body()

    def _soonest_expiry(self) -> float | None:
        """Seconds until the first cached value on screen expires (None: nothing cached)."""
        app = vapp(self)
        session = app.session
        if session is None:
            return None
        vault, cache = session.vault, session.cache
        ttl = app.settings.expiration_minutes * 60
        now = app.clock()
        soonest: float | None = None
        for shown in self._linked_rows:
            secret = vault.data.secrets.get(shown.name)
            if secret is None or secret.link is None:
                continue
            entry = cache.peek(secret.link.fingerprint)
            if entry is None:
                continue
            left = entry.expires_in(ttl, now)
            if left > 0 and (soonest is None or left < soonest):
                soonest = left
        return soonest

    def _schedule_tick(self) -> None:
        """One timer, only while something counts down: every second in the last minutes
        (the status shows seconds there), otherwise every 30 s."""
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None
        if not self.screen_stack_top():
            return
        soonest = self._soonest_expiry()
        if soonest is None:
            return
        delay = 1.0 if soonest <= 120 else min(30.0, soonest - 119)
        self._status_timer = self.set_timer(delay, self._tick_statuses)

    def screen_stack_top(self) -> bool:
        return bool(self.app.screen_stack) and self.app.screen_stack[-1] is self

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_width:
            self._laid_out_width = event.size.width
            # After the layout: the table's own new width is known then.
            self.call_after_refresh(self.refresh_table)

    def _focus_body(self) -> None:
        """Keys go to the table (or the empty state), never silently into the filter."""
        focused = self.focused
        if focused is None or (
            focused.id == "filter" and not self.query_one("#filter", Input).value
        ):
            target = self.query_one("#table" if self.query_one("#table").display else "#empty")
            target.focus()

    def _tick_statuses(self) -> None:
        """Draw the rows again for their new Status (no rebuild, no scroll jump): the table
        asks for the cells of the rows on screen only."""
        self._status_timer = None
        if self.vault is None or not self._rows:
            return
        if self._linked_rows:
            self.table.refresh_rows()
        if self.screen_stack_top():
            self._schedule_tick()

    # ------------------------------------------------------------------ rendering

    @property
    def vault(self) -> Vault | None:
        return vapp(self).vault

    def _secret_index(self) -> _SecretIndex | None:
        """The vault's secrets prepared for filtering and sorting, built once per vault change
        (every change replaces `vault.data`), not once per keystroke."""
        vault = self.vault
        if vault is None:
            self._index = None
            return None
        if self._index is None or self._index.data is not vault.data:
            self._index = _SecretIndex(vault.data, self._local_blocking)
        return self._index

    def _local_blocking(self, secret: Secret) -> bool:
        return self._needs_attention(secret)

    def visible_secrets(self) -> Sequence[Secret]:
        """What the table shows, in its order (not to be changed: see `matching`)."""
        index = self._secret_index()
        if index is None:
            return []
        needle = self._needle()
        # In natural name order already (ties, e.g. the same domains or source, stay in name
        # order; the name order stays ascending when another column is reversed).
        rows = index.matching(needle)
        if self.sort_column == 4:  # status: changes with time and fetches, never cached
            return sorted(
                rows, key=lambda s: natural_key(self.status_of(s)), reverse=self.sort_reverse
            )
        if self.sort_column != 0:
            keys = index.sort_keys(self.sort_column)
            return sorted(rows, key=lambda s: keys[s.name], reverse=self.sort_reverse)
        if self.sort_reverse:
            return rows[::-1]
        return rows

    def _needle(self) -> str:
        return self.query_one("#filter", Input).value.strip().lower()

    def column_label(self, index: int) -> str:
        name = COLUMNS[index]
        if index != self.sort_column:
            return name
        return f"{name} {'▼' if self.sort_reverse else '▲'}"

    def status_of(self, secret: Secret) -> str:
        app = vapp(self)
        session = app.session
        return session.health(secret, now=app.clock()).status if session is not None else ""

    def is_shown(self, secret: Secret) -> bool:
        return self.reveal_all or secret.name in self.revealed

    def shown_value(self, secret: Secret) -> str | None:
        """The value on screen when revealed (None while masked, unknown or unresolved)."""
        if not self.is_shown(secret):
            return None
        if secret.link is None:
            return secret.value or None
        session = vapp(self).session
        resolution = session.resolutions.get(secret.name) if session is not None else None
        if resolution is None or resolution.status == "unresolved":
            return None
        return resolution.value or None

    def value_cell(self, secret: Secret) -> Text:
        shown = self.is_shown(secret)
        session = vapp(self).session
        if secret.link is not None:
            resolution = session.resolutions.get(secret.name) if session is not None else None
            if not shown:
                return Text(f"↗ {MASK}", style="dim")
            if resolution is None:
                return Text("fetching…", style="italic dim")
            if resolution.status == "unresolved":
                return Text("—", style="dim")
            return (
                Text(visible(one_line(resolution.value))) if resolution.value else Text("(empty)")
            )
        if secret.value == "":
            return Text("(empty)", style="dim italic")
        return Text(visible(one_line(secret.value))) if shown else Text(MASK, style="dim")

    def status_text(self, secret: Secret) -> Text:
        status = self.status_of(secret)
        style = "" if status in ("ok",) or status.startswith("cached") else "yellow"
        if status.startswith("unresolved: "):
            status = "✗ " + status.removeprefix("unresolved: ")
        if not secret.enabled:
            style = "dim"
        return Text(visible(status), style=style)  # may quote a provider's message

    def row_cells(self, s: Secret) -> tuple[Text, ...]:
        """One row's cells (the table cuts them to the column widths), asked for by the
        table when the row is drawn."""
        return (
            Text(visible(s.name), style="dim" if not s.enabled else "bold"),
            self.value_cell(s),
            Text(visible(", ".join(s.allowed_domains)))
            if s.allowed_domains
            else Text("any", style="dim"),
            Text(source_label(s)),
            self.status_text(s),
        )

    def _natural_widths(
        self, rows: Sequence[Secret], shown: Callable[[int], bool]
    ) -> dict[str, int]:
        """Each column's widest cell over every row shown (and its label), as `row_cells`
        draws them (`shown`: the filter's test, by position in the index). Names, domains,
        sources and revealed local values depend on the secret alone (see
        `_SecretIndex.widest`); a local secret's masked value and status depend only on its
        kind (enabled, empty), so one secret of each kind shown is measured; linked secrets,
        secrets with a fetch result and values revealed one by one are measured every time."""
        natural = {c: len(self.column_label(i)) + 2 for i, c in enumerate(COLUMNS)}
        index = self._secret_index()
        if index is None or not rows:
            return natural
        widest = index.widest
        for column, width_of in (
            ("Key", _key_width),
            ("Domains", _domains_width),
            ("Source", _source_width),
        ):
            natural[column] = max(natural[column], widest(column, width_of, rows, shown))
        session = vapp(self).session
        special = set(session.resolutions) if session is not None else set()
        if not self.reveal_all:
            special |= self.revealed
        for kind, example in index.kinds_shown(rows, shown, special).items():
            if kind[0]:  # linked: measured row by row below
                continue
            natural["Status"] = max(natural["Status"], self.status_text(example).cell_len)
            if not self.reveal_all:
                natural["Value"] = max(natural["Value"], self.value_cell(example).cell_len)
        if self.reveal_all:  # a local value drawn in full does not depend on a fetch
            natural["Value"] = max(
                natural["Value"], widest("revealed", _revealed_width, rows, shown)
            )
        dynamic = list(self._linked_rows)
        for name in special:
            at = index.position.get(name)
            if at is not None and index.secrets[at].link is None and shown(at):
                dynamic.append(index.secrets[at])
        for s in dynamic:
            cells = self.row_cells(s)
            natural["Value"] = max(natural["Value"], cells[1].cell_len)
            natural["Status"] = max(natural["Status"], cells[4].cell_len)
        return natural

    def _table_width(self, rows: int) -> int:
        """Cells for the columns' contents: the table's width less paddings and scrollbar."""
        table = self.table
        outer = table.size.width or max(self.app.size.width - 2, 20)
        height = table.size.height or self.app.size.height
        # The vertical scrollbar takes its cells only when the rows overflow.
        scrollbar = table.styles.scrollbar_size_vertical if rows + 1 > height else 0
        return max(outer - scrollbar - 2 * CELL_PADDING * len(COLUMNS), sum(MIN_WIDTH.values()))

    def refresh_table(self, focus_name: str | None = None) -> None:
        table = self.table
        current = focus_name or self.selected_name()
        rows = self.visible_secrets()
        index = self._secret_index()
        self._rows = rows
        # What is measured or counted over the shown secrets tests the few secrets that
        # matter (linked, blocking, widest) with the filter's own test, not every row.
        shown = index.shown_test(self._needle()) if index is not None else _every
        self._linked_rows = (
            [s for s in rows if s.link is not None] if index is not None and index.linked else []
        )
        # Widths are worked out afresh on every refresh and resize: they shrink back too.
        self._widths = fit_widths(self._natural_widths(rows, shown), self._table_width(len(rows)))
        table.set_columns(
            [self.column_label(i) for i in range(len(COLUMNS))],
            [self._widths[c] for c in COLUMNS],
        )
        cursor = 0
        at = index.position.get(current) if index and current is not None else None
        if index is not None and at is not None and shown(at):
            selected = index.secrets[at]
            cursor = next(i for i, s in enumerate(rows) if s is selected)
        table.set_rows(rows, cursor)
        total = len(self.vault.data.secrets) if self.vault else 0
        if len(rows) != total:
            count = f"{len(rows):,} of {total:,}"
        else:
            count = f"{total:,} {noun(total, 'secret')}"
        self.query_one("#count", Label).update(count)
        empty = total == 0
        self.query_one("#empty", Static).display = empty
        table.display = not empty
        self._update_status_line(shown)
        self._fetch_shown()
        if self.is_mounted and self.screen_stack_top():
            self._schedule_tick()
        self._show_detail()
        if empty and self.focused is table:
            self.query_one("#empty").focus()
        elif not empty and self.focused is self.query_one("#empty"):
            table.focus()

    def _fetch_shown(self) -> None:
        """Linked secrets in the table and revealed (masking off, reveal, reveal all) with no
        value yet are fetched (cached ones come from the cache), once each: none is left
        saying "fetching…" because nobody asked."""
        app = vapp(self)
        session = app.session
        if session is None:
            return
        self._requested.difference_update(session.resolutions.keys())
        missing = [
            s.name
            for s in self._linked_rows
            if self.is_shown(s)
            and s.name not in session.resolutions
            and s.name not in self._requested
        ]
        if missing:
            self._requested.update(missing)
            app.resolve_for_display(missing, action="reveal")  # shown on screen

    @on(VirtualTable.RowHighlighted, "#table")
    def _show_detail(self) -> None:
        """The selected revealed value in full (the Value column is capped)."""
        detail = self.query_one("#detail", Static)
        name = self.selected_name()
        secret = self.vault.data.secrets.get(name) if self.vault and name else None
        value = self.shown_value(secret) if secret is not None else None
        if secret is None or value is None:
            detail.display = False
            detail.update("")
            return
        detail.display = True
        text = Text.assemble((f"{visible(secret.name)}: ", "bold"), visible(one_line(value)))
        detail.update(text)

    def _update_status_line(self, shown: Callable[[int], bool]) -> None:
        """How many shown secrets need attention (`shown`: the filter's test)."""
        index = self._secret_index()
        if index is None:
            return
        # Local secrets' verdicts depend on the secret alone (cached); linked ones are asked.
        problems = [index.secrets[i] for i in index.blocking_local if shown(i)]
        problems += [s for s in self._linked_rows if self._needs_attention(s)]
        line = self.query_one("#status-line", Static)
        if problems:
            line.update(
                f"{len(problems)} secret{'s need' if len(problems) != 1 else ' needs'} attention "
                "— press [b]t[/b] to troubleshoot"
            )
        else:
            line.update("")

    def _needs_attention(self, secret: Secret) -> bool:
        """What troubleshoot lists as blocking, without a cache lookup per secret."""
        session = vapp(self).session
        return session is not None and session.health(secret, with_status=False).blocking

    @property
    def table(self) -> VirtualTable[Secret]:
        return self.query_one("#table", VirtualTable)

    def selected_name(self) -> str | None:
        return self.table.cursor_key

    def selected_secret(self) -> Secret | None:
        name = self.selected_name()
        if name is None or self.vault is None:
            if self.vault is not None and not self.vault.data.secrets:
                self.notify("The vault is empty: press a to add a secret.")
            return None
        return self.vault.data.secrets.get(name)

    # ------------------------------------------------------------------ events

    def _changed(self, message: VaultChanged) -> None:
        self.refresh_table(message.focus_name)

    def _progress(self, message: ResolveProgressed) -> None:
        bar = self.query_one("#progress", ProgressBar)
        # Only worth a bar when more than a few secrets are pending.
        bar.display = message.total > 3 and message.done < message.total
        bar.update(total=message.total, progress=message.done)

    def _filter_changed(self) -> None:  # called by the FilterInput as its value changes
        self.refresh_table()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.set_focus(self.table)

    def action_filter_down(self) -> None:
        if self.focused is self.query_one("#filter", Input):
            self._filter_done()

    @on(VirtualTable.HeaderSelected, "#table")
    def _header(self, event: VirtualTable.HeaderSelected) -> None:
        # A second press on the same header reverses the order.
        if self.sort_column == event.column_index:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = event.column_index, False
        self.refresh_table()

    @on(VirtualTable.RowSelected, "#table")
    def _row_selected(self) -> None:
        self.action_edit()

    # ------------------------------------------------------------------ actions

    # Focus moves here with Screen.set_focus, at once: Widget.focus() only queues the move
    # behind keys already read, so the letters after "/" in one read would still go to the
    # table.
    def action_filter(self) -> None:
        self.set_focus(self.query_one("#filter", Input))

    def action_clear_filter(self) -> None:
        f = self.query_one("#filter", Input)
        if f.value:
            f.value = ""
        self.set_focus(self.table)

    def action_sort(self) -> None:
        self.sort_column = (self.sort_column + 1) % len(COLUMNS)
        self.sort_reverse = False
        self.notify(f"Sorted by {COLUMNS[self.sort_column]} (O reverses)", timeout=2)
        self.refresh_table()

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refresh_table()

    def action_add(self) -> None:
        self.app.push_screen(SecretForm(), self._saved)

    def action_edit(self) -> None:
        secret = self.selected_secret()
        if secret is not None:
            self.app.push_screen(SecretForm(secret), self._saved)

    def _saved(self, draft: SecretDraft | None) -> None:
        """The form has saved (it saves itself, and stays open when that fails)."""
        if draft is None:
            return
        original = draft.original_name
        if original is not None and draft.name != original and original in self.revealed:
            self.revealed.discard(original)
            self.revealed.add(draft.name)

    def action_delete(self) -> None:
        secret = self.selected_secret()
        if secret is None:
            return
        name = secret.name

        def confirmed(ok: bool | None) -> None:
            if ok:
                vapp(self).vault_op(lambda v: v.delete(name), f"Deleted {name}")

        self.app.push_screen(
            ConfirmDialog(
                f"Delete {name}?",
                f"{reference(name)} will stop resolving. This cannot be undone.",
            ),
            confirmed,
        )

    def action_toggle_enabled(self) -> None:
        secret = self.selected_secret()
        if secret is None:
            return
        name, enabled = secret.name, not secret.enabled
        vapp(self).vault_op(
            lambda v: v.update(name, enabled=enabled),
            f"{'Enabled' if enabled else 'Disabled'} {name}",
            focus=name,
        )

    def action_reveal(self) -> None:
        secret = self.selected_secret()
        if secret is None:
            return
        if secret.name in self.revealed:
            self.revealed.discard(secret.name)
        else:
            self.revealed.add(secret.name)
            if secret.link is not None:
                vapp(self).resolve_for_display([secret.name], action="reveal")
            else:
                vapp(self).record_access("reveal", [secret.name])
        self.refresh_table()

    def action_reveal_all(self) -> None:
        self.reveal_all = not self.reveal_all
        if not self.reveal_all:
            self.revealed.clear()
        elif self.vault is not None:
            linked = [s.name for s in self.vault.data.secrets.values() if s.link]
            vapp(self).resolve_for_display(linked, action="reveal")
            local = [s.name for s in self.vault.data.secrets.values() if not s.link]
            vapp(self).record_access("reveal", local)
        self.refresh_table()

    def action_copy_value(self) -> None:
        secret = self.selected_secret()
        if secret is None:
            return
        app = vapp(self)
        if secret.link is None:
            if secret.value == "":
                self.notify(f"{secret.name} is empty: nothing copied", severity="warning")
                return
            app.copy_secret_text(secret.value, f"the value of {secret.name}")
            app.record_access("copy", [secret.name])
            return
        self._copy_linked(secret.name)

    def _copy_linked(self, name: str) -> None:
        app = vapp(self)
        session = app.session
        if session is None:
            return

        async def fetch_and_copy() -> None:
            results = await session.resolve_for_owner([name])
            r = results[name]
            app.record_access("copy", results)
            if r.status == "resolved" and r.value:
                app.copy_secret_text(r.value, f"the value of {name}")
            else:
                detail = r.reason.value if r.reason else r.status
                app.notify(f"{name}: not copied ({detail})", severity="warning")
            self.refresh_table()

        self.run_worker(fetch_and_copy(), group="vault", exit_on_error=False)

    def action_copy_reference(self) -> None:
        secret = self.selected_secret()
        if secret is None:
            return
        ref = reference(secret.name)
        vapp(self).clipboard_manager.copy(ref)
        self.notify(f"Copied {ref}", title="Clipboard")

    def action_bulk_add(self) -> None:
        # The form saves itself (and settles names already in the vault) before closing.
        self.app.push_screen(BulkAddForm())

    def action_link(self) -> None:
        try:
            from tui_vault.ui.screens.link import LinkDialog
        except ImportError:
            self.notify("Linking is not available in this build", severity="warning")
            return
        secret = self.selected_secret()
        self.app.push_screen(LinkDialog(secret))

    def action_move(self) -> None:
        from tui_vault.ui.screens.push import PushDialog

        secret = self.selected_secret()
        if secret is None:
            return
        if secret.link is not None:
            self.notify(
                f"{secret.name} is linked: it has no local value to move", severity="warning"
            )
            return
        self.app.push_screen(PushDialog(secret))

    def action_troubleshoot(self) -> None:
        from tui_vault.ui.screens.troubleshoot import TroubleshootScreen

        self.app.push_screen(TroubleshootScreen())

    def action_history(self) -> None:
        from tui_vault.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.selected_name()))

    def action_history_all(self) -> None:
        from tui_vault.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(None))

    def action_settings(self) -> None:
        from tui_vault.ui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def action_import(self) -> None:
        from tui_vault.ui.screens.import_dialog import ImportDialog

        self.app.push_screen(ImportDialog())

    def action_export(self) -> None:
        from tui_vault.ui.screens.export_dialog import ExportDialog

        self.app.push_screen(ExportDialog())

    def jump_to(self, name: str) -> None:
        """Select a secret by name (the palette's "jump to secret")."""
        self.query_one("#filter", Input).value = ""
        self.refresh_table(name)
        self.table.focus()
