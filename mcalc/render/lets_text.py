"""The `--let` lines of text and LaTeX output, from the JSON payload (no engine import: the console
renders from data)."""

from __future__ import annotations

from typing import Any


def let_lines(payload: dict[str, Any], latex: bool = False) -> list[str]:
    """`let: e = y − Φθ (vector of length m)` for text; `e = y - \\Phi \\theta` for LaTeX."""
    lets: dict[str, dict[str, Any]] = payload.get("let", {})
    if latex:
        return [item["equation_latex"] for item in lets.values()]
    return [f"let: {item['equation']} ({shape_words(item['shape'])})" for item in lets.values()]


def shape_words(shape: list[str | int]) -> str:
    if not shape:
        return "scalar"
    if len(shape) == 1:
        return f"vector of length {shape[0]}"
    return "×".join(str(d) for d in shape)
