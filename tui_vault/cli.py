"""The `tui-vault` command: the TUI by default, subcommands for scripts and CI.

Exit codes: 0 ok, 1 error, 2 usage, 3 wrong or invalid key, 4 unresolved references.
Every failure is one line on stderr; secret values never reach argv, logs or errors.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from tui_vault import __version__
from tui_vault.core.errors import (
    ExitCode,
    NoKeyError,
    UsageError,
    VaultError,
)

PROG = "tui-vault"
PROVIDER_CHOICES = ("hashicorp", "aws", "azure", "1password")


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and one clear line."""

    def error(self, message: str) -> NoReturn:
        # One line, like every other failure; the synopsis is one --help away.
        self.exit(ExitCode.USAGE, f"{PROG}: error: {message} (see `{self.prog} --help`)\n")


# --------------------------------------------------------------------------- helpers


def say(text: str) -> None:
    """A message for the person (stderr keeps stdout clean for values and JSON)."""
    print(text, file=sys.stderr)


def vault_path(args: argparse.Namespace) -> Path:
    from tui_vault.core.paths import default_vault_path

    return Path(args.vault).expanduser() if args.vault else default_vault_path()


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def read_stdin_secret(prompt: str, what: str) -> str:
    """A value or password from stdin: hidden prompt on a terminal, else the whole input."""
    if stdin_is_tty():
        return getpass.getpass(prompt)
    if sys.stdin is None:
        raise UsageError(f"no {what} on stdin")
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise VaultError(f"the {what} on stdin is not UTF-8 text") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    return text


def read_password(args: argparse.Namespace, confirm: bool) -> str:
    from tui_vault.core.transfer import check_password

    if args.password_stdin:
        raw = sys.stdin.buffer.readline() if sys.stdin is not None else b""
        try:
            password = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise VaultError("the password on stdin is not UTF-8 text") from None
    elif stdin_is_tty():
        password = getpass.getpass("Export password: " if confirm else "Password: ")
        if confirm:
            check_password(password)
            if getpass.getpass("Repeat the password: ") != password:
                raise UsageError("the two passwords differ")
    else:
        raise UsageError("no terminal to ask for the password: pass --password-stdin")
    if confirm:
        check_password(password)
    if not password:
        raise UsageError("the password is empty")
    return password


def open_vault(args: argparse.Namespace) -> Any:
    """Open the vault with the first key found: env, --key-file, keyring, then a prompt."""
    from tui_vault.core.unlock import KeySource, find_key, open_with
    from tui_vault.core.vault import peek_vault_id

    path = vault_path(args)
    key_file = Path(args.key_file).expanduser() if args.key_file else None
    source = find_key(path, key_file)
    if source is None:
        peek_vault_id(path)  # say "no vault" (or "not a vault") before asking for a key
        if not stdin_is_tty():
            raise NoKeyError(
                "no vault key: set TUI_VAULT_KEY, pass --key-file, or save the key to the "
                "password manager"
            )
        source = KeySource(getpass.getpass("Vault key: "), "prompt")
    return open_with(path, source)


def load_settings_or_defaults() -> Any:
    from tui_vault.core.settings import Settings, SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as e:
        say(f"{PROG}: warning: {e.message}; using defaults")
        return Settings()


def make_resolver(vault: Any) -> Any:
    from tui_vault.core.cache import Cache
    from tui_vault.core.resolver import Resolver

    settings = load_settings_or_defaults()
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    return Resolver(
        vault,
        cache,
        ttl_minutes=settings.expiration_minutes,
        timeout=settings.fetch_timeout_seconds,
    )


def resolve_names(vault: Any, names: Sequence[str], url: str | None) -> dict[str, Any]:
    from tui_vault.core.resolution import check_local

    # Local secrets need no event loop, executor or cache: the common `get` stays light.
    local = {n: check_local(n, vault.data.secrets.get(n), url) for n in names}
    if all(r is not None for r in local.values()):
        load_settings_or_defaults()  # unused here, but a broken file is still reported
        return local
    resolver = make_resolver(vault)
    try:
        import asyncio

        result: dict[str, Any] = asyncio.run(resolver.resolve(names, url))
        return result
    finally:
        resolver.close()


