"""Reading derivatives off a differential that is linear in dX.

- `gradient`: for a scalar f, the G with df = tr(Gᵀ dX) (G has the shape of X). Found by pushing a
  cotangent from the root down to dX through the linear operators only (product, transpose, trace,
  Hadamard, sum, diag, vec), each step a named identity of the trace: tr(L dX R) = tr(R L dX) gives
  G = Lᵀ (cot) Rᵀ, and tr(Aᵀ) = tr(A) handles dXᵀ.
- `vec_jacobian`: for any f, the J with vec(df) = J vec(dX) (numerator layout), built from
  vec(L Y R) = (Rᵀ ⊗ L) vec(Y) (MC eq. 520), vec(Yᵀ) = K vec(Y), vec(H ⊙ Y) = diag(vec H) vec(Y).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar

from mcalc import budget
from mcalc.calculus import frechet
from mcalc.calculus.rules import inner
from mcalc.errors import NoRuleError
from mcalc.shapes import ShapeEnv
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, mul
from mcalc.syntax.nodes import Dim, Node

T = TypeVar("T")


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


def _by_type(table: dict[type, T], node: Node) -> T | None:
    """The entry of `table` for the node's type (or the nearest base type that has one)."""
    for cls in type(node).__mro__:
        hit = table.get(cls)
        if hit is not None:
            return hit
    return None


def _split_at(factors: tuple[Node, ...], has_d: Callable[[Node], bool]) -> tuple[int, Node]:
    """The index of the one factor with dX in it, and that factor."""
    i = next(i for i, f in enumerate(factors) if has_d(f))
    return i, factors[i]


