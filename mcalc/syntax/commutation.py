"""The commutation matrix as input (issue 23 item 3): K with K vec(M) = vec(Mᵀ) for an r×c matrix M, written
as mcalc prints it, `Kₘₙ` (Unicode) or `K[m,n]` (`--ascii`), or as books write it, `K_{m,n}`, `K_{mn}`, and in a
claim `K_mn` or a bare `K` (claims.sizing: only where the expression has no name K_mn or K).

The subscripts name the expression's dimensions as mcalc's `read:` line shows them (R matrix (m×n): `K_{m,n}`),
or are sizes (`K[2,3]`); several letters are a product (`K[mn,p]`, the side of a Kronecker product). A letter
is held as a placeholder dimension (`LETTER + "m"`) until shape inference ties it to the expression's
dimension of that name (mcalc.shapes.letters)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from mcalc.syntax.nodes import Dim

LETTER = "·dim "  # a placeholder dimension: the letter that names one of the expression's dimensions
SUBSCRIPT_LETTERS = {"ₐ": "a", "ₑ": "e", "ₕ": "h", "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₗ": "l", "ₘ": "m", "ₙ": "n",
                     "ₒ": "o", "ₚ": "p", "ᵣ": "r", "ₛ": "s", "ₜ": "t", "ᵤ": "u", "ᵥ": "v", "ₓ": "x"}  # fmt: skip

_PART = r"\s*(\d+|[a-z](?:\d+)?(?:·?[a-z](?:\d+)?)*)\s*"
_BRACKET = re.compile(rf"K\[{_PART},{_PART}\]")
_BRACED = re.compile(rf"K_\{{{_PART},{_PART}\}}")
_BRACED_PAIR = re.compile(r"K_\{\s*([a-z])\s*([a-z])\s*\}")
_JOINED = re.compile(r"K_([a-z])([a-z])(?![A-Za-z0-9_])")


def scan(src: str, i: int) -> tuple[int, str] | None:
    """At a `K`: the end of a commutation matrix's spelling and its two subscripts as `rows,cols`, or None
    (`K_mn`, a name today, is read as K only in a claim: mcalc.claims.sizing)."""
    if not src.startswith("K", i):
        return None
    for pattern in (_BRACKET, _BRACED, _BRACED_PAIR):
        hit = pattern.match(src, i)
        if hit is not None:
            return hit.end(), f"{hit.group(1)},{hit.group(2)}"
    a, b = src[i + 1 : i + 2], src[i + 2 : i + 3]
    if a in SUBSCRIPT_LETTERS and b in SUBSCRIPT_LETTERS and src[i + 3 : i + 4] not in SUBSCRIPT_LETTERS:
        return i + 3, f"{SUBSCRIPT_LETTERS[a]},{SUBSCRIPT_LETTERS[b]}"
    return None


def article(size: str) -> str:
    """`an m×n M`, `a 3×3 M`, `a p×q M`: the article as the size's first letter is said."""
    return "an" if size[:1] in "fhlmnrsx" else "a"


def joined(name: str) -> tuple[str, str] | None:
    """`K_mn` → (m, n): the claim spelling that is also a valid name."""
    hit = _JOINED.fullmatch(name)
    return (hit.group(1), hit.group(2)) if hit is not None else None


def dims(spec: str) -> tuple[Dim, Dim]:
    """`m,n` → the two placeholder dimensions; `2,3` → sizes; `mn,p` → a product and a letter."""
    rows, cols = spec.split(",")
    return _dim(rows.strip()), _dim(cols.strip())


def _dim(part: str) -> Dim:
    if part.isdigit():
        return int(part)
    letters = re.findall(r"[a-z]\d*", part)
    out = tuple(LETTER + x for x in letters)
    return out[0] if len(out) == 1 else out


def letter_of(d: Dim) -> str | None:
    return d[len(LETTER) :] if isinstance(d, str) and d.startswith(LETTER) else None


def has_letters(d: Dim) -> bool:
    if isinstance(d, tuple):
        return any(has_letters(x) for x in d)
    return letter_of(d) is not None


def in_claim(tree: Any, names: Collection[str]) -> tuple[Any, list[str]]:
    """A claim's `K_mn` and bare `K` read as the commutation matrix where the expression has no such name
    (`(Rᵀ ⊗ I) K + I ⊗ Rᵀ` for ∂vec(RᵀR)/∂vec(R)), and the notes that say so; a subscripted K where the
    expression has a matrix K is still the commutation matrix, with a note."""
    from mcalc.syntax import nodes as N

    notes: list[str] = []

    def walk(n: Any) -> Any:
        if isinstance(n, N.Symbol) and n.name not in names:
            pair = joined(n.name)
            if pair is not None:
                notes.append(
                    f"in the claim: {n.name} is read as the commutation matrix K_{{{pair[0]},{pair[1]}}} "
                    f"(K vec(M) = vec(Mᵀ) for {article(pair[0])} {pair[0]}×{pair[1]} M): {n.name} does not occur in "
                    "the expression"
                )
                return N.Commutation(LETTER + pair[0], LETTER + pair[1], span=n.span)
            if n.name == "K":
                return N.Commutation(N.BY_CONTEXT, N.BY_CONTEXT, span=n.span)
            return n
        if isinstance(n, N.Commutation) and "K" in names and (has_letters(n.rows) or has_letters(n.cols)):
            notes.append(
                "in the claim: K with subscripts is read as the commutation matrix, though the expression has a "
                "matrix K (write K alone for that matrix)"
            )
        kids = n.children()
        if not kids:
            return n
        new = tuple(walk(k) for k in kids)
        return n if all(a is b for a, b in zip(new, kids, strict=True)) else N.rebuild(n, new)

    try:
        out = walk(tree)
    finally:
        # a closure that calls itself is a reference cycle: freed now, not by the cyclic collector
        walk = None  # type: ignore[assignment]
    return out, list(dict.fromkeys(notes))
