"""Products, sums and transposes as a derivation writes them (the order of factors kept, a 1×1
sub-product kept whole), for the lines of `--steps`. `Algebra` is what every step of a stage reads."""

from __future__ import annotations

from dataclasses import field
from fractions import Fraction

from mcalc.pipeline import DerivKind, Stage
from mcalc.records import Record, record
from mcalc.render.printer import LATEX, TEXT
from mcalc.shapes import Kind, ShapeEnv
from mcalc.simplify import Simplifier
from mcalc.steps.lines import DOf, StepPrinter, has_d
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import ONE, Node
from mcalc.view import Layout


def add_terms(terms: list[Node]) -> Node:
    return terms[0] if len(terms) == 1 else N.Add(tuple(terms))


def factors_of(node: Node) -> list[Node]:
    return list(node.factors) if isinstance(node, N.Mul) else [node]


def split_coef(term: Node) -> tuple[Fraction, list[Node]]:
    fs = factors_of(term)
    if fs and isinstance(fs[0], N.Number):
        return fs[0].value, fs[1:]
    return Fraction(1), fs


def env_scalar(env: ShapeEnv, factors: list[Node]) -> bool:
    """Is the product of these factors 1×1?"""
    if not factors:
        return True
    node = factors[0] if len(factors) == 1 else N.Mul(tuple(factors))
    try:
        return env.is_scalar(node)
    except Exception:  # noqa: BLE001 - a product that does not chain is not 1×1
        return False


@record
class Algebra(Record):
    env: ShapeEnv
    stage: Stage
    layout: Layout
    simp: Simplifier = field(init=False)

    def __post_init__(self) -> None:
        self.simp = Simplifier(self.env)
        self.var = self.stage.var
        self.dx: Node = N.Differential(self.var)
        self.vector = self.env.kind(self.var) is Kind.VECTOR

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
                c, rest = split_coef(f)
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
                c, fs = split_coef(f)
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
            return add_terms(flat)
        return node

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

    def terms(self, node: Node) -> list[Node]:
        """`node` (linear in dX) as a sum of terms, each with one dX."""
        if isinstance(node, N.Differential):
            return [node]
        if isinstance(node, N.Add):
            return [t for term in node.terms if has_d(term) for t in self.terms(term)]
        if isinstance(node, N.Mul):
            fs = list(node.factors)
            i = next(i for i, f in enumerate(fs) if has_d(f))
            return [self.mul(*fs[:i], t, *fs[i + 1 :]) for t in self.terms(fs[i])]
        if isinstance(node, N.Transpose):
            return [self.transpose(t) for t in self.terms(node.arg)]
        if isinstance(node, N.Hadamard):
            fs = list(node.factors)
            i = next(i for i, f in enumerate(fs) if has_d(f))
            return [self.hadamard([*fs[:i], t, *fs[i + 1 :]]) for t in self.terms(fs[i])]
        if isinstance(node, N.Kron):
            if has_d(node.left):
                return [N.Kron(t, node.right) for t in self.terms(node.left)]
            return [N.Kron(node.left, t) for t in self.terms(node.right)]
        if isinstance(node, (N.Trace, N.Sum)):
            out = []
            for t in self.terms(node.children()[0]):
                coef, fs = split_coef(t)
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
            coef, fs = split_coef(node)
            scalars = [f for f in fs if self.env.is_scalar(f)]
            rest = [f for f in fs if not self.env.is_scalar(f)]
            return self.mul(N.Number(coef), *scalars, *self.t_chain(rest))
        if isinstance(node, N.Add):
            return add_terms([self.transpose(t) for t in node.terms])
        if isinstance(node, N.Hadamard):
            return N.Hadamard(tuple(self.transpose(f) for f in node.factors))
        return self.t(node)

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
        coef, fs = split_coef(term)
        scalars: list[Node] = [N.Number(coef)] if coef != 1 else []
        rest: list[Node] = []
        for f in fs:
            (scalars if (self.env.is_scalar(f) and not has_d(f)) else rest).append(f)
        return scalars, rest

    def leaf(self, chain: list[Node]) -> int | None:
        """The index of the one dX or dXᵀ in a product with nothing else depending on X."""
        hits = [i for i, f in enumerate(chain) if has_d(f)]
        if len(hits) != 1:
            return None
        f = chain[hits[0]]
        if f == self.dx or (isinstance(f, N.Transpose) and f.arg == self.dx):
            return hits[0]
        return None

    def scalar_unit(self, factors: list[Node]) -> Node:
        """A 1×1 product kept as one factor, so it multiplies as a scalar."""
        return factors[0] if len(factors) == 1 else N.Mul(tuple(factors))

    def pr(self, node: Node) -> str:
        return StepPrinter(TEXT)(node)
