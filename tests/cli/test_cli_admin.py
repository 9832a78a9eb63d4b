"""`clear`, `reset` and `cache reset`."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error
from tui_vault.core.errors import VaultError
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key

from .conftest import Made


def test_clear_keeps_the_key(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", MARKER)
    made.vault.set_value("B", "b")
    made.vault.set_integration("aws", {"region": "r"})
    made.vault.paths.cache.write_bytes(b"old cache")
    code, _, err = cli(["clear", "--yes"], env=made.env)
    assert code == 0 and "Deleted 2 secrets" in err
    code, out, _ = cli(["list", "--json"], env=made.env)
    assert (code, out.strip()) == (0, "[]")
    v = Vault.open(made.path, decode_key(made.key))
    assert v.data.integrations == {"aws": {"region": "r"}}
    assert not made.vault.paths.cache.exists()


def test_clear_and_reset_need_yes_without_a_terminal(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", "x")
    before = made.path.read_bytes()
    for command in ("clear", "reset"):
        code, out, err = cli([command], env=made.env)
        assert code == 2 and out == ""
        assert "--yes" in assert_one_line_error(err)
    assert made.path.read_bytes() == before


def test_reset_makes_a_new_key_and_the_old_one_stops_working(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("A", MARKER)
    made.vault.set_value("B", "b")  # so that a backup of an older generation exists
    old_key = decode_key(made.key)
    # A lost key: reset needs none.
    code, out, err = cli(["reset", "--yes"], env={"TUI_VAULT_PATH": str(made.path)})
    assert code == 0, err
    assert len(out.splitlines()) == 1
    new_key = decode_key(out.strip())
    assert new_key != old_key and out.strip() not in err
    assert "every secret was deleted" in err

    code, _, err = cli(["list"], env=made.env)
    assert code == 3 and assert_one_line_error(err) == "tui-vault: wrong key for this vault"
    new_env = {"TUI_VAULT_PATH": str(made.path), "TUI_VAULT_KEY": out.strip()}
    code, out, _ = cli(["list", "--json"], env=new_env)
    assert (code, out.strip()) == (0, "[]")
    # Nothing the old key opens (the backup of an older generation, say) is left behind.
    for p in made.path.parent.iterdir():
        try:
            Vault.open(p, old_key)
        except VaultError:
            continue
        raise AssertionError(f"{p} still opens with the old key")


def test_reset_without_a_vault_says_so_and_creates_nothing(
    cli: CliRunner, vault_file: Path
) -> None:
    code, out, err = cli(["--vault", str(vault_file), "reset", "--yes"])
    assert code == 1 and out == ""
    assert "no vault at" in assert_one_line_error(err) and "nothing to reset" in err
    assert not vault_file.exists() and not vault_file.parent.exists()


def test_reset_writes_the_new_key_to_key_file(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", MARKER)
    key_file = home / "new.key"
    env = {"TUI_VAULT_PATH": str(made.path)}
    code, out, err = cli(["reset", "--yes", "--key-file", str(key_file)], env=env)
    assert code == 0 and out == "", err
    assert f"written to {key_file} (mode 0600)" in err
    assert key_file.stat().st_mode & 0o777 == 0o600
    new_key = key_file.read_text().strip()
    assert new_key not in err
    assert Vault.open(made.path, decode_key(new_key)).names() == []
    # An existing key file is never overwritten, and then nothing is reset.
    made2 = Vault.open(made.path, decode_key(new_key))
    made2.set_value("B", "b")
    before = made.path.read_bytes()
    code, out, err = cli(["reset", "--yes", "--key-file", str(key_file)], env=env)
    assert code == 1 and "already exists" in assert_one_line_error(err)
    assert key_file.read_text().strip() == new_key and made.path.read_bytes() == before


def test_cache_reset(cli: CliRunner, made: Made) -> None:
    cache = made.vault.paths.cache
    cache.write_bytes(b"cache")
    env = {"TUI_VAULT_PATH": str(made.path)}  # no key needed
    code, _, err = cli(["cache", "reset"], env=env)
    assert code == 0 and "Cleared" in err
    assert not cache.exists()
    code, _, err = cli(["cache", "reset"], env=env)
    assert code == 0 and "already empty" in err
    code, _, err = cli(["cache"], env=env)
    assert code == 2 and "needs an action" in assert_one_line_error(err)
