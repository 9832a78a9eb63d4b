"""Tamper sweep: every single-byte change and every truncation of a vault file and of an
encrypted export is refused with a clear, typed message, and nothing is written.
"""

from __future__ import annotations

import io
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import read_import
from tui_vault import cli
from tui_vault.core.cache import Cache
from tui_vault.core.errors import (
    CorruptVaultError,
    ImportFormatError,
    VaultError,
    WrongKeyError,
    WrongPasswordError,
)
from tui_vault.core.model import Secret, VaultData
from tui_vault.core.transfer import export_encrypted
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key

from ._support import CHEAP_KDF, PASSWORD, isolated_env, one_clean_line, record, run_cli

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(240)]

REPLACEMENTS = (0x00, 0x20, 0x22, 0x30, 0x7B, 0xFF)


def mutations(raw: bytes) -> list[tuple[str, bytes]]:
    """Every single-byte change (xor 0x01 and a few replacement values), then every truncation."""
    out: list[tuple[str, bytes]] = []
    for i, b in enumerate(raw):
        for new in dict.fromkeys((b ^ 0x01, *REPLACEMENTS)):
            if new != b:
                bad = raw[:i] + bytes([new]) + raw[i + 1 :]
                out.append((f"byte {i}: {b:#04x}->{new:#04x}", bad))
    out.extend((f"truncated to {n}", raw[:n]) for n in range(len(raw)))
    return out


@pytest.fixture
def small_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, bytes]:
    # Building the argument parser costs ~30 ms; thousands of in-process runs share one.
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    env = isolated_env(tmp_path / "home")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    path = tmp_path / "v" / "vault.json"
    vault, key = Vault.create(path)
    vault.set_value("API_TOKEN", "tamper-target-value")
    vault.set_value("DB_PASS", "second", allowed_domains="db.example.com")
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    return path, key


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> tuple[int, str]:
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), newline="\n")
    try:
        code = cli.main(argv)
    finally:
        sys.stdin = old
    err = capsys.readouterr().err
    return code, err


def test_every_byte_and_truncation_of_a_vault_is_refused(
    small_vault: tuple[Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    path, key = small_vault
    original = path.read_bytes()
    backup_before = path.with_name("vault.json.bak").read_bytes()
    handle = Vault.open(path, key)  # an app that had the vault open before the tampering
    kinds: Counter[str] = Counter()
    cli_checked = 0
    for label, bad in mutations(original):
        path.write_bytes(bad)
        with pytest.raises((CorruptVaultError, WrongKeyError)) as caught:
            Vault.open(path, key)
        kinds[type(caught.value).__name__] += 1
        assert str(caught.value), label
        if label.startswith("truncated") or _is_xor(label):
            # A writer holding the vault open must refuse to save over the damaged file.
            with pytest.raises((CorruptVaultError, WrongKeyError)):
                handle.set_value("API_TOKEN", "overwrite attempt")
            code, err = _cli(["--vault", str(path), "set", "NEW"], capsys, "v")
            assert code in (1, 3), (label, err)
            one_clean_line(err)
            code, err = _cli(["--vault", str(path), "get", "API_TOKEN"], capsys)
            assert code in (1, 3), (label, err)
            line = one_clean_line(err)
            assert "tamper-target-value" not in line
            cli_checked += 1
            assert path.with_name("vault.json.bak").read_bytes() == backup_before
            assert not list(path.parent.glob(".*.tmp-*"))
        assert path.read_bytes() == bad, f"{label}: the damaged file was rewritten"
    path.write_bytes(original)
    assert handle.get("API_TOKEN").value == "tamper-target-value"
    assert Vault.open(path, key).get("API_TOKEN").value == "tamper-target-value"
    total = sum(kinds.values())
    record(
        "tamper",
        "vault",
        file_bytes=len(original),
        mutations=total,
        refused=total,
        refused_as=dict(kinds),
        through_cli_and_open_writer=cli_checked,
        accepted=0,
    )


def _is_xor(label: str) -> bool:
    old, new = label.split(": ")[1].split("->")
    return int(old, 16) ^ int(new, 16) == 1


def test_tampered_vault_through_the_real_command(small_vault: tuple[Path, bytes]) -> None:
    """A sample through a real process: exit 1 or 3, one line on stderr, no traceback."""
    path, key = small_vault
    original = path.read_bytes()
    env = isolated_env(path.parent.parent / "home2", TUI_VAULT_KEY=encode_key(key))
    rng = random.Random(6)
    sample = rng.sample(mutations(original), 12)
    for label, bad in sample:
        path.write_bytes(bad)
        done = run_cli(["--vault", str(path), "list", "--json"], env)
        assert done.returncode in (1, 3), (label, done.stderr)
        one_clean_line(done.stderr)
        assert done.stdout == b""
        assert path.read_bytes() == bad
    record("tamper", "vault-subprocess", mutations=len(sample), refused=len(sample))


def test_every_byte_and_truncation_of_an_encrypted_export_is_refused(
    small_vault: tuple[Path, bytes], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, _key = small_vault
    data = VaultData(
        secrets={
            "IMPORTED": Secret(name="IMPORTED", value="export-secret-value"),
            "OTHER": Secret(name="OTHER", value="x", allowed_domains=["*.example.com"]),
        }
    )
    original = export_encrypted(data, PASSWORD, CHEAP_KDF)
    assert read_import(original, PASSWORD).secrets[0].value == "export-secret-value"
    vault_before = path.read_bytes()
    export_file = tmp_path / "export.json"
    kinds: Counter[str] = Counter()
    cli_checked = 0
    for label, bad in mutations(original):
        try:
            got = read_import(bad, PASSWORD)
        except (WrongPasswordError, ImportFormatError) as e:
            kinds[type(e).__name__] += 1
            assert e.message
        else:
            # Even a change of JSON white space alone is refused: exports are byte-canonical.
            raise AssertionError(f"{label}: a changed export was accepted ({len(got.secrets)})")
        if label.startswith("truncated") or _is_xor(label):
            export_file.write_bytes(bad)
            code, err = _cli(
                ["--vault", str(path), "import", str(export_file), "--password-stdin"],
                capsys,
                PASSWORD + "\n",
            )
            assert code == 1, (label, err)
            line = one_clean_line(err)
            assert "export-secret-value" not in line
            assert path.read_bytes() == vault_before, f"{label}: the vault changed"
            cli_checked += 1
    refused = sum(kinds.values())
    record(
        "tamper",
        "encrypted-export",
        file_bytes=len(original),
        mutations=refused,
        refused=refused,
        refused_as=dict(kinds),
        through_cli=cli_checked,
        accepted=0,
    )


def test_a_damaged_cache_is_ignored_not_trusted(small_vault: tuple[Path, bytes]) -> None:
    path, key = small_vault
    vault = Vault.open(path, key)
    cache = Cache(vault.paths.cache, vault.paths.lock, key, vault.vault_id)
    cache.put_many({"hashicorp:engine=kv,key=k,path=p": "cached-value"})
    original = vault.paths.cache.read_bytes()
    checked = 0
    for label, bad in mutations(original)[::3]:
        vault.paths.cache.write_bytes(bad)
        fresh = Cache(vault.paths.cache, vault.paths.lock, key, vault.vault_id)
        try:
            entries = fresh.entries()
        except VaultError as e:  # pragma: no cover
            pytest.fail(f"{label}: {e}")
        assert entries == {}, label
        checked += 1
    record("tamper", "cache", mutations=checked, ignored=checked, accepted=0)
