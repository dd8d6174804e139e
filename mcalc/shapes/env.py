"""The shape environment: dimensions unified by union-find, and one shape rule per node type.

Every value is a matrix internally: a column vector of length n is n×1 and a scalar is 1×1. A
scalar-shaped factor in a product scales (it commutes), so `(xᵀx) A` is allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcalc.errors import ShapeError, Span
from mcalc.shapes import letters
from mcalc.shapes.kinds import (
    DIM_LETTERS,
    SCALAR_SHAPE,
    Kind,
    Shape,
    dim_text,
)
from mcalc.shapes.structured import MATRIX_SHAPES
from mcalc.shapes.union_find import UnionFind
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.application import MEANINGS
from mcalc.syntax.nodes import Dim, Node


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
        # --diagonal D, --toeplitz T: square matrices whose derivatives are taken along their free values
        self.diagonal: frozenset[str] = frozenset()
        self.toeplitz: frozenset[str] = frozenset()
        self.functions: dict[str, str] = {}  # A → t for A(t)
        self.uf = UnionFind()
        self.names: dict[str, str] = {}  # representative ?k → display name
        self.sizes: dict[str, int] = {}  # display name → concrete size, when known
        self._memo: dict[Node, Shape] = {}
        self._memo_by_id: dict[int, tuple[Node, Shape]] = {}
        self._identity_dims: dict[int, Dim] = {}
        # the commutation matrix's subscript letters (K_{m,n}) → their dimensions, and where each letter is
        # bound (a variable's axis) when inferred again: mcalc.shapes.letters
        self.letters: dict[str, Dim] = {}
        self.letter_bindings: dict[str, tuple[str, int] | None] = {}
        self.dimension_names: tuple[str, ...] = ()
        # how many times a context-sized I or 𝟙 was looked up by identity: a shape that depends on one is
        # memoised by identity only (two equal trees `𝟙` in 𝟙ᵀX𝟙 have different sizes)
        self._by_identity = 0
        self._order: list[str] | None = None
        self._rigid: set[str] = set()
        # undeclared lowercase names read as scalars from how the expression uses them (said in the output)
        self.inferred_scalars: frozenset[str] = frozenset()
        # what the caller knows of how the input was read: kind sources ("declared", "from --at") and the
        # parser's notes on spellings a reader could take another way (mcalc.reading turns them into output)
        self.kind_sources: dict[str, str] = {}
        self.notes: list[str] = []
        # the rule each eigenvalue function was differentiated by (symmetric or general), for the reading line
        self.rules: list[str] = []
        # `--let NAME = EXPR`: each name's definition (in terms of earlier names) and kind; a let name has
        # its definition's shape in `var_dims` but is no variable (not in `kinds`): mcalc.lets
        self.lets: dict[str, Node] = {}
        self.let_kinds: dict[str, Kind] = {}
        # --function names read as vector-valued by use in this expression (f(x)ᵀ g(x)), and each vector-valued
        # function's (value length, argument length): mcalc.shapes.vector_valued
        self.vector_valued: frozenset[str] = frozenset()
        self.function_dims: dict[str, tuple[Dim, Dim]] = {}

    def structure(self, name: str) -> str:
        """The structure declared for a square matrix ("symmetric", "diagonal", "Toeplitz"), or ""."""
        for word, names in (("diagonal", self.diagonal), ("Toeplitz", self.toeplitz), ("symmetric", self.symmetric)):
            if name in names:
                return word
        return ""

    # -- dims --
    def resolve(self, d: Dim) -> Dim:
        if type(d) is int or (type(d) is str and not d.startswith("?")):
            return d  # a size or a dimension's name is its own representative (the common case, first)
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
        kind = self.kinds.get(name)
        return kind if kind is not None else self.let_kinds[name]

    def variables(self) -> dict[str, Shape]:
        return {name: self.shape_of_var(name) for name in self.kinds}

    def size_text(self, d: Dim) -> str:
        """A dimension as output shows it: its size once values have bound it (`3`), else its name (`m`)."""
        try:
            return str(self.size(d))
        except ShapeError:
            return dim_text(self.resolve(d))

    def size(self, d: Dim, unknown: int | None = None) -> int:
        """The concrete size of a dimension once sizes are bound (for evaluation); a size not yet bound
        counts as `unknown` when one is given (cost estimates), else it is an error."""
        d = self.resolve(d)
        if isinstance(d, int):
            return d
        if isinstance(d, tuple):
            total = 1
            for x in d:
                total *= self.size(x, unknown)
            return total
        if d in self.sizes:
            return self.sizes[d]
        if unknown is not None:
            return unknown
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
            looked_up = self._by_identity
            r, c = _infer(self, node, unify=False)
            cached = (self.resolve(r), self.resolve(c))
            if self._by_identity == looked_up:
                self._memo[node] = cached
        self._memo_by_id[id(node)] = (node, cached)  # holds the node: its id cannot be reused meanwhile
        return cached

    def describe(self, node: Node, shape: Shape | None = None) -> str:
        if self._order is not None:  # inference failed midway: name the sizes seen so far
            name_dims(self, self._order, self._rigid)
        r, c = shape if shape is not None else _infer(self, node, unify=False)
        # a K_{m,n} whose letters no variable's dimension has taken yet: its sizes by the letters written
        spelled = letters.unnamed(self)
        self.names.update(spelled)
        try:
            r, c = self.resolve(r), self.resolve(c)
        finally:
            for k in spelled:
                del self.names[k]
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
    return d == 1 if type(d) is int else env.resolve(d) == 1


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
        sized = letters.identity_dim(env, node)  # Iₙ of the input: the dimension its letter names
        return (sized, sized)
    env._by_identity += 1
    d = env._identity_dims.get(id(node))
    if d is None:
        d = env._identity_dims[id(node)] = env.uf.fresh(context=True)
    return (d, d)


def _leaf_rc(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    if node.rows == N.BY_CONTEXT:  # an input 𝟙: sized by its context, like a bare I
        env._by_identity += 1
        d = env._identity_dims.get(id(node))
        if d is None:
            d = env._identity_dims[id(node)] = env.uf.fresh(context=True)
        return (d, node.cols)
    return (node.rows, node.cols)


# Subscripted norms of a matrix are induced (operator) norms: refused by name, never read as entrywise.
_INDUCED_NORM_REFUSAL = {
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
    n = _product(*letters.commutation_shape(env, node))  # K_{m,n} of the input: its letters' dimensions
    return (n, n)


def _add(env: ShapeEnv, node: Any, unify: bool, what: str = "a sum") -> Shape:
    shapes = [(t, _sub(env, t, unify)) for t in node.children()]
    result: Shape | None = None
    first: tuple[Node, Shape] | None = None
    for t, s in shapes:
        if s == result or _scalarish(env, s):  # the same shape again (most terms of a long sum) agrees at once
            continue
        if result is None:
            result, first = s, (t, s)
            continue
        assert first is not None
        ok = (
            env.uf.all_or_none([(result[0], s[0]), (result[1], s[1])])
            if unify
            else (env.resolve(result[0]) == env.resolve(s[0]) and env.resolve(result[1]) == env.resolve(s[1]))
        )
        try:
            _need(env, ok, f"dimension mismatch in {what}", node, [first, (t, s)])
        except ShapeError as exc:
            exc.hint = exc.hint or _scalar_hint(env, [first[0], t])
            raise
    return result if result is not None else SCALAR_SHAPE


def _scalar_hint(env: ShapeEnv, parts: list[Node]) -> str | None:
    """`X .^ k`, `softmax(x) ./ T`: an undeclared name read as an array by the naming convention where one
    number was likely meant; the hint names the declaration (a lowercase name first)."""
    bare = [p.base if isinstance(p, (N.Power, N.ElementPower)) and p.exponent == -1 else p for p in parts]  # x ./ T
    names = sorted((p.name for p in bare if isinstance(p, N.Symbol)), key=lambda n: not n[:1].islower())
    for name in names:
        if name not in env.kind_sources and env.kinds.get(name) in (Kind.VECTOR, Kind.MATRIX):
            return f"to use {name} as one number, declare it a scalar: --scalar {name}"
    return None


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
        ok = env.uf.all_or_none([(acc[1], s[0])]) if unify else env.resolve(acc[1]) == env.resolve(s[0])
        if not ok:
            left: Node = acc_parts[0]
            for g in acc_parts[1:]:
                left = N.Mul((left, g), span=_join(left.span, g.span))
            try:
                _need(env, ok, "dimension mismatch in a product", node, [(left, acc), (f, s)])
            except ShapeError as exc:
                if isinstance(left, N.Symbol) and env.kinds.get(left.name) is Kind.VECTOR:
                    exc.hint = f"to scale by {left.name}, declare it a scalar: --scalar {left.name}"
                    if _is_one(env, s[1]):  # x · y, x y: two columns
                        exc.hint += f"; for the inner product write {left.name}^T {env.text_of(f)}"
                    if left.name == "σ":  # σ(W x): the logistic function is spelled out
                        exc.hint = "write sigmoid(…) for the logistic function; or --scalar σ to scale by σ"
                    elif left.name in MEANINGS:  # λ_max S: never a declaration that makes a function a factor
                        meaning, fix = MEANINGS[left.name]
                        exc.hint = f"{left.name} reads as {meaning}, which is not a function mcalc knows: {fix}"
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


def _signed_exponent(before: str) -> bool:
    """Whether a sign after `before` is an exponent's: x^-1, 1e-3 (a name e or E ends its term: b^T e - c)."""
    return before.endswith("^") or (before[-1:] in ("e", "E") and before[-2:-1].isdigit())


