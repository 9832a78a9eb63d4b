"""Limits: a full disk, a read-only directory, a file-size limit and huge import files.

A failed save is reported as one line (StorageError, exit 1) and the previous vault stays
intact and openable. Real faults where the kernel allows them without privileges: a tiny
tmpfs in a private user+mount namespace (`unshare -r -m`), filled to the last byte and then
remounted read-only, and RLIMIT_FSIZE; plus in-process injection at every syscall of a save.
"""

from __future__ import annotations

import errno
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import read_import
from tui_vault import cli
from tui_vault.core import store
from tui_vault.core.errors import ImportFormatError, StorageError
from tui_vault.core.transfer import MAX_IMPORT_BYTES
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key

from ._support import HERE, PY, isolated_env, one_clean_line, record

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(120)]


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Vault:
    for k, v in isolated_env(tmp_path / "home").items():
        monkeypatch.setenv(k, v)
    v, key = Vault.create(tmp_path / "v" / "vault.json")
    v.set_value("KEPT", "kept value")
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    return v


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def _fault(kind: str, err: int, directory: Path) -> tuple[str, Callable[..., Any]]:
    """(name of the os function, replacement failing with err) for one step of a save."""
    d = str(directory)
    real = {n: getattr(os, n) for n in ("open", "write", "fsync", "replace")}

    def fail() -> Any:
        raise OSError(err, os.strerror(err))

    if kind == "open-temp":
        return (
            "open",
            lambda p, *a, **k: fail() if ".vault.json.tmp-" in str(p) else real["open"](p, *a, **k),
        )
    if kind == "open-lock":
        return (
            "open",
            lambda p, *a, **k: (
                fail() if str(p).endswith("vault.json.lock") else real["open"](p, *a, **k)
            ),
        )
    if kind == "write":
        return (
            "write",
            lambda fd, data: (
                fail() if ".tmp-" in _fd_path(fd) and d in _fd_path(fd) else real["write"](fd, data)
            ),
        )
    if kind == "fsync-temp":
        return (
            "fsync",
            lambda fd: (
                fail() if ".tmp-" in _fd_path(fd) and d in _fd_path(fd) else real["fsync"](fd)
            ),
        )
    if kind == "fsync-dir":
        return "fsync", lambda fd: fail() if _fd_path(fd) == d else real["fsync"](fd)
    if kind == "replace":
        return (
            "replace",
            lambda src, dst, **k: (
                fail() if str(dst).endswith("/vault.json") else real["replace"](src, dst, **k)
            ),
        )
    raise AssertionError(kind)


FAULTS = [
    ("write", errno.ENOSPC, "the disk is full"),
    ("write", errno.EDQUOT, "the disk is full"),
    ("write", errno.EIO, "Input/output error"),
    ("fsync-temp", errno.EIO, "Input/output error"),
    ("fsync-temp", errno.ENOSPC, "the disk is full"),
    ("open-temp", errno.ENOSPC, "the disk is full"),
    ("open-temp", errno.EACCES, "permission denied"),
    ("open-temp", errno.EROFS, "read-only"),
    ("replace", errno.EROFS, "read-only"),
    ("replace", errno.ENOSPC, "the disk is full"),
    ("open-lock", errno.EROFS, "read-only"),
    ("open-lock", errno.EACCES, "permission denied"),
]


@pytest.mark.parametrize(
    ("kind", "err", "words"), FAULTS, ids=[f"{k}-{errno.errorcode[e]}" for k, e, _ in FAULTS]
)
def test_a_save_failing_at_any_step_keeps_the_previous_vault(
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    err: int,
    words: str,
) -> None:
    before = vault.path.read_bytes()
    parser = cli.build_parser()
    name, fake = _fault(kind, err, vault.path.parent)
    with monkeypatch.context() as m:
        m.setattr(os, name, fake)
        with pytest.raises(StorageError) as caught:
            vault.set_value("NEW", "new value")
        assert words in caught.value.message
        m.setattr(cli, "build_parser", lambda: parser)
        m.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"cli value"), newline="\n"))
        code = cli.main(["--vault", str(vault.path), "set", "NEW"])
    line = one_clean_line(capsys.readouterr().err)
    assert code == 1 and words in line, line
    assert vault.path.read_bytes() == before
    assert not list(vault.path.parent.glob(".*.tmp-*"))
    reopened = Vault.open(vault.path, vault.key)
    assert set(reopened.data.secrets) == {"KEPT"}
    vault.set_value("NEW", "after the fault")  # and the next save works
    assert Vault.open(vault.path, vault.key).get("NEW").value == "after the fault"
    record("limits", f"inject-{kind}-{errno.errorcode[err]}", failed_saves=2, vault_intact=True)


