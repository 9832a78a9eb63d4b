"""`export` / `import` (both formats, passwords on stdin, duplicates, Postman) and the policy."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error, run_parallel
from tui_vault.core.model import Link
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key

from .conftest import Made

PASSWORD = "a long export password"


def second_vault(home: Path) -> Made:
    v, key = Vault.create(home / "other" / "vault.json")
    from tui_vault.core.vaultkey import encode_key

    return Made(v.path, encode_key(key), v)


def fill(made: Made) -> None:
    made.vault.set_value("A", MARKER, allowed_domains="*.example.com")
    made.vault.set_value("OFF", "off-value", enabled=False)
    made.vault.link("L", Link("aws", {"secret_id": "prod/db"}))
    made.vault.set_integration("aws", {"region": "r", "secret_access_key": "CREDENTIAL-99"})


def contents(made: Made) -> dict[str, tuple[str, bool, list[str], str]]:
    v = Vault.open(made.path, decode_key(made.key))
    return {
        s.name: (s.value, s.enabled, s.allowed_domains, s.source) for s in v.data.secrets.values()
    }


def test_plaintext_round_trip(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    out_file = home / "plain.json"
    code, out, err = cli(["export", "-o", str(out_file), "--format", "plaintext"], env=made.env)
    assert code == 0, err
    assert "plain text" in err and "Exported 3 secrets" in err and "1 linked" in err
    assert out == "" and MARKER not in err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    raw = out_file.read_text()
    assert MARKER in raw and "CREDENTIAL-99" not in raw and "secret_access_key" not in raw

    other = second_vault(home)
    code, out, err = cli(["import", str(out_file)], env=other.env)
    assert code == 0, err
    # The summary is a message for the person: on stderr, like every other command's.
    assert out == "" and "imported 3 new" in err and "unresolved until their integration" in err
    assert contents(other) == contents(made)
    assert Vault.open(other.path, decode_key(other.key)).data.integrations == {}


def test_encrypted_round_trip(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    out_file = home / "enc.json"
    args = ["export", "-o", str(out_file), "--format", "encrypted", "--password-stdin"]
    code, _, err = cli(args, stdin=PASSWORD + "\n", env=made.env)
    assert code == 0, err
    raw = out_file.read_bytes()
    assert MARKER.encode() not in raw and b"prod/db" not in raw
    assert json.loads(raw)["kdf"]["name"] == "argon2id"
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600

    other = second_vault(home)
    before = other.path.read_bytes()
    code, _, err = cli(
        ["import", str(out_file), "--password-stdin"], stdin="wrong password!!\n", env=other.env
    )
    assert code == 1
    assert "wrong password" in assert_one_line_error(err)
    assert other.path.read_bytes() == before
    code, _, err = cli(["import", str(out_file)], env=other.env)
    assert code == 2 and "--password-stdin" in assert_one_line_error(err)
    code, _out, err = cli(
        ["import", str(out_file), "--password-stdin"], stdin=PASSWORD + "\n", env=other.env
    )
    assert code == 0, err
    assert contents(other) == contents(made)


def test_short_export_password(cli: CliRunner, made: Made, home: Path) -> None:
    out_file = home / "enc.json"
    args = ["export", "-o", str(out_file), "--format", "encrypted", "--password-stdin"]
    code, _, err = cli(args, stdin="elevenchars\n", env=made.env)
    # A password of an export: exit 1 (DESIGN.md §5), not a usage error (it was 2).
    assert code == 1 and "at least 12" in assert_one_line_error(err)
    assert not out_file.exists()
    code, _, err = cli(args[:-1], env=made.env)
    assert code == 2 and "--password-stdin" in assert_one_line_error(err)


def test_on_duplicate(cli: CliRunner, made: Made, home: Path) -> None:
    file = home / "in.json"
    file.write_text(json.dumps([{"name": "A", "value": "new-a"}, {"name": "N", "value": "n"}]))
    made.vault.set_value("A", "old-a")
    code, out, err = cli(["import", str(file)], env=made.env)
    assert code == 0 and out == "", err
    assert "skipped 1" in err and "skipped (already in the vault): A" in err
    assert contents(made)["A"][0] == "old-a" and "N" in contents(made)

    code, _, err = cli(["import", str(file), "--on-duplicate", "keep-both"], env=made.env)
    assert code == 0 and "'A' as 'A-imported'" in err and "'N' as 'N-imported'" in err
    code, _, err = cli(["import", str(file), "--on-duplicate", "replace"], env=made.env)
    assert code == 0 and "replaced: A, N" in err
    c = contents(made)
    assert c["A"][0] == "new-a" and c["A-imported"][0] == "new-a"


def test_import_bad_entry_changes_nothing(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("KEEP", "x")
    before = made.path.read_bytes()
    file = home / "in.json"
    file.write_text(
        json.dumps(
            [
                {"name": "GOOD", "value": MARKER},
                {"name": "BAD NAME", "value": MARKER},
            ]
        )
    )
    code, out, err = cli(["import", str(file)], env=made.env)
    assert code == 1 and out == ""
    line = assert_one_line_error(err)
    assert "entry 2 ('BAD NAME')" in line and "nothing was imported" in line
    assert MARKER not in err
    assert made.path.read_bytes() == before


def test_import_unreadable_files(cli: CliRunner, made: Made, home: Path) -> None:
    calls = []
    for i, content in enumerate((b"not json", b'{"hello": 1}', b"\xff\xfe")):
        f = home / f"bad{i}.json"
        f.write_bytes(content)
        calls.append((["import", str(f)], None, made.env))
    calls.append((["import", str(home / "missing.json")], None, made.env))
    results = run_parallel(cli, calls)
    for (args, _, _), (code, _, err) in zip(calls, results, strict=True):
        assert code == 1
        line = assert_one_line_error(err)
        assert args[1] in line
        # Each says the vault is unchanged, once.
        assert line.endswith("; nothing was imported") and line.count("nothing") == 1, line
    assert "does not exist" in results[-1].err


def test_postman_environment(cli: CliRunner, made: Made, home: Path) -> None:
    file = home / "Staging.postman_environment.json"
    file.write_text(
        json.dumps(
            {
                "id": "1",
                "name": "Staging",
                "values": [
                    {"key": "api_key", "value": MARKER, "type": "secret", "enabled": True},
                    {"key": "old token", "value": "t", "type": "default", "enabled": False},
                ],
                "_postman_variable_scope": "environment",
                "_postman_exported_using": "Postman/11.0",
            }
        )
    )
    code, out, err = cli(["import", str(file)], env=made.env)
    assert code == 0, err
    assert "Postman environment" in err and "imported 2 new" in err
    assert "renamed 'old token' to 'old_token'" in err
    code, out, _ = cli(["list", "--json"], env=made.env)
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["api_key"]["enabled"] is True
    assert rows["old_token"]["enabled"] is False
    assert cli(["get", "api_key"], env=made.env).out == MARKER + "\n"


def test_policy_encrypted_only(cli: CliRunner, made: Made, home: Path) -> None:
    policy = home / "policy.toml"
    policy.write_text('[export]\nallow = ["encrypted"]\n')
    env = {**made.env, "TUI_VAULT_POLICY": str(policy)}
    out_file = home / "plain.json"
    code, _, err = cli(["export", "-o", str(out_file), "--format", "plaintext"], env=env)
    assert code == 1
    assert "not allowed by the admin policy" in assert_one_line_error(err)
    assert not out_file.exists()
    code, _, err = cli(
        ["export", "-o", str(out_file), "--format", "encrypted", "--password-stdin"],
        stdin=PASSWORD,
        env=env,
    )
    assert code == 0, err


def test_policy_forbid_and_broken(cli: CliRunner, made: Made, home: Path) -> None:
    calls, expected = [], []
    for i, (text, words) in enumerate(
        (
            ("[export]\nallow = []\n", "disabled by the admin policy"),
            ("[export\n", "cannot be read"),
        )
    ):
        policy = home / f"policy{i}.toml"
        policy.write_text(text)
        env = {**made.env, "TUI_VAULT_POLICY": str(policy)}
        for fmt in ("plaintext", "encrypted"):
            args = ["export", "-o", str(home / "x.json"), "--format", fmt, "--password-stdin"]
            calls.append((args, PASSWORD, env))
            expected.append(words)
    for words, (code, _, err) in zip(expected, run_parallel(cli, calls), strict=True):
        assert code == 1
        assert words in assert_one_line_error(err)
    assert not (home / "x.json").exists()


def test_bad_password_bytes_and_bad_output_paths_fail_in_one_line(
    cli: CliRunner, made: Made, home: Path
) -> None:
    fill(made)
    enc = home / "enc.json"
    code, _, err = cli(
        ["export", "-o", str(enc), "--format", "encrypted", "--password-stdin"],
        stdin=PASSWORD,
        env=made.env,
    )
    assert code == 0, err
    (home / "adir").mkdir()
    calls = [
        (
            ["export", "-o", str(home / "x.json"), "--format", "encrypted", "--password-stdin"],
            b"\xff\xfe not utf-8 at all\n",
            made.env,
        ),
        (["import", str(enc), "--password-stdin"], b"\xff\xfe not utf-8 at all\n", made.env),
        (["export", "-o", str(home / "adir"), "--format", "plaintext"], None, made.env),
        (["export", "-o", str(home / "no" / "x.json"), "--format", "plaintext"], None, made.env),
    ]
    for (args, _, _), (code, out, err) in zip(calls, run_parallel(cli, calls), strict=True):
        assert code == 1 and out == "", (args, err)
        line = assert_one_line_error(err)
        assert "unexpected" not in line, line
    assert not (home / "x.json").exists()


def test_import_size_limit(cli: CliRunner, made: Made, home: Path) -> None:
    big = home / "big.json"
    with big.open("wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: costs no disk
    code, _, err = cli(["import", str(big)], env=made.env)
    assert code == 1
    line = assert_one_line_error(err)
    assert "over the import limit" in line and "nothing was imported" in line
