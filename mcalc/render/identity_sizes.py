"""Where an identity's size is printed in text: as a factor of a Kronecker product whose other factor does not
fix it on reading (`Iₙ ⊗ Kₙₘ ⊗ Iₘ`, `Iₘₙ ⊗ vec(X)`, `vec(Iₚ)`), so that every printed derivative reads back as
the same value (mcalc.syntax.sized_identity reads these spellings); and then every I of that derivative (outside
unvec), whose neighbours in a product no longer fix it either (`(Aᵀ ⊗ Iₘₚ) (Iₙ ⊗ Kₚₘ ⊗ Iₚ)`). Elsewhere the
context fixes the size and a bare `I` is printed, as before (`xᵀ ⊗ I`: the other factor is a plain matrix, the
product's side fixes I).

LaTeX writes every identity's size (`I_{n}`), as it always has."""

from __future__ import annotations

from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node

# factors whose sides are themselves products or free sizes: beside one, an I's size is not fixed on reading
_UNSETTLED = (N.Identity, N.Ones, N.Commutation, N.Vec, N.Unvec, N.Kron)
# the text subscript letters that lex back (mcalc.syntax.sized_identity): i and j are left to index notation
_SUBSCRIPTS = {
    **{str(i): chr(0x2080 + i) for i in range(10)},
    "a": "ₐ", "e": "ₑ", "h": "ₕ", "k": "ₖ", "l": "ₗ", "m": "ₘ", "n": "ₙ",
    "o": "ₒ", "p": "ₚ", "r": "ᵣ", "s": "ₛ", "t": "ₜ", "u": "ᵤ", "v": "ᵥ", "x": "ₓ",
}  # fmt: skip


def needed(root: Node) -> bool:
    """Whether some Kronecker product of the tree (outside unvec) has an I whose size its context leaves
    free (`sized_factors`): then the printer writes every I's size. Each shared part is looked at once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if id(n) in seen or isinstance(n, N.Unvec):
            continue
        seen.add(id(n))
        if isinstance(n, N.Kron) and sized_factors(n):
            return True
        stack.extend(n.children())
    return False


def sized_factors(kron: N.Kron) -> bool:
    """Whether the identities among this product's factors print their sizes (and `vec(I)`'s)."""
    left, right = kron.left, kron.right
    return (_identity_of(left) is not None and _unsettled(right)) or (
        _identity_of(right) is not None and _unsettled(left)
    )


def _unsettled(f: Node) -> bool:
    """A factor whose sides are products or free sizes (vec(A)ᵀ as much as vec(A))."""
    return isinstance(f.arg if isinstance(f, N.Transpose) else f, _UNSETTLED)


def _identity_of(f: Node) -> N.Identity | None:
    if isinstance(f, N.Vec):
        f = f.arg
    return f if isinstance(f, N.Identity) and f.dim is not None else None


def parts(d: Dim) -> list[str]:
    """A size's factors as printed: `m·n` → [m, n]."""
    return [x for p in d for x in parts(p)] if isinstance(d, tuple) else [str(d)]


def text(d: Dim, compact: bool) -> str:
    """`Iₙ`, `Iₘₙ`, `I₃` (Unicode) or `I_n`, `I_3`, `I_{mn}`, `I_{3*n}` (ASCII); braced where the subscript
    letters do not serve (`I_{pq}`: no subscript q), digits meet (`I_{2·3}`, never I₂₃) or follow a letter
    (`I_{n2}` of --shape X=n1xn2: Iₙ₂ does not lex)."""
    sizes = parts(d)
    letters_only = all(p.isalpha() and len(p) == 1 for p in sizes)
    joined = "".join(sizes) if letters_only or len(sizes) == 1 else ("·" if compact else "*").join(sizes)
    if compact and (letters_only or joined.isdigit()) and all(ch in _SUBSCRIPTS for ch in joined):
        return "I" + "".join(_SUBSCRIPTS[ch] for ch in joined)
    if len(sizes) == 1 and (joined.isdigit() or (len(joined) == 1 and joined not in "ij")):
        return f"I_{joined}"
    return f"I_{{{joined}}}"
