"""Sizes written in the input: the commutation matrix `K_{m,n}` (whose subscripts name the expression's
dimensions as mcalc's `read:` line shows them), a bare `K` in a claim (sized by its context, as a bare I), and
`unvec(v)` (its shape read from v's length, a product of a column count and a row count as vec(X)'s is).

A letter cannot be tied to a dimension before inference has named them (m, n, p in order of first appearance,
after unification). So the input is inferred with each letter a free dimension of its own; when a letter then
resolves to a dimension of another name, it is inferred again with the letter bound to the variable's axis
that bears its name (`bindings`), and a letter no dimension bears is refused."""

from __future__ import annotations

from typing import Any

from mcalc.errors import ShapeError
from mcalc.shapes.kinds import dim_text
from mcalc.syntax import nodes as N
from mcalc.syntax.commutation import letter_of
from mcalc.syntax.nodes import Dim

Binding = tuple[str, int]  # a variable's name and an axis of it


def letter_dim(env: Any, d: Dim, span: Any = None) -> Dim:
    """The dimension a placeholder letter stands for in this inference (a tuple: each factor's)."""
    if isinstance(d, tuple):
        return tuple(letter_dim(env, x, span) for x in d)
    letter = letter_of(d)
    if letter is None:
        return d
    found: Dim | None = env.letters.get(letter)
    if found is None:
        if letter in env.letter_bindings:
            bound = env.letter_bindings[letter]
            if bound is None:  # inferred once already, and no dimension bears this name
                raise ShapeError(_not_a_dimension(env, letter), span)
            found = _bound_dim(env, bound)
        elif letter in env._rigid:  # a dimension named by --shape
            found = letter
        else:
            found = env.uf.fresh()
        env.letters[letter] = found
    return found


def identity_dim(env: Any, node: Any) -> Dim:
    """The size of an input `Iₙ`, `I_{mn}`: the dimensions its letters name (a number as written); where
    a letter names no dimension of the expression (`tr(I_k)`), the size its context gives, as a bare I's."""
    size: Dim = node.dim
    if not _has_letter(size):
        return size
    if not any(env.letter_bindings.get(x, "") is None for x in _letters(node.dim)):
        return letter_dim(env, size, node.span)
    env._by_identity += 1
    d: Dim | None = env._identity_dims.get(id(node))
    if d is None:
        d = env._identity_dims[id(node)] = env.uf.fresh(context=True)
    return d


def fixed_identity(env: Any, n: Any) -> Any:
    """An input `Iₙ` with the dimension inference found for it (None: no letter in its size)."""
    size: Dim | None = n.dim
    if size is None or not _has_letter(size):
        return None
    d: Dim | None = env._identity_dims.get(id(n))
    return N.Identity(env.resolve(d if d is not None else letter_dim(env, size)), span=n.span)


def _letters(d: Dim) -> list[str]:
    if isinstance(d, tuple):
        return [x for p in d for x in _letters(p)]
    letter = letter_of(d)
    return [] if letter is None else [letter]


def unnamed(env: Any) -> dict[str, str]:
    """The letters of K_{m,n} written in the input whose dimensions have no name yet (inference failed
    before a variable's dimension took them), as names for an error message: `?2` → m."""
    out: dict[str, str] = {}
    for letter, d in env.letters.items():
        rep = env.uf.find(d)
        if isinstance(rep, str) and rep.startswith("?") and rep not in env.names:
            out.setdefault(rep, letter)
    return out


def _not_a_dimension(env: Any, letter: str) -> str:
    names = ", ".join(env.dimension_names) or "none"
    return (
        f"K with the subscript {letter}: {letter} is not a dimension of the expression (its dimensions are "
        f"{names}); K_{{m,n}} has K vec(M) = vec(Mᵀ) for an m×n M"
    )


def dimension_names(env: Any) -> tuple[str, ...]:
    """The names of the variables' dimensions, once inference has named them (for the refusal above)."""
    return tuple(sorted({dim_text(env.resolve(d)) for ds in env.var_dims.values() for d in ds if env.resolve(d) != 1}))


