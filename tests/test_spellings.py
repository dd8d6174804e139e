"""Issue 13: what people type, read the way they mean it.

A table of spellings from textbooks, the Matrix Cookbook, ML papers, MATLAB and numpy habits. Each is
either answered, and then its `--at` value equals central finite differences of independent numpy code
that spells out the meaning intended (so an answer to another question, a vector c where a scalar was
meant, 1e-3 read as e − 3, cannot pass), or refused with exit 2 and one line that names the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import check_numeric, cli


@dataclass(frozen=True)
class Meaning:
    expr: str
    wrt: str
    numpy: str  # the intended meaning, in numpy
    args: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    kinds: tuple[tuple[str, str], ...] = ()  # (name, kind) that the reading must report


@dataclass(frozen=True)
class Refusal:
    expr: str
    wrt: str
    says: str  # a fragment of the one-line error, naming the problem or the fix


MEANINGS = [
    # numbers in every common spelling
    Meaning("||y - X w||^2 + 1e-3 ||w||^2", "w", "np.sum((y - X @ w) ** 2) + 1e-3 * np.sum(w ** 2)"),
    Meaning("2.5E+2 x^T x", "x", "250 * x @ x"),
    Meaning("0.5e-2 x^T A x", "x", "0.005 * x @ A @ x"),
    Meaning("1E3 sum(x)", "x", "1000 * np.sum(x)"),
    Meaning(".5 x^T x", "x", "0.5 * x @ x"),
    Meaning("x^T x / 2", "x", "x @ x / 2"),
    Meaning("1/2 ||W x - t||^2", "W", "0.5 * np.sum((W @ x - t) ** 2)"),
    Meaning("(1/2) x^T A x", "x", "0.5 * x @ A @ x"),
    # sized identities
    Meaning("x^T eye(3) x", "x", "x @ np.eye(3) @ x"),
    Meaning("x^T I_3 x", "x", "x @ np.eye(3) @ x"),
    Meaning("tr(A + I_n)", "A", "np.trace(A + np.eye(A.shape[0]))"),
    Meaning("x^T eye x", "x", "x @ x"),
    Meaning("x^T (A + I) x", "x", "x @ (A + np.eye(len(x))) @ x"),
    # vectors of ones
    Meaning("1^T x", "x", "np.sum(x)"),
    Meaning("1ᵀx", "x", "np.sum(x)"),
    Meaning("𝟙ᵀ x", "x", "np.sum(x)"),
    Meaning("ones^T x", "x", "np.sum(x)"),
    Meaning("ones' * x", "x", "np.sum(x)"),
    Meaning("1^T exp(x)", "x", "np.sum(np.exp(x))"),
    Meaning("1^T (A x)", "x", "np.sum(A @ x)"),
    # functions written without parentheses take the product that follows
    Meaning("log det X + tr X^-1 S", "X", "np.log(np.linalg.det(X)) + np.trace(np.linalg.inv(X) @ S)"),
    Meaning("tr A^T B", "A", "np.trace(A.T @ B)"),
    Meaning("ln det(X)", "X", "np.log(np.linalg.det(X))"),
    Meaning("log det X", "X", "np.log(np.linalg.det(X))"),
    Meaning("sum(ln(x))", "x", "np.sum(np.log(x))", positive=("x",)),
    Meaning("tr X^-1 S", "S", "np.trace(np.linalg.inv(X) @ S)"),
    Meaning("det X", "X", "np.linalg.det(X)"),
    Meaning("tr(A) + tr B", "B", "np.trace(A) + np.trace(B)"),
    # a lowercase name's kind: a vector where it is used as one, a scalar where it only scales
    Meaning("x'*A*x + b'*x + c", "x", "x @ A @ x + b @ x + c", kinds=(("c", "scalar"), ("b", "vector"))),
    Meaning("x'*A*x + b'*x + c", "c", "x @ A @ x + b @ x + c", kinds=(("c", "scalar"),)),
    Meaning("alpha x^T x", "x", "α * x @ x", kinds=(("α", "scalar"),)),
    Meaning("λ ||w||^2 + ||y - X w||^2", "w", "λ * np.sum(w ** 2) + np.sum((y - X @ w) ** 2)"),
    Meaning("c^2 x^T A x", "c", "c ** 2 * x @ A @ x", kinds=(("c", "scalar"),)),
    Meaning("a^T x + b", "x", "a @ x + b", kinds=(("b", "scalar"),)),
    Meaning("beta ||x||^2", "x", "β * np.sum(x ** 2)"),
    Meaning("(x - mu)^T S (x - mu)", "mu", "(x - μ) @ S @ (x - μ)", kinds=(("μ", "vector"),)),
    Meaning("exp(x)", "x", "np.exp(x)", kinds=(("x", "vector"),)),
    Meaning("2 x", "x", "2 * x", kinds=(("x", "vector"),)),
    Meaning("x + 1", "x", "x + 1", kinds=(("x", "vector"),)),
    Meaning("c x^T x", "x", "c * x @ x", args=("--scalar", "c")),
    # symbols from books
    Meaning("½ x^T x", "x", "0.5 * x @ x"),
    Meaning("x^⊤ A x", "x", "x @ A @ x"),
    Meaning("x⊤ A x", "x", "x @ A @ x"),
    Meaning("∑(exp(x))", "x", "np.sum(np.exp(x))"),
    Meaning("√(x^T x)", "x", "np.sqrt(x @ x)"),
    Meaning("Σ x", "x", "Σ @ x"),  # Σ is a name (a covariance), never a sum
    # MATLAB habits
    Meaning("x'*A*x", "x", "x @ A @ x"),
    Meaning("A*B", "A", "A @ B"),
    Meaning("x'*y", "y", "x @ y"),
    Meaning("sum(x.^2)", "x", "np.sum(x ** 2)"),
    Meaning("x .* y", "x", "x * y"),
    Meaning("x ./ y", "y", "x / y", positive=("y",)),
    Meaning("inv(X)*b", "b", "np.linalg.inv(X) @ b"),
    # textbook and Cookbook spellings
    Meaning("a^T X^{-1} b", "X", "a @ np.linalg.inv(X) @ b"),
    Meaning("a^T X⁻¹ b", "X", "a @ np.linalg.inv(X) @ b"),
    Meaning("aᵀXb", "X", "a @ X @ b"),
    Meaning("tr(A X^T)", "X", "np.trace(A @ X.T)"),
    Meaning("exp(-x^T x)", "x", "np.exp(-x @ x)"),
    Meaning("sigmoid(w^T x)", "w", "1 / (1 + np.exp(-w @ x))"),
    Meaning("θ^T θ", "θ", "θ @ θ"),
    Meaning("theta^T Phi^T Phi theta", "theta", "θ @ Φ.T @ Φ @ θ"),
    Meaning("tr(diag(x) A)", "x", "np.trace(np.diag(x) @ A)"),
    Meaning("x^T A^2 x", "x", "x @ A @ A @ x"),
    Meaning("X^-T", "X", "np.linalg.inv(X).T"),
    # norms as written
    Meaning("||x||_2", "x", "np.linalg.norm(x)"),
    Meaning("||x||_1", "x", "np.sum(np.abs(x))"),
    Meaning("||A||_F^2", "A", "np.sum(A ** 2)"),
    Meaning("‖A‖_F", "A", "np.sqrt(np.sum(A ** 2))"),
    Meaning("norm(x)", "x", "np.linalg.norm(x)"),
    Meaning("||x||^2", "x", "x @ x"),
    # of a matrix, ‖A‖₂ is the spectral norm (issue 24), ‖A‖_* the nuclear norm
    Meaning("||A||_2", "A", "np.linalg.norm(A, 2)"),
    Meaning("||A||_*", "A", "np.linalg.norm(A, 'nuc')"),
    # derivatives of functions of t, ASCII primes
    Meaning("A(t)^T A(t)", "t", "A(t).T @ A(t)"),
]

REFUSALS = [
    Refusal("||A||_1", "A", "induced 1-norm"),
    Refusal("||A||_inf", "A", "induced ∞-norm"),
    Refusal("||x||_inf", "x", "not supported"),
    Refusal("0^-1 x", "x", "division by zero"),
    Refusal("0⁻¹ x", "x", "division by zero"),
    Refusal("x.T @ A @ x", "x", "write x^T"),
    Refusal("A @ x", "x", "write A x"),
    Refusal("x**2", "x", "write x^2"),
    Refusal("x^2", "x", "x.^2"),
    Refusal("1e999 x", "x", "exponent too large"),
    Refusal("eye(0)", "x", "positive integer"),
    Refusal("|x|", "x", "abs(x)"),
    Refusal("tr(x)", "x", "square"),
    Refusal("x y", "x", "dimension mismatch"),
    Refusal("c x", "x", "declare it a scalar: --scalar c"),
    Refusal("Tr(A B)", "A", "did you mean tr?"),
    Refusal("x^T A x / x^T x", "x", "in parentheses: / (x^T x)"),
    Refusal("a^T x / b^T x + 1", "x", "in parentheses: / (b^T x)"),  # the user's own denominator, to its term's end
    Refusal("(x^T A x / x^T x^-1) + 1", "x", "in parentheses: / (x^T x^-1)"),
    Refusal("a^T x / b^T e - c", "x", "in parentheses: / (b^T e)"),  # e a name: its term ends at the minus
    Refusal("a^T x / b^T 1e-3 x + c", "x", "in parentheses: / (b^T 1e-3 x)"),
    Refusal("2/x", "x", "divide entrywise with ./"),
    Refusal("max(x)", "x", "unknown function 'max'"),
]


@pytest.mark.parametrize("m", MEANINGS, ids=lambda m: f"{m.expr} ; {m.wrt}")
def test_a_spelling_means_what_people_mean(m: Meaning, tmp_path: Path, rng: np.random.Generator) -> None:
    value = check_numeric(
        m.expr, [m.wrt], m.numpy, tmp_path, rng, extra_args=m.args, positive=m.positive, allow_zero=True
    )
    assert np.all(np.isfinite(value))
    if m.kinds:
        out = cli("diff", m.expr, "--wrt", m.wrt, *m.args, "--format", "json")
        reading = out.json["reading"]
        for name, kind in m.kinds:
            assert reading[name]["kind"] == kind, (m.expr, name, reading)


@pytest.mark.parametrize("r", REFUSALS, ids=lambda r: r.expr)
def test_a_spelling_mcalc_cannot_read_as_meant_is_refused_in_one_line(r: Refusal) -> None:
    out = cli("diff", r.expr, "--wrt", r.wrt)
    assert out.code == 2, (r.expr, out.stdout)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert r.says in lines[0], lines[0]


def test_the_table_has_at_least_sixty_spellings() -> None:
    assert len(MEANINGS) + len(REFUSALS) >= 60


@pytest.mark.parametrize(
    ("args", "warning"),
    [
        (
            ("diff", "tr(A B)", "--wrt", "a"),
            "a does not occur in the expression: the derivative is 0 (did you mean A?)",
        ),
        (("diff", "tr(A Α)", "--wrt", "A"), "Greek capital alpha"),
        (("diff", "log det X + tr X^-1 S", "--wrt", "X"), "read tr X^-1 S as tr(X^-1 S)"),
        (("diff", "c x^T x", "--wrt", "x"), "c is read as a scalar"),
        (("eval", "x^T x", "--at", "x=[[1,2],[3,4]]"), "x is read as a matrix from its --at value"),
        (("diff", "x'(s) y", "--wrt", "x"), "--scalar s"),
    ],
)
def test_a_reading_that_could_be_a_mistake_is_warned(args: tuple[str, ...], warning: str) -> None:
    """On stderr for text; in `warnings` for JSON (and nowhere on stdout for text)."""
    text = cli(*args)
    assert text.code == 0, text.stderr
    assert any(line.startswith("warning: ") and warning in line for line in text.stderr.splitlines()), text.stderr
    assert "warning" not in text.stdout
    as_json = cli(*args, "--format", "json")
    assert any(warning in w for w in as_json.json["warnings"]), as_json.json


def test_the_reading_line_names_every_variable_with_its_kind() -> None:
    out = cli("diff", "x'*A*x + b'*x + c", "--wrt", "x", "--format", "text")
    assert out.stdout.splitlines()[-1] == "read: x vector (m); A matrix (m×m); b vector (m); c scalar, by use"


def test_issue_13_item_2_eye_3_is_the_3_by_3_identity() -> None:
    """`mcalc eval "x^T eye(3) x" --at x='[1,1]'` printed 6.0 (3·I); eye(3) is I₃, so x must have 3 entries."""
    wrong = cli("eval", "x^T eye(3) x", "--at", "x=[1,1]")
    assert wrong.code == 2 and "x" in wrong.stderr, (wrong.stdout, wrong.stderr)
    right = cli("eval", "x^T eye(3) x", "--at", "x=[1,2,3]", "--format", "json")
    assert right.code == 0 and right.json["value"] == 14.0


def test_issue_13_item_3_the_ascii_prime_of_exercise_5_24_is_a_derivative() -> None:
    out = cli("check", "A(t) B(t)", "--wrt", "t", "--claim", "A'(t) B(t) + A(t) B'(t)")
    assert out.code == 0 and out.stdout.startswith("correct"), (out.stdout, out.stderr)
    wrong = cli("check", "A(t) B(t)", "--wrt", "t", "--claim", "A'(t) B(t)")
    assert wrong.code == 1, (wrong.stdout, wrong.stderr)
