"""mcalc: a matrix-calculus calculator, on the command line and from Python.

    >>> import mcalc
    >>> mcalc.diff("x^T A x", "x").text
    '(A + Aᵀ)x'

`diff`, `check_claim` and `Derivative` come from `mcalc.api` on first use, so `import mcalc` (and with it
`mcalc --help` and every TAB completion) loads neither the engine nor numpy nor sympy.
"""

from __future__ import annotations

# isort: off
import mcalc.interrupt  # noqa: F401 - first: Ctrl-C during the imports below exits 130 without a traceback

# isort: on
from typing import TYPE_CHECKING, Any

from mcalc.errors import (
    InputError,
    MathError,
    McalcError,
    NoRuleError,
    ParseError,
    ShapeError,
    UnknownNameError,
)

if TYPE_CHECKING:
    from mcalc.api import Derivative, check_claim, diff
    from mcalc.claims.verdict import Verdict

__version__ = "0.1.0"

__all__ = [
    "Derivative",
    "InputError",
    "MathError",
    "McalcError",
    "NoRuleError",
    "ParseError",
    "ShapeError",
    "UnknownNameError",
    "Verdict",
    "check_claim",
    "diff",
]

_LAZY = {"diff": "mcalc.api", "check_claim": "mcalc.api", "Derivative": "mcalc.api", "Verdict": "mcalc.api"}


def __getattr__(name: str) -> Any:
    """PEP 562: the API's names, imported when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mcalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
