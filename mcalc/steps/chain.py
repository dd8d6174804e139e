"""`--steps` through `--let` names: the chain rule written as MML Example 5.11 writes it for least squares.

    L = ‖e‖², e = y − Φθ:   ∂L/∂θ = ∂L/∂e ∂e/∂θ,  (1×n) = (1×m)(m×n)
                            ∂L/∂e = 2eᵀ (1×m),  ∂e/∂θ = −Φ (m×n),  ∂L/∂θ = 2eᵀ(−Φ) = −2eᵀΦ (1×n)

Every factor is in numerator layout over the entries (∂vec f/∂vec x: numel(f) × numel(x) — for vectors
exactly MML Example 5.11's Jacobians), so the chain rule is one matrix product whatever the shapes. ∂f/∂e holds
every other name fixed; where f also uses the variable directly, that term is added (∂f/∂θ|ₑ). A name
whose definition uses further names is expanded the same way, one line group per name.
"""

from __future__ import annotations

from mcalc.pipeline import DerivKind, Result, derive_partial
from mcalc.records import Record, record
from mcalc.render.printer import LATEX, TEXT, Printer
from mcalc.shapes import ShapeEnv, dim_text
from mcalc.simplify import Simplifier
from mcalc.steps.lines import REWRITES
from mcalc.syntax import nodes as N
from mcalc.syntax.build import add, mul
from mcalc.syntax.nodes import Node

RULE = "chain-rule"  # its identity and source: REWRITES (listed and verified by `mcalc identities`)


@record(frozen=True)
class Factor(Record):
    """∂top/∂bottom in numerator layout, with its numel(top) × numel(bottom) shape."""

    top: str
    bottom: str
    node: Node
    shape: tuple[N.Dim, N.Dim]


def chain_lines(result: Result, latex: bool = False) -> list[str]:
    """The chain-rule lines of the first derivative, when the expression goes through a let name."""
    env = result.env
    if not env.lets:
        return []
    var = result.wrt[0]
    tree = result.tree
    label = tree.name if isinstance(tree, N.Symbol) and tree.name in env.lets else "f"
    top = env.lets[label] if label in env.lets else tree
    writer = _Writer(env, var, latex)
    writer.through(label, top)
    return writer.lines


class _Writer:
    def __init__(self, env: ShapeEnv, var: str, latex: bool) -> None:
        self.env, self.var, self.latex = env, var, latex
        self.pr = Printer(LATEX if latex else TEXT)
        self.simp = Simplifier(env)
        self.lines: list[str] = []
        self.done: set[str] = set()

    def through(self, label: str, tree: Node) -> Node | None:
        """The lines for d(label)/d(var), and that derivative (numerator layout), or None if it is 0."""
        env = self.env
        names = [n for n in N.free_symbols(tree) if n in env.lets and self._depends(n)]
        if not names:
            return None
        hold = frozenset(env.lets)
        pairs: list[tuple[Factor, Factor]] = []
        for name in names:
            outer = self._factor(label, tree, name, hold)
            inner = self._factor(name, N.Symbol(name), self.var, frozenset())
            pairs.append((outer, inner))
        direct = self._factor(label, tree, self.var, hold) if self.var in N.free_symbols(tree) else None
        self._say_rule(label, pairs, direct)
        total_terms: list[Node] = []
        for outer, inner in pairs:
            self._say_factor(outer)
            if inner.top not in self.done:
                self.done.add(inner.top)
                if self.through(inner.top, env.lets[inner.top]) is None:
                    self._say_factor(inner)
            total_terms.append(mul(outer.node, inner.node))
        if direct is not None:
            self._say_factor(direct, direct=True)
            total_terms.append(direct.node)
        product = add(*total_terms) if len(total_terms) > 1 else total_terms[0]
        total = self.simp(product)
        shape = (pairs[0][0].shape[0], pairs[0][1].shape[1])
        shown, simplified = self._p(product), self._p(total)
        tail = "" if shown == simplified else f" = {simplified}"
        self._say(f"{self._d(label, self.var)} = {shown}{tail}", shape)
        return total

    def _depends(self, name: str) -> bool:
        from mcalc.lets import expand

        return self.var in N.free_symbols(expand(self.env.lets, N.Symbol(name)))

    def _factor(self, top: str, tree: Node, by: str, hold: frozenset[str]) -> Factor:
        env = self.env
        stage = derive_partial(tree, by, env, hold - {by})
        node = _numerator(stage.kind, stage.result, env, by)
        node = self.simp(node)
        shape = (env.resolve(env.numel(tree)), env.resolve(env.numel(N.Symbol(by))))
        return Factor(top, by, node, shape)

    # --- printing ---

    def _name(self, name: str) -> str:
        return self.pr.s.name(name)

    def _d(self, top: str, bottom: str, direct: bool = False) -> str:
        t, b = self._name(top), self._name(bottom)
        if self.latex:
            held = r"\Big|_{\text{direct}}" if direct else ""
            return rf"\frac{{\partial {t}}}{{\partial {b}}}{held}"
        d = self.pr.sp.partial
        return f"{d}{t}/{d}{b}" + (" (direct)" if direct else "")

    def _p(self, node: Node) -> str:
        return self.pr(node)

    def _shape(self, shape: tuple[N.Dim, N.Dim]) -> str:
        r, c = (dim_text(d) for d in shape)
        return rf"\mathbb{{R}}^{{{r} \times {c}}}" if self.latex else f"{r}×{c}"

    def _say(self, body: str, shape: tuple[N.Dim, N.Dim]) -> None:
        if self.latex:
            self.lines.append(rf"{body} \in {self._shape(shape)}")
        else:
            self.lines.append(f"{body}    ({self._shape(shape)})")

    def _say_factor(self, factor: Factor, direct: bool = False) -> None:
        self._say(f"{self._d(factor.top, factor.bottom, direct)} = {self._p(factor.node)}", factor.shape)

    def _say_rule(self, label: str, pairs: list[tuple[Factor, Factor]], direct: Factor | None) -> None:
        dot = r" \, " if self.latex else " "
        terms = [f"{self._d(o.top, o.bottom)}{dot}{self._d(i.top, i.bottom)}" for o, i in pairs]
        shapes = [f"({self._shape(o.shape)})({self._shape(i.shape)})" for o, i in pairs]
        if direct is not None:
            terms.append(self._d(direct.top, direct.bottom, direct=True))
            shapes.append(f"({self._shape(direct.shape)})")
        whole = (pairs[0][0].shape[0], pairs[0][1].shape[1])
        body = f"{self._d(label, self.var)} = {' + '.join(terms)}"
        sizes = f"({self._shape(whole)}) = {' + '.join(shapes)}"
        rule = REWRITES[RULE]
        if self.latex:
            self.lines.append(rf"{body}, \quad {sizes} \qquad \left[\text{{{RULE}: }} {rule.latex}\right]")
        else:
            self.lines.append(f"{body}, {sizes}    [{RULE}: {rule.identity}]")


def _numerator(kind: DerivKind, result: Node, env: ShapeEnv, by: str) -> Node:
    """The derivative as ∂vec f/∂vec x (rows follow f's entries, columns the variable's)."""
    if kind is DerivKind.GRADIENT:
        return N.Transpose(result if env.kind(by).value == "vector" else N.Vec(result))
    if kind is DerivKind.SCALAR_VAR:
        r, c = env.shape(result)
        return result if c == 1 else N.Vec(result)
    return result  # a Jacobian, or the vec form of a tensor: already ∂vec f/∂vec x
