"""--diagonal D and --toeplitz T (issue 24 item 5, Matrix Cookbook §2.8): the derivative is taken along the
structure's free values and placed back in the matrix. Each is checked against central differences of
independent numpy code written here, moving one free value at a time (a diagonal entry; the common value of
one diagonal of T), at random sizes under three seeds, through `.value()` and the generated code; then the
conflicts, the values that break the structure, and the reading line."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import cli

import mcalc

SEEDS = (0, 1, 2)
H = 1e-6


def toeplitz_of(t: np.ndarray) -> np.ndarray:
    """T_ij = t_{n+i−j} (1-based), entry by entry."""
    n = (t.size + 1) // 2
    return np.array([[t[n - 1 + i - j] for j in range(n)] for i in range(n)])


def free_values_of_toeplitz(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0, ::-1], a[1:, 0]])  # t₁ … tₙ from the first row reversed, then down column 1


def export_grad(d: mcalc.Derivative, **arrays: np.ndarray) -> np.ndarray:
    space: dict[str, Any] = {}
    exec(compile(d.numpy_source, "<mcalc numpy export>", "exec"), space)  # our own generated code, not input
    return np.asarray(space["grad"](**arrays))


def diagonal_expected(f: Any, d: np.ndarray) -> np.ndarray:
    """∂f/∂Dᵢᵢ by central differences, one diagonal entry at a time, on the diagonal; zero elsewhere."""
    n = d.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        e = np.zeros((n, n))
        e[i, i] = H
        out[i, i] = (f(d + e) - f(d - e)) / (2 * H)
    return out


def toeplitz_expected(f: Any, t: np.ndarray) -> np.ndarray:
    """∂f/∂t_k by central differences on the 2n − 1 free values, placed at every entry of diagonal k."""
    g = np.zeros_like(t)
    for k in range(t.size):
        e = np.zeros_like(t)
        e[k] = H
        g[k] = (f(toeplitz_of(t + e)) - f(toeplitz_of(t - e))) / (2 * H)
    return toeplitz_of(g)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", ["value", "export"])
def test_diagonal_gradient(seed: int, path: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    a, x, y = rng.standard_normal((n, n)), rng.standard_normal(n), rng.standard_normal(n)
    d0 = np.diag(rng.uniform(0.5, 1.5, n))
    answer = mcalc.diff("tr(A D) + x^T D^2 y + logdet(D)", "D", diagonal="D")
    got = answer.value(A=a, D=d0, x=x, y=y) if path == "value" else export_grad(answer, A=a, D=d0, x=x, y=y)
    f = lambda d: float(np.trace(a @ d) + x @ d @ d @ y + np.linalg.slogdet(d)[1])  # noqa: E731
    assert np.allclose(got, diagonal_expected(f, d0), rtol=1e-6, atol=1e-7)


def test_diagonal_gradient_of_the_cookbook() -> None:
    answer = mcalc.diff("tr(A D)", "D", diagonal="D")
    assert answer.text == "A ⊙ I"  # MC §2.8.3
    a = np.arange(9.0).reshape(3, 3)
    assert np.array_equal(answer.value(A=a, D=np.eye(3)), np.diag(np.diag(a)))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", ["value", "export"])
def test_toeplitz_gradient(seed: int, path: str) -> None:
    rng = np.random.default_rng(10 + seed)
    n = int(rng.integers(2, 7))
    a, b, x, y = (
        rng.standard_normal((n, n)),
        rng.standard_normal((n, n)),
        rng.standard_normal(n),
        rng.standard_normal(n),
    )
    t0 = np.eye(n) + 0.3 * toeplitz_of(rng.standard_normal(2 * n - 1))
    answer = mcalc.diff("tr(A T B T) + x^T T^-1 y", "T", toeplitz="T")
    got = answer.value(A=a, B=b, T=t0, x=x, y=y) if path == "value" else export_grad(answer, A=a, B=b, T=t0, x=x, y=y)
    f = lambda t: float(np.trace(a @ t @ b @ t) + x @ np.linalg.solve(t, y))  # noqa: E731
    assert np.allclose(got, toeplitz_expected(f, free_values_of_toeplitz(t0)), rtol=1e-6, atol=1e-7)


def test_toeplitz_gradient_of_the_cookbook() -> None:
    """∂tr(AT)/∂T = α(A): entry (i, j) the sum of Aᵀ's diagonal i − j (MC eq. 143)."""
    answer = mcalc.diff("tr(A T)", "T", toeplitz="T")
    assert answer.text == "toepsum(A)"
    a = np.arange(1.0, 10.0).reshape(3, 3)
    alpha = [[sum(a.T[p, q] for p in range(3) for q in range(3) if p - q == i - j) for j in range(3)] for i in range(3)]
    assert np.array_equal(answer.value(A=a, T=np.eye(3)), np.array(alpha))
    assert np.trace(a) == alpha[0][0] == alpha[2][2]


