"""Hypothesis strategies: well-shaped random mcalc expressions, written as source text, each with an
independent numpy meaning; and the raw material for fuzzing the parser.

`cases()` draws a target shape first, then an operator whose result has that shape, then children with
the shapes that operator needs (STYLE.md §2.5.3). Every node is emitted as *text* (so the lexer and the
parser are exercised, with the alternative spellings of the syntax: `A^T`, `A'`, `Aᵀ`, `inv(A)`, `A^-1`,
`A⁻¹`, `||x||`, `‖x‖`, `theta`, ...) together with a numpy closure computing what the text means. The
closure is the oracle: it is written here, from the contract, and never calls mcalc, so a parser that
reads the text differently from the contract is caught as well as a wrong derivative rule.

Values respect each operation's domain by construction, not by luck: matrices that are inverted or
passed to det/logdet are variables sampled well conditioned (I + 0.3 R/√n, or SPD for symmetric
ones) or built as `5 I + tanh(G)` (diagonally dominant) or `I + 0.1 G Gᵀ` (SPD); `log` and `sqrt` only
see `1 + exp(..)`, `2 + cos(..)` or `1 + (..).^2`. What remains (exp overflow, kinks of abs/relu/norm1
met by a finite-difference step) is detected by the test and counted as a skip.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

Array = Any
Fn = Callable[[dict[str, Array]], Array]
Shape = tuple[int, int]

SIZES = (2, 3, 4)  # distinct sizes, so a transposed answer cannot pass by accident
MAX_DEPTH = 6

# precedence levels of emitted text. Elementwise operators (.* ./ ⊙ ⊗) get their own level and the
# text never relies on how they bind relative to juxtaposition, `*` and `/`: a non-atomic right operand
# and an elementwise operand of a product are always parenthesised.
SUM, EW, PROD, ATOM = 1, 2, 3, 4

# (internal name, spellings accepted by the lexer)
MATRIX_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("A", ("A",)), ("B", ("B",)), ("C", ("C",)), ("D", ("D",)), ("F", ("F",)), ("G", ("G",)),
    ("H", ("H",)), ("K", ("K",)), ("L", ("L",)), ("M", ("M",)), ("N", ("N",)), ("P", ("P",)),
    ("Q", ("Q",)), ("R", ("R",)), ("U", ("U",)), ("V", ("V",)), ("W", ("W",)), ("X", ("X",)),
    ("Y", ("Y",)), ("Z", ("Z",)), ("T", ("T",)), ("W1", ("W1",)), ("X_2", ("X_2",)),
    ("Φ", ("Φ", "Phi")), ("Ψ", ("Ψ", "Psi")), ("Γ", ("Gamma", "Γ")),
)  # fmt: skip
SYMMETRIC_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("S", ("S",)),
    ("S1", ("S1",)),
    ("Σ", ("Σ", "Sigma")),
    ("Λ", ("Lambda", "Λ")),
)
VECTOR_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("x", ("x",)), ("y", ("y",)), ("z", ("z",)), ("u", ("u",)), ("v", ("v",)), ("w", ("w",)),
    ("a", ("a",)), ("b", ("b",)), ("x1", ("x1",)), ("y_2", ("y_2",)), ("θ", ("θ", "theta")),
    ("μ", ("mu", "μ")),
)  # fmt: skip
SCALAR_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("c", ("c",)), ("k", ("k",)), ("s", ("s",)), ("α", ("α", "alpha")), ("β", ("beta", "β")),
    ("λ", ("lambda", "λ")), ("γ", ("γ",)),
)  # fmt: skip


@dataclass
class Var:
    name: str  # internal name (what mcalc reports: `theta` is θ)
    spellings: tuple[str, ...]
    shape: Shape
    kind: str  # scalar | vector | matrix
    symmetric: bool = False

    @property
    def lf_shape(self) -> tuple[int, ...]:
        """The layout-free shape of the contract: () scalar, (n,) vector, (m, n) matrix."""
        if self.kind == "scalar":
            return ()
        if self.kind == "vector":
            return (self.shape[0],)
        return self.shape


@dataclass
class Expr:
    text: str
    level: int
    fn: Fn
    shape: Shape
    bars: bool = False  # contains ‖ or || (a bar norm may not contain another one: ambiguous)


@dataclass
class Case:
    """One generated expression, its declarations and how to sample a point for it."""

    source: str
    fn: Fn
    shape: Shape
    variables: dict[str, Var]
    depth: int
    seed: int

    @property
    def scalars(self) -> frozenset[str]:
        return frozenset(v.name for v in self.variables.values() if v.kind == "scalar")

    @property
    def symmetric(self) -> frozenset[str]:
        return frozenset(v.name for v in self.variables.values() if v.symmetric)

    @property
    def vectors(self) -> frozenset[str]:
        """Vectors are declared: an undeclared lowercase name that only scales or is added to scalars
        is read as a scalar (README § Kinds and shapes), and the oracle samples these as vectors."""
        return frozenset(v.name for v in self.variables.values() if v.kind == "vector")

    def declarations(self) -> Any:
        from mcalc.shapes import Declarations

        return Declarations(scalars=self.scalars, vectors=self.vectors, symmetric=self.symmetric)

    def cli_flags(self) -> list[str]:
        flags: list[str] = []
        if self.scalars:
            flags += ["--scalar", ",".join(sorted(self.scalars))]
        if self.vectors:
            flags += ["--vector", ",".join(sorted(self.vectors))]
        if self.symmetric:
            flags += ["--symmetric", ",".join(sorted(self.symmetric))]
        return flags

    def sample(self, rng: np.random.Generator) -> dict[str, Array]:
        return {name: sample_value(v, rng) for name, v in self.variables.items()}

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        flags = " ".join(self.cli_flags())
        return f"Case({self.source!r} {flags} seed={self.seed})"


def sample_value(v: Var, rng: np.random.Generator) -> Array:
    """Internal 2-D value: scalar 1×1 in ±[0.5, 1.5], vector n×1, matrix r×c (square ones well
    conditioned with positive determinant, symmetric ones SPD)."""
    r, c = v.shape
    if v.kind == "scalar":
        return np.full((1, 1), rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5))
    if v.kind == "vector":
        return rng.standard_normal((r, 1))
    if v.symmetric:
        a = rng.standard_normal((r, r))
        return a @ a.T / r + np.eye(r)
    if r == c:
        return np.eye(r) + 0.3 * rng.standard_normal((r, r)) / math.sqrt(r)
    return 0.7 * rng.standard_normal((r, c))


def lf(arr: Array, shape: Shape) -> Array:
    """Internal 2-D value → the contract's layout-free array."""
    r, c = shape
    if (r, c) == (1, 1):
        return np.asarray(arr).reshape(())
    if c == 1:
        return np.asarray(arr).reshape(r)
    return np.asarray(arr).reshape(r, c)