class _Adjoint:
    """Pushes a cotangent from the root of a differential down to dX (`gradient`), as reverse-mode
    autodiff does: each distinct sub-expression once, in topological order (every parent before its
    children), with the cotangents that reach it from its parents summed first. A differential shares
    sub-expressions (the rule memo reuses d(u); softmax's (diag(s) − s sᵀ) du holds du twice), and a walk
    of it as a tree visits a shared one along every path: 2⁶⁰ times in 60 nested softmaxes."""

    def __init__(self, env: ShapeEnv, var: str) -> None:
        self.env = env
        self.var = var
        self.memo: dict[Node, bool] = {}
        self.parts: list[Node] = []
        self.pending: dict[Node, list[Node]] = {}

    def has_d(self, node: Node) -> bool:
        return _has_d(node, self.memo)

    def push(self, node: Node, cot: Node) -> None:
        """A contribution `cot` to the cotangent of `node` (linear in dX): passed on by `run` once all of
        node's parents have given theirs."""
        if self.has_d(node):
            self.pending.setdefault(node, []).append(cot)

    def run(self, root: Node, cot: Node) -> None:
        """Accumulate the gradient contributions of `root` (linear in dX) with cotangent `cot`."""
        self.push(root, cot)
        for node in self._topological(root):
            cots = self.pending.pop(node, None)
            if cots is None:
                continue
            budget.tick("differentiating")
            if isinstance(node, N.Differential):  # each contribution a part of its own, as they came
                self.parts.extend(cots)
                continue
            total = cots[0] if len(cots) == 1 else add(*cots)
            step = _by_type(_PUSH, node)
            if step is not None:
                step(self, node, total)
                continue
            # anything else linear in dX (a Kronecker product): through the vec Jacobian
            j = vec_jacobian(node, self.var, self.env)
            r, c = self.env.shape_of_var(self.var)
            self.parts.append(N.Unvec(mul(N.Transpose(j), N.Vec(total)), r, c))

    def _topological(self, root: Node) -> list[Node]:
        """The distinct sub-expressions holding dX, every parent before its children: the reverse of a
        post-order walk that takes children right to left, which on a tree is the pre-order, left to right,
        of a walk as a tree (so an unshared differential gives its parts in the order it always did)."""
        post: list[Node] = []
        seen = {root}
        stack: list[tuple[Node, list[Node]]] = [(root, [c for c in root.children() if self.has_d(c)])]
        while stack:
            node, todo = stack[-1]
            if todo:
                child = todo.pop()  # the rightmost first
                if child not in seen:
                    seen.add(child)
                    stack.append((child, [c for c in child.children() if self.has_d(c)]))
                continue
            stack.pop()
            post.append(node)
        post.reverse()
        return post

    def transposed(self, cot: Node) -> Node:
        """cotᵀ, with the transposes of c·Yᵀ undone at once: d f = 2 dxᵀS gave the gradient (2Sᵀ)ᵀ, and
        the simplifier (bottom up) pushed the transpose into a 3,000-term S and back out again."""
        if isinstance(cot, N.Transpose):
            return cot.arg
        if isinstance(cot, N.Mul):
            chain = [f for f in cot.factors if not self.env.is_scalar(f)]
            if len(chain) == 1 and isinstance(inner := chain[0], N.Transpose):
                return N.Mul(tuple(inner.arg if f is inner else f for f in cot.factors))
        return N.Transpose(cot)

    def _add(self, node: N.Add, cot: Node) -> None:
        for t in node.terms:
            if self.has_d(t):
                broadcast = self.env.is_scalar(t) and not self.env.is_scalar(node)
                self.push(t, N.Sum(cot) if broadcast else cot)  # a scalar broadcast over the sum

    def _hadamard(self, node: N.Hadamard, cot: Node) -> None:
        i, target = _split_at(node.factors, self.has_d)
        others = node.factors[:i] + node.factors[i + 1 :]
        if self.env.is_scalar(target) and not self.env.is_scalar(node):
            self.push(target, N.Sum(N.Hadamard((cot, *others))))
        else:
            self.push(target, self._scaled(cot, others))

    def _scaled(self, cot: Node, others: tuple[Node, ...]) -> Node:
        """cot ⊙ others, written c·others when cot is c𝟙 (a scalar c times ones, as the adjoint of a sum
        gives): d sum(r.^2) = 2 sum(r ⊙ dr) reads 2r at once, where (2𝟙) ⊙ r was left to the simplifier, a
        quarter of the gradient's time in a 3,000-term Σ sum((Aᵢx − bᵢ).^2)."""
        factors = cot.factors if isinstance(cot, N.Mul) else (cot,)
        if isinstance(factors[-1], N.Ones) and all(self.env.is_scalar(f) for f in factors[:-1]):
            return mul(*factors[:-1], others[0] if len(others) == 1 else N.Hadamard(others))
        return N.Hadamard((cot, *others))

    def _mul(self, node: N.Mul, cot: Node) -> None:
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
        # a matrix product as the cotangent joins the product, its scalars in front with the others, as the
        # simplifier would write it: 2 Aᵀ r, not Aᵀ (2 r), which was one more product to normalise per term
        # of a long sum (and this one is normal as built: products._already_normal)
        joined = isinstance(cot, N.Mul) and not env.is_scalar(cot)
        cot_factors = cot.factors if isinstance(cot, N.Mul) and joined else (cot,)
        parts: list[Node] = list(scalars)
        if joined:
            parts.extend(f for f in cot_factors if env.is_scalar(f))
            cot_factors = tuple(f for f in cot_factors if not env.is_scalar(f))
        if left is not None:
            parts.append(N.Transpose(left))
        parts.extend(cot_factors)
        if right is not None:
            parts.append(N.Transpose(right))
        self.push(target, mul(*parts))

    def _trace(self, node: N.Trace, cot: Node) -> None:
        r, _ = self.env.shape(node.arg)
        self.push(node.arg, mul(cot, N.Identity(r)))

    def _sum(self, node: N.Sum, cot: Node) -> None:
        r, c = self.env.shape(node.arg)
        self.push(node.arg, mul(cot, N.Ones(r, c)))

    def _vec(self, node: N.Vec, cot: Node) -> None:
        r, c = self.env.shape(node.arg)
        self.push(node.arg, N.Unvec(cot, r, c))

    def _frechet(self, node: N.Frechet, cot: Node) -> None:
        for i, e in enumerate(node.args):
            if i > 0 and self.has_d(e):  # ⟨C, L_f(A, E)⟩ = ⟨L_f(Aᵀ, C), E⟩ (mcalc.calculus.frechet)
                self.push(e, frechet.adjoint(node, i, cot))

    def _columnwise(self, node: N.Columnwise, cot: Node) -> None:
        """⟨C, f(dM)⟩ = ⟨f*(C), dM⟩ for a linear whole-matrix function f (Φ, α, toeplitz: its catalogue
        adjoint); any other Columnwise (softmax) never holds dX in a differential."""
        adjoint = functions.get(node.func).adjoint
        if adjoint is None:
            raise NoRuleError(f"no gradient through {node.func}(·) of a differential", node.span)
        self.push(node.arg, adjoint(cot))

    def _sum_over(self, node: N.SumOver, cot: Node) -> None:
        """⟨C, ∑ᵣ Lᵣ(dX)⟩ = ⟨∑ᵣ Lᵣ*(C), dX⟩: the body's gradient, summed over the same index."""
        inner = _Adjoint(self.env, self.var)
        inner.run(node.body, cot)
        if inner.parts:
            self.parts.append(N.SumOver(node.index, node.count, add(*inner.parts)))


