"""Issue 17's elementwise functions `tan arcsin arccos arctan` (`asin acos atan`) `sinh cosh`, which enter
through the function catalogue alone: each in text, LaTeX, `--format numpy` (the generated code is run)
and `--steps`, with numbers compared against finite differences of independent numpy code; their domains
under `--at` (one line, exit 1, naming the function) and `--check` (random points inside the domain).
The derivatives by scalars, vectors and matrices, and Hessians, are in tests/test_operators.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference


@dataclass(frozen=True)
class Fn:
    spelling: str  # as typed
    name: str  # as printed
    numpy: Any  # numpy's own function: the independent oracle
    text: str  # ∂/∂x sum(f(x)), as mcalc prints it
    latex: str  # the LaTeX of f(x)
    unit: bool = False  # domain (−1, 1)


FUNCTIONS = [
    Fn("tan", "tan", np.tan, "1 + tan(x).^2", r"\tan\left(x\right)"),
    Fn("arcsin", "arcsin", np.arcsin, "(1 − x.^2).^(-1/2)", r"\arcsin\left(x\right)", unit=True),
    Fn("asin", "arcsin", np.arcsin, "(1 − x.^2).^(-1/2)", r"\arcsin\left(x\right)", unit=True),
    Fn("arccos", "arccos", np.arccos, "−(1 − x.^2).^(-1/2)", r"\arccos\left(x\right)", unit=True),
    Fn("acos", "arccos", np.arccos, "−(1 − x.^2).^(-1/2)", r"\arccos\left(x\right)", unit=True),
    Fn("arctan", "arctan", np.arctan, "1 ./ (1 + x.^2)", r"\arctan\left(x\right)"),
    Fn("atan", "arctan", np.arctan, "1 ./ (1 + x.^2)", r"\arctan\left(x\right)"),
    Fn("sinh", "sinh", np.sinh, "cosh(x)", r"\sinh\left(x\right)"),
    Fn("cosh", "cosh", np.cosh, "sinh(x)", r"\cosh\left(x\right)"),
]
IDS = [f.spelling for f in FUNCTIONS]


def _point(fn: Fn, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """W 3×2, x ∈ ℝ², y ∈ ℝ³; small entries for arcsin and arccos, so that W x stays inside (−1, 1)."""
    scale = 0.4 if fn.unit else 1.0
    return {
        "W": rng.uniform(-scale, scale, (3, 2)),
        "x": rng.uniform(-scale, scale, 2),
        "y": rng.standard_normal(3),
    }


def _oracle(fn: Fn) -> Any:
    return lambda v: v["y"] @ fn.numpy(v["W"] @ v["x"])  # yᵀ f(W x), written in numpy


@pytest.mark.parametrize("fn", FUNCTIONS, ids=IDS)
def test_text(fn: Fn) -> None:
    run = cli("diff", f"sum({fn.spelling}(x))", "--wrt", "x", "--format", "text")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == f"∂/∂x sum({fn.name}(x)) = {fn.text}"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=IDS)
def test_text_output_reads_back_to_the_same_value(fn: Fn, rng: np.random.Generator) -> None:
    """The printed derivative is valid input: evaluated by `mcalc eval` it is the finite difference."""
    x = rng.uniform(-0.5, 0.5, 3)
    run = cli("diff", f"sum({fn.spelling}(x))", "--wrt", "x", "--format", "json")
    again = cli("eval", run.json["derivative"], "--at", f"x={json.dumps(x.tolist())}", "--format", "json")
    assert again.code == 0, again.stderr
    expected = finite_difference(lambda v: np.sum(fn.numpy(v["x"])), {"x": x}, ["x"])
    assert_close(np.asarray(again.json["value"], dtype=float).reshape(-1), expected, what=run.json["derivative"])


@pytest.mark.parametrize("fn", FUNCTIONS, ids=IDS)
def test_latex(fn: Fn) -> None:
    run = cli("diff", f"sum({fn.spelling}(x))", "--wrt", "x", "--format", "latex")
    assert run.code == 0, run.stderr
    assert fn.latex in run.stdout
    assert fn.spelling == fn.name or fn.spelling not in run.stdout  # an alias prints as the function's name


@pytest.mark.parametrize("fn", FUNCTIONS, ids=IDS)
@pytest.mark.parametrize("wrt", ["W", "x"])
def test_at_value_and_generated_numpy_match_finite_differences(fn: Fn, wrt: str, rng: np.random.Generator) -> None:
    expr = f"y^T {fn.spelling}(W x)"
    values = _point(fn, rng)
    expected = finite_difference(_oracle(fn), values, [wrt])
    at = [a for name, v in values.items() for a in ("--at", f"{name}={json.dumps(v.tolist())}")]
    run = cli("diff", expr, "--wrt", wrt, *at, "--format", "json")
    assert run.code == 0, run.stderr
    assert_close(run.json["value"], expected, what=f"{expr} by {wrt} (--at)")
    code = cli("diff", expr, "--wrt", wrt, "--format", "numpy")
    assert code.code == 0, code.stderr
    namespace: dict[str, Any] = {}
    exec(compile(code.stdout, "<mcalc --format numpy>", "exec"), namespace)  # noqa: S102 - mcalc's generated code
    got = namespace["grad"](**values)
    assert_close(got, expected, what=f"{expr} by {wrt} (--format numpy)")


@pytest.mark.parametrize("fn", FUNCTIONS, ids=IDS)
def test_steps_cite_the_derivative_of_the_function(fn: Fn, rng: np.random.Generator) -> None:
    run = cli("diff", f"y^T {fn.spelling}(W x)", "--wrt", "x", "--steps", "--format", "json")
    assert run.code == 0, run.stderr
    chain = [s for s in run.json["steps"] if "[chain-elementwise:" in s]
    assert len(chain) == 1, run.json["steps"]
    assert f"{fn.name}′(x) = " in chain[0]  # the catalogue's identity for f′
    assert chain[0].startswith(f"d {fn.name}(Wx) = ")
    plain = cli("diff", f"y^T {fn.spelling}(W x)", "--wrt", "x", "--format", "json")
    assert run.json["derivative"] == plain.json["derivative"]  # --steps explains, it does not change
    latex = cli("diff", f"y^T {fn.spelling}(W x)", "--wrt", "x", "--steps", "--format", "latex")
    assert latex.code == 0 and f"\\{fn.name}'(x)" in latex.stdout


@pytest.mark.parametrize(
    ("expr", "value", "words"),
    [
        ("arcsin(x)", "[0.5,2]", ("arcsin(x)", "arcsin", "[−1, 1]", "2")),
        ("asin(x)", "[-3,0.5]", ("asin(x)", "arcsin needs", "-3")),
        ("arccos(x)", "[0.5,-1.5]", ("arccos(x)", "-1.5")),
        ("sum(arccos(2 x))", "[0.1,0.7]", ("arccos(2 x)", "1.4")),
    ],
)
def test_eval_outside_the_domain_is_one_line_exit_1(expr: str, value: str, words: tuple[str, ...]) -> None:
    run = cli("eval", expr, "--at", f"x={value}")
    assert run.code == 1
    (line,) = run.stderr.strip().splitlines()
    for w in words:
        assert w in line, (w, line)


@pytest.mark.parametrize("func", ["arcsin", "arccos"])
@pytest.mark.parametrize("value", ["[0.5,1]", "[-1,0.5]", "[0.5,1.2]"])
def test_diff_at_the_edge_or_outside_the_domain_is_one_line_exit_1(func: str, value: str) -> None:
    """At ±1 the function is defined but its derivative is not: the message says which function."""
    run = cli("diff", f"sum({func}(x))", "--wrt", "x", "--at", f"x={value}")
    assert run.code == 1, run.stdout
    (line,) = run.stderr.strip().splitlines()
    assert f"{func}(x)" in line and ("(−1, 1)" in line or "[−1, 1]" in line), line


@pytest.mark.parametrize("func", ["arcsin", "arccos"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_check_draws_points_inside_the_domain(func: str, seed: int) -> None:
    run = cli("diff", f"sum({func}(x)) + {func}(c)", "--wrt", "x", "--scalar", "c", "--check", "--seed", str(seed),
              "--format", "json")  # fmt: skip
    assert run.code == 0, run.stderr
    check = run.json["check"]
    assert check["passed"] is True and check["max_rel_error"] < 1e-6
    assert not check["notes"], check["notes"]  # no point was drawn outside (−1, 1) and redrawn


@pytest.mark.parametrize(
    "expr",
    ["sum(arcsin(W x + b))", "log(1 + sum(arccos(x) .* tan(x)))", "sum(arcsin(X) .* sinh(X))", "arctan(x^T x)"],
)
def test_check_passes_on_compositions(expr: str) -> None:
    wrt = "X" if "X" in expr else "x"
    run = cli("diff", expr, "--wrt", wrt, "--check", "--seed", "5", "--format", "json")
    assert run.code == 0, run.stderr
    assert run.json["check"]["passed"] is True


def test_identities_list_every_new_function_with_its_spellings_domain_and_source() -> None:
    run = cli("identities", "chain-elementwise", "--format", "json")
    rows = {r["operator"]: r for r in map(json.loads, run.stdout.splitlines())}
    for name, alias in [("tan", None), ("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"),
                        ("sinh", None), ("cosh", None)]:  # fmt: skip
        row = rows[name]
        assert row["identity"].startswith(f"{name}′(x) = ")
        assert row["latex"] and row["reference"].startswith("standard calculus")
        if alias:
            assert f"also {alias}" in row["identity"]
    assert "−1 < x < 1" in rows["arcsin"]["identity"] and "−1 < x < 1" in rows["arccos"]["identity"]


@pytest.mark.parametrize("name", ["tan", "arcsin", "arccos", "arctan", "sinh", "cosh"])
def test_identities_verify_each_new_function(name: str) -> None:
    run = cli("identities", f"{name}′", "--verify", "--seed", "3", "--format", "json")
    assert run.code == 0, run.stderr
    (row,) = [r for r in map(json.loads, run.stdout.splitlines()) if r["operator"] == name]
    assert row["verify"]["passed"] is True and row["verify"]["max_rel_error"] < 1e-6


def test_the_words_are_functions_not_products() -> None:
    """`tan` was the product t·a·n before the catalogue knew it; spaced letters still multiply."""
    from mcalc.syntax.lexer import Tok, tokenize

    assert [(t.kind, t.text) for t in tokenize("tan x")][:2] == [(Tok.WORD, "tan"), (Tok.NAME, "x")]
    assert [t.kind for t in tokenize("t a n")][:3] == [Tok.NAME] * 3
    run = cli("diff", "tan x + c t^T a", "--wrt", "x", "--scalar", "c", "--format", "json")
    assert run.code == 0, run.stderr
    assert set(run.json["variables"]) == {"x", "c", "t", "a"}
