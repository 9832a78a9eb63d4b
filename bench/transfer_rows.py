"""Row 6: export and import of 10,000 secrets, plaintext and encrypted, through the CLI.

The Argon2id key derivation is timed alone (in-process, the product's own parameters) and
is the baseline of the encrypted rows; the plaintext rows' baseline is the fixed cost of any
command on that vault: `tui-vault get` of one secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.core import TUI_VAULT, Row, Sizes, check, isolated_env, run_process, timed
from bench.fixtures import local_secrets, make_vault
from tui_vault.core.transfer import Argon2Params, _derive

PASSWORD = "correct horse battery staple"


def run(sizes: Sizes, work: Path) -> list[Row]:
    n = sizes.transfer_secrets
    runs = sizes.slow_runs if sizes.smoke else sizes.runs
    src = make_vault(work / "transfer", local_secrets(n))
    env = isolated_env(work / "home-transfer", TUI_VAULT_KEY=src.key_text)
    out_dir = work / "transfer-out"
    out_dir.mkdir()
    files = {fmt: out_dir / f"export-{fmt}.json" for fmt in ("plaintext", "encrypted")}

    def export(fmt: str) -> float:
        path = files[fmt]
        if path.exists():
            path.unlink()
        argv = [TUI_VAULT, "--vault", str(src.path), "export", "-o", str(path), "--format", fmt]
        stdin = None
        if fmt == "encrypted":
            argv.append("--password-stdin")
            stdin = (PASSWORD + "\n").encode()
        return check(run_process(argv, env, stdin=stdin), f"export {fmt}").seconds

    counter = iter(range(10_000))

    def import_(fmt: str) -> float:
        target = make_vault(out_dir / f"import-{next(counter)}", [])
        ienv = isolated_env(work / "home-transfer", TUI_VAULT_KEY=target.key_text)
        argv = [TUI_VAULT, "--vault", str(target.path), "import", str(files[fmt])]
        stdin = None
        if fmt == "encrypted":
            argv.append("--password-stdin")
            stdin = (PASSWORD + "\n").encode()
        r = check(run_process(argv, ienv, stdin=stdin), f"import {fmt}")
        # The summary is a human message: it goes to stderr (data alone goes to stdout).
        if f"imported {n} new" not in r.stderr.decode():
            raise RuntimeError(f"import {fmt}: unexpected summary {r.stderr[:200]!r}")
        for p in target.path.parent.iterdir():
            p.unlink()
        os.rmdir(target.path.parent)
        return r.seconds

    def get_one() -> float:
        argv = [TUI_VAULT, "--vault", str(src.path), "get", "secret-000001"]
        return check(run_process(argv, env), "get").seconds

    params = Argon2Params()
    salt = os.urandom(16)

    def kdf() -> float:
        return timed(lambda: _derive(PASSWORD, salt, params))

    samples: dict[str, list[float]] = {
        k: [] for k in ("exp-p", "exp-e", "imp-p", "imp-e", "get", "kdf")
    }
    # Warm-up (also writes the files the imports read).
    export("plaintext")
    export("encrypted")
    get_one()
    kdf()
    for _ in range(runs):
        samples["exp-p"].append(export("plaintext"))
        samples["exp-e"].append(export("encrypted"))
        samples["imp-p"].append(import_("plaintext"))
        samples["imp-e"].append(import_("encrypted"))
        samples["get"].append(get_one())
        samples["kdf"].append(kdf())
    entries = json.loads(files["plaintext"].read_text())
    if len(entries) != n:
        raise RuntimeError(f"plaintext export holds {len(entries)} secrets, expected {n}")

    kdf_title = (
        f"Argon2id alone (t={params.iterations}, m={params.memory_cost // 1024} MiB, "
        f"p={params.lanes})"
    )
    fixed = f"`tui-vault get` on the same {n:,}-secret vault"
    return [
        Row(
            "export_plain", f"`export --format plaintext`, {n:,} secrets", baseline_title=fixed
        ).measured(samples["exp-p"], samples["get"]),
        Row(
            "export_enc", f"`export --format encrypted`, {n:,} secrets", baseline_title=kdf_title
        ).measured(samples["exp-e"], samples["kdf"]),
        Row(
            "import_plain",
            f"`import` plaintext, {n:,} secrets into an empty vault",
            baseline_title=fixed,
        ).measured(samples["imp-p"], samples["get"]),
        Row(
            "import_enc",
            f"`import` encrypted, {n:,} secrets into an empty vault",
            baseline_title=kdf_title,
        ).measured(samples["imp-e"], samples["kdf"]),
    ]
