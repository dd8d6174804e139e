"""Kinds, symbolic dimensions and shape inference by unification.

Every value is a matrix internally: a column vector of length n is n×1 and a scalar is 1×1. A
scalar-shaped factor in a product scales (it commutes), so `(xᵀx) A` is allowed. Unknown sizes are
symbols; the whole expression is unified at once, so in `aᵀ X b` the rows of X meet the length of a.
Symbols the user names with `--shape` are rigid: `--shape A=m×n,B=p×q` and `A B` is a mismatch.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mcalc.errors import InputError, McalcError, ShapeError, Span
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Dim, Node

Shape = tuple[Dim, Dim]
SCALAR_SHAPE: Shape = (1, 1)
DIM_LETTERS = ("m", "n", "p", "q", "r", "s", "u", "v", "w", "k", "l", "h", "g")
# one-letter lowercase names that mean a scalar function when written f(t)
SCALAR_FUNCTION_NAMES = frozenset({"f", "g", "h"})


class Kind(enum.Enum):
    SCALAR = "scalar"
    VECTOR = "vector"
    MATRIX = "matrix"


@dataclass(frozen=True)
class Declarations:
    """What the user declared on the command line; everything else follows the naming convention."""

    scalars: frozenset[str] = frozenset()
    vectors: frozenset[str] = frozenset()
    matrices: frozenset[str] = frozenset()
    symmetric: frozenset[str] = frozenset()
    shapes: Mapping[str, tuple[Dim, ...]] = field(default_factory=dict)

    @property
    def declared(self) -> frozenset[str]:
        return self.scalars | self.vectors | self.matrices | self.symmetric | frozenset(self.shapes)


def parse_shape_spec(spec: str) -> tuple[str, tuple[Dim, ...]]:
    """`A=m×n`, `A=3x4`, `x=n`, `c=1` → (name, dims)."""
    name, sep, dims = spec.partition("=")
    name = name.strip()
    if not sep or not name or not dims.strip():
        raise InputError(f"bad --shape {spec!r}: expected NAME=DIMS such as A=m×n or A=3x4")
    parts = [p.strip() for p in re.split(r"[×xX*,]", dims)]
    out: list[Dim] = []
    for p in parts:
        if re.fullmatch(r"[0-9]+", p):
            if len(p) > 9:
                raise InputError(f"bad --shape {spec[:40]!r}: a size of at most 9 digits")
            if int(p) == 0:
                raise InputError(f"bad --shape {spec!r}: dimensions must be positive")
            out.append(int(p))
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", p):
            out.append(p)
        else:
            raise InputError(f"bad --shape {spec!r}: {p!r} is not a size or a dimension name")
    if len(out) > 2:
        raise InputError(f"bad --shape {spec!r}: at most two dimensions")
    return name, tuple(out)


def dim_text(d: Dim) -> str:
    if isinstance(d, tuple):
        return "·".join(dim_text(x) for x in d)
    return str(d)


def shape_text(shape: Shape) -> str:
    r, c = shape
    if r == 1 and c == 1:
        return "scalar"
    return f"{dim_text(r)}×{dim_text(c)}"


def default_kind(name: str) -> Kind:
    first = name[0]
    return Kind.MATRIX if first.isupper() else Kind.VECTOR


class _UnionFind:
    """Dimension variables (`?3`) bound to each other, to rigid names, to sizes or to products."""

    def __init__(self) -> None:
        self.parent: dict[str, Dim] = {}
        self.counter = 0

    def fresh(self) -> str:
        self.counter += 1
        v = f"?{self.counter}"
        self.parent[v] = v
        return v

    def find(self, d: Dim) -> Dim:
        if isinstance(d, tuple):
            return tuple(self.find(x) for x in d)
        while isinstance(d, str) and d.startswith("?"):
            p = self.parent[d]
            if p == d:
                return d
            nxt = self.parent[p] if isinstance(p, str) and p.startswith("?") else p
            self.parent[d] = nxt
            d = p
        return d

    def unify(self, a: Dim, b: Dim) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        # an inferred size is never 1: that would silently turn a vector into a scalar (tr(x))
        if (a == 1 and isinstance(b, str) and b.startswith("?")) or (
            b == 1 and isinstance(a, str) and a.startswith("?")
        ):
            return False
        if isinstance(a, str) and a.startswith("?"):
            if isinstance(b, str) and b.startswith("?") and int(b[1:]) > int(a[1:]):
                self.parent[b] = a  # the earlier variable stays the representative
            else:
                self.parent[a] = b
            return True
        if isinstance(b, str) and b.startswith("?"):
            self.parent[b] = a
            return True
        if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
            return all(self.unify(x, y) for x, y in zip(a, b, strict=True))
        sa, sb = _size(a), _size(b)
        return sa is not None and sa == sb


def _size(d: Dim) -> int | None:
    if isinstance(d, int):
        return d
    if isinstance(d, tuple):
        total = 1
        for x in d:
            s = _size(x)
            if s is None:
                return None
            total *= s
        return total
    return None


def _product(a: Dim, b: Dim) -> Dim:
    if a == 1:
        return b
    if b == 1:
        return a
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    left = a if isinstance(a, tuple) else (a,)
    right = b if isinstance(b, tuple) else (b,)
    return left + right


class ShapeEnv:
    """The result of inference: each variable's kind and shape, and the shape of any tree over them."""

    def __init__(self, source: str = "") -> None:
        self.source = source
        self.kinds: dict[str, Kind] = {}
        self.var_dims: dict[str, Shape] = {}
        self.symmetric: frozenset[str] = frozenset()
        self.functions: dict[str, str] = {}  # A → t for A(t)
        self.uf = _UnionFind()
        self.names: dict[str, str] = {}  # representative ?k → display name
        self.sizes: dict[str, int] = {}  # display name → concrete size, when known
        self._memo: dict[Node, Shape] = {}
        self._memo_by_id: dict[int, tuple[Node, Shape]] = {}
        self._identity_dims: dict[int, Dim] = {}
        self._order: list[str] | None = None
        self._rigid: set[str] = set()
        # undeclared lowercase names read as scalars from how the expression uses them (said in the output)
        self.inferred_scalars: frozenset[str] = frozenset()
        # what the caller knows of how the input was read: kind sources ("declared", "from --at") and the
        # parser's notes on spellings a reader could take another way (mcalc.reading turns them into output)
        self.kind_sources: dict[str, str] = {}
        self.notes: list[str] = []

    # -- dims --
    def resolve(self, d: Dim) -> Dim:
        d = self.uf.find(d)
        if isinstance(d, tuple):
            flat: list[Dim] = []
            for x in d:
                x = self.resolve(x)
                flat.extend(x if isinstance(x, tuple) else (x,))
            # canonical product: sizes multiplied first, then names sorted (m·n·m = m·m·n)
            total = 1
            names: list[Dim] = []
            for x in flat:
                if isinstance(x, int):
                    total *= x
                else:
                    names.append(x)
            names.sort(key=str)
            parts: list[Dim] = ([total] if total != 1 else []) + names
            if not parts:
                return 1
            return parts[0] if len(parts) == 1 else tuple(parts)
        if isinstance(d, str) and d.startswith("?"):
            return self.names.get(d, d)
        return d

    def concrete(self, shape: Shape) -> Shape:
        """The shape with every dimension whose size is known replaced by that size."""

        def one(d: Dim) -> Dim:
            try:
                return self.size(d)
            except ShapeError:
                return d

        return (one(shape[0]), one(shape[1]))

    def shape_of_var(self, name: str) -> Shape:
        r, c = self.var_dims[name]
        return (self.resolve(r), self.resolve(c))

    def kind(self, name: str) -> Kind:
        return self.kinds[name]

    def variables(self) -> dict[str, Shape]:
        return {name: self.shape_of_var(name) for name in self.kinds}

    def size(self, d: Dim) -> int:
        """The concrete size of a dimension once sizes are bound (for evaluation)."""
        d = self.resolve(d)
        if isinstance(d, int):
            return d
        if isinstance(d, tuple):
            total = 1
            for x in d:
                total *= self.size(x)
            return total
        if d in self.sizes:
            return self.sizes[d]
        raise ShapeError(f"the size of dimension {d} is not known")

    def is_scalar(self, node: Node) -> bool:
        return self.shape(node) == SCALAR_SHAPE

    def is_vector(self, node: Node) -> bool:
        r, c = self.shape(node)
        return c == 1 and r != 1

    def numel(self, node: Node) -> Dim:
        r, c = self.shape(node)
        return self.resolve(_product(r, c))

    # -- shapes of trees --
    def shape(self, node: Node) -> Shape:
        # by identity first: a structurally equal tree met before as another object would cost a deep
        # comparison on every dict hit (O(n) each, O(n²) over a sum of n terms)
        seen = self._memo_by_id.get(id(node))
        if seen is not None and seen[0] is node:
            return seen[1]
        cached = self._memo.get(node)
        if cached is None:
            r, c = _infer(self, node, unify=False)
            cached = (self.resolve(r), self.resolve(c))
            self._memo[node] = cached
        self._memo_by_id[id(node)] = (node, cached)  # holds the node: its id cannot be reused meanwhile
        return cached

    def describe(self, node: Node, shape: Shape | None = None) -> str:
        if self._order is not None:  # inference failed midway: name the sizes seen so far
            _name_dims(self, self._order, self._rigid)
        r, c = shape if shape is not None else _infer(self, node, unify=False)
        r, c = self.resolve(r), self.resolve(c)
        text = self.text_of(node)
        if r == 1 and c == 1:
            return f"{text} is a scalar"
        if c == 1:
            return f"{text} is a vector of length {dim_text(r)}"
        return f"{text} is {dim_text(r)}×{dim_text(c)}"

    def text_of(self, node: Node) -> str:
        if node.span is not None and self.source:
            return self.source[node.span.start : node.span.end].strip() or "the expression"
        if isinstance(node, N.Symbol):
            return node.name
        return "the expression"


