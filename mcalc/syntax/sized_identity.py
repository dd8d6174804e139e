"""A sized identity as input, in each spelling mcalc prints one: `Iₙ`, `Iₘₙ` (Unicode), `I_n`, `I_{mn}`,
`I_{m·n}` (ASCII, and LaTeX's `I_{mn}`), `I_3`. mcalc prints the size of an I only where its context on reading
would not fix it (a factor of a Kronecker product: `Iₙ ⊗ Kₙₘ ⊗ Iₘ`), so that every printed derivative reads
back to the same value.

Letters name the expression's dimensions as the `read:` line shows them, and are held as placeholder
dimensions (commutation.LETTER) until shape inference ties them to those dimensions (mcalc.shapes.letters),
as K_{m,n}'s are; several letters are a product (`I_{mn}` is the identity of size m·n)."""

from __future__ import annotations

import re

from mcalc.syntax.commutation import LETTER, SUBSCRIPT_LETTERS
from mcalc.syntax.nodes import Dim

_SUBSCRIPT_DIGITS = {chr(0x2080 + i): str(i) for i in range(10)}
_PART = re.compile(r"\d+|[a-z]\d*")
_SIZE = re.compile(r"(?:\d+|[a-z]\d*)(?:·?(?:\d+|[a-z]\d*))*")
# I_{n}, I_{mn}, I_{m·n}, I_{m n}, I_{12}: the braced (LaTeX) spelling
_BRACED = re.compile(r"I_\{\s*((?:\d+|[a-z]\d*)(?:\s*[·*]?\s*(?:\d+|[a-z]\d*))*)\s*\}")
# i and j are never a dimension's name: `Iᵢⱼ`, `I_{ij}` are left to index notation
_INDEX_LETTERS = frozenset("ij")


def scan(src: str, i: int) -> tuple[int, str] | None:
    """At an `I`: the end of a sized identity's spelling and its size as letters and digits (`mn`, `3`), or
    None (a bare I, or a name: `I_n` and `I_3` are read as names, then as identities by the parser, and
    `I_mn` is a valid name of a matrix)."""
    if not src.startswith("I", i):
        return None
    hit = _BRACED.match(src, i)
    if hit is not None:  # I_{m·n}, I_{m*n}, I_{m n}: the factors kept apart (I_{2·3} is 6, not 23)
        size = re.sub(r"\s*[\s·*]\s*", "·", hit.group(1).strip())
        return None if _INDEX_LETTERS & set(size) else (hit.end(), size)
    j = i + 1
    while j < len(src) and SUBSCRIPT_LETTERS.get(src[j], "i") not in _INDEX_LETTERS:
        j += 1
    if j == i + 1 or (j < len(src) and (src[j] in _SUBSCRIPT_DIGITS or src[j].isalnum() or src[j] == "_")):
        return None  # Iₙ₁ and the like: not a size mcalc writes
    return j, "".join(SUBSCRIPT_LETTERS[ch] for ch in src[i + 1 : j])


def dim(size: str) -> Dim:
    """`n` → the placeholder of the dimension n; `mn` → the product m·n; `3` → 3."""
    parts = _PART.findall(size)
    out = tuple(int(p) if p.isdigit() else LETTER + p for p in parts)
    return out[0] if len(out) == 1 else out


def numbers(size: str) -> list[str]:
    """The numbers written in a size (`2·3` → 2, 3; `n2` none: a dimension's name), none if it is no size."""
    return [p for p in _PART.findall(size) if p.isdigit()] if is_size(size) else []


def is_size(size: str) -> bool:
    """A size as `scan` returns it (so a name's subscript, `I_n`, can be asked too)."""
    return _SIZE.fullmatch(size) is not None


def written_at(src: str, start: int) -> bool:
    """Whether a sized identity (`Iₙ`, `I_{mn}`) is written at `start`: its subscript is a size, not the
    indices of an entry (index notation leaves it alone)."""
    return scan(src, start) is not None
