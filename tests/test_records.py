"""mcalc.records: the equality, hash and repr that every mcalc dataclass inherits instead of having
@dataclass compile them at start-up must be the ones @dataclass would have written."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mcalc.records import Record, record

ROOT = Path(__file__).resolve().parents[1] / "mcalc"


@record(frozen=True)
class Frozen(Record):
    a: int
    b: tuple[int, ...] = ()


@record
class Mutable(Record):
    a: int
    items: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Generated:  # what @dataclass writes itself, for comparison
    a: int
    b: tuple[int, ...] = ()


def test_same_semantics_as_a_generated_dataclass() -> None:
    assert Frozen(1, (2,)) == Frozen(1, (2,))
    assert Frozen(1) != Frozen(2)
    assert hash(Frozen(1, (2, 3))) == hash(Frozen(1, (2, 3))) == hash(Generated(1, (2, 3)))
    assert len({Frozen(1), Frozen(1), Frozen(2)}) == 2
    assert repr(Frozen(1, (2,))) == repr(Generated(1, (2,))).replace("Generated", "Frozen")
    assert Frozen(1).__eq__(Generated(1)) is NotImplemented  # another class is never equal
    assert Frozen(1) != (1, ())
    assert Mutable(1, [2]) == Mutable(1, [2])
    assert Mutable(1, [2]) != Mutable(1, [3])
    with pytest.raises(TypeError, match="unhashable"):
        hash(Mutable(1))


def test_every_dataclass_in_mcalc_is_a_record() -> None:
    """A class of fields says so: `@record` (a dataclass compiling only __init__, with the equality, hash and
    repr of `Record`). A bare @dataclass compiles its methods again at start-up; one that forgot `Record`
    would compare by identity; `@dataclass(eq=False, repr=False)` read as identity equality."""
    wrong = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            bases = [ast.unparse(b) for b in node.bases]
            if any("dataclass" in d for d in decorators):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: @dataclass, not @record")
            elif any(d.startswith("record") for d in decorators) and "Record" not in bases:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: @record without Record")
    assert not wrong, wrong


def test_a_record_must_derive_from_record() -> None:
    with pytest.raises(TypeError, match="derives from Record"):

        @record
        class Loose:
            a: int
