"""Step 3–4 of `--steps` for the gradient of a scalar: each term brought to tr(G dX) (G dx for a
vector) by the cyclic property and transposes, then ∂f/∂X = Gᵀ read off."""

from __future__ import annotations

from fractions import Fraction

from mcalc.calculus.identify import gradient as gradient_of
from mcalc.pipeline import displayed
from mcalc.steps.algebra import Algebra, add_terms, env_scalar, factors_of
from mcalc.steps.lines import REWRITES, Conclusion, Line, has_d, rewrite_line
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node
from mcalc.view import Layout


def form(w: Algebra, m: list[Node]) -> Node:
    """tr(M dX) for a matrix X, M dx for a vector x."""
    if w.vector:
        return w.mul(*m, w.dx)
    return N.Trace(w.mul(*m, w.dx))


def gradient(w: Algebra, df: Node, terms: list[Node]) -> list[Line]:
    env = w.env
    lines: list[Line] = []
    forms: list[Node] = []
    gs: list[Node] = []
    for term in terms:
        scalars, rest = w.split_term(term)
        k = next((i for i, f in enumerate(rest) if has_d(f)), None)
        if k is not None and env.is_scalar(rest[k]) and len(rest) > 1:
            others = rest[:k] + rest[k + 1 :]
            scalars.append(w.scalar_unit(others))  # a 1×1 product times a scalar with dX
            rest = [rest[k]]
        if len(scalars) > 1:  # −2 ‖r‖ ‖r‖⁻¹ is −2
            scalars = factors_of(w.simp(w.mul(*scalars)))
        core = rest[0] if len(rest) == 1 else N.Mul(tuple(rest))
        term_lines, m = trace_form(w, core)
        lines += term_lines
        forms.append(w.mul(*scalars, form(w, m)))
        gs.append(w.mul(*scalars, *m) if m else identity_gradient(w, scalars))
    g = add_terms(gs)
    total = form(w, [g])
    if len(forms) > 1 or w.pr(forms[0]) != w.pr(total):
        # a vector's terms g dx have no trace to merge: the rows are collected (xᵀAᵀdx + xᵀA dx)
        lines.append(rewrite_line((df, add_terms(forms), total), "collect-dx" if w.vector else "trace-linear"))
    label, label_latex = w.labels()
    shown = displayed(w.stage, w.layout, env)
    if w.layout is Layout.NUMERATOR:
        read: Node = g
        ident = "df = tr(G dX) ⇔ ∂f/∂X = G (numerator layout)"
        ident_latex = r"df = \operatorname{tr}(G\,dX) \Leftrightarrow \frac{\partial f}{\partial X} = G"
    else:
        read = N.Transpose(g)
        ident, ident_latex = REWRITES["identify-gradient"].identity, REWRITES["identify-gradient"].latex
    values: tuple[Node, ...] = (read, shown)
    if w.var in env.symmetric:
        half = N.Number(Fraction(1, 2))
        values = (N.Mul((half, N.Add((N.Transpose(g), g)))), shown)
        ident += "; on symmetric matrices the symmetric part, (G + Gᵀ)/2"
        ident_latex += r";\ \text{symmetric part } (G + G^{\top})/2"
    structure = STRUCTURE_STEPS.get(env.structure(w.var))
    if structure is not None:  # --diagonal D, --toeplitz T: along the free values (mcalc.calculus.structured)
        ident += structure[0]
        ident_latex += structure[1]
    if w.pr(values[0]) == w.pr(values[-1]):
        values = values[-1:]
    lines.append(Line((df, total), "identify-gradient", ident, ident_latex,
                      Conclusion(label, label_latex, values)))  # fmt: skip
    return lines


# The last step's words by a structured matrix: the gradient G placed on the structure's free values
STRUCTURE_STEPS = {
    "diagonal": ("; along a diagonal matrix's free values G ⊙ I (MC §2.8.3)",
                 r";\ \text{along the diagonal } G \odot I"),
    "Toeplitz": ("; along a Toeplitz matrix's diagonals α(Gᵀ) = toepsum(Gᵀ) (MC eq. 143)",
                 r";\ \text{along the diagonals } \alpha(G^{\top})"),
}  # fmt: skip


def identity_gradient(w: Algebra, scalars: list[Node]) -> Node:
    r, _ = w.env.shape_of_var(w.var)
    return w.mul(*scalars, N.Identity(r))


def trace_form(w: Algebra, core: Node) -> tuple[list[Line], list[Node]]:
    """Lines taking a scalar `core` (linear in dX) to tr(M dX) / M dx, and M's factors."""
    env = w.env
    if isinstance(core, N.Trace):
        chain = factors_of(core.arg)
        if w.leaf(chain) is not None:
            return chain_lines(w, chain, in_trace=True)
    elif isinstance(core, N.Sum) and isinstance(core.arg, N.Hadamard):
        fs = list(core.arg.factors)
        hits = [i for i, f in enumerate(fs) if has_d(f)]
        others = [f for i, f in enumerate(fs) if i not in hits]
        if len(hits) == 1 and others and not any(env.is_scalar(o) for o in others):
            h = others[0] if len(others) == 1 else N.Hadamard(tuple(others))
            y = fs[hits[0]]
            new = w.mul(w.t(h), y) if w.vector else N.Trace(w.mul(w.t(h), y))
            more, m = trace_form(w, new)
            return [rewrite_line((core, new), "sum-hadamard"), *more], m
    elif not isinstance(core, (N.Sum, N.Diag, N.Vec)):
        chain = factors_of(core)
        if w.leaf(chain) is not None:
            return chain_lines(w, chain, in_trace=False)
    g = w.simp(gradient_of(core, w.var, env))
    adj = w.simp(N.Transpose(g))
    new = form(w, [adj])
    return [rewrite_line((core, new), "trace-form")], [adj]


def chain_lines(w: Algebra, chain: list[Node], in_trace: bool) -> tuple[list[Line], list[Node]]:
    k = w.leaf(chain)
    assert k is not None
    left, right = chain[:k], chain[k + 1 :]
    transposed = isinstance(chain[k], N.Transpose)
    dx = w.dx
    lines: list[Line] = []
    cur: Node = N.Trace(w.mul(*chain)) if in_trace else w.mul(*chain)

    def step(new: Node, name: str) -> None:
        nonlocal cur
        lines.append(rewrite_line((cur, new), name))
        cur = new

    if w.vector and not in_trace:
        if transposed:  # L dxᵀ R is 1×1: = (L dxᵀ R)ᵀ = Rᵀ dx Lᵀ
            left, right = w.t_chain(right), w.t_chain(left)
            step(w.mul(*left, dx, *right), "scalar-transpose")
        if right:  # L dx is 1×1 here, or R is: either way it commutes
            if env_scalar(w.env, [*left, dx]):
                m = [*right, *left]
            else:
                m = [w.scalar_unit(right), *left]
            step(w.mul(*m, dx), "scalar-commute")
            return lines, m
        return lines, left
    if not in_trace:
        step(N.Trace(cur), "scalar-trace")
    if transposed:
        left, right = w.t_chain(right), w.t_chain(left)
        step(N.Trace(w.mul(*left, dx, *right)), "trace-transpose")
    m = [*right, *left]
    if right:
        step(N.Trace(w.mul(*m, dx)), "trace-cyclic")
    if w.vector:
        step(w.mul(*m, dx), "scalar-trace")
    return lines, m
