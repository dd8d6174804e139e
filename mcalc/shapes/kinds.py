"""What a name is (scalar, vector, matrix), what the user declared, and how shapes are written."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import field
from functools import cached_property

from mcalc.errors import InputError
from mcalc.records import Record, record
from mcalc.syntax.nodes import Dim

Shape = tuple[Dim, Dim]
SCALAR_SHAPE: Shape = (1, 1)
DIM_LETTERS = ("m", "n", "p", "q", "r", "s", "u", "v", "w", "k", "l", "h", "g")
# one-letter lowercase names that mean a scalar function when written f(t)
SCALAR_FUNCTION_NAMES = frozenset({"f", "g", "h"})


class Kind(enum.Enum):
    SCALAR = "scalar"
    VECTOR = "vector"
    MATRIX = "matrix"


@record(frozen=True)
class Declarations(Record):
    """What the user declared on the command line; everything else follows the naming convention."""

    scalars: frozenset[str] = frozenset()
    vectors: frozenset[str] = frozenset()
    matrices: frozenset[str] = frozenset()
    symmetric: frozenset[str] = frozenset()
    # structured matrices (issue 24 item 5): derivatives by them are taken along their free values
    diagonal: frozenset[str] = frozenset()
    toeplitz: frozenset[str] = frozenset()
    shapes: Mapping[str, tuple[Dim, ...]] = field(default_factory=dict)
    # `--let NAME = EXPR` items as (NAME, EXPR), in the order given (mcalc.lets reads them)
    lets: tuple[tuple[str, str], ...] = ()

    @cached_property
    def declared(self) -> frozenset[str]:
        # computed once per declarations (they are frozen): kind inference asks it once per name, and a
        # 3,000-term input has thousands of names (the union rebuilt each time was quadratic)
        return (
            self.scalars | self.vectors | self.matrices | self.symmetric | self.diagonal | self.toeplitz
            | frozenset(self.shapes)
        )  # fmt: skip


def parse_shape_spec(spec: str) -> tuple[str, tuple[Dim, ...]]:
    """`A=m×n`, `A=3x4`, `x=n`, `c=1` → (name, dims)."""
    name, sep, dims = spec.partition("=")
    name = name.strip()
    if not sep or not name or not dims.strip():
        raise InputError(f"bad --shape {spec!r}: expected NAME=DIMS such as A=m×n or A=3x4")
    parts = [p.strip() for p in re.split(r"[×xX*,]", dims)]
    out: list[Dim] = []
    for p in parts:
        if re.fullmatch(r"[0-9]+", p):
            if len(p) > 9:
                raise InputError(f"bad --shape {spec[:40]!r}: a size of at most 9 digits")
            if int(p) == 0:
                raise InputError(f"bad --shape {spec!r}: dimensions must be positive")
            out.append(int(p))
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", p):
            out.append(p)
        else:
            raise InputError(f"bad --shape {spec!r}: {p!r} is not a size or a dimension name")
    if len(out) > 2:
        raise InputError(f"bad --shape {spec!r}: at most two dimensions")
    return name, tuple(out)


def dim_text(d: Dim) -> str:
    if isinstance(d, tuple):
        return "·".join(dim_text(x) for x in d)
    return str(d)


def shape_text(shape: Shape) -> str:
    r, c = shape
    if r == 1 and c == 1:
        return "scalar"
    return f"{dim_text(r)}×{dim_text(c)}"


def default_kind(name: str) -> Kind:
    first = name[0]
    return Kind.MATRIX if first.isupper() else Kind.VECTOR


def kind_of(name: str, decl: Declarations, is_param: bool, is_function: bool) -> Kind:
    if name in decl.scalars:
        return Kind.SCALAR
    if name in decl.vectors:
        return Kind.VECTOR
    if name in decl.matrices or name in decl.symmetric or name in decl.diagonal or name in decl.toeplitz:
        return Kind.MATRIX
    if name in decl.shapes:
        dims = decl.shapes[name]
        if len(dims) == 0 or all(d == 1 for d in dims):
            return Kind.SCALAR
        if len(dims) == 1:
            return Kind.VECTOR
        return Kind.MATRIX
    if is_param:
        return Kind.SCALAR
    if is_function and name in SCALAR_FUNCTION_NAMES:
        return Kind.SCALAR
    return default_kind(name)
