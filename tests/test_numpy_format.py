"""`--format numpy`: the generated function is executed (it is our own generated code) and compared
with mcalc's `--at` value at random points, for every case of tests/golden/latex.txt: gradients,
Jacobians, tensors, functions of t, Hessians, symmetric variables and layouts.

The code must be self-contained (it runs in an empty namespace and imports numpy only), use `@` for
products and `np.linalg.solve` where an inverse multiplies something.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import seeded
from test_latex import CASES, Case
from typer.testing import CliRunner

from mcalc.cli.app import app
from mcalc.syntax.lexer import GREEK

SIZES = (3, 2, 4, 5, 6, 7)  # distinct, so a transposed answer cannot have the right shape


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def functions_of_t(case: Case) -> dict[str, str]:
    params = {"t", *case.all("scalar")}
    return {m.group(1): m.group(2) for m in re.finditer(r"\b([A-Za-z])\((\w+)\)", case.input) if m.group(2) in params}


def random_point(case: Case, variables: dict[str, list[Any]], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Values by mcalc name (`A'` for the derivative of A(t)); well conditioned where inverted."""
    sizes: dict[str, int] = {}
    pool = list(SIZES)

    def size(d: Any) -> int:
        if isinstance(d, int):
            return d
        if d not in sizes:
            sizes[d] = pool.pop(0)
        return sizes[d]

    positive = set(case.all("positive"))
    symmetric = set(case.all("symmetric"))
    funcs = functions_of_t(case)

    def draw(name: str, dims: list[Any]) -> np.ndarray:
        shape = tuple(size(d) for d in dims)
        if name in positive or len(shape) == 0:
            return rng.uniform(0.5, 1.5, size=shape)
        if len(shape) == 2 and name in symmetric:
            r = rng.standard_normal(shape) / np.sqrt(shape[0])
            return np.eye(shape[0]) + 0.15 * (r + r.T)
        if len(shape) == 2 and dims[0] == dims[1]:
            return np.eye(shape[0]) + 0.3 * rng.standard_normal(shape) / np.sqrt(shape[0])
        return rng.standard_normal(shape)

    values: dict[str, np.ndarray] = {}
    for name, dims in variables.items():
        values[name] = draw(name, dims)
        if name in funcs:
            values[name + "'"] = 0.5 * rng.standard_normal(values[name].shape)
            values[name + "''"] = 0.25 * rng.standard_normal(values[name].shape)
    return values


DERIVATIVES = ("grad", "jacobian", "hessian", "derivative")


def call_generated(code: str, values: dict[str, np.ndarray], case: Case) -> np.ndarray:
    """The module's derivative function at `values`; its `f_and_…` must return the same derivative."""
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(code, "<mcalc --format numpy>", "exec"), namespace)  # noqa: S102 - our generated code
    (name,) = [k for k in DERIVATIVES if k in namespace]
    fn = namespace[name]
    args = generated_args(fn, values, case)
    got = np.asarray(fn(**args))
    value, both = namespace[f"f_and_{name}"](**args)
    np.testing.assert_allclose(both, got, rtol=1e-12, atol=1e-14)  # shared temporaries may round differently
    np.testing.assert_allclose(value, namespace["f"](**args), rtol=1e-12, atol=1e-14)
    return got


def generated_args(fn: Any, values: dict[str, np.ndarray], case: Case) -> dict[str, Any]:
    funcs = functions_of_t(case)
    args: dict[str, Any] = {}
    for param in fn.__code__.co_varnames[: fn.__code__.co_argcount]:
        m = re.fullmatch(r"d(\d*)(\w+?)_d(\w+?)\d*", param)
        if m and m.group(2) in funcs:
            order = int(m.group(1) or 1)
            args[param] = values[m.group(2) + "'" * order]
            continue
        base, sep, sub = param.rstrip("_").partition("_")  # f_ is f: renamed, a name of the module
        args[param] = values[GREEK.get(base, base) + sep + sub]
    return args


