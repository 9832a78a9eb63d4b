"""Profile the slow rows with pyinstrument, in-process, at full size.

    python -m bench.profile                  every workload
    python -m bench.profile unlock list      some of them

Writes bench/.work/profiles/NAME.txt (and .html). The workloads are the rows' own
operations: the core calls for unlock and edit, `cli.main` for the commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pyinstrument import Profiler

from bench.core import WORK, say
from bench.fixtures import BenchVault, local_secrets, make_vault

OUT = WORK / "profiles"
SCALE = 100_000
TRANSFER = 10_000
PASSWORD = "correct horse battery staple"


def _cli(args: list[str], key_text: str, stdin: str = "") -> None:
    from tui_vault import cli

    os.environ["TUI_VAULT_KEY"] = key_text
    sink = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(args)
    finally:
        sys.stdin = old_stdin
        os.environ.pop("TUI_VAULT_KEY", None)  # main() takes it out itself
    if code != 0:
        raise RuntimeError(f"tui-vault {' '.join(args)} exited {code}")


def workloads(work: Path) -> dict[str, tuple[Callable[[], None], Callable[[], object]]]:
    """name -> (setup, the profiled call)."""
    state: dict[str, BenchVault] = {}

    def big() -> BenchVault:
        if "big" not in state:
            state["big"] = make_vault(work / "big", local_secrets(SCALE))
        return state["big"]

    def mid() -> BenchVault:
        if "mid" not in state:
            state["mid"] = make_vault(work / "mid", local_secrets(TRANSFER))
            export = ["export", "-o", str(work / "enc.json"), "--format", "encrypted"]
            _cli(
                ["--vault", str(state["mid"].path), *export, "--password-stdin"],
                state["mid"].key_text,
                PASSWORD + "\n",
            )
        return state["mid"]

    def unlock() -> object:
        from tui_vault.core.vault import Vault

        return Vault.open(big().path, big().key)

    def list_json() -> object:
        _cli(["--vault", str(big().path), "list", "--json"], big().key_text)
        return None

    def edit() -> object:
        from tui_vault.core.vault import Vault

        v = state.get("open") or Vault.open(big().path, big().key)
        state["open"] = v  # type: ignore[assignment]
        return v.set_value("secret-000042", "edited")  # type: ignore[attr-defined]

    def warm() -> object:
        from bench.warm import INTEGRATIONS, _linked
        from tui_vault.core.cache import Cache
        from tui_vault.core.resolver import Resolver
        from tui_vault.core.vault import Vault
        from tui_vault.integrations.registry import make_provider

        if "warm" not in state:
            linked = _linked(TRANSFER)
            bv = make_vault(work / "warm", linked, INTEGRATIONS)
            v = Vault.open(bv.path, bv.key)
            Cache(v.paths.cache, v.paths.lock, bv.key, v.vault_id).put_many(
                {s.link.fingerprint: "cached" for s in linked if s.link}
            )
            state["warm"] = bv
        bv = state["warm"]
        v = Vault.open(bv.path, bv.key)
        r = Resolver(
            v,
            Cache(v.paths.cache, v.paths.lock, bv.key, v.vault_id),
            provider_factory=make_provider,
        )
        return asyncio.run(r.resolve(list(v.data.secrets)))

    def export_enc() -> object:
        m = mid()
        export = ["export", "-o", str(work / "enc2.json"), "--format", "encrypted"]
        _cli(["--vault", str(m.path), *export, "--password-stdin"], m.key_text, PASSWORD + "\n")
        (work / "enc2.json").unlink()
        return None

    def import_enc() -> object:
        mid()
        target = make_vault(work / f"imp-{len(os.listdir(work))}", [])
        _cli(
            ["--vault", str(target.path), "import", str(work / "enc.json"), "--password-stdin"],
            target.key_text,
            PASSWORD + "\n",
        )
        return None

    return {
        "unlock": (big, unlock),
        "list": (big, list_json),
        "edit": (big, edit),
        "warm": (lambda: None, warm),
        "export_enc": (mid, export_enc),
        "import_enc": (mid, import_enc),
    }


def main(argv: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tui-vault-profile-") as tmp:
        table = workloads(Path(tmp))
        for name in argv or list(table):
            setup, call = table[name]
            setup()
            call()  # warm-up: imports and caches
            profiler = Profiler(interval=0.0005)
            profiler.start()
            call()
            profiler.stop()
            (OUT / f"{name}.txt").write_text(profiler.output_text(color=False, unicode=True))
            (OUT / f"{name}.html").write_text(profiler.output_html())
            say(f"{name}: {profiler.last_session.duration:.3f} s -> {OUT / name}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
