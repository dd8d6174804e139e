"""Application notation is never silently a product (issue 23 item 5; README § How mcalc reads a name).

An undeclared name written directly before `(` that is not a function: lowercase (`f(x)`, `λ_max(S)`,
`σ(W x)`) is refused with one line naming the fix (`--function f`, or what the name means); uppercase
(`F(x)`, `A(s)`) is read as the product with a warning naming `--function F` and `F (x)`. The number 1
multiplying an array (`x^T 1`, `1^T X 1`, `X 1`) is the ones vector 𝟙, with a warning. Where an input now
gives an answer, its value is compared with finite differences of independent numpy code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference, seeded


def refused(*args: str) -> str:
    run = cli(*args)
    assert run.code == 2 and run.stdout == "" and run.stderr.count("\n") == 1, run
    return run.stderr


def answered(*args: str) -> tuple[dict[str, Any], list[str]]:
    run = cli(*args, "--format", "json")
    assert run.code == 0, run
    obj = json.loads(run.stdout)
    return obj, obj.get("warnings", [])


# --- lowercase names before '(' are refused, naming --function ------------------------------------


@pytest.mark.parametrize(
    ("expr", "wrt", "says"),
    [
        ("f(x)^T g(x)", "x", "f is not a function mcalc knows at col 1: f(x) reads as f applied to x; "),
        ("f(x)", "x", "declare it, --function f (a scalar function of its argument)"),
        ("sum(f(x))", "x", "for a product write f (x) with a space, or f*(x)"),
        ("a(b^T x)", "x", "a is not a function mcalc knows at col 1"),
        ("c(x + y)", "x", "declare it, --function c"),
        ("phi(x)", "x", "--function phi and write phi(x)"),
        ("x^T A x + h(x)", "x", "h is not a function mcalc knows at col 11"),
    ],
)
def test_a_lowercase_name_before_a_parenthesis_is_refused(expr: str, wrt: str, says: str) -> None:
    err = refused("diff", expr, "--wrt", wrt)
    assert says in err, err
    assert "--scalar f" not in err and "2fgx" not in err


def test_the_refusal_names_the_parameter_form_for_a_lone_name() -> None:
    err = refused("diff", "f(s) x", "--wrt", "x")
    assert "for f a function of the scalar s, --scalar s" in err, err


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("λ(S)", "λ is not a function mcalc knows at col 1: λ(S) (an eigenvalue); write λ_max(S), λ_min(S)"),
        ("σ(W x)", "write sigmoid(…) for the logistic function"),
    ],
)
def test_a_name_with_a_known_meaning_says_what_it_means_and_no_scalar_declaration(expr: str, says: str) -> None:
    err = refused("diff", expr, "--wrt", "S" if "S" in expr else "X" if "X" in expr else "W")
    assert says in err, err
    assert "--scalar" not in err and "--function" not in err  # never a declaration making it a factor


def test_following_the_function_hint_gives_the_application() -> None:
    # f(x)ᵀ g(x): both vector-valued by use (issue 23 item 4), said in a warning each
    obj, warnings = answered("diff", "f(x)^T g(x)", "--function", "f,g", "--wrt", "x")
    assert obj["derivative"] == "J_f(x)ᵀ g(x) + J_g(x)ᵀ f(x)"
    assert [w.split(" (")[0] for w in warnings] == ["f is read as vector-valued", "g is read as vector-valued"]
    scalar = answered("diff", "f(x) g(x)", "--function", "f,g", "--wrt", "x")
    assert scalar == ({**scalar[0], "derivative": "g(x) ∇f(x) + f(x) ∇g(x)"}, [])


# --- declared, spaced, starred, or used elsewhere: a product as before, without a word ---------------


@pytest.mark.parametrize(
    "args",
    [
        ["c(x + y)", "--scalar", "c", "--wrt", "x"],
        ["F(x)", "--matrix", "F", "--wrt", "x"],
        ["F (x)", "--wrt", "x"],
        ["F*(x)", "--wrt", "x"],
        ["f (x)", "--scalar", "f", "--wrt", "x"],
        ["x^T x(x^T x)", "--wrt", "x"],
        ["A(t) B(t)", "--wrt", "t"],
        ["A(s)", "--scalar", "s", "--wrt", "s"],
        ["f(A x)", "--function", "f", "--wrt", "x"],
        ["2(x)", "--wrt", "x"],
        ["(A)(x)", "--wrt", "x"],
    ],
)
def test_what_read_before_reads_the_same_without_a_warning(args: list[str]) -> None:
    _, warnings = answered("diff", *args)
    assert not [w for w in warnings if "is read as the product" in w or "ones vector" in w], warnings


# --- uppercase names before '(' are products, with a warning; values against numpy ---------------


def _fd_check(args: list[str], wrt: str, values: Mapping[str, Any], f: Callable[[Mapping[str, Any]], Any]) -> None:
    at = [a for name, v in values.items() for a in ("--at", f"{name}={json.dumps(np.asarray(v).tolist())}")]
    obj, _ = answered("diff", *args, "--wrt", wrt, *at)
    assert_close(obj["value"], finite_difference(f, values, [wrt]), what=" ".join(args))


def test_an_uppercase_name_before_a_parenthesis_is_a_product_with_a_warning() -> None:
    rng = np.random.default_rng(seeded("F(x)"))
    values = {"F": rng.normal(size=(3, 4)), "x": rng.normal(size=4)}
    obj, warnings = answered("diff", "F(x)", "--wrt", "x")
    assert warnings == [
        "F(x) is read as the product F (x); to apply a function F to x, declare --function F; "
        "write F (x) with a space for the product without this warning"
    ]
    assert obj["equation"] == "∂(Fx)/∂x = F"
    _fd_check(["F(x)"], "x", values, lambda v: v["F"] @ v["x"])


def test_a_matrix_of_a_lone_name_names_the_parameter_form_too() -> None:
    rng = np.random.default_rng(seeded("A(s)"))
    values = {"A": rng.normal(size=(3, 2)), "s": rng.normal(size=2)}
    _, warnings = answered("diff", "A(s)", "--wrt", "s")
    assert len(warnings) == 1 and "--function A" in warnings[0] and "A (s)" in warnings[0]
    assert "for A a function of the scalar s, --scalar s" not in warnings[0]  # s is the variable here
    _, warnings = answered("diff", "x^T A(s)", "--wrt", "x")
    assert "for A a function of the scalar s, --scalar s" in warnings[0], warnings
    _fd_check(["A(s)"], "s", values, lambda v: v["A"] @ v["s"])


def test_a_product_with_a_sum_in_parentheses_is_warned_once() -> None:
    rng = np.random.default_rng(seeded("W(x - y)"))
    values = {"W": rng.normal(size=(2, 3)), "x": rng.normal(size=3), "y": rng.normal(size=3)}
    _, warnings = answered("diff", "W(x - y) + W(x + y)", "--wrt", "x")
    assert [w for w in warnings if "W(x - y) is read as the product W (x - y)" in w] == warnings and len(warnings) == 1
    _fd_check(["W(x - y) + W(x + y)"], "x", values, lambda v: v["W"] @ (v["x"] - v["y"]) + v["W"] @ (v["x"] + v["y"]))


# --- the number 1 multiplying an array is 𝟙 -----------------------------------------------------


ONES_NOTE = "as the ones vector 𝟙 (it multiplies an array); write 𝟙 or ones to say so"


def test_x_transpose_one_is_the_sum_of_x() -> None:
    rng = np.random.default_rng(seeded("x^T 1"))
    values = {"x": rng.normal(size=4)}
    obj, warnings = answered("diff", "x^T 1", "--wrt", "x")
    assert warnings == [f"read the 1 in x^T 1 {ONES_NOTE}"] and obj["derivative"] == "𝟙"
    _fd_check(["x^T 1"], "x", values, lambda v: np.sum(v["x"]))


def test_ones_around_a_matrix() -> None:
    rng = np.random.default_rng(seeded("1^T X 1"))
    values = {"X": rng.normal(size=(3, 4))}
    _, warnings = answered("diff", "1^T X 1", "--wrt", "X")
    assert warnings == [f"read the 1 in 1^T X 1 {ONES_NOTE}"]
    _fd_check(["1^T X 1"], "X", values, lambda v: np.sum(v["X"]))
    _, warnings = answered("diff", "X 1", "--wrt", "X")
    assert warnings == [f"read the 1 in X 1 {ONES_NOTE}"]
    _fd_check(["X 1"], "X", values, lambda v: v["X"] @ np.ones(4))
    _fd_check(["y^T X*1"], "X", {**values, "y": rng.normal(size=3)}, lambda v: v["y"] @ v["X"] @ np.ones(4))


@pytest.mark.parametrize("expr", ["x 1", "x^T x 1", "(x^T x) 1", "2 x", "1 x", "x + 1", "1.0 x^T x"])
def test_a_one_after_a_scalar_or_a_column_stays_the_number(expr: str) -> None:
    rng = np.random.default_rng(seeded(expr))
    values = {"x": rng.normal(size=3)}
    _, warnings = answered("diff", expr, "--wrt", "x")
    assert not [w for w in warnings if "ones vector" in w], warnings
    numpy = {
        "x 1": lambda v: v["x"],
        "x^T x 1": lambda v: v["x"] @ v["x"],
        "(x^T x) 1": lambda v: v["x"] @ v["x"],
        "2 x": lambda v: 2 * v["x"],
        "1 x": lambda v: v["x"],
        "x + 1": lambda v: v["x"] + 1,
        "1.0 x^T x": lambda v: v["x"] @ v["x"],
    }[expr]
    _fd_check([expr], "x", values, numpy)


# --- mcalc check says the same reading --------------------------------------------------------------


def test_check_warns_as_diff_does() -> None:
    run = cli("check", "F(x)", "--wrt", "x", "--claim", "F")
    assert run.code == 0 and run.stdout.startswith("correct:")
    assert run.stderr.startswith("warning: F(x) is read as the product F (x)"), run.stderr
    run = cli("check", "x^T X 1", "--wrt", "x", "--claim", "X 1", "--format", "json")
    assert run.code == 0 and json.loads(run.stdout)["warnings"] == [
        f"read the 1 in x^T X 1 {ONES_NOTE}",
        f"in the claim: read the 1 in X 1 {ONES_NOTE}",
    ]
    run = cli("check", "x^T X 1", "--wrt", "x", "--claim", "X", "--format", "json")
    assert run.code == 1 and json.loads(run.stdout)["verdict"] == "wrong-shape"  # X 1 by x is X𝟙, not X
    run = cli("check", "f(x)^T g(x)", "--wrt", "x", "--claim", "2 f g x")
    assert run.code == 2 and "--function f" in run.stderr and run.stdout == ""
    run = cli("check", "tr(A B)", "--wrt", "A", "--claim", "B^T", "--format", "json")
    assert "warnings" not in json.loads(run.stdout)


@pytest.mark.parametrize("expr", ["f(x, y)", "F(x, y)", "x^T g(x, A)"])
def test_a_list_of_arguments_after_a_name_says_the_name_is_no_function(expr: str) -> None:
    err = refused("diff", expr, "--wrt", "x")
    name = expr.split("(")[0][-1]
    assert f"{name} is not a function mcalc knows at col {expr.index('(')}:" in err, err
    assert f"--function {name} takes one argument" in err


def test_a_scalar_before_the_ones_keeps_each_ones_its_own_size() -> None:
    """`α 1^T X 1`: the two 𝟙 are equal trees of different sizes; the shape memo took one for the other when
    α's kind was tried by use (a dimension mismatch, also for `c ones^T X ones` before 𝟙 was read from 1)."""
    rng = np.random.default_rng(seeded("alpha 1^T X 1"))
    values = {"X": rng.normal(size=(3, 4)), "α": np.asarray(1.7)}
    _fd_check(["alpha 1^T X 1"], "X", values, lambda v: v["α"] * np.sum(v["X"]))
    run = cli("shape", "c ones^T X ones")
    assert run.code == 0 and "X: matrix m×n" in run.stdout, run


@pytest.mark.parametrize(("expr", "end"), [("lambda_max (S)", "max"), ("λ_max S", "max"), ("λ_min(S)", "min")])
def test_the_eigenvalue_functions_are_functions_now_however_spaced(expr: str, end: str) -> None:
    """Issue 24 built them: what was refused as a product is the function applied."""
    obj, warnings = answered("diff", expr, "--wrt", "S", "--symmetric", "S")
    assert obj["derivative"] == f"eigvec_{end}(S) eigvec_{end}(S)ᵀ", obj
    assert warnings == []
