"""Issue 25 item 3: a tensor-valued derivative's value is the contraction of the expression's own factors
(numeric.einsum_terms, from calculus.index_terms read with compound indices), never a dense Kronecker or
commutation intermediate; the element limit applies to the answer and to the arrays actually built.

Every value is compared entry by entry with central differences of the function written by hand in numpy
(not mcalc's reading of it), and with the old vec form's value where that one fits in a test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference, seeded

from mcalc import pipeline
from mcalc.numeric.evaluate import evaluate
from mcalc.numeric.given import bind_values
from mcalc.shapes import Declarations

Values = Mapping[str, Any]


def _vec(m: np.ndarray) -> np.ndarray:
    return m.reshape(-1, order="F")


def _k(m: int, n: int) -> np.ndarray:
    """The commutation matrix of an m×n matrix, K vec(M) = vec(Mᵀ), from its definition."""
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1.0  # vec(Mᵀ)[i·n + j] = Mᵢⱼ = vec(M)[j·m + i]
    return k


def _chain(a: np.ndarray, n: int) -> np.ndarray:
    out = a
    for _ in range(n - 1):
        out = np.kron(a, out)
    return out


def _chain_of(n: int) -> Callable[[Values], np.ndarray]:
    return lambda v: _chain(v["A"], n)


def _chain_text(n: int) -> str:
    return "A" if n == 1 else f"kron(A, {_chain_text(n - 1)})"


# (expression, --wrt, sizes, the function by hand in numpy, whether the old vec form fits in a test)
Case = tuple[str, str, dict[str, tuple[int, ...]], Callable[[Values], np.ndarray], bool]
CHAINS: list[Case] = [(_chain_text(n), "A", {"A": (2, 2)}, _chain_of(n), n <= 4) for n in (2, 3, 4, 5, 6)]
CASES: list[Case] = [
    *CHAINS,
    ("kron(A, A)", "A", {"A": (2, 3)}, lambda v: np.kron(v["A"], v["A"]), True),
    ("kron(A, X)", "X", {"A": (2, 3), "X": (3, 2)}, lambda v: np.kron(v["A"], v["X"]), True),
    ("kron(X, A)", "X", {"A": (2, 3), "X": (3, 2)}, lambda v: np.kron(v["X"], v["A"]), True),
    ("kron(X, X)", "X", {"X": (2, 3)}, lambda v: np.kron(v["X"], v["X"]), True),
    ("kron(X, X)", "X,X", {"X": (2, 3)}, lambda v: np.kron(v["X"], v["X"]), True),
    ("kron(A, X) B", "X", {"A": (2, 2), "X": (2, 3), "B": (6, 2)}, lambda v: np.kron(v["A"], v["X"]) @ v["B"], True),
    ("X^3", "X,X", {"X": (3, 3)}, lambda v: v["X"] @ v["X"] @ v["X"], True),
    ("X^-1", "X,X", {"X": (3, 3)}, lambda v: np.linalg.inv(v["X"]), True),
    ("X^T X", "X,X", {"X": (3, 2)}, lambda v: v["X"].T @ v["X"], True),
    (
        "A X B X",
        "X,X",
        {"A": (3, 3), "B": (3, 3), "X": (3, 3)},
        lambda v: v["A"] @ v["X"] @ v["B"] @ v["X"],
        True,
    ),
    ("vec(X)", "X", {"X": (2, 3)}, lambda v: _vec(v["X"]), True),
    ("vec(X X^T)", "X,X", {"X": (2, 3)}, lambda v: _vec(v["X"] @ v["X"].T), True),
    # Roth's column lemma, written the other way in numpy: unvec((A ⊗ B) vec(P)) = B P Aᵀ
    (
        "unvec(kron(A, B) vec(P))",
        "P",
        {"A": (3, 3), "B": (2, 2), "P": (2, 3)},
        lambda v: v["B"] @ v["P"] @ v["A"].T,
        True,
    ),
    (
        "P^T unvec(kron(A, B) vec(P))",
        "P,P",
        {"A": (3, 3), "B": (2, 2), "P": (2, 3)},
        lambda v: v["P"].T @ v["B"] @ v["P"] @ v["A"].T,
        True,
    ),
    ("K[m,n] vec(X)", "X", {"X": (2, 3)}, lambda v: _k(2, 3) @ _vec(v["X"]), True),
    ("kron(X, X) K[n,n]", "X,X", {"X": (2, 3)}, lambda v: np.kron(v["X"], v["X"]) @ _k(3, 3), True),
    (
        "(X^T ⊗ I) K[m,n] + I ⊗ X^T",
        "X",
        {"X": (2, 3)},
        lambda v: np.kron(v["X"].T, np.eye(3)) @ _k(2, 3) + np.kron(np.eye(3), v["X"].T),
        True,
    ),
    ("kron(X, X^2)", "X,X,X", {"X": (2, 2)}, lambda v: np.kron(v["X"], v["X"] @ v["X"]), True),
    ("X^3", "X,X,X", {"X": (2, 2)}, lambda v: v["X"] @ v["X"] @ v["X"], True),
    ("W x", "W", {"W": (3, 2), "x": (2,)}, lambda v: v["W"] @ v["x"], True),
    # a 0-d answer: the third derivative by a scalar
    ("exp(t) t^2", "t,t,t", {"t": ()}, lambda v: np.exp(v["t"]) * v["t"] ** 2, True),
]


def _draw(shapes: Mapping[str, tuple[int, ...]], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random values; a square matrix I + 0.3R/√n (invertible, not symmetric)."""
    out = {}
    for name, shape in shapes.items():
        r = rng.standard_normal(shape)
        square = len(shape) == 2 and shape[0] == shape[1]
        out[name] = np.eye(shape[0]) + 0.3 * r / np.sqrt(shape[0]) if square else np.asarray(r)
    return out


