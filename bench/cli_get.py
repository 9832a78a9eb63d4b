"""Row 2: `tui-vault get NAME` for a local secret, against `pass show NAME` (GnuPG).

`pass` is Debian's password-store. The bench installs it with apt-get if it is missing,
makes a throwaway GnuPG home with a key that has no passphrase (gpg-agent with loopback
pinentry, so nothing ever prompts), and stores the same secrets in both tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.core import TUI_VAULT, Row, Sizes, check, isolated_env, run_process, say
from bench.fixtures import local_secrets, make_vault

SECRETS = 100
TARGET = "secret-000042"


def ensure_pass(allow_install: bool) -> str:
    """Empty if `pass` is usable, else why not (installing it with apt-get if allowed)."""
    if shutil.which("pass") and shutil.which("gpg"):
        return ""
    if not allow_install:
        return "n/a (`pass` is not installed; smoke mode does not install it)"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "n/a (`pass` is not installed and apt-get cannot be run here)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "pass", "gnupg"]
    for attempt in ("install", "update+install"):
        if attempt == "update+install":
            say("  pass: running `apt-get update -q`")
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=300)
        say(f"  pass: not installed; running `{' '.join(cmd)}`")
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=600)
        if done.returncode == 0 and shutil.which("pass"):
            say("  pass: installed")
            return ""
    tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
    return f"n/a (apt-get could not install pass: {' '.join(tail)})"


class PassStore:
    """A password store with its own GnuPG home and a passphrase-less key."""

    def __init__(self) -> None:
        # Short path: gpg-agent's socket path must fit in a sockaddr_un.
        self.root = Path(tempfile.mkdtemp(prefix="tvb-gpg-", dir="/tmp"))
        self.gnupghome = self.root / "g"
        self.gnupghome.mkdir(mode=0o700)
        self.store = self.root / "store"
        (self.gnupghome / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
        (self.gnupghome / "gpg.conf").write_text("pinentry-mode loopback\n")
        self.env = isolated_env(
            self.root / "home",
            GNUPGHOME=str(self.gnupghome),
            PASSWORD_STORE_DIR=str(self.store),
        )
        (self.root / "home").mkdir()

    def _run(self, argv: list[str], stdin: bytes | None = None) -> bytes:
        done = subprocess.run(argv, env=self.env, input=stdin, capture_output=True, timeout=120)
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-2:]
            raise RuntimeError(f"{argv[0]} {argv[1]} failed: {' | '.join(tail)}")
        return done.stdout

    def setup(self, values: dict[str, str]) -> None:
        uid = "tui-vault bench <bench@example.invalid>"
        self._run(["gpgconf", "--launch", "gpg-agent"])
        self._run(
            ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "default", "default"]
        )
        listing = self._run(["gpg", "--batch", "--with-colons", "--list-keys", uid]).decode()
        fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))
        self._run(["pass", "init", fpr])
        for name, value in values.items():
            self._run(["pass", "insert", "--multiline", name], stdin=value.encode() + b"\n")

    def close(self) -> None:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=self.env, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def run(sizes: Sizes, work: Path) -> Row:
    row = Row(
        "get",
        "`tui-vault get NAME`, local secret (100-secret vault)",
        baseline_title="`pass show NAME` (GnuPG, agent running)",
    )
    secrets = local_secrets(SECRETS)
    bv = make_vault(work / "get", secrets)
    env = isolated_env(work / "home-get", TUI_VAULT_KEY=bv.key_text)
    argv = [TUI_VAULT, "--vault", str(bv.path), "get", TARGET]
    expected = next(s.value for s in secrets if s.name == TARGET)

    def ours() -> float:
        r = check(run_process(argv, env), "tui-vault get")
        assert r.stdout.decode().rstrip("\n") == expected
        return r.seconds

    reason = ensure_pass(allow_install=not sizes.smoke)
    store: PassStore | None = None
    if not reason:
        store = PassStore()
        try:
            # Smoke mode stores only the one secret it reads (each insert runs gpg once).
            wanted = [s for s in secrets if s.name == TARGET or not sizes.smoke]
            store.setup({s.name: s.value for s in wanted})
        except (RuntimeError, OSError, subprocess.TimeoutExpired, StopIteration) as e:
            reason = f"n/a (could not set up pass: {e})"
            store.close()
            store = None

    def theirs() -> float:
        assert store is not None
        r = check(run_process(["pass", "show", TARGET], store.env), "pass show")
        assert r.stdout.decode().rstrip("\n") == expected
        return r.seconds

    try:
        ours()
        if store:
            theirs()  # warm-up: gpg-agent loads the key once, as in a user's session
        mine: list[float] = []
        base: list[float] = []
        # Three times the usual runs (a pair is ~0.1 s): on this shared 2-core machine five
        # pairs gave 1.7x and 2.1x within ten minutes of each other (bench/PROFILING.md, round 8).
        for _ in range(3 * sizes.runs):  # interleaved, so drift hits both alike
            mine.append(ours())
            if store:
                base.append(theirs())
    finally:
        if store:
            store.close()
    row.measured(mine, base or None)
    if reason:
        row.na = reason
        row.baseline_title += f" — {reason}"
    return row