# --- the generator ---------------------------------------------------------------------------------


def _wrap(e: Expr, level: int) -> str:
    return e.text if e.level >= level else f"({e.text})"


SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def _base(e: Expr) -> str:
    """The base of a postfix power: `R²` then `²` would read as R²², the power 22."""
    text = _wrap(e, ATOM)
    return f"({text})" if text[-1:] in SUPERSCRIPT_DIGITS else text


def _juxtapose(left: str, right: str) -> str:
    """`A B`, but `2 * 3`: two numbers in a row are an error by design ("write an operator")."""
    if right[:1].isdigit() or right[:1] == ".":
        return f"{left} * {right}"
    return f"{left} {right}"


@dataclass
class Ctx:
    draw: Any
    variables: dict[str, Var] = field(default_factory=dict)

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def flip(self, p_true_percent: int = 50) -> bool:
        return bool(self.draw(st.integers(0, 99)) < p_true_percent)

    # -- leaves --
    def var(self, pool: tuple[tuple[str, tuple[str, ...]], ...], shape: Shape, kind: str, sym: bool) -> Var:
        same = [v for v in self.variables.values() if v.shape == shape and v.kind == kind and v.symmetric == sym]
        if same and (self.flip(60) or all(name in self.variables for name, _ in pool)):
            return self.pick(same)  # type: ignore[no-any-return]
        free = [(n, s) for n, s in pool if n not in self.variables]
        if not free:
            return self.pick(same)  # type: ignore[no-any-return]
        name, spellings = self.pick(free)
        v = Var(name, spellings, shape, kind, sym)
        self.variables[name] = v
        return v

    def var_expr(self, v: Var) -> Expr:
        text = self.pick(list(v.spellings))
        name = v.name
        return Expr(text, ATOM, lambda vals: vals[name], v.shape)

    def number(self) -> Expr:
        text, value = self.pick([("2", 2.0), ("3", 3.0), ("0.5", 0.5), (".25", 0.25), ("1/2", 0.5), ("1.5", 1.5)])
        level = PROD if "/" in text else ATOM
        return Expr(text, level, lambda vals: np.full((1, 1), value), (1, 1))

    def leaf(self, shape: Shape) -> Expr:
        r, c = shape
        if shape == (1, 1):
            if self.flip(20):
                return self.number()
            return self.var_expr(self.var(SCALAR_NAMES, shape, "scalar", False))
        if c == 1:
            return self.var_expr(self.var(VECTOR_NAMES, shape, "vector", False))
        if r == 1:
            return self.transpose_of(self.var_expr(self.var(VECTOR_NAMES, (c, 1), "vector", False)))
        if r == c and self.flip(25):
            return self.var_expr(self.var(SYMMETRIC_NAMES, shape, "matrix", True))
        return self.var_expr(self.var(MATRIX_NAMES, shape, "matrix", False))

    def transpose_of(self, e: Expr) -> Expr:
        mark = self.pick(["^T", "'", "ᵀ"])
        fn = e.fn
        return Expr(_wrap(e, ATOM) + mark, ATOM, lambda vals: fn(vals).T, (e.shape[1], e.shape[0]), e.bars)

    # -- well-conditioned square matrices (for inv, det, logdet, negative powers) --
    def wellcond(self, d: int, depth: int, spd: bool = False) -> Expr:
        choice = self.pick(["var", "var", "dominant", "gram"] if not spd else ["var", "gram"])
        if choice == "var":
            if spd or self.flip(40):
                return self.var_expr(self.var(SYMMETRIC_NAMES, (d, d), "matrix", True))
            return self.var_expr(self.var(MATRIX_NAMES, (d, d), "matrix", False))
        if choice == "dominant":  # 5I + tanh(G): |tanh| < 1 and d ≤ 4, so diagonally dominant
            g = self.gen((d, d), max(depth - 2, 0))
            fn = g.fn
            eye = self.pick(["I", "eye"])
            return Expr(
                f"(5 {eye} + tanh({g.text}))", ATOM,
                lambda vals: 5 * np.eye(d) + np.tanh(fn(vals)), (d, d), g.bars,
            )  # fmt: skip
        k = self.pick(list(SIZES))
        g = self.gen((d, k), max(depth - 2, 0))
        fn = g.fn
        gt = _wrap(g, ATOM)
        t = self.pick(["^T", "'", "ᵀ"])

        def gram(vals: dict[str, Array]) -> Array:
            x = fn(vals)
            return np.eye(d) + 0.1 * (x @ x.T)

        return Expr(f"(I + 0.1 {gt} {gt}{t})", ATOM, gram, (d, d), g.bars)

    # -- the recursive generator: an operator producing `shape` --
    def gen(self, shape: Shape, depth: int) -> Expr:
        if depth <= 0:
            return self.leaf(shape)
        r, c = shape
        ops = ["leaf", "add", "sub", "mul", "mul", "scale", "number_scale", "transpose", "hadamard",
               "elementwise", "elementwise", "neg", "div", "epow"]  # fmt: skip
        if shape != (1, 1):
            ops += ["scalar_broadcast", "ediv"]
        if r == c and r > 1:
            ops += ["identity", "inverse", "inverse", "power", "diag_of_vector"]
        if c == 1 and r > 1:
            ops += ["diag_of_matrix", "vec"]
        if shape == (1, 1):
            ops += ["trace", "trace", "det", "logdet", "logdet", "sum", "norm2", "norm2", "norm1",
                    "scalar_power", "vecdot", "kron", "inner"]  # fmt: skip
        op = self.pick(ops)
        return getattr(self, "op_" + op)(shape, depth - 1)

    def op_leaf(self, shape: Shape, depth: int) -> Expr:
        return self.leaf(shape)

    def op_add(self, shape: Shape, depth: int) -> Expr:
        a, b = self.gen(shape, depth), self.gen(shape, depth)
        fa, fb = a.fn, b.fn
        return Expr(f"{a.text} + {_wrap(b, PROD) if b.text.startswith('-') else b.text}", SUM,
                    lambda vals: fa(vals) + fb(vals), shape, a.bars or b.bars)  # fmt: skip

    def op_sub(self, shape: Shape, depth: int) -> Expr:
        a, b = self.gen(shape, depth), self.gen(shape, depth)
        fa, fb = a.fn, b.fn
        minus = self.pick(["-", "-", "−"])
        return Expr(
            f"{a.text} {minus} {_wrap(b, PROD)}", SUM, lambda vals: fa(vals) - fb(vals), shape, a.bars or b.bars
        )

    def op_neg(self, shape: Shape, depth: int) -> Expr:
        a = self.gen(shape, depth)
        fa = a.fn
        return Expr(f"-{_wrap(a, PROD)}", SUM, lambda vals: -fa(vals), shape, a.bars)

    def op_mul(self, shape: Shape, depth: int) -> Expr:
        r, c = shape
        k = self.pick([1, *SIZES])
        a, b = self.gen((r, k), depth), self.gen((k, c), depth)
        fa, fb = a.fn, b.fn
        star = self.pick([" ", " ", " * ", "*"])

        def mul(vals: dict[str, Array]) -> Array:
            x, y = fa(vals), fb(vals)
            if x.shape == (1, 1) or y.shape == (1, 1):
                return x * y
            return x @ y

        text = f"{_wrap(a, PROD)}{star}{_wrap(b, ATOM)}" if star != " " else _juxtapose(_wrap(a, PROD), _wrap(b, ATOM))
        return Expr(text, PROD, mul, shape, a.bars or b.bars)

    def op_scale(self, shape: Shape, depth: int) -> Expr:
        s, a = self.gen((1, 1), depth), self.gen(shape, depth)
        fs, fa = s.fn, a.fn
        if self.flip():
            text = _juxtapose(_wrap(s, PROD), _wrap(a, ATOM))
        else:
            text = _juxtapose(_wrap(a, PROD), _wrap(s, ATOM))
        return Expr(text, PROD, lambda vals: fs(vals) * fa(vals), shape, s.bars or a.bars)

    def op_number_scale(self, shape: Shape, depth: int) -> Expr:
        n, a = self.number(), self.gen(shape, depth)
        fn_, fa = n.fn, a.fn
        return Expr(_juxtapose(n.text, _wrap(a, ATOM)), PROD, lambda vals: fn_(vals) * fa(vals), shape, a.bars)

    def op_div(self, shape: Shape, depth: int) -> Expr:
        a = self.gen(shape, depth)
        fa = a.fn
        if self.flip():
            n = self.pick([("2", 2.0), ("4", 4.0), ("0.5", 0.5)])
            return Expr(f"{_wrap(a, PROD)} / {n[0]}", PROD, lambda vals: fa(vals) / n[1], shape, a.bars)
        s = self.gen((1, 1), depth)
        fs = s.fn
        return Expr(f"{_wrap(a, PROD)} / (2 + {_wrap(s, ATOM)}^2)", PROD,
                    lambda vals: fa(vals) / (2 + fs(vals) ** 2), shape, a.bars or s.bars)  # fmt: skip

    def op_transpose(self, shape: Shape, depth: int) -> Expr:
        return self.transpose_of(self.gen((shape[1], shape[0]), depth))

    def op_hadamard(self, shape: Shape, depth: int) -> Expr:
        a, b = self.gen(shape, depth), self.gen(shape, depth)
        fa, fb = a.fn, b.fn
        op = self.pick([".*", "⊙", " .* "])
        return Expr(
            f"{_wrap(a, EW)}{op}{_wrap(b, ATOM)}", EW, lambda vals: fa(vals) * fb(vals), shape, a.bars or b.bars
        )

    def op_scalar_broadcast(self, shape: Shape, depth: int) -> Expr:
        s, a = self.gen((1, 1), depth), self.gen(shape, depth)
        fs, fa = s.fn, a.fn
        how = self.pick(["+", "-", ".*"])
        if how == "+":
            return Expr(
                f"{_wrap(s, PROD)} + {_wrap(a, PROD)}", SUM, lambda vals: fs(vals) + fa(vals), shape, s.bars or a.bars
            )
        if how == "-":
            return Expr(
                f"{_wrap(a, PROD)} - {_wrap(s, PROD)}", SUM, lambda vals: fa(vals) - fs(vals), shape, s.bars or a.bars
            )
        return Expr(
            f"{_wrap(s, EW)} .* {_wrap(a, ATOM)}", EW, lambda vals: fs(vals) * fa(vals), shape, s.bars or a.bars
        )

    def op_ediv(self, shape: Shape, depth: int) -> Expr:
        if self.flip(30):
            b = self.gen(shape, depth)
            fb = b.fn
            return Expr(f"1 ./ (1 + {_wrap(b, ATOM)}.^2)", EW, lambda vals: 1 / (1 + fb(vals) ** 2), shape, b.bars)
        a, b = self.gen(shape, depth), self.gen(shape, depth)
        fa, fb = a.fn, b.fn
        return Expr(f"{_wrap(a, EW)} ./ (2 + {_wrap(b, ATOM)}.^2)", EW,
                    lambda vals: fa(vals) / (2 + fb(vals) ** 2), shape, a.bars or b.bars)  # fmt: skip

    def op_elementwise(self, shape: Shape, depth: int) -> Expr:
        a = self.gen(shape, depth)
        fa = a.fn
        t = a.text
        forms: list[tuple[str, Callable[[Array], Array]]] = [
            (f"exp({t})", np.exp),
            (f"sin({t})", np.sin),
            (f"cos({t})", np.cos),
            (f"tanh({t})", np.tanh),
            (f"sigmoid({t})", lambda x: 1 / (1 + np.exp(-x))),
            (f"log(1 + exp({t}))", lambda x: np.log1p(np.exp(x))),
            (f"log(2 + cos({t}))", lambda x: np.log(2 + np.cos(x))),
            (f"sqrt(1 + {_wrap(a, ATOM)}.^2)", lambda x: np.sqrt(1 + x * x)),
            (f"abs({t})", np.abs),
            (f"relu({t})", lambda x: np.maximum(x, 0.0)),
        ]
        if shape[0] > 1:  # softmax acts on each column (a row is refused): the stable form, column by column
            forms.append((f"softmax({t})", _softmax))
        text, f = self.pick(forms)
        return Expr(text, ATOM, lambda vals: f(fa(vals)), shape, a.bars)

    def op_epow(self, shape: Shape, depth: int) -> Expr:
        a = self.gen(shape, depth)
        fa = a.fn
        at = _wrap(a, ATOM)
        text, f = self.pick([
            (f"{at}.^2", lambda x: x**2),
            (f"{at}.^3", lambda x: x**3),
            (f"(1 + {at}.^2).^(1/2)", lambda x: np.sqrt(1 + x**2)),
            (f"(2 + {at}.^2).^-1", lambda x: 1 / (2 + x**2)),
            (f"(1 + {at}.^2).^0.5", lambda x: np.sqrt(1 + x**2)),
        ])  # fmt: skip
        return Expr(text, ATOM, lambda vals: f(fa(vals)), shape, a.bars)

    def op_identity(self, shape: Shape, depth: int) -> Expr:
        d = shape[0]
        a = self.gen(shape, depth)
        fa = a.fn
        coef, text = self.pick([(1.0, "I"), (1.0, "eye"), (2.0, "2 I"), (-1.0, "-I")])
        if text == "-I":
            return Expr(f"{a.text} - I", SUM, lambda vals: fa(vals) - np.eye(d), shape, a.bars)
        return Expr(f"{a.text} + {text}", SUM, lambda vals: fa(vals) + coef * np.eye(d), shape, a.bars)

    def op_inverse(self, shape: Shape, depth: int) -> Expr:
        d = shape[0]
        w = self.wellcond(d, depth)
        fw = w.fn
        wt = _wrap(w, ATOM)
        form = self.pick(["inv", "^-1", "^{-1}", "⁻¹", "^(-1)", "^-T", "⁻ᵀ", "^{-T}"])
        if form == "inv":
            return Expr(f"inv({w.text})", ATOM, lambda vals: np.linalg.inv(fw(vals)), shape, w.bars)
        if form in ("^-T", "⁻ᵀ", "^{-T}"):
            return Expr(f"{wt}{form}", ATOM, lambda vals: np.linalg.inv(fw(vals)).T, shape, w.bars)
        return Expr(f"{wt}{form}", ATOM, lambda vals: np.linalg.inv(fw(vals)), shape, w.bars)

    def op_power(self, shape: Shape, depth: int) -> Expr:
        d = shape[0]
        if self.flip(25):  # a negative power of a well-conditioned matrix
            w = self.wellcond(d, depth)
            fw = w.fn
            return Expr(f"{_wrap(w, ATOM)}^-2", ATOM,
                        lambda vals: np.linalg.matrix_power(np.linalg.inv(fw(vals)), 2), shape, w.bars)  # fmt: skip
        a = self.gen(shape, depth)
        fa = a.fn
        text, p = self.pick([("^2", 2), ("²", 2), ("^3", 3), ("^{2}", 2)])
        return Expr(f"{_base(a)}{text}", ATOM, lambda vals: np.linalg.matrix_power(fa(vals), p), shape, a.bars)

    def op_diag_of_vector(self, shape: Shape, depth: int) -> Expr:
        a = self.gen((shape[0], 1), depth)
        fa = a.fn
        return Expr(f"diag({a.text})", ATOM, lambda vals: np.diag(fa(vals)[:, 0]), shape, a.bars)

    def op_diag_of_matrix(self, shape: Shape, depth: int) -> Expr:
        d = shape[0]
        a = self.gen((d, d), depth)
        fa = a.fn
        return Expr(f"diag({a.text})", ATOM, lambda vals: np.diag(fa(vals)).reshape(-1, 1).copy(), shape, a.bars)

    def op_vec(self, shape: Shape, depth: int) -> Expr:
        d = shape[0]
        a = self.gen(self.pick([(d, 1), (1, d)]), depth)
        fa = a.fn
        return Expr(f"vec({a.text})", ATOM, lambda vals: fa(vals).reshape(-1, 1, order="F"), shape, a.bars)

    # -- scalar-valued --
    def op_trace(self, shape: Shape, depth: int) -> Expr:
        d = self.pick(list(SIZES))
        a = self.gen((d, d), depth)
        fa = a.fn
        word = self.pick(["tr", "tr", "trace"])
        return Expr(f"{word}({a.text})", ATOM, lambda vals: np.full((1, 1), np.trace(fa(vals))), shape, a.bars)

    def op_det(self, shape: Shape, depth: int) -> Expr:
        d = self.pick(list(SIZES))
        w = self.wellcond(d, depth)
        fw = w.fn
        return Expr(f"det({w.text})", ATOM, lambda vals: np.full((1, 1), np.linalg.det(fw(vals))), shape, w.bars)

    def op_logdet(self, shape: Shape, depth: int) -> Expr:
        d = self.pick(list(SIZES))
        w = self.wellcond(d, depth, spd=self.flip(50))
        fw = w.fn
        word = self.pick(["logdet({})", "log det({})", "log(det({}))", "logdet {}"])
        if word == "logdet {}" and w.level < ATOM:
            word = "logdet({})"
        text = word.format(w.text)

        def logdet(vals: dict[str, Array]) -> Array:
            sign, value = np.linalg.slogdet(fw(vals))
            return np.full((1, 1), value if sign > 0 else np.nan)

        # `log det(X)^2` would be log(det(X)²), and `log det(X) x` is log(det(X) x): a function written without
        # parentheses takes the product that follows, so these forms stand where an elementwise operand does
        return Expr(text, ATOM if word in ("logdet({})", "log(det({}))") else EW, logdet, shape, w.bars)

    def op_sum(self, shape: Shape, depth: int) -> Expr:
        s = self.pick([(d, 1) for d in SIZES] + [(r, c) for r in SIZES for c in SIZES] + [(1, 3)])
        a = self.gen(s, depth)
        fa = a.fn
        return Expr(f"sum({a.text})", ATOM, lambda vals: np.full((1, 1), fa(vals).sum()), shape, a.bars)

    def op_norm2(self, shape: Shape, depth: int) -> Expr:
        s = self.pick([(d, 1) for d in SIZES] + [(2, 3), (3, 3), (4, 2), (1, 4)])
        a = self.gen(s, depth)
        fa = a.fn
        forms = ["norm2({})", "norm({})"]
        if not a.bars:
            forms += ["||{}||", "‖{}‖", "||{}||_F"] + (["‖{}‖_2"] if s[1] == 1 else [])  # ‖A‖₂: spectral
        form = self.pick(forms)
        return Expr(form.format(a.text), ATOM, lambda vals: np.full((1, 1), np.linalg.norm(fa(vals))), shape,
                    a.bars or "|" in form or "‖" in form)  # fmt: skip

    def op_norm1(self, shape: Shape, depth: int) -> Expr:
        s = self.pick([(d, 1) for d in SIZES] + [(2, 3), (3, 3)])
        a = self.gen(s, depth)
        fa = a.fn
        forms = ["norm1({})"]
        if not a.bars and s[1] == 1:  # ‖A‖₁ of a matrix is the induced norm, which mcalc refuses by name
            forms += ["||{}||_1", "‖{}‖_1"]
        form = self.pick(forms)
        return Expr(form.format(a.text), ATOM, lambda vals: np.full((1, 1), np.abs(fa(vals)).sum()), shape,
                    a.bars or "|" in form or "‖" in form)  # fmt: skip

    def op_scalar_power(self, shape: Shape, depth: int) -> Expr:
        a = self.gen(shape, depth)
        fa = a.fn
        at = _base(a)
        text, f = self.pick([
            (f"{at}^2", lambda x: x**2),
            (f"{at}²", lambda x: x**2),
            (f"{at}^3", lambda x: x**3),
            (f"(1 + {at}^2)^(1/2)", lambda x: np.sqrt(1 + x**2)),
            (f"(1 + {at}^2)^-1", lambda x: 1 / (1 + x**2)),
            (f"(2 + {at}^2)^{{-2}}", lambda x: (2 + x**2) ** -2.0),
        ])  # fmt: skip
        return Expr(text, ATOM, lambda vals: f(fa(vals)), shape, a.bars)

    def op_vecdot(self, shape: Shape, depth: int) -> Expr:
        s = self.pick([(2, 3), (3, 3), (4, 2)])
        a, b = self.gen(s, depth), self.gen(s, depth)
        fa, fb = a.fn, b.fn
        t = self.pick(["^T", "'", "ᵀ"])
        text = f"vec({a.text}){t} vec({b.text})"
        return Expr(
            text, PROD, lambda vals: np.full((1, 1), float(np.sum(fa(vals) * fb(vals)))), shape, a.bars or b.bars
        )

    def op_kron(self, shape: Shape, depth: int) -> Expr:
        form = self.pick(["tr", "sum", "norm", "hadamard"])
        if form == "tr":
            p, q = self.pick(list(SIZES)), self.pick(list(SIZES))
            a, b = self.gen((p, p), depth), self.gen((q, q), depth)
        else:
            a, b = self.gen(self.pick([(2, 3), (3, 2), (2, 1)]), depth), self.gen(self.pick([(2, 2), (1, 3)]), depth)
        fa, fb = a.fn, b.fn
        k = self.pick(["kron({}, {})", "({} ⊗ {})"])
        kt = k.format(a.text, b.text) if k.startswith("kron") else f"({_wrap(a, ATOM)} ⊗ {_wrap(b, ATOM)})"
        bars = a.bars or b.bars
        if form == "tr":
            return Expr(
                f"tr({kt})", ATOM, lambda vals: np.full((1, 1), np.trace(np.kron(fa(vals), fb(vals)))), shape, bars
            )
        if form == "sum":
            return Expr(
                f"sum({kt})", ATOM, lambda vals: np.full((1, 1), np.kron(fa(vals), fb(vals)).sum()), shape, bars
            )
        if form == "norm":
            return Expr(
                f"norm2({kt})",
                ATOM,
                lambda vals: np.full((1, 1), np.linalg.norm(np.kron(fa(vals), fb(vals)))),
                shape,
                bars,
            )
        c_, d_ = self.gen(a.shape, depth), self.gen(b.shape, depth)
        fc, fd = c_.fn, d_.fn
        kt2 = f"kron({c_.text}, {d_.text})"

        def had(vals: dict[str, Array]) -> Array:
            return np.full((1, 1), (np.kron(fa(vals), fb(vals)) * np.kron(fc(vals), fd(vals))).sum())

        return Expr(f"sum({kt} .* {kt2})", ATOM, had, shape, bars or c_.bars or d_.bars)

    def op_inner(self, shape: Shape, depth: int) -> Expr:
        """Quadratic and bilinear forms: xᵀ M y, the classic shapes of the README."""
        p, q = self.pick(list(SIZES)), self.pick(list(SIZES))
        x, m, y = self.gen((p, 1), depth), self.gen((p, q), depth), self.gen((q, 1), depth)
        fx, fm, fy = x.fn, m.fn, y.fn
        t = self.pick(["^T", "'", "ᵀ"])
        return Expr(f"{_wrap(x, ATOM)}{t} {_wrap(m, ATOM)} {_wrap(y, ATOM)}", PROD,
                    lambda vals: fx(vals).T @ fm(vals) @ fy(vals), shape, x.bars or m.bars or y.bars)  # fmt: skip


