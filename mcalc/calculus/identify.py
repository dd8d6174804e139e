"""Reading derivatives off a differential that is linear in dX.

- `gradient`: for a scalar f, the G with df = tr(Gᵀ dX) (G has the shape of X). Found by pushing a
  cotangent from the root down to dX through the linear operators only (product, transpose, trace,
  Hadamard, sum, diag, vec), each step a named identity of the trace: tr(L dX R) = tr(R L dX) gives
  G = Lᵀ (cot) Rᵀ, and tr(Aᵀ) = tr(A) handles dXᵀ.
- `vec_jacobian`: for any f, the J with vec(df) = J vec(dX) (numerator layout), built from
  vec(L Y R) = (Rᵀ ⊗ L) vec(Y) (MC eq. 520), vec(Yᵀ) = K vec(Y), vec(H ⊙ Y) = diag(vec H) vec(Y).
"""

from __future__ import annotations

from fractions import Fraction

from mcalc.calculus.rules import inner
from mcalc.errors import NoRuleError
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, mul
from mcalc.syntax.nodes import Node


def _has_d(node: Node, memo: dict[Node, bool]) -> bool:
    hit = memo.get(node)
    if hit is None:
        hit = isinstance(node, N.Differential) or any(_has_d(c, memo) for c in node.children())
        memo[node] = hit
    return hit


def _product(factors: list[Node]) -> Node | None:
    if not factors:
        return None
    return factors[0] if len(factors) == 1 else N.Mul(tuple(factors))


class _Adjoint:
    def __init__(self, env: ShapeEnv, var: str) -> None:
        self.env = env
        self.var = var
        self.memo: dict[Node, bool] = {}
        self.parts: list[Node] = []

    def has_d(self, node: Node) -> bool:
        return _has_d(node, self.memo)

    def push(self, node: Node, cot: Node) -> None:
        """Accumulate the gradient contributions of `node` (linear in dX) with cotangent `cot`."""
        env = self.env
        if not self.has_d(node):
            return
        if isinstance(node, N.Differential):
            self.parts.append(cot)
        elif isinstance(node, N.Add):
            for t in node.terms:
                if self.has_d(t):
                    if env.is_scalar(t) and not env.is_scalar(node):
                        self.push(t, N.Sum(cot))  # a scalar broadcast over the sum
                    else:
                        self.push(t, cot)
        elif isinstance(node, N.Mul):
            self._push_mul(node, cot)
        elif isinstance(node, N.Transpose):
            self.push(node.arg, N.Transpose(cot))
        elif isinstance(node, N.Trace):
            r, _ = env.shape(node.arg)
            self.push(node.arg, mul(cot, N.Identity(r)))
        elif isinstance(node, N.Hadamard):
            i = next(i for i, f in enumerate(node.factors) if self.has_d(f))
            others = node.factors[:i] + node.factors[i + 1 :]
            target = node.factors[i]
            if env.is_scalar(target) and not env.is_scalar(node):
                self.push(target, N.Sum(N.Hadamard((cot, *others))))
            else:
                self.push(target, N.Hadamard((cot, *others)))
        elif isinstance(node, N.Sum):
            r, c = env.shape(node.arg)
            self.push(node.arg, mul(cot, N.Ones(r, c)))
        elif isinstance(node, N.Diag):
            self.push(node.arg, N.Diag(cot))
        elif isinstance(node, N.Vec):
            r, c = env.shape(node.arg)
            self.push(node.arg, N.Unvec(cot, r, c))
        elif isinstance(node, N.Unvec):
            self.push(node.arg, N.Vec(cot))
        else:
            # anything else linear in dX (a Kronecker product): through the vec Jacobian
            j = vec_jacobian(node, self.var, env)
            r, c = env.shape_of_var(self.var)
            self.parts.append(N.Unvec(mul(N.Transpose(j), N.Vec(cot)), r, c))

    def _push_mul(self, node: N.Mul, cot: Node) -> None:
        env = self.env
        fs = list(node.factors)
        i = next((i for i, f in enumerate(fs) if self.has_d(f)), -1)
        if i < 0:
            return
        target = fs[i]
        if env.is_scalar(target):
            rest = _product(fs[:i] + fs[i + 1 :])
            assert rest is not None
            self.push(target, inner(cot, rest, env) if not env.is_scalar(rest) else mul(cot, rest))
            return
        scalars = [f for j, f in enumerate(fs) if j != i and env.is_scalar(f)]
        chain = [f for f in fs if not env.is_scalar(f)]
        k = chain.index(target)
        left = _product(chain[:k])
        right = _product(chain[k + 1 :])
        parts: list[Node] = list(scalars)
        if left is not None:
            parts.append(N.Transpose(left))
        parts.append(cot)
        if right is not None:
            parts.append(N.Transpose(right))
        self.push(target, mul(*parts))


