"""What every command shares: the argument parser class, messages, stdin, opening the vault,
resolving references and writing private files."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from tui_vault.core.errors import (
    NoKeyError,
    StdoutError,
    UsageError,
    VaultError,
)

if TYPE_CHECKING:
    import argparse

    from tui_vault.core.resolution import Resolution
    from tui_vault.core.session import Session
    from tui_vault.core.settings import Settings
    from tui_vault.core.vault import Vault

PROG = "tui-vault"
PROVIDER_CHOICES = ("hashicorp", "aws", "azure", "1password")


class PlainNamespace:
    """The namespace parser.plain_get gives a handler for a plain `get NAME`, read without
    a parser, so that a plain `get` never imports argparse (~2 ms with gettext and
    warnings). It behaves as argparse.Namespace does (keyword attributes, `in`, equal to
    either kind when vars() are), and plain_get hands it on as one (handlers are typed
    with argparse.Namespace and only read attributes).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)

    def __eq__(self, other: object) -> bool:
        loaded = sys.modules.get("argparse")  # no argparse loaded: no argparse.Namespace
        if isinstance(other, PlainNamespace) or (
            loaded is not None and isinstance(other, loaded.Namespace)
        ):
            return vars(self) == vars(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as argparse.Namespace

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def __repr__(self) -> str:
        return "Namespace(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


if TYPE_CHECKING:
    from tui_vault.cli.argparser import Parser as Parser


def __getattr__(name: str) -> Any:
    # common.Parser, for the command modules: argparse is imported only when a parser is
    # built (never by a plain `get`, see parser.plain_get).
    if name == "Parser":
        from tui_vault.cli.argparser import Parser

        return Parser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def say(text: str) -> None:
    """A message for the person (stderr keeps stdout clean for values and JSON).

    Names, paths, link fields and server messages in it may hold control characters: they
    are made visible (core/display.py), so no message can drive the terminal.
    """
    from tui_vault.core.display import visible

    print(visible(text), file=sys.stderr)


def check_name(name: str, *, existing: bool = False) -> str:
    """A secret name given on the command line: a bad one is a usage error (exit 2), for
    every command (DESIGN.md §5), before the vault is opened.

    existing: the name of a secret the vault may hold already (get, unset, unlink, push),
    which may start with '-' if an older version stored it (validate_name's `stored`), so
    that such a secret can still be read or deleted."""
    from tui_vault.core.errors import InvalidSecretError
    from tui_vault.core.model import validate_name

    try:
        return validate_name(name, stored=existing)
    except InvalidSecretError as e:
        raise UsageError(e.message) from None


def check_arg(check: Callable[[str], object], value: str) -> None:
    """Check one argument with a core validator: its complaint becomes a usage error."""
    from tui_vault.core.errors import InvalidSecretError

    try:
        check(value)
    except InvalidSecretError as e:
        raise UsageError(e.message) from None


def url_arg(text: str) -> str:
    """argparse type of every --url: parsed strictly (exit 2 on userinfo, backslashes, ...)."""
    from tui_vault.core.model import parse_url

    try:
        parse_url(text)
    except VaultError as e:
        import argparse  # called by a parser: loaded already

        raise argparse.ArgumentTypeError(e.message.removeprefix("invalid --url ")) from None
    return text


class StdoutGuard:
    """sys.stdout while a command runs (cli._run installs it and puts the stream back).

    A write or flush the stream refuses (a full disk, /dev/full, an I/O error) becomes one
    StdoutError, "cannot write to standard output: REASON", exit 1, instead of an unexpected
    OSError. fd 1 closed when the process started leaves Python's sys.stdout None, to which
    print() writes nothing and succeeds: here the first write fails instead, while a command
    that prints nothing (`set`) still works. A broken pipe stays a BrokenPipeError, which
    cli._run ends quietly on (`... | head -1`). Anything else is the stream's own."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    @property
    def is_closed(self) -> bool:
        """fd 1 was closed: nothing written could arrive anywhere."""
        return self.stream is None

    def _open(self) -> TextIO:
        if self.stream is None:
            raise StdoutError("it is closed")
        return self.stream

    def write(self, text: str) -> int:
        stream = self._open()
        try:
            return stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise stdout_error(e) from None

    def write_bytes(self, data: bytes) -> None:
        """Bytes as they are (an export), after any text written before them."""
        stream = self._open()
        try:
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise stdout_error(e) from None

    def flush(self) -> None:
        if self.stream is None:
            return  # nothing was written (a write would have failed)
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise stdout_error(e) from None

    def __getattr__(self, name: str) -> Any:
        # isatty, fileno, encoding, buffer...: the stream's (None's: AttributeError, as before).
        # Not `stream` itself: a copy made without __init__ must not recurse here.
        if name == "stream":
            raise AttributeError(name)
        return getattr(self.stream, name)


def stdout_error(e: OSError) -> StdoutError:
    """The StdoutError for a write to fd 1 that failed with e: the system's words (stdout
    may be a device such as /dev/full, not a disk), lower-cased like every message."""
    import errno

    if e.errno == errno.EBADF:
        return StdoutError("it is closed")
    text = os.strerror(e.errno) if e.errno else str(e)
    return StdoutError(text[:1].lower() + text[1:])


def stdout_closed() -> bool:
    """fd 1 was closed when the process started (see StdoutGuard)."""
    out: object = sys.stdout
    return out is None or (isinstance(out, StdoutGuard) and out.is_closed)


def write_stdout_bytes(data: bytes) -> None:
    """Write bytes to standard output (`export -o -`), with StdoutGuard's errors."""
    out: object = sys.stdout
    guard = out if isinstance(out, StdoutGuard) else StdoutGuard(sys.stdout)
    guard.write_bytes(data)


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
        import getpass  # termios: only for a prompt

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
        import getpass

        password = getpass.getpass("Export password: " if confirm else "Password: ")
        if confirm:
            check_password(password)
            if getpass.getpass("Repeat the password: ") != password:
                raise VaultError("the two passwords differ")  # the password's fault: exit 1
    else:
        raise UsageError("no terminal to ask for the password: pass --password-stdin")
    if confirm:
        check_password(password)
    if not password:
        raise VaultError("the password is empty")
    return password


