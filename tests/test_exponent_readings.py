"""A name in the exponent of `^` is a scalar by its meaning, also inside scalar arithmetic there: the p-norm
`sum(abs(x) .^ p)^(1/p)` and `(x^T x)^(1/p)` were refused ("division by a vector: p is not a scalar",
suggesting ./, which is another question) though p can only be a scalar; a name divided by is refused
with the fix `--scalar c` (the product rule's `to scale by c` likewise). Values against numpy's central
differences; the printed derivative, evaluated by mcalc eval, gives the same value (the round trip)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference

X = np.array([0.3, -1.2, 2.0, 0.7])


def _pnorm(v: Any) -> Any:
    return np.sum(np.abs(v["x"]) ** v["p"]) ** (1 / v["p"])


def _root(v: Any) -> Any:
    return (v["x"] @ v["x"]) ** (1 / v["p"])


@pytest.mark.parametrize(("expr", "oracle"), [("sum(abs(x) .^ p)^(1/p)", _pnorm), ("(x^T x)^(1/p)", _root)])
def test_a_name_in_an_exponent_is_read_as_a_scalar_and_the_gradient_is_right(expr: str, oracle: Any) -> None:
    read = cli("diff", expr, "--wrt", "x", "--format", "json")
    assert read.code == 0, read.stderr
    assert read.json["reading"]["p"] == {"kind": "scalar", "shape": [], "source": "by use"}
    assert read.json["warnings"] == [
        "p is read as a scalar: it is the exponent of a power (--vector p reads it as a vector)"
    ]
    values = {"x": X, "p": np.array(3.0)}
    at = ["--at", f"x={json.dumps(X.tolist())}", "--at", "p=3"]
    run = cli("diff", expr, "--wrt", "x", *at, "--format", "json")
    assert run.code == 0, run.stderr
    expected = finite_difference(oracle, values, ["x"])
    assert_close(run.json["value"], expected, what=expr)
    again = cli("eval", run.json["derivative"], *at, "--format", "json")
    assert again.code == 0, again.stderr
    assert_close(again.json["value"], expected, what=f"{run.json['derivative']} read back")


@pytest.mark.parametrize(("expr", "name", "col"), [("x / c + y", "c", 5), ("x .^ (1/p)", "p", 9)])
def test_dividing_by_an_undeclared_name_names_the_scalar_declaration(expr: str, name: str, col: int) -> None:
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert f"col {col}" in run.stderr and f"declare it a scalar: --scalar {name}" in run.stderr, run.stderr
    fixed = cli(
        "diff",
        expr,
        "--wrt",
        "x",
        "--scalar",
        name,
        "--at",
        "x=[1.0, 2.0]",
        "--at",
        f"{name}=4",
        "--at",
        "y=[0.0, 1.0]",
        "--format",
        "json",
    )
    assert fixed.code == 0, fixed.stderr
    expected = np.eye(2) / 4 if name == "c" else np.diag(0.25 * np.array([1.0, 2.0]) ** (0.25 - 1))
    assert_close(fixed.json["value"], expected, what=expr)


def test_an_undeclared_entrywise_exponent_is_read_as_an_array_and_says_so() -> None:
    """x .^ t by t: t is a vector by the convention (a Jacobian), where a SymPy user means one number (a
    vector); the warning names --scalar t, and each reading's value is numpy's."""
    x, t = np.array([0.5, 1.5, 2.0]), np.array([1.2, 0.7, 2.0])
    at = ["--at", f"x={json.dumps(x.tolist())}", "--format", "json"]
    plain = cli("diff", "x .^ t", "--wrt", "t", *at, "--at", f"t={json.dumps(t.tolist())}")
    assert plain.code == 0, plain.stderr
    expected = finite_difference(lambda v: v["x"] ** v["t"], {"x": x, "t": t}, ["t"])
    assert_close(plain.json["value"], expected, what="x .^ t, t a vector")
    read = cli("diff", "x .^ t", "--wrt", "t", "--format", "json")
    assert read.json["warnings"] == [
        "t is read as a vector: one exponent per entry (--scalar t reads it as one number)"
    ]
    scalar = cli("diff", "x .^ t", "--wrt", "t", "--scalar", "t", *at, "--at", "t=1.5")
    assert scalar.code == 0 and scalar.json["warnings"] == [], scalar.stderr
    expected = finite_difference(lambda v: v["x"] ** v["t"], {"x": x, "t": np.array(1.5)}, ["t"])
    assert_close(scalar.json["value"], expected, what="x .^ t, t a scalar")
    assert cli("diff", "2 .^ x", "--wrt", "x", "--format", "json").json["warnings"] == []  # x is the array


@pytest.mark.parametrize(("expr", "name"), [("X .^ k", "k"), ("softmax(x) ./ T", "T"), ("x + c", None)])
def test_an_entrywise_mismatch_with_an_undeclared_name_names_the_scalar_declaration(
    expr: str, name: str | None
) -> None:
    run = cli("shape", expr, "--shape", "x=3", "--shape", "c=4")
    if name is None:  # declared sizes that differ: no hint to make c a scalar
        assert run.code == 2 and "--scalar" not in run.stderr, run.stderr
        return
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.rstrip().endswith(f"to use {name} as one number, declare it a scalar: --scalar {name}")


@pytest.mark.parametrize(("expr", "col"), [("||X w - y||^2 / N", 17), ("(1/N) sum((X w - y).^2)", 4), ("A/B", 3)])
def test_division_by_an_uppercase_name_is_refused_not_read_as_its_inverse(expr: str, col: int) -> None:
    """`‖Xw − y‖² / N` read N as a matrix and answered 2 vec(N⁻¹)(Xw − y)ᵀX with exit 0 (a tensor nobody
    asked for); the contract's / divides by a scalar. Declared a scalar, the gradient is numpy's."""
    run = cli("diff", expr, "--wrt", "w" if "w" in expr else "A")
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert f"division by a matrix at col {col}" in run.stderr and "--scalar " in run.stderr, run.stderr
    assert "write N^-1" in run.stderr or "write B^-1" in run.stderr
    if "N" not in expr:
        return
    rng = np.random.default_rng(3)
    values = {"X": rng.normal(size=(4, 2)), "w": rng.normal(size=2), "y": rng.normal(size=4), "N": np.array(4.0)}
    at = [a for k, v in values.items() for a in ("--at", f"{k}={json.dumps(v.tolist())}")]
    fixed = cli("diff", expr, "--wrt", "w", "--scalar", "N", *at, "--format", "json")
    assert fixed.code == 0, fixed.stderr
    expected = finite_difference(lambda v: np.sum((v["X"] @ v["w"] - v["y"]) ** 2) / v["N"], values, ["w"])
    assert_close(fixed.json["value"], expected, what=expr)


def test_a_typed_inverse_is_still_an_inverse_and_a_squared_scale_names_scalar() -> None:
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)) + 3 * np.eye(3)
    at = ["--at", f"A={json.dumps(A.tolist())}", "--at", f"B={json.dumps(B.tolist())}", "--format", "json"]
    run = cli("diff", "A B^-1", "--wrt", "A", *at)
    assert run.code == 0, run.stderr
    expected = finite_difference(lambda v: v["A"] @ np.linalg.inv(v["B"]), {"A": A, "B": B}, ["A"])
    assert_close(run.json["value"], expected, what="A B^-1")
    gauss = cli("diff", "exp(-||x - mu||^2 / (2 s^2))", "--wrt", "x")
    assert gauss.code == 2 and gauss.stderr.rstrip().endswith("(a scalar s: --scalar s)"), gauss.stderr


def test_a_power_by_a_value_close_to_a_whole_number_shows_the_value_given() -> None:
    """k = 3.0000000001 was refused with 'it is 3' (printed with %g), which reads as a contradiction."""
    run = cli("eval", "tr(X^k)", "--scalar", "k", "--at", "X=[[1,2],[3,4]]", "--at", "k=3.0000000001")
    assert run.code == 1 and "it is 3.0000000001 at the values given" in run.stderr, run.stderr
    ok = cli("eval", "tr(X^k)", "--scalar", "k", "--at", "X=[[1,2],[3,4]]", "--at", "k=3", "--format", "json")
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_close(ok.json["value"], np.trace(X @ X @ X), what="tr(X^3)")
