"""`tui-vault` as a subprocess: init, get/set/unset/list, keys, global options, --help."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error, run_parallel
from tui_vault.core.model import Link
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key, encode_key, generate_key

from .conftest import Made


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


# ---------------------------------------------------------------------------- init


def test_init_prints_the_key_once(cli: CliRunner, vault_file: Path) -> None:
    code, out, err = cli(["--vault", str(vault_file), "init"])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1, "stdout holds the key and nothing else"
    key = decode_key(lines[0])
    assert lines[0] not in err
    assert "Created a vault" in err and "not saved to a password manager" in err
    assert mode(vault_file) == 0o600 and mode(vault_file.parent) == 0o700
    Vault.open(vault_file, key)


def test_init_refuses_an_existing_vault(cli: CliRunner, made: Made) -> None:
    before = made.path.read_bytes()
    code, out, err = cli(["init"], env={"TUI_VAULT_PATH": str(made.path)})
    assert code == 1 and out == ""
    assert "already exists" in assert_one_line_error(err)
    assert made.path.read_bytes() == before


def test_init_with_key_file(cli: CliRunner, vault_file: Path, home: Path) -> None:
    key_file = home / "vault.key"
    code, out, err = cli(["--vault", str(vault_file), "init", "--key-file", str(key_file)])
    assert code == 0, err
    assert out == "", "the key is not printed when it goes to a file"
    assert mode(key_file) == 0o600
    key_text = key_file.read_text().strip()
    assert key_text not in err
    Vault.open(vault_file, decode_key(key_text))
    # and the key file unlocks the vault for other commands
    code, out, err = cli(["--vault", str(vault_file), "--key-file", str(key_file), "list"])
    assert code == 0, err


def test_init_key_file_refuses_an_existing_file(
    cli: CliRunner, vault_file: Path, home: Path
) -> None:
    key_file = home / "vault.key"
    key_file.write_text("precious\n")
    code, out, err = cli(["--vault", str(vault_file), "init", "--key-file", str(key_file)])
    assert code == 1 and out == ""
    assert "already exists" in assert_one_line_error(err)
    assert key_file.read_text() == "precious\n"
    assert not vault_file.exists()


def test_init_on_a_bad_path_leaves_no_key_file(cli: CliRunner, home: Path) -> None:
    blocker = home / "file"
    blocker.write_text("x")
    key_file = home / "k.key"
    code, _, err = cli(
        ["--vault", str(blocker / "vault.json"), "init", "--key-file", str(key_file)]
    )
    assert code == 1
    assert_one_line_error(err)
    assert not key_file.exists()


# ---------------------------------------------------------------------------- set / get / unset


def test_set_then_get(cli: CliRunner, made: Made) -> None:
    code, out, err = cli(["set", "A"], stdin=MARKER + "\n", env=made.env)
    assert code == 0, err
    assert out == "" and "Added A" in err and MARKER not in err
    code, out, err = cli(["get", "A"], env=made.env)
    assert (code, out) == (0, MARKER + "\n"), err
    code, _, err = cli(["set", "A"], stdin="second", env=made.env)
    assert code == 0 and "Updated A" in err
    assert cli(["get", "A"], env=made.env).out == "second\n"


SET_CASES = [
    ("v\n", "v"),
    ("v", "v"),
    ("v\n\n", "v\n"),
    ("v\r\n", "v"),
    ("line1\nline2\n", "line1\nline2"),
    ("", ""),
    ("  spaced  \n", "  spaced  "),
    ("ünï ✓\n", "ünï ✓"),
]


def test_set_strips_one_trailing_newline(cli: CliRunner, made: Made) -> None:
    calls = [(["set", f"S{i}"], stdin, made.env) for i, (stdin, _) in enumerate(SET_CASES)]
    for code, _, err in run_parallel(cli, calls):
        assert code == 0, err
    v = Vault.open(made.path, decode_key(made.key))
    assert [v.get(f"S{i}").value for i in range(len(SET_CASES))] == [s for _, s in SET_CASES]


def test_value_on_argv_is_a_usage_error(cli: CliRunner, made: Made) -> None:
    before = made.path.read_bytes()
    code, out, err = cli(["set", "A", MARKER], env=made.env)
    assert code == 2 and out == ""
    line = assert_one_line_error(err)
    assert "never taken from the command line" in line and "printf" in line
    assert MARKER not in err
    assert made.path.read_bytes() == before


def test_invalid_name(cli: CliRunner, made: Made) -> None:
    code, _, err = cli(["set", "bad/name"], stdin="x", env=made.env)
    assert code == 1
    assert "invalid secret name" in assert_one_line_error(err)


def test_get_unknown_and_disabled(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("OFF", MARKER, enabled=False)
    code, out, err = cli(["get", "NOPE"], env=made.env)
    assert code == 4 and out == ""
    assert "unknown name" in assert_one_line_error(err)
    code, out, err = cli(["get", "OFF"], env=made.env)
    assert code == 4 and out == ""
    assert "disabled" in assert_one_line_error(err)
    assert MARKER not in err


def test_domain_restricted_secret(cli: CliRunner, made: Made) -> None:
    code, _, err = cli(
        ["set", "TOKEN", "--allowed-domains", "api.example.com,*.example.org"],
        stdin=MARKER,
        env=made.env,
    )
    assert code == 0, err
    code, out, err = cli(["get", "TOKEN"], env=made.env)
    assert code == 4 and out == ""
    assert "domain not allowed" in assert_one_line_error(err)
    assert MARKER not in err
    code, out, err = cli(["get", "TOKEN", "--url", "https://evil.test"], env=made.env)
    assert code == 4 and "domain not allowed" in err and out == ""
    code, out, err = cli(["get", "TOKEN", "--url", "https://a.example.org/x"], env=made.env)
    assert (code, out) == (0, MARKER + "\n"), err
    code, out, _ = cli(["get", "TOKEN", "--url", "https://api.example.com:99999"], env=made.env)
    assert code == 4 and out == ""


def test_bad_allowed_domains(cli: CliRunner, made: Made) -> None:
    code, _, err = cli(["set", "A", "--allowed-domains", "*"], stdin="x", env=made.env)
    assert code == 1 and "invalid allowed domain" in assert_one_line_error(err)


def test_enable_disable_flags(cli: CliRunner, made: Made) -> None:
    assert cli(["set", "A", "--disable"], stdin="x", env=made.env).code == 0
    assert cli(["get", "A"], env=made.env).code == 4
    assert cli(["set", "A", "--enable"], stdin="y", env=made.env).code == 0
    assert cli(["get", "A"], env=made.env).out == "y\n"


def test_set_on_a_linked_secret_is_refused(cli: CliRunner, made: Made) -> None:
    made.vault.link("L", Link("aws", {"secret_id": "db"}))
    code, _, err = cli(["set", "L"], stdin=MARKER, env=made.env)
    assert code == 1
    assert "linked" in assert_one_line_error(err) and MARKER not in err


def test_get_a_linked_secret_of_a_disconnected_provider(cli: CliRunner, made: Made) -> None:
    made.vault.link("L", Link("aws", {"secret_id": "db"}))
    code, out, err = cli(["get", "L"], env=made.env)
    assert code == 4 and out == ""
    assert "integration disconnected" in assert_one_line_error(err)


def test_empty_value_warns(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("E", "")
    code, out, err = cli(["get", "E"], env=made.env)
    assert (code, out) == (0, "\n")
    assert "empty" in err


def test_unset(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", "x")
    code, _, err = cli(["unset", "A"], env=made.env)
    assert code == 0 and "Deleted A" in err
    code, _, err = cli(["unset", "A"], env=made.env)
    assert code == 1 and "no secret named 'A'" in assert_one_line_error(err)


# ---------------------------------------------------------------------------- list


def test_list_never_shows_values(cli: CliRunner, made: Made) -> None:
    code, out, err = cli(["list"], env=made.env)
    assert code == 0 and out == "" and "empty" in err
    code, out, _ = cli(["list", "--json"], env=made.env)
    assert code == 0 and json.loads(out) == []

    made.vault.set_value("PLAIN", MARKER)
    made.vault.set_value("WEB", MARKER + "2", allowed_domains="*.example.com", enabled=False)
    made.vault.link("LINKED", Link("aws", {"secret_id": "prod/db"}))
    made.vault.set_integration("aws", {"region": "eu-west-1", "secret_access_key": MARKER})
    code, out, err = cli(["list"], env=made.env)
    assert code == 0, err
    assert MARKER not in out + err
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ENABLED", "ALLOWED", "DOMAINS", "SOURCE", "STATUS"]
    assert [line.split()[0] for line in lines[1:]] == ["LINKED", "PLAIN", "WEB"]
    assert "*.example.com" in out

    code, out, err = cli(["list", "--json"], env=made.env)
    assert code == 0, err
    assert MARKER not in out
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == {"PLAIN", "WEB", "LINKED"}
    for r in rows.values():
        assert {"name", "enabled", "allowed_domains", "source", "status"} <= set(r)
        assert "value" not in r
    assert rows["WEB"]["enabled"] is False and rows["WEB"]["allowed_domains"] == ["*.example.com"]
    assert rows["PLAIN"]["source"] == "local" and rows["PLAIN"]["status"] == "ok"
    assert rows["LINKED"]["source"] == "aws"
    assert "cache_age_seconds" in rows["LINKED"] and "cache_expires_in_seconds" in rows["LINKED"]


# ---------------------------------------------------------------------------- keys


def test_wrong_key_and_mistyped_key_are_distinct(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", MARKER)
    other = encode_key(generate_key())
    code, out, err = cli(["get", "A"], env={**made.env, "TUI_VAULT_KEY": other})
    assert code == 3 and out == ""
    assert assert_one_line_error(err) == "tui-vault: wrong key for this vault"
    i = made.key.index("-") + 3
    typo = made.key[:i] + ("Z" if made.key[i] != "Z" else "Y") + made.key[i + 1 :]
    code, out, err = cli(["get", "A"], env={**made.env, "TUI_VAULT_KEY": typo})
    assert code == 3 and out == ""
    assert assert_one_line_error(err) == "tui-vault: not a valid vault key"
    # forgiving spelling works
    sloppy = made.key.lower().replace("-", " ")
    assert cli(["get", "A"], env={**made.env, "TUI_VAULT_KEY": sloppy}).out == MARKER + "\n"


def test_key_file_with_a_wrong_key(cli: CliRunner, made: Made, home: Path) -> None:
    kf = home / "wrong.key"
    kf.write_text(encode_key(generate_key()) + "\n")
    env = {"TUI_VAULT_PATH": str(made.path)}
    code, _, err = cli(["--key-file", str(kf), "list"], env=env)
    assert code == 3 and "wrong key" in assert_one_line_error(err)
    code, _, err = cli(["--key-file", str(home / "missing.key"), "list"], env=env)
    assert code == 1 and "does not exist" in assert_one_line_error(err)


def test_no_key_and_no_terminal(cli: CliRunner, made: Made) -> None:
    code, out, err = cli(["list"], env={"TUI_VAULT_PATH": str(made.path)})
    assert code == 1 and out == ""
    line = assert_one_line_error(err)
    assert "no vault key" in line and "TUI_VAULT_KEY" in line and "--key-file" in line


def test_no_vault(cli: CliRunner, home: Path) -> None:
    code, _, err = cli(["list"], env={"TUI_VAULT_PATH": str(home / "none" / "v.json")})
    assert code == 1
    assert "tui-vault init" in assert_one_line_error(err)


def test_not_a_vault_file(cli: CliRunner, home: Path) -> None:
    f = home / "notes.txt"
    f.write_text("hello")
    code, _, err = cli(["list"], env={"TUI_VAULT_PATH": str(f), "TUI_VAULT_KEY": "x"})
    assert code == 1 and "not a tui-vault file" in assert_one_line_error(err)
    assert f.read_text() == "hello"


# ---------------------------------------------------------------------------- global options


def test_global_options_before_and_after_the_subcommand(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("X", "x-value")
    key_env = {"TUI_VAULT_KEY": made.key}
    assert cli(["--vault", str(made.path), "get", "X"], env=key_env).out == "x-value\n"
    assert cli(["get", "X", "--vault", str(made.path)], env=key_env).out == "x-value\n"
    assert cli(["get", "X"], env=made.env).out == "x-value\n"
    # --vault wins over TUI_VAULT_PATH
    env = {**made.env, "TUI_VAULT_PATH": str(made.path.with_name("elsewhere.json"))}
    assert cli(["--vault", str(made.path), "get", "X"], env=env).out == "x-value\n"


def test_default_vault_location(cli: CliRunner, home: Path) -> None:
    code, out, err = cli(["init"])
    assert code == 0, err
    default = home / ".local" / "share" / "tui-vault" / "vault.json"
    assert default.exists()
    assert cli(["list"], env={"TUI_VAULT_KEY": out.strip()}).code == 0


COMMANDS = [
    [],
    ["init"],
    ["get"],
    ["set"],
    ["unset"],
    ["list"],
    ["inject"],
    ["run"],
    ["export"],
    ["import"],
    ["clear"],
    ["reset"],
    ["cache"],
    ["cache", "reset"],
    ["integration"],
    ["link"],
    ["unlink"],
]


def test_help_on_every_command(cli: CliRunner) -> None:
    results = run_parallel(cli, [([*c, "--help"], None, None) for c in COMMANDS])
    for command, (code, out, err) in zip(COMMANDS, results, strict=True):
        assert code == 0, (command, err)
        assert out.startswith("usage: tui-vault"), command
        assert err == "", command
    top = results[0].out
    for c in ("init", "get", "set", "unset", "list", "inject", "run", "export", "import"):
        assert c in top
    assert "Exit codes" in top


USAGE_ERRORS = [
    ["nonsense"],
    ["get"],
    ["--vault"],
    ["set", "A", "--allowed-domains"],
    ["export", "-o", "x"],
    ["import", "f", "--on-duplicate", "merge"],
    ["integration", "connect", "hashicorp"],
    ["link", "X", "--provider", "keepass"],
]


def test_usage_errors_are_one_line_with_exit_2(cli: CliRunner) -> None:
    results = run_parallel(cli, [(args, None, None) for args in USAGE_ERRORS])
    for args, (code, out, err) in zip(USAGE_ERRORS, results, strict=True):
        assert code == 2 and out == "", args
        line = assert_one_line_error(err)
        assert line.startswith("tui-vault: error:") and "--help`" in line, args


def test_version(cli: CliRunner) -> None:
    code, out, _ = cli(["--version"])
    assert code == 0 and out.startswith("tui-vault ")


def test_broken_settings_warn_but_do_not_stop_scripts(
    cli: CliRunner, made: Made, home: Path
) -> None:
    made.vault.set_value("A", "a-value")
    settings = home / "settings.toml"
    settings.write_text("expiration_minutes = = 5\n")
    code, out, err = cli(["get", "A"], env={**made.env, "TUI_VAULT_SETTINGS": str(settings)})
    assert (code, out) == (0, "a-value\n")
    line = assert_one_line_error(err)
    assert "warning" in line and "not valid TOML" in line and str(settings) in line