TARGET_SHAPES: tuple[Shape, ...] = (
    (1, 1),
    (1, 1),
    (1, 1),
    (1, 1),
    (1, 1),
    (3, 1),
    (2, 1),
    (4, 1),
    (2, 3),
    (3, 3),
    (4, 2),
    (1, 3),
)


@st.composite
def cases(draw: Any, max_depth: int = MAX_DEPTH, shapes: tuple[Shape, ...] = TARGET_SHAPES) -> Case:
    """A well-shaped expression as text, with its numpy meaning, declarations and a sampling seed."""
    ctx = Ctx(draw)
    shape = draw(st.sampled_from(shapes))
    depth = draw(st.integers(1, max_depth))
    e = ctx.gen(shape, depth)
    if not ctx.variables:  # only numbers: add a variable so there is something to differentiate
        v = ctx.leaf(shape) if shape != (1, 1) else ctx.var_expr(ctx.var(SCALAR_NAMES, (1, 1), "scalar", False))
        fe, fv = e.fn, v.fn
        e = Expr(f"{e.text} + {v.text}", SUM, lambda vals: fe(vals) + fv(vals), shape)
    seed = draw(st.integers(0, 2**32 - 1))
    return Case(e.text, e.fn, shape, dict(ctx.variables), depth, seed)