def _result(expr: str, names: list[str], values: Mapping[str, np.ndarray]) -> pipeline.Result:
    shapes = {k: v.shape for k, v in values.items()}
    tree, env, _ = pipeline.prepare(expr, Declarations(), wrt=tuple(names), value_shapes=shapes)
    return pipeline.differentiate_tree(expr, tree, env, names)


@pytest.mark.parametrize(
    ("expr", "wrt", "shapes", "by_hand", "vec_fits"), CASES, ids=[f"{c[0]} ; {c[1]}" for c in CASES]
)
def test_value_is_the_contraction_and_matches_differences_of_numpy(
    expr: str,
    wrt: str,
    shapes: dict[str, tuple[int, ...]],
    by_hand: Callable[[Values], np.ndarray],
    vec_fits: bool,
) -> None:
    names = wrt.split(",")
    values = _draw(shapes, np.random.default_rng(seeded("einsum", expr, wrt)))
    result = _result(expr, names, values)
    value = pipeline.value_at(result, values)
    assert result.index_cache["form"] is not None, f"{expr}: evaluated from the vec form, not the index terms"
    expected = finite_difference(by_hand, values, names)
    assert np.max(np.abs(expected)) > 0.1, f"{expr}: a test of zeros proves nothing"
    assert_close(value, expected, rtol=1e-5 if len(names) < 3 else 1e-4, what=f"{expr} by {names}")
    if vec_fits:
        env = result.env
        bound = bind_values(env, values, list(env.kinds), [result.tree])
        vec = np.asarray(evaluate(result.final.result, env, bound), dtype=float).reshape(value.shape, order="F")
        assert_close(value, vec, rtol=1e-12, what=f"{expr} by {names}: the vec form's value")


