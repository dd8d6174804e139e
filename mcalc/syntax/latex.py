"""LaTeX spellings of what mcalc already reads, read as that (issue 23 item 8): students copy from LaTeX
sources. `x^\\top A x`, `\\mathrm{tr}(X)`, `\\operatorname{tr}`, `\\det X`, `\\log\\det X`, `A \\otimes B`,
`x \\odot y`, `x \\circ y`, `x \\cdot y`, `\\frac{1}{2} x^T x`, `\\sqrt{x^T x}`, `\\|x\\|_2^2`, `\\alpha`,
`\\mathbf{x}`, `\\mathbf{1}` (𝟙), `\\left( … \\right)`, and the spacing commands `\\, \\; \\! \\:`.

A command not in these tables keeps its one-line refusal naming the mcalc spelling (mcalc.syntax.habits).
The lexer asks here when it meets a backslash; nothing here runs for input without one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

# command → the tokens it stands for: (the lexer's token kind, by its name in `Tok`; the text, as mcalc's own
# spelling). Names, not the enum: the lexer imports this module, so this one cannot import the lexer.
TOKENS: dict[str, tuple[tuple[str, str], ...]] = {
    "top": (("TRANSPOSE", "⊤"),),
    "intercal": (("TRANSPOSE", "⊤"),),
    "otimes": (("KRON", "⊗"),),
    "odot": (("HADAMARD", "⊙"),),
    "circ": (("HADAMARD", "⊙"),),
    "cdot": (("STAR", "·"),),
    "|": (("NORM", "‖"),),
    "Vert": (("NORM", "‖"),),
    "lVert": (("NORM", "‖"),),
    "rVert": (("NORM", "‖"),),
    "left": (),  # \left( … \right): the parenthesis that follows is the one read
    "right": (),
    "big": (),
    "Big": (),
    "bigl": (),
    "bigr": (),
}
# \det, \log, \exp, \sin, \tanh, \ln, \tr, ...: a function word after the backslash is that function
# (also the ones LaTeX has no command for, such as \tr, which some course notes define)

# \mathrm{tr}, \operatorname{logdet}, \mathbf{x}, \boldsymbol{\theta}: the braced word read as itself
WRAPPERS = frozenset({"mathrm", "operatorname", "mathbf", "boldsymbol", "bm", "mathit", "text", "textrm", "mathbb"})
SPACING = frozenset(",;:!")  # \, \; \: \!: spacing, read as a space (not `\ `: A \ b is Matlab's division)

_COMMAND = re.compile(r"\\([A-Za-z]+|\|)")
_BRACED = re.compile(r"\{\s*(\\?[A-Za-z]+|1)\s*\}")


def braced_group(src: str, i: int) -> int | None:
    """The index of the `}` closing the `{` at i (braces nested), or None."""
    if i >= len(src) or src[i] != "{":
        return None
    depth = 0
    for k in range(i, len(src)):
        depth += {"{": 1, "}": -1}.get(src[k], 0)
        if depth == 0:
            return k
    return None


def command(src: str, i: int) -> tuple[str, int] | None:
    """The command at the backslash at i (its name, its end), or None for a backslash not followed by one."""
    hit = _COMMAND.match(src, i)
    return (hit.group(1), hit.end()) if hit else None


def wrapped(
    src: str, end: int, is_function: Callable[[str], bool], greek: Mapping[str, str]
) -> tuple[tuple[str, str], int] | None:
    """`\\mathrm{tr}`, `\\mathbf{x}`, `\\mathbf{1}` (from `end`, after the command): the token the braced word
    stands for (a kind's name, "WORD" or "NAME", and its text) and the end of the group; None when it is not
    one word mcalc reads."""
    hit = _BRACED.match(src, end)
    if hit is None:
        return None
    word = hit.group(1).removeprefix("\\")
    if word == "1":
        return ("WORD", "ones"), hit.end()
    if is_function(word):
        return ("WORD", word), hit.end()
    if word in greek:
        return ("NAME", greek[word]), hit.end()
    if len(word) == 1:
        return ("NAME", word), hit.end()
    return None
