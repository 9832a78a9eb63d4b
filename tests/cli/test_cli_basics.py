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
    assert code == 2  # a bad argument (DESIGN.md §5)
    assert "invalid secret name" in assert_one_line_error(err)


def test_bad_allowed_domains(cli: CliRunner, made: Made) -> None:
    code, _, err = cli(["set", "A", "--allowed-domains", "*"], stdin="x", env=made.env)
    assert code == 2 and "invalid allowed domain" in assert_one_line_error(err)


def test_set_on_a_linked_secret_is_refused(cli: CliRunner, made: Made) -> None:
    made.vault.link("L", Link("aws", {"secret_id": "db"}))
    code, _, err = cli(["set", "L"], stdin=MARKER, env=made.env)
    assert code == 1
    assert "linked" in assert_one_line_error(err) and MARKER not in err


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


# ---------------------------------------------------------------------------- reading


def test_reading_states_keys_and_global_options(cli: CliRunner, made: Made, home: Path) -> None:
    """Every way `get` and friends end, run at once: (args, env, code, stdout, stderr words)."""
    v = made.vault
    v.set_value("A", MARKER)
    v.set_value("OFF", MARKER, enabled=False)
    v.set_value("E", "")
    v.set_value("TOKEN", MARKER, allowed_domains="api.example.com,*.example.org")
    v.link("L", Link("aws", {"secret_id": "db"}))
    wrong_key_file = home / "wrong.key"
    wrong_key_file.write_text(encode_key(generate_key()) + "\n")
    notes = home / "notes.txt"
    notes.write_text("hello")
    i = made.key.index("-") + 3
    typo = made.key[:i] + ("Z" if made.key[i] != "Z" else "Y") + made.key[i + 1 :]
    env, path = made.env, str(made.path)
    path_only = {"TUI_VAULT_PATH": path}
    key_only = {"TUI_VAULT_KEY": made.key}
    elsewhere = {**env, "TUI_VAULT_PATH": str(made.path.with_name("elsewhere.json"))}
    value = MARKER + "\n"
    cases: list[tuple[list[str], dict[str, str], int, str | None, str]] = [
        (["get", "A"], env, 0, value, ""),
        (["get", "NOPE"], env, 4, "", "{{vault:NOPE}} unresolved (unknown name)"),
        (["get", "OFF"], env, 4, "", "unresolved (disabled)"),
        (["get", "E"], env, 0, "\n", "warning: E is empty"),
        (["get", "L"], env, 4, "", "integration disconnected"),
        (["get", "TOKEN"], env, 4, "", "domain not allowed"),
        (["get", "TOKEN", "--url", "https://evil.test"], env, 4, "", "domain not allowed"),
        (["get", "TOKEN", "--url", "https://api.example.com:99999"], env, 2, "", "bad port"),
        (["get", "TOKEN", "--url", "https://a.example.org/x"], env, 0, value, ""),
        (["get", "TOKEN", "--url", "api.example.com"], env, 0, value, ""),
        # keys
        (
            ["get", "A"],
            {**env, "TUI_VAULT_KEY": encode_key(generate_key())},
            3,
            "",
            "tui-vault: wrong key for this vault",
        ),
        (["get", "A"], {**env, "TUI_VAULT_KEY": typo}, 3, "", "tui-vault: not a valid vault key"),
        (["get", "A"], {**env, "TUI_VAULT_KEY": made.key.lower().replace("-", " ")}, 0, value, ""),
        (["--key-file", str(wrong_key_file), "get", "A"], path_only, 3, "", "wrong key"),
        (["--key-file", str(home / "missing.key"), "get", "A"], path_only, 3, "", "does not exist"),
        (["get", "A"], path_only, 3, "", "no vault key: set TUI_VAULT_KEY, pass --key-file"),
        (
            ["get", "A"],
            {**env, "TUI_VAULT_PATH": str(home / "none" / "v.json")},
            1,
            "",
            "create one with `tui-vault init`",
        ),
        (["get", "A"], {**env, "TUI_VAULT_PATH": str(notes)}, 1, "", "not a tui-vault file"),
        # global options before or after the subcommand, and TUI_VAULT_PATH
        (["--vault", path, "get", "A"], key_only, 0, value, ""),
        (["get", "A", "--vault", path], key_only, 0, value, ""),
        (["--vault", path, "get", "A"], elsewhere, 0, value, ""),
        (["--version"], {}, 0, None, ""),
    ]
    results = run_parallel(cli, [(args, None, e) for args, e, *_ in cases])
    for (args, _, code, out, words), got in zip(cases, results, strict=True):
        assert got.code == code, (args, got)
        if out is not None:
            assert got.out == out, (args, got)
        assert MARKER not in got.err, (args, got)
        if code != 0:
            assert words in assert_one_line_error(got.err), (args, got)
        elif words:
            assert words in got.err, (args, got)
    assert results[-1].out.startswith("tui-vault ")
    assert notes.read_text() == "hello"


def test_enable_disable_flags(cli: CliRunner, made: Made) -> None:
    assert cli(["set", "A", "--disable"], stdin="x", env=made.env).code == 0
    assert cli(["get", "A"], env=made.env).code == 4
    assert cli(["set", "A", "--enable"], stdin="y", env=made.env).code == 0
    assert cli(["get", "A"], env=made.env).out == "y\n"


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