@pytest.mark.parametrize("seed", SEEDS)
def test_diagonal_hessian(seed: int) -> None:
    """∂²(xᵀD²y)/∂D∂D: nonzero only at [i, i, j, j], where it is ∂²f/∂dᵢ∂dⱼ."""
    rng = np.random.default_rng(20 + seed)
    n = int(rng.integers(2, 6))
    x, y, d0 = rng.standard_normal(n), rng.standard_normal(n), np.diag(rng.uniform(0.5, 1.5, n))
    hessian = mcalc.diff("x^T D^2 y + tr(D^3)", "D, D", diagonal="D").value(x=x, y=y, D=d0)
    f = lambda d: float(x @ d @ d @ y + np.trace(d @ d @ d))  # noqa: E731
    expected = np.zeros((n, n, n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.zeros((n, n)), np.zeros((n, n))
            ei[i, i], ej[j, j] = 1e-4, 1e-4
            second = (f(d0 + ei + ej) - f(d0 + ei - ej) - f(d0 - ei + ej) + f(d0 - ei - ej)) / (4e-8)
            expected[i, i, j, j] = second
    assert np.allclose(hessian, expected, atol=1e-5)


@pytest.mark.parametrize(
    ("expr", "flags"),
    [
        ("tr(A D) + x^T D^2 y", ["--diagonal", "D"]),
        ("tr(A T B T)", ["--toeplitz", "T"]),
        ("logdet(T) + tr(A T)", ["--toeplitz", "T"]),
        ("sum(exp(D x))", ["--diagonal", "D", "--symmetric", "D"]),
    ],
)
def test_check_moves_only_the_free_values(expr: str, flags: list[str]) -> None:
    for seed in SEEDS:
        wrt = flags[1]
        run = cli("diff", expr, "--wrt", wrt, *flags, "--check", "--seed", str(seed), "--format", "json")
        assert run.code == 0, run.stderr
        assert run.json["check"]["passed"], run.json["check"]


def test_check_fails_an_unplaced_gradient_and_names_the_placed_one() -> None:
    """The checker is independent of the placing: Aᵀ (every entry free) is wrong by a diagonal or Toeplitz,
    and the diagnosis names the claim placed on the structure."""
    for flag, placed in (("--diagonal", "A ⊙ I"), ("--toeplitz", "toepsum(A)")):
        run = cli("check", "tr(A D)", "--wrt", "D", "--claim", "A^T", flag, "D", "--format", "json")
        assert run.code == 1 and run.json["verdict"] == "wrong", run.stdout
        assert run.json["details"]["right_when_placed"] == placed
        assert f"placed on it, the derivative is {placed}" in run.json["explanation"]
    wrong = cli("check", "tr(A D B)", "--wrt", "D", "--claim", "B A", "--toeplitz", "D", "--format", "json")
    assert wrong.json["verdict"] == "wrong" and "right_when_placed" not in wrong.json["details"]


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--diagonal", "D", "--toeplitz", "D"], "D is declared two ways: --diagonal D and --toeplitz D"),
        (["--toeplitz", "D", "--symmetric", "D"], "D is declared two ways: --symmetric D and --toeplitz D"),
        (["--vector", "D", "--diagonal", "D"], "D is declared two ways: --vector D and --diagonal D"),
        (["--diagonal", "D", "--shape", "D=3x4"], "D is diagonal but --shape gives 3×4"),
    ],
)
def test_conflicts_are_refused_naming_both(flags: list[str], words: str) -> None:
    run = cli("diff", "tr(A D)", "--wrt", "D", *flags)
    assert run.code == 2
    assert words in run.stderr and run.stderr.count("\n") == 1, run.stderr


def test_diagonal_and_symmetric_agree() -> None:
    run = cli("diff", "tr(A D)", "--wrt", "D", "--diagonal", "D", "--symmetric", "D", "--format", "text")
    assert run.code == 0 and run.stdout.splitlines()[0] == "∂/∂D tr(AD) = A ⊙ I"


def test_api_takes_the_structures_and_refuses_conflicts() -> None:
    assert mcalc.Session(diagonal="D").diff("tr(A D)", "D").text == "A ⊙ I"
    with pytest.raises(mcalc.McalcError, match='declared two ways: vector="D" and diagonal="D"'):
        mcalc.diff("tr(A D)", "D", diagonal="D", vector="D")


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--diagonal", "[[1,2],[0,3]]", "D is declared diagonal but its value has the entry 2 at (1, 2)"),
        ("--toeplitz", "[[1,2],[0,3]]", "D is declared Toeplitz but its value is not constant along a diagonal"),
        ("--toeplitz", "[[1,2,3],[4,5,6]]", "D has size 3 there"),
    ],
)
def test_values_that_break_the_structure_are_refused(flag: str, value: str, words: str) -> None:
    run = cli("diff", "sum(D)", "--wrt", "D", flag, "D", "--at", f"D={value}")
    assert run.code == 2 and words in run.stderr and run.stderr.count("\n") == 1, run.stderr


def test_reading_line_states_the_structure() -> None:
    run = cli("diff", "tr(A D T)", "--wrt", "D", "--diagonal", "D", "--toeplitz", "T", "--format", "text")
    assert run.stdout.splitlines()[-1] == "read: A matrix (m×m); D diagonal matrix (m×m); T Toeplitz matrix (m×m)"
    payload = cli("diff", "tr(A D)", "--wrt", "D", "--diagonal", "D", "--format", "json").json
    assert payload["reading"]["D"]["structure"] == "diagonal"


def test_a_matrix_by_a_toeplitz_matrix_is_refused_in_one_line() -> None:
    run = cli("diff", "A T", "--wrt", "T", "--toeplitz", "T")
    assert run.code == 2 and "by the Toeplitz T is not built" in run.stderr, run.stderr