def test_the_six_fold_kronecker_chain_at_2x2_is_answered() -> None:
    """Refused before (an intermediate of 16,777,216 numbers); the answer holds 16,384."""
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    run = cli("diff", _chain_text(6), "--wrt", "A", "--shape", "A=2x2", "--at", "A=[[1,2],[3,4]]", "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    value = np.asarray(run.json["value"], dtype=float)
    assert value.shape == (64, 64, 2, 2)
    expected = finite_difference(lambda v: _chain(v["A"], 6), {"A": a}, ["A"])
    assert_close(value, expected, rtol=1e-6, what="A ⊗ A ⊗ A ⊗ A ⊗ A ⊗ A by A")


def test_an_oversized_answer_is_still_refused_naming_the_limit() -> None:
    run = cli("diff", _chain_text(3), "--wrt", "A", "--shape", "A=10x10", "--at", "A=" + str(np.eye(10).tolist()))
    assert run.code == 2, run.stdout + run.stderr
    assert run.stderr.strip() == (
        "error: too large: the derivative's value would hold 100,000,000 numbers; the limit is 10,000,000 "
        "(raise it with the environment variable MCALC_MAX_ELEMENTS=N)"
    )


def test_the_limit_counts_the_arrays_the_contraction_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer of kron(A, X) by X at 3×3 holds 729 numbers and each term's product as many: 729 passes,
    728 refuses naming the answer; the vec form's (I ⊗ K ⊗ I), 6,561 numbers, is not built, so not counted."""
    values = {"A": np.arange(9.0).reshape(3, 3), "X": np.eye(3)}
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "729")
    assert pipeline.value_at(_result("kron(A, X)", ["X"], values), values).shape == (9, 9, 3, 3)
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "728")
    with pytest.raises(Exception, match="the derivative's value would hold 729 numbers; the limit is 728"):
        pipeline.value_at(_result("kron(A, X)", ["X"], values), values)


def test_a_contraction_whose_intermediate_is_over_the_limit_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """sum(exp(A x)) by x three times, A 100×2: the answer Σₗ exp(Ax)ₗ Aₗᵢ Aₗⱼ Aₗₖ holds 8 numbers, but every
    order of contraction builds an array over (l, i, j), 400: with the limit at 399 it is refused by name
    before anything is allocated (A, 200 numbers, is within it)."""
    from mcalc.numeric.einsum_terms import largest

    rng = np.random.default_rng(seeded("einsum-limit"))
    values = {"A": 0.3 * rng.standard_normal((100, 2)), "x": rng.standard_normal(2)}
    result = _result("sum(exp(A x))", ["x", "x", "x"], values)
    expected = finite_difference(lambda v: np.sum(np.exp(v["A"] @ v["x"])), values, ["x", "x", "x"])
    assert_close(pipeline.value_at(result, values), expected, rtol=1e-4, what="sum(exp(A x)) by x, x, x")
    assert [largest(plans) for plans in result.index_cache["plans"].values()] == [400]
    monkeypatch.setenv("MCALC_MAX_ELEMENTS", "399")
    with pytest.raises(Exception, match="an intermediate array of the derivative would hold 400 numbers"):
        pipeline.value_at(_result("sum(exp(A x))", ["x", "x", "x"], values), values)


def test_links_split_indices_where_the_sizes_nest_and_refuse_where_they_cross() -> None:
    """An index of 12 read as (4, 3) and as (2, 6) is three atoms (2, 2, 3); as (2, 3) and (3, 2) an index of
    6 has no reading (the vec form is used)."""
    from mcalc.numeric.einsum_terms import NoReading, plan_term
    from mcalc.syntax import nodes as N

    a, b = N.Symbol("a"), N.Symbol("b")
    plan = plan_term(
        (1.0, [(a, "x", None), (b, "y", None)], [(("x",), ("p", "q")), (("x",), ("r", "s"))]),
        ["x"],
        {"x": 12, "y": 12, "p": 4, "q": 3, "r": 2, "s": 6},
    )
    assert sorted(dict(plan.sizes)[x] for x in plan.out_atoms) == [2, 2, 3]
    with pytest.raises(NoReading):
        plan_term(
            (1.0, [(a, "x", None)], [(("x",), ("p", "q")), (("x",), ("q", "p"))]), ["x"], {"x": 6, "p": 2, "q": 3}
        )
