"""`mcalc check --layout numerator|denominator` and `check_claim(..., layout=...)`: strict verdicts in that
layout (the transpose of the derivative is `wrong-layout`, exit 1); without it, `correct up to layout` stays.
And `diff --layout`: the left-hand label says when the layout shows the transpose (∂/∂xᵀ, ∂(Ax)ᵀ/∂x).

What a strict verdict calls correct is checked numerically: the claim, evaluated by `mcalc eval`, against
central differences of independent numpy code, arranged in the layout asked for."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference, seeded

import mcalc

# expression, wrt, claim right in numerator layout, claim right in denominator layout
CASES = [
    ("x^T A x", "x", "x^T (A + A^T)", "(A + A^T) x"),  # gradient: a row in numerator layout
    ("tr(X A)", "X", "A", "A^T"),  # a square gradient: both shapes fit, only one is right
    ("A x", "x", "A", "A^T"),  # a Jacobian: numerator layout is mcalc's own
    ("sin(x)", "x", "diag(cos(x))", "diag(cos(x))"),  # symmetric: right in both
]


@pytest.mark.parametrize(("expr", "wrt", "numerator", "denominator"), CASES)
def test_strict_verdicts_in_each_layout(expr: str, wrt: str, numerator: str, denominator: str) -> None:
    for layout, right, other in (("numerator", numerator, denominator), ("denominator", denominator, numerator)):
        v = mcalc.check_claim(expr, wrt, right, layout=layout)
        assert (v.verdict, v.ok) == ("correct", True), (layout, right, v.explanation)
        if other != right:
            w = mcalc.check_claim(expr, wrt, other, layout=layout)
            assert (w.verdict, w.ok) == ("wrong-layout", False), (layout, other, w.explanation)
            assert f"not in the {layout} layout asked for" in w.explanation
            assert mcalc.check_claim(expr, wrt, other).verdict in ("layout", "correct")  # lenient as before


def _point(rng: np.random.Generator) -> dict[str, Any]:
    return {"x": rng.standard_normal(3), "A": rng.standard_normal((3, 3)), "X": rng.standard_normal((3, 3))}


ORACLES = {
    "x^T A x": lambda v: v["x"] @ v["A"] @ v["x"],
    "tr(X A)": lambda v: np.trace(v["X"] @ v["A"]),
    "A x": lambda v: v["A"] @ v["x"],
    "sin(x)": lambda v: np.sin(v["x"]),
}


@pytest.mark.parametrize(("expr", "wrt", "numerator", "denominator"), CASES)
def test_what_a_strict_layout_calls_correct_is_that_layouts_derivative(
    expr: str, wrt: str, numerator: str, denominator: str
) -> None:
    """Layout-free partials ∂f[i…]/∂x[k…] from numpy; numerator layout puts f's index on the rows (a gradient
    becomes a row), denominator layout the variable's."""
    values = _point(np.random.default_rng(seeded(expr, "layout")))
    partials = finite_difference(ORACLES[expr], values, [wrt])
    scalar_f = np.ndim(ORACLES[expr](values)) == 0
    num = partials.reshape(1, -1) if scalar_f and partials.ndim == 1 else partials.T if scalar_f else partials
    den = partials.reshape(-1, 1) if partials.ndim == 1 else partials if scalar_f else partials.T
    for claim, expected in ((numerator, num), (denominator, den)):
        at = [
            a
            for name in ("x", "A", "X")
            if name in expr
            for a in ("--at", f"{name}={json.dumps(values[name].tolist())}")
        ]
        run = cli("eval", claim, *at, "--format", "json")
        assert run.code == 0, run.stderr
        got = np.asarray(run.json["value"], dtype=float)
        got = got.reshape(expected.shape) if got.size == expected.size and got.ndim < 2 else got
        assert_close(got, expected, what=f"{claim} for {expr}")


def test_the_cli_flag_exits_1_on_the_other_layout_and_0_without_it() -> None:
    args = ("check", "x^T A x", "--wrt", "x", "--claim", "(A + A^T) x")
    assert cli(*args).code == 0
    assert cli(*args, "--layout", "denominator").code == 0
    strict = cli(*args, "--layout", "numerator", "--format", "json")
    assert strict.code == 1
    assert strict.json["verdict"] == "wrong-layout" and strict.json["label"] == "wrong (layout)"
    assert strict.json["details"] == {"layout": "numerator", "right_in": "denominator"}
    assert "wrong (layout)" in cli(*args, "--layout", "numerator").stdout
    bad = cli(*args, "--layout", "mixed")
    assert bad.code == 2 and "numerator" in bad.stderr


def test_a_homework_sheet_takes_the_layout(tmp_path: Any) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("x^T A x ; x ; x^T (A + A^T)\ntr(X A) ; X ; A^T\n", encoding="utf-8")
    run = cli("check", "--file", str(sheet), "--layout", "numerator", "--format", "json")
    verdicts = [json.loads(line)["verdict"] for line in run.stdout.splitlines() if line.strip()]
    assert verdicts == ["correct", "wrong-layout"] and run.code == 1


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["x^T A x", "--wrt", "x", "--layout", "numerator"], "∂/∂xᵀ (xᵀAx) = "),
        (["x^T A x", "--wrt", "x", "--layout", "denominator"], "∂/∂x (xᵀAx) = "),
        (["A x", "--wrt", "x", "--layout", "denominator"], "∂(Ax)ᵀ/∂x = "),
        (["A x", "--wrt", "x", "--layout", "numerator"], "∂(Ax)/∂x = "),
        (["R^T R", "--wrt", "R", "--layout", "denominator"], "∂vec(RᵀR)ᵀ/∂vec(R) = "),
        (["x t", "--wrt", "t", "--scalar", "t", "--layout", "denominator"], "d/dt (xt)ᵀ = "),
    ],
)
def test_the_diff_label_follows_the_layout(args: list[str], label: str) -> None:
    run = cli("diff", *args, "--format", "json")
    assert run.json["equation"].startswith(label), run.json["equation"]
    assert cli("diff", *args).stdout.startswith(label)


def test_the_latex_label_follows_the_layout() -> None:
    run = cli("diff", "A x", "--wrt", "x", "--layout", "denominator", "--format", "latex")
    assert run.stdout.strip() == r"\frac{\partial (A x)^{\top}}{\partial x} = A^{\top}"
    d = mcalc.diff("x^T A x", "x", layout="numerator")
    assert d.equation.startswith("∂/∂xᵀ") and r"\partial x^{\top}" in d.equation_latex