def _mismatch(env: ShapeEnv, what: str, span: Span | None, parts: list[tuple[Node, Shape]]) -> ShapeError:
    desc = ", ".join(env.describe(n, s) for n, s in parts)
    return ShapeError(f"{what}: {desc}", span)


def _is_one(env: ShapeEnv, d: Dim) -> bool:
    return env.resolve(d) == 1


def _scalarish(env: ShapeEnv, s: Shape) -> bool:
    return _is_one(env, s[0]) and _is_one(env, s[1])


def _infer(env: ShapeEnv, node: Node, unify: bool) -> Shape:
    rule = _SHAPE_RULES.get(type(node))
    if rule is None:
        raise ShapeError(f"no shape rule for {type(node).__name__}", node.span)
    shape: Shape = rule(env, node, unify)
    return shape


def _sub(env: ShapeEnv, node: Node, unify: bool) -> Shape:
    if unify:
        return _infer(env, node, True)
    return env.shape(node)


def _need(env: ShapeEnv, ok: bool, what: str, node: Node, parts: list[tuple[Node, Shape]]) -> None:
    if not ok:
        span = _operator_span(env, node, parts)
        raise _mismatch(env, what, span, parts)


def _operator_span(env: ShapeEnv, node: Node, parts: list[tuple[Node, Shape]]) -> Span | None:
    """Point at the operator between the operands when there is one, else at the node."""
    if len(parts) >= 2 and parts[0][0].span and parts[1][0].span and env.source:
        a, b = parts[0][0].span, parts[1][0].span
        assert a is not None and b is not None
        between = env.source[a.end : b.start]
        stripped = between.lstrip()
        if stripped.strip():
            return Span(a.end + len(between) - len(stripped), a.end + len(between) - len(stripped) + 1)
        return Span(b.start, b.start + 1)
    return node.span


