"""The lines of `--steps` and how they print: the identities used after the rule table (REWRITES), the
d(…) placeholder, one `Line` per identity applied, and a printer that spaces products with a differential
as a textbook does."""

from __future__ import annotations

from mcalc.calculus.rules import DerivativeRule
from mcalc.records import Record, record
from mcalc.render.printer import LATEX, PREC_MUL, TEXT, Printer, _is_compact
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


@record(frozen=True)
class Rewrite(Record):
    name: str
    identity: str
    latex: str
    reference: str


REWRITES: dict[str, Rewrite] = {
    r.name: r
    for r in [
        Rewrite("substitute", "the lines above substituted; products, tr, sum, ⊙ and ⊗ distribute over +",
                r"\text{substitution, distributivity}", "linearity"),
        Rewrite("trace-linear", "tr(X) + tr(Y) = tr(X + Y), c tr(X) = tr(cX)",
                r"\operatorname{tr}(X) + \operatorname{tr}(Y) = \operatorname{tr}(X + Y)", "MC eq. 15"),
        Rewrite("collect-dx", "g₁ dx + g₂ dx = (g₁ + g₂) dx, c (g dx) = (cg) dx for rows g",
                r"g_1\,dx + g_2\,dx = (g_1 + g_2)\,dx", "distributivity of the matrix product"),
        Rewrite("trace-cyclic", "tr(XY) = tr(YX)", r"\operatorname{tr}(XY) = \operatorname{tr}(YX)",
                "MC eq. 14, 16"),
        Rewrite("trace-transpose", "tr(Xᵀ) = tr(X), (XY)ᵀ = YᵀXᵀ",
                r"\operatorname{tr}(X^{\top}) = \operatorname{tr}(X),\ (XY)^{\top} = Y^{\top} X^{\top}",
                "MC eq. 13, 5"),
        Rewrite("scalar-trace", "s = tr(s) for a 1×1 s", r"s = \operatorname{tr}(s)",
                "a 1×1 matrix is its own trace (MC eq. 17: aᵀa = tr(aaᵀ))"),
        Rewrite("scalar-transpose", "s = sᵀ for a 1×1 s", r"s = s^{\top}", "a 1×1 matrix is symmetric"),
        Rewrite("scalar-commute", "sX = Xs for a 1×1 s", r"sX = Xs", "a 1×1 matrix is a scalar"),
        Rewrite("sum-hadamard", "sum(X ⊙ Y) = tr(XᵀY)", r"\operatorname{sum}(X \odot Y) = "
                r"\operatorname{tr}(X^{\top} Y)", "MC eq. 521 (tr(AᵀB) = vec(A)ᵀ vec(B))"),
        Rewrite("hadamard-diag", "x ⊙ y = diag(x) y", r"x \odot y = \operatorname{diag}(x)\, y",
                "definition of diag"),
        Rewrite("trace-form", "⟨G, L(dX)⟩ = ⟨L*(G), dX⟩: a linear map moved to the other side",
                r"\langle G, L(dX)\rangle = \langle L^{*}(G), dX\rangle", "adjoint of a linear map"),
        Rewrite("vec-kron", "vec(L dX R) = (Rᵀ ⊗ L) vec(dX)",
                r"\operatorname{vec}(L\,dX\,R) = (R^{\top} \otimes L) \operatorname{vec}(dX)", "MC eq. 520"),
        Rewrite("vec-transpose", "vec(L dXᵀ R) = (Rᵀ ⊗ L) K vec(dX), K vec(M) = vec(Mᵀ)",
                r"\operatorname{vec}(L\,dX^{\top} R) = (R^{\top} \otimes L) K \operatorname{vec}(dX)",
                "MC eq. 520 and the commutation matrix"),
        Rewrite("vec-form", "vec(L(dX)) = J vec(dX), J from vec(AXB) = (Bᵀ ⊗ A) vec(X)",
                r"\operatorname{vec}(L(dX)) = J \operatorname{vec}(dX)", "MC eq. 520"),
        Rewrite("identify-gradient", "df = tr(G dX) ⇔ ∂f/∂X = Gᵀ (the shape of X)",
                r"df = \operatorname{tr}(G\,dX) \Leftrightarrow \frac{\partial f}{\partial X} = G^{\top}",
                "MML §5.4; Duchi, Properties of the Trace and Matrix Derivatives (⟨∇f, H⟩ = tr(∇fᵀ H))"),
        Rewrite("identify-jacobian", "df = J dx ⇔ ∂f/∂x = J (rows follow f)",
                r"df = J\,dx \Leftrightarrow \frac{\partial f}{\partial x} = J", "MML §5.3"),
        Rewrite("identify-vec", "vec(dF) = J vec(dX) ⇔ ∂vec(F)/∂vec(X) = J",
                r"\operatorname{vec}(dF) = J \operatorname{vec}(dX) \Leftrightarrow "
                r"\frac{\partial \operatorname{vec} F}{\partial \operatorname{vec} X} = J", "MML §5.4"),
        Rewrite("identify-derivative", "dF = F′ dt ⇔ dF/dt = F′", r"dF = F'\,dt \Leftrightarrow "
                r"\frac{dF}{dt} = F'", "MML Exercise 5.24"),
        Rewrite("chain-rule", "∂f/∂x = ∂f/∂e ∂e/∂x for f(e(x)), factors in numerator layout",
                r"\frac{\partial f}{\partial x} = \frac{\partial f}{\partial e}\frac{\partial e}{\partial x}",
                "MML §5.2.2; MML Example 5.11 (least-squares loss in a linear model, through --let names)"),
        Rewrite("nth-differential", "dⁿf[dX₁, …, dXₙ] = d(dⁿ⁻¹f[dX₁, …, dXₙ₋₁]), the increments before held "
                "constant (by a symmetric S, dS is ½(dS + dSᵀ))",
                r"d^n f[dX_1, \ldots, dX_n] = d\left(d^{n-1} f[dX_1, \ldots, dX_{n-1}]\right)",
                "MML §5.7 (higher-order derivatives)"),
        Rewrite("index-form", "dⁿf = Σ T dX₁ … dXₙ entry by entry: L dXₐ R gives Lᵢₖ Rₗⱼ (k, l the "
                "indices of Xₐ), tr closes the chain, Σ sums a repeated index",
                r"L\,dX_a R \mapsto L_{ik} R_{lj},\ \operatorname{tr}(L\,dX_a R\,dX_b) \mapsto L_{li} R_{jk}",
                "MML §5.4, Definition 5.10 (J_ijkl = ∂A_ij/∂B_kl)"),
    ]
}  # fmt: skip


