"""`set` changes only what its options name; `generate`; what every write says it wrote."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error

from .conftest import Made


def test_options_without_stdin_content_keep_the_value(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", MARKER, allowed_domains="api.example.com")
    env = made.env
    # The README's on/off example: no value on stdin, so the value stays.
    code, out, err = cli(["set", "A", "--disable"], env=env)  # stdin is /dev/null
    assert (code, out) == (0, "") and "Updated A (disabled)" in err and MARKER not in err
    code, _, _ = cli(["set", "A", "--enable", "--allowed-domains", "*.example.org"], env=env)
    assert code == 0
    assert cli(["get", "A", "--url", "https://x.example.org"], env=env).out == MARKER + "\n"
    # Content on stdin with an option: the value changes too (as before).
    assert cli(["set", "A", "--disable"], stdin="new", env=env).code == 0
    assert cli(["set", "A", "--enable"], env=env).code == 0
    assert cli(["get", "A", "--url", "https://x.example.org"], env=env).out == "new\n"
    # --value-stdin: an empty stdin empties the value, as plain `set` does.
    assert cli(["set", "A", "--enable", "--value-stdin"], env=env).code == 0
    code, out, err = cli(["get", "A", "--url", "https://x.example.org"], env=env)
    assert (code, out) == (0, "\n") and "is empty" in err


def test_set_options_on_a_new_secret_and_on_a_linked_one(cli: CliRunner, made: Made) -> None:
    from tui_vault.core.model import Link

    env = made.env
    code, _, err = cli(["set", "NEW", "--disable"], env=env)
    assert code == 0 and "Added NEW" in err
    made.vault.link("L", Link("aws", {"secret_id": "db"}))
    # Turning a linked secret off and on needs no value, so it is allowed.
    assert cli(["set", "L", "--disable"], env=env).code == 0
    code, out, _ = cli(["list", "--json"], env=env)
    assert '"name": "L", "enabled": false' in out


def test_plain_set_help_documents_the_rule(cli: CliRunner) -> None:
    out = cli(["set", "--help"]).out
    assert "--value-stdin" in out and "an empty stdin keeps the value" in " ".join(out.split())


def test_generate_stores_without_printing(cli: CliRunner, made: Made) -> None:
    env = made.env
    code, out, err = cli(["generate", "TOKEN"], env=env)
    assert code == 0 and out == ""
    assert "Added TOKEN: 32 random characters (lower, upper, digits)" in err
    value = cli(["get", "TOKEN"], env=env).out.strip()
    assert len(value) == 32 and value.isalnum() and value not in err
    code, out, err = cli(["generate", "TOKEN", "--length", "20", "--chars", "digits", "--print"],
                         env=env)  # fmt: skip
    assert code == 0 and len(out.strip()) == 20 and out.strip().isdigit()
    assert "Replaced the value of TOKEN" in err and out.strip() not in err
    assert cli(["get", "TOKEN"], env=env).out == out
    code, _, err = cli(["generate", "WEB", "--allowed-domains", "api.example.com"], env=env)
    assert code == 0
    assert cli(["get", "WEB"], env=env).code == 4  # domain-restricted


def test_generate_refuses_a_linked_secret(cli: CliRunner, made: Made) -> None:
    from tui_vault.core.model import Link

    made.vault.link("L", Link("aws", {"secret_id": "db"}))
    code, out, err = cli(["generate", "L", "--print"], env=made.env)
    assert code == 1 and out == "" and "linked" in assert_one_line_error(err)


def test_writes_say_what_they_wrote(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", MARKER)
    template = home / "t.txt"
    template.write_text("a={{vault:A}}\nb={{vault:A}}\n")
    out_file = home / "out.txt"
    code, out, err = cli(["inject", "-i", str(template), "-o", str(out_file)], env=made.env)
    assert code == 0 and out == ""
    assert f"Wrote {out_file}" in err and "1 reference filled" in err and MARKER not in err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    code, _, err = cli(["clear", "--yes"], env=made.env)
    assert code == 0 and "Deleted 1 secret;" in err


def test_a_missing_settings_file_is_warned_about_once(
    cli: CliRunner, made: Made, home: Path
) -> None:
    made.vault.set_value("A", "x")
    env = {**made.env, "TUI_VAULT_SETTINGS": str(home / "typo.toml")}
    code, out, err = cli(["get", "A"], env=env)
    assert (code, out) == (0, "x\n")
    assert err.count("TUI_VAULT_SETTINGS names") == 1 and "using defaults" in err
