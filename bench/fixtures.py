"""Vaults of any size, built in one transaction (the bench's setup, not what it measures)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_vault.core.model import Link, Secret
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key


@dataclass(frozen=True)
class BenchVault:
    path: Path
    key: bytes
    key_text: str
    key_file: Path


def local_secrets(count: int, prefix: str = "secret", *, restricted: bool = True) -> list[Secret]:
    """Realistic local secrets: a 40-character value; every tenth one domain-restricted
    (none with restricted=False)."""
    out = []
    for i in range(count):
        domains = ["api.example.com", "*.example.org"] if restricted and i % 10 == 0 else []
        out.append(
            Secret(
                name=f"{prefix}-{i:06d}",
                value=f"v{i:06d}-" + "x" * 32,
                allowed_domains=domains,
            )
        )
    return out


def make_vault(
    directory: Path,
    secrets: list[Secret] | None = None,
    integrations: dict[str, dict[str, str]] | None = None,
    name: str = "vault.json",
) -> BenchVault:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    vault, key = Vault.create(path)
    if secrets or integrations:

        def fill(d):  # type: ignore[no-untyped-def]
            for s in secrets or []:
                d.secrets[s.name] = s
            d.integrations.update(integrations or {})

        vault.change(fill)
    key_text = encode_key(key)
    key_file = directory / (name + ".key")
    key_file.write_text(key_text + "\n")
    key_file.chmod(0o600)
    return BenchVault(path, key, key_text, key_file)


def linked_secret(name: str, link: Link) -> Secret:
    return Secret(name=name, link=link)
