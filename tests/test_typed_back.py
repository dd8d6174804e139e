"""What mcalc prints reads back as input (the round trip) for the forms issue 17 added, and what users of
other notations type is refused with one line naming the mcalc spelling.

A derivative through a declared function prints `Aᵀ ∇f(Ax)` or `Xᵀ g′(Xw)` (ASCII `grad_f`, `g'`); a
claim typed that way was refused ("unexpected character '∇'"). Each printed form is evaluated by `mcalc
eval` with a formula for f or g and compared with independent numpy code of the concrete gradient.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference

RNG = np.random.default_rng(1717)
X, w = RNG.normal(size=(4, 3)), RNG.normal(size=3)
AT = ["--at", f"X={json.dumps(X.tolist())}", "--at", f"w={json.dumps(w.tolist())}"]


@pytest.mark.parametrize(
    ("claim", "decl", "expected"),
    [
        ("X^T ∇f(X w)", ["--function", "f(u) = sum(exp(u))"], X.T @ np.exp(X @ w)),
        ("X^T grad_f(X w)", ["--function", "f(u) = sum(exp(u))"], X.T @ np.exp(X @ w)),
        ("X^T g'(X w)", ["--elementwise", "g(t) = sin(t)"], X.T @ np.cos(X @ w)),
        ("X^T g′(X w)", ["--elementwise", "g(t) = sin(t)"], X.T @ np.cos(X @ w)),
        ("X^T (g''(X w) .* (X w))", ["--elementwise", "g(t) = sin(t)"], X.T @ (-np.sin(X @ w) * (X @ w))),
        ("X^T (g″(X w) .* (X w))", ["--elementwise", "g(t) = sin(t)"], X.T @ (-np.sin(X @ w) * (X @ w))),
    ],
)
def test_a_printed_gradient_of_a_declared_function_reads_back(claim: str, decl: list[str], expected: object) -> None:
    run = cli("eval", claim, *decl, *AT, "--format", "json")
    assert run.code == 0, run.stderr
    assert_close(run.json["value"], expected, what=claim)


@pytest.mark.parametrize(
    ("expr", "decl", "wrt", "claim"),
    [
        ("f(X w)", ["--function", "f"], ["w"], "X^T ∇f(X w)"),
        ("f(X w)", ["--function", "f"], ["w"], "X^T grad_f(X w)"),
        ("sum(g(X w))", ["--elementwise", "g"], ["w"], "X^T g'(X w)"),
        ("sum(g(X w))", ["--elementwise", "g"], ["w", "w"], "X^T diag(g″(X w)) X"),
    ],
)
def test_a_claim_through_an_abstract_function_is_read(expr: str, decl: list[str], wrt: list[str], claim: str) -> None:
    args = [a for v in wrt for a in ("--wrt", v)]
    printed = cli("diff", expr, *decl, *args, "--ascii")
    assert printed.code == 0, printed.stderr
    for spelled in (claim, printed.stdout.splitlines()[0].split(" = ", 1)[1]):
        run = cli("check", expr, *decl, *args, "--claim", spelled)
        assert run.code == 0 and run.stdout.startswith("correct"), (spelled, run.stdout, run.stderr)


def test_a_prime_on_a_declared_scalar_function_names_its_gradient_spelling() -> None:
    run = cli("check", "f(A x)", "--function", "f", "--wrt", "x", "--claim", "A^T f'(A x)")
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "f is a --function: its gradient is written ∇f(…) or grad_f(…)" in run.stderr, run.stderr


def test_a_nabla_before_anything_but_a_declared_function_is_one_line_naming_diff() -> None:
    run = cli("diff", "∇(x^T A x)", "--wrt", "x")
    assert run.code == 2 and run.stderr.count("\n") == 1
    assert "mcalc diff EXPR --wrt x" in run.stderr and "col 1" in run.stderr


@pytest.mark.parametrize(
    ("expr", "col", "fix"),
    [
        ("A\\b", 2, "write A^-1 b"),
        ("A \\ b", 3, "write A^-1 b"),
        ("\\frac12 x^T A x", 1, "write (a)/(b)"),  # LaTeX read as what it means: tests/test_latex_input.py
        ("\\sqrt x", 1, "write sqrt(x)"),
        ("\\mathbf{xy}", 1, "write the plain name (x, A)"),
        ("\\foo x", 1, "write plain text"),
        ("y = softmax(W x)", 3, "write only its right-hand side"),
        ("f(x) = x^T A x", 6, "write only its right-hand side"),
        ("∑_{i=1}^{n} x_i", 5, "a sum over an index starts at 0"),
        ("sum_{i = 1}^n x_i", 8, "write it as mcalc prints it, ∑_{r=0}^{k−1}"),
        ("np.exp(x)", 1, "write exp(…)"),
        ("sum(np.log(x))", 5, "write log(…)"),
        ("torch.tanh(W x)", 1, "write tanh(…)"),
        ("np.linalg.inv(A)", 1, "write inv(…)"),
    ],
)
def test_latex_matlab_numpy_and_equations_are_one_line_naming_the_mcalc_spelling(expr: str, col: int, fix: str) -> None:
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert f"at col {col}" in run.stderr and fix in run.stderr, run.stderr


def test_the_spellings_next_to_the_refused_ones_still_read(rng: np.random.Generator) -> None:
    """x.^2, 1.5 x and a matrix product are not taken for numpy's or Matlab's spellings."""
    x = rng.normal(size=3)
    at = ["--at", f"x={json.dumps(x.tolist())}", "--format", "json"]
    run = cli("diff", "sum(x.^2) + 1.5 x^T x", "--wrt", "x", *at)
    assert run.code == 0, run.stderr
    assert_close(run.json["value"], 2 * x + 3 * x, what="sum(x.^2) + 1.5 x^T x")


SHEET = """\
f(A x) ; x ; A^T ∇f(A x) ; --function f
sum(g(X w)) ; w ; X^T g'(X w) ; --elementwise g
sum(g(X w)) ; w ; X^T cos(X w) ; --elementwise "g(t) = sin(t)"
sum(g(X w)) ; w ; X^T sin(X w) ; --elementwise "g(t) = sin(t)"
L ; theta ; -2 Phi^T e ; --let "e = y - Phi theta" --let "L = e^T e"
L ; theta ; 2 Phi^T e ; --let "e = y - Phi theta" --let "L = e^T e"
"""


def test_a_sheet_line_may_declare_functions_and_lets(tmp_path: Any) -> None:
    """A sheet line's fourth field takes the command line's --function, --elementwise and --let (they were
    'unknown option'); a line's function is gone on the next line."""
    sheet = tmp_path / "sheet.txt"
    sheet.write_text(SHEET + "f(A x) ; x ; A^T ∇f(A x)\n", encoding="utf-8")
    run = cli("check", "--file", str(sheet), "--format", "json")
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    verdicts = [r.get("verdict", "error") for r in rows]
    assert verdicts == ["correct", "correct", "correct", "wrong", "correct", "factor", "error"], rows
    assert run.code == 2


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("x · y", "for the inner product write x^T y"),
        ("x ⋅ y", "for the inner product write x^T y"),
        ("x×y", "× is not mcalc syntax at col 2: write A B or A*B"),
        ("sigma(W x)", "write sigmoid(…) for the logistic function"),
        ("σ(W x)", "write sigmoid(…) for the logistic function"),
    ],
)
def test_a_dot_a_cross_and_sigma_name_what_was_meant(expr: str, says: str) -> None:
    run = cli("diff", expr, "--wrt", "x" if "W" not in expr else "W")
    assert run.code == 2 and run.stderr.count("\n") == 1 and says in run.stderr, run.stderr