def gradient(differential: Node, var: str, env: ShapeEnv) -> Node:
    """G with d f = ⟨G, dX⟩, for a scalar f whose differential is given."""
    adj = _Adjoint(env, var)
    adj.push(differential, N.Number(Fraction(1)))
    if not adj.parts:
        r, c = env.shape_of_var(var)
        return N.Zero(r, c)
    return add(*adj.parts)


def vec_jacobian(node: Node, var: str, env: ShapeEnv) -> Node:
    """J with vec(node) = J vec(dX), for `node` linear in dX."""
    memo: dict[Node, bool] = {}
    n_var = env.numel(N.Differential(var))

    def jac(x: Node) -> Node:
        if not _has_d(x, memo):  # a part that cancelled (dA − dA) or was multiplied by zero
            return N.Zero(env.numel(x), n_var)
        if isinstance(x, N.Differential):
            return N.Identity(n_var)
        if isinstance(x, N.Add):
            parts = []
            for t in x.terms:
                if _has_d(t, memo):
                    j = jac(t)
                    if env.is_scalar(t) and not env.is_scalar(x):
                        r, c = env.shape(x)
                        j = mul(N.Ones(env.resolve((r, c)), 1), j)
                    parts.append(j)
            return add(*parts)
        if isinstance(x, N.Mul):
            fs = list(x.factors)
            i = next(i for i, f in enumerate(fs) if _has_d(f, memo))
            target = fs[i]
            if env.is_scalar(target):
                rest = _product(fs[:i] + fs[i + 1 :])
                assert rest is not None
                return mul(N.Vec(rest), jac(target))
            scalars = [f for j, f in enumerate(fs) if j != i and env.is_scalar(f)]
            chain = [f for f in fs if not env.is_scalar(f)]
            k = chain.index(target)
            left = _product(chain[:k])
            right = _product(chain[k + 1 :])
            tr, tc = env.shape(target)
            lhs = left if left is not None else N.Identity(tr)
            rhs = N.Transpose(right) if right is not None else N.Identity(tc)
            return mul(*scalars, N.Kron(rhs, lhs), jac(target))
        if isinstance(x, N.Transpose):
            r, c = env.shape(x.arg)
            return mul(N.Commutation(r, c), jac(x.arg))
        if isinstance(x, N.Trace):
            r, _ = env.shape(x.arg)
            return mul(N.Transpose(N.Vec(N.Identity(r))), jac(x.arg))
        if isinstance(x, N.Hadamard):
            i = next(i for i, f in enumerate(x.factors) if _has_d(f, memo))
            others = x.factors[:i] + x.factors[i + 1 :]
            h = others[0] if len(others) == 1 else N.Hadamard(others)
            target = x.factors[i]
            if env.is_scalar(target):
                return mul(N.Vec(h), jac(target))
            return mul(N.Diag(N.Vec(h)), jac(target))
        if isinstance(x, N.Sum):
            r, c = env.shape(x.arg)
            return mul(N.Transpose(N.Ones(env.resolve((r, c)), 1)), jac(x.arg))
        if isinstance(x, (N.Vec, N.Unvec)):
            return jac(x.children()[0])
        if isinstance(x, N.Diag):
            # vec(diag(v)) = diag(vec I)(𝟙 ⊗ I) v; diag(M) = (𝟙ᵀ ⊗ I) diag(vec I) vec(M)
            n = env.shape(x.arg)[0]
            mask = N.Diag(N.Vec(N.Identity(n)))
            spread = N.Kron(N.Ones(n, 1), N.Identity(n))
            if env.is_vector(x.arg):
                return mul(mask, spread, jac(x.arg))
            return mul(N.Transpose(spread), mask, jac(x.arg))
        if isinstance(x, N.Kron):
            return _kron_jacobian(x, jac, memo, env)
        raise NoRuleError(f"no vec form for {type(x).__name__} in a derivative", x.span)

    return jac(node)


def _kron_jacobian(x: N.Kron, jac: object, memo: dict[Node, bool], env: ShapeEnv) -> Node:
    """vec(A ⊗ B) = (I_n ⊗ K_{q,m} ⊗ I_p)(vec A ⊗ vec B) for A m×n, B p×q (Magnus-Neudecker 3.10)."""
    assert callable(jac)
    a, b = x.left, x.right
    m, n = env.shape(a)
    p, q = env.shape(b)
    perm = N.Kron(N.Kron(N.Identity(n), N.Commutation(q, m)), N.Identity(p))
    if _has_d(a, memo):
        right = N.Kron(N.Identity(env.resolve((m, n))), N.Vec(b))
        return mul(perm, right, jac(a))
    left = N.Kron(N.Vec(a), N.Identity(env.resolve((p, q))))
    return mul(perm, left, jac(b))
