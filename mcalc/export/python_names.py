"""Python identifiers for mcalc names in exported code (`--format numpy`, `--format sympy`, `to_function()`).

An mcalc name is not always a legal or harmless Python name: λ is spelled `lambda` (a keyword), a variable
`f` would shadow the exported function `f`, a dimension `--shape x=if` or `x=S` would be the keyword `if` or
SymPy's `S`. Every exporter asks `identifiers` for the names it writes, once per module, with the names
that module itself uses (`reserved`); the answer is one identifier per name, legal, no keyword, soft
keyword or builtin, none of the reserved ones, and different for different names: the name as spelled
when it is free, else with `_` appended until it is (`lambda` → `lambda_`, and `lambda__` when a
`lambda_` is there too).
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

# Never a variable of exported code: keywords (`lambda`), soft keywords (`match`, `type`, `_`) and builtins
# (`sum`, `max`, `print`; the code calls some of them: sum, range, int, round, float)
PYTHON_WORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))

# The names the NumPy, JAX and PyTorch modules define or use besides their variables: the libraries (np, jnp,
# torch), the three functions (with a batch's line number: f_3, grad_3, f_and_grad_3), their locals (value,
# out, temporaries _t1, _t2, …) and helpers (_sigmoid, _gram, _dt, …: every name with a leading underscore),
# and `math`. One set for all three, so that a variable has the same parameter name in every export.
_NUMPY_RESERVED = re.compile(
    r"(np|numpy|jnp|jax|torch|math|value|out|f|grad|jacobian|hessian|derivative"
    r"|f_and_(grad|jacobian|hessian|derivative))(_\d+)?"
    r"|_\w*"
)


def numpy_reserved(name: str) -> bool:
    """A name the generated NumPy module uses itself."""
    return _NUMPY_RESERVED.fullmatch(name) is not None


def spelled(name: str) -> str:
    """`λ` → `lambda`, `Φ_1` → `Phi_1`: Greek letters spelled out, as `--wrt theta` reads them."""
    from mcalc.syntax.lexer import GREEK

    letters = {v: k for k, v in GREEK.items()}
    return "".join(letters.get(ch, ch) for ch in name)


def identifiers(names: Mapping[K, str], reserved: Callable[[str], bool]) -> dict[K, str]:
    """Each key's identifier, from its preferred spelling `names[key]` (earlier keys win a shared spelling).

    Legal (`isidentifier`, and NFKC-normal: Python reads `ﬁ` as `fi`), not in PYTHON_WORDS, not `reserved`,
    and one per key: the spelling itself when it is free, else the spelling with `_` appended until free."""
    wanted = {key: _legal(text) for key, text in names.items()}
    out: dict[K, str] = {}
    kept: set[str] = set()
    for key, text in wanted.items():
        if text not in kept and not _forbidden(text, reserved):
            out[key] = text
            kept.add(text)
    taken = kept | set(wanted.values())  # a renamed name never takes another's own spelling
    for key, text in wanted.items():
        if key in out:
            continue
        text += "_"
        while text in taken or _forbidden(text, reserved):
            text += "_"
        out[key] = text
        taken.add(text)
    return out


def why(spelling: str, reserved: Callable[[str], bool]) -> str:
    """Why `spelling` was not kept: for the line of a docstring or comment that names the renamed."""
    if keyword.iskeyword(spelling) or keyword.issoftkeyword(spelling):
        return f"{spelling} is a Python keyword"
    if spelling in PYTHON_WORDS:
        return f"{spelling} is a Python builtin"
    if reserved(spelling):
        return f"{spelling} is a name the exported code uses"
    return f"{spelling} is another name's"


def _forbidden(text: str, reserved: Callable[[str], bool]) -> bool:
    return text in PYTHON_WORDS or reserved(text)


def _legal(text: str) -> str:
    """`A′(t)` → `A__t_`: a character that cannot be in an identifier is `_`; a letter first (a leading `_`
    is the exported code's own)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if ("a" + ch).isidentifier() else "_" for ch in text)
    return text if text[:1].isidentifier() and text[:1] != "_" else "v" + text


__all__ = ["PYTHON_WORDS", "identifiers", "numpy_reserved", "spelled", "why"]