def test_the_dot_operator_is_a_product_like_the_middle_dot(rng: np.random.Generator) -> None:
    x, A = rng.normal(size=3), rng.normal(size=(3, 3))
    at = ["--at", f"x={json.dumps(x.tolist())}", "--at", f"A={json.dumps(A.tolist())}", "--format", "json"]
    run = cli("diff", "x^T ⋅ A ⋅ x", "--wrt", "x", *at)
    assert run.code == 0, run.stderr
    assert_close(run.json["value"], (A + A.T) @ x, what="x^T ⋅ A ⋅ x")


@pytest.mark.parametrize(
    ("expr", "ascii_flag"), [("a^T X^k b", []), ("a^T X^k b", ["--ascii"]), ("X^k", []), ("X^k", ["--ascii"])]
)
def test_a_printed_sum_over_an_index_reads_back(expr: str, ascii_flag: list[str]) -> None:
    """∑_{r=0}^{k−1} … (ASCII sum_{r=0}^{k-1} …), as mcalc prints the derivatives of Xᵏ, was refused as input
    ("unexpected character '='"): the round trip. Its value by mcalc eval equals numpy's central differences,
    and as a claim it is correct."""
    rng = np.random.default_rng(9)
    X, a, b = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3)
    values = {"X": X, "a": a, "b": b, "k": np.array(3.0)}
    at = [x for n, v in values.items() if n in expr for x in ("--at", f"{n}={json.dumps(v.tolist())}")]
    run = cli("diff", expr, "--wrt", "X", "--scalar", "k", *at, "--format", "json", *ascii_flag)
    assert run.code == 0, run.stderr
    printed = run.json["derivative"]
    assert printed.startswith(("∑_{r=0}^{k−1}", "sum_{r=0}^{k-1}")), printed
    oracle = (lambda v: v["a"] @ np.linalg.matrix_power(v["X"], 3) @ v["b"]) if "a" in expr else None
    again = cli("eval", printed, "--scalar", "k", *at, "--format", "json")
    assert again.code == 0, again.stderr
    if oracle is not None:
        assert_close(again.json["value"], finite_difference(oracle, values, ["X"]), what=printed)
    else:  # the vec form: the Jacobian of vec(X³), as numpy's central differences arranged column-major
        fd = finite_difference(lambda v: np.linalg.matrix_power(v["X"], 3), values, ["X"])
        assert_close(again.json["value"], fd.reshape(9, 9, order="F"), what=printed)
    claim = cli("check", expr, "--wrt", "X", "--scalar", "k", "--claim", printed)
    assert claim.code == 0 and claim.stdout.startswith("correct"), claim.stdout + claim.stderr
