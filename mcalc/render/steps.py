"""`--steps`: the derivation as a textbook writes it, one line per identity applied.

1. **The rules**, outermost operator first, one line per row of the rule table, the differentials of
   the operands left as d(…) until their own line:
   `d tr(ABAᵀC) = tr(d(ABAᵀC))`, `d(ABAᵀC) = dA BAᵀC + AB d(Aᵀ) C`, `d(Aᵀ) = dAᵀ`.
2. **The substitution**: the lines above combined and expanded into terms, each linear in dX:
   `d tr(ABAᵀC) = tr(dA BAᵀC) + tr(AB dAᵀ C)`.
3. **Each term brought to the form the derivative is read from**: tr(G dX) for the gradient of a
   scalar by a matrix (cyclic property, transpose), G dx by a vector, J dx for a Jacobian,
   (Rᵀ ⊗ L) vec(dX) for a tensor (MC eq. 520), F′ dt by a scalar.
4. **The identification**: df = tr(G dX) ⇔ ∂f/∂X = Gᵀ (README "Conventions": the gradient has the
   shape of X; with `--layout numerator` it is G), then the simplified result mcalc prints.

Every line is an equation between trees (only the d(…) of step 1 are placeholders), so the tests
evaluate the two sides of every `=` at random points. The identities of steps 2–4 are in `REWRITES`
(shown by `mcalc identities` next to the rule table); step 1 cites the rule table itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar

from mcalc.calculus.differentiate import Derivation, differential
from mcalc.calculus.identify import gradient, vec_jacobian
from mcalc.calculus.rules import DERIVATIVE_RULES, Context, DerivativeRule
from mcalc.pipeline import DerivKind, Layout, Result, Stage, displayed
from mcalc.render.printer import LATEX, PREC_MUL, TEXT, Printer, _is_compact
from mcalc.shapes import Kind, ShapeEnv
from mcalc.simplify import Simplifier
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import ONE, Node

# --------------------------------------------------------------------------------------------------
# the identities used after the rule table (steps 2–4)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rewrite:
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
                "seed 003 (⟨∇f, H⟩ = tr(∇fᵀ H)); MML §5.4"),
        Rewrite("identify-jacobian", "df = J dx ⇔ ∂f/∂x = J (rows follow f)",
                r"df = J\,dx \Leftrightarrow \frac{\partial f}{\partial x} = J", "MML §5.3"),
        Rewrite("identify-vec", "vec(dF) = J vec(dX) ⇔ ∂vec(F)/∂vec(X) = J",
                r"\operatorname{vec}(dF) = J \operatorname{vec}(dX) \Leftrightarrow "
                r"\frac{\partial \operatorname{vec} F}{\partial \operatorname{vec} X} = J", "MML §5.4"),
        Rewrite("identify-derivative", "dF = F′ dt ⇔ dF/dt = F′", r"dF = F'\,dt \Leftrightarrow "
                r"\frac{dF}{dt} = F'", "MML Exercise 5.24"),
    ]
}  # fmt: skip


# --------------------------------------------------------------------------------------------------
# lines
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class DOf(N.Node):
    """d(expr): the differential of a sub-expression, worked out on a later line (printing only)."""

    arg: Node
    CHILDREN: ClassVar[tuple[str, ...]] = ("arg",)


@dataclass(frozen=True)
class Conclusion:
    """`⇒ label = values[0] = values[1] …`: the derivative read off the differential."""

    label: str
    label_latex: str
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Line:
    """sides[0] = sides[1] = …, by the identity `name` (a row of the rule table or of REWRITES)."""

    sides: tuple[Node, ...]
    name: str
    identity: str
    identity_latex: str
    conclusion: Conclusion | None = None


def _rule_line(sides: tuple[Node, ...], rule: DerivativeRule, node: Node | None = None) -> Line:
    entry = functions.lookup(node.func) if isinstance(node, N.Apply) else None
    if entry is not None:  # the chain rule names the f′ it used, from the catalogue
        return Line(sides, rule.name, f"{rule.identity}, {entry.identity}", rf"{rule.latex},\ {entry.identity_latex}")
    return Line(sides, rule.name, rule.identity, rule.latex)


def _line(sides: tuple[Node, ...], name: str, conclusion: Conclusion | None = None) -> Line:
    r = REWRITES[name]
    return Line(sides, name, r.identity, r.latex, conclusion)


# --------------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------------

_FUNCTION_LIKE = (N.Trace, N.Det, N.LogDet, N.Apply, N.Sum, N.Diag, N.Vec, N.Unvec, N.Norm)


def _has_d(node: Node) -> bool:
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
        if not any(_has_d(f) for f in n.factors):
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
                    out += r" \, " if _has_d(f) or _has_d(fs[i - 1]) else " "
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
            compact = _is_compact(f) and not _has_d(f)
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


def render_steps(result: Result, latex: bool = False, layout: Layout = Layout.MIXED) -> list[str]:
    """The derivation, one string per identity applied (`--steps`, JSON `steps`)."""
    return [render_line(line, latex) for line in derivation(result, layout)]


# --------------------------------------------------------------------------------------------------
# building the lines
# --------------------------------------------------------------------------------------------------


def derivation(result: Result, layout: Layout = Layout.MIXED, strict: bool = False) -> list[Line]:
    """The lines of every stage (two for a second derivative). The first stage starts from the
    expression as typed; if that fails (`strict=False`) it starts from mcalc's canonical form."""
    lines: list[Line] = []
    for i, stage in enumerate(result.stages):
        function = result.tree if i == 0 else stage.function
        writer = _StageWriter(result.env, stage, layout)
        try:
            lines += writer.lines(function)
        except Exception:  # noqa: BLE001 - the steps never take the derivative itself down
            if strict:
                raise
            try:
                lines += writer.lines(stage.function)
            except Exception:  # noqa: BLE001 - last resort: the differential and the result
                label, label_latex = writer.labels()
                shown = displayed(stage, layout, result.env)
                lines.append(_line((DOf(stage.function), stage.differential), "substitute",
                                   Conclusion(label, label_latex, (shown,))))  # fmt: skip
    return lines


