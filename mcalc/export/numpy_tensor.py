"""Tensor derivatives in exported NumPy: the 4-d value ∂F[i,j]/∂X[k,l] built with `np.einsum` from the
factors of mcalc's vec form, never as a dense Kronecker product or commutation matrix.

Each factor of a term of the vec form ∂vec F/∂vec X is read as index labels: a row index of the vec form
is a pair (i, j) (vec stacks columns: the entry of an m×n matrix at [i, j] sits at i + m·j), and so is a
column index. Then
- `A ⊗ B` is the operands A[a, c] and B[b, d] with rows (b, a), columns (d, c);
- `Kᵣ꜀` (K vec(M) = vec(Mᵀ)) and `I` are Kronecker deltas: a label shared by a row and a column;
- `diag(vec(E))` is E[a, b] with rows and columns (a, b); `vec(E)` a column E[a, b]; `vec(E)ᵀ` a row;
- a product of factors joins the column labels of one to the row labels of the next;
- any other factor is its dense matrix, reshaped to four axes (only where its sizes are known).
A delta is a shared label, so a term whose output labels repeat (RᵀR by R: δⱼₗ R[k, i] + δᵢₗ R[k, j]) is
added into a diagonal view of the zero-initialised output (`np.einsum('ijkj->ijk', out)`, a writable
view): the memory is the output array and the term's own operands. A term that fills the whole output
becomes the output (`out = np.einsum(...)`) when it comes first.
"""

from __future__ import annotations

import string
from dataclasses import field
from fractions import Fraction
from itertools import product as cartesian

from mcalc.export.backends import NUMPY, Backend
from mcalc.records import Record, record
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node

MAX_TERMS = 64  # a product of sums expands into at most this many terms; beyond, the dense form is kept
ONE: Dim = 1


@record
class Operand(Record):
    node: Node
    labels: tuple[int, ...]  # () for a scalar; 4 labels for a dense factor reshaped
    dense_split: bool = False


@record
class Term(Record):
    coef: Fraction
    operands: list[Operand]
    out: tuple[int, int, int, int]
    sizes: dict[int, Dim] = field(default_factory=dict)  # the size of each axis of a dense factor


@record
class _Builder(Record):
    """Labels with a union-find (a delta joins two labels) and the size each label is known to have."""

    env: ShapeEnv
    parent: list[int] = field(default_factory=list)
    size: dict[int, Dim] = field(default_factory=dict)

    def new(self, size: Dim | None = None) -> int:
        self.parent.append(len(self.parent))
        label = len(self.parent) - 1
        if size is not None:
            self.size[label] = size
        return label

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            if rb in self.size and ra not in self.size:
                self.size[ra] = self.size[rb]

    def sized(self, label: int) -> Dim | None:
        root = self.find(label)
        for lab, d in self.size.items():
            if self.find(lab) == root:
                return d
        return None


Pair = tuple[int, int]


@record
class _Factor(Record):
    rows: Pair
    cols: Pair
    operands: list[Operand]
    coef: Fraction = Fraction(1)


class Unsupported(Exception):
    """A vec form this reading does not cover: the caller keeps the dense form."""


def plan(tree: Node, env: ShapeEnv, row_shape: tuple[Dim, Dim], col_shape: tuple[Dim, Dim]) -> list[Term] | None:
    """The terms of the vec form `tree` (∂vec F/∂vec X, F of `row_shape`, X of `col_shape`), or None when
    a factor is not understood (then the dense form is exported)."""
    try:
        chains = _expand(tree)
        return [t for t in (_term(c, env, row_shape, col_shape) for c in chains) if t is not None]
    except Unsupported:
        return None


def _expand(n: Node) -> list[list[Node]]:
    """A sum of products of factors: each inner list a product (distributing products over sums)."""
    if isinstance(n, N.Add):
        return [c for t in n.terms for c in _expand(t)]
    if isinstance(n, N.Mul):
        parts = [_expand(f) for f in n.factors]
        count = 1
        for p in parts:
            count *= len(p)
        if count > MAX_TERMS:
            raise Unsupported
        return [[f for chain in combo for f in chain] for combo in cartesian(*parts)]
    if isinstance(n, N.Transpose) and isinstance(n.arg, (N.Add, N.Mul)):
        return [[_transposed(f) for f in reversed(chain)] for chain in _expand(n.arg)]
    return [[n]]


