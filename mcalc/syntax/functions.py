"""The catalogue of functions: one immutable entry per function, which every layer reads.

Most entries are elementwise (exp, tanh, ...: an `Apply` node). Column functions (softmax, logsumexp:
a `Columnwise` node) act on a whole column at a time; their entries say how (`kind`) and carry their
differential instead of a slope, and otherwise have the same fields.

An entry holds everything mcalc knows about one function f applied entry by entry: its name and the
other spellings the lexer accepts, its arity, its domain (where f′ exists: what `--check` draws from
and what `--at` refuses), its derivative as a tree builder x ↦ f′(x) with the identity and its source
(for `mcalc identities` and `--steps`), its numeric evaluation (numpy, imported only when called),
and its LaTeX and NumPy spellings (its text spelling is its name: text output is valid input).

Adding a function is adding one entry to `CATALOGUE` (or `registered` in a test): the lexer, parser,
shape rule (an elementwise function keeps its argument's shape), derivative rule, evaluator, printers,
`--format numpy` and `mcalc identities` all look it up here.

The catalogue lives in the syntax layer, the lowest one above `errors`: the lexer needs its words,
and it imports only `nodes` and `build`, so every layer above can read it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from fractions import Fraction
from functools import partial
from types import MappingProxyType
from typing import Any

from mcalc.records import Record, record
from mcalc.syntax import matrix_functions, spectral
from mcalc.syntax import nodes as N
from mcalc.syntax import structured as S
from mcalc.syntax.build import add, mul, neg, num
from mcalc.syntax.nodes import Dim, Node

Array = Any  # numpy.ndarray; loose so that this module imports without numpy


@record(frozen=True)
class Domain(Record):
    """Where a function is differentiable, as an open interval (None: unbounded on that side)."""

    name: str  # shown by `mcalc identities`
    text: str  # "positive entries": what f′ needs, in messages
    value_text: str  # what f itself needs, in messages when f is undefined
    lower: float | None = None
    upper: float | None = None
    sample: tuple[float, float] | None = None  # `--check` draws entries here (None: standard normal)

    @property
    def bounded(self) -> bool:
        return self.lower is not None or self.upper is not None

    def outside(self, x: Array) -> Array:
        """A boolean array: the entries of x where f′ does not exist."""
        out = x != x  # NaN entries are outside every domain; also gives the array of False to start from
        if self.lower is not None:
            out = out | (x <= self.lower)
        if self.upper is not None:
            out = out | (x >= self.upper)
        return out


ANY = Domain("any", "any entries", "any entries")
POSITIVE = Domain("x > 0", "positive entries", "positive entries", lower=0.0, sample=(0.5, 1.5))
# arcsin, arccos: f is defined on [−1, 1], f′ only inside; `--check` keeps well away from ±1, so
# that a product like W x of entries drawn there still lands inside
OPEN_UNIT = Domain("−1 < x < 1", "entries in (−1, 1)", "entries in [−1, 1]", lower=-1.0, upper=1.0, sample=(-0.6, 0.6))


class Kind(Enum):
    """How a function meets an array: entry by entry (an `Apply` node), or a whole column at a time (a
    `Columnwise` node: softmax maps each column to a column, logsumexp each column to one number)."""

    ELEMENTWISE = "elementwise"
    COLUMN_MAP = "column to column"
    COLUMN_REDUCE = "column to number"
    # a function declared with --function f (mcalc.syntax.declared): f of a whole vector or matrix is a
    # number, its gradient ∇f has the argument's shape (both `Columnwise` nodes, never entry by entry)
    ARRAY_REDUCE = "array to number"
    ARRAY_MAP = "array to array"
    # --function f read as vector-valued (declared `f: vector -> vector`, or by use: f(x)ᵀ g(x)): f(x) is a
    # column, its Jacobian J_f(x) is (f's length)×(x's length); ∇²f(x), the Hessian of a scalar-valued f of a
    # vector, is square (mcalc.syntax.vector_functions)
    VECTOR_MAP = "vector to vector"
    JACOBIAN = "vector to its Jacobian"
    HESSIAN = "vector to its Hessian"
    # expm, logm, sqrtm, sinm, cosm, S^p: a square matrix to one of its size, through its eigenvalues
    # (mcalc.syntax.matrix_functions); d f(X) = L_f(X, dX), a Frechet node
    MATRIX_MAP = "square matrix to square matrix"
    # adj, chol and their helpers (mcalc.syntax.structured): a square matrix to a matrix of its size
    SQUARE_MAP = "square matrix to matrix"
    # toeplitz(t): a vector of 2n − 1 values to the n×n Toeplitz matrix
    TOEPLITZ = "vector to Toeplitz matrix"
    # diagsums(M), toeplitz's adjoint: an n×n matrix to the 2n − 1 sums of its diagonals
    DIAG_SUMS = "matrix to its diagonal sums"
    # a function of the whole matrix whose result's shape its entry names (`shape`): eigenvalues, singular
    # values, norms, pinv (mcalc.syntax.spectral; the shape rules are mcalc.shapes.spectral's)
    WHOLE_MATRIX = "whole matrix"


@record(frozen=True)
class Signature(Record):
    """What a --function takes and gives, declared (`f: vector -> vector[m]`) or read from its formula:
    argument and value are "scalar", "vector" or "matrix"; `length` is a vector value's declared length
    (a name or a size; None: read from use); `same_length` says the value is as long as the argument
    (a formula such as sin(u)). mcalc.syntax.vector_functions."""

    argument: str
    value: str
    length: Dim | None = None
    same_length: bool = False


# d f(X) of a column function: (f(X) itself, X, dX, the number of rows of X, is X a vector) ↦ the tree
Differential = Callable[[Node, Node, Node, Dim, bool], Node]


@record(frozen=True)
class Function(Record):
    """One function of the catalogue. Elementwise: `derivative(x)` builds the tree of f′(x) (a slope
    multiplied entry by entry with dX by the chain rule). Column functions (`kind` not ELEMENTWISE):
    `differential` builds d f(X), linear in dX, from nodes the rest of mcalc already reads (⊙, products,
    transposes), so gradients, Jacobians and every printer follow. `evaluate(x)` computes f on a float
    array (a 2-d array, column by column for the column functions)."""

    name: str
    derivative: Callable[[Node], Node]
    identity: str  # the derivative as a formula: "tanh′(x) = 1 − tanh(x)²"
    identity_latex: str
    evaluate: Callable[[Array], Array]
    numpy: str  # a Python expression with {} where the argument goes, in generated code
    latex: str  # LaTeX with {} where the argument goes (the first {} in the text)
    reference: str = "standard calculus"
    aliases: tuple[str, ...] = ()
    arity: int = 1
    domain: Domain = ANY
    # generated code defining a helper the `numpy` spelling calls (sigmoid's stable form)
    numpy_helper: tuple[str, ...] = ()
    # made by derivative rules (sign, step) and read back from text output; not listed as input syntax
    internal: bool = False
    # a LaTeX spelling with its own delimiters (\sqrt{x}) is parenthesised under an exponent
    latex_delimited: bool = True
    kind: Kind = Kind.ELEMENTWISE
    differential: Differential | None = None
    # the same differential with dX written once, or None where there is none (a matrix): for a dX that is
    # already written in two places (mcalc.calculus.places), where `differential` writes it twice
    differential_once: Callable[[Node, Node, Node, Dim, bool], Node | None] | None = None
    # the expression (in x) `mcalc identities --verify` differentiates to check the entry
    witness: str = ""
    # declared on the command line (--function f, --elementwise g) without a formula: no values, so no
    # --at, --check or generated code (mcalc.syntax.declared)
    abstract: bool = False
    # a --function's signature, declared or read from its formula; None: declared by name, read from use
    signature: Signature | None = None
    # a whole-matrix function's domain (chol: symmetric positive definite): why an argument value is outside
    # it, or None; `--at` refuses such a value in one line
    guard: Callable[[Array], str | None] | None = None
    # how `--check` draws the variables of the argument: "spd" (chol), "invertible" (adj's derivative)
    draw: str = ""
    # an operator the derivative introduces (Φ of chol): its definition, text and LaTeX, for a `where` line
    definition: tuple[str, str] | tuple[()] = ()
    # a linear whole-matrix function f (Φ, α, toeplitz): C ↦ f*(C) with ⟨C, f(M)⟩ = ⟨f*(C), M⟩, through
    # which a gradient is read off a differential holding f(dX)
    adjoint: Callable[[Node], Node] | None = None
    # WHOLE_MATRIX entries: the name of their shape rule (mcalc.shapes.spectral), and their text spellings
    # when not `name(arg)` (Unicode and ASCII, {} where the argument goes: ‖{}‖₂ and ||{}||_2)
    shape: str = ""
    text: str = ""
    ascii: str = ""

    @property
    def elementwise(self) -> bool:
        return self.kind is Kind.ELEMENTWISE

    def witness_expr(self) -> str:
        return self.witness or f"sum({self.name}(x))"

    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def latex_of(self, arg: str) -> str:
        return self.latex.replace("{}", arg, 1)  # not str.format: LaTeX is full of braces

    def numpy_of(self, arg: str) -> str:
        return self.numpy.replace("{}", arg, 1)


def _np(name: str) -> Callable[[Array], Array]:
    """numpy's own elementwise function `name`, looked up when first called (numpy loads lazily)."""

    def call(x: Array) -> Array:
        import numpy as np

        result: Array = getattr(np, name)(x)
        return result

    call.__name__ = name
    return call


