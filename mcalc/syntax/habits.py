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
