"""Expressions written in index notation (issue 23 item 1, "in expressions"): `x_i A_ij x_j` is read as
xᵀAx, with a warning that says so, and every command answers the matrix form.

Each case is checked with numbers from independent code: the expression's value by numpy's einsum of
the index expression as written, and the derivative by central differences of that einsum, against
mcalc's `evaluate` and `Derivative.value`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mcalc
from mcalc.errors import ReadingWarning
from tests.helpers import cli, seeded

Array = Any
F = Callable[..., Array]
SIZES = {"x": (4,), "y": (4,), "t": (3,), "A": (4, 4), "B": (4, 5), "C": (5, 4), "W": (3, 4), "S": (4, 4)}
ein = np.einsum

# expression, its matrix reading (as the warning states it), the variable, the value by einsum of the indices
CASES: list[tuple[str, str, str, F]] = [
    ("x_i A_ij x_j", "x^T A x", "x", lambda x, A: ein("i,ij,j->", x, A, x)),
    ("x_i A_ij x_j", "x^T A x", "A", lambda x, A: ein("i,ij,j->", x, A, x)),
    ("A_ij x_j", "A x", "x", lambda A, x: ein("ij,j->i", A, x)),
    ("x_i A_ij", "A^T x", "x", lambda x, A: ein("i,ij->j", x, A)),
    ("Aᵢⱼ xⱼ", "A x", "A", lambda A, x: ein("ij,j->i", A, x)),
    ("A_{ij} x_{j}", "A x", "x", lambda A, x: ein("ij,j->i", A, x)),
    ("x_i y_i", "x^T y", "x", lambda x, y: ein("i,i->", x, y)),
    ("x_i y_j", "x y^T", "y", lambda x, y: ein("i,j->ij", x, y)),
    ("B_ij C_jk", "B C", "B", lambda B, C: ein("ij,jk->ik", B, C)),
    ("B_ij C_jk", "B C", "C", lambda B, C: ein("ij,jk->ik", B, C)),
    ("A_ji", "A^T", "A", lambda A: A.T.copy()),
    ("A_ii", "tr(A)", "A", lambda A: np.trace(A)),
    ("B_ij C_ji", "tr(B C)", "B", lambda B, C: ein("ij,ji->", B, C)),
    ("A_ij A_jk A_ki", "tr(A A A)", "A", lambda A: ein("ij,jk,ki->", A, A, A)),
    ("δ_ij x_j", "x", "x", lambda x: x.copy()),
    ("delta_ij x_i y_j", "x^T y", "y", lambda x, y: ein("i,i->", x, y)),
    ("x_i - y_i", "x - y", "x", lambda x, y: x - y),
    ("A_ij x_j + δ_ij y_j", "A x + y", "x", lambda A, x, y: A @ x + y),
    ("-x_i A_ij x_j", "-x^T A x", "x", lambda x, A: -ein("i,ij,j->", x, A, x)),
    ("sum_i x_i", "sum(x)", "x", lambda x: x.sum()),
    ("∑_i exp(x_i)", "sum(exp(x))", "x", lambda x: np.exp(x).sum()),
    ("sum_i A_ij", "A^T ones", "A", lambda A: A.sum(axis=0)),
    ("x_k^2", "x.^2", "x", lambda x: x**2),
    ("1/2 sum_i (W_ij x_j - t_i)^2", "(1/2) sum((W x - t).^2)", "W", lambda W, x, t: 0.5 * ((W @ x - t) ** 2).sum()),
    ("((W x)_i - t_i) x_j", "((W x) - t) x^T", "x", lambda W, x, t: np.outer(W @ x - t, x)),
    ("(S x)_i x_i", "(S x)^T x", "x", lambda S, x: (S @ x) @ x),
    ("exp(x)_i y_i", "exp(x)^T y", "x", lambda x, y: np.exp(x) @ y),
    ("∑_i ∑_j x_i A_ij x_j", "x^T A x", "x", lambda x, A: ein("i,ij,j->", x, A, x)),
]


def _names(f: F) -> list[str]:
    return list(f.__code__.co_varnames[: f.__code__.co_argcount])


def _values(f: F, *case: object) -> dict[str, Array]:
    rng = np.random.default_rng(seeded(*case))
    return {n: rng.standard_normal(SIZES[n]) for n in _names(f)}


def _central_differences(f: F, values: dict[str, Array], var: str, h: float = 1e-6) -> Array:
    base = np.asarray(f(**values))
    out = np.zeros(base.shape + values[var].shape)
    for k in np.ndindex(values[var].shape):
        up, down = dict(values), dict(values)
        up[var], down[var] = values[var].copy(), values[var].copy()
        up[var][k] += h
        down[var][k] -= h
        out[(...,) + k] = (np.asarray(f(**up)) - np.asarray(f(**down))) / (2 * h)
    return out


@pytest.mark.parametrize(("expr", "reading", "var", "f"), CASES, ids=[f"{c[0]} by {c[2]}" for c in CASES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_index_expression_value_and_derivative_against_einsum(
    expr: str, reading: str, var: str, f: F, seed: int
) -> None:
    values = _values(f, expr, var, seed)
    session = mcalc.Session()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got = session.evaluate(expr, **values)
        d = session.diff(expr, var)
        at = d.value(**values)
    said = [str(w.message) for w in seen if issubclass(w.category, ReadingWarning)]
    assert any(f"read as {reading} (" in s for s in said), said
    np.testing.assert_allclose(got, f(**values), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(at, _central_differences(f, values, var), rtol=1e-6, atol=1e-6)


def test_the_reading_line_names_free_and_summed_indices() -> None:
    r = cli("diff", "x_i A_ij x_j", "--wrt", "x", "--format", "json")
    assert r.code == 0
    assert "index notation: x_i A_ij x_j read as x^T A x (a scalar; summed i, j)" in r.json["warnings"]
    assert r.json["derivative"] == "(A + Aᵀ)x"
    r = cli("diff", "A_ij B_jk", "--wrt", "A")
    assert "read as A B (free i, k; summed j)" in r.stderr
    assert "index: ∂(AB)ᵢⱼ/∂Aₖₗ = δᵢₖ Bₗⱼ" in r.stdout


@pytest.mark.parametrize(
    ("expr", "wrt", "message"),
    [
        ("A_ij x_j y_j", "x", "index j is used 3 times in one product"),
        ("x_i + y_j", "x", "index i is free in one term and not in another"),
        ("x_i y_j A_kl", "x", "4 free indices (i, j, k, l)"),
        ("x_i^T A_ij x_j", "x", "a transposed entry"),
        ("∂x_i/∂x_j = δ_ij", "x", "has no left side"),
    ],
)
def test_what_index_notation_cannot_say_in_a_matrix_is_refused_in_one_line(expr: str, wrt: str, message: str) -> None:
    r = cli("diff", expr, "--wrt", wrt)
    assert r.code == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("expr", "wrt", "derivative"),
    [
        ("x_0^T x_1", "x_0", "x_1"),  # digits: names, as the contract says
        ("x_a^T A x_b", "x_a", "A x_b"),  # names with letters, the variable spelled with its subscript
    ],
)
def test_names_with_subscripts_keep_their_meaning(expr: str, wrt: str, derivative: str) -> None:
    r = cli("diff", expr, "--wrt", wrt, "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json["derivative"] == derivative
    assert not any("index notation" in w for w in r.json["warnings"])


def test_check_and_eval_read_index_expressions_too() -> None:
    r = cli("check", "x_i A_ij x_j", "--wrt", "x", "--claim", "(A + A^T) x")
    assert r.code == 0 and r.stdout.startswith("correct")
    r = cli("check", "x_i A_ij x_j", "--wrt", "x", "--claim", "A_kj x_j + x_j A_jk")
    assert r.code == 0 and r.stdout.startswith("correct")
    r = cli("check", "x_i A_ij x_j", "--wrt", "x", "--claim", "A_kj x_j")
    assert r.code == 1 and r.stdout.startswith("wrong")
    r = cli("eval", "x_i y_i", "--at", "x=[1,2]", "--at", "y=[3,4]")
    assert r.code == 0 and r.stdout.strip().splitlines()[0] == "11.0"