def open_vault(args: argparse.Namespace) -> Vault:
    """Open the vault with the first key found: env, --key-file, the session agent, keyring,
    then a prompt (which takes the key or the passphrase)."""
    from tui_vault.core.unlock import KeySource, find_key, open_with
    from tui_vault.core.vault import peek_vault_id

    path = vault_path(args)
    key_file = Path(args.key_file).expanduser() if args.key_file else None
    source = find_key(path, key_file)
    if source is None:
        peek_vault_id(path)  # say "no vault" (or "not a vault") before asking for a key
        if not stdin_is_tty():
            raise NoKeyError(
                f"no vault key: set TUI_VAULT_KEY, pass --key-file, run `{PROG} unlock`, or "
                "save the key to the password manager"
            )
        import getpass

        source = KeySource(getpass.getpass(key_prompt(path)), "prompt")
    vault = open_with(path, source)
    if vault.rollback is not None:
        say(f"{PROG}: {vault.rollback.warning()}")  # reading goes on; saving is refused
    return vault


def key_prompt(path: Path) -> str:
    from tui_vault.core.passphrase import has_passphrase

    return "Vault key or passphrase: " if has_passphrase(path) else "Vault key: "


_settings_warned = False


def load_settings_or_defaults() -> Settings:
    """The settings; a broken file or an odd one is a warning on stderr, said once."""
    global _settings_warned
    from tui_vault.core.settings import Settings, SettingsError, load_settings, settings_warnings

    try:
        settings = load_settings()
    except SettingsError as e:
        settings, problems = Settings(), [f"{e.message}; using defaults"]
    else:
        problems = settings_warnings(settings)
    if not _settings_warned:
        _settings_warned = True
        for problem in problems:
            say(f"{PROG}: warning: {problem}")
    return settings


def session_for(vault: Vault, settings: Settings | None = None) -> Session:
    """The one session of a command: the vault, its cache and (on first use) a resolver with
    the real providers. Reads settings.toml unless given (a broken file is reported,
    defaults used)."""
    from tui_vault.core.session import Session
    from tui_vault.integrations import provider_factory

    settings = settings or load_settings_or_defaults()
    return Session(
        vault,
        provider_factory,
        expiration_minutes=settings.expiration_minutes,
        fetch_timeout_seconds=settings.fetch_timeout_seconds,
        serve_stale_hours=settings.serve_stale_hours,
    )


