"""`--let "NAME = EXPR"`: named intermediates, the seed's method for least squares (L(e) = ‖e‖²,
e(θ) = y − Φθ, ∂L/∂θ = ∂L/∂e · ∂e/∂θ with shapes 1×N and N×D). Values are compared with finite
differences of independent numpy code; the printed form is checked in every format, with --steps, and
through the Python API; the refusals are one line each.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference

import mcalc

RNG = np.random.default_rng(17)
Y, PHI, THETA = RNG.normal(size=4), RNG.normal(size=(4, 3)), RNG.normal(size=3)
SEED = ["--let", "e = y - Phi theta", "--let", "L = ||e||^2"]


def _at(**values: Any) -> list[str]:
    out: list[str] = []
    for name, v in values.items():
        out += ["--at", f"{name}={json.dumps(np.asarray(v).tolist())}"]
    return out


def _least_squares(v: dict[str, Any]) -> Any:
    r = v["y"] - v["Phi"] @ v["theta"]
    return r @ r


# (expression, lets, wrt, numpy oracle of the expression, values, the printed derivative)
CASES = [
    ("L", SEED, "theta", _least_squares, {"y": Y, "Phi": PHI, "theta": THETA}, "−2Φᵀe"),
    ("e^T e", SEED[:2], "theta", _least_squares, {"y": Y, "Phi": PHI, "theta": THETA}, "−2Φᵀe"),
    (
        "L",
        ["--let", "e = W x", "--let", "h = tanh(e)", "--let", "L = ||h||^2"],
        "x",
        lambda v: np.sum(np.tanh(v["W"] @ v["x"]) ** 2),
        {"W": RNG.normal(size=(3, 4)), "x": RNG.normal(size=4)},
        None,
    ),
    (
        "e^T x + x^T x",
        ["--let", "e = A x"],
        "x",
        lambda v: (v["A"] @ v["x"]) @ v["x"] + v["x"] @ v["x"],
        {"A": RNG.normal(size=(3, 3)), "x": RNG.normal(size=3)},
        None,
    ),
    (
        "tr(E^T E)",
        ["--let", "E = X W"],
        "W",
        lambda v: np.trace((v["X"] @ v["W"]).T @ (v["X"] @ v["W"])),
        {"X": RNG.normal(size=(4, 3)), "W": RNG.normal(size=(3, 2))},
        "2XᵀE",
    ),
    (
        "R^T R",
        ["--let", "R = A X"],
        "X",
        lambda v: (v["A"] @ v["X"]).T @ (v["A"] @ v["X"]),
        {"A": RNG.normal(size=(3, 2)), "X": RNG.normal(size=(2, 2))},
        None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] + " " + c[1][-1] for c in CASES])
def test_values_against_finite_differences(case: Any) -> None:
    expr, lets, wrt, oracle, values, printed = case
    run = cli("diff", expr, *lets, "--wrt", wrt, *_at(**values), "--format", "json", "--check", "--seed", "3")
    assert run.code == 0, run.stdout + run.stderr
    out = run.json
    assert out["check"]["passed"]
    assert_close(out["value"], finite_difference(oracle, values, [wrt]), what=expr)
    if printed is not None:
        assert out["derivative"] == printed
    greek = {"Phi": "Φ", "theta": "θ"}
    assert set(out["variables"]) == {greek.get(n, n) for n in values}  # the let names are no variables


def test_hessian_through_a_let() -> None:
    values = {"y": Y, "Phi": PHI, "theta": THETA}
    run = cli("diff", "L", *SEED, "--wrt", "theta", "--wrt", "theta", *_at(**values), "--format", "json")
    assert run.code == 0, run.stderr
    assert run.json["derivative"] == "2ΦᵀΦ"
    assert_close(run.json["value"], finite_difference(_least_squares, values, ["theta", "theta"]), rtol=1e-4)


def test_text_json_latex_show_the_names() -> None:
    text = cli("diff", "L", *SEED, "--wrt", "theta", "--format", "text")
    assert text.stdout.splitlines()[:3] == [
        "∂/∂θ L = −2Φᵀe",
        "let: e = y − Φθ (vector of length m)",
        "let: L = ‖e‖² (scalar)",
    ]
    lets = cli("diff", "L", *SEED, "--wrt", "theta", "--format", "json").json["let"]
    assert list(lets) == ["e", "L"]
    assert lets["e"] == {
        "definition": "y − Φθ",
        "latex": r"y - \Phi \theta",
        "equation": "e = y − Φθ",
        "equation_latex": r"e = y - \Phi \theta",
        "shape": ["m"],
    }
    latex = cli("diff", "L", *SEED, "--wrt", "theta", "--format", "latex").stdout.splitlines()
    assert latex[:3] == [r"\frac{\partial}{\partial \theta} L = -2\Phi^{\top} e", r"e = y - \Phi \theta",
                         r"L = \left\|e\right\|^{2}"]  # fmt: skip
    ascii_ = cli("diff", "L", *SEED, "--wrt", "theta", "--format", "text", "--ascii").stdout
    assert "let: e = y - Phi theta" in ascii_ and ascii_.isascii()


def test_steps_follow_the_seed() -> None:
    """∂L/∂θ = ∂L/∂e · ∂e/∂θ with shapes 1×N and N×D; ∂L/∂e = 2eᵀ, ∂e/∂θ = −Φ, ∂L/∂θ = −2eᵀΦ."""
    steps = cli("diff", "L", *SEED, "--wrt", "theta", "--steps", "--format", "json").json["steps"]
    assert steps[0].startswith("∂L/∂θ = ∂L/∂e ∂e/∂θ, (1×n) = (1×m)(m×n)    [chain-rule: ")
    assert steps[1:4] == [
        "∂L/∂e = 2eᵀ    (1×m)",
        "∂e/∂θ = −Φ    (m×n)",
        "∂L/∂θ = (2eᵀ) (−Φ) = −2eᵀΦ    (1×n)",
    ]
    nested = cli("diff", "L", "--let", "e = W x", "--let", "h = tanh(e)", "--let", "L = ||h||^2", "--wrt", "x",
                 "--steps", "--format", "text").stdout  # fmt: skip
    assert "step: ∂h/∂x = ∂h/∂e ∂e/∂x, (m×n) = (m×m)(m×n)" in nested
    assert "step: ∂e/∂x = W    (m×n)" in nested
    direct = cli("diff", "e^T x", "--let", "e = A x", "--wrt", "x", "--steps", "--format", "text").stdout
    assert "step: ∂f/∂x = ∂f/∂e ∂e/∂x + ∂f/∂x (direct)" in direct
    latex = cli("diff", "L", *SEED, "--wrt", "theta", "--steps", "--format", "latex").stdout
    assert r"\frac{\partial L}{\partial e} = 2e^{\top} \in \mathbb{R}^{1 \times m}" in latex


def test_numpy_export_computes_the_names() -> None:
    source = cli("diff", "L", *SEED, "--wrt", "theta", "--format", "numpy").stdout
    assert "    e = y - Phi @ theta" in source
    grad = mcalc.diff("L", "theta", let={"e": "y - Phi theta", "L": "||e||^2"}).to_function()
    expected = finite_difference(_least_squares, {"y": Y, "Phi": PHI, "theta": THETA}, ["theta"])
    assert_close(grad(Y, PHI, THETA), expected)


def test_sympy_writes_the_names_out() -> None:
    out = cli("diff", "e^T e", "--let", "e = y - Phi theta", "--wrt", "theta", "--format", "sympy").stdout
    assert "derivative = -2*Φ.T*(y - Φ*θ)" in out


def test_python_api_mapping_or_strings() -> None:
    a = mcalc.diff("L", "theta", let={"e": "y - Phi theta", "L": "||e||^2"})
    b = mcalc.diff("L", "theta", let=["e = y - Phi theta", "L = ||e||^2"])
    assert a.text == b.text == "−2Φᵀe"
    assert_close(a.value(y=Y, Phi=PHI, theta=THETA), -2 * PHI.T @ (Y - PHI @ THETA))
    assert mcalc.check_claim("e^T e", "theta", "-2 Phi^T e", let="e = y - Phi theta").ok
    assert mcalc.check_claim("e^T e", "theta", "2 Phi^T e", let="e = y - Phi theta").verdict == "factor"


def test_check_eval_shape_take_lets() -> None:
    claim = cli("check", "L", *SEED, "--wrt", "theta", "--claim", "-2 Phi^T (y - Phi theta)")
    assert claim.code == 0, claim.stdout + claim.stderr
    ev = cli("eval", "L", *SEED, *_at(y=Y, Phi=PHI, theta=THETA), "--format", "json")
    assert ev.code == 0 and abs(ev.json["value"] - _least_squares({"y": Y, "Phi": PHI, "theta": THETA})) < 1e-9
    shape = cli("shape", "L", *SEED)
    assert "  let: e = y − Φθ (vector of length m)" in shape.stdout


def test_written_out_where_that_is_shorter() -> None:
    assert mcalc.diff("e^T e - x^T x", "x", let="e = x").text == "0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--let", "e = e + x"], "--let e = e + x uses e itself"),
        (["--let", "e = h + x", "--let", "h = x"], "--let e uses h, which a later --let defines"),
        (["--let", "e x = 3"], "is not one name"),
        (["--let", "e"], "bad --let 'e': write NAME = EXPR"),
        (["--let", "e = x", "--let", "e = 2 x"], "--let e is given twice"),
        (["--let", "e = x", "--vector", "e"], "e is a --let name: its kind and shape come from its definition"),
        (["--let", "e = x", "--at", "e=[1,2]", "--at", "x=[1,2]"], "e is a --let name (e = x), computed"),
        (["--let", "e = x +"], "in --let e = x +: "),
        (["--let", "I = A"], "bad --let 'I = A': I is the identity matrix"),
    ],
)  # fmt: skip
def test_refusals_are_one_line(args: list[str], message: str) -> None:
    run = cli("diff", "e^T e", "--wrt", "x", *args)
    assert run.code == 2, run.stdout + run.stderr
    assert message in run.stderr and run.stderr.count("\n") == 1


def test_wrt_a_let_name_is_refused() -> None:
    run = cli("diff", "e^T e", "--let", "e = y - Phi theta", "--wrt", "e")
    assert run.code == 2
    assert "e is a --let name (e = y - Phi theta); differentiate by a variable of it (y, Φ, θ)" in run.stderr


def test_unused_let_is_a_warning() -> None:
    run = cli("diff", "x^T x", "--let", "e = A x", "--wrt", "x", "--format", "json")
    assert run.json["warnings"] == ["--let e is not used by the expression"]
    assert "let" not in run.json


def test_a_shape_error_names_the_let_at_its_place() -> None:
    run = cli("diff", "B e", "--let", "e = A x", "--wrt", "x", "--shape", "B=3x4,A=5x2", "--format", "json")
    assert run.code == 2
    assert run.json["error"] == "dimension mismatch in a product at col 3: B is 3×4, e is a vector of length 5"


def test_batch_and_homework_sheet_take_lets(tmp_path: Any) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("e^T e ; x ; 2 A^T e\n", encoding="utf-8")
    run = cli("check", "--file", str(sheet), "--let", "e = A x")
    assert run.code == 0 and "correct" in run.stdout, run.stdout + run.stderr


def test_doubling_lets_are_refused_at_once() -> None:
    """e_k = e_{k-1} + A e_{k-1}: written out, 25 lets would be 2²⁵ nodes; refused before any walk."""
    lets = ["--let", "e1 = x + A x"]
    for i in range(2, 26):
        lets += ["--let", f"e{i} = e{i - 1} + A e{i - 1}"]
    run = cli("diff", "e25^T e25", *lets, "--wrt", "x")
    assert run.code == 2 and "mcalc works with at most 20,000" in run.stderr
