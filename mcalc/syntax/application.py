"""Application notation is never silently a product (README § How mcalc reads a name, "A name before a
parenthesis").

An undeclared name written directly before `(` (no space: `F(x)`, `f(x)`, `λ_max(S)`) that is not a
function mcalc knows, not declared with --function / --elementwise, and not the `A(t)` function of a scalar
parameter, looks like a function applied to its argument. Read as the product it parses to, it answers
another question (`f(x)ᵀ g(x)` by x was 2fgx). The rule:

    lowercase name (f, g, σ, λ_max)   refused: one line naming --function f, and `f (x)` / `f*(x)` for a product
    a name with a known meaning        refused: what it means and the mcalc spelling (σ: sigmoid, λ_max: not yet)
    uppercase name (F, A, Φ)           the product, with a warning naming --function F and `F (x)`

A name is a variable, and the product is read without a word, when it is declared (--scalar, --vector,
--matrix, --symmetric, --shape), has an --at value, is a --wrt variable or a --let name, or is also written
elsewhere in the expression not before a parenthesis (`x^T x(x^T x)`). A space or `*` before the
parenthesis (`F (x)`, `F*(x)`) is a product as written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from mcalc.errors import ParseError, Span
from mcalc.records import Record, record
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node


@record(frozen=True, slots=True)
class Applied(Record):
    """A name written directly before a parenthesis, as the parser met it."""

    name: str
    name_span: Span
    text: str  # `F(x)`: the name and its parenthesis, as typed
    argument: str  # `x`: what the parentheses hold


# Names whose meaning is known: refused with what they mean and how mcalc spells it, never read as a
# product (a hint to declare one a scalar would answer d(λ·S)/dS). λ_max, σ_max, ... are functions of the
# catalogue (mcalc.syntax.spectral): a bare λ names none of them, so the fix lists them.
_EIGEN = "write λ_max(S), λ_min(S) or eig(S) (all the eigenvalues, ascending)"
# name → (what it means, the fix): the error reads `λ is not a function mcalc knows at col 1: …`
MEANINGS = {
    "λ": ("an eigenvalue", _EIGEN),
    "σ": ("", "write sigmoid(…) for the logistic function; σ (x) with a space, or σ*(x), is a product with σ"),
}

# Greek letters by their spelled names (the lexer reads `phi` as φ unless phi is a declared function)
_SPELLED = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi",
    "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma",
    "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}  # fmt: skip


def function_spelling(name: str) -> str | None:
    """The name `--function` takes for `name` (Latin letters, then digits), or None when it has none."""
    head, digits = name.rstrip("0123456789"), name[len(name.rstrip("0123456789")) :]
    latin = _SPELLED.get(head, head)
    return latin + digits if latin.isascii() and latin.isalpha() else None


def judge(applied: Iterable[Applied], tree: Node, variables: frozenset[str]) -> list[str]:
    """The warnings for the names written before a parenthesis that are read as products; raises
    ParseError (one line, at the name) for one that is refused. `variables`: the names known as variables
    (declared, --at, --wrt, --let)."""
    applied = list(applied)
    if not applied:
        return []
    written = Counter(n.name for n in _symbols(tree))
    before_paren = Counter(a.name for a in applied)
    warnings: list[str] = []
    seen: set[str] = set()
    for a in applied:
        if a.name in seen or a.name in variables or written[a.name] > before_paren[a.name]:
            continue
        seen.add(a.name)
        if a.name in MEANINGS:
            meaning, fix = MEANINGS[a.name]
            said = f"{a.text} ({meaning})" if meaning else a.text
            raise ParseError(f"{a.name} is not a function mcalc knows: {said}; {fix}", a.name_span)
        if a.name[:1].islower():
            raise ParseError(_refusal(a, variables), a.name_span)
        warnings.append(_product_warning(a, variables))
    return warnings


def _declare(name: str) -> str:
    latin = function_spelling(name)
    return f"--function {latin}" if latin is not None else "a function under a Latin name (--function f)"


def _refusal(a: Applied, variables: frozenset[str]) -> str:
    latin = function_spelling(a.name)
    spelled = "" if latin in (None, a.name) else f" and write {latin}({a.argument})"
    return (
        f"{a.name} is not a function mcalc knows: {a.text} reads as {a.name} applied to {a.argument}; "
        f"declare it, {_declare(a.name)}{spelled} (a scalar function of its argument){_parameter(a, variables)}; "
        f"for a product write {a.name} ({a.argument}) with a space, or {a.name}*({a.argument})"
    )


def _product_warning(a: Applied, variables: frozenset[str]) -> str:
    return (
        f"{a.text} is read as the product {a.name} ({a.argument}); to apply a function {a.name} to "
        f"{a.argument}, declare {_declare(a.name)}{_parameter(a, variables)}; write {a.name} ({a.argument}) "
        "with a space for the product without this warning"
    )


def _parameter(a: Applied, variables: frozenset[str]) -> str:
    """`A(s)`: the contract's function of a scalar parameter, A(t), for another parameter name (not for
    an argument that is a variable already: `F(x)` by x)."""
    single = a.argument.strip()
    if len(single) == 1 and single.isalpha() and single not in variables:
        return f"; for {a.name} a function of the scalar {single}, --scalar {single}"
    return ""


def _symbols(tree: Node) -> list[N.Symbol]:
    found: list[N.Symbol] = []
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, N.Symbol):
            found.append(n)
        stack.extend(n.children())
    return found