def _transposed(n: Node) -> Node:
    return n.arg if isinstance(n, N.Transpose) else N.Transpose(n)


def _term(chain: list[Node], env: ShapeEnv, row_shape: tuple[Dim, Dim], col_shape: tuple[Dim, Dim]) -> Term | None:
    b = _Builder(env)
    coef = Fraction(1)
    operands: list[Operand] = []
    factors: list[_Factor | Node] = []  # a Node: a dense factor, given labels once its neighbours have them
    for node in chain:
        if isinstance(node, N.Zero):
            return None
        if isinstance(node, N.Number):
            coef *= node.value
        elif env.is_scalar(node):
            operands.append(Operand(node, ()))
        else:
            factors.append(_factor(node, b))
    if not factors:
        raise Unsupported  # a scalar multiple of nothing: not a vec-form term
    out_rows = (b.new(env.resolve(row_shape[0])), b.new(env.resolve(row_shape[1])))
    out_cols = (b.new(env.resolve(col_shape[0])), b.new(env.resolve(col_shape[1])))
    done = _dense_labels(factors, out_rows, out_cols)
    _join_index(b, out_rows, done[0].rows)
    for left, right in zip(done, done[1:], strict=False):
        _join_index(b, left.cols, right.rows)
    _join_index(b, done[-1].cols, out_cols)
    for f in done:
        coef *= f.coef
        operands.extend(f.operands)
    return _canonical(b, coef, operands, (*out_rows, *out_cols))


def _dense_labels(factors: list[_Factor | Node], out_rows: Pair, out_cols: Pair) -> list[_Factor]:
    """A dense factor takes the labels of its neighbours' indices (two dense neighbours: not covered)."""
    done: list[_Factor] = []
    for i, f in enumerate(factors):
        if isinstance(f, _Factor):
            done.append(f)
            continue
        after = factors[i + 1] if i + 1 < len(factors) else None
        if (done and not isinstance(factors[i - 1], _Factor)) or isinstance(after, Node):
            raise Unsupported
        rows = done[-1].cols if done else out_rows
        cols = after.rows if isinstance(after, _Factor) else out_cols
        done.append(_Factor(rows, cols, [Operand(f, (*rows, *cols), dense_split=True)]))
    return done


def _join_index(b: _Builder, xs: Pair, ys: Pair) -> None:
    """Two spellings of one vec index are the same labels; a label of size 1 carries no index (an m-vector
    is split (m, 1) on one side and (1, m) on the other)."""
    fx = [x for x in xs if b.sized(x) != 1]
    fy = [y for y in ys if b.sized(y) != 1]
    if len(fx) != len(fy):
        raise Unsupported
    for x, y in zip(fx, fy, strict=True):
        b.join(x, y)


def _canonical(b: _Builder, coef: Fraction, operands: list[Operand], out: tuple[int, int, int, int]) -> Term:
    """Labels replaced by their representatives; every label summed over must have a known size, and a
    dense factor needs the size of each of its four axes."""
    fixed = [Operand(o.node, tuple(b.find(x) for x in o.labels), o.dense_split) for o in operands]
    out_c = (b.find(out[0]), b.find(out[1]), b.find(out[2]), b.find(out[3]))
    sizes: dict[int, Dim] = {}
    for o in fixed:
        for x in o.labels if o.dense_split else ():
            d = b.sized(x)
            if d is None:
                raise Unsupported
            sizes[x] = d
    in_operands = {x for o in fixed for x in o.labels}
    for label in range(len(b.parent)):
        root = b.find(label)
        if root not in in_operands and root not in out_c and b.sized(root) not in (1, None):
            raise Unsupported  # a delta summed over (tr I): not worth a special case
    return Term(coef, fixed, out_c, sizes)


