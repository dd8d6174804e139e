"""`mcalc eval EXPR --at ...` and `--at` on `mcalc diff`: values from .npz files (never unpickled) or
NAME=JSON literals, sizes taken from the arrays, and one-line errors that name the variable: exit 2
for bad input (missing, wrong shape or kind, NaN/∞, not symmetric), 1 for mathematical failure
(a singular matrix, log of a negative entry, overflow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from mcalc.cli.app import app


def mcalc(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def value(*args: str) -> Any:
    code, out, err = mcalc(*args, "--format", "json")
    assert code == 0, err
    return np.asarray(json.loads(out)["value"], dtype=float)


def npz(tmp_path: Path, name: str = "v.npz", **arrays: Any) -> str:
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def one_line_error(code: int, err: str, want_code: int, *fragments: str) -> None:
    assert code == want_code, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for f in fragments:
        assert f in lines[0], err


# --- values ---


def test_eval_with_json_literals() -> None:
    assert value("eval", "x^T A x", "--at", "x=[1,2]", "--at", "A=[[1,0],[0,2]]") == 9.0
    code, out, _ = mcalc("eval", "A x", "--at", "x=[1,2]", "--at", "A=[[1,2],[3,4],[5,6]]")
    assert code == 0 and json.loads(out) == [5.0, 11.0, 17.0]  # plain output: the value only


def test_eval_with_an_npz_file_infers_every_size(tmp_path: Path, rng: np.random.Generator) -> None:
    a, b, c = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    got = value("eval", "tr(A B C)", "--at", npz(tmp_path, A=a, B=b, C=c))
    assert got == pytest.approx(np.trace(a @ b @ c))
    got = value("eval", "A B", "--at", npz(tmp_path, A=a, B=b))
    np.testing.assert_allclose(got, a @ b)
    code, out, _ = mcalc("eval", "A B", "--at", npz(tmp_path, A=a, B=b), "--format", "json")
    assert json.loads(out)["variables"] == {"A": [3, 4], "B": [4, 5]}


def test_literals_override_the_file_and_scalars_are_0_d(tmp_path: Path) -> None:
    path = npz(tmp_path, c=np.array(2.0), x=np.array([1.0, 2.0]))
    assert value("eval", "c x^T x", "--scalar", "c", "--at", path) == 10.0
    assert value("eval", "c x^T x", "--scalar", "c", "--at", path, "--at", "c=3") == 15.0


def test_greek_names_in_a_file_may_be_spelled_out(tmp_path: Path) -> None:
    assert value("eval", "θ^T θ", "--at", npz(tmp_path, theta=np.array([1.0, 2.0]))) == 5.0


def test_diff_at_values_gives_the_layout_free_value() -> None:
    np.testing.assert_allclose(
        value("diff", "logdet(X)", "--wrt", "X", "--at", "X=[[2,1],[1,3]]"), [[0.6, -0.2], [-0.2, 0.4]]
    )
    # det(X) X⁻ᵀ is the adjugate: defined at a singular X
    np.testing.assert_allclose(value("diff", "det(X)", "--wrt", "X", "--at", "X=[[1,1],[1,1]]"), [[1, -1], [-1, 1]])


def test_functions_of_t_take_their_derivatives_by_name(tmp_path: Path) -> None:
    code, _, err = mcalc("diff", "A(t) B(t)", "--wrt", "t", "--at", "t=1", "--at", "A=[[1,2],[3,4]]")
    one_line_error(code, err, 2, "no value given for B, B', A'")
    got = value(
        "diff", "A(t) B(t)", "--wrt", "t", "--at", "t=1", "--at", "A=[[1,2],[3,4]]", "--at", "A'=[[0,1],[1,0]]",
        "--at", "B=[[1],[1]]", "--at", "B'=[[2],[0]]",
    )  # fmt: skip
    np.testing.assert_allclose(got, np.array([[0, 1], [1, 0]]) @ [[1], [1]] + np.array([[1, 2], [3, 4]]) @ [[2], [0]])
    code, _, err = mcalc(
        "diff", "A(t) B(t)", "--wrt", "t", "--at", "t=1", "--at", "A=[[1,2],[3,4]]", "--at", "A'=[[0,1]]",
        "--at", "B=[[1],[1]]", "--at", "B'=[[2],[0]]",
    )  # fmt: skip
    one_line_error(code, err, 2, "A' has shape 1×2 but A has 2×2")


# --- bad input: exit 2, the variable named ---


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["eval", "x^T A x", "--at", "x=[1,2]"], ["no value given for A", "--at A=JSON"]),
        (["eval", "tr(A B)"], ["needs values", "variables: A, B"]),
        (["diff", "a^T X b", "--wrt", "X", "--at", "a=[1,2]"], ["no value given for ", "X", "b"]),
        (["eval", "x^T A x", "--at", "x=[1,2,3]", "--at", "A=[[1,0],[0,2]]"], ["x: vector of 3", "A: 2×2"]),
        # a 2-d value makes an undeclared x a matrix (its kind from its value): 1×2 does not fit A x
        (["eval", "A x", "--at", "x=[[1,2]]", "--at", "A=[[1,0],[0,2]]"], ["x has size 1", "x: 1×2"]),
        (
            ["eval", "A x", "--vector", "x", "--at", "x=[[1,2]]", "--at", "A=[[1,0],[0,2]]"],
            ["x is a vector", "2 dimension"],
        ),
        (["eval", "x^T x", "--at", "x=[1,NaN]"], ["value of x contains NaN or infinity"]),
        (["eval", "x^T x", "--at", "x=[1,Infinity]"], ["value of x contains NaN or infinity"]),
        (["eval", "x^T x", "--at", "x=[1,2"], ["value of x is not valid JSON"]),
        (["eval", "x^T x", "--at", "x=[[1,2],[3]]"], ["value of x is ragged"]),
        (["eval", "x^T x", "--at", 'x=["a"]'], ["value of x must contain only numbers"]),
        (
            ["eval", "tr(S)", "--symmetric", "S", "--at", "S=[[1,2],[3,4]]"],
            ["S is declared symmetric but its value is not"],
        ),
        (["eval", "tr(A)", "--at", "missing.npz"], ["cannot read missing.npz"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_values_are_one_line_errors_naming_the_variable_with_exit_2(args: list[str], fragments: list[str]) -> None:
    code, out, err = mcalc(*args)
    one_line_error(code, err, 2, *fragments)
    assert out == ""
    code, out, _ = mcalc(*args, "--format", "json")
    assert code == 2 and json.loads(out)["category"] == "bad input"


def test_non_finite_values_in_an_npz_are_bad_input(tmp_path: Path) -> None:
    code, _, err = mcalc("eval", "tr(X)", "--at", npz(tmp_path, X=np.array([[1.0, np.inf], [0.0, 1.0]])))
    one_line_error(code, err, 2, "value of X contains NaN or infinity")


def test_an_npz_holding_python_objects_is_refused_without_unpickling(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    path = tmp_path / "evil.npz"
    np.savez(path, X=np.array([_Boom(str(marker))], dtype=object))
    code, _, err = mcalc("eval", "tr(X)", "--at", str(path))
    one_line_error(code, err, 2, "X holds Python objects; refusing to unpickle")
    assert not marker.exists()


class _Boom:
    """Unpickling this would create a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (self.path, "w"))


