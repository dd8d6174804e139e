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
        ("inner(a, x)", "write the inner product a^T b", "det"),
        ("mean(x)", "write sum(x)/n for the mean of x's n entries, and declare --scalar n", "tan"),
        ("max(x)", "relu(x) is max(x, 0) entry by entry, logsumexp(x) a smooth maximum", "softmax"),
        ("min(x)", "-relu(-x) is min(x, 0)", "sin"),
        ("argmax(x)", "it has no derivative", "did you mean"),
        ("matmul(A, x)", "write the product A B", "did you mean"),
        ("expit(x)", "write sigmoid(x)", "exp?"),
        ("log2(x)", "write log(x)/log(2)", "did you mean"),
        ("pinv(A) x", "(A^T A)^-1 A^T", "inv?"),
        ("eig(A) x", "tr(A) is the sum of the eigenvalues", "did you mean"),
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