def _square(env: ShapeEnv, node: Node, arg: Node, s: Shape, unify: bool, op: str) -> Shape:
    ok = env.uf.unify(s[0], s[1]) if unify else env.resolve(s[0]) == env.resolve(s[1])
    if not ok:
        raise ShapeError(f"{op} needs a square matrix: {env.describe(arg, s)}", node.span)
    return s


def _leaf_symbol(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    if node.name not in env.var_dims:
        raise ShapeError(f"unknown variable {node.name}", node.span)
    return env.var_dims[node.name]


def _leaf_number(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return SCALAR_SHAPE


def _leaf_identity(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    if node.dim is not None:
        return (node.dim, node.dim)
    d = env._identity_dims.get(id(node))
    if d is None:
        d = env.uf.fresh()
        env._identity_dims[id(node)] = d
    return (d, d)


def _leaf_rc(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    if node.rows == N.BY_CONTEXT:  # an input 𝟙: sized by its context, like a bare I
        d = env._identity_dims.get(id(node))
        if d is None:
            d = env._identity_dims[id(node)] = env.uf.fresh()
        return (d, node.cols)
    return (node.rows, node.cols)


# Subscripted norms of a matrix are induced (operator) norms: refused by name, never read as entrywise.
_INDUCED_NORM_REFUSAL = {
    "2": "‖{a}‖₂ of a matrix is the spectral norm, which mcalc does not differentiate",
    "1": "‖{a}‖₁ of a matrix is the induced 1-norm (largest column sum), which mcalc does not differentiate",
    "inf": "‖{a}‖_inf of a matrix is the induced ∞-norm (largest row sum), which mcalc does not differentiate",
}


def _norm(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    s = _sub(env, node.arg, unify)
    matrix = not (_is_one(env, s[0]) or _is_one(env, s[1]))
    if matrix and node.written in _INDUCED_NORM_REFUSAL:
        raise ShapeError(
            _INDUCED_NORM_REFUSAL[node.written].format(a=env.text_of(node.arg))
            + f": write ||{env.text_of(node.arg)}||_F for the Frobenius norm, "
            f"or norm1({env.text_of(node.arg)}) for the sum of absolute entries",
            node.span,
        )
    if node.written == "inf":
        raise ShapeError(
            "‖x‖_inf (the largest absolute entry) is not differentiable everywhere: not supported", node.span
        )
    return SCALAR_SHAPE


def _leaf_commutation(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    n = _product(node.rows, node.cols)
    return (n, n)


def _add(env: ShapeEnv, node: Any, unify: bool, what: str = "a sum") -> Shape:
    shapes = [(t, _sub(env, t, unify)) for t in node.children()]
    result: Shape | None = None
    first: tuple[Node, Shape] | None = None
    for t, s in shapes:
        if _scalarish(env, s):
            continue
        if result is None:
            result, first = s, (t, s)
            continue
        assert first is not None
        ok = (
            (env.uf.unify(result[0], s[0]) and env.uf.unify(result[1], s[1]))
            if unify
            else (env.resolve(result[0]) == env.resolve(s[0]) and env.resolve(result[1]) == env.resolve(s[1]))
        )
        _need(env, ok, f"dimension mismatch in {what}", node, [first, (t, s)])
    return result if result is not None else SCALAR_SHAPE


def _mul(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    acc: Shape | None = None
    acc_parts: list[Node] = []  # the factors multiplied so far, for an error message
    for f in node.factors:
        s = _sub(env, f, unify)
        if acc is None or _scalarish(env, acc):
            acc, acc_parts = s, [f]
            continue
        if _scalarish(env, s):
            continue
        ok = env.uf.unify(acc[1], s[0]) if unify else env.resolve(acc[1]) == env.resolve(s[0])
        if not ok:
            left: Node = acc_parts[0]
            for g in acc_parts[1:]:
                left = N.Mul((left, g), span=_join(left.span, g.span))
            try:
                _need(env, ok, "dimension mismatch in a product", node, [(left, acc), (f, s)])
            except ShapeError as exc:
                if isinstance(left, N.Symbol) and env.kinds.get(left.name) is Kind.VECTOR and s[1] == 1:
                    exc.hint = f"to scale by {left.name}, declare it a scalar: --scalar {left.name}"
                raise
        acc = (acc[0], s[1])
        acc_parts.append(f)
    assert acc is not None
    return acc


def _join(a: Span | None, b: Span | None) -> Span | None:
    if a is None or b is None:
        return a or b
    return Span(min(a.start, b.start), max(a.end, b.end))


def _hadamard(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return _add(env, node, unify, "an elementwise product")


def _kron(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    a, b = _sub(env, node.left, unify), _sub(env, node.right, unify)
    return (_product(a[0], b[0]), _product(a[1], b[1]))


def _transpose(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    r, c = _sub(env, node.arg, unify)
    return (c, r)


def _inverse(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    s = _sub(env, node.arg, unify)
    return _square(env, node, node.arg, s, unify, "the inverse")


def _power(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    s = _sub(env, node.base, unify)
    if _scalarish(env, s):
        return s
    if _is_one(env, s[1]) or _is_one(env, s[0]):
        text = env.text_of(node.base)
        raise ShapeError(
            f"power of a vector: {text}^{node.exponent} is not defined",
            node.span,
            hint=f"did you mean {text}.^{node.exponent} (entrywise) or {text}^T {text}?",
        )
    if node.exponent.denominator != 1:
        raise ShapeError("a matrix power needs an integer exponent", node.span)
    return _square(env, node, node.base, s, unify, "a matrix power")


def _same(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return _sub(env, node.children()[0], unify)


def _to_scalar(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    _sub(env, node.arg, unify)
    return SCALAR_SHAPE


def _square_to_scalar(name: str) -> Any:
    def rule(env: ShapeEnv, node: Any, unify: bool) -> Shape:
        s = _sub(env, node.arg, unify)
        _square(env, node, node.arg, s, unify, name)
        return SCALAR_SHAPE

    return rule


def _diag(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    r, c = _sub(env, node.arg, unify)
    if _is_one(env, c):
        return (r, r)
    _square(env, node, node.arg, (r, c), unify, "diag of a matrix")
    return (r, 1)


def _vec(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    r, c = _sub(env, node.arg, unify)
    return (_product(r, c), 1)


def _unvec(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    _sub(env, node.arg, unify)
    return (node.rows, node.cols)


def _function_of(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return env.var_dims[node.name]


def _differential(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return env.var_dims[node.name]


_SHAPE_RULES: dict[type, Any] = {
    N.Symbol: _leaf_symbol,
    N.Number: _leaf_number,
    N.Identity: _leaf_identity,
    N.Ones: _leaf_rc,
    N.Zero: _leaf_rc,
    N.Commutation: _leaf_commutation,
    N.Differential: _differential,
    N.FunctionOf: _function_of,
    N.Add: _add,
    N.Mul: _mul,
    N.Hadamard: _hadamard,
    N.Kron: _kron,
    N.Transpose: _transpose,
    N.Inverse: _inverse,
    N.Power: _power,
    N.ElementPower: _same,
    N.Apply: _same,
    N.Trace: _square_to_scalar("the trace"),
    N.Det: _square_to_scalar("det"),
    N.LogDet: _square_to_scalar("logdet"),
    N.Norm: _norm,
    N.Sum: _to_scalar,
    N.Diag: _diag,
    N.Vec: _vec,
    N.Unvec: _unvec,
}


def _function_params(tree: Node) -> dict[str, str]:
    out: dict[str, str] = {}
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.FunctionOf):
            other = out.setdefault(n.name, n.param)
            if other != n.param:
                raise ShapeError(f"{n.name} is used as a function of both {other} and {n.param}", n.span)
        stack.extend(n.children())
    return out


def _check_function_use(tree: Node, functions: Mapping[str, str]) -> None:
    """A name written both as A(t) and as a bare A is an error. When the two spellings sit in different
    texts (an expression and a claim), the error has no position: a column would point into the wrong one."""
    own = _function_params(tree)
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.Symbol) and n.name in functions:
            p = functions[n.name]
            if n.name in own:
                raise ShapeError(f"{n.name} is a function of {p}: write {n.name}({p})", n.span)
            raise ShapeError(
                f"{n.name} is written {n.name}({p}) in one expression and {n.name} in the other: "
                f"write {n.name}({p}) in both"
            )
        stack.extend(n.children())


def infer_shapes(
    tree: Node,
    decl: Declarations | None = None,
    source: str = "",
    extra: Iterable[Node] = (),
    variables: Iterable[str] = (),
) -> tuple[ShapeEnv, Node]:
    """Kinds and symbolic shapes of every variable in `tree` (and in `extra` trees, such as a
    claimed answer), unified across all of them. Returns the environment and the tree with each
    identity matrix given the size its context needs.

    A name's kind is decided, in order: declared; else (by the caller) read from its `--at` value; else
    by how the expression uses it. An undeclared lowercase name is a vector by convention, but one that
    only scales scalar-valued factors or is added to scalars is read as a scalar (`x^T A x + c`,
    `alpha x^T x`): broadcasting never makes an undeclared name a vector (README § Kinds and shapes).
    """
    decl = decl or Declarations()
    extra, variables = tuple(extra), tuple(variables)
    trees = [tree, *extra]
    scalars = _scalars_by_use(trees, decl, lambda d: _infer_kinds(tree, d, source, extra, variables))
    if scalars:
        widened = replace(decl, scalars=decl.scalars | scalars)
        env, fixed = _infer_kinds(tree, widened, source, extra, variables)
        env.inferred_scalars = scalars
        return env, fixed
    return _infer_kinds(tree, decl, source, extra, variables)


# Operators whose argument is an array by their meaning: a name under them is a vector, never a scalar.
_ARRAY_CONTEXTS: tuple[type, ...] = (N.Transpose, N.Sum, N.Norm, N.Diag, N.Vec, N.Kron)
# Wrappers that keep a scalar a scalar: the context of exp(c), c², -c is the context of c itself.
_SCALAR_WRAPPERS: tuple[type, ...] = (N.Apply, N.Power, N.ElementPower)


MAX_SCALAR_TRIALS = 16  # names tried one by one when no shrinking reading holds (small expressions only)


def _scalars_by_use(
    trees: list[Node], decl: Declarations, infer: Callable[[Declarations], tuple[ShapeEnv, Node]]
) -> frozenset[str]:
    """The undeclared lowercase names that the expression uses only as scalars. Candidates are the names
    never under an array operator; one is a scalar when, read so, the expression still has a shape and the
    name scales a scalar-valued factor or is added to a scalar-valued term made of other variables (`2 x`
    and `x + 1` alone say nothing). All candidates are tried at once (one more inference), shrunk to those
    with a scalar use; if none holds, each is tried alone in order of appearance when there are at most
    MAX_SCALAR_TRIALS (so the cost stays a few inferences)."""
    occurrences = _occurrences(trees)
    candidates = [
        name
        for name, where in occurrences.items()
        if name not in decl.declared
        and default_kind(name) is Kind.VECTOR
        and not any(isinstance(a, _ARRAY_CONTEXTS) for _, ancestors in where for a in ancestors)
    ]

    def trial(names: set[str]) -> set[str]:
        try:
            env, _ = infer(replace(decl, scalars=decl.scalars | names))
        except McalcError:
            return set()
        memo: dict[int, tuple[int, dict[int, bool]]] = {}
        return {n for n in names if any(_scalar_use(env, occ, memo) for occ in occurrences[n])}

    names = set(candidates)
    while names:  # shrink: each round drops the names without a scalar use (a few rounds, each one inference)
        kept = trial(names)
        if kept == names:
            return frozenset(names)
        names = kept
    chosen: set[str] = set()
    for name in candidates[:MAX_SCALAR_TRIALS] if len(candidates) <= MAX_SCALAR_TRIALS else ():
        if name in trial(chosen | {name}):
            chosen.add(name)
    return frozenset(chosen)


_Occurrence = tuple[Node, tuple[Node, ...]]  # (the operand the name stands in, that operand's ancestors)


def _occurrences(trees: list[Node]) -> dict[str, list[_Occurrence]]:
    """Where each name occurs: the operand it stands in (the name, or a scalar wrapper such as exp(c) or
    c²) and that operand's ancestors, outermost first."""
    found: dict[str, list[_Occurrence]] = {}
    for tree in trees:
        stack: list[tuple[Node, tuple[Node, ...]]] = [(tree, ())]
        while stack:
            node, ancestors = stack.pop()
            if isinstance(node, N.Symbol):
                operand: Node = node
                k = len(ancestors)
                while k > 0 and isinstance(ancestors[k - 1], _SCALAR_WRAPPERS):
                    k -= 1
                    operand = ancestors[k]
                found.setdefault(node.name, []).append((operand, ancestors[:k]))
            stack.extend((c, (*ancestors, node)) for c in node.children())
    return found


def _factors(node: Node) -> list[Node]:
    """The factors of a product, nested products flattened (a b c parses as (a b) c)."""
    if isinstance(node, N.Mul):
        return [f for child in node.factors for f in _factors(child)]
    return [node]


def _scalar_use(env: ShapeEnv, occ: _Occurrence, memo: dict[int, tuple[int, dict[int, bool]]]) -> bool:
    """Does this occurrence scale, or add to, a scalar-valued part made of vectors or matrices? `memo`
    keeps, per sum, how many of its terms are such parts, so a sum of n names costs O(n), not O(n²)."""
    operand, ancestors = occ
    if not ancestors:
        return False
    parent = ancestors[-1]
    if isinstance(parent, N.Mul):
        k = len(ancestors) - 1
        while k > 0 and isinstance(ancestors[k - 1], N.Mul):
            k -= 1  # the whole product this factor sits in
        rest = [f for f in _factors(ancestors[k]) if f is not operand]
        return bool(rest) and _reduced_array(env, N.Mul(tuple(rest)) if len(rest) > 1 else rest[0])
    if isinstance(parent, (N.Add, N.Hadamard)):
        if id(parent) not in memo:
            flags = {id(c): _reduced_array(env, c) for c in parent.children()}
            memo[id(parent)] = (sum(flags.values()), flags)
        count, flags = memo[id(parent)]
        return count - flags.get(id(operand), False) > 0
    return False


def _reduced_array(env: ShapeEnv, part: Node) -> bool:
    """A scalar-valued part made of a vector or matrix (xᵀx, tr A, ‖w‖): in `c x` with c a scalar, x
    scales c, yet x is still the vector the convention says."""
    if env.shape(part) != SCALAR_SHAPE:
        return False
    return any(env.kinds.get(v, Kind.SCALAR) is not Kind.SCALAR for v in N.free_symbols(part))


def _infer_kinds(
    tree: Node, decl: Declarations, source: str, extra: tuple[Node, ...], variables: tuple[str, ...]
) -> tuple[ShapeEnv, Node]:
    env = ShapeEnv(source)
    trees = [tree, *extra]
    functions: dict[str, str] = {}
    for t in trees:
        for name, param in _function_params(t).items():
            if functions.setdefault(name, param) != param:
                raise ShapeError(f"{name} is used as a function of both {functions[name]} and {param}")
    for t in trees:
        _check_function_use(t, functions)
    env.functions = functions
    names: list[str] = []
    for t in trees:
        for name in N.free_symbols(t):
            if name not in names:
                names.append(name)
    params = set(functions.values())
    for name in variables:  # a --wrt variable the expression does not mention: its derivative is 0
        if name not in names and name not in functions:
            names.append(name)
            if name == "t":
                params.add(name)
    for name in names:
        env.kinds[name] = _kind_of(name, decl, name in params, name in functions)
    env.symmetric = frozenset(n for n in decl.symmetric if n in env.kinds)
    rigid: set[str] = set()
    for name in names:
        env.var_dims[name] = _initial_dims(env, name, decl, rigid)
    env._order, env._rigid = names, rigid
    for t in trees:
        _infer(env, t, unify=True)
    env._order = None
    _name_dims(env, names, rigid)
    env._memo.clear()
    env._memo_by_id.clear()
    return env, _fix_identities(env, tree)


def _kind_of(name: str, decl: Declarations, is_param: bool, is_function: bool) -> Kind:
    if name in decl.scalars:
        return Kind.SCALAR
    if name in decl.vectors:
        return Kind.VECTOR
    if name in decl.matrices or name in decl.symmetric:
        return Kind.MATRIX
    if name in decl.shapes:
        dims = decl.shapes[name]
        if len(dims) == 0 or all(d == 1 for d in dims):
            return Kind.SCALAR
        if len(dims) == 1:
            return Kind.VECTOR
        return Kind.MATRIX
    if is_param:
        return Kind.SCALAR
    if is_function and name in SCALAR_FUNCTION_NAMES:
        return Kind.SCALAR
    return default_kind(name)


def _initial_dims(env: ShapeEnv, name: str, decl: Declarations, rigid: set[str]) -> Shape:
    kind = env.kinds[name]
    given = decl.shapes.get(name)
    for d in given or ():
        if isinstance(d, str):
            rigid.add(d)
    if kind is Kind.SCALAR:
        if given and any(d != 1 for d in given):
            raise InputError(f"{name} is declared a scalar but --shape gives {given}")
        return SCALAR_SHAPE
    if kind is Kind.VECTOR:
        if given and len(given) == 2 and given[1] != 1:
            raise InputError(f"{name} is declared a vector but --shape gives two dimensions")
        return ((given[0] if given else env.uf.fresh()), 1)
    if given and len(given) == 2:
        r, c = given
        if name in env.symmetric and r != c:
            raise InputError(f"{name} is symmetric but --shape gives {dim_text(r)}×{dim_text(c)}")
        return (r, c)
    if given and len(given) == 1:
        return (given[0], given[0])
    r = env.uf.fresh()
    return (r, r) if name in env.symmetric else (r, env.uf.fresh())


def _name_dims(env: ShapeEnv, names: list[str], rigid: set[str]) -> None:
    """Give each unresolved dimension a letter, in order of first appearance (m, n, p, ...)."""
    letters = [x for x in DIM_LETTERS if x not in rigid]
    counter = len(set(env.names.values()))

    def visit(d: Dim) -> None:
        nonlocal counter
        d = env.uf.find(d)
        if isinstance(d, tuple):
            for x in d:
                visit(x)
            return
        if isinstance(d, str) and d.startswith("?") and d not in env.names:
            env.names[d] = letters[counter] if counter < len(letters) else f"d{counter + 1}"
            counter += 1

    for name in names:
        for d in env.var_dims[name]:
            visit(d)
    for d in list(env._identity_dims.values()):
        visit(d)


def fix_identities(env: ShapeEnv, tree: Node) -> Node:
    """The tree with each `I` given the size inference found for it (claims use this too)."""
    return _fix_identities(env, tree)


def _fix_identities(env: ShapeEnv, tree: Node) -> Node:
    if not env._identity_dims:
        return tree

    def walk(n: Node) -> Node:
        if isinstance(n, N.Identity) and n.dim is None:
            d = env._identity_dims.get(id(n))
            if d is None:
                return n
            return N.Identity(env.resolve(d), span=n.span)
        if isinstance(n, N.Ones) and n.rows == N.BY_CONTEXT:
            d = env._identity_dims.get(id(n))
            return n if d is None else N.Ones(env.resolve(d), n.cols, span=n.span)
        kids = n.children()
        if not kids:
            return n
        new = tuple(walk(k) for k in kids)
        return n if new == kids and all(a is b for a, b in zip(new, kids, strict=True)) else N.rebuild(n, new)

    return walk(tree)


def bind_sizes(env: ShapeEnv, arrays: Mapping[str, tuple[int, ...]]) -> None:
    """Unify each variable's dimensions with the size of the array given for it."""
    products: list[tuple[str, tuple[Dim, ...], int]] = []
    for name, shape in arrays.items():
        if name not in env.var_dims:
            continue
        kind = env.kinds[name]
        # be liberal in what we accept: a column n×1 for a vector, any single number for a scalar
        if kind is Kind.VECTOR and len(shape) == 2 and shape[1] == 1:
            shape = (shape[0],)
        if kind is Kind.SCALAR and len(shape) > 0 and all(x == 1 for x in shape):
            shape = ()
        want = {Kind.SCALAR: 0, Kind.VECTOR: 1, Kind.MATRIX: 2}[kind]
        if len(shape) != want:
            raise InputError(f"{name} is a {kind.value} but its value has {len(shape)} dimension(s) {tuple(shape)}")
        dims = env.var_dims[name]
        for d, size in zip(dims, shape, strict=False):
            r = env.resolve(d)
            if isinstance(r, int):
                if r != size:
                    raise InputError(f"{name} should have size {r} but its value has {size}")
                continue
            if isinstance(r, tuple):
                products.append((name, r, size))
                continue
            known = env.sizes.get(r)
            if known is not None and known != size:
                raise InputError(
                    f"dimension {r} is {known} elsewhere but {name} has size {size} there (shape {tuple(shape)})"
                )
            env.sizes[r] = size
        if name in env.symmetric and len(shape) == 2 and shape[0] != shape[1]:
            raise InputError(f"{name} is declared symmetric but its value is {shape[0]}×{shape[1]}")
    _bind_products(env, products)


def _bind_products(env: ShapeEnv, products: list[tuple[str, tuple[Dim, ...], int]]) -> None:
    """A size that is a product (the length of vec(X), a side of A ⊗ B): check it, or infer the
    one unknown factor from it."""
    pending = list(products)
    while pending:
        progress = False
        for item in list(pending):
            name, dims, size = item
            known, unknown = 1, []
            for x in dims:
                if isinstance(x, int):
                    known *= x
                elif isinstance(x, str) and x in env.sizes:
                    known *= env.sizes[x]
                else:
                    unknown.append(x)
            if not unknown:
                if known != size:
                    raise InputError(f"{name} should have size {dim_text(dims)} = {known} but its value has {size}")
            elif len(set(unknown)) == 1 and len(unknown) == 1:
                if size % known:
                    raise InputError(f"{name} has size {size}, not a multiple of {known} as {dim_text(dims)} needs")
                env.sizes[str(unknown[0])] = size // known
            else:
                continue
            pending.remove(item)
            progress = True
        if not progress:
            return


def unbound_dims(env: ShapeEnv) -> list[str]:
    out: list[str] = []
    for name in env.var_dims:
        for d in env.shape_of_var(name):
            for x in d if isinstance(d, tuple) else (d,):
                if isinstance(x, str) and x not in env.sizes and x not in out:
                    out.append(x)
    for d in env._identity_dims.values():
        r = env.resolve(d)
        for x in r if isinstance(r, tuple) else (r,):
            if isinstance(x, str) and x not in env.sizes and x not in out:
                out.append(x)
    return out
