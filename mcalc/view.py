"""How an answer is shown: its layout and its output format. On mcalc.records alone (value semantics),
below every other layer: the pipeline, the renderers, the CLI and the API all name these values.

The spellings (`mixed`, `latex`, ...) are the CLI contract's (/work/shared/CONTRACT.md): typer offers each
enum's values as the option's choices.
"""

from __future__ import annotations

import enum

from mcalc.records import Record, record


class Layout(enum.StrEnum):
    """The orientation of a matrix-notation result (the numeric value never depends on it)."""

    MIXED = "mixed"
    NUMERATOR = "numerator"
    DENOMINATOR = "denominator"


class Format(enum.StrEnum):
    """`--format`: what a command prints. No format (None) is rich text on a terminal, plain text otherwise."""

    TEXT = "text"
    LATEX = "latex"
    JSON = "json"
    NUMPY = "numpy"
    INDEX = "index"
    VEC = "vec"
    SYMPY = "sympy"
    JAX = "jax"
    TORCH = "torch"


class Part(enum.StrEnum):
    """The parts of a derivative's answer a format may show (mcalc.answers.SHOWS): only those are written out."""

    TEXT = "text"  # `derivative`, `equation`, the `where` form, the operators' lines, the shape line
    LATEX = "latex"  # `latex`, `equation_latex`, and theirs
    INDEX = "index"  # index notation (a tensor, or --format index)
    INDEX_LATEX = "index_latex"
    VEC = "vec"  # the vec form (a tensor, or --format vec)


@record(frozen=True)
class View(Record):
    """One answer's presentation: everything a renderer needs besides the answer itself."""

    layout: Layout
    format: Format | None
