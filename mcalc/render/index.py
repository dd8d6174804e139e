"""Index notation with Kronecker deltas, as the seeds write tensor derivatives:
∂(BC)ᵢⱼ/∂Bₖₗ = δᵢₖ Cₗⱼ, ∂(RᵀR)ᵢⱼ/∂Rₖₗ = δᵢₗ Rₖⱼ + Rₖᵢ δⱼₗ.

Read off the differential term by term: a term L·dX·R gives L_{ik} R_{lj}, a term L·dXᵀ·R gives
L_{il} R_{kj}; a missing L or R is a Kronecker delta. A scalar factor s(dX) gives (∂s/∂X)_{kl}.
"""

from __future__ import annotations

from fractions import Fraction

from mcalc.calculus.identify import gradient
from mcalc.pipeline import Result
from mcalc.render.printer import LATEX, TEXT, Printer, subscript
from mcalc.shapes import ShapeEnv
from mcalc.simplify import Simplifier, split_coefficient
from mcalc.syntax import nodes as N
from mcalc.syntax.build import flatten
from mcalc.syntax.nodes import Node


class NoIndexForm(Exception):
    pass


def _sub(a: str, b: str | None = None, latex: bool = False) -> str:
    text = a + (b or "")
    if latex:
        return f"_{{{text}}}"
    return subscript(text) or f"[{','.join(x for x in (a, b) if x)}]"


def _has_d(node: Node) -> bool:
    return isinstance(node, N.Differential) or any(_has_d(c) for c in node.children())


class IndexWriter:
    def __init__(self, env: ShapeEnv, var: str, latex: bool = False) -> None:
        self.env = env
        self.var = var
        self.latex = latex
        self.pr = Printer(LATEX if latex else TEXT)
        self.delta = "\\delta" if latex else "δ"
        self.simp = Simplifier(env)
        x_r, x_c = env.shape_of_var(var)
        self.x_indices = ("k", "l") if x_c != 1 else ("k", None)

    def entry(self, node: Node, a: str | None, b: str | None) -> str:
        """The (a, b) entry of a matrix expression without dX (None: a dimension of size 1)."""
        if isinstance(node, N.Identity):
            return f"{self.delta}{_sub(a or '', b, self.latex)}" if a and b else "1"
        if isinstance(node, N.Transpose):
            return self.entry(node.arg, b, a)
        idx = [x for x in (a, b) if x]
        r, c = self.env.shape(node)
        if r == 1 and c == 1:
            return self.pr.wrap(node, 50)
        text = self.pr.p(node) if isinstance(node, N.Symbol) else self.pr.paren(self.pr.p(node))
        if isinstance(node, N.Symbol) and len(node.name) > 1:
            text = self.pr.paren(self.pr.p(node))
        if not idx:
            return text
        braced = self.latex and "_" in text and not text.endswith("\\right)")  # W_{1} → {W_{1}}_{ij}
        return (f"{{{text}}}" if braced else text) + _sub(idx[0], idx[1] if len(idx) > 1 else None, self.latex)

    def term(self, term: Node, i: str | None, j: str | None) -> list[tuple[Fraction, str]]:
        coef, factors = split_coefficient(term)
        k, l_ = self.x_indices
        scalars = [f for f in factors if self.env.is_scalar(f)]
        with_d = [f for f in scalars if _has_d(f)]
        plain = [self.pr.wrap(f, 50) for f in scalars if not _has_d(f)]
        chain = [f for f in factors if not self.env.is_scalar(f)]
        if with_d:
            (s,) = with_d
            g = self.simp(gradient(s, self.var, self.env))
            rest = chain[0] if len(chain) == 1 else (N.Mul(tuple(chain)) if chain else N.Number(Fraction(1)))
            parts = plain + [self.entry(g, k, l_), self.entry(rest, i, j)]
            return [(coef, " ".join(p for p in parts if p != "1"))]
        pos = [n for n, f in enumerate(chain) if _has_d(f)]
        if len(pos) != 1:
            raise NoIndexForm
        p = pos[0]
        target = chain[p]
        if isinstance(target, N.Add):
            out: list[tuple[Fraction, str]] = []
            for t in target.terms:
                new = N.Mul((N.Number(coef), *scalars, *chain[:p], t, *chain[p + 1 :]))
                out.extend(self.term(self.simp(new), i, j))
            return out
        transposed = isinstance(target, N.Transpose) and isinstance(target.arg, N.Differential)
        if not (isinstance(target, N.Differential) or transposed):
            raise NoIndexForm
        left = chain[:p]
        right = chain[p + 1 :]
        # entries of dX: (k, l); of dXᵀ: (l, k)
        first, second = (l_, k) if transposed else (k, l_)
        parts = list(plain)
        parts.append(self._side(left, i, first))
        parts.append(self._side(right, second, j))
        return [(coef, " ".join(x for x in parts if x and x != "1"))]

    def _side(self, factors: list[Node], a: str | None, b: str | None) -> str:
        if not factors:
            if a and b:
                return f"{self.delta}{_sub(a, b, self.latex)}"
            return "1"
        node = factors[0] if len(factors) == 1 else N.Mul(tuple(factors))
        return self.entry(node, a, b)


def render_index(result: Result, latex: bool = False) -> str:
    stage = result.final
    env = result.env
    writer = IndexWriter(env, stage.var, latex)
    r, c = env.shape(stage.function)
    i: str | None = "i"
    j: str | None = "j" if c != 1 else None
    if r == 1 and c == 1:
        i = j = None
    k, l_ = writer.x_indices
    f_text = writer.pr.p(flatten(stage.function))
    if not isinstance(stage.function, N.Symbol):
        f_text = writer.pr.paren(f_text)
    f_idx = _sub(i, j, latex) if i else ""
    x_name = writer.pr.s.name(stage.var)
    if len(stage.var) > 1:  # W_1: ∂(W_1)ₖₗ, \partial {W_{1}}_{kl}
        x_name = f"{{{x_name}}}" if latex else f"({x_name})"
    x_idx = _sub(k, l_, latex)
    minus, plus, neg = (" - ", " + ", "-") if latex else (" − ", " + ", "−")
    if latex:
        lhs = f"\\frac{{\\partial {f_text}{f_idx}}}{{\\partial {x_name}{x_idx}}}"
    else:
        lhs = f"∂{f_text}{f_idx}/∂{x_name}{x_idx}"
    d = stage.differential
    if isinstance(d, N.Zero) or (isinstance(d, N.Number) and d.value == 0):
        return f"{lhs} = 0"
    terms = d.terms if isinstance(d, N.Add) else (d,)
    pieces: list[tuple[Fraction, str]] = []
    try:
        for t in terms:
            pieces.extend(writer.term(t, i, j))
    except NoIndexForm:
        if latex:
            return f"{lhs} = \\text{{no index form (see the vec form)}}"
        return f"{lhs}: no index form for this expression (see the vec form)"
    out = ""
    for n, (coef, body) in enumerate(pieces):
        mag = abs(coef)
        shown = body or "1"
        if mag != 1:
            shown = f"{writer.pr.p(N.Number(mag))} {shown}"
        if n == 0:
            out = (neg if coef < 0 else "") + shown
        else:
            out += (minus if coef < 0 else plus) + shown
    return f"{lhs} = {out}"
