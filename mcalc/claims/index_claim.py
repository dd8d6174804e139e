"""A claim in index notation (`δ_ik C_lj`, `∂L/∂W_ij = ((W x)_i − t_i) x_j`), read and set up for judging.

The claim is a tensor with the contract's layout-free convention: axes shape(EXPR) + shape(VAR), entry
[i…, k…] = ∂EXPR[i…]/∂VAR[k…]. Which free index is which axis: an equation says it (`∂K_ij/∂R_kl = …`,
`J_ijkl = …`, `∂L/∂W_ij = …`); in a bare claim the free indices in alphabetical order are the axes, the
expression's first (`δ_ik C_lj`: i, j | k, l). Each index ranges over the dimension of the names it
indexes. The claim is compared with mcalc's derivative at random points (claims.index_verdict).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from mcalc.claims import index_tensor as T
from mcalc.errors import InputError, McalcError, Span
from mcalc.records import Record, record
from mcalc.syntax import index_reader as R
from mcalc.syntax.lexer import GREEK

MAX_ENTRIES = 400  # entries, deltas and scalars in one index claim (README § Limits)
MAX_PADDING = 2_000_000  # characters of the pieces placed at their columns (else their errors have no column)
_MARKS = ("_", "∂", "δ", "∑", *"ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
# a claim in the vec form is a matrix claim, its K_{m,n} the commutation matrix, even where the expression has a
# matrix K (`(Kᵀ ⊗ I) K_{m,n} + I ⊗ Kᵀ` for ∂vec(KᵀK)/∂vec(K))
_MATRIX_FORMS = ("⊗", "kron(", "vec(", "\\otimes")


@record
class Setup(Record):
    """The claim read against the expression: its pieces of mcalc text parsed with the expression's
    shapes, the derivative, and the axes it has (the expression's, then each variable's)."""

    expr: str
    claim: str
    wrt: list[str]
    read: R.IndexClaim
    tree: Any
    env: Any
    result: Any
    trees: dict[str, Any]  # an entry's mcalc text → its tree
    f_axes: list[Any]  # the dimensions of the expression's axes
    v_axes: list[list[Any]]  # the dimensions of each variable's axes
    lhs: Any = None  # what the left side differentiates, when written as an expression (`∂(BC)ᵢⱼ/∂Bₖₗ`)

    @property
    def bare(self) -> bool:
        return self.read.side is None

    @property
    def split(self) -> int:
        """How many axes are the expression's (the rest are the variables')."""
        return len(self.f_axes)


@record
class Oriented(Record):
    """A claim's body with its free indices ordered as the derivative's axes, and the ranges checked."""

    body: R.IndexNode
    reading: T.Reading
    order: tuple[str, ...]  # the free indices, axis by axis
    kind: str  # stated (an equation), alphabetical (a bare claim), layout (the variable's indices first), swapped
    sizes_of: dict[str, Any] = field(default_factory=dict)  # index → its dimension


def read(expr: str, wrt: list[str], claim: str, decl: Any) -> Setup | None:
    """The claim read as index notation, or None when it is an ordinary claim (read as before)."""
    from mcalc.syntax.index_tokens import is_index_notation, tokens

    if not any(m in claim for m in _MARKS) or any(w in claim for w in _MATRIX_FORMS):
        return None
    names = _expression_names(expr, wrt, decl)
    if names is None:
        return None
    try:
        toks = tokens(claim, names)
        if not is_index_notation(toks, names, claim):
            return None
        parsed = R.read_index_claim(claim, toks)
    except McalcError as err:
        raise err.in_claim() from None
    return _set_up(expr, wrt, claim, parsed, decl, _left_text(parsed, wrt, names))


def _expression_names(expr: str, wrt: list[str], decl: Any) -> set[str] | None:
    from mcalc.syntax.index_expression import read as read_index_expression
    from mcalc.syntax.lexer import Tok, tokenize

    try:
        # an expression in index notation has the names of its matrix form (x_i A_ij x_j: x and A)
        index = read_index_expression(expr, {*wrt, *getattr(decl, "declared", ())})
        toks = tokenize(expr if index is None else index.text)
    except McalcError:
        return None  # the expression's own error is reported by the ordinary path
    return {t.text for t in toks if t.kind is Tok.NAME} | {name for name, _ in getattr(decl, "lets", ())}


def _left_text(parsed: R.IndexClaim, wrt: list[str], names: set[str]) -> str | None:
    """The left side's function as mcalc text when it is an expression of the expression's names
    (`(RᵀR)` in `∂(RᵀR)ᵢⱼ/∂Rₖₗ`), to be checked against the expression; None for a name (K, L, y, J)."""
    from mcalc.syntax import nodes as N
    from mcalc.syntax.parser import parse

    side = parsed.side
    if side is None or len(side.slots) != len(wrt) or not side.f_text:
        return None
    try:
        tree = parse(side.f_text)
    except McalcError:
        return None
    if isinstance(tree, N.Symbol) or not set(N.free_symbols(tree)) <= names:
        return None
    return side.f_text


def _set_up(expr: str, wrt: list[str], claim: str, parsed: R.IndexClaim, decl: Any, lhs: str | None) -> Setup:
    from mcalc import pipeline

    entries = [n for n in R.walk(parsed.body) if isinstance(n, R.Entry)]
    if len(entries) > MAX_ENTRIES:
        raise T.refuse(f"{len(entries)} entries; an index claim has at most {MAX_ENTRIES}")
    # each piece at its own column of the claim (spaces before it), so that an error's column is the claim's
    pad = len(claim) * len(entries) <= MAX_PADDING
    texts = tuple(" " * e.offset * pad + e.text for e in entries)
    _parse_pieces(entries, texts, pad)
    try:
        tree, env, trees = pipeline.prepare(expr, decl, extra=texts + ((lhs,) if lhs else ()), wrt=tuple(wrt))
    except McalcError:
        if lhs is None:
            raise
        lhs = None  # the left side does not fit the expression's shapes: judged by the difference below
        tree, env, trees = pipeline.prepare(expr, decl, extra=texts, wrt=tuple(wrt))
    lhs_tree = trees.pop() if lhs else None
    _known_names(expr, tree, env, wrt, entries, trees)
    result = pipeline.differentiate_tree(expr, tree, env, wrt)
    by_text = {e.text: t for e, t in zip(entries, trees, strict=True)}
    f_axes = axes_of_expression(env, tree)
    v_axes = [axes_of_variable(env, v) for v in wrt]
    return Setup(expr, claim, wrt, parsed, tree, env, result, by_text, f_axes, v_axes, lhs_tree)


def _parse_pieces(entries: list[R.Entry], texts: tuple[str, ...], padded: bool) -> None:
    """Each piece of mcalc text alone first, so that a syntax error points into the claim."""
    from mcalc.syntax.parser import parse

    for e, text in zip(entries, texts, strict=True):
        try:
            parse(text)
        except McalcError as err:
            shift = 0 if padded else e.offset
            span = None if err.span is None else Span(err.span.start + shift, err.span.end + shift)
            raise type(err)(err.message, span, err.hint).in_claim() from None


def _known_names(expr: str, tree: Any, env: Any, wrt: list[str], entries: list[R.Entry], trees: list[Any]) -> None:
    from mcalc.lets import expand
    from mcalc.syntax import nodes as N

    known = set(N.free_symbols(expand(env.lets, tree))) | set(env.lets) | set(wrt)
    for e, t in zip(entries, trees, strict=True):
        unknown = [n for n in N.free_symbols(t) if n not in known]
        if unknown:
            raise T.refuse(f"{unknown[0]} does not occur in {expr}", e.span)


def axes_of_expression(env: Any, node: Any) -> list[Any]:
    r, c = env.shape(node)
    return [] if (r, c) == (1, 1) else [r] if c == 1 else [c] if r == 1 else [r, c]


def axes_of_variable(env: Any, var: str) -> list[Any]:
    from mcalc.shapes import Kind

    r, c = env.shape_of_var(var)
    kind = env.kind(var)
    return [] if kind is Kind.SCALAR else [r] if kind is Kind.VECTOR else [r, c]


def orient(s: Setup, body: R.IndexNode) -> Oriented:
    """The axes: stated by the left side, or the free indices in alphabetical order (the expression's
    first); for a bare claim whose dimensions allow only another order, that order (the variable's indices
    first, or the variable's two in the other order), and the verdict says so. Ranges joined and checked."""
    side = s.read.side
    rd = T.Reading(frozenset(), s.trees, T.Ranges(s.env))
    want = s.f_axes + [d for axes in s.v_axes for d in axes]
    if side is None:
        letters = tuple(sorted(T.free_indices(body, rd)))
        if len(letters) != len(want):
            raise _count_error(s, letters)
        o = _first_consistent(s, rd, body, _bare_readings(s, letters), want)
    else:
        order, dims = _stated(s, side, s.f_axes, s.v_axes)
        rd.stated = frozenset(order)
        _join_axes(s, rd.ranges, order, dims)
        free = T.free_indices(body, rd)
        extra = [x for x in free if x not in order]
        if extra:
            raise T.refuse(f"index {extra[0]} is free on the right side but not on the left", None)
        o = Oriented(body, rd, order, "stated")
    for n in R.walk(body):
        for x in (*_indices_of(n), *o.order):
            if o.reading.ranges.dim_of(x) is None:
                raise T.refuse(f"the range of index {x} is not known (it indexes no name)", None)
            o.sizes_of[x] = o.reading.ranges.dim_of(x)
    return o


def _bare_readings(s: Setup, letters: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """A bare claim's orders of the free indices, the convention's first."""
    out = [("alphabetical", letters)]
    n_v = len(letters) - s.split
    if 0 < s.split < len(letters):
        out.append(("layout", letters[n_v:] + letters[:n_v]))
    if s.v_axes and len(s.v_axes[-1]) == 2:
        out.append(("swapped", letters[:-2] + (letters[-1], letters[-2])))
    return out


def _first_consistent(
    s: Setup, rd: T.Reading, body: R.IndexNode, readings: list[tuple[str, tuple[str, ...]]], dims: list[Any]
) -> Oriented:
    first: InputError | None = None
    for kind, order in readings:
        ranges = rd.ranges.copy()
        try:
            _join_axes(s, ranges, order, dims)
        except InputError as err:
            first = first or err
            continue
        return Oriented(body, T.Reading(rd.stated, rd.trees, ranges, rd.free), order, kind)
    assert first is not None
    raise first


def _join_axes(s: Setup, ranges: T.Ranges, order: tuple[str, ...], dims: list[Any]) -> None:
    side = s.read.side
    labels = _axis_labels(s, len(dims))
    rule = "the alphabetical order of a bare claim's free indices" if side is None else "the left side"
    for x, d, label in zip(order, dims, labels, strict=True):
        ranges.join(x, d, None if side is None else side.span, f"by {rule}, {x} is {label}")


def _axis_labels(s: Setup, count: int) -> list[str]:
    """What each axis indexes, in words: "the row of BC", "the column of B"."""
    from mcalc.render.printer import render_text
    from mcalc.syntax.build import flatten

    def words(what: str, n: int) -> list[str]:
        return [f"the entry of {what}"] if n == 1 else [f"the row of {what}", f"the column of {what}"][:n]

    out = words(render_text(flatten(s.tree)), len(s.f_axes))
    for var, axes in zip(s.wrt, s.v_axes, strict=True):
        out += words(var, len(axes))
    return (out + [f"an entry of {s.wrt[-1]}"] * count)[:count]


def _indices_of(n: R.IndexNode) -> tuple[str, ...]:
    if isinstance(n, R.Entry):
        return n.indices
    if isinstance(n, R.Delta):
        return (n.a, n.b)
    if isinstance(n, R.SumOver):
        return n.indices
    return ()


def _count_error(s: Setup, order: tuple[str, ...]) -> InputError:
    from mcalc.claims.wording import d_text

    n_f = s.split
    n_v = sum(len(a) for a in s.v_axes)
    have = ", ".join(order) if order else "none"
    letters = "ijklmnpq"
    example = f"∂f{('_' + letters[:n_f]) if n_f else ''}/∂{s.wrt[-1]}{('_' + letters[n_f : n_f + n_v]) if n_v else ''}"
    return T.refuse(
        f"its free indices are {have}, but {d_text(s.wrt, s.env)} of {s.expr} has {n_f + n_v} "
        f"({n_f} of the expression, {n_v} of the variable); state them as an equation, {example} = …"
    )


def _stated(s: Setup, side: R.Side, f_axes: list[Any], v_axes: list[list[Any]]) -> tuple[tuple[str, ...], list[Any]]:
    """The free indices and their dimensions as the left side states them."""
    order = side.indices
    twice = [x for x in order if order.count(x) > 1]
    if twice:
        raise T.refuse(f"index {twice[0]} is stated twice on the left side", side.span)
    if not side.slots:  # J_ijkl
        dims = f_axes + [d for axes in v_axes for d in axes]
        if len(order) != len(dims):
            raise T.refuse(f"{side.f_text} has {len(order)} indices; the derivative has {len(dims)} axes", side.span)
        return order, dims
    n = len(side.slots)
    if n > len(s.wrt):
        told = f"the left side differentiates {n} times; --wrt is given {len(s.wrt)} times"
        raise T.refuse(told, side.span)
    earlier = f_axes + [d for axes in v_axes[: len(s.wrt) - n] for d in axes]
    if len(side.f_indices) != len(earlier):
        what = side.f_text or "the expression"
        told = f"{what} takes {len(earlier)} indices on the left side, not {len(side.f_indices)}"
        raise T.refuse(told, side.span)
    dims = list(earlier)
    for (name, idx), var, axes in zip(side.slots, s.wrt[len(s.wrt) - n :], v_axes[len(s.wrt) - n :], strict=True):
        if GREEK.get(name, name) != GREEK.get(var, var):  # theta is θ
            raise T.refuse(f"the left side differentiates by {name}, but --wrt is {var}", side.span)
        if not axes and len(idx) == 1:
            axes = [1]  # ∂(A(t) B(t))ᵢⱼ/∂tₖ: mcalc's own form names the scalar's one entry
        if len(idx) != len(axes):
            told = f"{var} takes {len(axes)} indices on the left side, not {len(idx)}"
            raise T.refuse(told, side.span)
        dims += axes
    return order, dims
