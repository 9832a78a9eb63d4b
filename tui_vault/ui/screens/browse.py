"""Browse a connected external vault to pick what a secret links to (from the link dialog).

A list of what is at one path: Enter opens a mount, folder, secret, vault or item, and on
a leaf (a key, a version, a field) returns its link parameters. Backspace goes back. The
filter narrows the list as you type (Enter in it asks the server, for AWS's many secrets);
the path can be typed by hand. Listings are fetched in a worker, a page at a time ("load
more"), with a loading indicator; a refusal to list is shown for that path, and typing a
path below it still works.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from tui_vault.core.errors import VaultError
from tui_vault.core.model import PROVIDERS
from tui_vault.integrations.base import Provider
from tui_vault.integrations.browse import Browsable, BrowseDenied, Entry, Listing, visible
from tui_vault.ui.base import vapp
from tui_vault.ui.screens.dialogs import Dialog
from tui_vault.ui.widgets.inputs import Input

MORE = "__more__"
PATH_HINTS = {
    "hashicorp": "MOUNT/FOLDER/ or MOUNT/SECRET; empty for the mounts",
    "aws": "a secret name or ARN for its JSON keys; empty for all secrets",
    "azure": "https://VAULT.vault.azure.net (its secrets) or …/secrets/NAME (versions)",
    "1password": "op://VAULT or op://VAULT/ITEM; empty for the vaults",
}


class BrowseDialog(Dialog[dict[str, str] | None]):
    """Pick a leaf of a connected provider; returns its link parameters (never a value)."""

    DEFAULT_CSS = """
    BrowseDialog > Vertical { width: 90; max-height: 100%; }
    BrowseDialog OptionList { height: auto; min-height: 3; max-height: 10; margin-top: 1; }
    BrowseDialog LoadingIndicator { height: 1; }
    BrowseDialog #browse-status { height: auto; max-height: 3; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="browse.cancel"),
        Binding("backspace", "up", "Back", id="browse.up", tooltip="Go back up one level"),
        Binding("ctrl+f", "focus_filter", "Filter", id="browse.filter", tooltip="Filter names"),
        Binding("ctrl+r", "reload", "Reload", id="browse.reload", tooltip="Fetch this again"),
    ]

    def __init__(self, provider: str, start: str = "") -> None:
        super().__init__()
        self.provider_name = provider
        self.start = start
        self.path = start
        self.history: list[str] = []
        self.listing: Listing | None = None
        self.entries: list[Entry] = []
        self.server_filter = ""
        self._provider: Provider | None = None

    def compose(self) -> ComposeResult:
        label = PROVIDERS[self.provider_name]
        with Vertical():
            yield Label(f"Browse {label}", classes="title")
            yield Input(
                value=self.start,
                placeholder=PATH_HINTS[self.provider_name],
                id="browse-path",
                compact=True,
            )
            yield Input(placeholder="filter names", id="browse-filter", compact=True)
            yield OptionList(id="browse-list")
            yield LoadingIndicator(id="browse-loading")
            yield Static("", id="browse-status", classes="hint")
            yield Static(
                "Enter open/choose · Backspace back · ^F filter · type a path + Enter",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#browse-loading").display = False
        if self.provider_name == "azure" and not self.start:
            self._status("Type the vault's URL, e.g. https://NAME.vault.azure.net, and Enter")
            self.query_one("#browse-path", Input).focus()
            return
        self.query_one("#browse-list", OptionList).focus()
        self._open(self.start, remember=False)

    def on_unmount(self) -> None:
        if self._provider is not None:
            self._provider.close()
            self._provider = None

    # ------------------------------------------------------------------ fetching

    def provider(self) -> Provider:
        if self._provider is None:
            from tui_vault.integrations.registry import make_provider

            app = vapp(self)
            vault = app.vault
            config = vault.data.integrations.get(self.provider_name) if vault else None
            if config is None:
                raise VaultError(f"{PROVIDERS[self.provider_name]} is not connected")
            self._provider = make_provider(
                self.provider_name, config, timeout=app.settings.fetch_timeout_seconds
            )
        return self._provider

    def _open(self, path: str, *, remember: bool = True, page: str | None = None) -> None:
        if remember and path != self.path:
            self.history.append(self.path)
        self.path = path
        self.query_one("#browse-path", Input).value = path
        if page is None:
            self.server_filter = self.query_one("#browse-filter", Input).value.strip()
            self.query_one("#browse-list", OptionList).clear_options()
            self.entries = []
        self.query_one("#browse-loading").display = True
        self._status(f"Loading {path or 'the top'}…")
        self._load(path, page, self.server_filter)

    @work(exclusive=True, group="browse", exit_on_error=False)
    async def _load(self, path: str, page: str | None, server_filter: str) -> None:
        import asyncio

        try:
            provider = self.provider()
            if not isinstance(provider, Browsable):
                raise VaultError(f"{provider.label} cannot be browsed")
            # Only AWS filters on the server; the others are filtered here as you type.
            name_filter = server_filter if self.provider_name == "aws" else ""
            timeout = vapp(self).settings.fetch_timeout_seconds
            listing = await asyncio.wait_for(
                provider.browse(path, page=page, name_filter=name_filter), timeout
            )
        except BrowseDenied as e:
            self._failed(path, f"{e.message}", denied=True)
            return
        except TimeoutError:
            self._failed(path, f"{PROVIDERS[self.provider_name]} did not answer in time")
            return
        except VaultError as e:
            self._failed(path, e.message)
            return
        except Exception as e:  # never show an SDK's text: it could carry anything
            self._failed(path, f"could not list this ({type(e).__name__})")
            return
        if path != self.path:
            return  # the person moved on while this was loading
        self.listing = listing
        self.entries.extend(listing.entries)
        self._show()

    def _failed(self, path: str, message: str, *, denied: bool = False) -> None:
        if path != self.path:
            return
        self.query_one("#browse-loading").display = False
        where = visible(path) if path else "the top"
        self._status(Text(f"{where}: {visible(message)}", style="red" if not denied else "yellow"))
        if denied:
            self.query_one("#browse-path", Input).focus()

    def _show(self) -> None:
        self.query_one("#browse-loading").display = False
        listing = self.listing
        typed = self.query_one("#browse-filter", Input).value.strip().lower()
        shown = [e for e in self.entries if typed in e.name.lower()] if typed else self.entries
        options = self.query_one("#browse-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for i, entry in enumerate(self.entries):
            if entry not in shown:
                continue
            mark = "▸" if entry.openable else "•"
            line = Text(f"{mark} {visible(entry.name)}")
            kind = f"{entry.kind} · {entry.detail}" if entry.detail else entry.kind
            line.append(f"  {visible(kind)}", style="dim")
            options.add_option(Option(line, id=str(i)))
        more = listing is not None and listing.next_page is not None
        if more:
            options.add_option(Option(Text("… load more", style="italic"), id=MORE))
        if options.option_count and highlighted is not None:
            options.highlighted = min(highlighted, options.option_count - 1)
        elif options.option_count:
            options.highlighted = 0
        total = len(self.entries)
        count = f"{len(shown)} of {total}" if typed else str(total)
        where = visible(self.path) if self.path else "the top"
        tail = " (more on the server)" if more else ""
        self._status(f"{where}: {count} {'entry' if total == 1 else 'entries'}{tail}")
        if not total:
            self._status(f"{where}: nothing here")

    def _status(self, text: str | Text) -> None:
        self.query_one("#browse-status", Static).update(text)

    # ------------------------------------------------------------------ keys

    @on(OptionList.OptionSelected, "#browse-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        ident = event.option.id
        if ident == MORE:
            if self.listing is not None and self.listing.next_page is not None:
                self._open(self.path, remember=False, page=self.listing.next_page)
            return
        entry = self.entries[int(ident or 0)]
        if entry.openable:
            self.query_one("#browse-filter", Input).value = ""
            self._open(entry.path)
        elif entry.link is not None:
            self.dismiss(dict(entry.link))

    @on(Input.Submitted, "#browse-path")
    def _typed_path(self, event: Input.Submitted) -> None:
        self._open(event.value.strip())
        self.query_one("#browse-list", OptionList).focus()

    @on(Input.Changed, "#browse-filter")
    def _filter_changed(self) -> None:
        if self.listing is not None:
            self._show()

    @on(Input.Submitted, "#browse-filter")
    def _filter_submitted(self) -> None:
        if self.provider_name == "aws" and not self.path:
            self._open(self.path, remember=False)  # AWS: ask the server for the names
        self.query_one("#browse-list", OptionList).focus()

    def action_up(self) -> None:
        if isinstance(self.focused, Input):
            # Backspace edits the text in an input; only the list goes back with it.
            self.focused.action_delete_left()
            return
        if self.history:
            self.query_one("#browse-filter", Input).value = ""
            self._open(self.history.pop(), remember=False)

    def action_focus_filter(self) -> None:
        self.query_one("#browse-filter", Input).focus()

    def action_reload(self) -> None:
        self._open(self.path, remember=False)

    def action_cancel(self) -> None:
        self.dismiss(None)


def start_path(provider: str, params: Mapping[str, str]) -> str:
    """Where browsing starts: near the current link, if there is one."""
    if provider == "hashicorp" and params.get("engine"):
        folder = params.get("path", "").rpartition("/")[0]
        return f"{params['engine']}/" + (f"{folder}/" if folder else "")
    if provider == "azure" and params.get("secret_id", "").startswith("https://"):
        return params["secret_id"].split("/secrets/")[0]
    return ""
