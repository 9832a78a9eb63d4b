"""Hardening proofs (issue 12): what a hostile value, file, URL or path can do, and what an
accident can lose. One test (or a few) per class; each records how many cases it tried.

- terminal injection: the escaping function over every code point, hostile text through the
  CLI's messages (the TUI in tmux is tests/reliability/test_hardening_tmux.py)
- accidental overwrite: `-o` rules, `reset` of a file that is not a vault
- rollback: older vault and cache copies, an open process, --accept-rollback
- backup scrub: clear and disconnect leave nothing of what they deleted in the .bak
- URL differential: our host against WHATWG's (Node's `URL`) and urllib's
- hostile KDF parameters: refused before any derivation, fast and in little memory
- planted files: FIFOs, devices and symlinks as cache, lock, backup, vault, settings
- policy override: TUI_VAULT_POLICY never lifts the admin policy
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import read_import
from tui_vault import cli
from tui_vault.core import paths as core_paths
from tui_vault.core import rollback
from tui_vault.core.cache import Cache
from tui_vault.core.display import has_controls, needs_escape, visible
from tui_vault.core.errors import ImportFormatError, StorageError, UsageError, VaultError
from tui_vault.core.model import VaultData, domain_allowed, parse_domains, parse_url
from tui_vault.core.transfer import Argon2Params, _encrypted_bytes, export_encrypted
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key, encode_key

from ._support import CHEAP_KDF, PASSWORD, isolated_env, one_clean_line, record, run_cli

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]

DANGEROUS = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
HOSTILE = "\x1b]0;PWNED-TITLE\x07\x1b]52;c;" + base64.b64encode(b"rm -rf ~").decode() + "\x07"


def _safe(text: str) -> bool:
    """Nothing a terminal obeys or hides: no C0/C1/DEL, format, separator, surrogate or
    unassigned code point; and it encodes as UTF-8 (no lone surrogate)."""
    text.encode("utf-8")
    return not any(unicodedata.category(c) in DANGEROUS for c in text)


class Env:
    """A vault in an isolated HOME, driven by the real CLI (subprocess)."""

    def __init__(self, tmp: Path) -> None:
        self.home = tmp / "home"
        self.path = self.home / "v" / "vault.json"
        self.key_file = self.home / "key"
        self.env = isolated_env(self.home)
        done = run_cli(
            ["--vault", str(self.path), "init", "--key-file", str(self.key_file)], self.env
        )
        assert done.returncode == 0, done.stderr
        self.key = decode_key(self.key_file.read_text())
        self.env["TUI_VAULT_KEY"] = encode_key(self.key)
        self.env["TUI_VAULT_PATH"] = str(self.path)

    def cli(self, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        return run_cli(list(args), self.env, input=stdin, timeout=30)

    def open(self) -> Vault:
        return Vault.open(self.path, self.key)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    e = Env(tmp_path)
    for k, v in e.env.items():
        monkeypatch.setenv(k, v)  # in-process Vault objects use the same state dir
    return e


def run_main(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """cli.main in-process (for cases that need a patched admin policy path)."""
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), newline="\n")
    out = io.TextIOWrapper(io.BytesIO(), write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), write_through=True)
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = int(e.code or 0)
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
        rollback.set_accept_rollback(False)
    return code, out.buffer.getvalue().decode(), err.buffer.getvalue().decode()  # type: ignore[attr-defined]


# ------------------------------------------------------------------ terminal injection


def test_escaping_every_code_point() -> None:
    """visible() over all 1,114,112 code points: what it keeps is harmless, what it replaces
    becomes harmless text, and it is consistent (replaced iff needs_escape)."""
    kept = replaced = 0
    pictures = {chr(0x2400 + c) for c in range(0x20)} | {"\u2421"}
    for cp in range(0x110000):
        ch = chr(cp)
        shown = visible(ch)
        if shown == ch:
            assert unicodedata.category(ch) not in DANGEROUS and not needs_escape(ch), hex(cp)
            kept += 1
        else:
            # replaced by printable ASCII (\x9b, \u202e, \U000e0001) or one control picture
            assert needs_escape(ch), hex(cp)
            assert shown in pictures or (shown.isascii() and shown.isprintable()), hex(cp)
            assert visible(shown) == shown, hex(cp)
            replaced += 1
    for cp in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x202E, 0x2066, 0x200B, 0xFEFF):
        assert needs_escape(chr(cp)), hex(cp)
    assert visible("\x1b]0;x\x07") == "␛]0;x␇"
    assert visible("\x9b31m\u202etxt.exe") == "\\x9b31m\\u202etxt.exe"
    record("terminal", "all-code-points", cases=kept + replaced, kept=kept, replaced=replaced)


def test_escaping_property_on_mixed_text() -> None:
    cases = 0

    @settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40))
    def prop(text: str) -> None:
        nonlocal cases
        cases += 1
        shown = visible(text)
        assert _safe(shown)
        assert visible(shown) == shown
        assert has_controls(text) == (shown != text)
        # Every harmless character survives, in order.
        kept = "".join(c for c in text if not needs_escape(c))
        it = iter(shown)
        assert all(c in it for c in kept)

    prop()
    record("terminal", "mixed-text", cases=cases)


def test_hostile_text_never_reaches_the_terminal_from_the_cli(env: Env, tmp_path: Path) -> None:
    """Values from an imported Postman file, link fields, paths and argv in error lines: every
    CLI message shows them escaped; `get` still gives the exact bytes (its job)."""
    postman = tmp_path / "env.json"
    postman.write_text(
        json.dumps(
            {
                "values": [{"key": "EVIL", "value": HOSTILE, "enabled": True}],
                "_postman_variable_scope": "environment",
            }
        )
    )
    raw_controls = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066")
    runs: list[tuple[list[str], bytes]] = [
        (["import", str(postman)], b""),
        (["list"], b""),
        (["list", "--json"], b""),
        (["get", "NOPE\x1b]0;t\x07"], b""),
        (["--vault", str(tmp_path / "no\x1b]0;t\x07vault.json"), "list"], b""),
        (["export", "-o", str(tmp_path / "a\u202eb"), "--format", "bogus\x1b]0;t\x07"], b""),
        (["get", "EVIL", "--url", "https://x\x1b]0;t\x07.com"], b""),
        (["integration", "connect", "hashicorp", "--url", "\x9b31m", "--auth", "x\u2066"], b""),
        (["link", "L", "--provider", "aws", "--secret-id", "a\u202eb\x1b]0;t\x07"], b""),
        (["unlink", "L"], b""),
        (["run", "--", "no-such-\x1b]0;t\x07cmd"], b""),
    ]
    warned = False
    for args, stdin in runs:
        done = env.cli(*args, stdin=stdin)
        text = (done.stdout + done.stderr).decode("utf-8", "surrogateescape")
        for c in raw_controls:
            assert c not in text, (args, text)
        if args[0] == "import":
            assert done.returncode == 0, done.stderr
            warned = "control or invisible characters (EVIL)" in text
    assert warned
    got = env.cli("get", "EVIL")
    assert got.returncode == 0 and got.stdout == HOSTILE.encode() + b"\n"  # raw, on purpose
    record("terminal", "cli-messages", cases=len(runs) + 1, raw_control_bytes_seen=0)


# ------------------------------------------------------------------ accidental overwrite


def test_output_files_are_never_replaced_by_accident(env: Env, tmp_path: Path) -> None:
    assert env.cli("set", "A", stdin=b"value-a").returncode == 0
    assert env.cli("set", "B", stdin=b"value-b").returncode == 0  # so a .bak exists
    env.cli("list")
    (env.path.parent / "vault.json.cache").write_bytes(b"x")
    vault_bytes = env.path.read_bytes()
    cases = 0

    def export(target: Path | str, *extra: str) -> subprocess.CompletedProcess[bytes]:
        nonlocal cases
        cases += 1
        return env.cli("export", "-o", str(target), "--format", "plaintext", *extra)

    def inject(target: Path | str, *extra: str) -> subprocess.CompletedProcess[bytes]:
        nonlocal cases
        cases += 1
        return env.cli("inject", "-o", str(target), *extra, stdin=b"A={{vault:A}}\n")

    # The vault, its companions and the key file: refused even with --force.
    hard = env.path.parent / "hard-link"
    os.link(env.path, hard)
    sym = tmp_path / "sym-to-vault"
    sym.symlink_to(env.path)
    companions = [
        env.path,
        *(
            env.path.with_name(env.path.name + s)
            for s in (
                ".bak",
                ".cache",
                ".lock",
                ".passphrase",
                ".log",
                ".log.1",
                ".log.head",
                ".log.lock",
            )
        ),
    ]
    for target in [*companions, env.key_file, hard, sym]:
        before = target.read_bytes() if target.exists() else None
        for write in (export, inject):
            for extra in (("--force",),):  # the strongest case: even with --force
                done = write(target, *extra, *(["--key-file", str(env.key_file)]))
                assert done.returncode == 1, (target, done.stderr)
                assert "--force does not change that" in one_clean_line(done.stderr)
                assert (target.read_bytes() if target.exists() else None) == before
    assert env.path.read_bytes() == vault_bytes

    # An existing file: refused, then replaced with --force, 0600, and the message says so.
    out = tmp_path / "out.json"
    out.write_text("precious")
    out.chmod(0o644)
    for write in (export, inject):
        done = write(out)
        assert done.returncode == 1 and "--force" in one_clean_line(done.stderr)
        assert out.read_text() == "precious"
    done = export(out, "--force")
    assert done.returncode == 0, done.stderr
    mode = stat.S_IMODE(out.stat().st_mode)
    assert mode == 0o600 and f"mode {mode:04o}" in done.stderr.decode()
    # Through a symlink to a 0644 file: the target becomes 0600, the message is honest.
    target = tmp_path / "target.env"
    target.write_text("old")
    target.chmod(0o644)
    link = tmp_path / "link.env"
    link.symlink_to(target)
    done = export(link, "--force")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and "mode 0600" in done.stderr.decode()
    # A FIFO is written through, and stays a FIFO.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = inject(fifo)
    reader.join(10)
    assert done.returncode == 0 and got == [b"A=value-a\n"] and stat.S_ISFIFO(fifo.lstat().st_mode)
    # /dev/null (a character device) too.
    assert inject("/dev/null").returncode == 0

    # No plaintext temp file, ever: a new file is created in place; old leftovers are swept.
    stale = tmp_path / ".fresh.json.tmp-0123456789ab"
    stale.write_text("value-a from an old crash")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / "fresh.json"
    before_names = set(os.listdir(tmp_path))
    assert export(fresh).returncode == 0
    assert set(os.listdir(tmp_path)) - before_names == {"fresh.json"}
    assert not stale.exists()
    record("overwrite", "output-files", cases=cases, failures=0)


def test_output_written_in_place_leaves_no_temp_when_killed(env: Env, tmp_path: Path) -> None:
    """SIGKILL in the middle of writing a large plaintext export: no hidden temp file."""
    # 20,000 secrets (4 MB of plaintext export), imported in one go.
    entries = [{"name": f"K{i}", "value": "v" * 200} for i in range(20000)]
    (tmp_path / "many.json").write_text(json.dumps(entries))
    assert env.cli("import", str(tmp_path / "many.json")).returncode == 0
    kills = 0
    for delay in (0.05, 0.15, 0.3, 0.5):
        out = tmp_path / f"kill-{kills}.json"
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_vault", "export", "-o", str(out), "--format", "plaintext"],
            env=env.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.kill()
        proc.wait()
        kills += 1
        leftovers = [n for n in os.listdir(tmp_path) if ".tmp-" in n]
        assert leftovers == [], leftovers
        if out.exists():
            assert stat.S_IMODE(out.stat().st_mode) == 0o600
    record("overwrite", "killed-export", cases=kills, temp_files_left=0)


def test_reset_deletes_only_a_vault(env: Env, tmp_path: Path) -> None:
    cases = 0
    package = tmp_path / "package.json"
    package.write_text('{"name": "tui-vault", "format": "tui-vault", "version": 1}\n')
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for target in (package, fifo, Path("/dev/null")):
        before = target.read_bytes() if target.is_file() else None
        started = time.monotonic()
        done = run_cli(["reset", "--yes", "--vault", str(target)], env.env, timeout=20)
        cases += 1
        assert done.returncode == 1 and "not deleting it" in one_clean_line(done.stderr)
        assert time.monotonic() - started < 15
        assert target.exists() and (before is None or target.read_bytes() == before)
    assert fifo.is_fifo()
    record("overwrite", "reset-foreign-files", cases=cases, deleted=0)


# ------------------------------------------------------------------ rollback


def test_an_older_vault_copy_is_reported_and_not_written_over(env: Env) -> None:
    cases = 0
    assert env.cli("set", "TOKEN", stdin=b"old-token").returncode == 0
    old_copy = env.path.read_bytes()
    assert env.cli("set", "TOKEN", stdin=b"rotated-token").returncode == 0
    # 1. an old genuine copy (here: the backup) put back in place
    for source in ("backup", "copy"):
        if source == "backup":
            shutil.copyfile(env.path.with_name("vault.json.bak"), env.path)
        else:
            env.path.write_bytes(old_copy)
        put_back = env.path.read_bytes()
        got = env.cli("get", "TOKEN")
        cases += 1
        assert got.returncode == 0 and got.stdout == b"old-token\n"  # reading goes on...
        assert b"older copy" in got.stderr and b"--accept-rollback" in got.stderr  # ...warned
        for args in (("set", "X"), ("unset", "TOKEN"), ("clear", "--yes")):
            done = env.cli(*args, stdin=b"x")
            cases += 1
            assert done.returncode == 1, (args, done.stderr)
            assert b"not saving over it" in done.stderr
            assert env.path.read_bytes() == put_back
        # Accepting it, before or after the subcommand: then it is the newest again.
        flag_first = source == "backup"
        args = (
            ("--accept-rollback", "set", "Y") if flag_first else ("set", "Y", "--accept-rollback")
        )
        done = env.cli(*args, stdin=b"y")
        cases += 1
        assert done.returncode == 0, done.stderr
        ok = env.cli("set", "TOKEN", stdin=b"rotated-token")
        assert ok.returncode == 0 and b"older copy" not in ok.stderr
    # 2. an open process never adopts an older generation than it holds
    holder = env.open()
    before = env.path.read_bytes()
    holder.set_value("Z", "z")
    env.path.write_bytes(before)  # the older copy comes back under the open vault
    with pytest.raises(rollback.RollbackError):
        holder.set_value("W", "w")
    cases += 1
    assert env.path.read_bytes() == before and holder.get("Z").value == "z"
    # 3. a forged record (not authenticated by the key) is not believed
    record_file = rollback.records_dir() / f"{holder.vault_id}.json"
    doc = json.loads(record_file.read_text())
    doc["vault_generation"] = 10**6
    record_file.write_text(json.dumps(doc))
    assert env.cli("--accept-rollback", "set", "V", stdin=b"v").returncode == 0
    assert b"older copy" not in env.cli("get", "V").stderr
    cases += 1
    record("rollback", "vault", cases=cases, failures=0)


def test_a_replayed_cache_is_ignored(env: Env) -> None:
    vault = env.open()
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    cache.put_many({"aws:secret_id=db": "old-value"})
    old = vault.paths.cache.read_bytes()
    cache.put_many({"aws:secret_id=db": "rotated-value"})
    cases = 0
    for _ in range(3):
        vault.paths.cache.write_bytes(old)  # the older cache file comes back
        for fresh in (True, False):  # a new process, and the one that wrote it
            c = (
                Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
                if fresh
                else cache
            )
            c._doc = None  # read the file again
            entry = c.get("aws:secret_id=db", 3600)
            cases += 1
            assert entry is None or entry.value == "rotated-value", entry
    # Writing after a replay continues above the newest generation (not from the old one).
    cache.put_many({"aws:secret_id=db": "newest"})
    again = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    assert again.get("aws:secret_id=db", 3600).value == "newest"  # type: ignore[union-attr]
    # cache reset (no key) deletes the file; the next write is still accepted afterwards.
    assert env.cli("cache", "reset").returncode == 0
    cache.put_many({"aws:secret_id=db": "after-reset"})
    third = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    assert third.get("aws:secret_id=db", 3600).value == "after-reset"  # type: ignore[union-attr]
    record("rollback", "cache", cases=cases + 2, failures=0)


# ------------------------------------------------------------------ backup scrub


def _backup_data(env: Env) -> Any:
    bak = env.path.with_name("vault.json.bak")
    return Vault.open(bak, env.key, None).data if bak.exists() else None


def test_clear_reset_and_disconnect_scrub_the_backup(env: Env) -> None:
    marker = "SCRUB-MARKER-4471"
    cases = 0
    for round_ in range(3):
        for i in range(3):
            assert env.cli("set", f"S{round_}{i}", stdin=marker.encode()).returncode == 0
        assert env.cli("clear", "--yes").returncode == 0
        data = _backup_data(env)
        cases += 1
        assert data is not None and data.secrets == {}, "clear left secrets in the backup"
        assert marker.encode() not in env.path.with_name("vault.json.bak").read_bytes()
    # disconnect: the token is not in the backup generation either
    vault = env.open()
    vault.set_integration(
        "hashicorp", {"url": "http://127.0.0.1:1", "auth": "token", "token": marker}
    )
    vault.set_value("after", "x")  # so the credentials are in the backup too
    assert env.cli("integration", "disconnect", "hashicorp").returncode == 0
    data = _backup_data(env)
    cases += 1
    assert data is not None and "hashicorp" not in data.integrations
    # reset: no backup left at all
    assert env.cli("set", "R", stdin=marker.encode()).returncode == 0
    done = run_cli(["reset", "--yes"], {k: v for k, v in env.env.items() if k != "TUI_VAULT_KEY"})
    assert done.returncode == 0, done.stderr
    cases += 1
    assert not env.path.with_name("vault.json.bak").exists()
    leftovers = [p for p in env.path.parent.iterdir() if marker.encode() in p.read_bytes()]
    assert leftovers == []
    record("scrub", "backup", cases=cases, failures=0)


# ------------------------------------------------------------------ URL differential

NODE = shutil.which("node")
URL_ATOMS = [
    "http://",
    "https://",
    "a.com",
    "b.com",
    "allowed.example",
    "evil.test",
    "\\",
    "/",
    "@",
    ":",
    "443",
    "8080",
    "#",
    "?",
    "%2e",
    "%40",
    "\t",
    "\n",
    "\r",
    " ",
    "\x00",
    "\x1b",
    "\x85",
    "\u3002",
    "\uff0e",
    "[",
    "]",
    "::1",
    ".",
    "..",
    "-",
    "user:pw@",
    "é",
    "\u200b",
    "x",
]


def _whatwg_hosts(urls: list[str]) -> list[str | None]:
    """Hostnames as Node's WHATWG URL parser (what `fetch` uses) reads them."""
    assert NODE is not None
    script = (
        "const urls = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(urls.map(u => { try { return new URL(u).hostname; }"
        " catch (e) { return null; } })));"
    )
    out = subprocess.run(
        [NODE, "-e", script], input=json.dumps(urls), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_url_parsing_agrees_with_whatwg_and_urllib() -> None:
    from urllib.parse import urlsplit

    if NODE is None:
        pytest.fail("node is needed for the WHATWG side of the URL differential")
    hand = [
        "http://B\\@A/",
        "http://evil.test\\@allowed.example/",
        "http://allowed.example@evil.test/",
        "http://evil.test#@allowed.example",
        "http://evil.test?@allowed.example",
        "http://allowed.example\t.evil.test/",
        "http://allowed.exa\nmple/",
        "http://a.com%2f@b.com",
        "http://evil.test\u3002allowed.example",
        "https://allowed.example:443/x",
        "allowed.example/x",
        "http://[::1]:8080/",
        "http://ALLOWED.example/",
        "http://allowed.example./",
        "https://allowed.example:99999",
        "http:/\\evil.test/",
        "http:evil.test",
        "http://%61llowed.example/",
    ]
    generated: list[str] = []

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.sampled_from(URL_ATOMS), min_size=1, max_size=8).map("".join))
    def gen(url: str) -> None:
        generated.append(url)

    gen()
    urls = hand + generated
    accepted: list[tuple[str, str]] = []
    refused = 0
    for url in urls:
        try:
            parsed = parse_url(url)
        except UsageError:
            refused += 1
            continue
        accepted.append((url, parsed.host))
    # No scheme of its own (at the start): parse_url reads it as https://, so do the others.
    full = [
        u if re.match(r"[a-z][a-z0-9+.-]*://", u, re.I) else f"https://{u}" for u, _ in accepted
    ]
    whatwg = _whatwg_hosts(full)
    for (url, ours), theirs, f in zip(accepted, whatwg, full, strict=True):
        assert theirs is not None, url
        assert theirs.strip("[]") == ours, (url, ours, theirs)
        assert (urlsplit(f).hostname or "") == ours, (url, ours)
    # The case: a secret for host A is never sent to B.
    assert not domain_allowed(["a.com"], "http://b.com\\@a.com/")
    for bad in (".", "..", "-a.com", "a..com", "a-.com", "*.", "a.com."):
        with pytest.raises(VaultError):
            parse_domains(bad)
    record(
        "urls",
        "differential",
        cases=len(urls),
        accepted=len(accepted),
        refused=refused,
        disagreements=0,
        parsers="ours, WHATWG (Node URL), urllib",
    )