# --------------------------------------------------------------------------------------------------
# lines
# --------------------------------------------------------------------------------------------------


class DOf(N.Unary):
    """d(expr): the differential of a sub-expression, worked out on a later line (printing only)."""

    __slots__ = ()


@record(frozen=True)
class Conclusion(Record):
    """`⇒ label = values[0] = values[1] …`: the derivative read off the differential."""

    label: str
    label_latex: str
    values: tuple[Node, ...]


@record(frozen=True)
class Line(Record):
    """sides[0] = sides[1] = …, by the identity `name` (a row of the rule table or of REWRITES)."""

    sides: tuple[Node, ...]
    name: str
    identity: str
    identity_latex: str
    conclusion: Conclusion | None = None


def rule_line(sides: tuple[Node, ...], rule: DerivativeRule, node: Node | None = None) -> Line:
    case = rule.case_of(node) if node is not None else None
    if case is not None:  # a special case the rule takes in one step, under its own name
        return Line(sides, case.name, case.identity, case.latex)
    entry = functions.lookup(node.func) if isinstance(node, (N.Apply, N.Columnwise)) else None
    if entry is not None:  # the chain rule names the f′ it used, from the catalogue
        return Line(sides, rule.name, f"{rule.identity}, {entry.identity}", rf"{rule.latex},\ {entry.identity_latex}")
    return Line(sides, rule.name, rule.identity, rule.latex)


