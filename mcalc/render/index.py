"""Index notation with Kronecker deltas, as the seeds write tensor derivatives:
∂(BC)ᵢⱼ/∂Bₖₗ = δᵢₖ Cₗⱼ, ∂(RᵀR)ᵢⱼ/∂Rₖₗ = δᵢₗ Rₖⱼ + Rₖᵢ δⱼₗ.

Read off the differential term by term: a term L·dX·R gives L_{ik} R_{lj}, a term L·dXᵀ·R gives
L_{il} R_{kj}; a missing L or R is a Kronecker delta. A scalar factor s(dX) gives (∂s/∂X)_{kl}.

For a variable declared symmetric the form follows the README's convention, ½(∂F/∂S_kl + ∂F/∂S_lk):
the terms are read off once with (k, l) and once with (l, k), entries of symmetric matrices written
with their indices in alphabetical order so that equal terms are recognised, and ∂Sᵢⱼ/∂Sₖₗ prints
as 1/2 (δᵢₖ δⱼₗ + δᵢₗ δⱼₖ), the value that `--at` and the vec form give.
"""

from __future__ import annotations

from fractions import Fraction

from mcalc.calculus.identify import gradient
from mcalc.pipeline import Result
from mcalc.render.printer import LATEX, TEXT, Printer, subscript
from mcalc.render.report import as_read
from mcalc.shapes import ShapeEnv
from mcalc.simplify import Simplifier, split_coefficient
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


class NoIndexForm(Exception):
    pass


# One term of an index form: its coefficient and its factors (entries and scalars, which commute).
Piece = tuple[Fraction, tuple[str, ...]]


def _sub(a: str, b: str | None = None, latex: bool = False) -> str:
    text = a + (b or "")
    if latex:
        return f"_{{{text}}}"
    return subscript(text) or f"[{','.join(x for x in (a, b) if x)}]"


def _has_d(node: Node) -> bool:
    return isinstance(node, N.Differential) or any(_has_d(c) for c in node.children())


class IndexWriter:
    def __init__(self, env: ShapeEnv, var: str, latex: bool = False, swapped: bool = False) -> None:
        self.env = env
        self.var = var
        self.latex = latex
        self.pr = Printer(LATEX if latex else TEXT)
        self.delta_sign = "\\delta" if latex else "δ"
        self.simp = Simplifier(env)
        x_r, x_c = env.shape_of_var(var)
        self.x_indices: tuple[str, str | None] = ("k", "l") if x_c != 1 else ("k", None)
        # a symmetric variable: the form is averaged over (k, l) and (l, k), and entries of symmetric
        # matrices (δ, S, S⁻¹) are written in one index order, so that Aₖₗ and Aₗₖ of a symmetric A match
        self.symmetric = var in env.symmetric and x_c != 1
        if swapped:
            self.x_indices = ("l", "k")

    def _order(self, node: Node | None, a: str, b: str) -> tuple[str, str]:
        """(a, b), or (b, a) when the entry is of a symmetric matrix and the variable is symmetric."""
        if self.symmetric and b < a and (node is None or self.simp.is_symmetric(node)):
            return b, a
        return a, b

    def delta(self, a: str, b: str) -> str:
        a, b = self._order(None, a, b)
        return f"{self.delta_sign}{_sub(a, b, self.latex)}"

    def entry(self, node: Node, a: str | None, b: str | None) -> str:
        """The (a, b) entry of a matrix expression without dX (None: a dimension of size 1)."""
        if isinstance(node, N.Identity):
            return self.delta(a, b) if a and b else "1"
        if isinstance(node, N.Transpose):
            return self.entry(node.arg, b, a)
        if a and b:
            a, b = self._order(node, a, b)
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

    def term(self, term: Node, i: str | None, j: str | None) -> list[Piece]:
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
            return [(coef, tuple(p for p in parts if p != "1"))]
        pos = [n for n, f in enumerate(chain) if _has_d(f)]
        if len(pos) != 1:
            raise NoIndexForm
        p = pos[0]
        target = chain[p]
        if isinstance(target, N.Add):
            out: list[Piece] = []
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
        return [(coef, tuple(x for x in parts if x and x != "1"))]

    def _side(self, factors: list[Node], a: str | None, b: str | None) -> str:
        if not factors:
            if a and b:
                return self.delta(a, b)
            return "1"
        node = factors[0] if len(factors) == 1 else N.Mul(tuple(factors))
        return self.entry(node, a, b)