def test_bad_urls_exit_2_through_the_cli(env: Env) -> None:
    assert env.cli("set", "T", "--allowed-domains", "a.com", stdin=b"t").returncode == 0
    bad = ["http://b.com\\@a.com/", "http://u@a.com", "http://a.com\t", "http://a.com\x1b"]
    for url in bad:
        for cmd in (
            ["get", "T", "--url", url],
            ["inject", "--url", url],
            ["run", "--url", url, "--", "true"],
        ):
            done = env.cli(*cmd, stdin=b"{{vault:T}}")
            assert done.returncode == 2, (cmd, url, done.stderr)
            assert done.stdout == b"" and b"\x1b" not in done.stderr
            assert b"--url" in done.stderr
    for domain in (".", "..", "-a.com"):
        done = env.cli("set", "D", f"--allowed-domains={domain}", stdin=b"d")
        assert done.returncode != 0 and b"invalid allowed domain" in done.stderr
    record("urls", "cli", cases=len(bad) * 3 + 3, failures=0)


# ------------------------------------------------------------------ hostile KDF


def _hostile_export(tmp: Path, **kdf: int) -> Path:
    raw = export_encrypted(VaultData(), PASSWORD, CHEAP_KDF)
    doc = json.loads(raw)
    doc["kdf"].update(kdf)
    path = tmp / f"hostile-{'-'.join(f'{k}{v}' for k, v in kdf.items())}.json"
    path.write_bytes(_encrypted_bytes(doc))
    return path