def open_session(args: argparse.Namespace) -> Session:
    """`open_vault`, then `session_for`: what most commands start with."""
    return session_for(open_vault(args))


def resolve_names(
    vault: Vault, names: Sequence[str], url: str | None, action: str = ""
) -> dict[str, Resolution]:
    """Resolve references for a command (get, inject, run) and release the session's clients.

    Local secrets need no session, event loop, executor or cache (nor msgspec, which the
    cache loads): the common `get` stays light. With an action, the resolution goes in the
    access log. settings.toml is read once, for both."""
    from tui_vault.core.resolution import resolve_local

    settings = load_settings_or_defaults()
    result = resolve_local(vault.data.secrets, names, url)
    if result is None:
        from tui_vault.cli import resume_collector

        resume_collector()  # providers, asyncio: the collector back (paused for a local get)
        session = session_for(vault, settings)
        try:
            result = session.resolve_blocking(names, url)
        finally:
            session.close()
    if action:
        log_access(vault, action, result, settings)
    return result


def log_access(
    vault: Vault,
    action: str,
    results: dict[str, Resolution],
    settings: Settings | None = None,
) -> None:
    """One record in the access log; a failed write is one warning line, never a failure.
    settings: as the command read them (load_settings_or_defaults), else read here."""
    from tui_vault.core.accesslog import make_record, record_access, visible

    if settings is None:
        from tui_vault.core.settings import SettingsError, load_settings

        try:
            settings = load_settings()
        except SettingsError:
            settings = None  # the broken file was reported already; the default is to record
    if settings is not None and not settings.access_log:
        return
    problem = record_access(vault, make_record(action, results))
    if problem:
        say(f"{PROG}: warning: {visible(problem)}")


def write_json_array(rows: list[dict[str, Any]]) -> None:
    """A JSON array with one object per line: readable, and fast for 100,000 rows (indent=
    would switch Python to its pure-Python encoder)."""
    write_json_texts([json.dumps(r) for r in rows])


_ROWS_PER_WRITE = 4096


def write_json_texts(texts: list[str]) -> None:
    """What write_json_array writes, from each row's json.dumps text: a few thousand rows
    per write (the whole array as one string would be another copy of every row at once:
    ~20 MB more peak memory for 100,000 secrets)."""
    if not texts:
        sys.stdout.write("[]\n")
        return
    out = sys.stdout
    lead = "[\n"
    for start in range(0, len(texts), _ROWS_PER_WRITE):
        out.write(lead + ",\n".join(texts[start : start + _ROWS_PER_WRITE]))
        lead = ",\n"
    out.write("\n]\n")


def report_unresolved(results: dict[str, Resolution]) -> bool:
    """Print one line per unresolved reference; warn about empty ones. True if all resolved."""
    ok = True
    for r in results.values():
        if r.status == "unresolved":
            ok = False
            say(f"{PROG}: {{{{vault:{r.name}}}}} {r.explain().split(': ', 1)[1]}")
        elif r.stale:
            say(f"{PROG}: warning: {r.name} is stale · {r.detail}")
        elif r.status == "empty":
            say(f"{PROG}: warning: {r.name} is empty")
    return ok


def vault_files(path: Path) -> list[Path]:
    """The vault file and every file tui-vault keeps beside it (backup, cache, lock,
    passphrase, access log): files nothing else may be written to."""
    from tui_vault.core.accesslog import LogPaths
    from tui_vault.core.passphrase import passphrase_path
    from tui_vault.core.vault import VaultPaths

    vp = VaultPaths(path)
    out = [vp.vault, vp.backup, vp.cache, vp.lock, passphrase_path(vp.vault)]
    out.extend(LogPaths.beside(vp.vault).all())
    return out


def protected_paths(args: argparse.Namespace) -> list[Path]:
    """Files an `-o` must never replace, even with --force: the vault, its companions and
    the key file in use (DESIGN.md §5)."""
    out = vault_files(vault_path(args))
    if getattr(args, "key_file", None):
        out.append(Path(args.key_file).expanduser())
    return out


def check_new_key_file(key_file: Path, args: argparse.Namespace) -> None:
    """Refuse `init`/`reset --key-file PATH` naming the vault or one of its files (exit 2):
    the key written there would be replaced by the next save's backup (or be the vault), and
    with it the only copy of the key. Checked before anything is created."""
    for p in vault_files(vault_path(args)):
        if _same_file(key_file, p):
            raise UsageError(
                f"--key-file {key_file} is the vault or one of its files; the key would be "
                "overwritten there: choose a path outside the vault's files"
            )


