"""`log`: records of get, inject and run (names and argv, never values); tamper; clear."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error
from tui_vault.core.accesslog import LogPaths

from .conftest import Made


def records(cli: CliRunner, made: Made, *extra: str) -> list[dict[str, object]]:
    code, out, err = cli(["log", "--json", *extra], env=made.env)
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def no_marker_anywhere(made: Made, *texts: str) -> None:
    for text in texts:
        assert MARKER not in text
    for p in made.path.parent.iterdir():
        if p.is_file():
            assert MARKER.encode() not in p.read_bytes(), p


def test_get_inject_and_run_are_recorded_without_values(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", MARKER)
    made.vault.set_value("B", "bee")
    assert cli(["get", "A"], env=made.env).code == 0
    assert cli(["get", "NOPE"], env=made.env).code == 4
    assert cli(["inject"], stdin="{{vault:A}} {{vault:B}}", env=made.env).code == 0
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    assert cli(["run", "--", "sh", "-c", "true"], env=env).code == 0
    code, _, err = cli(
        ["run", "--expose-argv", "--", "echo", "x{{vault:B}}", "--flag"], env=made.env
    )
    assert code == 0, err
    rows = records(cli, made)
    assert [(r["action"], r["names"], r["outcome"]) for r in rows] == [
        ("get", ["A"], "resolved"),
        ("get", ["NOPE"], "unresolved"),
        ("inject", ["A", "B"], "resolved"),
        ("run", ["A"], "resolved"),
        ("run", ["B"], "resolved"),
    ]
    assert rows[1]["details"] == {"NOPE": "unknown name"}
    assert rows[0]["argv"] == ["tui-vault", "get", "A"]
    assert rows[3]["argv"][1:] == ["run", "--", "sh", "-c", "true"]
    assert rows[4]["argv"][1:] == ["run", "--expose-argv", "--", "echo", "x{{vault:…}}", "--flag"]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    for r in rows:
        assert isinstance(r["pid"], int) and r["pid"] > 0
        assert "tty" in r and "ssh_client" in r and isinstance(r["time"], float)
    code, table, err = cli(["log"], env=made.env)
    assert code == 0, err
    lines = table.splitlines()
    assert lines[0].split() == ["TIME", "ACTION", "SECRETS", "OUTCOME", "FROM", "PID", "COMMAND"]
    assert "unresolved: NOPE (unknown name)" in lines[2]
    assert "run -- sh -c true" in lines[4]
    no_marker_anywhere(made, table, err, json.dumps(rows))


def test_ssh_client_address_is_recorded(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", "x")
    env = {**made.env, "SSH_CONNECTION": "198.51.100.7 40000 10.1.1.1 22"}
    assert cli(["get", "A"], env=env).code == 0
    [row] = records(cli, made)
    assert row["ssh_client"] == "198.51.100.7"
    _, table, _ = cli(["log"], env=made.env)
    assert "ssh 198.51.100.7" in table


def test_filters_since_and_secret(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", "x")
    made.vault.set_value("B", "y")
    cli(["get", "A"], env=made.env)
    cli(["get", "B"], env=made.env)
    assert [r["names"] for r in records(cli, made, "--secret", "B")] == [["B"]]
    assert len(records(cli, made, "--since", "1h")) == 2
    code, out, err = cli(["log", "--since", "soon"], env=made.env)
    assert code == 2 and out == ""
    assert_one_line_error(err)


def test_a_tampered_log_shows_the_valid_part_and_exits_1(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", "x")
    for _ in range(3):
        cli(["get", "A"], env=made.env)
    log = LogPaths.beside(made.path).log
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2])
    code, out, err = cli(["log", "--json"], env=made.env)
    assert code == 1
    assert [r["seq"] for r in json.loads(out)] == [1]
    assert_one_line_error(err)
    assert "tampered" in err and "record 2 was removed" in err
    # Cut off the end instead: also reported.
    log.write_bytes(lines[0])
    code, out, err = cli(["log"], env=made.env)
    assert code == 1 and "records 2 to 3 were cut off" in err
    assert len(out.splitlines()) == 2  # the header and record 1


def test_clear_needs_a_typed_confirmation(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", "x")
    cli(["get", "A"], env=made.env)
    code, _, err = cli(["log", "clear"], env=made.env)
    assert code == 2 and "--yes" in err
    assert len(records(cli, made)) == 1
    code, _, err = cli(["log", "clear", "--yes"], env=made.env)
    assert code == 0, err
    [row] = records(cli, made)
    assert row["action"] == "clear"


def test_access_log_off_records_nothing(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", "x")
    settings = home / "settings.toml"
    settings.write_text("access_log = false\n")
    env = {**made.env, "TUI_VAULT_SETTINGS": str(settings)}
    assert cli(["get", "A"], env=env).code == 0
    code, out, err = cli(["log", "--json"], env=env)
    assert (code, json.loads(out)) == (0, [])
    assert "access_log is off" in err


def test_a_failed_log_write_never_fails_the_command(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", MARKER)
    LogPaths.beside(made.path).log.mkdir()
    code, out, err = cli(["get", "A"], env=made.env)
    assert (code, out) == (0, MARKER + "\n")
    assert len(err.splitlines()) == 1 and "warning: the access log was not written" in err
    assert MARKER not in err


def test_reset_deletes_the_log(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", "x")
    cli(["get", "A"], env=made.env)
    paths = LogPaths.beside(made.path)
    assert paths.log.exists()
    code, key, err = cli(["reset", "--yes"], env={"TUI_VAULT_PATH": str(made.path)})
    assert code == 0, err
    assert not paths.log.exists() and not paths.head.exists()
    env = {"TUI_VAULT_PATH": str(made.path), "TUI_VAULT_KEY": key.strip()}
    code, out, err = cli(["log", "--json"], env=env)
    assert (code, out.strip()) == (0, "[]"), err