# How a cotangent passes through each linear operator (tr(L dX R) = tr(R L dX): G = Lᵀ cot Rᵀ, ...)
_PUSH: dict[type, Callable[[_Adjoint, Any, Node], None]] = {
    N.Differential: lambda adj, node, cot: adj.parts.append(cot),
    N.Add: _Adjoint._add,
    N.Mul: _Adjoint._mul,
    N.Transpose: lambda adj, node, cot: adj.push(node.arg, adj.transposed(cot)),
    N.Trace: _Adjoint._trace,
    N.Hadamard: _Adjoint._hadamard,
    N.Sum: _Adjoint._sum,
    N.Diag: lambda adj, node, cot: adj.push(node.arg, N.Diag(cot)),
    N.Vec: _Adjoint._vec,
    N.Unvec: lambda adj, node, cot: adj.push(node.arg, N.Vec(cot)),
    N.SumOver: _Adjoint._sum_over,
    N.Frechet: _Adjoint._frechet,
    N.Columnwise: _Adjoint._columnwise,
}


def gradient(differential: Node, var: str, env: ShapeEnv) -> Node:
    """G with d f = ⟨G, dX⟩, for a scalar f whose differential is given."""
    adj = _Adjoint(env, var)
    adj.run(differential, N.Number(Fraction(1)))
    if not adj.parts:
        r, c = env.shape_of_var(var)
        return N.Zero(r, c)
    return add(*adj.parts)


def vec_jacobian(node: Node, var: str, env: ShapeEnv) -> Node:
    """J with vec(node) = J vec(dX), for `node` linear in dX."""
    return _VecJacobian(env, env.numel(N.Differential(var))).jac(node)


