"""Start an app headless and print READY once its first input field has focus.

    python startup.py minimal                 a bare Textual app with one Input (the floor)
    python startup.py tui-vault VAULT_PATH    tui-vault's app on an existing vault: unlock screen

The parent times from spawning this process to reading READY. Nothing is imported before
the app is built, so the imports are part of what is measured, as they are for a user.
"""

from __future__ import annotations

import asyncio
import os
import sys


def build_minimal():  # type: ignore[no-untyped-def]
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(placeholder="Vault key", password=True)

    return Minimal()


def build_tui_vault(vault_path: str):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from tui_vault.ui.app import make_app

    return make_app(vault_path=Path(vault_path), key_file=None)


async def main(argv: list[str]) -> None:
    profiler = None
    if os.environ.get("TVB_PROFILE"):  # where the start-up time goes (imports included)
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    from textual.widgets import Input

    app = build_minimal() if argv[0] == "minimal" else build_tui_vault(argv[1])
    async with app.run_test(size=(100, 30)):
        while not isinstance(app.focused, Input):
            await asyncio.sleep(0.001)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)  # the frame showing the focused input
        await painted.wait()
        if profiler is not None:
            profiler.stop()
            with open(os.environ["TVB_PROFILE"], "w") as f:
                f.write(profiler.output_text(color=False))
        sys.stdout.write(f"READY {type(app.screen).__name__} {app.focused.id or ''}\n")
        sys.stdout.flush()
        os._exit(0)  # shutting down is not part of what a user waits for


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
