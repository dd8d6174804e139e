"""A claim's verdict: which of LABELS, the explanation, and how it was decided. Data only: the CLI and
the API present it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcalc.records import Record

LABELS = {
    "correct": "correct",
    "layout": "correct up to layout",
    "factor": "wrong (factor)",  # a constant, or a scalar expression such as det(X)
    "missing-term": "wrong (missing term)",
    "extra-term": "wrong (extra term)",
    "wrong-shape": "wrong (shape)",
    "wrong-layout": "wrong (layout)",
    "wrong": "wrong",
}


@dataclass(eq=False, repr=False)
class Verdict(Record):
    verdict: str  # one of LABELS
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

    @property
    def ok(self) -> bool:
        return self.verdict in ("correct", "layout")

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
