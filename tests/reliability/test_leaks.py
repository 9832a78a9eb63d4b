"""Leak scan: plant marker values, run every command (and its failing variants) as a real
process with its own HOME/TMPDIR and every logger at DEBUG, then search stdout, stderr, every
file under HOME and what `tui-vault run`'s child can read in /proc. Only the outputs that are
meant to hold a value (get's stdout, inject's output, the plaintext export, run --no-masking)
may contain one; the positive controls prove the search would find it.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tui_vault.core.cache import Cache
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key, encode_key, generate_key

from ._support import HERE, PY, isolated_env, record

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(240)]

LOGGED_CLI = str(HERE / "_logged_cli.py")
CHILD = str(HERE / "_leak_child.py")


def mark(kind: str) -> str:
    return f"LEAKMARK-{kind}-{secrets.token_hex(6)}"


@dataclass
class Scan:
    home: Path
    env: dict[str, str]
    markers: dict[str, str]  # kind -> marker text
    # (label, process, markers its stdout may hold, whether its stderr may hold them too)
    runs: list[tuple[str, subprocess.CompletedProcess[bytes], set[str], bool]] = field(
        default_factory=list
    )
    intended_files: dict[Path, set[str]] = field(default_factory=dict)
    inputs: set[Path] = field(default_factory=set)

    def cli(
        self,
        label: str,
        args: list[str],
        *,
        stdin: str = "",
        allowed: set[str] | frozenset[str] = frozenset(),
        code: int | tuple[int, ...] = 0,
        env: dict[str, str] | None = None,
        stderr_too: bool = False,
    ) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run(
            [PY, LOGGED_CLI, *args],
            input=stdin.encode(),
            capture_output=True,
            env=env or self.env,
            cwd=self.home,
            timeout=60,
            check=False,
        )
        codes = code if isinstance(code, tuple) else (code,)
        assert done.returncode in codes, (label, done.returncode, done.stderr.decode()[-2000:])
        assert b"Traceback" not in done.stderr, (label, done.stderr.decode())
        self.runs.append((label, done, set(allowed), stderr_too))
        return done

    def hits(self) -> list[str]:
        found: list[str] = []
        for label, done, allowed, stderr_too in self.runs:
            for kind, m in self.markers.items():
                if m.encode() in done.stderr and not (stderr_too and kind in allowed):
                    found.append(f"{label}: stderr holds {kind}")
                if kind not in allowed and m.encode() in done.stdout:
                    found.append(f"{label}: stdout holds {kind}")
        for path in sorted(self.home.rglob("*")):
            if not path.is_file() or path in self.inputs:
                continue
            data = path.read_bytes()
            allowed = self.intended_files.get(path, set())
            for kind, m in self.markers.items():
                if kind not in allowed and m.encode() in data:
                    found.append(f"{path.relative_to(self.home)} holds {kind}")
        return found

    def files_scanned(self) -> int:
        return sum(1 for p in self.home.rglob("*") if p.is_file() and p not in self.inputs)


@pytest.fixture(scope="module")
def openbao() -> Iterator[Any]:
    """A real HashiCorp-API server (OpenBao) whose root token is a marker, if available."""
    try:
        from integration.servers import OpenBaoServer  # tests/integration
    except ImportError:  # pragma: no cover - the integration helpers are not there
        yield None
        return
    token = mark("CREDENTIAL")
    try:
        server = OpenBaoServer(root_token=token).start()
    except Exception:  # pragma: no cover - no bao binary here
        yield None
        return
    server.token = token
    try:
        yield server
    finally:
        server.stop()


def test_no_value_key_password_or_credential_leaks(tmp_path: Path, openbao: Any) -> None:
    home = tmp_path / "home"
    markers = {
        "VALUE": mark("VALUE"),
        "DOMAIN_VALUE": mark("DOMAINVALUE"),
        "PASSWORD": mark("PASSWORD"),
        "LINKED_VALUE": mark("LINKED"),
        "CREDENTIAL": openbao.token if openbao else mark("CREDENTIAL"),
        "KEY_TYPO": mark("KEYTYPO"),
    }
    env = isolated_env(home, TUI_VAULT_DEBUG="1", PYTHONASYNCIODEBUG="1")
    s = Scan(home, env, markers)
    key_file = home / "vault.key"

    # --------------------------------------------------------------- create and fill
    s.cli("init", ["init", "--key-file", str(key_file)])
    key_text = key_file.read_text().strip()
    markers["KEY"] = key_text
    s.intended_files[key_file] = {"KEY"}
    env["TUI_VAULT_KEY"] = key_text
    s.cli("set", ["set", "API_TOKEN"], stdin=markers["VALUE"] + "\n")
    s.cli(
        "set --allowed-domains",
        ["set", "WEB_TOKEN", "--allowed-domains", "api.example.com"],
        stdin=markers["DOMAIN_VALUE"],
    )
    s.cli("set empty", ["set", "EMPTY"], stdin="")
    s.cli("set disabled", ["set", "OFF", "--disable"], stdin=markers["VALUE"])
    s.cli("set on argv (usage)", ["set", "ARGV", "value-on-argv"], code=2)

    # --------------------------------------------------------------- integration + link
    if openbao:
        openbao.put("secret", "leak/app", {"k": markers["LINKED_VALUE"]})
        s.cli(
            "integration connect",
            ["integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "token"],
            stdin=markers["CREDENTIAL"],
        )
    else:
        s.cli(
            "integration connect --no-verify",
            [
                "integration",
                "connect",
                "hashicorp",
                "--url",
                "http://127.0.0.1:9",
                "--auth",
                "token",
                "--no-verify",
            ],
            stdin=markers["CREDENTIAL"],
        )
    s.cli(
        "link",
        [
            "link",
            "LINKED",
            "--provider",
            "hashicorp",
            "--engine",
            "secret",
            "--path",
            "leak/app",
            "--key",
            "k",
        ],
    )
    s.cli(
        "link missing key",
        [
            "link",
            "LINKED_GONE",
            "--provider",
            "hashicorp",
            "--engine",
            "secret",
            "--path",
            "leak/app",
            "--key",
            "nope",
        ],
    )

    # --------------------------------------------------------------- reading
    got = s.cli("get", ["get", "API_TOKEN"], allowed={"VALUE"})
    assert got.stdout == (markers["VALUE"] + "\n").encode()  # positive control
    s.cli("get restricted without --url", ["get", "WEB_TOKEN"], code=4)
    s.cli("get restricted, other url", ["get", "WEB_TOKEN", "--url", "https://evil.test"], code=4)
    got = s.cli(
        "get restricted",
        ["get", "WEB_TOKEN", "--url", "https://api.example.com/x"],
        allowed={"DOMAIN_VALUE"},
    )
    assert markers["DOMAIN_VALUE"].encode() in got.stdout
    s.cli("get disabled", ["get", "OFF"], code=4)
    s.cli("get missing", ["get", "NOPE"], code=4)
    if openbao:
        got = s.cli("get linked", ["get", "LINKED"], allowed={"LINKED_VALUE"})
        assert markers["LINKED_VALUE"].encode() in got.stdout
        s.cli("get linked (cached)", ["get", "LINKED"], allowed={"LINKED_VALUE"})
    else:
        s.cli("get linked (server down)", ["get", "LINKED"], code=4)
    s.cli("get linked, key missing upstream", ["get", "LINKED_GONE"], code=4)
    s.cli("list", ["list"])
    listed = s.cli("list --json", ["list", "--json"])
    assert {r["name"] for r in json.loads(listed.stdout)} >= {"API_TOKEN", "LINKED"}
    s.cli("integration status", ["integration", "status", "--json"])
    s.cli("integration status --no-check", ["integration", "status", "--no-check"])

    # --------------------------------------------------------------- inject
    template = home / "template.txt"
    template.write_text("token={{vault:API_TOKEN}} other={{vault:EMPTY}}\n")
    got = s.cli("inject stdin", ["inject"], stdin=template.read_text(), allowed={"VALUE"})
    assert markers["VALUE"].encode() in got.stdout
    injected = home / "out" / "injected.txt"
    injected.parent.mkdir()
    s.cli("inject -i -o", ["inject", "-i", str(template), "-o", str(injected)])
    s.intended_files[injected] = {"VALUE"}
    assert markers["VALUE"] in injected.read_text()
    s.cli("inject unresolved", ["inject"], stdin="{{vault:API_TOKEN}} {{vault:NOPE}}", code=4)
    s.cli("inject restricted", ["inject"], stdin="{{vault:WEB_TOKEN}}", code=4)

    # --------------------------------------------------------------- run
    reports = []
    for label, extra_env, args, allowed in (
        ("run masked", {"TOKEN": "{{vault:API_TOKEN}}"}, [], set()),
        (
            "run masked, linked + env file",
            {"LINKED_TOKEN": "{{vault:LINKED}}"} if openbao else {},
            ["--env-file", "ENVFILE"],
            set(),
        ),
        ("run --no-masking", {"TOKEN": "{{vault:API_TOKEN}}"}, ["--no-masking"], {"VALUE"}),
    ):
        report = home / "out" / f"child-{len(reports)}.json"
        env_file = home / "child.env"
        env_file.write_text("TOKEN={{vault:API_TOKEN}}\n")
        run_args = ["run", *[str(env_file) if a == "ENVFILE" else a for a in args]]
        got = s.cli(
            label,
            [*run_args, "--", PY, CHILD, str(report)],
            env=env | extra_env,
            allowed=allowed,
            stderr_too=bool(allowed),  # --no-masking: the child's stderr is passed on as is
        )
        seen = json.loads(report.read_text())
        assert seen["value_length"] == len(markers["VALUE"]), label
        reports.append(seen)
        if allowed:
            assert markers["VALUE"].encode() in got.stdout  # positive control for masking
        else:
            assert b"token=*****" in got.stdout and b"token=*****" in got.stderr, got.stdout
    for seen in reports:
        assert not seen["self_environ_has_vault_key"]
        assert not seen["parent_environ_has_value"]
        assert "TOKEN" not in seen["self_cmdline"]
    s.cli(
        "run refs on argv (refused)",
        ["run", "--", "echo", "{{vault:API_TOKEN}}"],
        code=2,
    )
    s.cli("run unresolved", ["run", "--", "true"], env=env | {"T": "{{vault:NOPE}}"}, code=4)

    # --------------------------------------------------------------- export / import
    enc = home / "out" / "export.enc.json"
    s.cli(
        "export encrypted",
        ["export", "-o", str(enc), "--format", "encrypted", "--password-stdin"],
        stdin=markers["PASSWORD"] + "\n",
    )
    plain = home / "out" / "export.plain.json"
    s.cli("export plaintext", ["export", "-o", str(plain), "--format", "plaintext"])
    s.intended_files[plain] = {"VALUE", "DOMAIN_VALUE"}
    assert markers["VALUE"] in plain.read_text()
    s.cli(
        "import encrypted (replace)",
        ["import", str(enc), "--password-stdin", "--on-duplicate", "replace"],
        stdin=markers["PASSWORD"] + "\n",
    )
    s.cli(
        "import encrypted, wrong password",
        ["import", str(enc), "--password-stdin"],
        stdin="wrong password, long enough\n",
        code=1,
    )
    s.cli("import plaintext (keep-both)", ["import", str(plain), "--on-duplicate", "keep-both"])
    bad = home / "bad-import.json"
    bad.write_text(
        json.dumps(
            [
                {"name": "GOOD", "value": markers["VALUE"]},
                {"name": "bad name!", "value": markers["VALUE"]},
            ]
        )
    )
    s.inputs.add(bad)
    s.cli("import bad entry", ["import", str(bad)], code=1)
    bad2 = home / "bad-import-2.json"
    bad2.write_text('[{"name": "X", "value": "' + markers["VALUE"] + '", "enabled": "yes"}]')
    s.inputs.add(bad2)
    s.cli("import bad type", ["import", str(bad2)], code=1)
    bad3 = home / "bad-import-3.json"
    bad3.write_text('{"values": [{"key": "K", "value": "' + markers["VALUE"] + '"}')
    s.inputs.add(bad3)
    s.cli("import broken JSON", ["import", str(bad3)], code=1)

    # --------------------------------------------------------------- wrong keys
    other = encode_key(generate_key())
    s.cli("wrong key", ["get", "API_TOKEN"], env=env | {"TUI_VAULT_KEY": other}, code=3)
    s.cli("invalid key", ["list"], env=env | {"TUI_VAULT_KEY": markers["KEY_TYPO"]}, code=3)
    typo = key_text[:-1] + ("0" if key_text[-1] != "0" else "1")
    s.cli("key with a typo", ["list"], env=env | {"TUI_VAULT_KEY": typo}, code=3)

    # --------------------------------------------------------------- cache written encrypted
    vault_path = home / "data" / "tui-vault" / "vault.json"
    vault = Vault.open(vault_path, decode_key(key_text))
    Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id).put_many(
        {"hashicorp:planted": markers["LINKED_VALUE"]}
    )
    assert vault.paths.cache.exists()
    files_mid_run = s.files_scanned()
    hits_mid_run = s.hits()  # before the destructive commands delete the vault files

    # --------------------------------------------------------------- destructive commands
    s.cli("integration disconnect", ["integration", "disconnect", "hashicorp"])
    s.cli("unset", ["unset", "EMPTY"])
    s.cli("unset missing", ["unset", "EMPTY"], code=1)
    s.cli("cache reset", ["cache", "reset"])
    s.cli("clear without --yes", ["clear"], code=2)
    s.cli("clear", ["clear", "--yes"])
    got = s.cli("reset", ["reset", "--yes", "--no-keyring"], allowed={"NEW_KEY"})
    markers["NEW_KEY"] = got.stdout.decode().strip().splitlines()[-1]
    decode_key(markers["NEW_KEY"])  # what reset prints on stdout is the new key

    hits = sorted(set(hits_mid_run) | set(s.hits()))
    assert not hits, hits
    record(
        "leaks",
        "cli",
        commands_run=len(s.runs),
        markers=len(markers),
        files_scanned=files_mid_run + s.files_scanned(),
        proc_cmdlines_checked=2 * len(reports),
        real_server="openbao" if openbao else "none",
        leaks_found=len(hits),
    )


async def test_tui_notifications_never_show_a_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drive the TUI with Pilot over every secret kind; no notification holds a value."""
    pytest.importorskip("tui_vault.ui.app")
    from tui_vault.core.clipboard import LocalClipboard
    from tui_vault.core.model import Link, Secret
    from tui_vault.core.settings import Settings
    from tui_vault.ui.app import make_app
    from tui_vault.ui.screens.secrets import SecretsScreen

    class NoLocalClipboard(LocalClipboard):
        def available(self) -> bool:
            return False

    for k, v in isolated_env(tmp_path / "home").items():
        monkeypatch.setenv(k, v)
    value = mark("TUIVALUE")
    path = tmp_path / "vault" / "vault.json"
    vault, key = Vault.create(path)
    vault.add(Secret("TOK", value))
    vault.add(Secret("OFF", value, enabled=False))
    vault.add(Secret("WEB", value, allowed_domains=["api.example.com"]))
    vault.add(Secret("EMPTY", ""))
    vault.add(Secret("LNK", link=Link("hashicorp", {"engine": "kv", "path": "p", "key": "k"})))
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    app = make_app(
        vault_path=path,
        settings=Settings(clipboard_clear_seconds=1),
        settings_file=tmp_path / "settings.toml",
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
    )
    shown: list[str] = []
    notify = app.notify

    def spy(message: str, **kw: Any) -> None:
        shown.append(f"{kw.get('title') or ''} {message}")
        notify(message, **kw)

    app.notify = spy  # type: ignore[method-assign]
    presses = 0
    async with app.run_test(size=(110, 32)) as pilot:
        for _ in range(300):
            if app.vault is not None and isinstance(app.screen, SecretsScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, SecretsScreen)
        for _row in range(5):
            for keys in (["r"], ["r"], ["c"], ["y"], ["space"], ["space"]):
                await pilot.press(*keys)
                await app.workers.wait_for_complete()
                await pilot.pause()
                presses += len(keys)
                assert isinstance(app.screen, SecretsScreen)
            await pilot.press("down")
        # The troubleshoot screen lists the unresolved ones with their reasons.
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape", "o", "o", "slash", "T", "O", "escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert shown, "the spy saw no notification at all"
    leaked = [n for n in shown if value in n]
    assert not leaked, leaked
    record("leaks", "tui", key_presses=presses, notifications=len(shown), leaks_found=0)