def commutation_shape(env: Any, node: Any) -> tuple[Dim, Dim]:
    """K_{r,c}'s r and c: the letters' dimensions, or fresh ones fixed by the context for a bare K."""
    if node.rows != N.BY_CONTEXT:
        return letter_dim(env, node.rows, node.span), letter_dim(env, node.cols, node.span)
    env._by_identity += 1
    d = env._identity_dims.get(id(node))
    if d is None:
        d = env._identity_dims[id(node)] = (env.uf.fresh(context=True), env.uf.fresh(context=True))
    return d[0], d[1]


def unvec_shape(env: Any, node: Any, length: Dim, unify: bool) -> tuple[Dim, Dim]:
    """unvec(v) is r×c when v's length is c·r (vec stacks the columns: the column count is the outer factor);
    a length that is no product of two dimensions leaves the shape unknown: refused, naming it."""
    env._by_identity += 1
    d = env._identity_dims.get(id(node))
    if d is None:
        resolved = env.resolve(length)
        if not (isinstance(resolved, tuple) and len(resolved) == 2):
            raise ShapeError(
                f"unvec({env.text_of(node.arg)}): the shape of the matrix is not known: the length of "
                f"{env.text_of(node.arg)}{_length(resolved)} is not a product of two of the expression's dimensions "
                f"as vec(X)'s is (n·m for an m×n X)",
                node.span,
            )
        d = env._identity_dims[id(node)] = (env.uf.fresh(), env.uf.fresh())
    r, c = d
    if unify:
        env.uf.unify(length, (c, r))
    return r, c


def _length(d: Dim) -> str:
    return "" if isinstance(d, str) and d.startswith("?") else f", {dim_text(d)},"


def bindings(env: Any) -> dict[str, Binding | None] | None:
    """None when each letter already resolves to the dimension of its name; else the variable's axis that
    bears each letter's name, for inference again (None for a letter no dimension bears: refused there, at
    its place in the input)."""
    if all(env.resolve(v) == letter for letter, v in env.letters.items()):
        return None
    found: dict[str, Binding | None] = dict.fromkeys(env.letters)
    for name, dims in env.var_dims.items():
        for axis, d in enumerate(dims):
            r = env.resolve(d)
            if isinstance(r, str) and r in found and found[r] is None and d != 1:
                found[r] = (name, axis)
    # the size of an I the expression leaves to its context (p in kron(A, I)'s answer, (Iₙ ⊗ Kₚₘ ⊗ Iₚ) …):
    # the first such I (the expression's, inferred before the claim) bears the name
    for key, d in env._identity_dims.items():
        r = env.resolve(d) if not isinstance(d, tuple) else None
        if isinstance(r, str) and r in found and found[r] is None:
            found[r] = (CONTEXT, key)
    return found


CONTEXT = "·context"  # a binding to an input I's context-sized dimension, by the I's key (not a variable's axis)


def _bound_dim(env: Any, bound: Binding) -> Dim:
    if bound[0] != CONTEXT:
        axis: Dim = env.var_dims[bound[0]][bound[1]]
        return axis
    d: Dim | None = env._identity_dims.get(bound[1])
    if d is None:  # the I is met after the letter: its dimension made now, taken up when it is met
        d = env._identity_dims[bound[1]] = env.uf.fresh(context=True)
    return d


def fixed_commutation(env: Any, n: Any) -> Any:
    """A K of the input with the dimensions inference found for it (None: not one of those)."""
    if n.rows == N.BY_CONTEXT:
        d = env._identity_dims.get(id(n))
        return None if d is None else N.Commutation(env.resolve(d[0]), env.resolve(d[1]), span=n.span)
    if not (_has_letter(n.rows) or _has_letter(n.cols)):
        return None
    r, c = letter_dim(env, n.rows), letter_dim(env, n.cols)
    return N.Commutation(env.resolve(r), env.resolve(c), span=n.span)


def unvec_dims(env: Any, n: Any) -> tuple[Dim, Dim] | None:
    """An input unvec's rows and columns as inference found them (None: not an input unvec)."""
    d = env._identity_dims.get(id(n)) if n.rows == N.BY_ARGUMENT else None
    return None if d is None else (env.resolve(d[0]), env.resolve(d[1]))


def _has_letter(d: Dim) -> bool:
    if isinstance(d, tuple):
        return any(_has_letter(x) for x in d)
    return letter_of(d) is not None
