"""Student spellings read as what they mean (issue 23 item 8): LaTeX copied from a source (`x^\\top`,
`\\mathrm{tr}`, `\\operatorname{tr}`, `\\det`, `\\log\\det`, `\\otimes`, `\\odot`, `\\circ`, `\\frac{1}{2}`,
`\\|x\\|_2^2`, `\\alpha`), a PDF's curly quote and primes (`x’`, `x′`, `A″`), and `d/dx EXPR` answered with the
`mcalc diff` spelling. Each LaTeX input gives the same derivative as its mcalc spelling, and a few values are
compared with finite differences of independent numpy code."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference, seeded


def answer(expr: str, *args: str) -> dict[str, Any]:
    run = cli("diff", expr, *args, "--format", "json")
    assert run.code == 0, run
    obj: dict[str, Any] = json.loads(run.stdout)
    return obj


@pytest.mark.parametrize(
    ("latex", "plain", "wrt"),
    [
        ("x^\\top A x", "x^T A x", "x"),
        ("x^{\\top} A x", "x^T A x", "x"),
        ("x^\\intercal A x", "x^T A x", "x"),
        ("\\mathrm{tr}(A X)", "tr(A X)", "X"),
        ("\\operatorname{tr}(A X^{-1})", "tr(A X^-1)", "X"),
        ("\\operatorname{logdet}(X)", "logdet(X)", "X"),
        ("\\det X", "det(X)", "X"),
        ("\\det(X)", "det(X)", "X"),
        ("\\log\\det X", "log det X", "X"),
        ("\\log \\det(X) + \\mathrm{tr}(X^{-1} S)", "logdet(X) + tr(X^-1 S)", "X"),
        ("A \\otimes X", "kron(A, X)", "X"),
        ("a^T (X \\odot B) c", "a^T (X .* B) c", "X"),
        ("a^T (X \\circ B) c", "a^T (X .* B) c", "X"),
        ("a^T X \\cdot b", "a^T X * b", "X"),
        ("\\frac{1}{2} x^T A x", "1/2 x^T A x", "x"),
        ("\\frac{x^T A x}{2}", "(x^T A x)/2", "x"),
        ("\\frac{1}{2}\\|A x - b\\|_2^2", "1/2 ||A x - b||_2^2", "x"),
        ("\\|x\\|^2", "||x||^2", "x"),
        ("\\sqrt{x^T x}", "sqrt(x^T x)", "x"),
        ("\\alpha x^T x", "alpha x^T x", "x"),
        ("\\lambda \\|\\theta\\|^2", "lambda ||theta||^2", "θ"),
        ("\\mathbf{a}^\\top \\mathbf{x}", "a^T x", "x"),
        ("\\mathbf{1}^\\top X \\mathbf{1}", "ones^T X ones", "X"),
        ("\\exp(a^T x)", "exp(a^T x)", "x"),
        ("\\left( A + B \\right) x", "(A + B) x", "x"),
        ("x^T\\,A\\,x", "x^T A x", "x"),
        ("x’ A x", "x' A x", "x"),
        ("x′ A x", "x' A x", "x"),
        ("x^T A’’ x", "x^T A'' x", "x"),
        ("A′(t) B(t)", "A'(t) B(t)", "t"),
        ("A″(t)", "A''(t)", "t"),
    ],
)
def test_a_latex_or_pdf_spelling_reads_as_its_mcalc_spelling(latex: str, plain: str, wrt: str) -> None:
    assert answer(latex, "--wrt", wrt)["derivative"] == answer(plain, "--wrt", wrt)["derivative"]


def test_values_of_latex_input_against_numpy() -> None:
    rng = np.random.default_rng(seeded("latex input"))
    a, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    x = rng.normal(size=3)
    at = [
        "--at",
        f"A={json.dumps(a.tolist())}",
        "--at",
        f"b={json.dumps(b.tolist())}",
        "--at",
        f"x={json.dumps(x.tolist())}",
    ]
    obj = answer("\\frac{1}{2}\\|A x - b\\|_2^2 + x^\\top x", "--wrt", "x", *at)

    def f(v: dict[str, Any]) -> Any:
        r = v["A"] @ v["x"] - v["b"]
        return 0.5 * r @ r + v["x"] @ v["x"]

    assert_close(obj["value"], finite_difference(f, {"A": a, "b": b, "x": x}, ["x"]), what="latex least squares")
    m = rng.normal(size=(3, 3))
    s = m @ m.T + 3 * np.eye(3)
    c = rng.normal(size=(3, 3))
    at = ["--at", f"X={json.dumps(s.tolist())}", "--at", f"C={json.dumps(c.tolist())}"]
    obj = answer("\\log\\det X - \\operatorname{tr}(C X^{-1})", "--wrt", "X", *at)
    expected = finite_difference(
        lambda v: np.linalg.slogdet(v["X"])[1] - np.trace(v["C"] @ np.linalg.inv(v["X"])), {"X": s, "C": c}, ["X"]
    )
    assert_close(obj["value"], expected, what="latex logdet")


@pytest.mark.parametrize(
    ("expr", "col", "says"),
    [
        ("d/dx x^T A x", 1, 'd/dx is not mcalc syntax at col 1: run mcalc diff "x^T A x" --wrt x'),
        ("∂/∂x (x^T A x)", 1, 'run mcalc diff "(x^T A x)" --wrt x'),
        ("d/dθ ||y - Phi θ||^2", 1, "--wrt θ"),
        ("  d/dt(A(t) B(t))", 3, 'run mcalc diff "(A(t) B(t))" --wrt t'),
        ("d/dx", 1, "run mcalc diff EXPR --wrt x"),
        ("x^T ∂x", 5, "for a derivative run mcalc diff EXPR --wrt x"),
        ("\\frac12 x", 1, "write (a)/(b)"),
        ("\\foo x", 1, "write plain text"),
        ("A \\ b", 3, "Matlab's left division"),
    ],
)
def test_a_derivative_typed_in_the_expression_names_the_command(expr: str, col: int, says: str) -> None:
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 2 and run.stdout == "" and run.stderr.count("\n") == 1, run
    assert f"at col {col}" in run.stderr and says in run.stderr, run.stderr


@pytest.mark.parametrize("expr", ["d^T x", "d / 2", "x^T D x"])
def test_a_name_d_is_still_a_name(expr: str) -> None:
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 0, run
