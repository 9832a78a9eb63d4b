"""A base for small frozen value classes, without `dataclasses`.

`dataclasses` loads inspect (and with it ast, dis, tokenize, linecache) and compiles each
class's methods with exec(): ~10 ms of a local `get`'s ~70 (bench/PROFILING.md, round 4,
`pget`). The value classes on that path are plain slotted classes on this base instead:
fields set once in `__init__` (through `object.__setattr__`), then read-only; equal, hashed
and shown by their fields (`_fields`, in order; `__slots__ = _fields`), like a frozen
dataclass. A class whose repr or
equality must leave a field out (a key's text, a cached file) overrides `_values` or
`__repr__`.
"""

from __future__ import annotations

from typing import ClassVar


class Frozen:
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[object, ...]:
        """What equality and the hash compare: every field, in order."""
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frozen) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"