def _softmax(x: Array) -> Array:
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# --- raw material for fuzzing ------------------------------------------------------------------------

TOKENS = (
    "A", "B", "x", "y", "X", "S", "t", "c", "θ", "theta", "W1", "x_0", "I", "eye", "2", "0.5", ".5", "1/2",
    "0", "10", "(", ")", "{", "}", ",", "+", "-", "−", "*", "·", "/", "^", "^T", "^-1", "^-T", "'", "ᵀ",
    "⁻¹", "⁻ᵀ", "²", ".*", "./", ".^", "⊙", "∘", "⊗", "‖", "||", "|", "_", "_F", "_1", "tr", "det",
    "logdet", "log", "exp", "sin", "cos", "tanh", "sqrt", "abs", "relu", "sigmoid", "sum", "norm", "softmax", "lse",
    "norm1", "norm2", "diag", "vec", "inv", "kron", "trace", " ", "A(t)", "f(t)", "=", ";", "#", "!",
    "[", "]", "\\", "$", "@", ".", "e", "E", "1e5",
)  # fmt: skip

VALID_SOURCES = (
    "tr(A B A^T C)", "x^T A x", "||y - Φ θ||^2", "1/2 ||W x - t||^2", "a^T X^-1 b", "det(X)",
    "logdet(X)", "(x - A s)^T W (x - A s)", "A x", "B C", "A(t) B(t)", "inv(A(t))", "log(1 + exp(W x + b))",
    "1 ./ (1 + exp(-X w))", "(x - a) ./ norm2(x - a)", "kron(A, B)", "diag(x) A", "sum(X .* Y)",
    "tr(X^2) + ‖X‖_F", "sqrt(1 + x.^2)", "sigmoid(w^T x)", "x' A⁻¹ x", "vec(X)^T vec(Y)",
)  # fmt: skip