def at_value(case: Case, values: dict[str, np.ndarray], tmp_path: Path) -> np.ndarray:
    path = tmp_path / "point.npz"
    np.savez(path, **values)
    code, out, err = run(*case.args(), "--at", str(path), "--format", "json")
    assert code == 0, out + err
    return np.asarray(json.loads(out)["value"], dtype=float)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_generated_code_matches_the_at_value_at_random_points(case: Case, tmp_path: Path) -> None:
    code, out, err = run(*case.args(), "--format", "numpy")
    assert code == 0, err
    _, js, _ = run(*case.args(), "--format", "json")
    variables = json.loads(js)["variables"]
    rng = np.random.default_rng(seeded(case.id))
    for _ in range(2):
        values = random_point(case, variables, rng)
        expected = at_value(case, values, tmp_path)
        got = call_generated(out, values, case)
        assert got.shape == expected.shape, (got.shape, expected.shape, out)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11, err_msg=out)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_generated_code_is_self_contained_numpy(case: Case) -> None:
    _, out, _ = run(*case.args(), "--format", "numpy")
    tree = ast.parse(out)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"numpy"}, imported
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "mcalc" not in names
    assert "np.dot" not in out and "np.matmul" not in out
    public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    assert len(public) == 3 and public[0] == "f" and public[1] in DERIVATIVES, public
    assert public[2] == f"f_and_{public[1]}", public
    if "kron" not in case.input and "⊗" not in case.input:  # (the vec form of kron(A, X) by X stays dense)
        assert "np.kron(" not in out and "_commutation" not in out, out  # tensors by einsum, never dense


@pytest.mark.parametrize(
    ("args", "signature"),
    [
        (["tr(A B A^T C)", "--wrt", "A"], "def grad(A, B, C):"),
        (["A x", "--wrt", "x"], "def jacobian(A, x):"),
        (["R^T R", "--wrt", "R"], "def jacobian(R):"),
        (["A(t) B(t)", "--wrt", "t"], "def derivative(A, dA_dt, B, dB_dt):"),
        (["A(t) B(t)", "--wrt", "t", "--wrt", "t"], "def derivative(A, dA_dt, d2A_dt2, B, dB_dt, d2B_dt2):"),
        (["x^T A x", "--wrt", "x", "--wrt", "x"], "def hessian(x, A):"),
        (["||y - Φ θ||^2", "--wrt", "θ"], "def grad(y, Phi, theta):"),
    ],
)
def test_signature(args: list[str], signature: str) -> None:
    _, out, _ = run("diff", *args, "--format", "numpy")
    assert signature in out.splitlines(), out


@pytest.mark.parametrize(
    ("expr", "wrt"),
    [("a^T X^-1 b", "X"), ("tr(A X^-1 B)", "X"), ("inv(A(t))", "t"), ("x^T S^-1 x", "x")],
)
def test_an_inverse_times_something_is_a_solve(expr: str, wrt: str) -> None:
    _, out, _ = run("diff", expr, "--wrt", wrt, "--format", "numpy")
    derivative = function_source(out, 1)
    assert "np.linalg.solve(" in derivative and "np.linalg.inv(" not in derivative, out


def function_source(module: str, index: int) -> str:
    """The text of the module's index-th public function (0: f, 1: the derivative, 2: f_and_…)."""
    tree = ast.parse(module)
    public = [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    return ast.get_source_segment(module, public[index]) or ""


def test_the_issue_example_is_plain_matrix_products() -> None:
    _, out, _ = run("diff", "tr(A B A^T C)", "--wrt", "A", "--format", "numpy")
    body = [line.strip() for line in function_source(out, 1).splitlines() if line.strip().startswith("out =")]
    assert body == ["out = np.asarray(C @ A @ B + C.T @ A @ B.T, dtype=float)"], out


def test_a_repeated_subexpression_is_computed_once() -> None:
    _, out, _ = run("diff", "log(1 + exp(W x + b))", "--wrt", "x", "--format", "numpy")
    for i in range(3):
        assert function_source(out, i).count("W @ x") == 1, out


def test_f_and_grad_computes_what_the_function_and_its_gradient_share_once() -> None:
    """f = sum(log(1 + exp(−y ⊙ Xw))), ∇f = −Xᵀ(sigmoid(−y ⊙ Xw) ⊙ y): X @ w once in f_and_grad."""
    _, out, _ = run("diff", "sum(log(1 + exp(-y .* (X w))))", "--wrt", "w", "--format", "numpy")
    both = function_source(out, 2)
    assert both.startswith("def f_and_grad(y, X, w):") and both.count("X @ w") == 1, out
    assert function_source(out, 0).count("X @ w") == function_source(out, 1).count("X @ w") == 1, out


def test_vector_products_are_evaluated_as_matrix_vector_products() -> None:
    """−X⁻ᵀabᵀX⁻ᵀ: two solves with a vector and an outer product, never an n×n inverse."""
    _, out, _ = run("diff", "a^T X^-1 b", "--wrt", "X", "--format", "numpy")
    assert "np.linalg.solve(X.T, a) @ np.linalg.solve(X, b).T" in out, out


def test_greek_names_become_python_identifiers() -> None:
    _, out, _ = run("diff", "||y - Φ θ||^2", "--wrt", "θ", "--format", "numpy")
    compile(out, "<generated>", "exec")
    assert "θ" not in out.split('"""')[0] + out.split('"""')[-1]
