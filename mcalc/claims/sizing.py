"""An `I` or a `𝟙` in a claim takes the size its context gives it, or else the size that gives the claim the
derivative's shape (`sum(x)` by x claimed `𝟙`: the ones vector of x's length)."""

from __future__ import annotations

import itertools
from typing import Any

from mcalc.claims.terms import walk
from mcalc.errors import McalcError


def size_identities(env: Any, claim: Any, truth: Any) -> Any:
    """An `I` (or `𝟙`) in the claim takes the size its context gives it; where the context leaves it free
    (`2 I`, `C ⊗ I`, `𝟙`), the size that gives the claim the derivative's shape (or its transpose)."""
    known = _known_sizes(env)
    free = _free_identity_sizes(env, claim, known)
    if not free or not known:
        return claim
    t_shape = env.shape(truth)
    flipped = (t_shape[1], t_shape[0])
    fallback = None
    # the derivative's own sides too: `I` claimed for ∂vec(X)/∂vec(X) is I of size m·n
    candidates = known + [d for d in t_shape if isinstance(d, tuple) and d not in known]
    for choice in itertools.islice(itertools.product(candidates, repeat=len(free)), 256):
        candidate = _sized(claim, dict(zip(free, choice, strict=True)))
        try:
            shape = env.shape(candidate)
        except McalcError:
            continue
        if shape == t_shape:
            return candidate
        if shape == flipped and fallback is None:
            fallback = candidate
    return fallback if fallback is not None else claim


def _known_sizes(env: Any) -> list[Any]:
    """Every size the declared names use (but 1), in declaration order."""
    known: list[Any] = []
    for name in env.kinds:
        for d in env.shape_of_var(name):
            for x in d if isinstance(d, tuple) else (d,):
                if x not in known and x != 1:
                    known.append(x)
    return known


def _sized_dims(n: Any) -> list[Any]:
    """The sizes a claim's I, 𝟙 or commutation matrix K was given (a product's factors each)."""
    from mcalc.syntax import nodes as N

    if isinstance(n, N.Identity):
        dims = [n.dim]
    elif isinstance(n, N.Ones) and n.cols == 1:
        dims = [n.rows]
    elif isinstance(n, N.Commutation):
        dims = [n.rows, n.cols]
    else:
        return []
    return [x for d in dims for x in (d if isinstance(d, tuple) else (d,))]


def _free_identity_sizes(env: Any, claim: Any, known: list[Any]) -> list[Any]:
    """The sizes of the claim's identities (and 𝟙, K) that no context fixes."""
    free: list[Any] = []
    for n in walk(claim):
        for dim in _sized_dims(n):
            d = env.resolve(dim) if dim is not None else None
            if (d is None or (isinstance(d, str) and d not in known)) and dim not in free:
                free.append(dim)
    return free


def _sized(node: Any, table: dict[Any, Any]) -> Any:
    """`node` with each identity (𝟙, K) whose size is in `table` given that size."""
    from mcalc.syntax import nodes as N

    if isinstance(node, N.Identity) and node.dim is not None:
        return N.Identity(_dim(node.dim, table), span=node.span)
    if isinstance(node, N.Ones) and node.cols == 1:
        return N.Ones(_dim(node.rows, table), 1, span=node.span)
    if isinstance(node, N.Commutation):
        return N.Commutation(_dim(node.rows, table), _dim(node.cols, table), span=node.span)
    kids = node.children()
    return node if not kids else N.rebuild(node, tuple(_sized(k, table) for k in kids))


def _dim(d: Any, table: dict[Any, Any]) -> Any:
    """A dimension (or a product of them) with each one in `table` replaced (a module function: a nested
    one that calls itself would be a reference cycle, left to the cyclic collector)."""
    return tuple(_dim(x, table) for x in d) if isinstance(d, tuple) else table.get(d, d)


def bare_k_notes(env: Any, claim: Any, text: str) -> list[str]:
    """How each bare K of the claim (`K` as typed: the commutation matrix, the expression having no K) was
    sized, with the other reading named where the sizes differ (K_{m,n} and K_{n,m} are both mn×mn)."""
    from mcalc.shapes import dim_text
    from mcalc.syntax import nodes as N
    from mcalc.syntax.commutation import article

    out: list[str] = []
    for n in walk(claim):
        if not (isinstance(n, N.Commutation) and n.span is not None and text[n.span.start : n.span.end] == "K"):
            continue
        r, c = dim_text(env.resolve(n.rows)), dim_text(env.resolve(n.cols))
        note = (
            f"in the claim: K is read as the commutation matrix K_{{{r},{c}}} (K vec(M) = vec(Mᵀ) for {article(r)} "
            f"{r}×{c} M), sized by its context: K does not occur in the expression"
        )
        if r != c:
            note += f"; K_{{{c},{r}}} has the same size: write K_{{{c},{r}}} if you meant that one"
        out.append(note)
    return list(dict.fromkeys(out))