def test_directory_flush_failing_after_the_rename(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new file is in place once renamed: a later failure must not claim otherwise, and a
    file system that cannot fsync directories (EINVAL) must not fail every save."""
    name, fake = _fault("fsync-dir", errno.EINVAL, vault.path.parent)
    with monkeypatch.context() as m:
        m.setattr(os, name, fake)
        vault.set_value("NEW", "saved")  # no error: directories cannot be synced there
    assert Vault.open(vault.path, vault.key).get("NEW").value == "saved"
    name, fake = _fault("fsync-dir", errno.EIO, vault.path.parent)
    with monkeypatch.context() as m:
        m.setattr(os, name, fake)
        with pytest.raises(StorageError) as caught:
            vault.set_value("NEW", "saved again")
    assert "unchanged" not in caught.value.message, caught.value.message
    assert Vault.open(vault.path, vault.key).get("NEW").value == "saved again"
    assert not list(vault.path.parent.glob(".*.tmp-*"))
    record("limits", "inject-fsync-dir", failed_saves=1, vault_intact=True)


def _unshare_works() -> bool:
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    done = subprocess.run(["unshare", "-r", "-m", "true"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="no unprivileged user+mount namespaces here")
def test_real_full_and_read_only_file_system(tmp_path: Path) -> None:
    """A 96 KiB tmpfs in a private namespace: filled to the last byte, then remounted ro."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    env = isolated_env(tmp_path / "home")
    done = subprocess.run(
        ["unshare", "-r", "-m", PY, str(HERE / "_fs_limits.py"), str(mnt)],
        capture_output=True,
        env=env,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    steps = json.loads(done.stdout)
    kept = steps["set before"]["vault"]
    assert steps["set before"]["code"] == 0
    for step, words in (
        ("set disk full", "the disk is full"),
        ("set read-only", "read-only"),
        ("unset read-only", "read-only"),
    ):
        s = steps[step]
        assert s["code"] == 1, (step, s["stderr"])
        assert words in one_clean_line(s["stderr"]), step
        assert s["temps"] == [], step
    assert steps["set disk full"]["vault"] == kept  # byte-identical after the failed save
    assert steps["get disk full"]["stdout"] == "kept value\n"
    assert steps["set after space freed"]["code"] == 0
    assert steps["set after space freed"]["temps"] == []
    assert steps["set read-only"]["vault"] == steps["set after space freed"]["vault"]
    assert steps["get read-only"]["stdout"] == "kept value\n"
    record("limits", "tmpfs-full-and-read-only", failed_saves=3, vault_intact=True)


def test_read_only_directory_by_permissions(vault: Vault) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions; the tmpfs test covers read-only")
    before = vault.path.read_bytes()
    vault.path.parent.chmod(0o500)
    try:
        with pytest.raises(StorageError, match="permission denied"):
            vault.set_value("NEW", "x")
    finally:
        vault.path.parent.chmod(0o700)
    assert vault.path.read_bytes() == before


def test_file_size_limit_from_the_kernel(vault: Vault, tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG) for real, without root."""
    before = vault.path.read_bytes()
    limit = len(before) + 512

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = isolated_env(tmp_path / "home2", TUI_VAULT_KEY=encode_key(vault.key))
    done = subprocess.run(
        [PY, "-m", "tui_vault", "--vault", str(vault.path), "set", "BIG"],
        input=b"v" * 4096,
        capture_output=True,
        env=env,
        preexec_fn=limit_file_size,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "File too large" in one_clean_line(done.stderr)
    assert vault.path.read_bytes() == before
    assert not list(vault.path.parent.glob(".*.tmp-*"))
    record("limits", "rlimit-fsize", failed_saves=1, vault_intact=True)


def _vm_hwm_kib(pid: int) -> int | None:
    """Peak RSS of the process's current address space (reset by exec, unlike ru_maxrss,
    which also counts the memory of the large pytest process the child was forked from)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _run_measured(args: list[str], env: dict[str, str]) -> tuple[int, bytes, float, int]:
    """Exit code, stderr, seconds and peak RSS (KiB) of one CLI run."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [PY, "-m", "tui_vault", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert proc.stderr is not None
    err_parts: list[bytes] = []
    reader = threading.Thread(target=lambda: err_parts.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    peak = 0
    while True:
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            break
        hwm = _vm_hwm_kib(proc.pid)  # sampled until exit; VmHWM only ever grows
        if hwm:
            peak = max(peak, hwm)
        time.sleep(0.005)
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, b"".join(err_parts), time.monotonic() - started, peak


def test_huge_import_is_refused_fast_without_reading_it(vault: Vault, tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "home3", TUI_VAULT_KEY=encode_key(vault.key))
    before = vault.path.read_bytes()
    figures: dict[str, Any] = {}
    for label, size in (("limit+1", MAX_IMPORT_BYTES + 1), ("4 GiB", 4 << 30)):
        huge = tmp_path / f"huge-{size}.json"
        with huge.open("wb") as f:
            f.truncate(size)  # sparse: no disk used
        code, err, seconds, rss_kib = _run_measured(
            ["--vault", str(vault.path), "import", str(huge)], env
        )
        assert code == 1
        assert "over the import limit of 64 MiB" in one_clean_line(err)
        assert seconds < 10, seconds
        assert 0 < rss_kib < 60 * 1024 + 64 * 1024, rss_kib  # measured, and far below the size
        figures[label] = {"seconds": round(seconds, 2), "peak_rss_mib": rss_kib // 1024}
        huge.unlink()
    # A stream with no size (a device, a pipe) is refused before any byte is read.
    code, err, seconds, rss_kib = _run_measured(
        ["--vault", str(vault.path), "import", "/dev/zero"], env
    )
    assert code == 1 and "not a regular file" in one_clean_line(err)
    assert 0 < rss_kib < 400 * 1024, rss_kib
    figures["/dev/zero"] = {"seconds": round(seconds, 2), "peak_rss_mib": rss_kib // 1024}
    assert vault.path.read_bytes() == before
    # The core check, for callers that pass bytes.
    started = time.monotonic()
    with pytest.raises(ImportFormatError, match="larger than the import limit"):
        read_import(b" " * (MAX_IMPORT_BYTES + 1))
    assert time.monotonic() - started < 2
    record("limits", "huge-import", refused=3, **figures)


def test_lock_timeout_is_a_clear_error(vault: Vault) -> None:
    """A writer that never lets go of the lock: the next save gives up with one message."""
    with store.file_lock(vault.paths.lock):
        started = time.monotonic()
        with pytest.raises(Exception) as caught, store.file_lock(vault.paths.lock, timeout=0.3):
            pass
        assert time.monotonic() - started < 2
    assert type(caught.value).__name__ == "LockTimeoutError"
