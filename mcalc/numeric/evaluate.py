"""Evaluate a tree with numpy. Every value is a 2-D float array (a vector is n×1, a scalar 1×1),
so products are `@` and scalar broadcasting is numpy's own.

`values` maps a variable name to its array; `dX` (the differential of X) is looked up as `d:X`, and a
function of t and its derivatives A(t), A′(t), ... as `A`, `A′`, ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from mcalc.errors import InputError, MathError
from mcalc.numeric import structured_products as SP
from mcalc.numeric.frechet_matrix import frechet_matrix
from mcalc.shapes import ShapeEnv
from mcalc.syntax import functions, matrix_values
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

if TYPE_CHECKING:
    import numpy as np

Array = Any  # numpy.ndarray; kept loose so the module imports without numpy

# A matrix this badly conditioned is singular to working precision. Deciding it here, rather than by
# whether LAPACK's LU meets an exactly zero pivot, makes "singular" the same on every machine: the
# pivot that rounding leaves at 0 on one kernel is 1e-17 on another (issue 12).
SINGULAR = 1e14
# --check draws a function of t, A(t), with values for its derivatives up to this order (numeric.points):
# each --wrt t raises the order the evaluator asks for by one
FUNCTION_ORDERS = 12
ADJUGATE_BY_INVERSE = 1e6  # condition numbers below which the adjugate is det(A) A⁻¹ (rounding ~ cond·ε)


def condition(a: Array) -> float:
    """The 1-norm condition number (one LU factorisation: the cost of about one matrix product)."""
    import numpy as np

    if a.shape == (1, 1):
        return 1.0 if a[0, 0] != 0 else math.inf
    if not np.all(np.isfinite(a)):
        return math.inf
    try:
        inv = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return math.inf
    with np.errstate(all="ignore"):
        c = float(np.abs(a).sum(axis=0).max() * np.abs(inv).sum(axis=0).max())
    return c if math.isfinite(c) else math.inf


def _require_invertible(e: Evaluator, y: Array, node: Node, arg: Node) -> None:
    """Refuse a numerically singular matrix before it is solved with or inverted."""
    if y.ndim == 2 and y.shape[0] == y.shape[1] and y.shape != (1, 1) and condition(y) > SINGULAR:
        raise MathError(f"{e.env.text_of(arg)} is singular: it has no inverse", node.span)


def differential_key(name: str) -> str:
    return f"d:{name}"


def function_key(name: str, order: int) -> str:
    return name + "′" * order


def commutation_matrix(r: int, c: int) -> np.ndarray:
    """K with K vec(M) = vec(Mᵀ) for an r×c matrix M (vec stacks columns)."""
    import numpy as np

    k = np.zeros((r * c, r * c))
    for i in range(r):
        for j in range(c):
            k[j + i * c, i + j * r] = 1.0
    return k


class Evaluator:
    def __init__(self, env: ShapeEnv, values: Mapping[str, Array]) -> None:
        import numpy as np

        self.np = np
        self.env = env
        self.values = values
        self.memo: dict[Node, Array] = {}
        # terms of ∑_{r=0}^{k−1} evaluated so far, shared with the evaluators of the sums' bodies (bounded)
        self.sum_terms = [0]

    def __call__(self, node: Node) -> Array:
        return self.ev(node)

    def ev(self, node: Node) -> Array:
        hit = self.memo.get(node)
        if hit is not None:
            return hit
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise MathError(f"cannot evaluate {type(node).__name__}")
        out = handler(self, node)
        self.memo[node] = out
        return out

    def size(self, d: N.Dim) -> int:
        return self.env.size(d)

    def lookup(self, key: str, node: Node) -> Array:
        if key not in self.values:
            raise InputError(f"no value given for {key.removeprefix('d:')}", node.span)
        return self.values[key]


def _symbol(e: Evaluator, n: Any) -> Array:
    definition = e.env.lets.get(n.name)
    if definition is not None:  # a --let name: the value of its definition
        return e.ev(definition)
    return e.lookup(n.name, n)


def _float(v: Any) -> float:
    """An exact number as a float; one beyond the float range is ±inf (then reported as overflow),
    not an OverflowError."""
    try:
        return float(v)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


def _number(e: Evaluator, n: Any) -> Array:
    return e.np.full((1, 1), _float(n.value))


def _identity(e: Evaluator, n: Any) -> Array:
    if n.dim is None:
        raise MathError("the size of I is not known here")
    return e.np.eye(e.size(n.dim))


def _ones(e: Evaluator, n: Any) -> Array:
    return e.np.ones((e.size(n.rows), e.size(n.cols)))


def _zero(e: Evaluator, n: Any) -> Array:
    return e.np.zeros((e.size(n.rows), e.size(n.cols)))


def _commutation(e: Evaluator, n: Any) -> Array:
    return commutation_matrix(e.size(n.rows), e.size(n.cols))


def _differential(e: Evaluator, n: Any) -> Array:
    return e.lookup(differential_key(n.name), n)


def _function_of(e: Evaluator, n: Any) -> Array:
    key = function_key(n.name, n.order)
    if key not in e.values and "coef:" + n.name in e.values:  # a point --check drew (points.FUNCTION_ORDERS)
        raise InputError(
            f"the numeric check draws {n.name}({n.param}) with derivatives up to order {FUNCTION_ORDERS}; "
            f"this derivative needs order {n.order}",
            n.span,
        )
    return e.lookup(key, n)


def _add(e: Evaluator, n: Any) -> Array:
    out = e.ev(n.terms[0])
    for t in n.terms[1:]:
        out = out + e.ev(t)
    return out


def adjugate(a: Array) -> Array:
    """adj(A) = det(A) A⁻¹, computed from the SVD so it stays exact when A is singular:
    A = U S Vᵀ ⇒ adj(A) = det(U) det(V) · V adj(S) Uᵀ, adj(S) = diag(∏_{j≠i} s_j)."""
    import numpy as np

    if condition(a) < ADJUGATE_BY_INVERSE:
        # far from singular, det(A) A⁻¹ is as exact, from one LU: the SVD took 5 s at 1000×1000, and a
        # 3,000×3,000 `det(X) --check` ran 60 s past its 10 s budget
        return np.linalg.det(a) * np.linalg.inv(a)
    u, s, vt = np.linalg.svd(a)
    n = len(s)
    cof = np.array([np.prod(np.delete(s, i)) for i in range(n)]) if n > 1 else np.ones(1)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return sign * (vt.T * cof) @ u.T


def _det_times_inverse(n: Any) -> tuple[list[Node], int | None, Node | None]:
    """det(Y) ⋯ Y⁻¹ (or Y⁻ᵀ) in one product: evaluate as the adjugate, defined for singular Y too."""
    dets = [f for f in n.factors if isinstance(f, N.Det)]
    for d in dets:
        for f in n.factors:
            inv = f.arg if isinstance(f, N.Transpose) else f
            if isinstance(inv, N.Inverse) and inv.arg == d.arg:
                rest = [g for g in n.factors if g is not d]
                return rest, rest.index(f), f
    return list(n.factors), None, None


def _lazy_inverse(e: Evaluator, f: Node) -> tuple[str, Array, Node] | None:
    """Y⁻¹ or Y⁻ᵀ as a factor of a product: kept as ("i"|"t", Y) so it can be applied with solve."""
    transposed = isinstance(f, N.Transpose) and isinstance(f.arg, N.Inverse)
    inv = f.arg if isinstance(f, N.Transpose) and transposed else f
    if not isinstance(inv, N.Inverse):
        return None
    y = e.ev(inv.arg)
    if y.shape == (1, 1):
        return None
    _require_invertible(e, y, inv, inv.arg)
    return ("t" if transposed else "i", y, inv)


def _chain_product(
    e: Evaluator, left: tuple[str, Array, Node | None], right: tuple[str, Array, Node | None], owned: set[int]
) -> Array:
    """left @ right where either may be a lazy inverse (a solve instead of forming the inverse) or a structured
    factor (applied in place to an array of `owned`, the ids of arrays the product made)."""
    np = e.np
    (lk, lv, ln), (rk, rv, rn) = left, right
    try:
        if lk != "m" and rk != "m":
            lv, lk = _dense(e, left), "m"
        if lk in _STRUCTURED and rk == "m":
            apply = partial(_STRUCTURED[lk][0], e, ln)
            square = lv.shape[0] == lv.shape[1]
            return SP.in_place(rv, apply, axis=1) if square and id(rv) in owned else apply(rv)
        if lk == "m" and rk in _STRUCTURED:
            apply = partial(_STRUCTURED[rk][1], e, rn)
            square = rv.shape[0] == rv.shape[1]
            return SP.in_place(lv, apply, axis=0) if square and id(lv) in owned else apply(lv)
        if lk == "m" and rk == "m":
            return lv @ rv
        if lk == "m":  # L Y⁻¹ = (Y⁻ᵀ Lᵀ)ᵀ ;  L Y⁻ᵀ = (Y⁻¹ Lᵀ)ᵀ
            return np.linalg.solve(rv.T if rk == "i" else rv, lv.T).T
        return np.linalg.solve(lv if lk == "i" else lv.T, rv)  # Y⁻¹ R, Y⁻ᵀ R
    except np.linalg.LinAlgError as exc:
        node = ln if lk != "m" else rn
        assert isinstance(node, N.Inverse)
        raise MathError(f"{e.env.text_of(node.arg)} is singular: it has no inverse", node.span) from exc


def _commutation_dims(e: Evaluator, node: Node | None) -> tuple[int, int]:
    assert isinstance(node, N.Commutation)
    return e.size(node.rows), e.size(node.cols)


def _symmetriser_side(e: Evaluator, node: Node | None) -> int:
    assert isinstance(node, N.Add)
    k = next(t for t in node.terms if isinstance(t, N.Commutation))
    return e.size(k.rows)


def _is_symmetriser(e: Evaluator, f: Node) -> bool:
    """I + Kₙₙ (the factor of a Hessian by a symmetric matrix)."""
    if not (isinstance(f, N.Add) and len(f.terms) == 2):
        return False
    kinds = {type(t) for t in f.terms}
    k = next((t for t in f.terms if isinstance(t, N.Commutation)), None)
    return kinds == {N.Identity, N.Commutation} and k is not None and e.size(k.rows) == e.size(k.cols)


def _kron_operands(e: Evaluator, node: Node | None) -> tuple[Array, Array]:
    assert isinstance(node, N.Kron)
    return e.ev(node.left), e.ev(node.right)


def _lazy_structured(e: Evaluator, f: Node) -> tuple[str, Array, Node] | None:
    """K_rc, A ⊗ B and I + Kₙₙ as factors of a product: kept as (kind, a placeholder of their shape) and applied
    by mcalc.numeric.structured_products, never as dense matrices multiplied in (rc)³ operations."""
    kind = "k" if isinstance(f, N.Commutation) else "x" if isinstance(f, N.Kron) else None
    if kind is None and _is_symmetriser(e, f):
        kind = "s"
    if kind is None:
        return None
    r, c = e.env.shape(f)
    return (kind, e.np.broadcast_to(e.np.zeros(()), (e.size(r), e.size(c))), f)


# kind ↦ (the factor times M, M times the factor)
_STRUCTURED: dict[str, tuple[Callable[[Evaluator, Node | None, Array], Array], ...]] = {
    "k": (
        lambda e, node, v: SP.commute_rows(v, *_commutation_dims(e, node)),
        lambda e, node, v: SP.commute_columns(v, *_commutation_dims(e, node)),
    ),
    "x": (
        lambda e, node, v: SP.kron_rows(*_kron_operands(e, node), v),
        lambda e, node, v: SP.kron_columns(v, *_kron_operands(e, node)),
    ),
    "s": (
        lambda e, node, v: SP.symmetrise_rows(v, _symmetriser_side(e, node)),
        lambda e, node, v: SP.symmetrise_columns(v, _symmetriser_side(e, node)),
    ),
}


def _dense(e: Evaluator, op: tuple[str, Array, Node | None]) -> Array:
    kind, v, node = op
    if kind == "m":
        return v
    if kind in _STRUCTURED:
        assert node is not None
        return _kron(e, node) if kind == "x" else _add(e, node) if kind == "s" else _commutation(e, node)
    try:
        inv = e.np.linalg.inv(v)
    except e.np.linalg.LinAlgError as exc:
        assert isinstance(node, N.Inverse)
        raise MathError(f"{e.env.text_of(node.arg)} is singular: it has no inverse", node.span) from exc
    return inv.T if kind == "t" else inv


Op = tuple[str, Array, Node | None]


def _mul(e: Evaluator, n: Any) -> Array:
    """A product: scalar factors collected, the matrix chain multiplied with inverses applied by solve,
    right to left when it ends in a vector (A B x costs two matrix-vector products, not n³)."""
    scale, ops, owned = _operands(e, n)
    if not ops:
        return e.np.full((1, 1), scale)
    chained = all(ops[i][1].shape[1] == ops[i + 1][1].shape[0] for i in range(len(ops) - 1))
    if chained and len(ops) > 2 and ops[-1][1].shape[1] < ops[0][1].shape[0]:
        acc = ops[-1]
        for op in reversed(ops[:-1]):
            acc = ("m", _chain_product(e, op, acc, owned), None)
            owned.add(id(acc[1]))
    else:
        acc = ops[0]
        for op in ops[1:]:
            if acc[0] == "m" and acc[1].shape == (1, 1):  # (xᵀy) z: a scalar stretch of the chain
                scale = scale * acc[1][0, 0]
                acc = op
                continue
            acc = ("m", _chain_product(e, acc, op, owned), None)
            owned.add(id(acc[1]))
    out = _dense(e, acc)
    if scale == 1.0:
        return out
    if id(out) in owned and out.flags.writeable and e.np.result_type(out, scale) == out.dtype:
        out *= scale  # the answer of a Hessian: a second array as large would double the peak
        return out
    return out * scale


def _operands(e: Evaluator, n: Any) -> tuple[Any, list[Op], set[int]]:
    """The scalar factor, the matrix factors (lazy where they can be) and the ids of the arrays made here
    (not memoised values: a structured factor is applied to them in place, the scale too)."""
    scale = 1.0
    ops: list[Op] = []
    owned: set[int] = set()
    factors, adj_at, adj_node = _det_times_inverse(n)
    skip = 0  # factors fused into a K_f before them
    for k, f in enumerate(factors):
        if skip:
            skip -= 1
            continue
        fused = _fused_frechet_matrix(e, factors, k)
        if fused is not None:
            ops.append(("m", fused[0], None))
            owned.add(id(fused[0]))
            skip = fused[1]
            continue
        if k == adj_at and adj_node is not None:
            transposed = isinstance(adj_node, N.Transpose)
            inverse = adj_node.arg if isinstance(adj_node, N.Transpose) else adj_node
            assert isinstance(inverse, N.Inverse)
            a = adjugate(e.ev(inverse.arg))
            ops.append(("m", a.T if transposed else a, None))
            continue
        lazy = _lazy_inverse(e, f) or _lazy_structured(e, f)
        if lazy is not None:
            ops.append(lazy)
            continue
        v = e.ev(f)
        if v.shape == (1, 1):
            scale = scale * v[0, 0]
        else:
            ops.append(("m", v, None))
    return scale, ops, owned


def _hadamard(e: Evaluator, n: Any) -> Array:
    out = e.ev(n.factors[0])
    for f in n.factors[1:]:
        out = out * e.ev(f)
    return out


def _kron(e: Evaluator, n: Any) -> Array:
    return e.np.kron(e.ev(n.left), e.ev(n.right))


def _transpose(e: Evaluator, n: Any) -> Array:
    return e.ev(n.arg).T


def _inverse(e: Evaluator, n: Any) -> Array:
    x = e.ev(n.arg)
    _require_invertible(e, x, n, n.arg)
    try:
        return e.np.linalg.inv(x)
    except e.np.linalg.LinAlgError as exc:
        raise MathError(f"{e.env.text_of(n.arg)} is singular: it has no inverse", n.span) from exc


def _power(e: Evaluator, n: Any) -> Array:
    x = e.ev(n.base)
    p = n.exponent
    if x.shape == (1, 1):
        return x ** _float(p)
    if p < 0:
        _require_invertible(e, x, n, n.base)
    try:
        return e.np.linalg.matrix_power(x, int(p))
    except e.np.linalg.LinAlgError as exc:
        raise MathError(f"{e.env.text_of(n.base)} is singular", n.span) from exc


def _element_power(e: Evaluator, n: Any) -> Array:
    return e.ev(n.base) ** _float(n.exponent)


def _positive_base(e: Evaluator, n: Any, b: Array) -> None:
    """A power with an expression for its exponent is exp(E log B): defined for a positive base only."""
    bad = b[~(b > 0)]
    if bad.size:
        raise MathError(
            f"{e.env.text_of(n.base)} must be positive under a power with a symbolic exponent "
            f"({e.env.text_of(n)}); it has an entry {bad.flat[0]:g} at the values given",
            n.span,
        )


def _element_power_of(e: Evaluator, n: Any) -> Array:
    b, p = e.ev(n.base), e.ev(n.exponent)
    _positive_base(e, n, b)
    return b**p


def whole_number(e: Evaluator, n: Any, value: Array) -> int:
    """The exponent of a matrix power Xᵏ (or the number of terms of a sum): a whole number ≥ 0."""
    v = float(value[0, 0])
    if not (v >= 0 and v == int(v)):
        what = (
            f"the exponent {e.env.text_of(n.exponent)} of a matrix power"
            if isinstance(n, N.PowerOf)
            else ("the number of terms of a sum")
        )
        raise MathError(f"{what} must be a whole number ≥ 0; it is {v:g} at the values given", n.span)
    return int(v)


def _power_of(e: Evaluator, n: Any) -> Array:
    b, p = e.ev(n.base), e.ev(n.exponent)
    if b.shape == (1, 1):
        _positive_base(e, n, b)
        return b**p
    return e.np.linalg.matrix_power(b, whole_number(e, n, p))


def bound_key(name: str) -> str:
    return f"index:{name}"


def _bound(e: Evaluator, n: Any) -> Array:
    return e.lookup(bound_key(n.name), n)


MAX_SUM_TERMS = 10_000  # terms of sums over an index in one evaluation: Xᵏ at k = 10⁶ is refused, not looped


def _sum_over(e: Evaluator, n: Any) -> Array:
    """∑_{r=0}^{k−1} body: the body evaluated once per value of r (a fresh memo each time: it holds r)."""
    count = whole_number(e, n, e.ev(n.count))
    e.sum_terms[0] += count
    if e.sum_terms[0] > MAX_SUM_TERMS:
        raise InputError(
            f"too large: the sums over an index (∑_{{r=0}}^{{k−1}}, from a power Xᵏ) have {e.sum_terms[0]:,} terms or "
            f"more at the values given; mcalc evaluates at most {MAX_SUM_TERMS:,}",
            n.span,
        )
    total = None
    for r in range(count):
        inner = Evaluator(e.env, {**e.values, bound_key(n.index): e.np.full((1, 1), float(r))})
        inner.sum_terms = e.sum_terms
        term = inner.ev(n.body)
        total = term if total is None else total + term
    if total is None:  # no terms: zero of the body's shape
        rows, cols = e.env.shape(n.body)
        return e.np.zeros((e.size(rows), e.size(cols)))
    return total


def _trace(e: Evaluator, n: Any) -> Array:
    return e.np.full((1, 1), e.np.trace(e.ev(n.arg)))


def _det(e: Evaluator, n: Any) -> Array:
    return e.np.full((1, 1), e.np.linalg.det(e.ev(n.arg)))


def _logdet(e: Evaluator, n: Any) -> Array:
    sign, value = e.np.linalg.slogdet(e.ev(n.arg))
    if sign <= 0:
        raise MathError(
            f"logdet needs a positive determinant: det({e.env.text_of(n.arg)}) is "
            f"{'zero' if sign == 0 else 'negative'}",
            n.span,
        )
    return e.np.full((1, 1), value)


def _apply(e: Evaluator, n: Any) -> Array:
    entry = functions.lookup(n.func)  # the catalogue's numpy evaluation
    if entry is None:
        raise MathError(f"cannot evaluate the function {n.func}", n.span)
    return entry.evaluate(e.ev(n.arg))


def _columnwise(e: Evaluator, n: Any) -> Array:
    entry = functions.lookup(n.func)
    if entry is None or entry.kind is not functions.Kind.MATRIX_MAP:
        return _apply(e, n)
    try:  # expm, logm, ...: refused outside the domain with the argument's own text
        return matrix_values.value(n.func, e.ev(n.arg), e.env.text_of(n.arg))
    except MathError as err:
        raise MathError(err.message, n.span) from None


def _frechet(e: Evaluator, n: Any, commuted: bool = False, symmetrised: bool = False) -> Array:
    """L_f(A, E, …) (or its matrix K, with commuted Kₙₙ K, with symmetrised K (I + Kₙₙ)), applied numerically:
    mcalc.syntax.matrix_values, mcalc.numeric.frechet_matrix."""
    a, *directions = (e.ev(x) for x in n.args)
    try:
        if isinstance(n, N.FrechetMatrix):
            return frechet_matrix(n.func, a, tuple(directions), e.env.text_of(n.at), commuted, symmetrised)
        return matrix_values.frechet(n.func, a, tuple(directions), e.env.text_of(n.at))
    except MathError as err:
        raise MathError(err.message, n.span) from None


def _fused_frechet_matrix(e: Evaluator, factors: list[Node], k: int) -> tuple[Array, int] | None:
    """Kₙₙ K_f(A, …) (the Hessian of tr(expm(X))), K_f(A, …)(I + Kₙₙ) (by a symmetric S) or both, built as
    one array with the number of factors it took after the k-th: a product of the two keeps K_f alive
    beside the answer. A K_f already evaluated (used elsewhere too) is permuted instead."""
    at = k + 1 if isinstance(factors[k], N.Commutation) else k
    node = factors[at] if at < len(factors) else None
    if not isinstance(node, N.FrechetMatrix):
        return None
    n = e.size(e.env.shape(node.at)[0])
    commuted = at > k and e.size(factors[k].rows) == n and e.size(factors[k].cols) == n  # type: ignore[attr-defined]
    symmetrised = at + 1 < len(factors) and _is_symmetriser(e, factors[at + 1])
    symmetrised = symmetrised and e.size(e.env.shape(factors[at + 1])[0]) == n * n
    if not (commuted or symmetrised) or (at > k and not commuted):
        return None
    hit = e.memo.get(node)
    if hit is None:
        value = _frechet(e, node, commuted=commuted, symmetrised=symmetrised)
    else:
        value = SP.commute_rows(hit, n, n) if commuted else hit.copy(order="A")
        value = SP.in_place(value, partial(SP.symmetrise_columns, n=n), axis=0) if symmetrised else value
    return value, (at - k) + int(symmetrised)


def _norm(e: Evaluator, n: Any) -> Array:
    x = e.ev(n.arg)
    value = e.np.abs(x).sum() if n.p == 1 else e.np.sqrt((x * x).sum())
    return e.np.full((1, 1), value)


def _sum(e: Evaluator, n: Any) -> Array:
    return e.np.full((1, 1), e.ev(n.arg).sum())


def _diag(e: Evaluator, n: Any) -> Array:
    x = e.ev(n.arg)
    if x.shape[1] == 1:
        return e.np.diag(x[:, 0])
    return e.np.diag(x).reshape(-1, 1).copy()


def _vec(e: Evaluator, n: Any) -> Array:
    return e.ev(n.arg).reshape(-1, 1, order="F")


def _unvec(e: Evaluator, n: Any) -> Array:
    return e.ev(n.arg).reshape((e.size(n.rows), e.size(n.cols)), order="F")


_HANDLERS: dict[type, Callable[[Evaluator, Any], Array]] = {
    N.Symbol: _symbol,
    N.Number: _number,
    N.Identity: _identity,
    N.Ones: _ones,
    N.Zero: _zero,
    N.Commutation: _commutation,
    N.Differential: _differential,
    N.FunctionOf: _function_of,
    N.Add: _add,
    N.Mul: _mul,
    N.Hadamard: _hadamard,
    N.Kron: _kron,
    N.Transpose: _transpose,
    N.Inverse: _inverse,
    N.Power: _power,
    N.ElementPower: _element_power,
    N.ElementPowerOf: _element_power_of,
    N.PowerOf: _power_of,
    N.Bound: _bound,
    N.SumOver: _sum_over,
    N.Trace: _trace,
    N.Det: _det,
    N.LogDet: _logdet,
    N.Apply: _apply,
    N.Columnwise: _columnwise,
    N.Frechet: _frechet,
    N.FrechetMatrix: _frechet,
    N.Norm: _norm,
    N.Sum: _sum,
    N.Diag: _diag,
    N.Vec: _vec,
    N.Unvec: _unvec,
}


def evaluate(node: Node, env: ShapeEnv, values: Mapping[str, Array]) -> Array:
    return Evaluator(env, values).ev(node)
