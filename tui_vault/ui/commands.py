"""Command palette: every action of the current screen, and a fuzzy "jump to secret"."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui_vault.ui.base import vapp


class VaultCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        from tui_vault.ui.screens.secrets import SecretsScreen

        screen = self.screen
        out: list[tuple[str, str, object]] = []
        target = screen
        for binding in getattr(type(target), "BINDINGS", []):
            if isinstance(binding, Binding) and binding.description:
                action = getattr(target, f"action_{binding.action}", None)
                if action is not None:
                    out.append((binding.description, binding.tooltip or "", action))
        app = vapp(screen)
        if isinstance(screen, SecretsScreen) and app.vault is not None:
            for name in app.vault.names():
                out.append(
                    (
                        f"Jump to secret: {name}",
                        "select it in the table",
                        partial(screen.jump_to, name),
                    )
                )
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            if not title.startswith("Jump to"):
                yield DiscoveryHit(title, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)  # type: ignore[arg-type]