class _VecJacobian:
    """vec(L Y R) = (Rᵀ ⊗ L) vec(Y) (MC eq. 520), vec(Yᵀ) = K vec(Y), vec(H ⊙ Y) = diag(vec H) vec(Y), ..."""

    def __init__(self, env: ShapeEnv, n_var: Dim) -> None:
        self.env = env
        self.n_var = n_var
        self.memo: dict[Node, bool] = {}
        # each distinct part's Jacobian once: a part shared in the differential (an inner softmax's) was
        # built again along every path to it
        self.done: dict[Node, Node] = {}

    def has_d(self, node: Node) -> bool:
        return _has_d(node, self.memo)

    def jac(self, x: Node) -> Node:
        if not self.has_d(x):  # a part that cancelled (dA − dA) or was multiplied by zero
            return N.Zero(self.env.numel(x), self.n_var)
        hit = self.done.get(x)
        if hit is not None:
            return hit
        budget.tick("differentiating")
        rule = _by_type(_VEC, x)
        if rule is None:
            raise NoRuleError(f"no vec form for {type(x).__name__} in a derivative", x.span)
        out = self.done[x] = rule(self, x)
        return out

    def _add(self, x: N.Add) -> Node:
        env = self.env
        parts = []
        for t in x.terms:
            if self.has_d(t):
                j = self.jac(t)
                if env.is_scalar(t) and not env.is_scalar(x):
                    r, c = env.shape(x)
                    j = mul(N.Ones(env.resolve((r, c)), 1), j)
                parts.append(j)
        return add(*parts)

    def _mul(self, x: N.Mul) -> Node:
        env = self.env
        fs = list(x.factors)
        i, target = _split_at(x.factors, self.has_d)
        if env.is_scalar(target):
            rest = _product(fs[:i] + fs[i + 1 :])
            assert rest is not None
            return mul(N.Vec(rest), self.jac(target))
        scalars = [f for j, f in enumerate(fs) if j != i and env.is_scalar(f)]
        chain = [f for f in fs if not env.is_scalar(f)]
        k = chain.index(target)
        left = _product(chain[:k])
        right = _product(chain[k + 1 :])
        tr, tc = env.shape(target)
        lhs = left if left is not None else N.Identity(tr)
        rhs = N.Transpose(right) if right is not None else N.Identity(tc)
        return mul(*scalars, N.Kron(rhs, lhs), self.jac(target))

    def _transpose(self, x: N.Transpose) -> Node:
        r, c = self.env.shape(x.arg)
        return mul(N.Commutation(r, c), self.jac(x.arg))

    def _trace(self, x: N.Trace) -> Node:
        r, _ = self.env.shape(x.arg)
        return mul(N.Transpose(N.Vec(N.Identity(r))), self.jac(x.arg))

    def _hadamard(self, x: N.Hadamard) -> Node:
        i, target = _split_at(x.factors, self.has_d)
        others = x.factors[:i] + x.factors[i + 1 :]
        h = others[0] if len(others) == 1 else N.Hadamard(others)
        if self.env.is_scalar(target):
            return mul(N.Vec(h), self.jac(target))
        return mul(N.Diag(N.Vec(h)), self.jac(target))

    def _sum(self, x: N.Sum) -> Node:
        r, c = self.env.shape(x.arg)
        return mul(N.Transpose(N.Ones(self.env.resolve((r, c)), 1)), self.jac(x.arg))

    def _diag(self, x: N.Diag) -> Node:
        # vec(diag(v)) = diag(vec I)(𝟙 ⊗ I) v; diag(M) = (𝟙ᵀ ⊗ I) diag(vec I) vec(M)
        n = self.env.shape(x.arg)[0]
        mask = N.Diag(N.Vec(N.Identity(n)))
        spread = N.Kron(N.Ones(n, 1), N.Identity(n))
        if self.env.is_vector(x.arg):
            return mul(mask, spread, self.jac(x.arg))
        return mul(N.Transpose(spread), mask, self.jac(x.arg))

    def _frechet(self, x: N.Frechet) -> Node:
        """vec L_f(A, E) = K_f(A) vec(E) (K: a FrechetMatrix node, evaluated column by column)."""
        parts = [mul(frechet.matrix(x, i), self.jac(e)) for i, e in enumerate(x.args) if i > 0 and self.has_d(e)]
        return add(*parts)

    def _kron(self, x: N.Kron) -> Node:
        """vec(A ⊗ B) = (I_n ⊗ K_{q,m} ⊗ I_p)(vec A ⊗ vec B) for A m×n, B p×q (Magnus-Neudecker 3.10)."""
        env = self.env
        a, b = x.left, x.right
        if isinstance(a, N.Kron) and self.has_d(a.left) and not self.has_d(a.right) and not self.has_d(b):
            # (dA ⊗ B) ⊗ C read as dA ⊗ (B ⊗ C): one permutation and vec(B ⊗ C), not one per Kronecker factor
            return self.jac(N.Kron(a.left, N.Kron(a.right, b)))
        m, n = env.shape(a)
        p, q = env.shape(b)
        perm = N.Kron(N.Kron(N.Identity(n), N.Commutation(q, m)), N.Identity(p))
        if self.has_d(a):
            right = N.Kron(N.Identity(env.resolve((m, n))), N.Vec(b))
            return mul(perm, right, self.jac(a))
        left = N.Kron(N.Vec(a), N.Identity(env.resolve((p, q))))
        return mul(perm, left, self.jac(b))


def _no_vec_form(vj: _VecJacobian, x: N.Columnwise) -> Node:
    raise NoRuleError(
        f"the Jacobian through {x.func}(·) is not built (a matrix by a matrix); differentiate a number made "
        f"from it, e.g. tr(A {x.func}(…))",
        x.span,
    )


_VEC: dict[type, Callable[[_VecJacobian, Any], Node]] = {
    N.Differential: lambda vj, x: N.Identity(vj.n_var),
    N.Add: _VecJacobian._add,
    N.Mul: _VecJacobian._mul,
    N.Transpose: _VecJacobian._transpose,
    N.Trace: _VecJacobian._trace,
    N.Hadamard: _VecJacobian._hadamard,
    N.Sum: _VecJacobian._sum,
    N.Vec: lambda vj, x: vj.jac(x.arg),
    N.Unvec: lambda vj, x: vj.jac(x.arg),
    N.Diag: _VecJacobian._diag,
    N.Kron: _VecJacobian._kron,
    N.SumOver: lambda vj, x: N.SumOver(x.index, x.count, vj.jac(x.body)),
    N.Frechet: lambda vj, x: vj._frechet(x),
    N.Columnwise: _no_vec_form,
}
