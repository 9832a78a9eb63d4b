"""`import ENV.json --rewrite OUT.json`: a sanitized Postman environment, and its round trip."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error

from .conftest import Made

TRICKY = MARKER + '"quote\\back\nline'


def postman_env(*values: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "0b7d",
        "name": "Dev",
        "values": list(values),
        "_postman_variable_scope": "environment",
        "_postman_exported_at": "2026-01-01T00:00:00.000Z",
        "_postman_exported_using": "Postman/11.0",
    }


def var(key: str, value: str, type_: str = "default", enabled: bool = True) -> dict[str, Any]:
    return {"key": key, "value": value, "type": type_, "enabled": enabled}


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent="\t"))
    return path


def test_rewrite_round_trip(cli: CliRunner, made: Made, tmp_path: Path) -> None:
    src = write(
        tmp_path / "env.json",
        postman_env(
            var("base_url", "http://127.0.0.1:9"),
            var("token", TRICKY, "secret"),
            var("api key", MARKER + "-2", "secret"),
        ),
    )
    out = tmp_path / "out.json"
    code, text, err = cli(["import", str(src), "--rewrite", str(out)], env=made.env)
    assert code == 0, err
    assert f"wrote {out} (mode 0600)" in err and text == ""  # messages go to stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    raw = out.read_bytes()
    assert MARKER.encode() not in raw and b"127.0.0.1:9" not in raw
    doc = json.loads(raw)
    assert [v["value"] for v in doc["values"]] == [
        "{{vault:base_url}}",
        "{{vault:token}}",
        "{{vault:api_key}}",
    ]
    # Everything else of the environment is kept as it was.
    original = json.loads(src.read_text())
    assert {k: v for k, v in doc.items() if k != "values"} == {
        k: v for k, v in original.items() if k != "values"
    }
    assert [{k: v for k, v in x.items() if k != "value"} for x in doc["values"]] == [
        {k: v for k, v in x.items() if k != "value"} for x in original["values"]
    ]
    code, rendered, err = cli(["inject", "-i", str(out)], env=made.env)
    assert code == 0, err
    assert json.loads(rendered) == original  # quotes, backslashes, newlines survive
    assert MARKER not in err and MARKER not in text


def test_secrets_only_leaves_other_variables(cli: CliRunner, made: Made, tmp_path: Path) -> None:
    src = write(
        tmp_path / "env.json",
        postman_env(var("base_url", "http://h"), var("token", MARKER, "secret")),
    )
    out = tmp_path / "out.json"
    code, _, err = cli(["import", str(src), "--rewrite", str(out), "--secrets-only"], env=made.env)
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert [v["value"] for v in doc["values"]] == ["http://h", "{{vault:token}}"]
    code, listing, _ = cli(["list", "--json"], env=made.env)
    assert [r["name"] for r in json.loads(listing)] == ["token"]


def test_secrets_only_with_no_secret_variables(cli: CliRunner, made: Made, tmp_path: Path) -> None:
    src = write(tmp_path / "env.json", postman_env(var("base_url", "http://h")))
    out = tmp_path / "out.json"
    code, _, err = cli(["import", str(src), "--rewrite", str(out), "--secrets-only"], env=made.env)
    assert code == 1 and not out.exists()
    assert "no variables of type secret" in assert_one_line_error(err)


def test_duplicates_are_rewritten_like_they_were_merged(
    cli: CliRunner, made: Made, tmp_path: Path
) -> None:
    made.vault.set_value("token", "mine")
    src = write(tmp_path / "env.json", postman_env(var("token", MARKER, "secret")))
    out = tmp_path / "skip.json"
    assert cli(["import", str(src), "--rewrite", str(out)], env=made.env).code == 0
    assert json.loads(out.read_text())["values"][0]["value"] == "{{vault:token}}"
    _, rendered, _ = cli(["inject", "-i", str(out)], env=made.env)
    assert json.loads(rendered)["values"][0]["value"] == "mine"  # skipped: the vault's own
    out2 = tmp_path / "both.json"
    code, _, err = cli(
        ["import", str(src), "--rewrite", str(out2), "--on-duplicate", "keep-both"],
        env=made.env,
    )
    assert code == 0, err
    assert json.loads(out2.read_text())["values"][0]["value"] == "{{vault:token-imported}}"
    _, rendered, _ = cli(["inject", "-i", str(out2)], env=made.env)
    assert json.loads(rendered)["values"][0]["value"] == MARKER


def test_refusals(cli: CliRunner, made: Made, tmp_path: Path) -> None:
    src = write(tmp_path / "env.json", postman_env(var("token", MARKER, "secret")))
    before = src.read_bytes()
    code, _, err = cli(["import", str(src), "--rewrite", str(src)], env=made.env)
    assert code == 1 and "refusing to write over the input" in assert_one_line_error(err)
    assert src.read_bytes() == before
    existing = tmp_path / "exists.json"
    existing.write_text("keep")
    code, _, err = cli(["import", str(src), "--rewrite", str(existing)], env=made.env)
    assert code == 1 and "--force" in assert_one_line_error(err)
    assert existing.read_text() == "keep"
    code, _, err = cli(["import", str(src), "--rewrite", str(made.path), "--force"], env=made.env)
    assert code == 1 and "file of the vault" in err
    # Nothing was imported by any refused command.
    _, listing, _ = cli(["list", "--json"], env=made.env)
    assert json.loads(listing) == []
    code, _, err = cli(["import", str(src), "--rewrite", str(src), "--force"], env=made.env)
    assert code == 0, err
    assert MARKER.encode() not in src.read_bytes()
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps([{"name": "x", "value": "y"}]))
    code, _, err = cli(["import", str(plain), "--rewrite", str(tmp_path / "o.json")], env=made.env)
    assert code == 2 and "Postman" in assert_one_line_error(err)


def test_disabled_variables_are_named(cli: CliRunner, made: Made, tmp_path: Path) -> None:
    src = write(tmp_path / "env.json", postman_env(var("old", MARKER, "secret", enabled=False)))
    out = tmp_path / "out.json"
    code, text, err = cli(["import", str(src), "--rewrite", str(out)], env=made.env)
    assert code == 0, err
    assert "disabled in the vault: old" in err and text == ""
    assert json.loads(out.read_text())["values"][0]["value"] == "{{vault:old}}"
