"""Row 5: a vault of 100,000 secrets: unlock, `list --json`, one edit saved, peak memory.

Unlock and the edit are timed in-process through the core (what the TUI does); `list --json`
runs the real command in a fresh process, whose own peak RSS (wait4) is the memory figure.
Each has a baseline from the same run: the raw floor of the same work, or the same command
on a small vault.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.core import TUI_VAULT, Row, Sizes, check, isolated_env, run_for_rss, timed
from bench.fixtures import BenchVault, local_secrets, make_vault
from tui_vault.core import crypto
from tui_vault.core.store import Envelope, atomic_write, read_file
from tui_vault.core.vault import Vault

SMALL = 10


def unlock(bv: BenchVault) -> float:
    return timed(lambda: Vault.open(bv.path, bv.key))


def raw_unlock(bv: BenchVault) -> float:
    """The floor: read the file, decrypt it, parse the JSON; no checks, no objects."""
    import base64

    def go() -> None:
        doc = json.loads(read_file(bv.path))
        salt = bytes.fromhex(doc["vault_id"])
        key = crypto.derive_subkey(bv.key, salt, "vault")
        env = Envelope(
            "vault",
            doc["vault_id"],
            base64.b64decode(doc["key_check"]),
            doc["generation"],
            base64.b64decode(doc["nonce"]),
            base64.b64decode(doc["ciphertext"]),
        )
        json.loads(crypto.unseal(key, env.nonce, env.ciphertext, env.aad()))

    return timed(go)


def list_json(bv: BenchVault, env: dict[str, str], expect: int) -> tuple[float, int]:
    argv = [TUI_VAULT, "--vault", str(bv.path), "list", "--json"]
    r = check(run_for_rss(argv, env), "tui-vault list --json")
    rows = json.loads(r.stdout)
    if len(rows) != expect:
        raise RuntimeError(f"list --json printed {len(rows)} rows, expected {expect}")
    return r.seconds, r.maxrss_bytes


def run(sizes: Sizes, work: Path) -> list[Row]:
    n = sizes.scale_secrets
    big = make_vault(work / "scale", local_secrets(n))
    small = make_vault(work / "scale-small", local_secrets(SMALL))
    size_mib = big.path.stat().st_size / (1024 * 1024)
    runs = sizes.slow_runs

    unlock_row = Row(
        "scale_unlock",
        f"Unlock a vault of {n:,} secrets (read, decrypt, parse; {size_mib:.0f} MiB file)",
        baseline_title="raw floor: read + AES-GCM decrypt + json.loads, no checks",
    )
    unlock(big)
    raw_unlock(big)
    mine, base = [], []
    for _ in range(runs):
        mine.append(unlock(big))
        base.append(raw_unlock(big))
    unlock_row.measured(mine, base)

    list_row = Row(
        "scale_list",
        f"`tui-vault list --json` on {n:,} secrets",
        baseline_title=f"the same command on a {SMALL}-secret vault",
    )
    mem_row = Row(
        "scale_memory",
        f"Peak memory (maxrss) of `list --json` on {n:,} secrets",
        baseline_title=f"the same command on a {SMALL}-secret vault",
        unit="bytes",
    )
    big_env = isolated_env(work / "home-scale", TUI_VAULT_KEY=big.key_text)
    small_env = isolated_env(work / "home-scale", TUI_VAULT_KEY=small.key_text)
    list_json(small, small_env, SMALL)
    times, rss, small_times, small_rss = [], [], [], []
    # Twice the slow rows' runs: the ratio sat at 4.5-5.0x from run to run with five pairs.
    for _ in range(2 * runs):  # interleaved, so drift hits both alike
        t, m = list_json(big, big_env, n)
        times.append(t)
        rss.append(float(m))
        t, m = list_json(small, small_env, SMALL)
        small_times.append(t)
        small_rss.append(float(m))
    list_row.measured(times, small_times)
    mem_row.measured(rss, small_rss)

    edit_row = Row(
        "scale_edit",
        f"One edit saved in a vault of {n:,} secrets (vault already open)",
        baseline_title="floor: encrypt + atomic write of the same bytes",
    )
    vault = Vault.open(big.path, big.key)
    plaintext = json.dumps(vault.data.to_json(), separators=(",", ":")).encode()
    enc_key = vault.subkey("vault")
    floor_path = work / "scale" / "floor.bin"

    def edit(i: int) -> float:
        return timed(lambda: vault.set_value("secret-000042", f"edited value {i}"))

    def floor() -> float:
        return timed(lambda: atomic_write(floor_path, crypto.seal(enc_key, plaintext, b"")[1]))

    edit(-1)
    floor()
    mine, base = [], []
    for i in range(runs):
        mine.append(edit(i))
        base.append(floor())
    edit_row.measured(mine, base)
    if Vault.open(big.path, big.key).get("secret-000042").value != f"edited value {runs - 1}":
        raise RuntimeError("the edit was not saved")
    return [unlock_row, list_row, edit_row, mem_row]
