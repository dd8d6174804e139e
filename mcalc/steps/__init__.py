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

from fractions import Fraction

from mcalc.budget import BudgetError
from mcalc.calculus.differentiate import Derivation, differential
from mcalc.calculus.rules import DERIVATIVE_RULES, Context, DerivativeRule
from mcalc.pipeline import DerivKind, Result, displayed
from mcalc.render.printer import TEXT
from mcalc.steps.algebra import Algebra, add_terms
from mcalc.steps.chain import chain_lines
from mcalc.steps.gradient import gradient
from mcalc.steps.lines import (
    REWRITES,
    Conclusion,
    DOf,
    Line,
    StepPrinter,
    has_d,
    render_line,
    rewrite_line,
    rule_line,
)
from mcalc.steps.vectors import by_scalar, jacobian, tensor
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node
from mcalc.view import Layout


def render_steps(result: Result, layout: Layout, latex: bool = False) -> list[str]:
    """The derivation, one string per identity applied (`--steps`, JSON `steps`); through `--let` names,
    the chain rule first (mcalc.steps.chain)."""
    return chain_lines(result, latex) + [render_line(line, latex) for line in derivation(result, layout)]


def derivation(result: Result, layout: Layout, strict: bool = False) -> list[Line]:
    """The lines of every stage (two for a second derivative). The first stage starts from the
    expression as typed; if that fails (`strict=False`) it starts from mcalc's canonical form."""
    lines: list[Line] = []
    for i, stage in enumerate(result.stages):
        function = result.tree if i == 0 else stage.function
        writer = _StageWriter(result.env, stage, layout)
        try:
            lines += writer.lines(function)
        except BudgetError:
            raise  # the time is up: no fallback either
        except Exception:  # noqa: BLE001 - the steps never take the derivative itself down
            if strict:
                raise
            try:
                lines += writer.lines(stage.function)
            except BudgetError:
                raise
            except Exception:  # noqa: BLE001 - last resort: the differential and the result
                label, label_latex = writer.labels()
                shown = displayed(stage, layout, result.env)
                lines.append(rewrite_line((DOf(stage.function), stage.differential), "substitute",
                                   Conclusion(label, label_latex, (shown,))))  # fmt: skip
    return lines


class _StageWriter(Algebra):
    """One stage of the derivation: the rule lines, the substitution, then the form of its kind."""

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
                lines.append(rule_line((DOf(step.node), self.tidy(rhs)), step.rule, step.node))
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
                lines.append(rule_line((DOf(leaf), self.tidy(rhs)), rule))
        return lines

    def _constant(self, df: Node, function: Node) -> Line:
        """df = 0 ⇒ the derivative, 0."""
        const = DERIVATIVE_RULES[N.Number]
        shown = displayed(self.stage, self.layout, self.env)
        label = self.labels()
        r, c = self.env.shape(function)
        zero: Node = N.Number(Fraction(0)) if (r, c) == (1, 1) else N.Zero(r, c)
        return Line((df, zero), const.name, const.identity, const.latex, Conclusion(label[0], label[1], (shown,)))

    def lines(self, function: Node) -> list[Line]:
        env = self.env
        function = self.tidy(function)  # A B Aᵀ C, not ((AB)Aᵀ)C as the parser nests it
        der = Derivation()
        raw = differential(function, self.var, env, der)
        lines = self.rule_lines(der, function)
        df = DOf(function)
        if raw is None:
            return [self._constant(df, function)]
        terms = [self.tidy(t) for t in self.terms(self.tidy(raw))]
        expanded = add_terms(terms)
        pr = StepPrinter(TEXT)
        if not (len(lines) == 1 and pr(lines[0].sides[-1]) == pr(expanded) and not der.steps[1:]):
            if not lines or pr(lines[-1].sides[0]) != pr(df) or pr(lines[-1].sides[-1]) != pr(expanded):
                lines.append(rewrite_line((df, expanded), "substitute"))
        kind = self.stage.kind
        if kind is DerivKind.GRADIENT and not any(has_d(t) for t in terms):
            # a differential that came to 0 (d(X.^0) = 0 ⊙ dX): no term to bring to tr(G dX), as for a
            # constant (the gradient's steps read an empty product: an internal error for sum(X.^0), ‖x‖⁰)
            return [*lines, self._constant(df, function)]
        if kind is DerivKind.GRADIENT:
            lines += gradient(self, df, terms)
        elif kind is DerivKind.JACOBIAN:
            lines += jacobian(self, df, terms)
        elif kind is DerivKind.TENSOR:
            lines += tensor(self, df, terms)
        else:
            lines += by_scalar(self, df, terms)
        return lines


__all__ = ["REWRITES", "DOf", "Line", "derivation", "render_line", "render_steps"]
