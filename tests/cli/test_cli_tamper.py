"""The real program refuses damaged vault files and leaves them exactly as they were.

(The exhaustive sweep runs in-process in tests/unit/test_tamper.py; this samples it end to end.)
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error, run_parallel

from .conftest import Made


def test_damaged_files_are_refused_and_unchanged(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", MARKER)
    raw = made.path.read_bytes()
    doc = json.loads(raw)
    spots = {
        "header": raw.index(b'"generation"') + 14,
        "key_check": raw.index(doc["key_check"].encode()) + 3,
        "nonce": raw.index(doc["nonce"].encode()) + 5,
        "ciphertext": raw.index(doc["ciphertext"].encode()) + 10,
        "truncated": -1,
    }
    files: dict[str, Path] = {}
    written: dict[str, bytes] = {}
    for what, at in spots.items():
        damaged = bytearray(raw)
        if what == "truncated":
            damaged = damaged[: len(raw) // 2]
        else:
            damaged[at] ^= 0x04
        path = home / what / "vault.json"
        path.parent.mkdir()
        path.write_bytes(bytes(damaged))
        files[what], written[what] = path, bytes(damaged)
    calls = []
    for path in files.values():
        env = {"TUI_VAULT_PATH": str(path), "TUI_VAULT_KEY": made.key}
        calls.append((["set", "B"], "new", env))
    calls.append((["get", "A"], None, env))
    results = run_parallel(cli, calls)
    for what, (code, out, err) in zip([*files, "get"], results, strict=True):
        assert code in (1, 3), (what, code, err)
        assert out == "" and MARKER not in err
        assert_one_line_error(err)
    for what, path in files.items():
        assert sorted(p.name for p in path.parent.iterdir()) in (
            ["vault.json"],
            ["vault.json", "vault.json.lock"],
        ), what
        assert path.read_bytes() == written[what], what
