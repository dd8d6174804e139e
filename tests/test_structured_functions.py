"""adj, chol and toeplitz (issue 24, item 4 and toeplitz(t) of item 5): each derivative checked against
central finite differences of independent numpy code written here (an adjugate by cofactors,
np.linalg.cholesky, a Toeplitz matrix built entry by entry), at random sizes under three seeds, through
`.value()` and through the generated `--format numpy` code; the domain refusals, one line each."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import cli

import mcalc

SEEDS = (0, 1, 2)
H = 1e-6


def cofactor_adjugate(x: np.ndarray) -> np.ndarray:
    """adj(X)ᵢⱼ = (−1)^(i+j) det(X without row j and column i): the textbook definition."""
    n = x.shape[0]
    if n == 1:
        return np.ones((1, 1))
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(x, j, axis=0), i, axis=1)
            out[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


def toeplitz_by_entries(t: np.ndarray) -> np.ndarray:
    """T_ij = t_{n+i−j} (1-based), entry by entry."""
    n = (t.size + 1) // 2
    return np.array([[t[n - 1 + i - j] for j in range(n)] for i in range(n)])


def fd_gradient(f: Any, x: np.ndarray, directions: list[np.ndarray]) -> list[float]:
    return [(f(x + H * v) - f(x - H * v)) / (2 * H) for v in directions]


def assert_directional(grad: np.ndarray, f: Any, x: np.ndarray, directions: list[np.ndarray]) -> None:
    fd = fd_gradient(f, x, directions)
    analytic = [float(np.sum(grad * v)) for v in directions]
    scale = max(1.0, max(abs(a) for a in analytic))
    assert np.allclose(analytic, fd, rtol=1e-5, atol=1e-6 * scale), (analytic, fd)


def export_grad(d: mcalc.Derivative, **arrays: np.ndarray) -> np.ndarray:
    """The gradient computed by the generated module (`--format numpy`), run in a namespace of its own."""
    space: dict[str, Any] = {}
    exec(compile(d.numpy_source, "<mcalc numpy export>", "exec"), space)  # our own generated code, not input
    return np.asarray(space["grad"](**arrays))


def spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T / n + np.eye(n)


def symmetric_directions(rng: np.random.Generator, n: int, k: int = 3) -> list[np.ndarray]:
    out = []
    for _ in range(k):
        v = rng.standard_normal((n, n))
        out.append((v + v.T) / 2)
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", ["value", "export"])
def test_adj_trace_gradient(seed: int, path: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    a, x = rng.standard_normal((n, n)), np.eye(n) + 0.4 * rng.standard_normal((n, n))
    d = mcalc.diff("tr(A adj(X))", "X")
    grad = d.value(A=a, X=x) if path == "value" else export_grad(d, A=a, X=x)
    dirs = [rng.standard_normal((n, n)) for _ in range(3)]
    assert_directional(grad, lambda z: float(np.trace(a @ cofactor_adjugate(z))), x, dirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_adj_bilinear_gradient(seed: int) -> None:
    rng = np.random.default_rng(10 + seed)
    n = int(rng.integers(2, 6))
    u, w = rng.standard_normal(n), rng.standard_normal(n)
    x = np.eye(n) + 0.4 * rng.standard_normal((n, n))
    grad = mcalc.diff("u^T adj(X) w", "X").value(u=u, w=w, X=x)
    dirs = [rng.standard_normal((n, n)) for _ in range(3)]
    assert_directional(grad, lambda z: float(u @ cofactor_adjugate(z) @ w), x, dirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_adj_value_is_the_cofactor_adjugate_even_when_singular(seed: int) -> None:
    rng = np.random.default_rng(20 + seed)
    n = int(rng.integers(2, 6))
    b = rng.standard_normal((n, n - 1))
    x = b @ rng.standard_normal((n - 1, n))  # rank n − 1: adj(X) ≠ 0, X⁻¹ does not exist
    got = mcalc.Session().evaluate("adj(X)", X=x)
    assert np.allclose(np.asarray(got), cofactor_adjugate(x), atol=1e-9)
    assert np.abs(cofactor_adjugate(x)).max() > 1e-6  # rank n − 1: the adjugate is not zero


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", ["value", "export"])
def test_chol_of_symmetric_variable(seed: int, path: str) -> None:
    rng = np.random.default_rng(30 + seed)
    n = int(rng.integers(2, 6))
    a, s = rng.standard_normal((n, n)), spd(rng, n)
    d = mcalc.diff("tr(A chol(S))", "S", symmetric="S")
    grad = d.value(A=a, S=s) if path == "value" else export_grad(d, A=a, S=s)
    assert np.allclose(grad, grad.T)  # the documented convention on symmetric matrices: sym(G)
    f = lambda z: float(np.trace(a @ np.linalg.cholesky(z)))  # noqa: E731
    assert_directional(grad, f, s, symmetric_directions(rng, n))


@pytest.mark.parametrize("seed", SEEDS)
def test_chol_of_a_symmetric_form(seed: int) -> None:
    rng = np.random.default_rng(40 + seed)
    n, m = (int(k) for k in rng.integers(2, 6, size=2))
    u, v, b = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal((m, n))
    grad = mcalc.diff("u^T chol(B^T B + I) v", "B").value(u=u, v=v, B=b)
    f = lambda z: float(u @ np.linalg.cholesky(z.T @ z + np.eye(n)) @ v)  # noqa: E731
    assert_directional(grad, f, b, [rng.standard_normal((m, n)) for _ in range(3)])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", ["value", "export"])
def test_toeplitz_of_a_vector(seed: int, path: str) -> None:
    rng = np.random.default_rng(50 + seed)
    n = int(rng.integers(2, 6))
    a, b, t = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(2 * n - 1)
    d = mcalc.diff("a^T toeplitz(t) toeplitz(t) b", "t", shape={"t": 2 * n - 1})
    grad = d.value(a=a, b=b, t=t) if path == "value" else export_grad(d, a=a, b=b, t=t).reshape(-1)
    f = lambda z: float(a @ toeplitz_by_entries(z) @ toeplitz_by_entries(z) @ b)  # noqa: E731
    assert_directional(np.asarray(grad).reshape(-1), f, t, [rng.standard_normal(2 * n - 1) for _ in range(3)])


def test_toeplitz_layout_follows_the_issue() -> None:
    t = np.arange(1.0, 6.0)  # n = 3: t₁ top-right, t₃ the diagonal, t₅ bottom-left
    from mcalc.syntax.structured import toeplitz_values

    assert toeplitz_values(t).tolist() == [[3, 2, 1], [4, 3, 2], [5, 4, 3]]
    assert np.array_equal(toeplitz_values(t), toeplitz_by_entries(t))


@pytest.mark.parametrize(
    ("expr", "wrt", "kwargs", "words"),
    [
        ("tr(A chol(X))", "X", {}, "chol(X) needs a symmetric positive definite argument"),
        ("tr(A chol(B C))", "B", {}, "is not known to be symmetric"),
        ("a^T toeplitz(t) b", "t", {}, "needs the length of t"),
        ("a^T toeplitz(t) b", "t", {"shape": {"t": 4}}, "odd number of values"),
        ("tr(chol(S) adj(S))^T", "S", {"shape": {"S": "3x4"}}, "square"),
    ],
)
def test_refusals_are_one_line(expr: str, wrt: str, kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(mcalc.McalcError) as info:
        mcalc.diff(expr, wrt, **kwargs)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_values_outside_the_domain_are_refused() -> None:
    d = mcalc.diff("tr(A chol(S))", "S", symmetric="S")
    with pytest.raises(mcalc.McalcError, match=r"chol\(S\) is undefined.*not positive definite"):
        d.value(A=np.eye(2), S=np.array([[1.0, 2.0], [2.0, 1.0]]))
    d = mcalc.diff("tr(A adj(X))", "X")
    with pytest.raises(mcalc.McalcError, match=r"invertible X.*singular at the values given"):
        d.value(A=np.eye(2), X=np.array([[1.0, 2.0], [2.0, 4.0]]))


def test_phi_is_named_in_a_where_line() -> None:
    plain = cli("diff", "tr(A chol(S))", "--wrt", "S", "--symmetric", "S", "--format", "text")
    assert plain.code == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert "cholphi(" in lines[0]
    assert lines[1] == "where: cholphi(M) = Φ(M), the lower triangle of M with its diagonal halved"
    payload = cli("diff", "tr(A chol(S))", "--wrt", "S", "--symmetric", "S", "--format", "json").json
    assert payload["operators"] == [lines[1].removeprefix("where: ")]


@pytest.mark.parametrize("expr", ["tr(A adj(X))", "tr(A chol(X^T X + I))", "a^T toeplitz(t) b"])
def test_check_passes_with_its_own_draws(expr: str) -> None:
    d = mcalc.diff(expr, "X" if "X" in expr else "t", shape={"t": 7} if "toeplitz" in expr else None)
    for seed in SEEDS:
        assert d.check(seed=seed).passed
