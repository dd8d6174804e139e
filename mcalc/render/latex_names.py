"""Two names that LaTeX would print the same are printed apart (issue 26).

LaTeX subscripts the digits after a name's letter, as books write W₁ and x₀: `W1` is `W_{1}`. But `W_1` is
`W_{1}` too, and mcalc reads `W1` and `W_1` as two different names (`W₁` is `W_1`), so an answer holding
both printed a false equation: `\\frac{\\partial}{\\partial x_{0}} (x_{0}^{\\top} x_{0}) = x_{0}` for
∂/∂x0 (x0ᵀ x_0) = x_0. The rule: within one answer that holds both, the name typed without `_` is printed
as typed, one italic word, `\\mathit{x0}` (`\\mathit{\\theta 0}` for θ0), and the one typed with `_` keeps
its subscript, `x_{0}`. An answer with only one of them prints it subscripted, as before.

Text and ASCII print names as typed (x0, x_0), and the code formats give each name its own identifier
(mcalc.export.python_names), so only LaTeX needs this. Which names share a spelling is known only from the
whole answer, so the answer's names are set for the `with` block that prints it (`apart`), in this thread or
task only, as `spelling.spelled` sets ASCII.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# the names printed as typed in the answer being printed
_AS_TYPED: ContextVar[frozenset[str]] = ContextVar("mcalc_latex_as_typed", default=frozenset())


def _twin(name: str) -> str | None:
    """`x0` → `x_0`, `θ12` → `θ_12`: the name LaTeX prints the same; None for any other name."""
    digits = name[1:]
    return f"{name[0]}_{digits}" if digits.isascii() and digits.isdigit() else None


def as_typed(names: Iterable[str]) -> frozenset[str]:
    """The names of `names` whose twin is there too."""
    given = frozenset(names)
    return frozenset(n for n in given if _twin(n) in given)


@contextmanager
def apart(names: Iterable[str]) -> Iterator[None]:
    """LaTeX printed in the `with` block tells `names` apart (each name of the answer, variables and lets)."""
    token = _AS_TYPED.set(as_typed(names))
    try:
        yield
    finally:
        _AS_TYPED.reset(token)


def typed(name: str, greek: dict[str, str]) -> str | None:
    """`\\mathit{x0}` when `name` is printed as typed in this answer, else None (`greek`: θ → \\theta)."""
    if name not in _AS_TYPED.get():
        return None
    head = greek.get(name[0])
    return f"\\mathit{{{name}}}" if head is None else f"\\mathit{{{head} {name[1:]}}}"


__all__ = ["apart", "as_typed", "typed"]