def rewrite_line(sides: tuple[Node, ...], name: str, conclusion: Conclusion | None = None) -> Line:
    r = REWRITES[name]
    return Line(sides, name, r.identity, r.latex, conclusion)


# --------------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------------

_FUNCTION_LIKE = (N.Trace, N.Det, N.LogDet, N.Apply, N.Columnwise, N.Sum, N.Diag, N.Vec, N.Unvec, N.Norm)


def has_d(node: Node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (N.Differential, DOf)):
            return True
        stack.extend(n.children())
    return False


class StepPrinter(Printer):
    """The printer of the text and LaTeX output, plus d(…) placeholders, an upright d in LaTeX,
    and textbook spacing of products with a differential: `dA BAᵀC`, `AB dAᵀ C`."""

    def p_DOf(self, n: DOf) -> str:
        arg = n.arg
        if self.latex:
            if isinstance(arg, (N.Symbol, N.FunctionOf)):
                return r"\mathrm{d}" + self.p(arg)
            if isinstance(arg, _FUNCTION_LIKE):
                return r"\mathrm{d}\," + self.p(arg)
            return r"\mathrm{d}" + self.paren(self.p(arg))
        if isinstance(arg, (N.Symbol, N.FunctionOf, N.Norm)):
            return "d" + self.p(arg)
        if isinstance(arg, _FUNCTION_LIKE):
            return "d " + self.p(arg)
        return "d" + self.paren(self.p(arg))

    def wrap(self, node: Node, min_prec: int) -> str:
        text = super().wrap(node, min_prec)
        if (
            isinstance(node, DOf)
            and isinstance(node.arg, _FUNCTION_LIKE)
            and not isinstance(node.arg, N.Norm)
            and min_prec > PREC_MUL
        ):
            return self.paren(text)  # (d vec(X))ᵀ, not d vec(X)ᵀ
        return text

    def p_Differential(self, n: N.Differential) -> str:
        if self.latex:
            return r"\mathrm{d}" + self.s.name(n.name)
        return super().p_Differential(n)

    def p_Mul(self, n: N.Mul) -> str:
        if not any(has_d(f) for f in n.factors):
            return super().p_Mul(n)
        if self.latex:  # a thin space either side of a differential: A B \,\mathrm{d}X\, C
            fs = list(n.factors)
            lead = ""
            if isinstance(fs[0], N.Number) and len(fs) > 1:
                c = fs[0].value
                fs = fs[1:]
                lead = "-" if c == -1 else "" if c == 1 else self.p_Number(N.Number(c))
            out = ""
            for i, f in enumerate(fs):
                if i:
                    out += r" \, " if has_d(f) or has_d(fs[i - 1]) else " "
                out += self.wrap(f, PREC_MUL + 1)
            return lead + out
        fs = list(n.factors)
        prefix = ""
        if isinstance(fs[0], N.Number) and len(fs) > 1:
            c = fs[0].value
            fs = fs[1:]
            prefix = "−" if c == -1 else "" if c == 1 else self.p_Number(N.Number(c)) + " "
        out = ""
        prev_compact = False
        for i, f in enumerate(fs):
            compact = _is_compact(f) and not has_d(f)
            text = self.wrap(f, PREC_MUL + 1)
            if i > 0 and not (compact and prev_compact):
                out += " "
            out += text
            prev_compact = compact
        return prefix + out


def render_line(line: Line, latex: bool = False) -> str:
    pr = StepPrinter(LATEX if latex else TEXT)
    body = " = ".join(pr(s) for s in line.sides)
    c = line.conclusion
    if c is not None:
        values = " = ".join(pr(v) for v in c.values)
        body += f" \\Rightarrow {c.label_latex} = {values}" if latex else f" ⇒ {c.label} = {values}"
    if latex:
        return body + rf" \qquad \left[\text{{{line.name}: }} {line.identity_latex}\right]"
    return f"{body}    [{line.name}: {line.identity}]"
