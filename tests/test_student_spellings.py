"""What students type, answered with the fix (issue 23 item 8): suggestions chosen by meaning (a table of
numpy, MATLAB and LaTeX names, mcalc/syntax/habits.py) before spelling distance, a function's name glued
to its argument (`trAB`), and no nonsense example (`foo(x)` said "such as a b (x)")."""

from __future__ import annotations

import pytest
from helpers import cli


def refusal(expr: str, wrt: str = "x") -> str:
    run = cli("diff", expr, "--wrt", wrt)
    assert run.code == 2 and run.stdout == "" and run.stderr.count("\n") == 1, run
    return run.stderr


@pytest.mark.parametrize(
    ("expr", "says", "never"),
    [
        ("dot(a, b)", "write the inner product a^T b", "det"),
        ("inner(a, x)", "write the inner product a^T x", "det"),
        ("dot(W x, y)", "write the inner product (W x)^T y", "det"),
        ("outer(u, v)", "write the outer product u v^T", "did you mean"),
        ("mean(x)", "write sum(x)/n for the mean of the n entries of x, and declare --scalar n", "tan"),
        ("mean(A x)", "write sum(A x)/n for the mean of the n entries of A x", "tan"),
        ("max(x)", "relu(x) is max(x, 0) entry by entry, logsumexp(x) a smooth maximum", "softmax"),
        ("min(x)", "-relu(-x) is min(x, 0)", "sin"),
        ("argmax(x)", "it has no derivative", "did you mean"),
        ("matmul(A, x)", "write the product A B", "did you mean"),
        ("expit(x)", "write sigmoid(x)", "exp?"),
        ("log2(x)", "write log(x)/log(2)", "did you mean"),
        ("eigvals(A) x", "write eig(A) for the eigenvalues (ascending)", "did you mean"),
        ("foo(x)", "--function foo declares an abstract one", "a b (x)"),
        ("Tr(A B) x", "did you mean tr?", "a b (x)"),
        ("cost(x)", "did you mean cos?", "a b (x)"),
    ],
)
def test_an_unknown_function_gets_the_spelling_of_what_it_means(expr: str, says: str, never: str) -> None:
    err = refusal(expr)
    assert "unknown function" in err and says in err and never not in err, err


@pytest.mark.parametrize(
    ("expr", "wrt", "says"),
    [
        ("trAB", "A", "'trAB' starts with the function tr at col 1; did you mean tr(AB)?"),
        ("detX", "X", "did you mean det(X)?"),
        ("logdetS", "S", "did you mean logdet(S)?"),
        ("trA^TB", "A", "did you mean tr(A^TB)?"),
        ("x^T x + trAB", "x", "at col 9"),
    ],
)
def test_a_function_glued_to_its_argument_is_refused_with_the_function_applied(expr: str, wrt: str, says: str) -> None:
    err = refusal(expr, wrt)
    assert says in err and "for the product of the letters write" in err, err


@pytest.mark.parametrize("expr", ["ABA^TC", "x^T ABA^T x", "tr(ABC)", "xy^T", "alpha x^T x"])
def test_letters_that_do_not_start_with_a_function_are_still_a_product(expr: str) -> None:
    run = cli("shape", expr)
    assert run.code == 0, run


# --- log|X| and |X|: both readings named, never a guess -----------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("log|X|", "log|X| is not mcalc syntax at col 1: write logdet(X) for log det X (a positive determinant), "
                   "or log(abs(det(X))) for the log of |det X|"),
        ("2 + log |S|", "log |S| is not mcalc syntax at col 5: write logdet(S)"),
        ("ln|det(X)|", "write log(abs(det(X)))"),
        ("|X|", "write det(X) for the determinant, abs(X) for absolute values entry by entry"),
        ("log|x|", "write log(abs(x))"),
        ("|x| + 1", "write abs(x) for the absolute value, ||x|| for the length"),
        ("a | b", "unexpected '|' at col 3: write a norm as ||x||"),
    ],
)  # fmt: skip
def test_bars_name_both_readings(expr: str, says: str) -> None:
    assert says in refusal(expr, "X")


