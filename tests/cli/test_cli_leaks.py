"""A planted value never shows in stderr, error messages, stray files or a child's argv."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, files_under, run_parallel
from tui_vault.core.model import Link

from .conftest import Made

PASSWORD = "a long export password"


def plant(made: Made) -> None:
    made.vault.set_value("A", MARKER)
    made.vault.set_value("WEB", MARKER, allowed_domains="api.example.com")
    made.vault.set_value("OFF", MARKER, enabled=False)
    made.vault.link("L", Link("aws", {"secret_id": "db"}))


def test_failing_commands_never_show_the_value(cli: CliRunner, made: Made, home: Path) -> None:
    plant(made)
    bad_import = home / "bad.json"
    bad_import.write_text(json.dumps([{"name": "X", "value": MARKER, "enabled": "no"}]))
    env = {**made.env, "TOKEN": "{{vault:A}}", "T2": "{{vault:WEB}}"}
    wrong_last = "1" if made.key.endswith("0") else "0"
    # (More failing commands check the same inline: reading states, set on argv or a link.)
    failing: list[tuple[list[str], str | None, dict[str, str]]] = [
        (["set", "bad name"], MARKER, made.env),
        (["inject"], "{{vault:A}} {{vault:WEB}}", made.env),
        (["run", "--", "sh", "-c", "exit 0"], None, env),
        (["run", "--", "true", "{{vault:A}}"], None, made.env),
        (
            ["run", "--", "sh", "-c", 'echo "$TOKEN" >&2; exit 9'],
            None,
            {**made.env, "TOKEN": "{{vault:A}}"},
        ),
        (["import", str(bad_import)], None, made.env),
        (
            ["export", "-o", str(home / "e.json"), "--format", "encrypted", "--password-stdin"],
            "short",
            made.env,
        ),
        (["get", "A"], None, {**made.env, "TUI_VAULT_KEY": MARKER}),
        # The last symbol changed (to "1" when it already is "0": the same key otherwise).
        (["get", "A"], None, {**made.env, "TUI_VAULT_KEY": made.key[:-1] + wrong_last}),
    ]
    for (args, _, _), (code, out, err) in zip(failing, run_parallel(cli, failing), strict=True):
        assert code != 0, args
        assert MARKER not in err, (args, err)
        assert "Traceback" not in err, (args, err)
        assert MARKER not in out, (args, out)


def test_no_plaintext_in_files_except_the_ones_asked_for(
    cli: CliRunner, made: Made, home: Path
) -> None:
    plant(made)
    tmp = home / "tmp"
    tmp.mkdir()
    env = {**made.env, "TMPDIR": str(tmp)}
    asked_for = {home / "plain.json", home / "rendered.txt"}
    steps: list[tuple[list[str], str | None]] = [
        (["set", "B"], MARKER + "-B\n"),
        (["get", "A"], None),
        (["list", "--json"], None),
        (["inject", "-o", str(home / "rendered.txt")], "{{vault:A}}"),
        (["run", "--", "sh", "-c", 'echo "$TOKEN"'], None),
        (
            ["export", "-o", str(home / "enc.json"), "--format", "encrypted", "--password-stdin"],
            PASSWORD,
        ),
        (["export", "-o", str(home / "plain.json"), "--format", "plaintext"], None),
        (
            ["import", str(home / "enc.json"), "--password-stdin", "--on-duplicate", "keep-both"],
            PASSWORD,
        ),
        (["unset", "A"], None),
        (["cache", "reset"], None),
    ]
    for args, stdin in steps:
        code, _, err = cli(args, stdin=stdin, env={**env, "TOKEN": "{{vault:B}}"})
        assert code == 0, (args, err)
        assert MARKER not in err
    assert (home / "plain.json").read_text().count(MARKER) >= 3  # the test can see a leak
    for path in files_under(home):
        if path in asked_for:
            continue
        assert MARKER.encode() not in path.read_bytes(), path


def test_init_with_the_keyring_allowed_leaves_no_key_in_a_file(
    cli: CliRunner, home: Path, vault_file: Path
) -> None:
    """Whatever keyring backend this machine falls back to, the key never lands in a file
    in plain text (keyrings.alt's PlaintextKeyring would write it under ~/.local/share)."""
    code, out, err = cli(["--vault", str(vault_file), "init"], env={"TUI_VAULT_NO_KEYRING": None})
    assert code == 0, err
    key = out.strip()
    for path in files_under(home):
        raw = path.read_bytes()
        assert key.encode() not in raw, path
        assert base64.b64encode(key.encode())[:40] not in raw, path