def _factor(node: Node, b: _Builder) -> _Factor | Node:
    """One factor of a product in the vec form, as labels."""
    if isinstance(node, N.Transpose):
        inner = _factor(node.arg, b)
        if not isinstance(inner, _Factor):
            return node
        return _Factor(inner.cols, inner.rows, inner.operands, inner.coef)
    if isinstance(node, N.Kron):
        ra, ca, rb, cb = b.new(), b.new(), b.new(), b.new()
        f = _Factor((rb, ra), (cb, ca), [])
        f.coef *= _operand(node.left, (ra, ca), b, f.operands)
        f.coef *= _operand(node.right, (rb, cb), b, f.operands)
        return f
    if isinstance(node, N.Commutation):  # rows: vec of the c×r matrix Mᵀ; columns: vec of the r×c M
        x1, x2 = b.new(b.env.resolve(node.cols)), b.new(b.env.resolve(node.rows))
        return _Factor((x1, x2), (x2, x1), [])
    if isinstance(node, N.Identity):
        x1, x2 = b.new(), b.new()
        return _Factor((x1, x2), (x1, x2), [])
    if isinstance(node, N.Diag) and (isinstance(node.arg, N.Vec) or b.env.is_vector(node.arg)):
        x1, x2 = b.new(), b.new()  # diag(v) of a column v is diag(vec(v)): v[x1, x2] with x2 of size 1
        f = _Factor((x1, x2), (x1, x2), [])
        inner = node.arg.arg if isinstance(node.arg, N.Vec) else node.arg
        f.coef *= _operand(inner, (x1, x2), b, f.operands)
        return f
    if isinstance(node, N.Vec):
        x1, x2 = b.new(), b.new()
        f = _Factor((x1, x2), (b.new(ONE), b.new(ONE)), [])
        f.coef *= _operand(node.arg, (x1, x2), b, f.operands)
        return f
    if N.contains_type(node, N.Kron) or N.contains_type(node, N.Commutation):
        raise Unsupported
    return node  # dense: labelled by _dense_labels


def _operand(node: Node, labels: Pair, b: _Builder, into: list[Operand]) -> Fraction:
    """A matrix E[p, q] inside a factor: I is a delta (p and q one label), a number a coefficient; returns
    the coefficient."""
    if any(N.contains_type(node, t) for t in (N.Kron, N.Commutation, N.Vec)):
        raise Unsupported
    p, q = labels
    if isinstance(node, N.Identity):
        if node.dim is not None:
            b.size.setdefault(b.find(p), b.env.resolve(node.dim))
        b.join(p, q)
        return Fraction(1)
    r, c = b.env.shape(node)
    b.size.setdefault(b.find(p), b.env.resolve(r))
    b.size.setdefault(b.find(q), b.env.resolve(c))
    if isinstance(node, N.Number):
        return node.value
    into.append(Operand(node, labels))
    return Fraction(1)


def operand_nodes(terms: list[Term]) -> list[Node]:
    """The matrices the terms read (computed once each, shared sub-expressions as temporaries)."""
    return [o.node for t in terms for o in t.operands]


def ordered(terms: list[Term]) -> list[Term]:
    """A term that fills the whole output first: it can become the output without a zero array."""
    full = [t for t in terms if _fills(t)]
    rest = [t for t in terms if not _fills(t)]
    return full[:1] + rest + full[1:]


def _fills(t: Term) -> bool:
    present = {x for o in t.operands for x in o.labels}
    return len(set(t.out)) == 4 and all(x in present for x in t.out)


def _letters(t: Term) -> dict[int, str]:
    names: dict[int, str] = {}
    for x in (*t.out, *(x for o in t.operands for x in o.labels)):
        names.setdefault(x, string.ascii_letters[len(names)])
    return names


@record
class Spelled(Record):
    """One term as code: the einsum over its operands and where it goes in the output."""

    view: str  # `out` or a diagonal view of it
    value: str  # the einsum (with broadcasting for labels no operand carries), or a number
    fills: bool


