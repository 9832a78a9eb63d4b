"""One worker-error handler on the app: an unexpected failure in any worker (thread or async,
started by the app or a screen) becomes one notification naming only the exception's type."""

from __future__ import annotations

from typing import Any

from textual.worker import WorkerState

from tests.ui.conftest import UnlockedApp, wait_until
from tui_vault.core.errors import VaultError

MARKER = "MARKER-7f3a9c-SECRET"


def errors(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications if n.severity == "error"]


async def test_a_failing_worker_becomes_one_clear_message(unlocked_app: UnlockedApp) -> None:
    async with unlocked_app() as (app, pilot):
        screen = app.screen

        async def broken_async() -> None:
            raise RuntimeError(f"the value is {MARKER}")

        def broken_thread() -> None:
            raise KeyError(MARKER)

        first = screen.run_worker(broken_async(), group="vault", exit_on_error=False)
        await wait_until(pilot, lambda: first.state is WorkerState.ERROR and errors(app))
        assert errors(app) == ["That did not finish: unexpected error (RuntimeError)."]

        second = app.run_worker(broken_thread, thread=True, exit_on_error=False)
        await wait_until(pilot, lambda: second.state is WorkerState.ERROR and len(errors(app)) == 2)
        assert errors(app)[1] == "That did not finish: unexpected error (KeyError)."

        def refused() -> None:
            raise VaultError("the vault file is read-only")

        third = screen.run_worker(refused, thread=True, exit_on_error=False)
        await wait_until(pilot, lambda: third.state is WorkerState.ERROR and len(errors(app)) == 3)
        assert errors(app)[2] == "the vault file is read-only"
        assert all(MARKER not in m for m in errors(app))
        assert app.is_running  # nothing vanished, nothing crashed
