"""Issue 3: Jacobians, 3rd- and 4th-order tensors, their two notations, second derivatives, and a property
test over random compositions of vector- and matrix-valued expressions.

Every tensor is checked entry by entry against finite differences through `--at … --format json`
(`value` of shape shape(EXPR) + shape(VAR)), and the seeds' own index and vec/Kronecker formulas are
checked against that `value`, so the printed forms are the ones the numbers follow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import check_numeric, cli, make_point, save_npz, seeded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# --------------------------------------------------------------------------------------------------
# tensors and Jacobians against finite differences
# --------------------------------------------------------------------------------------------------

TENSORS = [
    # (expr, wrt, numpy, extra args)
    ("A x", "x", "A @ x", ()),
    ("W x + b", "b", "W @ x + b", ()),
    ("A x", "A", "A @ x", ()),
    ("W_1 x_0", "W_1", "W_1 @ x_0", ()),
    ("B C", "B", "B @ C", ()),
    ("B C", "C", "B @ C", ()),
    ("R^T R", "R", "R.T @ R", ()),
    ("X X^T", "X", "X @ X.T", ()),
    ("X^T", "X", "X.T", ()),
    ("A X B", "X", "A @ X @ B", ()),
    ("X^-1", "X", "inv(X)", ()),
    ("x x^T", "x", "outer(x, x)", ()),
    ("a^T X", "X", "a @ X", ()),  # a row: shape (1, n) + (m, n) per the convention for a 1×n result
    ("sigmoid(W x + b)", "W", "sigmoid(W @ x + b)", ()),
    ("S x", "S", "S @ x", ("--symmetric", "S")),
    ("A(t) x(t)", "t", "A(t) @ x(t)", ()),
    ("inv(A(t))", "t", "inv(A(t))", ()),
    # second derivatives
    ("x^T A x", "x,x", "x @ A @ x", ()),
    ("logdet(X)", "X,X", "logdet(X)", ()),
    ("||A x - b||^2", "x,x", "norm(A @ x - b)**2", ()),
    ("||A x - b||^2", "x,A", "norm(A @ x - b)**2", ()),
    ("x^T A x", "x,A", "x @ A @ x", ()),
    ("x^T A x", "A,x", "x @ A @ x", ()),
    ("tr(A X B X^T)", "X,X", "tr(A @ X @ B @ X.T)", ()),
    ("tr(X^T X)", "X,X", "tr(X.T @ X)", ()),
    ("sum(exp(x))", "x,x", "sum(exp(x))", ()),
    ("sin(A x)", "x,x", "sin(A @ x)", ()),
    ("logdet(S)", "S,S", "logdet(S)", ("--symmetric", "S")),
    ("a^T X^-1 b", "X,X", "a @ inv(X) @ b", ()),
]


def _numpy_for(expr: str, src: str) -> str:
    # a row vector (1×n) keeps its leading 1 in the contract's shape(EXPR)
    return f"({src})[None, :]" if expr == "a^T X" else src


@pytest.mark.parametrize(("expr", "wrt", "src", "extra"), TENSORS, ids=[f"{e} ; {w}" for e, w, _, _ in TENSORS])
def test_tensor_value_matches_finite_differences(
    expr: str, wrt: str, src: str, extra: tuple[str, ...], tmp_path: Path, rng: np.random.Generator
) -> None:
    sym = [extra[1]] if extra[:1] == ("--symmetric",) else []
    check_numeric(expr, wrt.split(","), _numpy_for(expr, src), tmp_path, rng, extra_args=extra, symmetric=sym)


# --------------------------------------------------------------------------------------------------
# the seeds' index and vec formulas against mcalc's value
# --------------------------------------------------------------------------------------------------


def value_at(expr: str, wrt: list[str], tmp_path: Path, rng: np.random.Generator, *extra: str):  # type: ignore[no-untyped-def]
    args = ["diff", expr, *[a for v in wrt for a in ("--wrt", v)], *extra, "--format", "json"]
    first = cli(*args)
    assert first.code == 0, first.stdout
    point = make_point(first.json["variables"], rng)
    run = cli(*args, "--at", str(save_npz(tmp_path / "v.npz", point.mcalc)))
    assert run.code == 0, run.stdout
    return np.asarray(run.json["value"], dtype=float), point.mcalc, run.json


def vec_matrix(value: np.ndarray, f_ndim: int) -> np.ndarray:
    """J = ∂vec(F)/∂vec(X) from value[i…, k…] (vec stacks columns: column-major)."""
    f_shape, x_shape = value.shape[:f_ndim], value.shape[f_ndim:]
    rows, cols = int(np.prod(f_shape)), int(np.prod(x_shape))
    out = np.zeros((rows, cols))
    for fi in np.ndindex(*f_shape):
        r = np.ravel_multi_index(fi, f_shape, order="F") if fi else 0
        for xi in np.ndindex(*x_shape):
            out[r, np.ravel_multi_index(xi, x_shape, order="F")] = value[(*fi, *xi)]
    return out


def commutation(m: int, n: int) -> np.ndarray:
    """K with K vec(M) = vec(Mᵀ) for an m×n M."""
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[j + i * n, i + j * m] = 1.0
    return k


def test_bc_by_b_index_and_vec_forms(tmp_path: Path, rng: np.random.Generator) -> None:
    """Seed 002 §0.1: ∂(BC)ᵢⱼ/∂Bₖₗ = δᵢₖ Cₗⱼ, and ∂vec(BC)/∂vec(B) = Cᵀ ⊗ I."""
    value, v, out = value_at("B C", ["B"], tmp_path, rng)
    b, c = v["B"], v["C"]
    m = b.shape[0]
    d = np.eye(m)
    np.testing.assert_allclose(value, np.einsum("ik,lj->ijkl", d, c), atol=1e-12)
    np.testing.assert_allclose(vec_matrix(value, 2), np.kron(c.T, np.eye(m)), atol=1e-12)
    assert out["index"].endswith("= δᵢₖ Cₗⱼ") and out["vec"].endswith("= Cᵀ ⊗ I")


def test_ax_by_a_index_and_vec_forms(tmp_path: Path, rng: np.random.Generator) -> None:
    """Seed 000 Example 5.14 / seed 002 §0.2: ∂fᵢ/∂Aₖₗ = δᵢₖ xₗ; ∂(Ax)/∂vec(A) = xᵀ ⊗ I."""
    value, v, out = value_at("A x", ["A"], tmp_path, rng)
    a, x = v["A"], v["x"]
    m = a.shape[0]
    np.testing.assert_allclose(value, np.einsum("ik,l->ikl", np.eye(m), x), atol=1e-12)
    np.testing.assert_allclose(vec_matrix(value, 1), np.kron(x[None, :], np.eye(m)), atol=1e-12)
    assert out["index"].endswith("= δᵢₖ xₗ") and out["vec"].endswith("= xᵀ ⊗ I")


def test_rtr_by_r_the_four_cases_of_the_seed(tmp_path: Path, rng: np.random.Generator) -> None:
    """Seed 000 Example 5.15: K = RᵀR, ∂Kₚq/∂Rᵢⱼ = Rᵢq if j = p ≠ q, Rᵢₚ if j = q ≠ p, 2Rᵢq if
    j = p = q, 0 otherwise; vec form (Rᵀ ⊗ I)Kₘₙ + I ⊗ Rᵀ."""
    value, v, out = value_at("R^T R", ["R"], tmp_path, rng)
    r = v["R"]
    m, n = r.shape
    assert value.shape == (n, n, m, n)
    for p in range(n):
        for q in range(n):
            for i in range(m):
                for j in range(n):
                    if j == p and p == q:
                        want = 2 * r[i, q]
                    elif j == p:
                        want = r[i, q]
                    elif j == q:
                        want = r[i, p]
                    else:
                        want = 0.0
                    assert value[p, q, i, j] == pytest.approx(want, abs=1e-12), (p, q, i, j)
    vec_form = np.kron(r.T, np.eye(n)) @ commutation(m, n) + np.kron(np.eye(n), r.T)
    np.testing.assert_allclose(vec_matrix(value, 2), vec_form, atol=1e-12)
    assert "Kₘₙ" in out["vec"] and "Rᵀ ⊗ I" in out["vec"] and "I ⊗ Rᵀ" in out["vec"]
    assert set(out["index"].split(" = ")[1].split(" + ")) == {"δᵢₗ Rₖⱼ", "Rₖᵢ δₗⱼ"}


def test_logdet_hessian_index_form(tmp_path: Path, rng: np.random.Generator) -> None:
    """∂(X⁻ᵀ)ᵢⱼ/∂Xₖₗ = −(X⁻¹)ₗᵢ (X⁻¹)ⱼₖ."""
    value, v, out = value_at("logdet(X)", ["X", "X"], tmp_path, rng)
    xi = np.linalg.inv(v["X"])
    np.testing.assert_allclose(value, -np.einsum("li,jk->ijkl", xi, xi), atol=1e-10)
    assert out["shape"] == ["m", "m", "m", "m"] or out["shape"] == [len(xi)] * 4


# --------------------------------------------------------------------------------------------------
# printed forms
# --------------------------------------------------------------------------------------------------


def test_rtr_prints_both_forms_and_its_shape() -> None:
    """Issue 3: `mcalc diff "R^T R" --wrt R` prints both forms and the shape (n×n)×(m×n)."""
    run = cli("diff", "R^T R", "--wrt", "R", "--format", "text")
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert lines[0].startswith("∂vec(RᵀR)/∂vec(R) = ") and "Kₘₙ" in lines[0]
    assert "shape: (n×n)×(m×n)" in lines
    assert any(line.startswith("index: ∂(RᵀR)ᵢⱼ/∂Rₖₗ = ") for line in lines)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("index", "∂(BC)ᵢⱼ/∂Bₖₗ = δᵢₖ Cₗⱼ"),
        ("vec", "∂vec(BC)/∂vec(B) = Cᵀ ⊗ I"),
    ],
)
def test_format_index_and_vec_choose_one_form(fmt: str, expected: str) -> None:
    run = cli("diff", "B C", "--wrt", "B", "--format", fmt)
    assert run.code == 0
    assert run.stdout.strip() == expected


def test_tensor_json_carries_both_notations_and_the_kind() -> None:
    out = cli("diff", "R^T R", "--wrt", "R", "--format", "json").json
    assert out["kind"] == "tensor"
    assert out["shape"] == ["n", "n", "m", "n"]
    assert out["display_shape"] == "(n×n)×(m×n)"
    assert out["index"].startswith("∂(RᵀR)ᵢⱼ/∂Rₖₗ = ")
    assert out["vec"].startswith("∂vec(RᵀR)/∂vec(R) = ")


def test_jacobian_kind_and_layouts_do_not_change_the_value(tmp_path: Path, rng: np.random.Generator) -> None:
    """The numeric value follows the contract whatever the layout (seed 004, issue 3 item 4)."""
    base = cli("diff", "A x", "--wrt", "x", "--format", "json").json
    assert base["kind"] == "jacobian" and base["layout"] == "mixed"
    point = make_point(base["variables"], rng)
    npz = str(save_npz(tmp_path / "v.npz", point.mcalc))
    values = {}
    for layout in ("mixed", "numerator", "denominator"):
        run = cli("diff", "A x", "--wrt", "x", "--layout", layout, "--at", npz, "--format", "json")
        assert run.code == 0
        assert run.json["layout"] == layout
        values[layout] = np.asarray(run.json["value"])
    for layout in values:
        np.testing.assert_array_equal(values[layout], point.mcalc["A"])


@pytest.mark.parametrize(
    ("expr", "wrt", "kind"),
    [
        ("tr(A B)", ["A"], "gradient"),
        ("||y - Φ θ||^2", ["θ"], "gradient"),
        ("A x", ["x"], "jacobian"),
        ("B C", ["B"], "tensor"),
        ("R^T R", ["R"], "tensor"),
        ("A(t) x(t)", ["t"], "derivative"),
        ("x^T A x", ["x", "x"], "jacobian"),
        ("logdet(X)", ["X", "X"], "tensor"),
    ],
)
def test_value_does_not_depend_on_the_layout(
    expr: str, wrt: list[str], kind: str, tmp_path: Path, rng: np.random.Generator
) -> None:
    """CONTRACT.md: `--layout` changes the orientation of the printed result, never `value`."""
    from helpers import functions_of

    base = ["diff", expr, *[a for v in wrt for a in ("--wrt", v)], "--format", "json"]
    first = cli(*base)
    assert first.code == 0 and first.json["kind"] == kind, first.stdout
    point = make_point(first.json["variables"], rng, functions=functions_of(expr))
    npz = str(save_npz(tmp_path / "v.npz", point.mcalc))
    values = {}
    for layout in ("mixed", "numerator", "denominator"):
        run = cli(*base, "--layout", layout, "--at", npz)
        assert run.code == 0, run.stdout
        assert run.json["layout"] == layout
        values[layout] = np.asarray(run.json["value"])
    np.testing.assert_array_equal(values["numerator"], values["mixed"])
    np.testing.assert_array_equal(values["denominator"], values["mixed"])


# --------------------------------------------------------------------------------------------------
# property: random compositions of vector- and matrix-valued expressions
# --------------------------------------------------------------------------------------------------

# the variables and their fixed (distinct) sizes; vectors are columns in the numpy oracle
VARS = {"X": (3, 2), "A": (2, 3), "B": (3, 3), "C": (2, 2), "x": (2, 1), "y": (3, 1)}
SHAPES = [(3, 2), (2, 3), (3, 3), (2, 2), (2, 1), (3, 1)]


def _leaves(shape: tuple[int, int]) -> list[tuple[str, str]]:
    out = []
    for name, s in VARS.items():
        np_name = f"col({name})" if s[1] == 1 else name
        if s == shape:
            out.append((name, np_name))
        if (s[1], s[0]) == shape and s[1] != 1:
            out.append((f"{name}^T", f"{np_name}.T"))
    if shape[0] == shape[1]:
        out.append(("I", f"eye({shape[0]})"))
    return out


@st.composite
def expressions(draw: st.DrawFn, shape: tuple[int, int], depth: int) -> tuple[str, str]:
    leaves = _leaves(shape)
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(leaves)) if leaves else draw(expressions(shape, 1))
    r, c = shape
    op = draw(st.sampled_from(["add", "sub", "mul", "mul", "transpose", "hadamard", "func", "scale", "inv"]))
    if op in ("add", "sub"):
        a, b = draw(expressions(shape, depth - 1)), draw(expressions(shape, depth - 1))
        sym = "+" if op == "add" else "-"
        return f"({a[0]} {sym} {b[0]})", f"({a[1]} {sym} {b[1]})"
    if op == "mul":
        k = draw(st.sampled_from([2, 3]))
        a, b = draw(expressions((r, k), depth - 1)), draw(expressions((k, c), depth - 1))
        return f"({a[0]} {b[0]})", f"({a[1]} @ {b[1]})"
    if op == "transpose" and c != 1:
        a = draw(expressions((c, r), depth - 1))
        return f"({a[0]})^T", f"({a[1]}).T"
    if op == "hadamard":
        a, b = draw(expressions(shape, depth - 1)), draw(expressions(shape, depth - 1))
        return f"({a[0]} .* {b[0]})", f"({a[1]} * {b[1]})"
    if op == "func":
        f = draw(st.sampled_from(["sin", "tanh", "sigmoid", "cos"]))
        a = draw(expressions(shape, depth - 1))
        return f"{f}({a[0]})", f"{f}({a[1]})"
    if op == "inv" and r == c:
        a = draw(expressions(shape, depth - 1))
        return f"inv(4 I + tanh({a[0]}))", f"inv(4 * eye({r}) + tanh({a[1]}))"
    k = draw(st.sampled_from(["2", "1/2", "-3"]))
    a = draw(expressions(shape, depth - 1))
    return f"({k} {a[0]})", f"(({k}) * {a[1]})"


@st.composite
def problems(draw: st.DrawFn) -> tuple[str, str, str, tuple[int, int]]:
    shape = draw(st.sampled_from(SHAPES))
    mc, npy = draw(expressions(shape, 3))
    used = [v for v in VARS if _uses(mc, v)]
    wrt = draw(st.sampled_from(used)) if used else "X"
    return mc, npy, wrt, shape


def _uses(expr: str, name: str) -> bool:
    import re

    return re.search(rf"(?<![\w]){name}(?![\w])", expr) is not None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problems())
def test_random_compositions_match_finite_differences(problem: tuple[str, str, str, tuple[int, int]]) -> None:
    import tempfile

    from helpers import assert_close, finite_difference, numpy_function

    expr, src, wrt, shape = problem
    used = [v for v in VARS if _uses(expr, v)]
    if wrt not in used:
        return  # a constant expression (only I): nothing to differentiate
    shapes = [f"{v}={VARS[v][0]}x{VARS[v][1]}" if VARS[v][1] != 1 else f"{v}={VARS[v][0]}" for v in used]
    args = ["diff", expr, "--wrt", wrt, "--shape", ",".join(shapes), "--format", "json"]
    rng = np.random.default_rng(seeded(expr))
    values = {v: (rng.standard_normal(VARS[v]) if VARS[v][1] != 1 else rng.standard_normal(VARS[v][0])) for v in used}
    with tempfile.TemporaryDirectory() as tmp:
        npz = save_npz(Path(tmp) / "v.npz", values)
        run = cli(*args, "--at", str(npz))
    assert run.code == 0, f"{expr} by {wrt}: {run.stdout}{run.stderr}"
    value = np.asarray(run.json["value"], dtype=float)
    out_src = src
    if shape[1] == 1:
        out_src = f"({src})[:, 0]"
    f = numpy_function(out_src)
    ns = dict(values)
    ns["col"] = lambda v: np.asarray(v).reshape(-1, 1)
    expected = finite_difference(f, ns, [wrt])
    assert_close(value, expected, what=f"{expr} by {wrt}", rtol=1e-5)
