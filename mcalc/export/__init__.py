"""Code generators: an answer as program source, one module per backend behind one interface.

`SOURCES` is the table from an output format to its writer, `(result, layout, batch line) → source`: NumPy
(`numpy_code`, with `numpy_expr` for expressions and `numpy_tensor` for einsum terms) writes the layout-free
value, the same numbers as `--at`; SymPy (`sympy_expr`) writes matrix expressions in the layout asked for.
`python_names` gives every backend legal, non-shadowing identifiers. JAX and PyTorch are NumPy's writer
with their own tables of spellings (`backends`): the same three functions, pure and traceable. Each writer
imports its module when called: `mcalc diff` loads none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mcalc.view import Format, Layout

if TYPE_CHECKING:
    from mcalc.pipeline import Result


def _numpy_source(result: Result, layout: Layout, line: int | None) -> str:
    from mcalc.export.numpy_code import render_numpy

    return render_numpy(result, line)  # the layout-free value: the same numbers as --at, whatever the layout


def _array_source(backend: str) -> Callable[[Result, Layout, int | None], str]:
    def source(result: Result, layout: Layout, line: int | None) -> str:
        from mcalc.export.backends import BACKENDS
        from mcalc.export.numpy_code import render_code

        return render_code(result, line, BACKENDS[backend])  # layout-free, as NumPy's

    return source


def _sympy_source(result: Result, layout: Layout, line: int | None) -> str:
    from mcalc.export.sympy_expr import sympy_source

    return sympy_source(result, layout, "derivative" if line is None else f"derivative_{line}")


# The formats whose answer is program source, each under its format's name in the payload; a batch line's
# functions carry its number.
SOURCES: dict[Format, Callable[[Result, Layout, int | None], str]] = {
    Format.NUMPY: _numpy_source,
    Format.SYMPY: _sympy_source,
    Format.JAX: _array_source("jax"),
    Format.TORCH: _array_source("torch"),
}
