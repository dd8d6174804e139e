"""An `I` in a claim takes the size its context gives it, or else the size that gives the claim the
derivative's shape."""

from __future__ import annotations

import itertools
from typing import Any

from mcalc.claims.terms import walk
from mcalc.errors import McalcError


def size_identities(env: Any, claim: Any, truth: Any) -> Any:
    """An `I` in the claim takes the size its context gives it; where the context leaves it free
    (`2 I`, `C ⊗ I`), the size that gives the claim the derivative's shape (or its transpose)."""
    known = _known_sizes(env)
    free = _free_identity_sizes(env, claim, known)
    if not free or not known:
        return claim
    t_shape = env.shape(truth)
    flipped = (t_shape[1], t_shape[0])
    fallback = None
    for choice in itertools.islice(itertools.product(known, repeat=len(free)), 256):
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


def _free_identity_sizes(env: Any, claim: Any, known: list[Any]) -> list[Any]:
    """The sizes of the claim's identities that no context fixes."""
    from mcalc.syntax import nodes as N

    free: list[Any] = []
    for n in walk(claim):
        if isinstance(n, N.Identity):
            d = env.resolve(n.dim) if n.dim is not None else None
            if (d is None or (isinstance(d, str) and d not in known)) and n.dim not in free:
                free.append(n.dim)
    return free


def _sized(node: Any, table: dict[Any, Any]) -> Any:
    """`node` with each identity whose size is in `table` given that size."""
    from mcalc.syntax import nodes as N

    if isinstance(node, N.Identity) and node.dim in table:
        return N.Identity(table[node.dim], span=node.span)
    kids = node.children()
    return node if not kids else N.rebuild(node, tuple(_sized(k, table) for k in kids))