def test_both_readings_of_log_bars_are_what_they_say() -> None:
    import numpy as np
    from helpers import assert_close, finite_difference

    x = np.array([[2.0, 1.0, 0.0], [0.5, -3.0, 1.0], [0.0, 1.0, 1.5]])  # det < 0: logdet undefined there
    at = ["--at", f"X={x.tolist()}", "--format", "json"]
    abs_det = cli("diff", "log(abs(det(X)))", "--wrt", "X", *at)
    assert abs_det.code == 0, abs_det.stderr
    expected = finite_difference(lambda v: np.log(abs(np.linalg.det(v["X"]))), {"X": x}, ["X"])
    assert_close(abs_det.json["value"], expected, rtol=1e-6)
    assert cli("diff", "logdet(X)", "--wrt", "X", *at).code == 1  # the other reading is undefined at this X


# --- e^x: the exponential, said; a name e when it is one ------------------------------------------------------


def test_e_to_a_scalar_is_the_exponential_with_a_warning() -> None:
    import numpy as np
    from helpers import assert_close, finite_difference

    x0 = np.array([0.3, -1.2, 0.7])
    run = cli("diff", "e^(-x^T x / 2)", "--wrt", "x", "--at", f"x={x0.tolist()}", "--format", "json")
    assert run.code == 0, run.stderr
    assert run.json["derivative"] == "−exp(−1/2 xᵀx) x"
    assert run.json["warnings"] == [
        "e^(-x^T x / 2) is read as exp(-x^T x / 2), e as Euler's number; to use a name e, declare it (--scalar e)"
    ]
    assert_close(run.json["value"], finite_difference(lambda v: np.exp(-v["x"] @ v["x"] / 2), {"x": x0}, ["x"]))
    scalar = cli("diff", "e^x", "--wrt", "x", "--at", "x=0.5", "--format", "json")
    assert scalar.code == 0 and scalar.json["derivative"] == "exp(x)", scalar.stderr
    assert abs(scalar.json["value"] - np.exp(0.5)) < 1e-12
    for expr, text in [("e^2 x^T x", "2 exp(2) x"), ("e^-2 x^T x", "2 exp(−2) x"), ("e^(-1) x^T x", "2 exp(−1) x"),
                       ("e^{a^T x}", "exp(aᵀx) a"), ("e^(-t) x", None)]:  # fmt: skip
        run = cli("diff", expr, "--wrt", "x", "--format", "json")
        assert run.code == 0 and (text is None or run.json["derivative"] == text), (expr, run.stdout + run.stderr)
        assert any("e as Euler's number" in w for w in run.json["warnings"]), expr


def test_e_stays_a_name_where_it_is_one() -> None:
    for args in (["e^t x", "--scalar", "e"], ["e^t x + e x", "--scalar", "t"], ["e^t x", "--at", "e=2"]):
        run = cli("diff", *args, "--wrt", "x")
        assert "Euler" not in run.stderr, (args, run.stderr)
    named = cli("diff", "e^t x", "--wrt", "x", "--scalar", "e")
    assert named.code == 0 and named.stdout.startswith("∂(e^t x)/∂x = e^t I"), named.stdout


def test_e_to_an_array_is_refused_with_the_spelling() -> None:
    matrix = refusal("e^X", "X")
    assert "e^X of a matrix is the matrix exponential" in matrix and "expm(X)" in matrix
    vector = cli("diff", "e^x", "--wrt", "x", "--vector", "x")
    assert vector.code == 2 and "e^x of a vector is not defined at col 1: write exp(x)" in vector.stderr


def test_a_claim_may_write_e_too() -> None:
    run = cli("check", "exp(x^T x)", "--wrt", "x", "--claim", "2 x e^(x^T x)")
    assert run.code == 0 and run.stdout.startswith("correct"), run.stdout + run.stderr
    assert "in the claim: e^(x^T x) is read as exp(x^T x)" in run.stderr
