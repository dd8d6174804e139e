"""What mcalc read: every name with its kind and size and where that came from, and the warnings.

Principle (README § How mcalc reads a name): a name's kind is declared (`--scalar`, `--vector`,
`--matrix`, `--symmetric`, `--shape`); else read from its `--at` value (0-d scalar, 1-d vector, 2-d
matrix); else decided by how the expression uses it (an undeclared lowercase name that only scales or is
added to a scalar-valued array expression is a scalar); else the naming convention (uppercase matrix,
lowercase vector, `t` and declared parameters scalars). Whenever mcalc inferred or chose, the output says
so: a reading line for people, `reading` and `warnings` in JSON. A warning is for every choice that could
change the answer: a `--wrt` name that does not occur, names that look alike, a spelling a reader could
take another way, a kind that differs from the naming convention.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mcalc.records import Record, record
from mcalc.shapes import SCALAR_SHAPE, Kind, ShapeEnv, default_kind, dim_text
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


class Source:
    """Where a name's kind came from (the values are what the output says)."""

    DECLARED = "declared"
    AT = "from --at"
    USE = "by use"
    CONVENTION = "convention"
    PARAMETER = "parameter"


# Greek (and a few other) letters that print like Latin ones: a name made of them reads as another name.
LOOK_ALIKES = {
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v", "κ": "k", "ρ": "p", "ι": "i", "υ": "u",
}  # fmt: skip
GREEK_NAMES = {
    "Α": "capital alpha", "Β": "capital beta", "Ε": "capital epsilon", "Ζ": "capital zeta", "Η": "capital eta",
    "Ι": "capital iota", "Κ": "capital kappa", "Μ": "capital mu", "Ν": "capital nu", "Ο": "capital omicron",
    "Ρ": "capital rho", "Τ": "capital tau", "Υ": "capital upsilon", "Χ": "capital chi", "ο": "omicron",
    "ν": "nu", "κ": "kappa", "ρ": "rho", "ι": "iota", "υ": "upsilon",
}  # fmt: skip


@record(frozen=True)
class NameReading(Record):
    name: str
    kind: Kind
    shape: tuple[str, ...]  # dimension texts: () scalar, (m,) vector, (m, n) matrix
    source: str
    structure: str = ""  # "diagonal", "Toeplitz": derivatives by the name are along its free values

    def text(self) -> str:
        return name_text(self.name, self.kind.value, self.shape, self.source, self.structure)

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind.value, "shape": list(self.shape), "source": self.source}
        return out | ({"structure": self.structure} if self.structure else {})


@record(frozen=True)
class Reading(Record):
    names: tuple[NameReading, ...]
    warnings: tuple[str, ...]

    def line(self) -> str:
        """The compact reading line: `read: A matrix (m×n); c scalar, by use; x vector (m)`."""
        return "read: " + "; ".join(n.text() for n in self.names)

    def to_json(self) -> dict[str, Any]:
        return {n.name: n.to_json() for n in self.names}


def name_text(name: str, kind: str, shape: Sequence[str], source: str, structure: str = "") -> str:
    """`A matrix (m×n)`, `x vector (m)`, `c scalar, by use`, `D diagonal matrix (m×m)`: the source only where
    it is not the convention."""
    what = {"scalar": "scalar", "vector": f"vector ({''.join(shape)})"}.get(kind, f"matrix ({'×'.join(shape)})")
    what = f"{structure} {what}" if structure else what
    how = "" if source in (Source.CONVENTION, Source.DECLARED) else f", {source}"
    return f"{name} {what}{how}"


def line_from_json(reading: Mapping[str, Mapping[str, Any]], rules: Sequence[str] = ()) -> str:
    """The reading line from the JSON `reading` object (what the renderers hold), and the JSON `rules`: which
    rule an eigenvalue function was differentiated by (mcalc.calculus.spectral)."""
    names = [name_text(n, r["kind"], r["shape"], r["source"], r.get("structure", "")) for n, r in reading.items()]
    return "read: " + "; ".join([*names, *rules])


def read(env: ShapeEnv, tree: Node, wrt: Iterable[str] = ()) -> Reading:
    """The reading of `tree` under `env`: names in order of appearance, then the warnings."""
    names = tuple(_name_reading(env, name) for name in env.kinds)
    warnings = [
        *env.notes,
        *_kind_warnings(names, frozenset(_exponents(tree))),
        *_entry_exponents(env, names, tree),
        *_absent_wrt(env, tree, wrt),
        *_look_alikes(env.kinds),
    ]
    return Reading(names, tuple(dict.fromkeys(warnings)))


