"""The derivative-rule table: one row per operator, in differential form.

Each rule maps a node and the differentials of its children (`d(child)`, None when the child does
not depend on the variable) to the node's differential, which is linear in dX. Gradients, Jacobians
and tensors are read off the differential afterwards (`identify.py`), so one rule per operator
serves every kind of variable. Every row names the identity it implements and where it is from;
`mcalc identities` prints this table and `--steps` cites the `name` of each row it applies.

References: short names ("MC eq. 37", "MML §5.4") of the works in `mcalc/sources.py` (The Matrix Cookbook;
Deisenroth, Faisal & Ong, Mathematics for Machine Learning, §5.4 and Exercise 5.24; …).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from fractions import Fraction
from types import MappingProxyType

from mcalc import budget
from mcalc.calculus import frechet
from mcalc.calculus.places import Places
from mcalc.errors import NoRuleError
from mcalc.records import Record, record
from mcalc.shapes import ShapeEnv
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, mul, neg, num
from mcalc.syntax.nodes import Node
from mcalc.syntax.vector_functions import jacobian_differential

D = Callable[[Node], Node | None]
MAX_POWER_TERMS = 64  # d(Xⁿ) is a sum of n products: larger powers are refused, not expanded


@record(frozen=True)
class Context(Record):
    env: ShapeEnv
    wrt: str
    # `--let` names held fixed: ∂f/∂e with the other names as constants (--steps' chain rule)
    hold: frozenset[str] = frozenset()
    # how many places each differential met writes dX in (up to two), counted once for the whole tree
    places: Places = field(default_factory=Places)


@record(frozen=True)
class RuleCase(Record):
    """A special case of an operator's rule that its `apply` takes in one step, named on its own line of
    --steps and `mcalc identities` (the general identity would not fit that line)."""

    name: str
    identity: str
    latex: str
    reference: str
    applies: Callable[[Node], bool]


@record(frozen=True)
class DerivativeRule(Record):
    op: type[Node]
    name: str
    identity: str
    latex: str
    reference: str
    apply: Callable[[Node, D, Context], Node | None]
    cases: tuple[RuleCase, ...] = ()

    def case_of(self, node: Node) -> RuleCase | None:
        return next((c for c in self.cases if c.applies(node)), None)


def inner(a: Node, b: Node, env: ShapeEnv) -> Node:
    """⟨a, b⟩ = tr(aᵀ b), written in its simplest form for scalars and vectors."""
    if env.is_scalar(a):
        return mul(a, b)
    if env.is_vector(a):
        return mul(N.Transpose(a), b)
    return N.Trace(mul(N.Transpose(a), b))


def _sum_of(parts: list[Node | None]) -> Node | None:
    kept = [p for p in parts if p is not None]
    return add(*kept) if kept else None


# --- leaves ---


def _d_var(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Symbol)
    if node.name == ctx.wrt:
        return N.Differential(node.name)
    definition = ctx.env.lets.get(node.name)
    if definition is not None and node.name not in ctx.hold:
        return d(definition)  # a --let name: the chain rule through it, d e = d(its definition)
    return None


def _d_const(node: Node, d: D, ctx: Context) -> Node | None:
    return None


def _d_function_of(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.FunctionOf)
    if node.param != ctx.wrt:
        return None
    return mul(N.FunctionOf(node.name, node.param, node.order + 1), N.Differential(ctx.wrt))


# --- linear operators ---


def _d_sum(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Add)
    env = ctx.env
    parts: list[Node | None] = []
    for t in node.terms:
        dt = d(t)
        if dt is not None and env.is_scalar(t) and not env.is_scalar(node):
            r, c = env.shape(node)
            dt = mul(dt, N.Ones(r, c))  # a scalar added to every entry: its change is too
        parts.append(dt)
    return _sum_of(parts)


def _d_product(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Mul)
    fs = node.factors
    parts: list[Node | None] = []
    for i, f in enumerate(fs):
        df = d(f)
        if df is not None:
            budget.tick("differentiating", len(fs))  # a term copies all factors: tr(ABAB…) is n² work
            parts.append(mul(*fs[:i], df, *fs[i + 1 :]))
    return _sum_of(parts)


def _d_hadamard(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Hadamard)
    fs = node.factors
    parts: list[Node | None] = []
    for i, f in enumerate(fs):
        df = d(f)
        if df is not None:
            budget.tick("differentiating", len(fs))
            parts.append(N.Hadamard((*fs[:i], df, *fs[i + 1 :])))
    return _sum_of(parts)


def _d_kron(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Kron)
    da, db = d(node.left), d(node.right)
    return _sum_of([
        None if da is None else N.Kron(da, node.right),
        None if db is None else N.Kron(node.left, db),
    ])  # fmt: skip


def _d_transpose(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Transpose)
    da = d(node.arg)
    return None if da is None else N.Transpose(da)


def _d_trace(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Trace)
    arg = node.arg
    if isinstance(arg, N.Power) and arg.exponent.denominator == 1 and arg.exponent > 1:
        # d tr(Xⁿ) = n tr(Xⁿ⁻¹ dX): the n terms of d(Xⁿ) are equal under the trace (cyclic), so one term,
        # for any n (a long periodic chain is such a power: simplify.products.PERIODIC_FROM)
        dx = d(arg.base)
        n = arg.exponent
        return None if dx is None else mul(num(n), N.Trace(mul(_power(arg.base, n - 1), dx)))
    da = d(arg)
    return None if da is None else N.Trace(da)


def _d_linear(node: Node, d: D, ctx: Context) -> Node | None:
    (arg,) = node.children()
    da = d(arg)
    return None if da is None else N.rebuild(node, (da,))


# --- nonlinear operators ---


def _d_inverse(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Inverse)
    da = d(node.arg)
    if da is None:
        return None
    if ctx.env.is_scalar(node.arg):
        return neg(mul(N.Power(node.arg, Fraction(-2)), da))
    return neg(mul(node, da, node))


def _d_power(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Power)
    x, p = node.base, node.exponent
    if _is_euclidean_power(node):
        # d(‖X‖ᵖ) = p ‖X‖ᵖ⁻² tr(Xᵀ dX) in one step, as MC §2.6 writes d‖x‖² = 2xᵀdx: through d‖X‖ it
        # would be p ‖X‖ᵖ⁻¹ ‖X‖⁻¹ tr(Xᵀ dX), whose norms cancel only in the simplifier (field notes: --steps
        # for ‖e‖² went through 2 ‖e‖ ‖e‖⁻¹)
        assert isinstance(x, N.Norm)
        if (d_arg := d(x.arg)) is None:
            return None
        # one flat product 2 rᵀ A dx, not 2 (rᵀ (A dx)): the simplifier flattens it so anyway (a scalar product
        # among scalars, a matrix product in a chain), and each nested product was one more to normalise (a
        # 3,000-term Σ ‖Aᵢx − bᵢ‖²: 6,000 of them)
        return mul(num(p), _power(x, p - 2), *_spliced(inner(x.arg, d_arg, ctx.env)))
    dx = d(x)
    if dx is None:
        return None
    if ctx.env.is_scalar(x):
        return mul(num(p), _power(x, p - 1), dx)
    if p < 0:  # X^-n = (X^n)^-1
        inner_power = N.Power(x, -p)
        inv = N.Inverse(inner_power)
        d_inner = _d_power(inner_power, d, ctx)
        assert d_inner is not None
        return neg(mul(inv, d_inner, inv))
    n = int(p)
    if n > MAX_POWER_TERMS:
        raise NoRuleError(
            f"d(X^{n}) has {n} terms (Σₖ Xᵏ dX Xⁿ⁻¹⁻ᵏ); mcalc expands matrix powers up to {MAX_POWER_TERMS}",
            node.span,
        )
    parts: list[Node | None] = []
    for k in range(n):
        parts.append(mul(_power(x, Fraction(k)), dx, _power(x, Fraction(n - 1 - k))))
    return _sum_of(parts)


def _spliced(product: Node) -> tuple[Node, ...]:
    """The factors of a product, with those of its products spliced in (one level)."""
    if not isinstance(product, N.Mul):
        return (product,)
    return tuple(g for f in product.factors for g in (f.factors if isinstance(f, N.Mul) else (f,)))


def _is_euclidean_power(node: Node) -> bool:
    return isinstance(node, N.Power) and isinstance(node.base, N.Norm) and node.base.p == 2


NORM_POWER = RuleCase(
    "d-norm-power",
    "d‖X‖ᵖ = p ‖X‖ᵖ⁻² tr(Xᵀ dX); d‖x‖² = 2xᵀdx",
    r"d\|X\|^p = p\,\|X\|^{p-2}\operatorname{tr}(X^\top dX)",
    "MC §2.6-2.7 (d‖x‖² = 2xᵀdx, d‖X‖²_F = 2 tr(Xᵀ dX))",
    _is_euclidean_power,
)


def _power(x: Node, p: Fraction) -> Node:
    if p == 0:
        return num(1)
    if p == 1:
        return x
    return N.Power(x, p)


def _d_element_power(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.ElementPower)
    dx = d(node.base)
    if dx is None:
        return None
    p = node.exponent
    if p != 1 and not ctx.env.is_scalar(node.base):
        # p (X.^(p−1) ⊙ dX), the number outside: where the simplifier takes it (p X.^(p−1)) ⊙ dX to, and each
        # elementwise product normalised twice was a fifth of a 3,000-term Σ sum((Aᵢx − bᵢ).^2)'s differential
        return mul(num(p), N.Hadamard((_epow(node.base, p - 1), dx)))
    slope = num(p) if p == 1 else mul(num(p), _epow(node.base, p - 1))
    return _elementwise_chain(slope, dx, node.base, ctx)


def _epow(x: Node, p: Fraction) -> Node:
    if p == 0:
        return num(1)
    if p == 1:
        return x
    return N.ElementPower(x, p)


def _elementwise_chain(slope: Node, dx: Node, arg: Node, ctx: Context) -> Node:
    """f′(X) ⊙ dX; a plain product when X is a scalar or the slope is a number."""
    if ctx.env.is_scalar(arg) or isinstance(slope, N.Number):
        return mul(slope, dx)
    return N.Hadamard((slope, dx))


def _minus_one(e: Node) -> Node:
    return add(e, num(-1))


def _d_element_power_of(node: Node, d: D, ctx: Context) -> Node | None:
    """d(B.^E) = E ⊙ B.^(E−1) ⊙ dB + B.^E ⊙ log(B) ⊙ dE (a scalar E or B scales instead of ⊙)."""
    assert isinstance(node, N.ElementPowerOf)
    b, e = node.base, node.exponent
    db, de = d(b), d(e)
    env = ctx.env
    parts: list[Node | None] = []
    if db is not None:
        lower = N.ElementPowerOf(b, _minus_one(e))
        slope = mul(e, lower) if env.is_scalar(e) else N.Hadamard((e, lower))
        parts.append(_elementwise_chain(slope, db, b, ctx))
    if de is not None:
        log_b = N.Apply("log", b)
        slope = mul(log_b, node) if env.is_scalar(b) else N.Hadamard((node, log_b))
        parts.append(_elementwise_chain(slope, de, e, ctx))
    return _sum_of(parts)


def _d_power_of(node: Node, d: D, ctx: Context) -> Node | None:
    """d(bᴱ) = E bᴱ⁻¹ db + bᴱ log(b) dE for a scalar b; d(Xᵏ) = ∑_{r=0}^{k−1} Xʳ dX Xᵏ⁻¹⁻ʳ for a matrix."""
    assert isinstance(node, N.PowerOf)
    b, e = node.base, node.exponent
    db, de = d(b), d(e)
    if not ctx.env.is_scalar(b):
        return _d_matrix_power_of(node, db, de, ctx)
    parts: list[Node | None] = []
    if db is not None:
        parts.append(mul(e, N.PowerOf(b, _minus_one(e)), db))
    if de is not None:
        parts.append(mul(node, N.Apply("log", b), de))
    return _sum_of(parts)


def _d_matrix_power_of(node: N.PowerOf, db: Node | None, de: Node | None, ctx: Context) -> Node | None:
    if de is not None:
        raise NoRuleError(
            "X^k is a matrix power by a whole number k: it has no derivative by k (write the power of a scalar, "
            "or differentiate by the matrix)",
            node.span,
        )
    if db is None:
        return None
    # an index no sum inside dX uses either: d(X^k)^k by X put ∑_r inside ∑_r, one r for both
    r = N.fresh_index(N.Add((node, db)), ctx.env.kinds)
    index = N.Bound(r)
    rest = add(node.exponent, num(-1), neg(index))
    body = mul(N.PowerOf(node.base, index), db, N.PowerOf(node.base, rest))
    return N.SumOver(r, node.exponent, body)


def _d_sum_over(node: Node, d: D, ctx: Context) -> Node | None:
    """d ∑_{r=0}^{k−1} f(r) = ∑_{r=0}^{k−1} d f(r): the number of terms does not vary."""
    assert isinstance(node, N.SumOver)
    if d(node.count) is not None:
        raise NoRuleError("a sum whose number of terms depends on the variable has no derivative", node.span)
    db = d(node.body)
    return None if db is None else N.SumOver(node.index, node.count, db)


def _d_det(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Det)
    dx = d(node.arg)
    if dx is None:
        return None
    return mul(node, N.Trace(mul(N.Inverse(node.arg), dx)))


def _d_logdet(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.LogDet)
    dx = d(node.arg)
    if dx is None:
        return None
    return N.Trace(mul(N.Inverse(node.arg), dx))


def _d_norm(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Norm)
    dx = d(node.arg)
    if dx is None:
        return None
    if node.p == 1:
        return inner(N.Apply("sign", node.arg), dx, ctx.env)
    return mul(N.Power(node, Fraction(-1)), inner(node.arg, dx, ctx.env))


def _d_apply(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Apply)
    dx = d(node.arg)
    if dx is None:
        return None
    entry = functions.lookup(node.func)  # f′ is the catalogue's, one entry per function
    if entry is None:
        raise NoRuleError(f"no derivative rule for {node.func}", node.span)
    return _elementwise_chain(entry.derivative(node.arg), dx, node.arg, ctx)


def _d_columnwise(node: Node, d: D, ctx: Context) -> Node | None:
    assert isinstance(node, N.Columnwise)
    dx = d(node.arg)
    if dx is None:
        return None
    entry = functions.get(node.func)  # softmax, logsumexp: the catalogue's differential
    if entry.kind is functions.Kind.WHOLE_MATRIX:  # λ_max, svd, pinv, ...: rules that read the shapes
        from mcalc.calculus.spectral import RULES

        return RULES[node.func](node, dx, ctx.env)
    assert entry.differential is not None
    if node.func in ctx.env.vector_valued:  # a --function f read as vector-valued by use: d f(u) = J_f(u) du
        return jacobian_differential(node, dx)
    rows, _ = ctx.env.shape(node.arg)
    vector = ctx.env.is_vector(node.arg)
    if entry.differential_once is not None and ctx.places(dx) > 1:
        # dX written twice already: a form writing dx twice would double it at every level of nesting
        once = entry.differential_once(node, node.arg, dx, rows, vector)
        if once is not None:
            return once
    return entry.differential(node, node.arg, dx, rows, vector)


def _rule(
    op: type[Node],
    name: str,
    identity: str,
    latex: str,
    reference: str,
    apply: Callable[[Node, D, Context], Node | None],
    cases: tuple[RuleCase, ...] = (),
) -> tuple[type[Node], DerivativeRule]:  # noqa: E501
    return op, DerivativeRule(op, name, identity, latex, reference, apply, cases)


DERIVATIVE_RULES = MappingProxyType(dict([
    _rule(N.Symbol, "d-var", "d(X) = dX for the variable; dA = 0 for any other symbol",
          r"d(X) = dX,\ dA = 0", "MC eq. 33", _d_var),
    _rule(N.Number, "d-const", "d(c) = 0", r"d(c) = 0", "MC eq. 33", _d_const),
    _rule(N.Identity, "d-const", "d(I) = 0", r"d(I) = 0", "MC eq. 33", _d_const),
    _rule(N.Ones, "d-const", "d(𝟙) = 0", r"d(\mathbf{1}) = 0", "MC eq. 33", _d_const),
    _rule(N.Zero, "d-const", "d(0) = 0", r"d(0) = 0", "MC eq. 33", _d_const),
    _rule(N.Commutation, "d-const", "d(K) = 0", r"d(K) = 0", "MC eq. 33", _d_const),
    _rule(N.FunctionOf, "d-function-of-t", "d A(t) = A′(t) dt (entrywise differentiation)",
          r"d\,A(t) = A'(t)\,dt", "MML Exercise 5.24 (1)", _d_function_of),
    _rule(N.Add, "d-sum", "d(X + Y) = dX + dY", r"d(X + Y) = dX + dY",
          "MC eq. 35; MML Exercise 5.24 (4)", _d_sum),
    _rule(N.Mul, "product-rule", "d(XY) = (dX) Y + X (dY)", r"d(XY) = (dX)\,Y + X\,(dY)",
          "MC eq. 37; MML Exercise 5.24 (5)-(7)", _d_product),
    _rule(N.Hadamard, "d-hadamard", "d(X ⊙ Y) = dX ⊙ Y + X ⊙ dY",
          r"d(X \odot Y) = dX \odot Y + X \odot dY", "MC eq. 38", _d_hadamard),
    _rule(N.Kron, "d-kron", "d(X ⊗ Y) = dX ⊗ Y + X ⊗ dY",
          r"d(X \otimes Y) = dX \otimes Y + X \otimes dY", "MC eq. 39", _d_kron),
    _rule(N.Transpose, "d-transpose", "d(Xᵀ) = (dX)ᵀ", r"d(X^\top) = (dX)^\top",
          "MC eq. 44; MML Exercise 5.24 (8)", _d_transpose),
    _rule(N.Inverse, "d-inverse", "d(X⁻¹) = −X⁻¹ (dX) X⁻¹", r"d(X^{-1}) = -X^{-1}\,(dX)\,X^{-1}",
          "MC eq. 40; MML Exercise 5.24 (10)", _d_inverse),
    _rule(N.Power, "d-power", "d(Xⁿ) = Σₖ Xᵏ (dX) Xⁿ⁻¹⁻ᵏ; d(xᵖ) = p xᵖ⁻¹ dx for a scalar",
          r"d(X^n) = \sum_{k=0}^{n-1} X^k\,(dX)\,X^{n-1-k}", "MC eq. 37 applied n times",
          _d_power, (NORM_POWER,)),
    _rule(N.ElementPower, "d-element-power", "d(X.^p) = p X.^(p−1) ⊙ dX",
          r"d(X^{\circ p}) = p\,X^{\circ (p-1)} \odot dX", "chain rule, entry by entry",
          _d_element_power),
    _rule(N.ElementPowerOf, "d-element-power-of", "d(X.^E) = E ⊙ X.^(E−1) ⊙ dX + X.^E ⊙ log(X) ⊙ dE",
          r"d(X^{\circ E}) = E \odot X^{\circ (E-1)} \odot dX + X^{\circ E} \odot \log(X) \odot dE",
          "MC eq. 38 with d(xᵉ) = e xᵉ⁻¹ dx + xᵉ log(x) de, entry by entry", _d_element_power_of),
    _rule(N.PowerOf, "d-power-of", "d(xᵖ) = p xᵖ⁻¹ dx + xᵖ log(x) dp; d(Xᵏ) = ∑_{r=0}^{k−1} Xʳ dX Xᵏ⁻¹⁻ʳ",
          r"d(X^k) = \sum_{r=0}^{k-1} X^r\,dX\,X^{k-1-r}",
          "MC eq. 37 applied k times (MC eqs. 91, 122-123 are its gradients)", _d_power_of),
    _rule(N.SumOver, "d-sum-over", "d ∑_{r=0}^{k−1} f(r) = ∑_{r=0}^{k−1} d f(r)",
          r"d\sum_{r=0}^{k-1} f_r = \sum_{r=0}^{k-1} df_r", "linearity", _d_sum_over),
    _rule(N.Bound, "d-const", "d(r) = 0 for the index r of a sum", r"d(r) = 0", "r is a whole number",
          _d_const),
    _rule(N.Trace, "d-trace", "d tr(X) = tr(dX); d tr(Xⁿ) = n tr(Xⁿ⁻¹ dX)",
          r"d\operatorname{tr}(X) = \operatorname{tr}(dX)",
          "MC eq. 36; for powers MC §2.5.2 (∂tr(Xᵏ)/∂X = k(Xᵏ⁻¹)ᵀ)", _d_trace),
    _rule(N.Det, "d-det", "d det(X) = det(X) tr(X⁻¹ dX)",
          r"d\det(X) = \det(X)\operatorname{tr}(X^{-1}dX)", "MC eq. 42; gradient det(X) X⁻ᵀ, MC eq. 49",
          _d_det),
    _rule(N.LogDet, "d-logdet", "d log det(X) = tr(X⁻¹ dX)",
          r"d\log\det(X) = \operatorname{tr}(X^{-1}dX)", "MC eq. 43; gradient X⁻ᵀ, MC eq. 57",
          _d_logdet),
    _rule(N.Apply, "chain-elementwise", "d f(X) = f′(X) ⊙ dX", r"d f(X) = f'(X) \odot dX",
          "chain rule, entry by entry", _d_apply),
    _rule(N.Columnwise, "d-columnwise", "d f(x) = f′(x) dx, each column x of X; d F(X) = L_F(X, dX) for expm, logm, …",
          r"d f(x) = f'(x)\,dx \text{ for each column } x;\ dF(X) = L_F(X, dX)",
          "softmax: Bishop PRML eq. 4.106; logsumexp: Boyd & Vandenberghe §3.1.5; matrix functions: Higham, "
          "Functions of Matrices (2008), ch. 3", _d_columnwise),
    _rule(N.Frechet, "d-frechet", frechet.IDENTITY, frechet.LATEX, frechet.REFERENCE, frechet.d_frechet),
    _rule(N.FrechetMatrix, "d-frechet", frechet.IDENTITY, frechet.LATEX, frechet.REFERENCE, frechet.d_frechet),
    _rule(N.Norm, "d-norm", "d‖X‖ = tr(Xᵀ dX) / ‖X‖; d‖X‖₁ = tr(sign(X)ᵀ dX)",
          r"d\|X\| = \operatorname{tr}(X^\top dX)/\|X\|",
          "MC §2.6-2.7 (d‖x‖² = 2xᵀdx, d‖X‖²_F = 2 tr(Xᵀ dX)) and the chain rule", _d_norm),
    _rule(N.Sum, "d-linear", "d sum(X) = sum(dX)", r"d\,\operatorname{sum}(X) = \operatorname{sum}(dX)",
          "linearity", _d_linear),
    _rule(N.Diag, "d-linear", "d diag(X) = diag(dX)", r"d\operatorname{diag}(X) = \operatorname{diag}(dX)",
          "linearity", _d_linear),
    _rule(N.Vec, "d-linear", "d vec(X) = vec(dX)", r"d\operatorname{vec}(X) = \operatorname{vec}(dX)",
          "linearity", _d_linear),
    _rule(N.Unvec, "d-linear", "d unvec(x) = unvec(dx)", r"d\,\mathrm{unvec}(x) = \mathrm{unvec}(dx)",
          "linearity", _d_linear),
    _rule(N.Differential, "d-const", "d(dX) = 0", r"d(dX) = 0", "dX is a constant increment", _d_const),
]))  # fmt: skip
# every name a line of --steps can cite from this table: the rows' and their special cases'
RULE_NAMES = frozenset(
    {r.name for r in DERIVATIVE_RULES.values()} | {c.name for r in DERIVATIVE_RULES.values() for c in r.cases}
)
