"""Issue 23 item 7: the Matrix Cookbook's convention for a symmetric variable. mcalc reports sym(G) = (G + Gᵀ)/2
(G the gradient with the entries taken as independent); a claim equal to G + Gᵀ − diag(G) is right in the
Cookbook's convention: its own verdict `cookbook`, exit 0, in text, JSON, sheets and the API. Each claim's
value is checked against G + Gᵀ − diag(G) from finite differences of independent numpy code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import cli, seeded
from jsonschema import Draft202012Validator

import mcalc

ROOT = Path(__file__).resolve().parents[1]
Values = dict[str, np.ndarray]

# (expression, claim, f with numpy alone, claim's value with numpy alone)
CASES: list[tuple[str, str, Callable[[Values], float], Callable[[Values], np.ndarray]]] = [
    (
        "logdet(S)",
        "2 S^-1 - diag(diag(S^-1))",
        lambda v: float(np.linalg.slogdet(v["S"])[1]),
        lambda v: 2 * np.linalg.inv(v["S"]) - np.diag(np.diag(np.linalg.inv(v["S"]))),
    ),
    (
        "x^T S x",
        "2 x x^T - diag(diag(x x^T))",
        lambda v: float(v["x"] @ v["S"] @ v["x"]),
        lambda v: 2 * np.outer(v["x"], v["x"]) - np.diag(v["x"] ** 2),
    ),
    (
        "tr(A S)",
        "A + A^T - diag(diag(A))",
        lambda v: float(np.trace(v["A"] @ v["S"])),
        lambda v: v["A"] + v["A"].T - np.diag(np.diag(v["A"])),
    ),
    (
        "det(S)",
        "det(S) (2 S^-1 - S^-1 .* I)",
        lambda v: float(np.linalg.det(v["S"])),
        lambda v: np.linalg.det(v["S"]) * (2 * np.linalg.inv(v["S"]) - np.linalg.inv(v["S"]) * np.eye(len(v["S"]))),
    ),
]


@pytest.fixture(autouse=True)
def _no_clock_left_running() -> None:
    """These tests call the library directly, which has no time budget; a test that left a command's 10 s
    clock running in its worker (test_claims' sheet table, since fixed) stopped the 100-term case after 0.1 s
    of its own work."""
    from mcalc import budget

    budget.stop()


def _point(n: int, rng: np.random.Generator) -> Values:
    b = rng.standard_normal((n, n))
    return {"S": b @ b.T + n * np.eye(n), "x": rng.standard_normal(n), "A": rng.standard_normal((n, n))}


def _cookbook_by_differences(f: Callable[[Values], float], v: Values) -> np.ndarray:
    """G + Gᵀ − diag(G), G by central differences with each entry of S moved alone."""
    s = v["S"]
    g = np.zeros_like(s)
    h = 1e-6
    for idx in np.ndindex(s.shape):
        e = np.zeros_like(s)
        e[idx] = h
        g[idx] = (f({**v, "S": s + e}) - f({**v, "S": s - e})) / (2 * h)
    return g + g.T - np.diag(np.diag(g))


@pytest.mark.parametrize(("expr", "claim", "f", "value"), CASES, ids=[c[0] for c in CASES])
def test_a_claim_in_the_cookbook_convention_is_right_in_it(
    expr: str, claim: str, f: Callable[[Values], float], value: Callable[[Values], np.ndarray]
) -> None:
    v = mcalc.check_claim(expr, "S", claim, symmetric="S", seed=seeded("cookbook", expr))
    assert v.verdict is mcalc.Outcome.COOKBOOK and v.ok, v.line()
    assert v.label == "correct in the Matrix Cookbook's convention"
    assert "G + Gᵀ − diag(G)" in v.explanation and "mcalc reports sym(G) = (G + Gᵀ)/2" in v.explanation
    assert v.details["convention"] == "matrix-cookbook"
    point = _point(4, np.random.default_rng(seeded("cookbook values", expr)))
    np.testing.assert_allclose(value(point), _cookbook_by_differences(f, point), rtol=1e-5, atol=1e-6)


def test_the_cookbook_verdict_on_the_command_line_in_json_and_on_a_sheet(tmp_path: Path) -> None:
    args = ("check", "logdet(S)", "--wrt", "S", "--symmetric", "S", "--claim", "2 S^-1 - diag(diag(S^-1))")
    text = cli(*args)
    assert text.code == 0
    assert text.stdout.startswith("correct in the Matrix Cookbook's convention: 2S⁻¹ − diag(diag(S⁻¹)) is G + Gᵀ − ")
    assert text.stdout.rstrip().endswith("∂/∂S logdet(S) = S⁻¹ [symbolic]")
    js = cli(*args, "--format", "json")
    obj = json.loads(js.stdout)
    assert js.code == 0 and obj["verdict"] == "cookbook" and obj["correct"] is True
    schema = json.loads((ROOT / "docs" / "output-schema.json").read_text(encoding="utf-8"))
    assert Draft202012Validator(schema).is_valid(obj)
    sheet = tmp_path / "hw.txt"
    sheet.write_text("logdet(S) ; S ; 2 S^-1 - diag(diag(S^-1)) ; --symmetric S\n", encoding="utf-8")
    run = cli("check", "--file", str(sheet))
    assert run.code == 0 and "\tcookbook\t" in run.stdout


@pytest.mark.parametrize(
    ("claim", "symmetric", "outcome"),
    [
        ("S^-1", "S", "correct"),  # mcalc's own convention
        ("2 S^-1", "S", "factor"),  # the diagonal counted twice too: not the Cookbook's form
        ("2 S^-1 - diag(diag(S^-1))", "", "wrong"),  # S not declared symmetric: no convention to be right in
    ],
)
def test_only_the_cookbook_form_of_a_symmetric_variable_gets_the_verdict(
    claim: str, symmetric: str, outcome: str
) -> None:
    decl = {"symmetric": symmetric} if symmetric else {}
    v = mcalc.check_claim("logdet(S)", "S", claim, seed=seeded("not cookbook", claim), **decl)  # type: ignore[arg-type]
    assert v.verdict == outcome, v.line()
