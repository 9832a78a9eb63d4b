"""Command palette: every action reachable from the current screen, each with its key.

Besides the bindings of the screen and the app, the secrets screen offers what lives one
level down (Settings tabs, Reset cache, connect/disconnect, vault key copy/save, clear/reset),
so nothing has to be found by wandering. Each command carries synonyms ("enable", "cache",
"integrations", "vault key", "disconnect") that the fuzzy search also matches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandInput, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from tui_vault.core.model import PROVIDERS
from tui_vault.ui.base import vapp
from tui_vault.ui.key_order import run_own_binding

# Words people type for an action, by binding action name.
SYNONYMS: dict[str, str] = {
    "toggle_enabled": "enable disable on off toggle",
    "reveal": "show unmask",
    "reveal_all": "show all unmask",
    "copy_value": "clipboard copy value",
    "copy_reference": "clipboard reference template",
    "bulk_add": "paste env dotenv many",
    "link": "integrations external provider",
    "filter": "search find",
    "sort": "order",
    "sort_reverse": "order descending reverse",
    "troubleshoot": "problems unresolved fix",
    "settings": "preferences options config",
    "import": "postman load",
    "export": "backup save",
    "lock": "forget key logout",
    "help": "keys bindings",
    "quit": "exit",
    "delete": "remove",
}


@dataclass(frozen=True)
class Command:
    title: str
    key: str  # as shown: "space", "',' then 3"
    help: str
    run: Callable[[], Any]
    words: str = ""
    discover: bool = field(default=True)

    @property
    def shown(self) -> str:
        return f"{self.title}  ({self.key})" if self.key else self.title

    @property
    def searched(self) -> str:
        return f"{self.title} {self.words}"


def binding_commands(target: Any, app: Any) -> Iterator[Command]:
    for binding in getattr(type(target), "BINDINGS", []):
        if not isinstance(binding, Binding) or not binding.description:
            continue
        name = binding.action.split("(")[0]
        action = getattr(target, f"action_{name}", None)
        if action is None:
            continue
        key = app.get_key_display(binding)
        if "(" in binding.action:  # e.g. show_tab('key'): run the action string
            run: Callable[[], Any] = partial(target.run_action, binding.action)
        else:
            run = action
        yield Command(binding.description, key, binding.tooltip or "", run, SYNONYMS.get(name, ""))


def _open_settings(screen: Screen[Any], tab: str, then: str | None = None) -> None:
    from tui_vault.ui.screens.settings import SettingsScreen

    settings = SettingsScreen(tab=tab)
    screen.app.push_screen(settings)
    if then is not None:
        settings.call_after_refresh(settings.run_action, then)


def settings_commands(screen: Screen[Any]) -> Iterator[Command]:
    """What the Settings screen offers, reachable from the secrets screen (key: `,`)."""
    go = partial(_open_settings, screen)
    tabs = (
        ("general", "1", "General", "expiration clipboard idle timeout mask preferences"),
        ("key", "2", "Vault key", "vault key reveal keyring password manager"),
        ("integrations", "3", "Integrations", "integrations connect providers"),
        ("danger", "4", "Danger zone", "clear reset delete everything"),
    )
    for tab, number, label, words in tabs:
        yield Command(
            f"Settings: {label}",
            f"',' then {number}",
            f"Open Settings → {label}",
            partial(go, tab),
            words,
        )
    yield Command(
        "Reset cache",
        "',' then ctrl+r",
        "Delete cached values of linked secrets; fetched again on next use",
        partial(go, "general", "reset_cache"),
        "cache clear cached expire",
    )
    yield Command(
        "Vault key: copy",
        "',' then 2",
        "Copy the vault key (cleared later)",
        partial(go, "key", "copy_key"),
        "vault key copy clipboard",
    )
    yield Command(
        "Vault key: save to file…",
        "',' then 2",
        "Write the vault key to a 0600 file",
        partial(go, "key", "save_key_file"),
        "vault key save file backup",
    )
    yield Command(
        "Clear vault…",
        "',' then 4",
        "Delete every secret, keep the key (typed confirmation)",
        partial(go, "danger", "clear_vault"),
        "clear delete all wipe",
    )
    yield Command(
        "Reset vault…",
        "',' then 4",
        "Lost key: delete every secret and make a new key",
        partial(go, "danger", "reset_vault"),
        "reset lost key new key",
    )
    vault = vapp(screen).vault
    for provider, label in PROVIDERS.items():
        connected = vault is not None and provider in vault.data.integrations
        verb = "Re-authenticate" if connected else "Connect"
        yield Command(
            f"{verb} {label}",
            "',' then 3",
            f"Settings → Integrations: {verb.lower()} {label}",
            partial(go, "integrations", f"connect('{provider}')"),
            f"integrations connect login {provider}",
        )
        if connected:
            yield Command(
                f"Disconnect {label}",
                "',' then 3",
                f"Settings → Integrations: disconnect {label} (links stay)",
                partial(go, "integrations", f"disconnect('{provider}')"),
                f"integrations disconnect logout remove {provider}",
            )


class VaultCommands(Provider):
    def _commands(self) -> list[Command]:
        from tui_vault.ui.screens.secrets import SecretsScreen

        screen = self.screen
        app = vapp(screen)
        out = list(binding_commands(screen, app))
        out.extend(c for c in binding_commands(app, app) if c.title not in {o.title for o in out})
        if isinstance(screen, SecretsScreen) and app.vault is not None:
            out.extend(settings_commands(screen))
            for name in app.vault.names():
                out.append(
                    Command(
                        f"Jump to secret: {name}",
                        "",
                        "select it in the table",
                        partial(screen.jump_to, name),
                        discover=False,
                    )
                )
        return out

    async def discover(self) -> Hits:
        for command in self._commands():
            if command.discover:
                yield DiscoveryHit(command.shown, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = max(matcher.match(command.shown), matcher.match(command.searched) * 0.9)
            if score > 0:
                yield Hit(score, matcher.highlight(command.shown), command.run, help=command.help)


class _PaletteInput(CommandInput):
    """The palette's search field, its editing keys run in typing order (ui/key_order.py)."""

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the base class's _on_key next, unless a binding ran here.
        await run_own_binding(self, event)


class VaultCommandPalette(CommandPalette):
    """Textual's command palette, with the search field above in place of its own: the rest
    of the palette, its looks and its providers are Textual's."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if type(widget) is CommandInput:
                widget = _PaletteInput(
                    placeholder=widget.placeholder, select_on_focus=widget.select_on_focus
                )
            yield widget