def _add(terms: list[Node]) -> Node:
    return terms[0] if len(terms) == 1 else N.Add(tuple(terms))


def _factors(node: Node) -> list[Node]:
    return list(node.factors) if isinstance(node, N.Mul) else [node]


def _split(term: Node) -> tuple[Fraction, list[Node]]:
    fs = _factors(term)
    if fs and isinstance(fs[0], N.Number):
        return fs[0].value, fs[1:]
    return Fraction(1), fs


@dataclass
class _StageWriter:
    env: ShapeEnv
    stage: Stage
    layout: Layout
    simp: Simplifier = field(init=False)

    def __post_init__(self) -> None:
        self.simp = Simplifier(self.env)
        self.var = self.stage.var
        self.dx: Node = N.Differential(self.var)
        self.vector = self.env.kind(self.var) is Kind.VECTOR

    # -- products as the derivation reads them --

    def unit(self, f: Node) -> bool:
        """A 1×1 product of matrices (aᵀx): kept as one factor, so it multiplies as a scalar."""
        if not isinstance(f, N.Mul) or any(isinstance(g, DOf) for g in f.factors):
            return False
        if not self.env.is_scalar(f):
            return False
        return sum(1 for g in f.factors if not self.env.is_scalar(g)) >= 2

    def mul(self, *factors: Node) -> Node:
        """Nested products flattened (a 1×1 sub-chain kept whole), numbers merged into one leading
        coefficient, ones dropped; the order of the other factors kept."""
        coef = Fraction(1)
        flat: list[Node] = []
        stack = list(reversed(factors))
        while stack:
            f = stack.pop()
            if isinstance(f, N.Mul) and not self.unit(f):
                stack.extend(reversed(f.factors))
            elif isinstance(f, N.Mul):
                c, rest = _split(f)
                coef *= c
                flat.append(rest[0] if len(rest) == 1 else N.Mul(tuple(rest)))
            elif isinstance(f, N.Number):
                coef *= f.value
            else:
                flat.append(f)
        units = [i for i, f in enumerate(flat) if isinstance(f, N.Mul)]
        if len(units) == 1 and all(self.env.is_scalar(f) for f in flat):
            i = units[0]  # c (aᵀ dx) is c aᵀ dx: a product of scalars needs no grouping
            unit = flat[i]
            assert isinstance(unit, N.Mul)
            flat[i : i + 1] = list(unit.factors)
        if coef == 0:
            return N.Number(Fraction(0))
        if coef != 1:
            flat.insert(0, N.Number(coef))
        if not flat:
            return ONE
        return flat[0] if len(flat) == 1 else N.Mul(tuple(flat))

    def hadamard(self, factors: list[Node]) -> Node:
        """x ⊙ y with nested ⊙ flattened, numbers and scalar factors pulled out in front (c ⊙ X = cX)."""
        outside: list[Node] = []
        inside: list[Node] = []
        stack = list(reversed(factors))
        while stack:
            f = stack.pop()
            if isinstance(f, N.Mul):
                c, fs = _split(f)
                if c != 1:
                    outside.append(N.Number(c))
                    f = self.mul(*fs)
            if isinstance(f, N.Hadamard):
                stack.extend(reversed(f.factors))
            elif f != ONE:
                inside.append(f)
        if len(inside) > 1:
            outside += [f for f in inside if self.env.is_scalar(f)]
            inside = [f for f in inside if not self.env.is_scalar(f)]
        if not inside:
            return self.mul(*outside)
        body = inside[0] if len(inside) == 1 else N.Hadamard(tuple(inside))
        return self.mul(*outside, body)

    def tidy(self, node: Node) -> Node:
        """Products and sums flattened, bottom-up; the order of factors and terms kept."""
        kids = node.children()
        if not kids:
            return node
        node = N.rebuild(node, tuple(self.tidy(k) for k in kids))
        if isinstance(node, N.Mul):
            return self.mul(*node.factors)
        if isinstance(node, N.Add):
            flat: list[Node] = []
            for t in node.terms:
                flat.extend(t.terms if isinstance(t, N.Add) else (t,))
            return _add(flat)
        return node

    # -- step 1: one rule per line --

    def depends(self, node: Node) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, N.Symbol) and n.name == self.var:
                return True
            if isinstance(n, N.FunctionOf) and n.param == self.var:
                return True
            stack.extend(n.children())
        return False

    def one_level(self, node: Node, rule: DerivativeRule) -> Node | None:
        def d(child: Node) -> Node | None:
            if not self.depends(child):
                return None
            if isinstance(child, N.Symbol):
                return self.dx
            return DOf(child)

        return rule.apply(node, d, Context(self.env, self.var))

    def rule_lines(self, derivation_: Derivation, function: Node) -> list[Line]:
        lines: list[Line] = []
        for step in derivation_.steps:
            rhs = self.one_level(step.node, step.rule)
            if rhs is not None:
                lines.append(_rule_line((DOf(step.node), self.tidy(rhs)), step.rule, step.node))
        seen: set[Node] = set()
        stack = [function]
        leaves: list[Node] = []
        while stack:
            n = stack.pop()
            if isinstance(n, N.FunctionOf) and n.param == self.var and n not in seen:
                seen.add(n)
                leaves.append(n)
            stack.extend(reversed(n.children()))
        rule = DERIVATIVE_RULES[N.FunctionOf]
        for leaf in leaves:
            rhs = rule.apply(leaf, lambda c: None, Context(self.env, self.var))
            if rhs is not None:
                lines.append(_rule_line((DOf(leaf), self.tidy(rhs)), rule))
        return lines

    # -- step 2: substitute and expand --

    def terms(self, node: Node) -> list[Node]:
        """`node` (linear in dX) as a sum of terms, each with one dX."""
        if isinstance(node, N.Differential):
            return [node]
        if isinstance(node, N.Add):
            return [t for term in node.terms if _has_d(term) for t in self.terms(term)]
        if isinstance(node, N.Mul):
            fs = list(node.factors)
            i = next(i for i, f in enumerate(fs) if _has_d(f))
            return [self.mul(*fs[:i], t, *fs[i + 1 :]) for t in self.terms(fs[i])]
        if isinstance(node, N.Transpose):
            return [self.transpose(t) for t in self.terms(node.arg)]
        if isinstance(node, N.Hadamard):
            fs = list(node.factors)
            i = next(i for i, f in enumerate(fs) if _has_d(f))
            return [self.hadamard([*fs[:i], t, *fs[i + 1 :]]) for t in self.terms(fs[i])]
        if isinstance(node, N.Kron):
            if _has_d(node.left):
                return [N.Kron(t, node.right) for t in self.terms(node.left)]
            return [N.Kron(node.left, t) for t in self.terms(node.right)]
        if isinstance(node, (N.Trace, N.Sum)):
            out = []
            for t in self.terms(node.children()[0]):
                coef, fs = _split(t)
                scalars = [f for f in fs if self.env.is_scalar(f)]
                rest = [f for f in fs if not self.env.is_scalar(f)]
                if rest and (scalars or coef != 1):  # tr(cX) = c tr(X)
                    out.append(self.mul(N.Number(coef), *scalars, N.rebuild(node, (self.mul(*rest),))))
                else:
                    out.append(N.rebuild(node, (t,)))
            return out
        if isinstance(node, (N.Diag, N.Vec, N.Unvec)):
            return [N.rebuild(node, (t,)) for t in self.terms(node.children()[0])]
        return [node]

    def t(self, f: Node) -> Node:
        """The transpose of one factor, written as a reader would."""
        if isinstance(f, N.Transpose):
            return f.arg
        if isinstance(f, (N.Number, N.Identity)) or self.env.is_scalar(f):
            return f
        if isinstance(f, N.Symbol) and f.name in self.env.symmetric:
            return f
        return N.Transpose(f)

    def t_chain(self, factors: list[Node]) -> list[Node]:
        return [self.t(f) for f in reversed(factors)]

    def transpose(self, node: Node) -> Node:
        if isinstance(node, N.Mul):
            coef, fs = _split(node)
            scalars = [f for f in fs if self.env.is_scalar(f)]
            rest = [f for f in fs if not self.env.is_scalar(f)]
            return self.mul(N.Number(coef), *scalars, *self.t_chain(rest))
        if isinstance(node, N.Add):
            return _add([self.transpose(t) for t in node.terms])
        if isinstance(node, N.Hadamard):
            return N.Hadamard(tuple(self.transpose(f) for f in node.factors))
        return self.t(node)

    # -- the whole stage --

    def lines(self, function: Node) -> list[Line]:
        env = self.env
        function = self.tidy(function)  # A B Aᵀ C, not ((AB)Aᵀ)C as the parser nests it
        der = Derivation()
        raw = differential(function, self.var, env, der)
        lines = self.rule_lines(der, function)
        df = DOf(function)
        if raw is None:
            const = DERIVATIVE_RULES[N.Number]
            shown = displayed(self.stage, self.layout, env)
            label = self.labels()
            r, c = env.shape(function)
            zero: Node = N.Number(Fraction(0)) if (r, c) == (1, 1) else N.Zero(r, c)
            return [Line((df, zero), const.name, const.identity, const.latex,
                         Conclusion(label[0], label[1], (shown,)))]  # fmt: skip
        terms = [self.tidy(t) for t in self.terms(self.tidy(raw))]
        expanded = _add(terms)
        pr = StepPrinter(TEXT)
        if not (len(lines) == 1 and pr(lines[0].sides[-1]) == pr(expanded) and not der.steps[1:]):
            if not lines or pr(lines[-1].sides[0]) != pr(df) or pr(lines[-1].sides[-1]) != pr(expanded):
                lines.append(_line((df, expanded), "substitute"))
        kind = self.stage.kind
        if kind is DerivKind.GRADIENT:
            lines += self.gradient(df, terms)
        elif kind is DerivKind.JACOBIAN:
            lines += self.jacobian(df, terms)
        elif kind is DerivKind.TENSOR:
            lines += self.tensor(df, terms)
        else:
            lines += self.by_scalar(df, terms)
        return lines

    def labels(self) -> tuple[str, str]:
        pr_t, pr_l = StepPrinter(TEXT), StepPrinter(LATEX)
        v = N.Symbol(self.var)
        kind = self.stage.kind
        if kind is DerivKind.SCALAR_VAR:
            return f"df/d{pr_t(v)}", rf"\frac{{df}}{{d{pr_l(v)}}}"
        if kind is DerivKind.TENSOR:
            return (
                f"∂vec(f)/∂vec({pr_t(v)})",
                rf"\frac{{\partial \operatorname{{vec}}(f)}}{{\partial \operatorname{{vec}}({pr_l(v)})}}",
            )
        return f"∂f/∂{pr_t(v)}", rf"\frac{{\partial f}}{{\partial {pr_l(v)}}}"

    def split_term(self, term: Node) -> tuple[list[Node], list[Node]]:
        """A term → (coefficient and scalar factors without dX, the factors left)."""
        coef, fs = _split(term)
        scalars: list[Node] = [N.Number(coef)] if coef != 1 else []
        rest: list[Node] = []
        for f in fs:
            (scalars if (self.env.is_scalar(f) and not _has_d(f)) else rest).append(f)
        return scalars, rest

    def leaf(self, chain: list[Node]) -> int | None:
        """The index of the one dX or dXᵀ in a product with nothing else depending on X."""
        hits = [i for i, f in enumerate(chain) if _has_d(f)]
        if len(hits) != 1:
            return None
        f = chain[hits[0]]
        if f == self.dx or (isinstance(f, N.Transpose) and f.arg == self.dx):
            return hits[0]
        return None

    def scalar_unit(self, factors: list[Node]) -> Node:
        """A 1×1 product kept as one factor, so it multiplies as a scalar."""
        return factors[0] if len(factors) == 1 else N.Mul(tuple(factors))

    # -- gradients: tr(G dX) --

    def form(self, m: list[Node]) -> Node:
        """tr(M dX) for a matrix X, M dx for a vector x."""
        if self.vector:
            return self.mul(*m, self.dx)
        return N.Trace(self.mul(*m, self.dx))

    def gradient(self, df: Node, terms: list[Node]) -> list[Line]:
        env = self.env
        lines: list[Line] = []
        forms: list[Node] = []
        gs: list[Node] = []
        for term in terms:
            scalars, rest = self.split_term(term)
            k = next((i for i, f in enumerate(rest) if _has_d(f)), None)
            if k is not None and env.is_scalar(rest[k]) and len(rest) > 1:
                others = rest[:k] + rest[k + 1 :]
                scalars.append(self.scalar_unit(others))  # a 1×1 product times a scalar with dX
                rest = [rest[k]]
            if len(scalars) > 1:  # −2 ‖r‖ ‖r‖⁻¹ is −2
                scalars = _factors(self.simp(self.mul(*scalars)))
            core = rest[0] if len(rest) == 1 else N.Mul(tuple(rest))
            term_lines, m = self.trace_form(core)
            lines += term_lines
            forms.append(self.mul(*scalars, self.form(m)))
            gs.append(self.mul(*scalars, *m) if m else self.identity_gradient(scalars))
        g = _add(gs)
        total = self.form([g])
        if len(forms) > 1 or self.pr(forms[0]) != self.pr(total):
            lines.append(_line((df, _add(forms), total), "trace-linear"))
        label, label_latex = self.labels()
        shown = displayed(self.stage, self.layout, env)
        if self.layout is Layout.NUMERATOR:
            read: Node = g
            ident = "df = tr(G dX) ⇔ ∂f/∂X = G (numerator layout)"
            ident_latex = r"df = \operatorname{tr}(G\,dX) \Leftrightarrow \frac{\partial f}{\partial X} = G"
        else:
            read = N.Transpose(g)
            ident, ident_latex = REWRITES["identify-gradient"].identity, REWRITES["identify-gradient"].latex
        values: tuple[Node, ...] = (read, shown)
        if self.var in env.symmetric:
            half = N.Number(Fraction(1, 2))
            values = (N.Mul((half, N.Add((N.Transpose(g), g)))), shown)
            ident += "; on symmetric matrices the symmetric part, (G + Gᵀ)/2"
            ident_latex += r";\ \text{symmetric part } (G + G^{\top})/2"
        if self.pr(values[0]) == self.pr(values[-1]):
            values = values[-1:]
        lines.append(Line((df, total), "identify-gradient", ident, ident_latex,
                          Conclusion(label, label_latex, values)))  # fmt: skip
        return lines

    def identity_gradient(self, scalars: list[Node]) -> Node:
        r, _ = self.env.shape_of_var(self.var)
        return self.mul(*scalars, N.Identity(r))

    def pr(self, node: Node) -> str:
        return StepPrinter(TEXT)(node)

    def trace_form(self, core: Node) -> tuple[list[Line], list[Node]]:
        """Lines taking a scalar `core` (linear in dX) to tr(M dX) / M dx, and M's factors."""
        env = self.env
        if isinstance(core, N.Trace):
            chain = _factors(core.arg)
            if self.leaf(chain) is not None:
                return self.chain_lines(chain, in_trace=True)
        elif isinstance(core, N.Sum) and isinstance(core.arg, N.Hadamard):
            fs = list(core.arg.factors)
            hits = [i for i, f in enumerate(fs) if _has_d(f)]
            others = [f for i, f in enumerate(fs) if i not in hits]
            if len(hits) == 1 and others and not any(env.is_scalar(o) for o in others):
                h = others[0] if len(others) == 1 else N.Hadamard(tuple(others))
                y = fs[hits[0]]
                new = self.mul(self.t(h), y) if self.vector else N.Trace(self.mul(self.t(h), y))
                more, m = self.trace_form(new)
                return [_line((core, new), "sum-hadamard"), *more], m
        elif not isinstance(core, (N.Sum, N.Diag, N.Vec)):
            chain = _factors(core)
            if self.leaf(chain) is not None:
                return self.chain_lines(chain, in_trace=False)
        g = self.simp(gradient(core, self.var, env))
        adj = self.simp(N.Transpose(g))
        new = self.form([adj])
        return [_line((core, new), "trace-form")], [adj]

    def chain_lines(self, chain: list[Node], in_trace: bool) -> tuple[list[Line], list[Node]]:
        k = self.leaf(chain)
        assert k is not None
        left, right = chain[:k], chain[k + 1 :]
        transposed = isinstance(chain[k], N.Transpose)
        dx = self.dx
        lines: list[Line] = []
        cur: Node = N.Trace(self.mul(*chain)) if in_trace else self.mul(*chain)

        def step(new: Node, name: str) -> None:
            nonlocal cur
            lines.append(_line((cur, new), name))
            cur = new

        if self.vector and not in_trace:
            if transposed:  # L dxᵀ R is 1×1: = (L dxᵀ R)ᵀ = Rᵀ dx Lᵀ
                left, right = self.t_chain(right), self.t_chain(left)
                step(self.mul(*left, dx, *right), "scalar-transpose")
            if right:  # L dx is 1×1 here, or R is: either way it commutes
                if env_scalar(self.env, [*left, dx]):
                    m = [*right, *left]
                else:
                    m = [self.scalar_unit(right), *left]
                step(self.mul(*m, dx), "scalar-commute")
                return lines, m
            return lines, left
        if not in_trace:
            step(N.Trace(cur), "scalar-trace")
        if transposed:
            left, right = self.t_chain(right), self.t_chain(left)
            step(N.Trace(self.mul(*left, dx, *right)), "trace-transpose")
        m = [*right, *left]
        if right:
            step(N.Trace(self.mul(*m, dx)), "trace-cyclic")
        if self.vector:
            step(self.mul(*m, dx), "scalar-trace")
        return lines, m

    # -- Jacobians: J dx --

    def jacobian(self, df: Node, terms: list[Node]) -> list[Line]:
        lines: list[Line] = []
        js: list[Node] = []
        for term in terms:
            scalars, rest = self.split_term(term)
            more, j = self.jacobian_term(self.mul(*rest) if rest else ONE)
            lines += more
            ident = N.Identity(self.env.shape_of_var(self.var)[0])
            js.append(self.mul(*scalars, *j) if j else self.mul(*scalars, ident))
        jac = _add(js)
        total = self.mul(jac, self.dx) if not isinstance(jac, N.Add) else N.Mul((jac, self.dx))
        label, label_latex = self.labels()
        shown = displayed(self.stage, self.layout, self.env)
        read: Node = N.Transpose(jac) if self.layout is Layout.DENOMINATOR else jac
        values = (read, shown) if self.pr(read) != self.pr(shown) else (shown,)
        lines.append(_line((df, total), "identify-jacobian", Conclusion(label, label_latex, values)))
        return lines

    def jacobian_term(self, core: Node) -> tuple[list[Line], list[Node]]:
        """Lines taking a vector `core` (linear in dx) to J dx, and J's factors."""
        env = self.env
        dx = self.dx
        chain = _factors(core)
        hits = [i for i, f in enumerate(chain) if _has_d(f)]
        if len(hits) == 1 and self.unit(chain[hits[0]]):  # v (aᵀ dx) = v aᵀ dx
            i = hits[0]
            u = chain[i]
            assert isinstance(u, N.Mul)
            others = chain[:i] + chain[i + 1 :]
            lines0: list[Line] = []
            if i != len(chain) - 1:
                moved = N.Mul((*others, u))
                lines0.append(_line((core, moved), "scalar-commute"))
            more0, j0 = self.jacobian_term(N.Mul((*others, *u.factors)))
            return lines0 + more0, j0
        if isinstance(core, N.Hadamard):
            fs = list(core.factors)
            hits = [i for i, f in enumerate(fs) if _has_d(f)]
            others = [f for i, f in enumerate(fs) if i not in hits]
            if len(hits) == 1 and others and all(env.is_vector(o) for o in others):
                h = others[0] if len(others) == 1 else N.Hadamard(tuple(others))
                new = self.mul(N.Diag(h), fs[hits[0]])
                more, j = self.jacobian_term(new)
                return [_line((core, new), "hadamard-diag"), *more], j
        chain = _factors(core)
        k = self.leaf(chain)
        if k is not None:
            left, right = chain[:k], chain[k + 1 :]
            lines: list[Line] = []
            if isinstance(chain[k], N.Transpose) and env_scalar(env, [N.Transpose(dx), *right]):
                left = [*left, *self.t_chain(right)]  # dxᵀ R is 1×1: = Rᵀ dx
                right = []
                lines.append(_line((core, self.mul(*left, dx)), "scalar-transpose"))
                core = self.mul(*left, dx)
            if not isinstance(chain[k], N.Transpose) or not right:
                if not right:
                    return lines, left
                if env_scalar(env, [*left, dx]):
                    j = [*right, *left]
                elif env_scalar(env, right):
                    j = [self.scalar_unit(right), *left]
                else:
                    j = []
                if j:
                    lines.append(_line((core, self.mul(*j, dx)), "scalar-commute"))
                    return lines, j
        j_node = self.simp(vec_jacobian(core, self.var, env))
        return [_line((core, N.Mul((j_node, dx))), "vec-form")], [j_node]

    # -- tensors: J vec(dX) --

    def tensor(self, df: Node, terms: list[Node]) -> list[Line]:
        env = self.env
        lines: list[Line] = []
        js: list[Node] = []
        vdx = N.Vec(self.dx)
        for term in terms:
            scalars, rest = self.split_term(term)
            core = self.mul(*rest) if rest else ONE
            chain = _factors(core)
            k = self.leaf(chain)
            if k is not None:
                left, right = chain[:k], chain[k + 1 :]
                leaf = chain[k]
                lr, lc = env.shape(leaf)
                lhs = self.mul(*left) if left else N.Identity(lr)
                rhs = self.mul(*self.t_chain(right)) if right else N.Identity(lc)
                kron: Node = N.Kron(rhs, lhs)
                if isinstance(leaf, N.Transpose):
                    r, c = env.shape_of_var(self.var)
                    j = [kron, N.Commutation(r, c)]
                    name = "vec-transpose"
                else:
                    j = [kron]
                    name = "vec-kron"
            else:
                j = [self.simp(vec_jacobian(core, self.var, env))]
                name = "vec-form"
            lines.append(_line((N.Vec(core), N.Mul((*j, vdx))), name))
            js.append(self.mul(*scalars, *j))
        jac = _add(js)
        total = N.Mul((jac, vdx))
        label, label_latex = self.labels()
        shown = displayed(self.stage, self.layout, env)
        read: Node = N.Transpose(jac) if self.layout is Layout.DENOMINATOR else jac
        values: tuple[Node, ...] = (read, shown)
        ident = REWRITES["identify-vec"]
        text, latex = ident.identity, ident.latex
        if self.var in env.symmetric:
            n = env.resolve(env.shape_of_var(self.var)[0])
            sym = N.Mul((N.Number(Fraction(1, 2)), N.Add((N.Identity(env.resolve((n, n))), N.Commutation(n, n)))))
            values = (N.Mul((read, sym)), shown)
            text += "; on symmetric matrices J (I + K)/2"
            latex += r";\ J\,(I + K)/2"
        if self.pr(values[0]) == self.pr(values[-1]):
            values = values[-1:]
        lines.append(Line((N.Vec(df), total), "identify-vec", text, latex, Conclusion(label, label_latex, values)))
        return lines

    # -- by a scalar: F′ dt --

    def by_scalar(self, df: Node, terms: list[Node]) -> list[Line]:
        one: dict[Node, Node] = {self.dx: ONE}
        fs = [self.tidy(N.substitute(t, one)) for t in terms]
        f_prime = _add(fs)
        total = N.Mul((f_prime, self.dx)) if isinstance(f_prime, N.Add) else self.mul(f_prime, self.dx)
        label, label_latex = self.labels()
        shown = displayed(self.stage, self.layout, self.env)
        values = (f_prime, shown) if self.pr(f_prime) != self.pr(shown) else (shown,)
        return [_line((df, total), "identify-derivative", Conclusion(label, label_latex, values))]


def env_scalar(env: ShapeEnv, factors: list[Node]) -> bool:
    """Is the product of these factors 1×1?"""
    if not factors:
        return True
    node = factors[0] if len(factors) == 1 else N.Mul(tuple(factors))
    try:
        return env.is_scalar(node)
    except Exception:  # noqa: BLE001 - a product that does not chain is not 1×1
        return False


__all__ = ["REWRITES", "Line", "derivation", "render_line", "render_steps"]
