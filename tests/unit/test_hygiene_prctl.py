"""make_non_dumpable and is_dumpable call prctl through _ctypes (core/hygiene.py: _prctl),
not the whole of ctypes: the same effect, checked with ctypes itself, in a fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO

CHECK = """
import sys
from tui_vault.core import hygiene
before = hygiene.is_dumpable()
assert "ctypes" not in sys.modules, "is_dumpable imported ctypes"
made = hygiene.make_non_dumpable()
assert "ctypes" not in sys.modules, "make_non_dumpable imported ctypes"
after = hygiene.is_dumpable()
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(before, made, after, libc.prctl(3, 0, 0, 0, 0))
"""

FALLBACK = """
import _ctypes
del _ctypes.dlsym  # not the _ctypes _prctl expects: ctypes does it
from tui_vault.core import hygiene
print(hygiene.is_dumpable(), hygiene.make_non_dumpable(), hygiene.is_dumpable())
import sys
print("ctypes" in sys.modules)
"""


def _run(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@pytest.mark.skipif(sys.platform != "linux", reason="prctl is Linux's")
def test_prctl_without_ctypes_makes_the_process_non_dumpable() -> None:
    assert _run(CHECK) == ["True", "True", "False", "0"]


@pytest.mark.skipif(sys.platform != "linux", reason="prctl is Linux's")
def test_an_unexpected_ctypes_core_falls_back_to_ctypes() -> None:
    assert _run(FALLBACK) == ["True", "True", "False", "True"]
