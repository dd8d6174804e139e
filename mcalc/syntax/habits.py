"""Spellings from other notations (LaTeX, Matlab, numpy modules, equations), refused with one line that
names the mcalc spelling: never read as something else. The lexer asks here when it meets `\\`, `=` or a
`.` after a module name (`np.exp`).

    x^\\top A x       LaTeX \\top is not mcalc syntax: write x^T (or xᵀ)
    A\\b              Matlab's left division A\\b is not mcalc syntax: write A^-1 b (or inv(A) b)
    y = softmax(x)   an equation is not an expression: write its right-hand side ...
    np.exp(x)        np.exp is not mcalc syntax: write exp(x)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

# LaTeX command → how mcalc spells it (a Greek letter's name is also its mcalc spelling: \alpha → alpha)
LATEX = {
    "frac": "(a)/(b)", "dfrac": "(a)/(b)", "tfrac": "(a)/(b)", "top": "x^T (or xᵀ)", "intercal": "x^T (or xᵀ)",
    "T": "x^T (or xᵀ)", "|": "||x|| (or ‖x‖)", "Vert": "||x|| (or ‖x‖)", "lVert": "||x||", "rVert": "||x||",
    "cdot": "* or a space", "times": "* or a space", "odot": ".* (or ⊙)", "circ": ".* (or ⊙)",
    "otimes": "kron(A, B) (or ⊗)", "left": "plain parentheses ( )", "right": "plain parentheses ( )",
    "sqrt": "sqrt(x)", "sum": "sum(x)", "log": "log(x)", "ln": "log(x)", "exp": "exp(x)", "det": "det(X)",
    "tr": "tr(X)", "operatorname": "the function's name, tr(X)", "mathrm": "the plain name",
    "mathbf": "the plain name (x, A)", "boldsymbol": "the plain name (x, A)", "bm": "the plain name (x, A)",
    "nabla": "mcalc diff EXPR --wrt x for a gradient", "partial": "mcalc diff EXPR --wrt x for a derivative",
    "mathbb": "𝟙 or ones for a vector of ones", "mathbf1": "ones",
}  # fmt: skip

MODULES = ("np", "numpy", "jnp", "torch", "tf", "math", "scipy", "sp", "la", "linalg")

_COMMAND = re.compile(r"\\([A-Za-z]+|\|)")
_MODULE = re.compile(r"(?:^|(?<=[^A-Za-z0-9_]))(" + "|".join(MODULES) + r")$")
_AFTER = re.compile(r"\.(?:[A-Za-z_][A-Za-z0-9_]*\.)*([A-Za-z_][A-Za-z0-9_]*)")  # np.linalg.inv: inv


def backslash(src: str, i: int, after_operand: bool, greek: Mapping[str, str]) -> tuple[str, int]:
    """The message and end of what a `\\` at i begins: a LaTeX command (`greek`: the lexer's letter names),
    or Matlab's left division A\\b."""
    hit = _COMMAND.match(src, i)
    word = hit.group(1) if hit else ""
    end = hit.end() if hit else i + 1
    if word in LATEX:
        return f"LaTeX \\{word} is not mcalc syntax: write {LATEX[word]}", end
    if word in greek:
        return f"LaTeX \\{word} is not mcalc syntax: write {word} (or {greek[word]})", end
    if after_operand:
        return "Matlab's left division A\\b is not mcalc syntax: write A^-1 b (or inv(A) b)", i + 1
    if word:
        return f"LaTeX \\{word} is not mcalc syntax: write plain text (x^T A x, tr(X), (a)/(b), alpha)", end
    return "unexpected character '\\': mcalc reads plain text (x^T A x), not LaTeX", i + 1


_SUM_START = re.compile(r"_\{\s*[A-Za-z]\s*$")


def equation(src: str, i: int) -> str:
    """An `=` where an expression is expected: the start of a sum over an index not from 0 (`∑_{i=1}^{n}`,
    read only as mcalc prints it), or an equation (`y = f(x)`, `f(x) = ...`)."""
    if _SUM_START.search(src[:i]):
        return (
            "a sum over an index starts at 0: write it as mcalc prints it, ∑_{r=0}^{k−1} …; "
            "for the sum of a vector's entries write sum(x)"
        )
    return (
        "an equation is not an expression: write only its right-hand side (f(x) for y = f(x)); "
        'name an intermediate with --let "e = y - X w"'
    )


def module_prefix(src: str, i: int, is_function: Callable[[str], bool]) -> tuple[str, int, int] | None:
    """`np.exp(x)`, `torch.tanh`: a module's function written with its module (message, start, end); None
    for another `.`."""
    before = _MODULE.search(src[:i])
    after = _AFTER.match(src, i)
    if before is None or after is None:
        return None
    name = after.group(1)
    fix = f"write {name}(…)" if is_function(name) else "write the function by its mcalc name (mcalc identities)"
    return f"{src[before.start(1) : after.end()]} is not mcalc syntax: {fix}", before.start(1), after.end()


# Function names from numpy, MATLAB, PyTorch and LaTeX → how mcalc writes what they mean: an unknown
# function's hint is chosen here by meaning before any spelling distance (edit distance offered `det` for
# dot, `softmax` for max and `tan` for mean).
_NOT_BUILT = "is not a function mcalc knows yet"
FUNCTION_MEANINGS = {
    "dot": "write the inner product a^T b (aᵀb)",
    "inner": "write the inner product a^T b (aᵀb)",
    "vdot": "write the inner product a^T b (aᵀb)",
    "outer": "write the outer product a b^T (abᵀ)",
    "matmul": "write the product A B (or A*B)",
    "mm": "write the product A B (or A*B)",
    "mul": "write the product A B, or x .* y entry by entry",
    "multiply": "write x .* y (⊙) for the entrywise product",
    "hadamard": "write x .* y (⊙) for the entrywise product",
    "mean": "write sum(x)/n for the mean of x's n entries, and declare --scalar n",
    "avg": "write sum(x)/n for the mean of x's n entries, and declare --scalar n",
    "average": "write sum(x)/n for the mean of x's n entries, and declare --scalar n",
    "max": f"max {_NOT_BUILT}: relu(x) is max(x, 0) entry by entry, logsumexp(x) a smooth maximum",
    "min": f"min {_NOT_BUILT}: -relu(-x) is min(x, 0) entry by entry, -logsumexp(-x) a smooth minimum",
    "maximum": f"maximum {_NOT_BUILT}: relu(x) is max(x, 0) entry by entry",
    "minimum": f"minimum {_NOT_BUILT}: -relu(-x) is min(x, 0) entry by entry",
    "argmax": f"argmax {_NOT_BUILT} (it has no derivative); softmax(x) is its smooth version",
    "amax": f"amax {_NOT_BUILT}: logsumexp(x) is a smooth maximum",
    "square": "write x.^2 for the entrywise square, x^T x for the squared length",
    "power": "write x.^p for an entrywise power, X^k for a matrix power",
    "pow": "write x.^p for an entrywise power, X^k for a matrix power",
    "transpose": "write A^T (or Aᵀ, A')",
    "inverse": "write inv(A) or A^-1",
    "determinant": "write det(A)",
    "frob": "write norm2(A) (the Frobenius norm, ||A||_F)",
    "fro": "write norm2(A) (the Frobenius norm, ||A||_F)",
    "frobenius": "write norm2(A) (the Frobenius norm, ||A||_F)",
    "vecnorm": "write norm2(x) (or ||x||)",
    "trace": "write tr(A)",
    "diagonal": "write diag(A)",
    "logistic": "write sigmoid(x)",
    "expit": "write sigmoid(x)",
    "softplus": "write log(1 + exp(x))",
    "logdeterminant": "write logdet(A)",
    "slogdet": "write logdet(A) (log det A for a positive determinant)",
    "log2": "write log(x)/log(2)",
    "log10": "write log(x)/log(10)",
    "log1p": "write log(1 + x)",
    "expm1": "write exp(x) - 1",
    "eigvals": "write eig(A) for the eigenvalues (ascending), λ_max(A) / λ_min(A) for the extreme ones",
    "eigh": "write eig(A) for the eigenvalues (ascending), eigvec_max(A) / eigvec_min(A) for unit eigenvectors",
    "norm_nuc": "write ||A||_* for the nuclear norm (the sum of the singular values)",
    "sgn": "write abs(x) for |x| (its derivative is sign(x))",
    "norm2sq": "write x^T x or ||x||^2",
    "sumsq": "write x^T x or ||x||^2",
}


# the hints that can be said with the call's own arguments: dot(u, v) → u^T v
_WITH_ARGUMENTS = {
    ("dot", 2): "write the inner product {p0}^T {p1}",
    ("inner", 2): "write the inner product {p0}^T {p1}",
    ("vdot", 2): "write the inner product {p0}^T {p1}",
    ("outer", 2): "write the outer product {p0} {p1}^T",
    ("mean", 1): "write sum({0})/n for the mean of the n entries of {0}, and declare --scalar n",
    ("avg", 1): "write sum({0})/n for the mean of the n entries of {0}, and declare --scalar n",
    ("average", 1): "write sum({0})/n for the mean of the n entries of {0}, and declare --scalar n",
}


def function_hint(word: str, arguments: list[str] | None = None) -> str | None:
    """The hint for an unknown function `word` chosen by what it means (with the call's `arguments` where
    the table can say it with them: dot(u, v) → u^T v), or None when the table has none."""
    key = word.lower()
    said = _WITH_ARGUMENTS.get((key, len(arguments or ())))
    if said is not None and arguments and all(a and len(a) <= 40 for a in arguments):
        wrapped = {f"p{k}": a if a.replace("_", "").isalnum() else f"({a})" for k, a in enumerate(arguments)}
        return said.format(*arguments, **wrapped)
    return FUNCTION_MEANINGS.get(key)


def call_arguments(src: str, j: int) -> list[str] | None:
    """The arguments of the call whose `(` is at j, split at top-level commas, or None when it is not closed."""
    depth, start, out = 0, j + 1, []
    for k in range(j, min(len(src), j + 200)):
        depth += {"(": 1, ")": -1}.get(src[k], 0)
        if src[k] == "," and depth == 1:
            out.append(src[start:k].strip())
            start = k + 1
        if depth == 0:
            return [*out, src[start:k].strip()]
    return None


# A run of letters that starts with a function's name (`trAB`, `detX`, `logdetS`) is a product of one-letter
# names by the contract (ABA^TC), but not what its writer meant: refused with the function applied.
def glued_function(word: str, is_function: Callable[[str], bool]) -> tuple[str, str] | None:
    """(the function, the rest) when `word` is a function name of 2 or more letters glued to a matrix name
    (an uppercase letter: trAB, detX); the longest such name (`logdetS` is logdet, S), or None. Lowercase
    letters after one stay a product (`try` is t·r·y, as typed in tests of exported names)."""
    for k in range(len(word) - 1, 1, -1):
        if word[k].isupper() and is_function(word[:k]):
            return word[:k], word[k:]
    return None


_DERIVATIVE = re.compile(
    r"\s*([d∂])\s*/\s*([d∂])\s*([A-Za-z\u0391-\u03a9\u03b1-\u03c9](?:_?[A-Za-z0-9]*)?)(?:\s+|(?=[(\[])|$)(.*)", re.S
)


def derivative_prefix(src: str) -> tuple[str, int] | None:
    """`d/dx EXPR`, `∂/∂x EXPR`: a derivative typed as the expression (the message and the end of the
    d/dx), or None. mcalc takes the variable as --wrt."""
    hit = _DERIVATIVE.match(src)
    if hit is None or hit.group(1) != hit.group(2):
        return None
    var, rest = hit.group(3), hit.group(4).strip()
    expr = f'"{rest}"' if rest else "EXPR"
    return (
        f"{src[hit.start(1) : hit.end(3)]} is not mcalc syntax: run mcalc diff {expr} --wrt {var}",
        hit.end(3),
    )


def bars(src: str, i: int, before: str) -> tuple[str, int, int]:
    """A single `|` at i (a norm is `||`): `|X|` (a determinant or an absolute value) or `log|X|` (the log of
    one), refused with both mcalc spellings (message, start, end); `before` is the function word just
    before it, if any."""
    close = src.find("|", i + 1)
    inner = src[i + 1 : close].strip() if close > i + 1 else ""
    if not inner:
        return "unexpected '|': write a norm as ||x|| or ‖x‖, an absolute value as abs(x)", i, i + 1
    head = src.rfind(before, 0, i) if before else -1
    start = head if head >= 0 else i
    written = src[start : close + 1]
    matrix = inner[:1].isupper()
    if before in ("log", "ln"):
        fix = (
            f"write logdet({inner}) for log det {inner} (a positive determinant), or log(abs(det({inner}))) for "
            f"the log of |det {inner}|"
            if matrix
            else f"write log(abs({inner}))"
        )
    else:
        fix = (
            f"write det({inner}) for the determinant, abs({inner}) for absolute values entry by entry"
            if matrix
            else f"write abs({inner}) for the absolute value, ||{inner}|| for the length"
        )
    return f"{written} is not mcalc syntax: {fix}", start, close + 1