def spell(
    t: Term, code: dict[int, str], dims: dict[int, str], coef_text: str | None, backend: Backend = NUMPY,
    out_dims: tuple[str, str, str, str] = ("", "", "", ""),
) -> Spelled:  # fmt: skip
    """`code[i]`: the Python text of operand i (already 2-D or scalar); `dims`: sizes of dense labels.

    In place (NumPy) a label the output repeats is a diagonal view of it; else (JAX, PyTorch: no writes
    into an array) each repeat is a new label tied to the first by an identity matrix of its size
    (`out_dims`, the output's four sizes), and the term is the whole output's einsum."""
    names = _letters(t)
    labels, eyes = list(t.out), []
    if not backend.in_place:
        for pos, x in enumerate(t.out):
            if x in t.out[:pos]:
                labels[pos] = max(names) + 1
                names[labels[pos]] = string.ascii_letters[len(names)]
                eyes.append(Operand(N.Identity(None), (x, labels[pos])))
                code = {**code, len(t.operands) + len(eyes) - 1: backend.op("eye", out_dims[pos])}
    operands = [*t.operands, *eyes]
    out_unique = list(dict.fromkeys(labels))
    out_sub = "".join(names[x] for x in t.out)
    view_sub = "".join(names[x] for x in out_unique)
    view = "out" if len(out_unique) == 4 else f"np.einsum('{out_sub}->{view_sub}', out)[...]"
    present = {x for o in operands for x in o.labels}
    kept = [x for x in out_unique if x in present]
    subs: list[str] = []
    args: list[str] = []
    if coef_text is not None and backend.in_place:
        subs.append("")
        args.append(coef_text)
    for i, o in enumerate(operands):
        subs.append("".join(names[x] for x in o.labels))
        text = code[i]
        if o.dense_split:
            text = backend.op("reshape_f", text, ", ".join(dims[x] for x in o.labels))
        elif not o.labels:
            text = backend.op("scalar", text)
        args.append(text)
    if not args:
        return Spelled(view, "1.0" if coef_text is None else coef_text, False)
    out_sub = "".join(names[x] for x in kept)
    if len(args) == 1 and subs[0] == out_sub:  # the operand itself, already in the output's order
        expr = args[0]
    elif not backend.in_place and present == set(kept) and all(_plain(o) for o in operands):
        expr = " * ".join(_broadcast(o, a, kept) for o, a in zip(operands, args, strict=True))
    else:
        optimized = len(args) > 2 and len(present) > len(kept)
        subscripts = f"{','.join(subs)}->{out_sub}"
        expr = backend.op("einsum_optimized" if optimized else "einsum", subscripts, ", ".join(args))
    if out_sub and len(kept) < len(out_unique):
        index = ", ".join(":" if x in present else "None" for x in out_unique)
        expr = f"{expr}[{index}]"
    if coef_text is not None and not backend.in_place:
        expr = f"{coef_text} * {expr}"
    fills = len(out_unique) == 4 and all(x in present for x in out_unique)
    return Spelled(view, expr, fills)


def _plain(o: Operand) -> bool:
    return not o.dense_split and len(set(o.labels)) == len(o.labels)


def _broadcast(o: Operand, text: str, kept: list[int]) -> str:
    """An operand of a term that sums over nothing (an outer product, 2 (VᵀV)[b, c] δ[a, d]) as a view
    broadcast to the output's axes: XLA and PyTorch multiply these in one pass, where an einsum without a
    contraction was 20 times slower under jax.jit (a dot_general and a transpose of the output)."""
    if not o.labels:
        return text
    labels = list(o.labels)
    if len(labels) == 2 and kept.index(labels[0]) > kept.index(labels[1]):
        text, labels = f"{text}.T", labels[::-1]
    index = ", ".join(":" if x in labels else "None" for x in kept)
    return f"{text}[{index}]"


__all__ = ["Operand", "Spelled", "Term", "operand_nodes", "ordered", "plan", "spell"]