def token_sequences() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS), max_size=40).map("".join) | st.lists(
        st.sampled_from(TOKENS), max_size=40
    ).map(" ".join)


@st.composite
def mutated_sources(draw: Any) -> str:
    """A valid expression, truncated, or with characters deleted, duplicated, swapped or inserted."""
    src = draw(st.sampled_from(VALID_SOURCES) | cases(max_depth=3).map(lambda c: c.source))
    for _ in range(draw(st.integers(1, 4))):
        if not src:
            break
        i = draw(st.integers(0, len(src) - 1))
        how = draw(st.sampled_from(["truncate", "delete", "duplicate", "insert", "swap", "token"]))
        if how == "truncate":
            src = src[:i]
        elif how == "delete":
            src = src[:i] + src[i + 1 :]
        elif how == "duplicate":
            src = src[:i] + src[i] + src[i:]
        elif how == "insert":
            src = src[:i] + draw(st.characters()) + src[i:]
        elif how == "swap" and i + 1 < len(src):
            src = src[:i] + src[i + 1] + src[i] + src[i + 2 :]
        else:
            src = src[:i] + draw(st.sampled_from(TOKENS)) + src[i:]
    return src


def fuzz_texts() -> st.SearchStrategy[str]:
    """Anything at all: unicode, control characters, token soup, mutated valid input."""
    return st.one_of(
        st.text(max_size=60),
        st.text(alphabet=st.characters(codec="ascii"), max_size=60),
        st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Sm", "So", "Lm", "Mn"]), max_size=30),
        token_sequences(),
        mutated_sources(),
    )