def _sigmoid(x: Array) -> Array:
    import numpy as np

    e = np.exp(-np.abs(x))  # never exp of a large positive number: no overflow for any x
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _relu(x: Array) -> Array:
    import numpy as np

    return np.maximum(x, 0.0)


def _step(x: Array) -> Array:
    return (x > 0).astype(float)


def _one_minus(x: Node) -> Node:
    return add(num(1), neg(x))


def _square(x: Node) -> Node:
    return N.ElementPower(x, Fraction(2))


def _f(name: str, x: Node) -> Node:
    return N.Apply(name, x)


SIGMOID_HELPER = (  # stable: exp(-z) overflowing to inf gives 1/inf = 0, the limit (twice as fast as a np.where)
    "def _sigmoid(z):",
    '    with np.errstate(over="ignore"):',
    "        return 1.0 / (1.0 + np.exp(-z))",
)


def _latex(command: str) -> str:
    return command + r"\left({}\right)"


# --- column functions: softmax and logsumexp ------------------------------------------------------


def _softmax_values(x: Array) -> Array:
    import numpy as np

    e = np.exp(x - x.max(axis=0, keepdims=True))  # stable: the largest entry of each column is exp(0)
    return e / e.sum(axis=0, keepdims=True)


def _logsumexp_values(x: Array) -> Array:
    import numpy as np

    top = x.max(axis=0, keepdims=True)
    return top + np.log(np.exp(x - top).sum(axis=0, keepdims=True))