def _rest_of_term(source: str, span: Span | None) -> str:
    """The user's text from `span` to the end of its term (a sum's `+`/`−` or a closing bracket at its
    depth): the denominator `a^T x / b^T x` meant, `b^T x`. The generic `x^T x` without a source."""
    if not source or span is None:
        return "x^T x"
    depth, end = 0, span.end
    for k in range(span.start, len(source)):
        ch = source[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and ch in "+-−,=" and not _signed_exponent(source[:k].rstrip()):
            break  # x^-1, 1e-3 keep their sign
        end = k + 1
    return source[span.start : end].strip() or "x^T x"


def _inverse(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    s = _sub(env, node.arg, unify)
    return _square(env, node, node.arg, s, unify, "the inverse")


def _power(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    s = _sub(env, node.base, unify)
    if _scalarish(env, s):
        return s
    if _is_one(env, s[1]) or _is_one(env, s[0]):
        text = env.text_of(node.base)
        if node.exponent == -1:  # `a / x^T x` divides by xᵀ alone: `/` binds like a product
            meant = _rest_of_term(env.source, node.base.span)
            hint = f"divide entrywise with ./, or put a denominator of several factors in parentheses: / ({meant})"
            if isinstance(node.base, N.Symbol) and env.kind_sources.get(node.base.name) is None:
                hint = f"to divide by {text}, declare it a scalar: --scalar {text}; or divide entrywise with ./"
            raise ShapeError(f"division by a vector: {text} is not a scalar", node.span, hint=hint)
        hint = f"did you mean {text}.^{node.exponent} (entrywise) or {text}^T {text}?"
        if isinstance(node.base, N.Symbol) and env.kind_sources.get(node.base.name) is None:
            hint += f" (a scalar {text}: --scalar {text})"  # 2 sigma^2 in a Gaussian
        raise ShapeError(f"power of a vector: {text}^{node.exponent} is not defined", node.span, hint=hint)
    if node.exponent == -1 and _divided_by(env, node):
        text = env.text_of(node.base)
        raise ShapeError(
            f"division by a matrix: / divides by a scalar, and {env.describe(node.base, s)}",
            node.span,
            hint=f"to divide by {text}, declare it a scalar: --scalar {text}; for the inverse write {text}^-1",
        )
    if node.exponent.denominator != 1:
        return _spd_power(env, node, s, unify)
    return _square(env, node, node.base, s, unify, "a matrix power")


def _spd_power(env: ShapeEnv, node: Any, s: Shape, unify: bool) -> Shape:
    """S^(1/2), S^(-1/3): a non-integer power of a matrix is read as the power of a symmetric positive definite
    S, U diag(λᵖ) Uᵀ (mcalc.syntax.matrix_functions), and only of a name declared --symmetric; said in the
    reading (a note), refused for any other matrix."""
    text, p = env.text_of(node.base), node.exponent
    if not (isinstance(node.base, N.Symbol) and node.base.name in env.symmetric):
        raise ShapeError(
            f"a non-integer power of a matrix ({text}^({p})) is read only for a symmetric positive definite "
            f"matrix: declare it with --symmetric {text}, or write sqrtm({text}), or {text}.^({p}) entry by entry",
            node.span,
        )
    note = (
        f"{text}^({p}) is read as the power of the symmetric positive definite matrix {text}, "
        f"U diag(λ^({p})) Uᵀ ({text}.^({p}) is the entrywise power)"
    )
    if note not in env.notes:
        env.notes.append(note)
    return _square(env, node, node.base, s, unify, "a matrix power")


def _divided_by(env: ShapeEnv, node: Any) -> bool:
    """Is this N⁻¹ the `/ N` of the source (`‖Xw − y‖² / N`, `1/N`), a name written after a slash? The
    parser reads a / N as a N⁻¹; the contract's / divides by a scalar, so by a matrix it is refused."""
    span = node.span
    if not isinstance(node.base, N.Symbol) or span is None or not env.source:
        return False
    return env.source[: span.start].rstrip().endswith("/") and span.end <= len(env.source)


def _same(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return _sub(env, node.children()[0], unify)


_WHOLE_ARRAY: dict[functions.Kind, Callable[[Shape], Shape]] = {
    functions.Kind.ARRAY_REDUCE: lambda shape: SCALAR_SHAPE,
    functions.Kind.ARRAY_MAP: lambda shape: shape,
}


def _columnwise(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    """softmax keeps the shape, logsumexp gives one number per column; a row (1×n) would be n columns of
    one entry each (softmax all ones), never what is meant: refused with the transposed spelling."""
    r, c = _sub(env, node.arg, unify)
    entry = functions.get(node.func)
    kind = entry.kind
    if entry.reference.startswith("declared with --function"):  # vector-valued, Jacobians, Hessians
        from mcalc.shapes.vector_valued import shape

        found = shape(env, node, entry, (r, c), unify)
        if found is not None:
            return found
    if kind is functions.Kind.MATRIX_MAP:  # expm, logm, ...: a square matrix to one of its size
        return _square(env, node, node.arg, (r, c), unify, node.func)
    if kind in MATRIX_SHAPES:  # adj, chol, toeplitz (mcalc.shapes.structured)
        return MATRIX_SHAPES[kind](env, node, (r, c), unify, _square)
    if kind is functions.Kind.WHOLE_MATRIX:
        return _whole_matrix(env, node, (r, c), unify)
    if kind in _WHOLE_ARRAY:  # f(X) of --function f is a number, its gradient ∇f(X) shaped like X
        return _WHOLE_ARRAY[kind]((r, c))
    keeps_shape = kind is functions.Kind.COLUMN_MAP
    if _is_one(env, r) and not _is_one(env, c):
        arg = node.arg
        column = env.text_of(arg.arg) if isinstance(arg, N.Transpose) else f"({env.text_of(arg)})ᵀ"
        fix = f"{node.func}({column})" + ("ᵀ" if keeps_shape else "")
        raise ShapeError(f"{node.func} acts on each column, and {env.text_of(arg)} is a row: write {fix}", node.span)
    return (r, c) if keeps_shape else (1, c)


def _frechet(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    """L_f(A, E, …) is shaped like A (square), and so is each direction; its matrix K_f is n²×n²."""
    s = _square(env, node, node.at, _sub(env, node.at, unify), unify, node.func)
    for e in node.directions:
        d = _sub(env, e, unify)
        ok = all(env.uf.unify(a, b) if unify else env.resolve(a) == env.resolve(b) for a, b in zip(s, d, strict=True))
        if not ok:
            raise ShapeError(f"a direction of L_{node.func} has another shape: {env.describe(e, d)}", node.span)
    if isinstance(node, N.FrechetMatrix):
        return (_product(s[0], s[0]), _product(s[0], s[0]))
    return s


def _whole_matrix(env: ShapeEnv, node: Any, s: Shape, unify: bool) -> Shape:
    """λ_max(S), svd(X), pinv(X), prod(x), ...: the entry's rule (mcalc.shapes.spectral)."""
    from mcalc.shapes import spectral

    rule = functions.get(node.func).shape
    text = env.text_of(node) if node.span is not None else f"{node.func}({env.text_of(node.arg)})"
    if rule in spectral.SQUARE:
        _square(env, node, node.arg, s, unify, node.func)
    if rule.startswith("vector") and not _is_one(env, s[1]):
        raise ShapeError(spectral.vector_refusal(node.func, env.text_of(node.arg)), node.span)

    def same(a: Dim, b: Dim) -> bool:
        return env.resolve(a) == env.resolve(b)

    try:
        return spectral.RULES[rule](text, env.resolve(s[0]), env.resolve(s[1]), same)
    except ShapeError as exc:
        exc.span = node.span
        raise


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
    # the column index is the slow one (vec stacks columns): n·m, outer factor first, as A ⊗ B has the
    # factors of A outer. (A ⊗ B) vec(X) = vec(B X Aᵀ) then pairs A with n and B with m by unification alone:
    # read as m·n, sizes from --at were matched the wrong way round (A n×n, B m×m refused)
    return (_product(c, r), 1)


def _unvec(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    s = _sub(env, node.arg, unify)
    if node.rows == N.BY_ARGUMENT:  # unvec(v) of the input: its shape from v's length
        return letters.unvec_shape(env, node, s[0], unify)
    return (node.rows, node.cols)


def _function_of(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return env.var_dims[node.name]


def _differential(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    return env.var_dims[node.name]


# --- powers with an expression for the exponent (x.^t, 2.^x, Xᵏ), sums over an index (∑_{r=0}^{k−1}) ---


def _scalar_exponent(env: ShapeEnv, node: Any, unify: bool) -> None:
    e = _sub(env, node.exponent, unify)
    if not _scalarish(env, e):
        text = env.text_of(node.exponent)
        hint = f"declare it a scalar: --scalar {text}" if isinstance(node.exponent, N.Symbol) else None
        raise ShapeError(
            f"the exponent of a power must be a scalar: {env.describe(node.exponent, e)}", node.span, hint=hint
        )


def _power_of(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    """B^E, E an expression: a scalar's power, or a square matrix's power by a whole number (X^k)."""
    _scalar_exponent(env, node, unify)
    s = _sub(env, node.base, unify)
    if _scalarish(env, s):
        return s
    text, exp = env.text_of(node.base), env.text_of(node.exponent)
    if _is_one(env, s[1]) or _is_one(env, s[0]):
        raise ShapeError(
            f"power of a vector: {text}^{exp} is not defined",
            node.span,
            hint=f"did you mean {text}.^{exp} (entrywise)?",
        )
    return _square(env, node, node.base, s, unify, "a matrix power")


def _element_power_of(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    """B.^E: E a scalar or B's shape; a scalar B is raised to every entry of E (2.^x)."""
    return _add(env, node, unify, "an elementwise power")


def _sum_over(env: ShapeEnv, node: Any, unify: bool) -> Shape:
    _sub(env, node.count, unify)
    return _sub(env, node.body, unify)


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
    N.Columnwise: _columnwise,
    N.Frechet: _frechet,
    N.FrechetMatrix: _frechet,
    N.Trace: _square_to_scalar("the trace"),
    N.Det: _square_to_scalar("det"),
    N.LogDet: _square_to_scalar("logdet"),
    N.Norm: _norm,
    N.Sum: _to_scalar,
    N.Diag: _diag,
    N.Vec: _vec,
    N.Unvec: _unvec,
    N.ElementPowerOf: _element_power_of,
    N.PowerOf: _power_of,
    N.Bound: _leaf_number,
    N.SumOver: _sum_over,
}


def name_dims(env: ShapeEnv, names: list[str], rigid: set[str]) -> None:
    """Give each unresolved dimension a letter, in order of first appearance (m, n, p, ...), none of them the
    name of a variable of the expression (`m xᵀAx` with --scalar m: `x vector (n)`, not `x vector (m)`, which
    read as a length of m, the scalar)."""
    letters = [x for x in DIM_LETTERS if x not in rigid and x not in env.kinds]
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

    try:
        for name in names:
            for d in env.var_dims[name]:
                visit(d)
        for d in list(env._identity_dims.values()):
            visit(d)
        for dims in list(env.function_dims.values()):
            for d in dims:
                visit(d)
    finally:
        # a closure that calls itself is a reference cycle: freed now, not by the cyclic collector
        visit = None  # type: ignore[assignment]
