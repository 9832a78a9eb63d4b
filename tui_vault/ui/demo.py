"""Repeatable demo data: the snapshot tests and the screenshot script show the same vault."""

from __future__ import annotations

import shutil
from pathlib import Path

from tui_vault.core.cache import Cache
from tui_vault.core.clipboard import LocalClipboard
from tui_vault.core.model import Link, Secret
from tui_vault.core.settings import Settings
from tui_vault.core.vault import Vault
from tui_vault.ui.app import VaultApp, make_app

DEMO_KEY = bytes(range(32))
DEMO_NOW = 1_800_000_000.0


class NoLocalClipboard(LocalClipboard):
    """Screenshots and tests never touch the machine's clipboard."""

    def available(self) -> bool:
        return False


def demo_secrets() -> list[Secret]:
    t = DEMO_NOW - 86_400
    return [
        Secret("stripe-api-key", "sk_live_51H8demo", allowed_domains=["api.stripe.com"], created=t),
        Secret("db-password", "correct-horse-battery", created=t),
        Secret("github-token", "ghp_demo_token", enabled=False, created=t),
        Secret("sentry-dsn", "", created=t),
        Secret(
            "aws-prod-db",
            link=Link("aws", {"secret_id": "prod/db", "json_key": "password"}),
            created=t,
        ),
        Secret(
            "vault-app-token",
            link=Link("hashicorp", {"engine": "secret", "path": "apps/web", "key": "token"}),
            allowed_domains=["*.internal.example.com"],
            created=t,
        ),
    ]


def build_demo_vault(directory: Path, secrets: list[Secret] | None = None) -> Path:
    """A fresh vault in directory (emptied first) with the demo secrets and one cached value."""
    if directory.exists():
        shutil.rmtree(directory)
    path = directory / "vault.json"
    vault, _ = Vault.create(path, DEMO_KEY)
    for s in demo_secrets() if secrets is None else secrets:
        vault.add(s)
    vault.set_integration(
        "hashicorp", {"url": "https://vault.internal.example.com", "auth": "token", "token": "x"}
    )
    linked = vault.data.secrets.get("vault-app-token")
    if linked is not None and linked.link is not None:
        cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
        cache.put_many({linked.link.fingerprint: "s.demo-token"}, now=DEMO_NOW - 18 * 60)
    return path


def demo_app(path: Path, **settings: object) -> VaultApp:
    return make_app(
        vault_path=path,
        settings=Settings(**settings),  # type: ignore[arg-type]
        settings_file=path.parent / "settings.toml",
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
        clock=lambda: DEMO_NOW,
    )
