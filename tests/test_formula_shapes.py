"""A --function formula that needs a shape its argument does not promise (`f(U) = logdet(U)` applied to an
m×n X) was refused under --check with "dimension m is 7 elsewhere but U has size 3 there; values given:
U: 7×3", values nobody gave: now one line in the formula's terms naming --shape. Declared square, the
value is numpy's gradient of log det."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference


@pytest.mark.parametrize("formula", ["f(U) = logdet(U)", "f(U) = tr(U)"])
def test_a_formula_that_needs_a_square_argument_names_the_shape_declaration(formula: str) -> None:
    for extra in (["--check"], ["--at", "X=[[2, 1, 0], [1, 3, 0]]"]):
        run = cli("diff", "f(X)", "--function", formula, "--wrt", "X", *extra)
        assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
        assert f"in --function {formula}:" in run.stderr and "--shape X=n×n" in run.stderr, run.stderr
        assert "values given" not in run.stderr


def test_declared_square_the_formula_gives_numpys_gradient() -> None:
    X = np.array([[2.0, 1.0, 0.5], [0.3, 3.0, 0.2], [0.1, 0.4, 1.5]])
    ok = cli("diff", "f(X)", "--function", "f(U) = logdet(U)", "--shape", "X=n×n", "--wrt", "X", "--check")
    assert ok.code == 0 and "check: passed" in ok.stdout, ok.stdout + ok.stderr
    at = ["--at", f"X={json.dumps(X.tolist())}", "--format", "json"]
    run = cli("diff", "f(X)", "--function", "f(U) = logdet(U)", "--wrt", "X", *at)
    assert run.code == 0, run.stderr
    expected = finite_difference(lambda v: np.log(np.linalg.det(v["X"])), {"X": X}, ["X"])
    assert_close(run.json["value"], expected, what="logdet formula")


def test_check_does_not_fail_a_fourth_derivative_that_vanishes_and_still_fails_a_wrong_one() -> None:
    """det(X) by a 2×2 X four times is 0, and its third derivative's O(1) terms cancel to ~1e-16: --check
    compared that rounding with a fixed 1e-8 floor and said FAILED (relative error 3.5e-3) on a right
    answer. Against numpy: det is quadratic in a 2×2 X, so every derivative beyond the second is zero.
    The third and fourth derivatives' formulas are not the zero array, and their values (~1e-15, rounding)
    are far below what differences resolve: the check is INCONCLUSIVE (exit 0), neither FAILED nor passed,
    as a wrong answer that small would agree as well (tests/test_check_resolution.py)."""
    X = np.array([[1.3, -0.4], [0.7, 2.1]])
    run = cli("diff", "det(X)", *["--wrt", "X"] * 4, "--at", f"X={json.dumps(X.tolist())}", "--format", "json")
    assert run.code == 0, run.stderr
    assert_close(run.json["value"], np.zeros((2, 2) * 4), what="∂⁴ det of a 2×2 X")
    second = finite_difference(lambda v: np.linalg.det(v["X"]), {"X": X}, ["X", "X"])
    assert_close(
        second, np.array([[[[0, 0], [0, 1]], [[0, 0], [-1, 0]]], [[[0, -1], [0, 0]], [[1, 0], [0, 0]]]]), rtol=1e-4
    )
    for order in (3, 4):
        ok = cli("diff", "det(X)", *["--wrt", "X"] * order, "--shape", "X=2x2", "--check", "--seed", "1")
        assert ok.code == 0 and "check: INCONCLUSIVE" in ok.stdout, ok.stdout + ok.stderr
        assert "below what finite differences can resolve" in ok.stdout
    wrong = cli("check", "det(X)", "--wrt", "X", "--wrt", "X", "--shape", "X=2x2", "--claim", "0")
    assert wrong.code == 1, wrong.stdout