HOSTILE_KDF = [
    {"memory_cost": 1024 * 1024},  # 1 GiB (the old cap; ~70 s)
    {"memory_cost": 256 * 1024 + 1},
    {"iterations": 11},
    {"iterations": 1000},
    {"lanes": 9},
    {"lanes": 64, "memory_cost": 64 * 1024},
    {"memory_cost": 4},  # below 8 KiB per lane
]


def _measured(args: list[str], env: dict[str, str]) -> tuple[int, bytes, float, int]:
    """Exit code, stderr, seconds and peak RSS (KiB, VmHWM sampled until exit) of one run,
    with the password on stdin."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_vault", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write((PASSWORD + "\n").encode())
    proc.stdin.close()
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    peak = 0
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    reader.join()
    return proc.returncode, b"".join(err), time.monotonic() - started, peak


def test_hostile_kdf_parameters_fail_fast(env: Env, tmp_path: Path) -> None:
    figures: dict[str, Any] = {}
    for kdf in HOSTILE_KDF:
        path = _hostile_export(tmp_path, **kdf)
        with pytest.raises(ImportFormatError, match="out of range"):
            read_import(path.read_bytes(), PASSWORD)
        code, err, seconds, rss = _measured(["import", str(path), "--password-stdin"], env.env)
        assert code == 1 and b"out of range" in err, err
        assert seconds < 10 and rss < 150 * 1024, (kdf, seconds, rss)
        figures[",".join(f"{k}={v}" for k, v in kdf.items())] = {
            "seconds": round(seconds, 2),
            "peak_rss_mib": rss // 1024,
        }
    # Nothing can derive with parameters over the caps, whoever built them.
    with pytest.raises(ImportFormatError):
        export_encrypted(VaultData(), PASSWORD, Argon2Params(11, 1, 8))
    record("kdf", "hostile-parameters", cases=len(HOSTILE_KDF) * 2 + 1, failures=0, runs=figures)


# ------------------------------------------------------------------ planted files


def test_planted_files(env: Env, tmp_path: Path) -> None:
    assert env.cli("set", "A", stdin=b"a").returncode == 0
    assert env.cli("set", "B", stdin=b"b").returncode == 0
    d = env.path.parent
    cache, lock, bak = (d / f"vault.json{s}" for s in (".cache", ".lock", ".bak"))
    outcomes: dict[str, str] = {}

    def timed(label: str, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        started = time.monotonic()
        done = env.cli(*args, stdin=stdin)
        assert time.monotonic() - started < 15, label
        outcomes[label] = f"exit {done.returncode}"
        return done

    # cache: a FIFO, /dev/zero by symlink, a symlink to the vault, another user's file
    for label, plant in (
        ("cache FIFO", lambda: os.mkfifo(cache)),
        ("cache -> /dev/zero", lambda: cache.symlink_to("/dev/zero")),
        ("cache -> vault", lambda: cache.symlink_to(env.path)),
    ):
        plant()
        done = timed(label, "list")
        assert done.returncode == 0 and b"A" in done.stdout, (label, done.stderr)
        cache.unlink()
    cache.write_bytes(b"{}")
    os.chown(cache, 65534, 65534)
    assert timed("cache owned by another user", "list").returncode == 0
    cache.unlink()

    # lock: a symlink (to a file of the user's) is not followed
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    done = timed("lock -> file", "set", "C", stdin=b"c")
    assert done.returncode == 1 and b"symbolic link" in done.stderr
    assert victim.read_text() == "untouched"
    lock.unlink()
    lock.symlink_to(tmp_path / "does-not-exist")
    assert timed("lock -> nowhere", "set", "C", stdin=b"c").returncode == 1
    assert not (tmp_path / "does-not-exist").exists()
    lock.unlink()

    # backup: a symlink to the vault would silently switch the backup off
    bak.unlink()
    bak.symlink_to(env.path)
    before = env.path.read_bytes()
    done = timed(".bak -> vault", "set", "C", stdin=b"c")
    assert done.returncode == 1 and b"symbolic link" in done.stderr
    assert env.path.read_bytes() == before
    bak.unlink()
    assert timed("after removing the link", "set", "C", stdin=b"c").returncode == 0

    # the vault itself: a FIFO, a device, another user's file
    other = tmp_path / "other" / "vault.json"
    other.parent.mkdir(mode=0o700)
    os.mkfifo(other)
    for label, target in (("vault FIFO", other), ("vault /dev/zero", Path("/dev/zero"))):
        done = run_cli(["--vault", str(target), "list"], env.env, timeout=20)
        outcomes[label] = f"exit {done.returncode}"
        assert done.returncode == 1 and b"not a regular file" in done.stderr, done.stderr
    foreign = tmp_path / "foreign" / "vault.json"
    foreign.parent.mkdir(mode=0o700)
    shutil.copyfile(env.path, foreign)
    os.chown(foreign, 65534, 65534)
    done = run_cli(["--vault", str(foreign), "list"], env.env)
    outcomes["vault of another user"] = f"exit {done.returncode}"
    assert done.returncode == 1 and b"belongs to another user" in done.stderr

    # settings: /dev/zero by symlink (a warning and defaults, at once)
    settings_file = Path(env.env["TUI_VAULT_SETTINGS"])
    settings_file.symlink_to("/dev/zero")
    done = timed("settings -> /dev/zero", "get", "A")
    assert done.returncode == 0 and b"not a regular file" in done.stderr
    settings_file.unlink()

    # a vault directory others can write in: refused with the reason
    d.chmod(0o777)
    done = timed("vault dir 0777", "get", "A")
    assert done.returncode == 1 and b"writable by other users" in done.stderr
    d.chmod(0o770)
    assert timed("vault dir 0770", "get", "A").returncode == 1
    d.chmod(0o700)

    # new parent directories are 0700 whatever the umask
    deep = tmp_path / "new" / "deeper" / "vault.json"
    done = run_cli(["--vault", str(deep), "init", "--key-file", str(tmp_path / "k2")], env.env)
    assert done.returncode == 0, done.stderr
    for p in (tmp_path / "new", tmp_path / "new" / "deeper"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p
    outcomes["new parents"] = "0700"
    # a key file may be a pipe (`--key-file <(pass show vault)`)
    fifo_key = tmp_path / "key-fifo"
    os.mkfifo(fifo_key)
    writer = threading.Thread(target=lambda: fifo_key.write_text(env.key_file.read_text()))
    writer.start()
    env_no_key = {k: v for k, v in env.env.items() if k != "TUI_VAULT_KEY"}
    done = run_cli(["--key-file", str(fifo_key), "get", "A"], env_no_key, timeout=20)
    writer.join(10)
    assert done.returncode == 0 and done.stdout == b"a\n", done.stderr
    outcomes["key file FIFO"] = "exit 0"
    record("planted", "files", cases=len(outcomes), failures=0, outcomes=outcomes)


def test_core_reads_refuse_planted_files(tmp_path: Path) -> None:
    from tui_vault.core.store import read_checked, read_file

    cases = 0
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real")
    (tmp_path / "real").write_bytes(b"x")
    big = tmp_path / "big"
    big.write_bytes(b"x" * 100)
    for path, kwargs in (
        (fifo, {}),
        (Path("/dev/zero"), {}),
        (link, {"follow": False}),
        (big, {"limit": 10}),
    ):
        started = time.monotonic()
        with pytest.raises(VaultError):
            read_checked(path, "file", kwargs.pop("limit", 1 << 20), **kwargs)  # type: ignore[arg-type]
        assert time.monotonic() - started < 2
        cases += 1
    os.chown(big, 65534, 65534)
    with pytest.raises(StorageError, match="another user"):
        read_file(big)
    cases += 1
    record("planted", "core-reads", cases=cases, failures=0)


# ------------------------------------------------------------------ policy override


def test_user_policy_never_lifts_the_admin_policy(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = tmp_path / "etc-policy.toml"
    admin.write_text('[export]\nallow = ["encrypted"]\n')
    monkeypatch.setattr(core_paths, "DEFAULT_POLICY", admin)
    permissive = tmp_path / "mine.toml"
    permissive.write_text('[export]\nallow = ["encrypted", "plaintext"]\n')
    unreadable = tmp_path / "a-directory.toml"
    unreadable.mkdir()
    stricter = tmp_path / "stricter.toml"
    stricter.write_text("[export]\nallow = []\n")
    cases = 0

    def export(fmt: str, user_policy: str | None) -> tuple[int, str]:
        nonlocal cases
        cases += 1
        if user_policy is None:
            monkeypatch.delenv("TUI_VAULT_POLICY", raising=False)
        else:
            monkeypatch.setenv("TUI_VAULT_POLICY", user_policy)
        out = tmp_path / f"export-{cases}.json"
        code, _, err = run_main(
            ["export", "-o", str(out), "--format", fmt, "--password-stdin"],
            (PASSWORD + "\n").encode(),
        )
        assert (code == 0) == out.exists()
        return code, err

    for user in (None, str(tmp_path / "nonexistent.toml"), str(permissive), ""):
        code, err = export("plaintext", user)
        assert code == 1 and "not allowed by the admin policy" in err, (user, err)
    code, err = export("plaintext", "/dev/null")  # not a regular file: cannot be read
    assert code == 1 and "export is disabled" in err
    assert export("encrypted", str(permissive))[0] == 0
    code, err = export("encrypted", str(unreadable))  # the user's own file, unreadable
    assert code == 1 and "cannot be read" in err
    code, err = export("encrypted", str(stricter))
    assert code == 1 and "disabled" in err
    # An admin policy that cannot be read forbids every export, whatever the user's says.
    admin.unlink()
    admin.mkdir()
    for fmt in ("encrypted", "plaintext"):
        code, err = export(fmt, str(permissive))
        assert code == 1 and "export is disabled" in err and "cannot be read" in err
    admin.rmdir()
    os.mkfifo(admin)
    code, err = export("encrypted", str(permissive))
    assert code == 1 and "cannot be read" in err
    record("policy", "override", cases=cases, failures=0)