def test_a_file_that_is_not_an_npz_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "values.npz"
    path.write_text("not a zip", encoding="utf-8")
    code, _, err = mcalc("eval", "tr(X)", "--at", str(path))
    one_line_error(code, err, 2, "not a valid .npz file")


# --- mathematical failure: exit 1, the culprit named ---


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["eval", "x^T A^-1 x", "--at", "x=[1,2]", "--at", "A=[[1,1],[1,1]]"], ["A is singular", "no inverse"]),
        (["eval", "x^T A^-1 x", "--at", "x=[1,2]", "--at", "A=[[1,2],[3,6.000000000000001]]"], ["A is singular"]),
        (["diff", "a^T X^-1 b", "--wrt", "X", "--at", "a=[1,2]", "--at", "b=[1,0]", "--at", "X=[[1,2],[2,4]]"],
         ["X is singular"]),
        (["diff", "logdet(X)", "--wrt", "X", "--at", "X=[[1,2],[2,4]]"], ["X is singular"]),
        (["eval", "logdet(X)", "--at", "X=[[1,2],[3,1]]"], ["logdet needs a positive determinant"]),
        (["eval", "sum(log(x))", "--at", "x=[-1,2]"], ["log(x) is undefined", "log of a negative entry"]),
        (["eval", "sum(sqrt(x))", "--at", "x=[-1,2]"], ["sqrt(x) is undefined"]),
        (["diff", "log(x^T x)", "--wrt", "x", "--at", "x=[0,0]"], ["log(x^T x) is undefined", "log of a zero entry"]),
        (["eval", "x^T A x", "--at", "x=[1e308,1e308]", "--at", "A=[[1e308,0],[0,2]]"], ["not finite", "overflow"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)  # fmt: skip
def test_mathematical_failures_at_the_values_exit_1(args: list[str], fragments: list[str]) -> None:
    code, out, err = mcalc(*args)
    one_line_error(code, err, 1, *fragments)
    assert out == ""
    code, out, _ = mcalc(*args, "--format", "json")
    assert code == 1 and json.loads(out)["category"] == "math error"