def _name_reading(env: ShapeEnv, name: str) -> NameReading:
    kind = env.kinds[name]
    dims = env.shape_of_var(name)
    shape: tuple[str, ...] = ()
    if kind is Kind.VECTOR:
        shape = (dim_text(env.resolve(dims[0])),)
    elif kind is Kind.MATRIX:
        shape = tuple(dim_text(env.resolve(d)) for d in dims)
    source = env.kind_sources.get(name)
    if source is None:
        source = Source.USE if name in env.inferred_scalars else Source.CONVENTION
    if name in env.functions:  # A(t): a matrix function of t (f, g, h of t: scalar functions, by convention)
        name = f"{name}({env.functions[name]})"
    elif source is Source.CONVENTION and kind is not default_kind(name):
        source = Source.PARAMETER  # t in A(t)
    structure = env.structure(name)  # --symmetric is not said here: its reading line was set before these
    return NameReading(name, kind, shape, source, "" if structure == "symmetric" else structure)


def _exponents(tree: Node) -> set[str]:
    """Names written in the exponent of `^` (Xᵏ, (xᵀx)ᵖ, ‖x‖^(1/p)): a scalar by their use there."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.PowerOf):  # p in Xᵖ, in (xᵀx)^(1/p)
            found.update(N.free_symbols(n.exponent))
        stack.extend(n.children())
    return found


def _kind_warnings(names: Iterable[NameReading], exponents: frozenset[str] = frozenset()) -> list[str]:
    """A kind read from use or from a value, where the naming convention says another: say how to undo it."""
    out = []
    for n in names:
        if n.source == Source.USE:
            why = "it is the exponent of a power" if n.name in exponents else "it only scales or is added to scalars"
            out.append(f"{n.name} is read as a scalar: {why} (--vector {n.name} reads it as a vector)")
        elif n.source == Source.AT and n.kind is not default_kind(n.name):
            out.append(f"{n.name} is read as a {n.kind.value} from its --at value")
    return out


def _entry_exponents(env: ShapeEnv, names: Iterable[NameReading], tree: Node) -> list[str]:
    """`x .^ t` with t undeclared: t is an array by the naming convention, one exponent per entry of the
    array x, where the user may have meant one number (the derivative by t differs); say how to read it so.
    Not for a scalar base (`2 .^ x`: x is the array)."""
    arrays = {n.name: n.kind.value for n in names if n.source == Source.CONVENTION and n.kind is not Kind.SCALAR}
    out = []
    for n in _nodes(tree) if arrays else ():
        if (
            isinstance(n, N.ElementPowerOf)
            and isinstance(n.exponent, N.Symbol)
            and n.exponent.name in arrays
            and env.shape(n.base) != SCALAR_SHAPE
        ):
            t = n.exponent.name
            out.append(f"{t} is read as a {arrays[t]}: one exponent per entry (--scalar {t} reads it as one number)")
    return out


def _nodes(tree: Node) -> list[Node]:
    found: list[Node] = []
    stack = [tree]
    while stack:
        n = stack.pop()
        found.append(n)
        stack.extend(n.children())
    return found


def _absent_wrt(env: ShapeEnv, tree: Node, wrt: Iterable[str]) -> list[str]:
    present = set(N.free_symbols(tree)) | set(env.functions)
    out = []
    for var in wrt:
        if var in present or var in env.functions.values():
            continue
        close = difflib.get_close_matches(var, sorted(present), n=1, cutoff=0.0) if present else []
        same_letter = [p for p in present if p.lower() == var.lower()]
        hint = f" (did you mean {(same_letter or close)[0]}?)" if same_letter or close else ""
        out.append(f"{var} does not occur in the expression: the derivative is 0{hint}")
    return out


def _look_alikes(names: Iterable[str]) -> list[str]:
    out = []
    for name in names:
        for ch in name:
            if ch in LOOK_ALIKES:
                out.append(
                    f"{name} is written with the Greek {GREEK_NAMES[ch]} {ch}, which looks like the Latin "
                    f"{LOOK_ALIKES[ch]}: they are different names"
                )
    return out
