"""Value semantics for mcalc's dataclasses, written once.

`@dataclass` writes each method it generates (__init__, __eq__, __hash__, __repr__, and a frozen class's
__setattr__ and __delattr__) as source and compiles it when the class is made, that is on every start:
about half a millisecond a class, some 10 ms of a `mcalc diff` for the twenty classes on its path.
mcalc's records are declared `@record` (or `@record(frozen=True)`): a dataclass that compiles only
__init__ (and a frozen class's guards), and inherits from `Record` the equality, hash and repr that
@dataclass would have written: by the fields, in order, between instances of the same class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)

_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


class Record:
    __slots__ = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _names(type(self)))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        # as @dataclass: a frozen record hashes by its fields; a mutable one is not hashable
        if not type(self).__dataclass_params__.frozen:  # type: ignore[attr-defined]
            raise TypeError(f"unhashable type: {type(self).__name__!r}")
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _names(type(self)))
        return f"{type(self).__qualname__}({shown})"


@overload
def record(cls: T, /) -> T: ...
@overload
def record(*, frozen: bool = False, slots: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(field_specifiers=(field,))
def record(cls: T | None = None, /, *, frozen: bool = False, slots: bool = False) -> T | Callable[[T], T]:
    """A record: a class of named fields compared, hashed (when frozen) and shown by value, as @dataclass
    would, with those methods inherited from `Record` rather than compiled at start-up."""

    def make(cls: T) -> T:
        if not issubclass(cls, Record):
            raise TypeError(f"a @record class derives from Record: {cls.__qualname__}")
        made = dataclass(frozen=frozen, slots=slots, eq=False, repr=False)(cls)
        return made  # type: ignore[return-value]  # the same class (a new one with slots), as @dataclass

    return make if cls is None else make(cls)
