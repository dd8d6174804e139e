"""Step 3–4 of `--steps` for the other kinds: J dx for a Jacobian, (Rᵀ ⊗ L) vec(dX) for a tensor
(MC eq. 520), F′ dt for the derivative by a scalar."""

from __future__ import annotations

from fractions import Fraction

from mcalc.calculus.identify import vec_jacobian
from mcalc.pipeline import displayed
from mcalc.steps.algebra import Algebra, add_terms, env_scalar, factors_of
from mcalc.steps.lines import REWRITES, Conclusion, Line, has_d, rewrite_line
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import ONE, Node
from mcalc.view import Layout


def jacobian(w: Algebra, df: Node, terms: list[Node]) -> list[Line]:
    lines: list[Line] = []
    js: list[Node] = []
    for term in terms:
        scalars, rest = w.split_term(term)
        more, j = jacobian_term(w, w.mul(*rest) if rest else ONE)
        lines += more
        ident = N.Identity(w.env.shape_of_var(w.var)[0])
        js.append(w.mul(*scalars, *j) if j else w.mul(*scalars, ident))
    jac = add_terms(js)
    total = w.mul(jac, w.dx) if not isinstance(jac, N.Add) else N.Mul((jac, w.dx))
    label, label_latex = w.labels()
    shown = displayed(w.stage, w.layout, w.env)
    read: Node = N.Transpose(jac) if w.layout is Layout.DENOMINATOR else jac
    values = (read, shown) if w.pr(read) != w.pr(shown) else (shown,)
    lines.append(rewrite_line((df, total), "identify-jacobian", Conclusion(label, label_latex, values)))
    return lines


def jacobian_term(w: Algebra, core: Node) -> tuple[list[Line], list[Node]]:
    """Lines taking a vector `core` (linear in dx) to J dx, and J's factors."""
    env = w.env
    dx = w.dx
    chain = factors_of(core)
    hits = [i for i, f in enumerate(chain) if has_d(f)]
    if len(hits) == 1 and w.unit(chain[hits[0]]):  # v (aᵀ dx) = v aᵀ dx
        i = hits[0]
        u = chain[i]
        assert isinstance(u, N.Mul)
        others = chain[:i] + chain[i + 1 :]
        lines0: list[Line] = []
        if i != len(chain) - 1:
            moved = N.Mul((*others, u))
            lines0.append(rewrite_line((core, moved), "scalar-commute"))
        more0, j0 = jacobian_term(w, N.Mul((*others, *u.factors)))
        return lines0 + more0, j0
    if isinstance(core, N.Hadamard):
        fs = list(core.factors)
        hits = [i for i, f in enumerate(fs) if has_d(f)]
        others = [f for i, f in enumerate(fs) if i not in hits]
        if len(hits) == 1 and others and all(env.is_vector(o) for o in others):
            h = others[0] if len(others) == 1 else N.Hadamard(tuple(others))
            new = w.mul(N.Diag(h), fs[hits[0]])
            more, j = jacobian_term(w, new)
            return [rewrite_line((core, new), "hadamard-diag"), *more], j
    chain = factors_of(core)
    k = w.leaf(chain)
    if k is not None:
        left, right = chain[:k], chain[k + 1 :]
        lines: list[Line] = []
        if isinstance(chain[k], N.Transpose) and env_scalar(env, [N.Transpose(dx), *right]):
            left = [*left, *w.t_chain(right)]  # dxᵀ R is 1×1: = Rᵀ dx
            right = []
            lines.append(rewrite_line((core, w.mul(*left, dx)), "scalar-transpose"))
            core = w.mul(*left, dx)
        if not isinstance(chain[k], N.Transpose) or not right:
            if not right:
                return lines, left
            if env_scalar(env, [*left, dx]):
                j = [*right, *left]
            elif env_scalar(env, right):
                j = [w.scalar_unit(right), *left]
            else:
                j = []
            if j:
                lines.append(rewrite_line((core, w.mul(*j, dx)), "scalar-commute"))
                return lines, j
    j_node = w.simp(vec_jacobian(core, w.var, env))
    return [rewrite_line((core, N.Mul((j_node, dx))), "vec-form")], [j_node]


def tensor(w: Algebra, df: Node, terms: list[Node]) -> list[Line]:
    env = w.env
    lines: list[Line] = []
    js: list[Node] = []
    vdx = N.Vec(w.dx)
    for term in terms:
        scalars, rest = w.split_term(term)
        core = w.mul(*rest) if rest else ONE
        chain = factors_of(core)
        k = w.leaf(chain)
        if k is not None:
            left, right = chain[:k], chain[k + 1 :]
            leaf = chain[k]
            lr, lc = env.shape(leaf)
            lhs = w.mul(*left) if left else N.Identity(lr)
            rhs = w.mul(*w.t_chain(right)) if right else N.Identity(lc)
            kron: Node = N.Kron(rhs, lhs)
            if isinstance(leaf, N.Transpose):
                r, c = env.shape_of_var(w.var)
                j = [kron, N.Commutation(r, c)]
                name = "vec-transpose"
            else:
                j = [kron]
                name = "vec-kron"
        else:
            j = [w.simp(vec_jacobian(core, w.var, env))]
            name = "vec-form"
        lines.append(rewrite_line((N.Vec(core), N.Mul((*j, vdx))), name))
        js.append(w.mul(*scalars, *j))
    jac = add_terms(js)
    total = N.Mul((jac, vdx))
    label, label_latex = w.labels()
    shown = displayed(w.stage, w.layout, env)
    read: Node = N.Transpose(jac) if w.layout is Layout.DENOMINATOR else jac
    values: tuple[Node, ...] = (read, shown)
    ident = REWRITES["identify-vec"]
    text, latex = ident.identity, ident.latex
    if w.var in env.symmetric:
        n = env.resolve(env.shape_of_var(w.var)[0])
        sym = N.Mul((N.Number(Fraction(1, 2)), N.Add((N.Identity(env.resolve((n, n))), N.Commutation(n, n)))))
        values = (N.Mul((read, sym)), shown)
        text += "; on symmetric matrices J (I + K)/2"
        latex += r";\ J\,(I + K)/2"
    if w.pr(values[0]) == w.pr(values[-1]):
        values = values[-1:]
    lines.append(Line((N.Vec(df), total), "identify-vec", text, latex, Conclusion(label, label_latex, values)))
    return lines


def by_scalar(w: Algebra, df: Node, terms: list[Node]) -> list[Line]:
    one: dict[Node, Node] = {w.dx: ONE}
    fs = [w.tidy(N.substitute(t, one)) for t in terms]
    f_prime = add_terms(fs)
    total = N.Mul((f_prime, w.dx)) if isinstance(f_prime, N.Add) else w.mul(f_prime, w.dx)
    label, label_latex = w.labels()
    shown = displayed(w.stage, w.layout, w.env)
    values = (f_prime, shown) if w.pr(f_prime) != w.pr(shown) else (shown,)
    return [rewrite_line((df, total), "identify-derivative", Conclusion(label, label_latex, values))]