def _d_softmax(s: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
    """d s = (diag(s) − s sᵀ) dx = s ⊙ dx − s (sᵀ dx); a matrix, column by column:
    dS = S ⊙ dX − S ⊙ (𝟙 𝟙ᵀ (S ⊙ dX))."""
    weighted = N.Hadamard((s, dx))
    if vector:
        return add(weighted, neg(mul(s, N.Transpose(s), dx)))
    column_sums = mul(N.Ones(rows, 1), N.Ones(1, rows), weighted)
    return add(weighted, neg(N.Hadamard((s, column_sums))))


def _d_softmax_once(s: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node | None:
    """d s = (diag(s) − s sᵀ) dx, dx written once (a matrix, column by column, has no such form)."""
    return mul(add(N.Diag(s), neg(mul(s, N.Transpose(s)))), dx) if vector else None


def _d_logsumexp(value: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
    """d lse(x) = softmax(x)ᵀ dx; a matrix, column by column: 𝟙ᵀ (softmax(X) ⊙ dX)."""
    s = N.Columnwise("softmax", x)
    if vector:
        return mul(N.Transpose(s), dx)
    return mul(N.Ones(1, rows), N.Hadamard((s, dx)))


def _no_slope(x: Node) -> Node:
    raise TypeError("a column function has a differential, not an elementwise slope")


# generated code: column by column, the largest entry of each column subtracted first (no overflow)
SOFTMAX_HELPER = (
    "def _softmax(z):",
    "    e = np.exp(z - np.max(z, axis=0, keepdims=True))",
    "    return e / np.sum(e, axis=0, keepdims=True)",
)
LOGSUMEXP_HELPER = (
    "def _logsumexp(z):",
    "    top = np.max(z, axis=0, keepdims=True)",
    "    out = top + np.log(np.sum(np.exp(z - top), axis=0, keepdims=True))",
    "    return out.item() if out.size == 1 else out",
)
_COLUMN_FUNCTIONS = (
    Function("softmax", _no_slope,
             "softmax′(x) = diag(s) − s sᵀ (its Jacobian), s = softmax(x) = exp(x) / sum(exp(x))",
             r"\operatorname{softmax}'(x) = \operatorname{diag}(s) - s s^\top,\ "
             r"s = \operatorname{softmax}(x)",
             _softmax_values, "_softmax({})", _latex(r"\operatorname{softmax}"),
             reference="Bishop, Pattern Recognition and Machine Learning (2006), eq. 4.106",
             numpy_helper=SOFTMAX_HELPER, kind=Kind.COLUMN_MAP, differential=_d_softmax,
             differential_once=_d_softmax_once, witness="a^T softmax(A x)"),
    Function("logsumexp", _no_slope,
             "logsumexp′(x) = softmax(x)ᵀ (its gradient softmax(x)); logsumexp(x) = log(sum(exp(x)))",
             r"\operatorname{logsumexp}'(x) = \operatorname{softmax}(x)^\top",
             _logsumexp_values, "_logsumexp({})", _latex(r"\operatorname{logsumexp}"),
             reference="Boyd & Vandenberghe, Convex Optimization (2004), §3.1.5", aliases=("lse",),
             numpy_helper=LOGSUMEXP_HELPER, kind=Kind.COLUMN_REDUCE, differential=_d_logsumexp,
             witness="logsumexp(A x)"),
)  # fmt: skip


# --- whole-matrix functions: adjugate, Cholesky factor, Toeplitz matrices (mcalc.syntax.structured) ---------

_MURRAY = "Murray 2016 (the forward-mode rule dL = L Φ(L⁻¹ dΣ L⁻ᵀ))"
_MATRIX_FUNCTIONS = (
    Function("adj", _no_slope, "adj(X): d adj(X) = det(X) (tr(X⁻¹ dX) X⁻¹ − X⁻¹ dX X⁻¹), X invertible",
             r"d\operatorname{adj}(X) = \det(X)\left(\operatorname{tr}(X^{-1}dX)\,X^{-1} - X^{-1}dX\,X^{-1}\right)",
             S.adj_values, "_adj({})", _latex(r"\operatorname{adj}"),
             reference="adj(X) = det(X) X⁻¹ and the product rule with MC eqs. 40 and 42 (d X⁻¹, d det X)",
             numpy_helper=S.ADJ_HELPER, kind=Kind.SQUARE_MAP, differential=S.d_adj,
             witness="tr(A adj(X))", draw="invertible"),
    Function("chol", _no_slope,
             "chol(S) = L: d L = L Φ(L⁻¹ dS L⁻ᵀ) (L lower triangular, S = L Lᵀ, S symmetric positive definite)",
             r"d\operatorname{chol}(S) = L\,\Phi\left(L^{-1}dS\,L^{-\top}\right),\ L = \operatorname{chol}(S)",
             S.chol_values, "_chol({})", _latex(r"\operatorname{chol}"), reference=_MURRAY,
             numpy_helper=S.CHOL_HELPER, kind=Kind.SQUARE_MAP, differential=S.d_chol,
             witness="tr(A chol(X^T X + I))", guard=S.spd_problem, draw="spd"),
    Function(S.PHI, _no_slope, "cholphi(M) = Φ(M) is linear: d Φ(M) = Φ(dM)", r"d\,\Phi(M) = \Phi(dM)",
             S.phi_values, "_cholphi({})", r"\Phi\left({}\right)", reference=_MURRAY,
             numpy_helper=S.PHI_HELPER, kind=Kind.SQUARE_MAP, differential=S.d_linear(S.PHI), internal=True,
             witness="tr(A cholphi(X))",
             adjoint=lambda c: N.Columnwise(S.PHI, c),
             definition=("cholphi(M) = Φ(M), the lower triangle of M with its diagonal halved",
                         r"\Phi(M) = \text{the lower triangle of } M \text{ with its diagonal halved}")),
    Function("toeplitz", _no_slope, "toeplitz(t)ᵢⱼ = t_{n+i−j} is linear: d toeplitz(t) = toeplitz(dt)",
             r"d\operatorname{toeplitz}(t) = \operatorname{toeplitz}(dt),\ "
             r"\operatorname{toeplitz}(t)_{ij} = t_{n+i-j}",
             S.toeplitz_values, "_toeplitz({})", _latex(r"\operatorname{toeplitz}"),
             reference="linearity; MC §2.8.4 (Toeplitz matrices)", numpy_helper=S.TOEPLITZ_HELPER,
             kind=Kind.TOEPLITZ, differential=S.d_linear("toeplitz"), witness="a^T toeplitz(t) b",
             adjoint=lambda c: N.Columnwise(S.DIAGSUMS, c)),
    Function(S.DIAGSUMS, _no_slope, "diagsums(M) is linear: d diagsums(M) = diagsums(dM)",
             r"d\operatorname{diagsums}(M) = \operatorname{diagsums}(dM)", S.diagsums_values, "_diagsums({})",
             _latex(r"\operatorname{diagsums}"),
             reference="the adjoint of toeplitz: ⟨C, toeplitz(t)⟩ = ⟨diagsums(C), t⟩",
             numpy_helper=S.DIAGSUMS_HELPER, kind=Kind.DIAG_SUMS, differential=S.d_linear(S.DIAGSUMS),
             internal=True, witness="a^T diagsums(X)", adjoint=lambda c: N.Columnwise("toeplitz", c),
             definition=("diagsums(M) = the 2n − 1 sums of M's diagonals, entry k summing row − column = k − n",
                         r"\operatorname{diagsums}(M)_k = \textstyle\sum_{i - j = k - n} M_{ij}")),
    Function(S.ALPHA, _no_slope, "toepsum(M) = α(M) is linear: d α(M) = α(dM)", r"d\,\alpha(M) = \alpha(dM)",
             S.toepsum_values, "_toepsum({})", r"\alpha\left({}\right)",
             reference="MC eq. 143 (∂tr(AT)/∂T = α(A) for a Toeplitz T)", numpy_helper=S.TOEPSUM_HELPER,
             kind=Kind.SQUARE_MAP, differential=S.d_linear(S.ALPHA), internal=True, witness="tr(A toepsum(X))",
             adjoint=lambda c: N.Columnwise(S.ALPHA, c),
             definition=("toepsum(M) = α(M), entry (i, j) the sum of the entries of Mᵀ with row − column = i − j",
                         r"\alpha(M)_{ij} = \textstyle\sum_{p - q = i - j} (M^\top)_{pq}")),
)  # fmt: skip

# eigenvalues, singular values, their norms, pinv, prod: functions of the whole matrix (mcalc.syntax.spectral)
SPECTRAL_FUNCTIONS = spectral.entries(partial(Function, kind=Kind.WHOLE_MATRIX))

CATALOGUE: tuple[Function, ...] = (
    Function("exp", lambda x: _f("exp", x), "exp′(x) = exp(x)", r"\exp'(x) = \exp(x)",
             _np("exp"), "np.exp({})", _latex(r"\exp")),
    Function("log", lambda x: N.ElementPower(x, Fraction(-1)), "log′(x) = 1/x", r"\log'(x) = 1/x",
             _np("log"), "np.log({})", _latex(r"\log"), aliases=("ln",), domain=POSITIVE),
    Function("sin", lambda x: _f("cos", x), "sin′(x) = cos(x)", r"\sin'(x) = \cos(x)",
             _np("sin"), "np.sin({})", _latex(r"\sin")),
    Function("cos", lambda x: neg(_f("sin", x)), "cos′(x) = −sin(x)", r"\cos'(x) = -\sin(x)",
             _np("cos"), "np.cos({})", _latex(r"\cos")),
    Function("tanh", lambda x: _one_minus(_square(_f("tanh", x))), "tanh′(x) = 1 − tanh(x)²",
             r"\tanh'(x) = 1 - \tanh^2(x)", _np("tanh"), "np.tanh({})", _latex(r"\tanh")),
    Function("sqrt", lambda x: mul(num(Fraction(1, 2)), N.ElementPower(_f("sqrt", x), Fraction(-1))),
             "sqrt′(x) = 1/(2 sqrt(x))", r"\left(\sqrt{x}\right)' = \frac{1}{2\sqrt{x}}",
             _np("sqrt"), "np.sqrt({})", r"\sqrt{{}}", domain=POSITIVE, latex_delimited=False),
    Function("abs", lambda x: _f("sign", x), "abs′(x) = sign(x)", r"|x|' = \operatorname{sign}(x)",
             _np("abs"), "np.abs({})", _latex(r"\operatorname{abs}")),
    Function("relu", lambda x: _f("step", x), "relu′(x) = step(x)",
             r"\operatorname{relu}'(x) = \operatorname{step}(x)",
             _relu, "np.maximum({}, 0.0)", _latex(r"\operatorname{relu}")),
    Function("sigmoid", lambda x: N.Hadamard((_f("sigmoid", x), _one_minus(_f("sigmoid", x)))),
             "σ′(x) = σ(x)(1 − σ(x))", r"\sigma'(x) = \sigma(x)\left(1 - \sigma(x)\right)",
             _sigmoid, "_sigmoid({})", _latex(r"\operatorname{sigmoid}"),
             reference="standard calculus (the logistic function)", numpy_helper=SIGMOID_HELPER),
    Function("tan", lambda x: add(num(1), _square(_f("tan", x))), "tan′(x) = 1 + tan(x)²",
             r"\tan'(x) = 1 + \tan^2(x) = \sec^2(x)", _np("tan"), "np.tan({})", _latex(r"\tan")),
    Function("arcsin", lambda x: N.ElementPower(_one_minus(_square(x)), Fraction(-1, 2)),
             "arcsin′(x) = 1/sqrt(1 − x²)", r"\arcsin'(x) = \frac{1}{\sqrt{1 - x^2}}",
             _np("arcsin"), "np.arcsin({})", _latex(r"\arcsin"), aliases=("asin",), domain=OPEN_UNIT),
    Function("arccos", lambda x: neg(N.ElementPower(_one_minus(_square(x)), Fraction(-1, 2))),
             "arccos′(x) = −1/sqrt(1 − x²)", r"\arccos'(x) = -\frac{1}{\sqrt{1 - x^2}}",
             _np("arccos"), "np.arccos({})", _latex(r"\arccos"), aliases=("acos",), domain=OPEN_UNIT),
    Function("arctan", lambda x: N.ElementPower(add(num(1), _square(x)), Fraction(-1)),
             "arctan′(x) = 1/(1 + x²)", r"\arctan'(x) = \frac{1}{1 + x^2}",
             _np("arctan"), "np.arctan({})", _latex(r"\arctan"), aliases=("atan",)),
    Function("sinh", lambda x: _f("cosh", x), "sinh′(x) = cosh(x)", r"\sinh'(x) = \cosh(x)",
             _np("sinh"), "np.sinh({})", _latex(r"\sinh")),
    Function("cosh", lambda x: _f("sinh", x), "cosh′(x) = sinh(x)", r"\cosh'(x) = \sinh(x)",
             _np("cosh"), "np.cosh({})", _latex(r"\cosh")),
    # the derivatives of abs and relu; their own derivative is 0 away from the kink at 0
    Function("sign", lambda x: num(0), "sign′(x) = 0 (x ≠ 0)", r"\operatorname{sign}'(x) = 0\ (x \neq 0)",
             _np("sign"), "np.sign({})", _latex(r"\operatorname{sign}"), internal=True),
    Function("step", lambda x: num(0), "step′(x) = 0 (x ≠ 0)", r"\operatorname{step}'(x) = 0\ (x \neq 0)",
             _step, "np.heaviside({}, 0.0)", _latex(r"\operatorname{step}"), internal=True),
    *_COLUMN_FUNCTIONS,
    *_MATRIX_FUNCTIONS,
    *SPECTRAL_FUNCTIONS,
)  # fmt: skip


# --- the catalogue as a value: the entries above, extended per session, never mutated ------------------


# A family of entries made on demand: given a spelling, its entry or None. `--elementwise g` has one
# (g′, g″, g⁽⁴⁾, ...: any order differentiation reaches), so a catalogue need not list them ahead.
Family = Callable[[str], "Function | None"]


class Catalogue:
    """The functions one run knows: the built-in entries plus what its session declared (`--function f`,
    `--elementwise g`). Immutable: `extended` makes a new catalogue; the built-in one is shared by every
    run and thread. A family's entries are remembered once made (a cache of a pure function: the same
    spelling always gives an equal entry)."""

    __slots__ = ("_by_name", "_by_spelling", "_families", "_made")

    def __init__(self, entries: tuple[Function, ...] = (), families: tuple[Family, ...] = ()) -> None:
        by_name: dict[str, Function] = {}
        by_spelling: dict[str, Function] = {}
        for entry in entries:
            taken = [s for s in entry.spellings() if s in by_spelling]
            if taken:
                raise ValueError(f"function spelling already in the catalogue: {', '.join(taken)}")
            by_name[entry.name] = entry
            by_spelling.update(dict.fromkeys(entry.spellings(), entry))
        self._by_name = MappingProxyType(by_name)
        self._by_spelling = MappingProxyType(by_spelling)
        self._families = families
        self._made: dict[str, Function | None] = {}

    def extended(self, entries: tuple[Function, ...] = (), families: tuple[Family, ...] = ()) -> Catalogue:
        """This catalogue with more entries (a spelling already taken is an error: one spelling, one function)."""
        return Catalogue((*self._by_name.values(), *entries), (*self._families, *families))

    def lookup(self, spelling: str) -> Function | None:
        """The function a word names (`ln` → log, `asin` → arcsin), or None."""
        entry = self._by_spelling.get(spelling)
        if entry is not None or not self._families:
            return entry
        if spelling not in self._made:
            self._made[spelling] = next((e for f in self._families if (e := f(spelling)) is not None), None)
        return self._made[spelling]

    def get(self, name: str) -> Function:
        """The entry of a function name as it appears in trees (KeyError if there is none)."""
        entry = self.lookup(name)
        if entry is None or entry.name != name:
            raise KeyError(name)
        return entry

    def entries(self) -> tuple[Function, ...]:
        """Every listed entry, in catalogue order (extensions last; a family's entries are not listed)."""
        return tuple(self._by_name.values())

    def spellings(self) -> frozenset[str]:
        return frozenset(self._by_spelling)


# --- matrix functions (expm, logm, sqrtm, sinm, cosm, S^p): their rows live in mcalc.syntax.matrix_functions --


# logm, sqrtm, S^p: differentiable where no eigenvalue lies on the closed negative real axis (checked on the
# matrix's eigenvalues when it is evaluated, not entry by entry: no interval)
OFF_NEGATIVE_AXIS = Domain(
    "no eigenvalue in (−∞, 0]",
    "no eigenvalue on the closed negative real axis (positive definite, if symmetric)",
    "no eigenvalue on the closed negative real axis",
)


def _matrix_entry(spec: matrix_functions.Spec) -> Function:
    return Function(
        spec.name, spec.derivative, spec.identity, spec.identity_latex, spec.evaluate, spec.numpy, spec.latex,
        reference=spec.reference, domain=OFF_NEGATIVE_AXIS if spec.off_axis else ANY, latex_delimited=False,
        numpy_helper=matrix_functions.NUMPY_HELPER, kind=Kind.MATRIX_MAP, differential=matrix_functions.differential,
        witness=spec.witness, internal=spec.internal,
    )  # fmt: skip


def _power_family(spelling: str) -> Function | None:
    spec = matrix_functions.power_spec(spelling)
    return None if spec is None else _matrix_entry(spec)


BUILT_IN = Catalogue((*CATALOGUE, *map(_matrix_entry, matrix_functions.SPECS)), (_power_family,))

# The catalogue of the run in progress in this thread (or asyncio task): the built-in one unless a session
# made its own current (`using`). A context variable, not a module global that runs assign: threads never
# see each other's declarations (4 threads declaring `f` at once failed with "f is already a function").
_CURRENT: ContextVar[Catalogue] = ContextVar("mcalc_catalogue", default=BUILT_IN)


def current() -> Catalogue:
    return _CURRENT.get()


@contextmanager
def using(catalogue: Catalogue) -> Iterator[Catalogue]:
    """`catalogue` is the current one for the `with` block (in this thread or task only)."""
    token = _CURRENT.set(catalogue)
    try:
        yield catalogue
    finally:
        _CURRENT.reset(token)


@contextmanager
def registered(entry: Function) -> Iterator[Function]:
    """The current catalogue extended by `entry` for a `with` block (tests)."""
    with using(current().extended((entry,))):
        yield entry


def lookup(spelling: str) -> Function | None:
    """The function a word names in the current catalogue (`ln` → log, `asin` → arcsin), or None."""
    return _CURRENT.get().lookup(spelling)


def get(name: str) -> Function:
    """The entry of a function name as it appears in trees (KeyError if there is none)."""
    return _CURRENT.get().get(name)


def entries() -> tuple[Function, ...]:
    """Every entry of the current catalogue, in catalogue order (declared ones last)."""
    return _CURRENT.get().entries()


def spellings() -> frozenset[str]:
    return _CURRENT.get().spellings()
