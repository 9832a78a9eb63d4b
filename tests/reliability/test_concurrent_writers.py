"""Concurrent writers: processes changing different secrets at once lose nothing.

Two core-API writers (long-lived Vault objects, like the TUI), two CLI writers and a CLI
import run at the same time on one vault. At the end every change is there, the file opens,
and the generation count is exactly the number of saves (no save was skipped or doubled).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tui_vault.core.cache import Cache
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key

from ._support import HERE, PY, isolated_env, record, run_cli
from ._writer import name_for, value_for

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(240)]

WRITER = str(HERE / "_writer.py")
# (mode, prefix, saves, modulo): core writers rewrite their 25 secrets over and over.
WORKERS = [
    ("loop-core", "core0-", 200, 25),
    ("loop-core", "core1-", 200, 25),
    ("loop-cli", "cli0-", 15, 0),
    ("loop-cli", "cli1-", 15, 0),
]
IMPORTED = 40


def test_writers_on_different_secrets_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "v" / "vault.json"
    vault, key = Vault.create(path)
    vault.set_value("shared-before", "present from the start")
    base = vault.generation
    env = isolated_env(tmp_path / "home", TUI_VAULT_KEY=encode_key(key))
    env["PYTHONPATH"] = str(HERE)
    env["REL_PAUSE_MS"] = "15"  # core writers keep writing while the CLI ones run
    import_file = tmp_path / "import.json"
    import_file.write_text(
        json.dumps([{"name": f"imp-{i}", "value": f"imported {i}"} for i in range(IMPORTED)])
    )

    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [PY, WRITER, mode, str(path), "0", str(n), prefix, str(mod)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for mode, prefix, n, mod in WORKERS
    ]
    time.sleep(0.3)  # the import lands while the others are writing
    imported = run_cli(["--vault", str(path), "import", str(import_file)], env)
    assert imported.returncode == 0, imported.stderr.decode()
    outputs = [p.communicate(timeout=200) for p in procs]
    elapsed = time.monotonic() - started
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, (out.decode()[-500:], err.decode())

    final = Vault.open(path, key)
    got = {n: s.value for n, s in final.data.secrets.items()}
    expected: dict[str, str] = {"shared-before": "present from the start"}
    for _mode, prefix, n, mod in WORKERS:
        for i in range(n):
            expected[name_for(prefix, i, mod)] = value_for(prefix, i)
    expected.update({f"imp-{i}": f"imported {i}" for i in range(IMPORTED)})
    lost = sorted(k for k in expected if got.get(k) != expected[k])
    assert not lost, f"lost or stale updates: {lost[:10]}"
    assert set(got) == set(expected)
    saves = sum(n for _m, _p, n, _mod in WORKERS) + 1  # + the import, one transaction
    assert final.generation == base + saves
    assert Vault.open(path.with_name("vault.json.bak"), key).generation == final.generation - 1
    record(
        "race",
        "writers",
        processes=len(WORKERS) + 1,
        changes=sum(n for _m, _p, n, _mod in WORKERS) + IMPORTED,
        saves=saves,
        lost_updates=len(lost),
        seconds=round(elapsed, 1),
    )


CACHE_WRITER = """
import sys
from pathlib import Path
from tui_vault.core.cache import Cache
from tui_vault.core.vaultkey import decode_key
path, lock, key, vid, prefix, n = sys.argv[1:7]
cache = Cache(Path(path), Path(lock), decode_key(key), vid)
for i in range(int(n)):
    cache.put_many({f"{prefix}{i}": f"value {prefix}{i}"})
"""


def test_cache_writers_lose_no_entry(tmp_path: Path) -> None:
    vault, key = Vault.create(tmp_path / "vault.json")
    paths = vault.paths
    procs = [
        subprocess.Popen(
            [
                PY,
                "-c",
                CACHE_WRITER,
                str(paths.cache),
                str(paths.lock),
                encode_key(key),
                vault.vault_id,
                f"p{w}:",
                "60",
            ],
        )
        for w in range(3)
    ]
    # A vault writer shares the lock with them.
    for i in range(60):
        vault.set_value(f"s{i}", "x")
    for p in procs:
        assert p.wait(timeout=120) == 0
    cache = Cache(paths.cache, paths.lock, key, vault.vault_id)
    entries = cache.entries()
    want = {f"p{w}:{i}" for w in range(3) for i in range(60)}
    assert set(entries) == want
    assert all(entries[fp].value == f"value {fp}" for fp in want)
    record("race", "cache", processes=4, changes=len(want) + 60, lost_updates=0)
