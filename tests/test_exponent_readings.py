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