def write_json_array(rows: list[dict[str, Any]]) -> None:
    """A JSON array with one object per line: readable, and fast for 100,000 rows (indent=
    would switch Python to its pure-Python encoder)."""
    out = sys.stdout
    out.write("[\n" if rows else "[")
    out.write(",\n".join(json.dumps(r) for r in rows))
    out.write("\n]\n" if rows else "]\n")


def report_unresolved(results: dict[str, Any]) -> bool:
    """Print one line per unresolved reference; warn about empty ones. True if all resolved."""
    ok = True
    for r in results.values():
        if r.status == "unresolved":
            ok = False
            say(f"{PROG}: {{{{vault:{r.name}}}}} {r.explain().split(': ', 1)[1]}")
        elif r.status == "empty":
            say(f"{PROG}: warning: {r.name} is empty")
    return ok


def write_private(path: Path, data: bytes) -> None:
    from tui_vault.core.store import atomic_write

    parent = path.parent if str(path.parent) else Path()
    if not parent.is_dir():
        raise VaultError(f"cannot write {path}: directory {parent} does not exist")
    if path.is_symlink() or (path.exists() and not path.is_file() and not path.is_dir()):
        # A symlink (-o /dev/stdout), terminal, pipe or device: write through it. The atomic
        # rename would replace the link or device node itself with a file of secrets.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except OSError as e:
            raise VaultError(f"could not write {path}: {e.strerror or type(e).__name__}") from None
        return
    atomic_write(path, data)


def save_key_to_keyring(vault_id: str, key_text: str, no_keyring: bool) -> None:
    from tui_vault.core import keystore

    if no_keyring:
        return
    st = keystore.status()
    if not st.available:
        say(f"note: the key was not saved to a password manager: {st.reason}.")
        say("      Keep it safe; later use --key-file PATH or TUI_VAULT_KEY to unlock.")
        return
    try:
        keystore.save(vault_id, key_text)
        say(f"The key was saved to the system password manager ({st.reason}).")
    except VaultError as e:
        say(f"note: {e.message}")


def confirm_typed(word: str, question: str, yes: bool) -> None:
    if yes:
        return
    if not stdin_is_tty():
        raise UsageError(f"refusing without --yes (no terminal to confirm on): {question}")
    answer = input(f"{question}\nType {word!r} to confirm: ")
    if answer.strip() != word:
        raise VaultError("not confirmed; nothing was changed")


# --------------------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace) -> int:
    from tui_vault.core.errors import VaultExistsError
    from tui_vault.core.unlock import write_key_file
    from tui_vault.core.vault import Vault
    from tui_vault.core.vaultkey import encode_key, generate_key

    path = vault_path(args)
    if path.exists():
        raise VaultExistsError(f"a vault already exists at {path}")
    key = generate_key()
    key_text = encode_key(key)
    key_file = Path(args.key_file).expanduser() if args.key_file else None
    if key_file is not None:
        write_key_file(key_file, key_text)
    try:
        vault, _ = Vault.create(path, key)
    except VaultError:
        if key_file is not None:
            with contextlib.suppress(OSError):
                key_file.unlink()
        raise
    say(f"Created a vault at {path}")
    save_key_to_keyring(vault.vault_id, key_text, args.no_keyring)
    if key_file is not None:
        say(f"The vault key was written to {key_file} (mode 0600). Keep it safe.")
    else:
        say("Your vault key (shown once; keep it safe, it cannot be recovered):")
        print(key_text)
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    results = resolve_names(vault, [args.name], args.url)
    if not report_unresolved(results):
        return ExitCode.UNRESOLVED
    value = results[args.name].value or ""
    sys.stdout.write(value + "\n")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    if args.extra:
        raise UsageError(
            "values are never taken from the command line (they would show in `ps` and shell "
            f'history); pipe them in: printf %s "$VALUE" | {PROG} set {args.name}'
        )
    from tui_vault.core.model import validate_name

    validate_name(args.name)
    vault = open_vault(args)
    value = read_stdin_secret(f"Value for {args.name} (hidden): ", "value")
    enabled = None if args.enabled is None else args.enabled
    existed = args.name in vault.data.secrets
    vault.set_value(args.name, value, allowed_domains=args.allowed_domains, enabled=enabled)
    say(f"{'Updated' if existed else 'Added'} {args.name}")
    return 0