def read_text_file(path: Path, what: str) -> str:
    """A UTF-8 file the user named (a template, an env file), read as bytes (CRLF kept): its
    text, or one line saying why not, in words (never an exception's class name)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise VaultError(f"{what} {path} does not exist") from None
    except OSError as e:
        from tui_vault.core.store import os_reason

        raise VaultError(f"cannot read {what} {path}: {os_reason(e)}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise VaultError(f"cannot read {what} {path}: it is not UTF-8 text") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        sa, sb = a.stat(), b.stat()
    except (OSError, RuntimeError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def check_output(path: Path, args: argparse.Namespace) -> None:
    """Refuse an `-o` target before any work (and again when writing): see write_private."""
    import stat

    for p in protected_paths(args):
        if _same_file(path, p):
            raise VaultError(
                f"refusing to write to {path}: it is the vault, one of its files or the key "
                "file in use (--force does not change that)"
            )
    try:
        st = path.stat()
    except FileNotFoundError:
        parent = path.parent if str(path.parent) else Path()
        if not parent.is_dir():
            raise VaultError(f"cannot write {path}: directory {parent} does not exist") from None
        return
    except OSError as e:
        raise VaultError(f"cannot write {path}: {e.strerror or type(e).__name__}") from None
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        return  # /dev/stdout, a pipe, a terminal: written through
    if not stat.S_ISREG(st.st_mode):
        raise VaultError(f"cannot write {path}: not a regular file, pipe or terminal")
    if not getattr(args, "force", False):
        raise VaultError(f"{path} already exists; pass --force to replace it")


def write_private(path: Path, data: bytes, args: argparse.Namespace) -> str:
    """Write an `-o` file (export, inject) per DESIGN.md §5; return what it became, for the
    message ("mode 0600", or "written through a pipe"): never a mode the file lacks.

    A new file is created in place, 0600 from the first byte (O_CREAT|O_EXCL, not following
    a link planted meanwhile): no hidden temp file exists that a crash could leave behind.
    An existing regular file is replaced only with --force: truncated and set to 0600 before
    the first byte is written. A FIFO or character device is written through. The vault, its
    companions and the key file are refused even with --force.
    """
    import stat

    from tui_vault.core.store import remove_stale_temps

    check_output(path, args)
    if path.is_symlink() and not path.exists():
        path = path.resolve()  # a dangling link the user named: create what it points to
    remove_stale_temps(path)  # plaintext temps an older tui-vault's crash may have left
    nofollow_new = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        try:
            fd = os.open(path, nofollow_new, 0o600)
        except FileExistsError:
            check_output(path, args)  # it appeared meanwhile: the same rules again
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | os.O_NOCTTY)
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode):
                os.ftruncate(fd, 0)
                with contextlib.suppress(OSError):  # not ours (root's, say): reported below
                    os.fchmod(fd, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode):
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        raise VaultError(f"could not write {path}: {e.strerror or type(e).__name__}") from None
    if stat.S_ISFIFO(st.st_mode):
        return "written through a pipe"
    if stat.S_ISCHR(st.st_mode):
        return "written through a terminal or device"
    return f"mode {stat.S_IMODE(st.st_mode):04o}"


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


def add_globals(p: argparse.ArgumentParser, *, suppress: bool, key_file: bool = True) -> None:
    """--vault and --key-file, accepted before or after the subcommand."""
    import argparse

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
    p.add_argument(
        "--accept-rollback",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="accept a vault or cache older than one this machine has opened (a restore)",
    )


def needs_action(name: str) -> Command:
    """The handler of a command group run without its action (`cache`, `integration`)."""

    def handler(_args: argparse.Namespace) -> int:
        raise UsageError(f"`{PROG} {name}` needs an action; see `{PROG} {name} --help`")

    return handler


Command = Callable[["argparse.Namespace"], int]


class AddCommand(Protocol):
    """Adds one subcommand with the global options and its handler (see parser.py)."""

    def __call__(
        self, name: str, func: Command, help_: str, **kw: Any
    ) -> argparse.ArgumentParser: ...
