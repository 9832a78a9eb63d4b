"""Regenerate screenshots/*.svg from the real app and the repeatable demo vault.

    make screenshots        (or: .venv/bin/python scripts/screenshots.py [--only NAME])

Each scenario starts the app headless at a fixed size, presses keys like a person would,
waits for the workers, and exports the screen as SVG.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
HOME = Path("/tmp/tui-vault-screenshots")


@dataclass
class Scenario:
    name: str
    title: str
    keys: list[str] = field(default_factory=list)
    first_run: bool = False
    size: tuple[int, int] = (100, 30)
    wrong_key: bool = False
    before: Callable[[Any], Awaitable[None]] | None = None


SCENARIOS = [
    Scenario("01-create", "First run: the new vault key", first_run=True),
    Scenario("02-unlock", "Unlock: a wrong key is told apart from a typo", wrong_key=True),
    Scenario("03-secrets", "The secrets table (values masked)"),
    Scenario(
        "04-reveal", "Filter as you type, reveal one value", keys=["slash", *"pass", "enter", "r"]
    ),
    Scenario("05-add", "Add a secret", keys=["a", "_", *"new-api-key", "tab", *"s3cret"]),
    Scenario("06-help", "Every key binding (?)", keys=["question_mark"]),
    Scenario(
        "07-troubleshoot", "Troubleshoot: what is empty or unresolved, and the fix", keys=["t"]
    ),
    Scenario("08-settings", "Settings", keys=["comma"]),
    Scenario("09-export", "Export (encrypted or plaintext)", keys=["x"]),
    Scenario("10-integrations", "Settings → Integrations", keys=["comma", "_", "3"]),
    Scenario("11-link", "Link a secret to an external vault", keys=["l"]),
    Scenario("12-wide", "At 200x50", size=(200, 50)),
    Scenario("13-small", "At 80x24, every value revealed: Status stays", keys=["R"], size=(80, 24)),
    Scenario(
        "14-palette", "The command palette: every action, with its key", keys=["ctrl+p", *"cache"]
    ),
]


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def shoot(scenario: Scenario) -> Path:
    from tui_vault.core.vaultkey import encode_key
    from tui_vault.ui import demo

    vault_dir = HOME / ".local" / "share" / "tui-vault"
    if scenario.first_run:
        shutil.rmtree(HOME, ignore_errors=True)
        os.environ.pop("TUI_VAULT_KEY", None)
        import tui_vault.ui.screens.create as create

        create.generate_key = lambda: demo.DEMO_KEY  # type: ignore[assignment]
        path = vault_dir / "vault.json"
    else:
        path = demo.build_demo_vault(vault_dir)
        if scenario.wrong_key:
            os.environ.pop("TUI_VAULT_KEY", None)
        else:
            os.environ["TUI_VAULT_KEY"] = encode_key(demo.DEMO_KEY)
    app = demo.demo_app(path)
    async with app.run_test(size=scenario.size) as pilot:
        await settle(pilot)
        if scenario.wrong_key:
            await pilot.press(*"TV1-0000", "enter")
            await settle(pilot)
        for key in scenario.keys:
            if key == "_":
                await settle(pilot)
            else:
                await pilot.press(key)
        await settle(pilot)
        await pilot.pause(0.3)
        svg = app.export_screenshot(title=f"tui-vault — {scenario.title}")
    out = OUT / f"{scenario.name}.svg"
    out.write_text(svg, encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="one scenario name (e.g. 03-secrets)")
    args = parser.parse_args()
    os.environ["HOME"] = str(HOME)
    os.environ["TUI_VAULT_NO_KEYRING"] = "1"
    os.environ.pop("TMUX", None)  # the same pictures inside tmux as outside
    OUT.mkdir(exist_ok=True)
    chosen = [s for s in SCENARIOS if not args.only or s.name == args.only]
    if not chosen:
        print(f"no scenario named {args.only}", file=sys.stderr)
        return 2
    for scenario in chosen:
        out = asyncio.run(shoot(scenario))
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
