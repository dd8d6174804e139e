"""Declarations as people type them, for the CLI and the Python API alike.

`--scalar c,t --scalar s`, `--symmetric S`, `--shape A=m×n,x=3`, `--wrt theta`: comma-separated names,
repeatable, Greek letters spelled out (`theta` → θ, `Phi_1` → Φ_1). Both front ends call these
functions, so a name means the same thing on the command line and in `mcalc.diff(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable

from mcalc.shapes import Declarations, parse_shape_spec
from mcalc.syntax.nodes import Dim


def greek(name: str) -> str:
    """`theta` → `θ`, `Phi_1` → `Φ_1`, `x₁` → `x_1` (as the expression reads it); any other name unchanged."""
    from mcalc.syntax.lexer import GREEK, name_text

    base, sep, sub = name_text(name).partition("_") if name else ("", "", "")
    return GREEK.get(base, base) + sep + sub


def names(items: Iterable[str]) -> list[str]:
    """Every name in comma-separated items, in order, Greek spelled as mcalc prints it."""
    out: list[str] = []
    for item in items:
        out.extend(greek(part.strip()) for part in item.split(",") if part.strip())
    return out


def split_shapes(item: str) -> list[str]:
    """`A=m×n,B=n×p` holds two specs; `A=3,4` is one (the comma separates dimensions)."""
    specs: list[str] = []
    for part in item.split(","):
        if "=" in part or not specs:
            specs.append(part)
        else:
            specs[-1] += "," + part
    return specs


def shapes(items: Iterable[str]) -> dict[str, tuple[Dim, ...]]:
    """`--shape` items → name → dimensions (a later spec for a name wins, as on the command line)."""
    out: dict[str, tuple[Dim, ...]] = {}
    for item in items:
        for spec in split_shapes(item):
            name, dims = parse_shape_spec(spec)
            out[greek(name)] = dims
    return out


def declarations(
    scalar: Iterable[str] = (),
    vector: Iterable[str] = (),
    matrix: Iterable[str] = (),
    symmetric: Iterable[str] = (),
    shape: Iterable[str] = (),
) -> Declarations:
    """The declarations of `--scalar`, `--vector`, `--matrix`, `--symmetric` and `--shape` items."""
    return Declarations(
        scalars=frozenset(names(scalar)),
        vectors=frozenset(names(vector)),
        matrices=frozenset(names(matrix)),
        symmetric=frozenset(names(symmetric)),
        shapes=shapes(shape),
    )
