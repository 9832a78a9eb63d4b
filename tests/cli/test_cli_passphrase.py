"""`passphrase set|remove`: the Argon2id-wrapped key beside the vault, accepted wherever a key
is asked for; the vault key stays the recovery key."""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

from tests.cli.conftest import Made
from tests.conftest import CliRunner
from tests.helpers import assert_one_line_error
from tui_vault.core.passphrase import passphrase_path

PASS = "correct horse battery staple"
VALUE = "MARKER-pass-19ce-VALUE"


def env_with(made: Made, key_text: str) -> dict[str, str | None]:
    return {"TUI_VAULT_PATH": str(made.path), "TUI_VAULT_KEY": key_text}


def test_set_use_wrong_and_remove(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", VALUE)
    code, _, err = cli(["passphrase", "set", "--password-stdin"], stdin=PASS + "\n", env=made.env)
    assert code == 0 and "recovery key" in err, err
    wrapped = passphrase_path(made.path)
    assert stat.S_IMODE(wrapped.stat().st_mode) == 0o600
    text = wrapped.read_text()
    assert PASS not in text and made.key not in text
    assert json.loads(text)["kdf"] == {
        "name": "argon2id",
        "iterations": 3,
        "lanes": 4,
        "memory_cost": 65536,
    }  # the parameters of encrypted exports

    # The passphrase works wherever a key does; so does the key.
    assert cli(["get", "A"], env=env_with(made, PASS)).out == VALUE + "\n"
    assert cli(["get", "A"], env=made.env).out == VALUE + "\n"
    # It survives saves of the vault.
    assert cli(["set", "B"], stdin="b", env=env_with(made, PASS)).code == 0
    assert cli(["get", "B"], env=env_with(made, PASS)).out == "b\n"

    code, out, err = cli(["get", "A"], env=env_with(made, "correct horse battery stapel"))
    assert (code, out) == (3, "")
    assert assert_one_line_error(err) == "tui-vault: wrong passphrase or key"
    # A mistyped key is still reported as such.
    typo = made.key[:-1] + ("0" if made.key[-1] != "0" else "1")
    code, _, err = cli(["get", "A"], env=env_with(made, typo))
    assert code == 3 and "not a valid vault key" in err

    code, _, err = cli(["passphrase", "remove"], env=made.env)
    assert code == 0 and "Removed" in err
    assert not wrapped.exists()
    code, _, err = cli(["get", "A"], env=env_with(made, PASS))
    assert code == 3 and "not a valid vault key" in err
    code, _, err = cli(["passphrase", "remove"], env=made.env)
    assert code == 0 and "has no passphrase" in err


def test_short_or_keylike_passphrase_is_refused(cli: CliRunner, made: Made) -> None:
    code, _, err = cli(["passphrase", "set", "--password-stdin"], stdin="too short\n", env=made.env)
    assert code == 2 and "at least 12 characters" in assert_one_line_error(err)
    code, _, err = cli(["passphrase", "set", "--password-stdin"], stdin=made.key, env=made.env)
    assert code == 2 and "look like a vault key" in err
    code, _, err = cli(["passphrase", "set"], env=made.env)
    assert code == 2 and "--password-stdin" in err  # no terminal to ask on
    assert not passphrase_path(made.path).exists()


def test_passphrase_change_needs_the_old_key_or_passphrase(cli: CliRunner, made: Made) -> None:
    assert cli(["passphrase", "set", "--password-stdin"], stdin=PASS, env=made.env).code == 0
    new = "a different passphrase 42"
    code, _, err = cli(
        ["passphrase", "set", "--password-stdin"], stdin=new, env=env_with(made, "nope nope nope")
    )
    assert code == 3 and "wrong passphrase or key" in err
    code, _, err = cli(
        ["passphrase", "set", "--password-stdin"], stdin=new, env=env_with(made, PASS)
    )
    assert code == 0, err
    assert cli(["list"], env=env_with(made, new)).code == 0
    assert cli(["list"], env=env_with(made, PASS)).code == 3


def test_tampered_passphrase_file_opens_nothing(cli: CliRunner, made: Made) -> None:
    assert cli(["passphrase", "set", "--password-stdin"], stdin=PASS, env=made.env).code == 0
    wrapped = passphrase_path(made.path)
    doc = json.loads(wrapped.read_text())
    before = made.path.read_bytes()
    for field, value in (
        ("salt", "AAAAAAAAAAAAAAAAAAAAAA=="),
        ("vault_id", "0" * 32),
        ("kdf", {"name": "argon2id", "iterations": 2, "lanes": 4, "memory_cost": 65536}),
    ):
        wrapped.write_text(json.dumps(doc | {field: value}))
        code, _, err = cli(["get", "A"], env=env_with(made, PASS))
        assert code == 3 and "wrong passphrase or key" in assert_one_line_error(err), field
    # Parameters that would cost a hostile amount of memory are refused before any work.
    wrapped.write_text(json.dumps(doc | {"kdf": doc["kdf"] | {"memory_cost": 4 * 1024 * 1024}}))
    code, _, err = cli(["get", "A"], env=env_with(made, PASS))
    assert code == 1 and "out of range" in assert_one_line_error(err)
    wrapped.write_text("not json")
    code, _, err = cli(["get", "A"], env=env_with(made, PASS))
    assert code == 1 and "not a passphrase file" in assert_one_line_error(err)
    assert made.path.read_bytes() == before
    assert cli(["get", "A"], env=made.env).code in (0, 4)  # the key always works


def test_reset_drops_the_passphrase(cli: CliRunner, made: Made) -> None:
    assert cli(["passphrase", "set", "--password-stdin"], stdin=PASS, env=made.env).code == 0
    assert cli(["reset", "--yes", "--no-keyring"], env=made.env).code == 0
    assert not passphrase_path(made.path).exists()


def test_unlock_with_the_passphrase(cli: CliRunner, made: Made, tmp_path: Path) -> None:
    made.vault.set_value("A", VALUE)
    sock = tmp_path / "agent" / "agent.sock"
    try:
        assert cli(["passphrase", "set", "--password-stdin"], stdin=PASS, env=made.env).code == 0
        env = {**env_with(made, PASS), "TUI_VAULT_AGENT_SOCK": str(sock)}
        code, _, err = cli(["unlock"], env=env)
        assert code == 0, err
        no_key = {"TUI_VAULT_PATH": str(made.path), "TUI_VAULT_AGENT_SOCK": str(sock)}
        assert cli(["get", "A"], env=no_key).out == VALUE + "\n"
        code, _, err = cli(["unlock"], env={**env, "TUI_VAULT_KEY": "wrong passphrase!"})
        assert code == 3 and "wrong passphrase or key" in err
    finally:
        lock = sock.with_name("agent.sock.lock")
        if lock.exists() and lock.read_text().strip().isdigit():
            pid = int(lock.read_text())
            if b"agent_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
