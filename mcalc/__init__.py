"""mcalc: a matrix-calculus calculator, on the command line and from Python.

    >>> import mcalc
    >>> mcalc.diff("x^T A x", "x").text
    '(A + Aᵀ)x'

`Session`, `diff`, `check_claim` and the answers come from `mcalc.api` on first use, so `import mcalc` (and
with it `mcalc --help` and every TAB completion) loads neither the engine nor numpy nor sympy. `__all__` is
the public API, and `dir(mcalc)` shows it and nothing else.
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
    OutOfMemory,
    ParseError,
    ReadingWarning,
    ShapeError,
    UnknownNameError,
)

if TYPE_CHECKING:
    from mcalc.api import Derivative, Outcome, Session, ShapeAnswer, Verdict, check_claim, diff

__version__ = "0.1.0"

__all__ = [
    "Derivative",
    "InputError",
    "MathError",
    "McalcError",
    "NoRuleError",
    "Outcome",
    "OutOfMemory",
    "ParseError",
    "ReadingWarning",
    "Session",
    "ShapeAnswer",
    "ShapeError",
    "UnknownNameError",
    "Verdict",
    "__version__",
    "check_claim",
    "diff",
]

_LAZY = frozenset({"Derivative", "Outcome", "Session", "ShapeAnswer", "Verdict", "check_claim", "diff"})


def __getattr__(name: str) -> Any:
    """PEP 562: the API's names, imported when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module("mcalc.api"), name)
    raise AttributeError(f"module 'mcalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API only: not the imports and helpers a module's namespace also holds."""
    return sorted(__all__)
