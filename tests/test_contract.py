"""The public CLI contract (../shared/CONTRACT.md), driven exactly as users and the acceptance checks do:
the installed `mcalc` console script (and `python -m mcalc`) in a subprocess,
`mcalc diff EXPR --wrt VAR --at values.npz --format json`, values written with np.savez."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, finite_difference, numpy_function, spd_matrix, square_matrix

MCALC = shutil.which("mcalc", path=str(Path(sys.executable).parent)) or shutil.which("mcalc")
KEYS = {"expression", "wrt", "derivative", "latex", "shape", "variables"}


def mcalc(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert MCALC, "the mcalc console script is not installed next to this Python"
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    return subprocess.run([MCALC, *args], capture_output=True, text=True, timeout=60, input=stdin, env=full_env)


def as_json(out: subprocess.CompletedProcess[str]) -> Any:
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, f"one JSON object per line expected: {out.stdout!r} {out.stderr!r}"
    return json.loads(lines[0])


def npz(tmp_path: Path, **arrays: Any) -> str:
    path = tmp_path / "values.npz"
    np.savez(path, **{k: np.asarray(v, dtype=float) for k, v in arrays.items()})
    return str(path)


# --------------------------------------------------------------------------------------------------
# --at values.npz --format json
# --------------------------------------------------------------------------------------------------


def test_gradient_by_a_matrix_with_a_scalar_vector_and_matrix_from_npz(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    """0-d scalar, 1-d vectors, 2-d matrix in one .npz; sizes taken from the arrays (m=3, n=5)."""
    c, a, b, x = np.asarray(1.7), rng.standard_normal(3), rng.standard_normal(5), rng.standard_normal((3, 5))
    out = mcalc("diff", "c a^T X b", "--wrt", "X", "--scalar", "c", "--at", npz(tmp_path, c=c, a=a, b=b, X=x),
                "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    obj = as_json(out)
    assert KEYS | {"value"} <= obj.keys()
    assert obj["expression"] == "c a^T X b" and obj["wrt"] == "X"
    assert obj["variables"]["c"] == [] and len(obj["variables"]["a"]) == 1 and len(obj["variables"]["X"]) == 2
    assert len(obj["shape"]) == 2
    value = np.asarray(obj["value"])
    assert value.shape == (3, 5)
    expected = finite_difference(numpy_function("c * (a @ X @ b)"), {"c": c, "a": a, "b": b, "X": x}, ["X"])
    assert_close(value, expected, what="c aᵀXb by X")
    assert isinstance(obj["derivative"], str) and obj["derivative"]
    assert isinstance(obj["latex"], str) and obj["latex"]


def test_derivative_by_a_declared_scalar_is_a_plain_number(tmp_path: Path, rng: np.random.Generator) -> None:
    c, a, b, x = np.asarray(0.8), rng.standard_normal(2), rng.standard_normal(4), rng.standard_normal((2, 4))
    out = mcalc("diff", "c a^T X b", "--wrt", "c", "--scalar", "c", "--at", npz(tmp_path, c=c, a=a, b=b, X=x),
                "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    obj = as_json(out)
    assert obj["shape"] == [] and isinstance(obj["value"], float)
    assert obj["value"] == pytest.approx(float(a @ x @ b), rel=1e-12)


@pytest.mark.parametrize(
    ("expr", "wrt", "src", "shape_of"),
    [
        ("A x", "x", "A @ x", lambda v: (v["A"].shape[0], v["x"].shape[0])),
        ("A x", "A", "A @ x", lambda v: (v["A"].shape[0], *v["A"].shape)),
        ("B C", "B", "B @ C", lambda v: (v["B"].shape[0], v["C"].shape[1], *v["B"].shape)),
        ("c x", "c", "c * x", lambda v: v["x"].shape),
        ("x^T A x", "x", "x @ A @ x", lambda v: v["x"].shape),
    ],
)
def test_value_shape_is_shape_of_expr_plus_shape_of_var(
    expr: str, wrt: str, src: str, shape_of: Any, tmp_path: Path, rng: np.random.Generator
) -> None:
    values: dict[str, np.ndarray] = {
        "A": rng.standard_normal((2, 3)) if expr != "x^T A x" else rng.standard_normal((3, 3)),
        "x": rng.standard_normal(3),
        "B": rng.standard_normal((2, 4)),
        "C": rng.standard_normal((4, 5)),
        "c": np.asarray(1.3),
    }
    used = {k: v for k, v in values.items() if k in expr.replace("^T", "")}
    out = mcalc("diff", expr, "--wrt", wrt, "--scalar", "c", "--at", npz(tmp_path, **used), "--format", "json")
    assert out.returncode == 0, out.stderr
    obj = as_json(out)
    value = np.asarray(obj["value"])
    assert value.shape == shape_of(used)
    assert len(obj["shape"]) == value.ndim
    assert_close(value, finite_difference(numpy_function(src), used, [wrt]), what=expr)


def test_at_name_equals_json(rng: np.random.Generator) -> None:
    out = mcalc("diff", "a^T X b", "--wrt", "X", "--at", "a=[1,2]", "--at", "b=[3,4,5]",
                "--at", "X=[[1,0,0],[0,1,0]]", "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert np.asarray(as_json(out)["value"]).tolist() == np.outer([1, 2], [3, 4, 5]).tolist()


def test_at_literal_and_npz_can_be_mixed(tmp_path: Path) -> None:
    path = npz(tmp_path, X=np.array([[2.0, 1.0], [1.0, 3.0]]))
    out = mcalc("diff", "logdet(X) + a^T X a", "--wrt", "X", "--at", path, "--at", "a=[1,-1]", "--format", "json")
    assert out.returncode == 0, out.stderr
    want = np.linalg.inv(np.array([[2.0, 1.0], [1.0, 3.0]])).T + np.outer([1, -1], [1, -1])
    np.testing.assert_allclose(as_json(out)["value"], want, atol=1e-12)


def test_readme_example_logdet_json() -> None:
    out = mcalc("diff", "logdet(X)", "--wrt", "X", "--at", "X=[[2,1],[1,3]]", "--format", "json")
    assert out.returncode == 0
    obj = as_json(out)
    assert obj["derivative"] == "X⁻ᵀ" and obj["kind"] == "gradient" and obj["layout"] == "mixed"
    np.testing.assert_allclose(obj["value"], np.linalg.inv(np.array([[2.0, 1.0], [1.0, 3.0]])).T, atol=1e-12)


def test_shape_gives_sizes_when_at_fixes_them() -> None:
    out = mcalc("diff", "logdet(X)", "--wrt", "X", "--at", "X=[[2,1],[1,3]]", "--format", "json")
    assert as_json(out)["shape"] == [2, 2]


# --------------------------------------------------------------------------------------------------
# --scalar and --symmetric honoured
# --------------------------------------------------------------------------------------------------


def test_scalar_declaration_changes_kind_and_value(tmp_path: Path, rng: np.random.Generator) -> None:
    x = rng.standard_normal(4)
    path = npz(tmp_path, c=np.asarray(2.5), x=x)
    out = mcalc("diff", "c x^T x", "--wrt", "x", "--scalar", "c", "--at", path, "--format", "json")
    assert out.returncode == 0, out.stderr
    obj = as_json(out)
    assert obj["variables"]["c"] == []
    np.testing.assert_allclose(obj["value"], 2 * 2.5 * x, rtol=1e-12)
    # without the declaration c only scales the scalar xᵀx: it is read as a scalar (issue 13), the same answer
    read = mcalc("diff", "c x^T x", "--wrt", "x", "--at", path, "--format", "json")
    assert read.returncode == 0, read.stderr
    assert as_json(read)["variables"]["c"] == []
    np.testing.assert_allclose(as_json(read)["value"], 2 * 2.5 * x, rtol=1e-12)
    # declared a vector, c makes c xᵀx a vector, and a 0-d value for it is refused
    bad = mcalc("diff", "c x^T x", "--wrt", "x", "--vector", "c", "--at", path, "--format", "json")
    assert bad.returncode == 2 and "error" in as_json(bad)


@pytest.mark.parametrize(
    ("expr", "src"),
    [("logdet(S)", "logdet(S)"), ("tr(S A)", "tr(S @ A)"), ("x^T S x", "x @ S @ x"), ("a^T S^-1 b", "a @ inv(S) @ b")],
)
def test_symmetric_gradient_convention(expr: str, src: str, tmp_path: Path, rng: np.random.Generator) -> None:
    """value[k,l] = ½(∂f/∂S_kl + ∂f/∂S_lk) at a symmetric S (README, Conventions)."""
    n = 4
    values = {"S": spd_matrix(rng, n), "A": rng.standard_normal((n, n)), "x": rng.standard_normal(n),
              "a": rng.standard_normal(n), "b": rng.standard_normal(n)}  # fmt: skip
    used = {k: v for k, v in values.items() if k in expr}
    out = mcalc("diff", expr, "--wrt", "S", "--symmetric", "S", "--at", npz(tmp_path, **used), "--format", "json")
    assert out.returncode == 0, out.stderr
    value = np.asarray(as_json(out)["value"])
    np.testing.assert_allclose(value, value.T, atol=1e-12)
    assert_close(value, finite_difference(numpy_function(src), used, ["S"], symmetric=["S"]), what=expr)


def test_symmetric_logdet_is_the_inverse(tmp_path: Path, rng: np.random.Generator) -> None:
    s = spd_matrix(rng, 3)
    out = mcalc("diff", "logdet(S)", "--wrt", "S", "--symmetric", "S", "--at", npz(tmp_path, S=s), "--format", "json")
    obj = as_json(out)
    assert obj["derivative"] == "S⁻¹"
    np.testing.assert_allclose(obj["value"], np.linalg.inv(s), atol=1e-12)


def test_symmetric_declaration_matters_for_a_non_symmetric_gradient(tmp_path: Path, rng: np.random.Generator) -> None:
    a = rng.standard_normal((3, 3))
    path = npz(tmp_path, S=spd_matrix(rng, 3), A=a)
    free = as_json(mcalc("diff", "tr(S A)", "--wrt", "S", "--at", path, "--format", "json"))
    sym = as_json(mcalc("diff", "tr(S A)", "--wrt", "S", "--symmetric", "S", "--at", path, "--format", "json"))
    np.testing.assert_allclose(free["value"], a.T, atol=1e-12)
    np.testing.assert_allclose(sym["value"], (a + a.T) / 2, atol=1e-12)


# --------------------------------------------------------------------------------------------------
# functions of t through --at (A, A', A'')
# --------------------------------------------------------------------------------------------------


def test_function_of_t_takes_its_derivative_values(tmp_path: Path, rng: np.random.Generator) -> None:
    a0, a1 = square_matrix(rng, 3), rng.standard_normal((3, 3))
    np.savez(tmp_path / "v.npz", **{"t": np.asarray(0.3), "A": a0, "A'": a1})
    out = mcalc("diff", "inv(A(t))", "--wrt", "t", "--at", str(tmp_path / "v.npz"), "--format", "json")
    assert out.returncode == 0, out.stderr
    inv = np.linalg.inv(a0)
    np.testing.assert_allclose(as_json(out)["value"], -inv @ a1 @ inv, atol=1e-12)


# --------------------------------------------------------------------------------------------------
# second derivatives
# --------------------------------------------------------------------------------------------------


def test_second_wrt_gives_the_hessian_and_a_list(tmp_path: Path, rng: np.random.Generator) -> None:
    a, x = rng.standard_normal((4, 4)), rng.standard_normal(4)
    out = mcalc("diff", "x^T A x", "--wrt", "x", "--wrt", "x", "--at", npz(tmp_path, A=a, x=x), "--format", "json")
    obj = as_json(out)
    assert obj["wrt"] == ["x", "x"]
    np.testing.assert_allclose(obj["value"], a + a.T, atol=1e-12)


# --------------------------------------------------------------------------------------------------
# errors and exit codes
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "position"),
    [
        (["diff", "tr(A B", "--wrt", "A"], 2, 6),
        (["diff", "A B", "--wrt", "A", "--shape", "A=m×n,B=p×q"], 2, 2),
        (["diff", "foo(x)", "--wrt", "x"], 2, 0),
        (["diff", "inv(X)", "--wrt", "X", "--at", "X=[[1,2],[2,4]]"], 1, None),
        (["diff", "tr(A)", "--wrt", "A", "--at", "missing.npz"], 2, None),
        (["diff", "a^T X b", "--wrt", "X", "--at", "a=[1,2]"], 2, None),
        (["diff", "a^T X b", "--wrt", "X", "--at", "a=[1,2", "--at", "b=[1]", "--at", "X=[[1]]"], 2, None),
    ],
    ids=["syntax", "shape", "unknown function", "singular", "no file", "missing value", "bad json"],
)
def test_errors_are_json_objects_with_a_nonzero_exit(args: list[str], code: int, position: int | None) -> None:
    out = mcalc(*args, "--format", "json")
    assert out.returncode == code, (out.stdout, out.stderr)
    obj = as_json(out)
    assert {"error", "position"} <= obj.keys()
    assert isinstance(obj["error"], str) and obj["error"]
    if position is not None:
        assert obj["position"] == position
    assert "Traceback" not in out.stdout + out.stderr


def test_error_in_text_mode_is_one_line_on_stderr() -> None:
    out = mcalc("diff", "A B", "--wrt", "A", "--shape", "A=m×n,B=p×q")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == "error: dimension mismatch in a product at col 3: A is m×n, B is p×q"


def test_pickled_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, X=np.array([{"a": 1}], dtype=object))
    out = mcalc("diff", "tr(X)", "--wrt", "X", "--at", str(path), "--format", "json")
    assert out.returncode == 2
    assert "error" in as_json(out)


def test_exit_codes_0_1_2() -> None:
    assert mcalc("diff", "x^T x", "--wrt", "x", "--check", "--seed", "1").returncode == 0
    assert mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "B^T").returncode == 0
    assert mcalc("check", "tr(A B)", "--wrt", "A", "--claim", "2 B^T").returncode == 1
    assert mcalc("diff", "tr(A B", "--wrt", "A").returncode == 2
    assert mcalc("diff", "tr(A)", "--wrt", "A", "--layout", "sideways").returncode == 2


def test_check_reports_in_json() -> None:
    obj = as_json(mcalc("diff", "tr(A B A^T C)", "--wrt", "A", "--check", "--seed", "3", "--format", "json"))
    assert obj["check"]["passed"] is True and obj["check"]["max_rel_error"] < 1e-6


# --------------------------------------------------------------------------------------------------
# batch mode, plain text, entry points
# --------------------------------------------------------------------------------------------------


def test_batch_mode_prints_one_object_per_line() -> None:
    out = mcalc("diff", "-", "--format", "json", stdin="tr(A B) ; A\nlogdet(X) ; X\ntr(A B\n")
    assert out.returncode == 2
    objs = [json.loads(line) for line in out.stdout.strip().splitlines()]
    assert [o.get("derivative") for o in objs[:2]] == ["Bᵀ", "X⁻ᵀ"]
    assert objs[2]["line"] == 3 and objs[2]["position"] == 6


def test_piped_output_is_plain_text() -> None:
    out = mcalc("diff", "tr(A B)", "--wrt", "A")
    assert out.returncode == 0
    assert out.stdout == "∂/∂A tr(AB) = Bᵀ\nshape: m×n\nread: A matrix (m×n); B matrix (n×m)\n"
    assert "\x1b" not in out.stdout
    colourless = mcalc("diff", "tr(A B)", "--wrt", "A", env={"NO_COLOR": "1"})
    assert colourless.stdout == out.stdout


def test_python_dash_m_mcalc() -> None:
    out = subprocess.run([sys.executable, "-m", "mcalc", "diff", "tr(A B)", "--wrt", "A", "--format", "json"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["derivative"] == "Bᵀ"


def test_version() -> None:
    import mcalc as package

    out = mcalc("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"mcalc {package.__version__}"


def test_an_expression_can_follow_double_dash() -> None:
    out = mcalc("diff", "--wrt", "x", "--format", "json", "--", "-x")
    assert out.returncode == 0, out.stderr
    assert as_json(out)["derivative"] == "−I"


def test_an_expression_may_start_with_unary_minus() -> None:
    out = mcalc("diff", "-tr(A B)", "--wrt", "A", "--format", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert as_json(out)["derivative"] == "−Bᵀ"