def render_index(result: Result, latex: bool = False, strict: bool = False) -> str:
    """∂(F)ᵢⱼ/∂Xₖₗ of a first derivative, or of a second one by way of the gradient (∂(∇f)ᵢⱼ/∂Xₖₗ).
    Where a term has no index reading the line says so, or (`strict`) NoIndexForm is raised."""
    stage = result.final
    env = result.env
    writer = IndexWriter(env, stage.var, latex)
    r, c = env.shape(stage.function)
    # a column has entries Fᵢ, a row (xᵀA) entries Fⱼ, a scalar none
    i: str | None = "i" if r != 1 else None
    j: str | None = "j" if c != 1 else None
    k, l_ = writer.x_indices
    f_text = writer.pr.p(as_read(stage.function, env))  # as the equation's left side: ((xᵀAx) X)ᵢⱼ
    if not isinstance(stage.function, N.Symbol):
        f_text = writer.pr.paren(f_text)
    first_index = i or j
    f_idx = _sub(first_index, j if i else None, latex) if first_index else ""
    x_name = writer.pr.s.name(stage.var)
    if len(stage.var) > 1:  # W_1: ∂(W_1)ₖₗ, \partial {W_{1}}_{kl}
        x_name = f"{{{x_name}}}" if latex else f"({x_name})"
    x_idx = _sub(k, l_, latex)
    if latex:
        lhs = f"\\frac{{\\partial {f_text}{f_idx}}}{{\\partial {x_name}{x_idx}}}"
    else:
        lhs = f"∂{f_text}{f_idx}/∂{x_name}{x_idx}"
    d = stage.differential
    if isinstance(d, N.Zero) or (isinstance(d, N.Number) and d.value == 0):
        return f"{lhs} = 0"
    terms = d.terms if isinstance(d, N.Add) else (d,)
    try:
        pieces = _pieces(writer, terms, i, j)
        if writer.symmetric:
            swapped = IndexWriter(env, stage.var, latex, swapped=True)
            return f"{lhs} = {_symmetrised(writer, pieces, _pieces(swapped, terms, i, j), latex)}"
    except NoIndexForm:
        if strict:
            raise
        if latex:
            return f"{lhs} = \\text{{no index form (see the vec form)}}"
        return f"{lhs}: no index form for this expression (see the vec form)"
    return f"{lhs} = {_join(writer, pieces, latex)}"


def _pieces(writer: IndexWriter, terms: tuple[Node, ...], i: str | None, j: str | None) -> list[Piece]:
    out: list[Piece] = []
    for t in terms:
        out.extend(writer.term(t, i, j))
    return out


def _merged(pieces: list[Piece]) -> dict[tuple[str, ...], tuple[Fraction, tuple[str, ...]]]:
    """Equal terms added up (factors compared in any order: xₖ xₗ = xₗ xₖ), in the order of first
    appearance, each shown as first written; terms that cancel dropped."""
    out: dict[tuple[str, ...], tuple[Fraction, tuple[str, ...]]] = {}
    for coef, factors in pieces:
        key = tuple(sorted(factors))
        before, shown = out.get(key, (Fraction(0), factors))
        out[key] = (before + coef, shown)
    return {key: (coef, shown) for key, (coef, shown) in out.items() if coef != 0}


def _symmetrised(writer: IndexWriter, kl: list[Piece], lk: list[Piece], latex: bool) -> str:
    """½(F with (k, l) + F with (l, k)): the derivative by a symmetric matrix (README § Conventions).
    When the two readings agree term by term (∂ logdet S/∂Sₖₗ = (S⁻¹)ₖₗ) the ½ and the copy go."""
    # each term beside its (l, k) partner: ½(Aₗₖ Sᵢⱼ + Aₖₗ Sᵢⱼ + ...), not the two readings one after the other
    paired = [p for pair in zip(kl, lk, strict=True) for p in pair] if len(kl) == len(lk) else kl + lk
    once, both = _merged(kl), _merged(paired)
    if {key: coef for key, (coef, _) in both.items()} == {key: 2 * coef for key, (coef, _) in once.items()}:
        return _join(writer, list(once.values()), latex)
    if not both:
        return "0"
    sign = Fraction(-1) if all(coef < 0 for coef, _ in both.values()) else Fraction(1)
    inner = _join(writer, [(sign * coef, shown) for coef, shown in both.values()], latex)
    half = writer.pr.p(N.Number(sign / 2))
    return f"{half} {writer.pr.paren(inner)}" if len(both) > 1 else f"{half} {inner}"


def _join(writer: IndexWriter, pieces: list[Piece], latex: bool) -> str:
    """Signed terms as one sum: coefficients in front, 1 left out."""
    minus, plus, neg = (" - ", " + ", "-") if latex else (" − ", " + ", "−")
    out: list[str] = []  # joined once: a long sum would be copied once per term
    for n, (coef, factors) in enumerate(pieces):
        mag = abs(coef)
        shown = " ".join(factors) or "1"
        if mag != 1:
            shown = f"{writer.pr.p(N.Number(mag))} {shown}"
        if n == 0:
            out += ((neg if coef < 0 else ""), shown)
        else:
            out += ((minus if coef < 0 else plus), shown)
    return "".join(out)
