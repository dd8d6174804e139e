"""A claim's verdict: which of LABELS, the explanation, and how it was decided. Data only: the CLI and
the API present it."""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import Any

from mcalc.records import Record, record


class Outcome(StrEnum):
    """What a claim was found to be. A string enum: JSON and text print its value."""

    CORRECT = "correct"
    LAYOUT = "layout"  # correct in the other layout convention
    COOKBOOK = "cookbook"  # correct in the Matrix Cookbook's convention for a symmetric variable
    FACTOR = "factor"  # a constant, or a scalar expression such as det(X)
    MISSING_TERM = "missing-term"
    EXTRA_TERM = "extra-term"
    WRONG_SHAPE = "wrong-shape"
    WRONG_LAYOUT = "wrong-layout"
    WRONG = "wrong"

    def __repr__(self) -> str:
        return repr(self.value)  # `(False, 'missing-term')` in a REPL, as the JSON writes it


LABELS = {
    Outcome.CORRECT: "correct",
    Outcome.LAYOUT: "correct up to layout",
    Outcome.COOKBOOK: "correct in the Matrix Cookbook's convention",
    Outcome.FACTOR: "wrong (factor)",
    Outcome.MISSING_TERM: "wrong (missing term)",
    Outcome.EXTRA_TERM: "wrong (extra term)",
    Outcome.WRONG_SHAPE: "wrong (shape)",
    Outcome.WRONG_LAYOUT: "wrong (layout)",
    Outcome.WRONG: "wrong",
}
RIGHT = frozenset({Outcome.CORRECT, Outcome.LAYOUT, Outcome.COOKBOOK})  # the outcomes that accept the claim


@record
class Verdict(Record):
    verdict: Outcome
    explanation: str
    method: str  # symbolic | numeric
    expected: str
    claim: str = ""
    shape: str = ""
    claim_shape: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    points: int = 0
    sizes: dict[str, list[int]] = field(default_factory=dict)
    dims: list[str | int] = field(default_factory=list)  # `shape` as JSON gives it: [] scalar, [m] column
    claim_dims: list[str | int] = field(default_factory=list)
    # how the expression was read where a reader could take it otherwise (F(x) as a product, 1 as 𝟙, c a
    # scalar by use): the warnings `mcalc diff` prints for the same expression
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict in RIGHT

    def __bool__(self) -> bool:
        """`assert mcalc.check_claim(...)` passes only a right claim (a dataclass was always true)."""
        return self.ok

    def __str__(self) -> str:
        return self.line()

    def __repr__(self) -> str:
        return f"<Verdict {self.line()}>"

    def _repr_latex_(self) -> str:
        """Jupyter shows the one-line sentence (its text escaped for LaTeX), not a dataclass dump."""
        return rf"$\text{{{_latex_text(self.line())}}}$"

    @property
    def label(self) -> str:
        return LABELS[self.verdict]

    def method_text(self) -> str:
        if self.method == "symbolic":
            return "symbolic"
        sizes = ", ".join(f"{k}={'/'.join(map(str, v))}" for k, v in self.sizes.items())
        return f"numeric: {self.points} random points" + (f", sizes {sizes}" if sizes else "")

    def line(self) -> str:
        return f"{self.label}: {self.explanation} [{self.method_text()}]"

    def to_json(self, expr: str, var: str | list[str], claim: str) -> dict[str, Any]:
        out = self._json(expr, var, claim)
        if self.warnings:
            out["warnings"] = self.warnings
        return out

    def _json(self, expr: str, var: str | list[str], claim: str) -> dict[str, Any]:
        return {
            "expression": expr,
            "wrt": var,
            "claim": claim,
            "verdict": self.verdict,
            "correct": self.ok,
            "label": self.label,
            "explanation": self.explanation,
            "method": self.method,
            "expected": self.expected,
            "claim_simplified": self.claim,
            "shape": self.dims,
            "claim_shape": self.claim_dims,
            "display_shape": self.shape,
            "claim_display_shape": self.claim_shape,
            "details": self.details,
            "points": self.points,
            "sizes": self.sizes,
        }


def _latex_text(text: str) -> str:
    """Plain text inside LaTeX's \\text{}: its special characters escaped."""
    for ch, escaped in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("_", r"\_"), ("^", r"\^{}"),
                        ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#")):  # fmt: skip
        text = text.replace(ch, escaped)
    return text