def cmd_unset(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    vault.delete(args.name)
    say(f"Deleted {args.name}")
    return 0


def describe_status(vault: Any, resolver: Any, name: str) -> dict[str, Any]:
    """Status of one secret without fetching anything (for list and the TUI)."""
    from tui_vault.core.status import secret_status

    return secret_status(vault, resolver.cache, resolver.ttl_seconds, name)


def cmd_list(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    resolver = make_resolver(vault)
    rows = [describe_status(vault, resolver, n) for n in vault.names()]
    if args.json:
        write_json_array(rows)
        return 0
    if not rows:
        say(f"The vault is empty. Add a secret: printf %s VALUE | {PROG} set NAME")
        return 0
    headers = ("NAME", "ENABLED", "ALLOWED DOMAINS", "SOURCE", "STATUS")
    table = [
        (
            r["name"],
            "yes" if r["enabled"] else "no",
            ", ".join(r["allowed_domains"]) or "any",
            r["source"],
            r["status"],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    for row in (headers, *table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_inject(args: argparse.Namespace) -> int:
    from tui_vault.core.references import find_references, render

    if args.input and args.input != "-":
        try:
            template = Path(args.input).read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise VaultError(f"template {args.input} does not exist") from None
        except (OSError, UnicodeDecodeError) as e:
            raise VaultError(f"cannot read template {args.input}: {type(e).__name__}") from None
    else:
        # Bytes, not text mode: text mode would turn CRLF (HTTP, Windows files) into LF.
        raw = sys.stdin.buffer.read() if sys.stdin is not None else b""
        try:
            template = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError("the template on stdin is not UTF-8 text") from None
    names = find_references(template)
    results = resolve_names(open_vault(args), names, args.url) if names else {}
    if not report_unresolved(results):
        return ExitCode.UNRESOLVED
    output = render(template, {n: r.value or "" for n, r in results.items()})
    if args.output and args.output != "-":
        write_private(Path(args.output), output.encode("utf-8"))
    else:
        sys.stdout.write(output)
    return 0


def parse_env_file(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise VaultError(f"env file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise VaultError(f"cannot read env file {path}: {type(e).__name__}") from None
    out: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("export "):
            text = text[7:].lstrip()
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise UsageError(f"{path}:{number}: expected NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[name] = value
    return out


def _pump(src: IO[bytes], dst: IO[bytes], masker: Any) -> None:
    try:
        while True:
            chunk = os.read(src.fileno(), 65536)
            if not chunk:
                break
            shown = masker.feed(chunk)
            if shown:
                dst.write(shown)
                dst.flush()
        rest = masker.flush()
        if rest:
            dst.write(rest)
            dst.flush()
    except (BrokenPipeError, ValueError, OSError):
        return


def cmd_run(args: argparse.Namespace) -> int:
    from tui_vault.core.masking import StreamMasker
    from tui_vault.core.references import find_references, has_references, render
    from tui_vault.core.unlock import ENV_KEY

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError(f"no command to run: {PROG} run [options] -- CMD [ARGS...]")
    argv_refs = [a for a in command if has_references(a)]
    if argv_refs and not args.expose_argv:
        raise UsageError(
            "the command line holds {{vault:...}} references; their values would be visible "
            "to every user in `ps`. Put them in the environment instead, e.g. "
            f"TOKEN='{{{{vault:NAME}}}}' {PROG} run -- sh -c 'cmd \"$TOKEN\"', "
            "or pass --expose-argv if you accept that"
        )
    env = {k: v for k, v in os.environ.items() if k != ENV_KEY}
    if args.env_file:
        env.update(parse_env_file(Path(args.env_file)))
    templated = {k: v for k, v in env.items() if has_references(v)}
    names: list[str] = []
    for v in templated.values():
        names.extend(find_references(v))
    if args.expose_argv:
        for a in argv_refs:
            names.extend(find_references(a))
    names = list(dict.fromkeys(names))
    results: dict[str, Any] = {}
    if names:
        vault = open_vault(args)
        results = resolve_names(vault, names, args.url)
        if not report_unresolved(results):
            return ExitCode.UNRESOLVED
    values = {n: r.value or "" for n, r in results.items()}
    for k, v in templated.items():
        env[k] = render(v, values)
    if args.expose_argv:
        command = [render(a, values) for a in command]
    secrets = [v for v in values.values() if v]
    # A NUL (from the env file or a value) cannot be passed on: Popen would raise ValueError.
    with_nul = [f"${k}" for k, v in env.items() if "\0" in v]
    with_nul += [f"argument {i}" for i, a in enumerate(command) if "\0" in a]
    if with_nul:
        raise VaultError(f"{with_nul[0]} would hold a NUL character, which no program can receive")
    try:
        if args.no_masking or not secrets:
            proc = subprocess.Popen(command, env=env)
            return _wait_forwarding(proc)
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        say(f"{PROG}: command not found: {command[0]}")
        return 127
    except PermissionError:
        say(f"{PROG}: permission denied: {command[0]}")
        return 126
    assert proc.stdout is not None and proc.stderr is not None
    pumps = [
        threading.Thread(
            target=_pump, args=(proc.stdout, sys.stdout.buffer, StreamMasker(secrets)), daemon=True
        ),
        threading.Thread(
            target=_pump, args=(proc.stderr, sys.stderr.buffer, StreamMasker(secrets)), daemon=True
        ),
    ]
    for t in pumps:
        t.start()
    code = _wait_forwarding(proc)
    for t in pumps:
        t.join()
    return code


def _wait_forwarding(proc: subprocess.Popen[bytes]) -> int:
    """Wait for the child, passing SIGINT/SIGTERM/SIGHUP on; return its exit code."""

    def forward(signum: int, _frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            previous[sig] = signal.signal(sig, forward)
    try:
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def cmd_export(args: argparse.Namespace) -> int:
    from tui_vault.core.policy import load_policy
    from tui_vault.core.transfer import export_encrypted, export_plaintext

    load_policy().check_export(args.format)
    out = Path(args.output).expanduser()
    vault = open_vault(args)
    if args.format == "encrypted":
        password = read_password(args, confirm=True)
        data = export_encrypted(vault.data, password)
    else:
        data = export_plaintext(vault.data)
    write_private(out, data)
    if args.format == "plaintext":  # said after writing: a failure stays one line
        say(
            f"warning: {out} holds every secret in plain text; anyone who can read it can "
            "read them. Prefer --format encrypted."
        )
    linked = sum(1 for s in vault.data.secrets.values() if s.link)
    say(f"Exported {len(vault.data.secrets)} secrets to {out} ({args.format}, mode 0600)")
    if linked:
        say(f"{linked} linked secrets were exported as links; integration credentials never are")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tui_vault.core.transfer import merge, read_import, read_import_bytes, sniff

    path = Path(args.file).expanduser()
    raw = read_import_bytes(path)
    try:
        sniffed = sniff(raw)
    except VaultError as e:
        raise type(e)(f"{path}: {e.message}") from None
    vault = open_vault(args)
    password = read_password(args, confirm=False) if sniffed[0] == "encrypted" else None
    try:
        incoming = read_import(raw, password, sniffed)
    except VaultError as e:
        raise type(e)(f"{path}: {e.message}") from None
    summary = vault.change(lambda d: merge(d, incoming.secrets, args.on_duplicate))
    summary.notes.extend(incoming.notes)
    if incoming.kind == "postman":
        summary.notes.insert(0, "read a Postman environment export")
    if any(s.link for s in incoming.secrets):
        summary.notes.append("linked secrets stay unresolved until their integration is connected")
    for line in summary.lines():
        print(line)
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    from tui_vault.core.cache import reset_cache_file

    vault = open_vault(args)
    confirm_typed(
        "clear", f"Delete all {len(vault.data.secrets)} secrets (the key stays)?", args.yes
    )
    count = vault.clear()
    reset_cache_file(vault.paths.cache)
    say(f"Deleted {count} secrets; the vault key is unchanged")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from tui_vault.core.unlock import reset_vault_files
    from tui_vault.core.vault import Vault
    from tui_vault.core.vaultkey import encode_key

    path = vault_path(args)
    confirm_typed(
        "reset",
        f"Permanently delete every secret in {path} and make a new vault key?",
        args.yes,
    )
    reset_vault_files(path)
    vault, key = Vault.create(path)
    key_text = encode_key(key)
    say(f"Reset the vault at {path}: every secret was deleted.")
    save_key_to_keyring(vault.vault_id, key_text, args.no_keyring)
    say("Your new vault key (keep it safe):")
    print(key_text)
    return 0


def cmd_cache_reset(args: argparse.Namespace) -> int:
    from tui_vault.core.cache import reset_cache_file
    from tui_vault.core.vault import VaultPaths

    removed = reset_cache_file(VaultPaths(vault_path(args)).cache)
    say("Cleared the cache of fetched values" if removed else "The cache was already empty")
    return 0


def cmd_tui(args: argparse.Namespace) -> int:
    from tui_vault.ui.app import make_app

    key_file = Path(args.key_file).expanduser() if args.key_file else None
    app = make_app(vault_path=vault_path(args), key_file=key_file)
    app.run()
    return int(app.return_code or 0)


# --------------------------------------------------------------------------- integrations


def cmd_integration_status(args: argparse.Namespace) -> int:
    from tui_vault.core.integrations_status import integration_statuses

    vault = open_vault(args)
    settings = load_settings_or_defaults()
    import asyncio

    rows = asyncio.run(
        integration_statuses(vault, check=not args.no_check, timeout=settings.fetch_timeout_seconds)
    )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        line = f"{r['provider']:<10} {r['status']}"
        if r.get("detail"):
            line += f" ({r['detail']})"
        print(line)
    return 0


def _connect_config(args: argparse.Namespace) -> dict[str, str]:
    p = args.provider
    cfg: dict[str, str] = {}
    if p == "hashicorp":
        cfg = {"url": args.url, "auth": args.auth}
        if args.namespace:
            cfg["namespace"] = args.namespace
        if args.ca_bundle:
            cfg["ca_bundle"] = str(Path(args.ca_bundle).expanduser())
        if args.auth == "token":
            cfg["token"] = read_stdin_secret("Vault token (hidden): ", "token")
        elif args.auth == "approle":
            if not args.role_id:
                raise UsageError("--auth approle needs --role-id (the secret id comes on stdin)")
            cfg["role_id"] = args.role_id
            cfg["secret_id"] = read_stdin_secret("AppRole secret id (hidden): ", "secret id")
        else:
            if not args.username:
                raise UsageError("--auth userpass needs --username (the password comes on stdin)")
            cfg["username"] = args.username
            cfg["password"] = read_stdin_secret("Password (hidden): ", "password")
    elif p == "aws":
        cfg = {"region": args.region}
        if args.profile and args.access_key_id:
            raise UsageError("use either --profile or --access-key-id, not both")
        if args.profile:
            cfg["profile"] = args.profile
        if args.endpoint_url:
            cfg["endpoint_url"] = args.endpoint_url
        if args.access_key_id:
            cfg["access_key_id"] = args.access_key_id
            text = read_stdin_secret("Secret access key (hidden): ", "secret access key")
            lines = text.splitlines() or [""]
            cfg["secret_access_key"] = lines[0].strip()
            if len(lines) > 1 and lines[1].strip():
                cfg["session_token"] = lines[1].strip()
            if not cfg["secret_access_key"]:
                raise UsageError("the secret access key on stdin is empty")
    elif p == "azure":
        if bool(args.tenant_id) != bool(args.client_id):
            raise UsageError("--tenant-id and --client-id go together")
        if args.client_id:
            cfg["tenant_id"] = args.tenant_id
            cfg["client_id"] = args.client_id
            cfg["client_secret"] = read_stdin_secret("Client secret (hidden): ", "client secret")
        if args.ca_bundle:
            cfg["ca_bundle"] = str(Path(args.ca_bundle).expanduser())
        if args.authority:
            cfg["authority"] = args.authority
        if args.no_verify_challenge_resource:
            cfg["verify_challenge_resource"] = "false"
    else:
        cfg["token"] = read_stdin_secret("Service-account token (hidden): ", "token")
    for k in ("token", "secret_id", "password", "client_secret"):
        if k in cfg and not cfg[k]:
            raise UsageError(f"the {k.replace('_', ' ')} on stdin is empty")
    return cfg


def forget_fetched_values(vault: Any, provider: str) -> None:
    """Cached values of a provider whose connection changed may come from another server."""
    from tui_vault.core.cache import Cache, reset_cache_file

    try:
        Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id).forget_provider(
            provider
        )
    except (VaultError, OSError):  # cannot rewrite it (disk full...): drop it all instead
        with contextlib.suppress(OSError):
            reset_cache_file(vault.paths.cache)


def cmd_integration_connect(args: argparse.Namespace) -> int:
    from tui_vault.core.integrations_status import verify_config
    from tui_vault.core.model import PROVIDERS
    from tui_vault.integrations.registry import validate_config

    vault = open_vault(args)
    config = validate_config(args.provider, _connect_config(args))
    label = PROVIDERS[args.provider]
    if not args.no_verify:
        settings = load_settings_or_defaults()
        import asyncio

        asyncio.run(verify_config(args.provider, config, settings.fetch_timeout_seconds))
    vault.set_integration(args.provider, config)
    forget_fetched_values(vault, args.provider)
    say(f"Connected {label}" + ("" if args.no_verify else " (credentials checked)"))
    return 0


def cmd_integration_disconnect(args: argparse.Namespace) -> int:
    from tui_vault.core.model import PROVIDERS

    vault = open_vault(args)
    removed = vault.remove_integration(args.provider)
    forget_fetched_values(vault, args.provider)
    label = PROVIDERS[args.provider]
    if not removed:
        say(f"{label} was not connected")
        return 0
    linked = [
        s.name for s in vault.data.secrets.values() if s.link and s.link.provider == args.provider
    ]
    say(f"Disconnected {label}; its credentials were deleted from the vault")
    if linked:
        say(f"{len(linked)} linked secrets keep their links and are unresolved until you reconnect")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from tui_vault.core.model import validate_name
    from tui_vault.integrations.registry import validate_link

    validate_name(args.name)
    p = args.provider
    params: dict[str, str] = {}
    if p == "hashicorp":
        params = {"engine": args.engine or "", "path": args.path or "", "key": args.key or ""}
    elif p == "aws":
        params = {
            "secret_id": args.secret_id or "",
            "json_key": args.json_key or "",
            "version_id": args.version_id or "",
            "version_stage": args.version_stage or "",
            "role_arn": args.role_arn or "",
        }
    elif p == "azure":
        params = {"secret_id": args.secret_id or ""}
    else:
        params = {"ref": args.ref or ""}
    link = validate_link(p, params)
    vault = open_vault(args)
    existed = args.name in vault.data.secrets
    vault.link(args.name, link)
    verb = "Linked" if existed else "Created and linked"
    say(f"{verb} {args.name} to {link.provider}: {link.describe()}")
    if p not in vault.data.integrations:
        say(f"note: {p} is not connected yet: `{PROG} integration connect {p} ...`")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    vault.unlink(args.name)
    say(f"Unlinked {args.name}; it is now a local secret with an empty value")
    return 0


# --------------------------------------------------------------------------- parser


def _add_globals(p: argparse.ArgumentParser, *, suppress: bool, key_file: bool = True) -> None:
    d: Any = argparse.SUPPRESS if suppress else None
    p.add_argument(
        "--vault",
        metavar="PATH",
        default=d,
        help="the vault file (default: $TUI_VAULT_PATH or the user data directory)",
    )
    if key_file:
        p.add_argument(
            "--key-file", metavar="PATH", default=d, help="read the vault key from this file"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description=(
            "A local, encrypted secrets vault. With no command, opens the full-screen app. "
            "The key is taken from $TUI_VAULT_KEY, --key-file, the password manager, "
            "or a prompt, in that order."
        ),
        epilog="Exit codes: 0 ok, 1 error, 2 usage, 3 wrong or invalid key, 4 unresolved.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_globals(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str, **kw: Any) -> Any:
        p = sub.add_parser(name, help=help_, description=help_, **kw)
        _add_globals(p, suppress=True, key_file=name != "init")
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create a vault and print its key once (or write it to a file)")
    p.add_argument("--no-keyring", action="store_true", help="do not save the key to the keyring")
    p.add_argument(
        "--key-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="write the new key to PATH (created 0600; refused if it exists) instead of printing",
    )

    p = add("get", cmd_get, "print a secret's value (fetching a linked one)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--url", help="the URL the value is for (needed for domain-restricted secrets)")

    p = add("set", cmd_set, "add or change a secret; the value comes from stdin, never argv")
    p.add_argument("name", metavar="NAME")
    p.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    p.add_argument(
        "--allowed-domains",
        metavar="LIST",
        help="comma-separated domains the value may be used for (*.example.com for subdomains)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--enable", dest="enabled", action="store_const", const=True, default=None)
    g.add_argument("--disable", dest="enabled", action="store_const", const=False)

    p = add("unset", cmd_unset, "delete a secret")
    p.add_argument("name", metavar="NAME")

    p = add("list", cmd_list, "list secrets: names, domains, source, status; never values")
    p.add_argument("--json", action="store_true", help="a JSON array, one object per secret")

    p = add("inject", cmd_inject, "fill {{vault:NAME}} references in a template")
    p.add_argument("-i", "--input", metavar="IN", help="template file (default: stdin)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file, 0600 (default: stdout)")
    p.add_argument("--url", help="the URL the values are for")

    p = add(
        "run",
        cmd_run,
        "run a command with references in its environment resolved and its output masked",
    )
    p.add_argument("--env-file", metavar="F", help="NAME=template lines added to the environment")
    p.add_argument("--url", help="the URL the values are for")
    p.add_argument("--no-masking", action="store_true", help="do not mask values in the output")
    p.add_argument(
        "--expose-argv",
        action="store_true",
        help="allow references in CMD's arguments (values become visible in ps)",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD...")

    p = add("export", cmd_export, "export secrets to a JSON file (encrypted or plaintext)")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--format", required=True, choices=("encrypted", "plaintext"))
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )

    p = add("import", cmd_import, "import a tui-vault export or a Postman environment file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument(
        "--on-duplicate",
        choices=("skip", "replace", "keep-both"),
        default="skip",
        help="what to do with names already in the vault (default: skip, and say so)",
    )

    p = add("clear", cmd_clear, "delete every secret, keep the key")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = add("reset", cmd_reset, "lost key: delete every secret and make a new key")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--no-keyring", action="store_true", help="do not save the new key")

    p = add("cache", lambda a: _usage(a, "cache"), "the cache of fetched values")
    csub = p.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=Parser)
    cp = csub.add_parser("reset", help="forget every cached value")
    _add_globals(cp, suppress=True)
    cp.set_defaults(func=cmd_cache_reset)

    p = add("integration", lambda a: _usage(a, "integration"), "external vault connections")
    isub = p.add_subparsers(dest="integration_command", metavar="ACTION", parser_class=Parser)
    ip = isub.add_parser("status", help="which integrations are connected and working")
    _add_globals(ip, suppress=True)
    ip.add_argument("--json", action="store_true")
    ip.add_argument("--no-check", action="store_true", help="do not contact the servers")
    ip.set_defaults(func=cmd_integration_status)
    ip = isub.add_parser("disconnect", help="forget an integration's credentials")
    _add_globals(ip, suppress=True)
    ip.add_argument("provider", choices=PROVIDER_CHOICES, metavar="PROVIDER")
    ip.set_defaults(func=cmd_integration_disconnect)
    ip = isub.add_parser("connect", help="connect an external vault (secrets come on stdin)")
    _add_globals(ip, suppress=True)
    csub2 = ip.add_subparsers(dest="provider", metavar="PROVIDER", parser_class=Parser)
    csub2.required = True
    hp = csub2.add_parser("hashicorp", help="HashiCorp Vault / OpenBao")
    hp.add_argument("--url", required=True)
    hp.add_argument("--namespace", metavar="NS")
    hp.add_argument("--auth", required=True, choices=("token", "approle", "userpass"))
    hp.add_argument("--role-id", metavar="ID")
    hp.add_argument("--username", metavar="USER")
    hp.add_argument("--ca-bundle", metavar="PEM")
    ap = csub2.add_parser("aws", help="AWS Secrets Manager")
    ap.add_argument("--region", required=True, metavar="R")
    ap.add_argument("--profile", metavar="P")
    ap.add_argument("--access-key-id", metavar="ID")
    ap.add_argument("--endpoint-url", metavar="URL")
    zp = csub2.add_parser("azure", help="Azure Key Vault")
    zp.add_argument("--tenant-id", metavar="T")
    zp.add_argument("--client-id", metavar="C")
    zp.add_argument("--ca-bundle", metavar="PEM")
    zp.add_argument("--authority", metavar="HOST", help=argparse.SUPPRESS)
    # Only for a vault outside *.vault.azure.net (a local emulator): see integrations/azure.py.
    zp.add_argument("--no-verify-challenge-resource", action="store_true", help=argparse.SUPPRESS)
    op = csub2.add_parser("1password", help="1Password (service account)")
    for cp2 in (hp, ap, zp, op):
        _add_globals(cp2, suppress=True)
        cp2.add_argument(
            "--no-verify", action="store_true", help="store without checking the credentials"
        )
        cp2.set_defaults(func=cmd_integration_connect)

    p = add("link", cmd_link, "link a secret to an external vault (creates NAME if needed)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--provider", required=True, choices=PROVIDER_CHOICES)
    p.add_argument("--engine", metavar="MOUNT")
    p.add_argument("--path", metavar="PATH")
    p.add_argument("--key", metavar="KEY")
    p.add_argument("--secret-id", metavar="ID_OR_ARN_OR_URL")
    p.add_argument("--json-key", metavar="K")
    vg = p.add_mutually_exclusive_group()
    vg.add_argument("--version-id", metavar="V")
    vg.add_argument("--version-stage", metavar="S")
    p.add_argument("--role-arn", metavar="ARN")
    p.add_argument("--ref", metavar="op://VAULT/ITEM/FIELD")

    p = add("unlink", cmd_unlink, "remove a secret's link (it becomes local and empty)")
    p.add_argument("name", metavar="NAME")
    return parser


def _usage(args: argparse.Namespace, name: str) -> int:
    raise UsageError(f"`{PROG} {name}` needs an action; see `{PROG} {name} --help`")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for attr in ("vault", "key_file"):
        if not hasattr(args, attr):
            setattr(args, attr, None)
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", cmd_tui)
    try:
        return int(func(args))
    except VaultError as e:
        say(f"{PROG}: {e.message}")
        return int(e.exit_code)
    except KeyboardInterrupt:
        say(f"{PROG}: interrupted")
        return 130
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            sys.stderr.close()
        return 1
    except Exception as e:  # the last line of defence: one line, no traceback, no message text
        if os.environ.get("TUI_VAULT_DEBUG"):
            raise
        say(
            f"{PROG}: unexpected error ({type(e).__name__}); run with TUI_VAULT_DEBUG=1 for details"
        )
        return int(ExitCode.ERROR)


def entry() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entry()
