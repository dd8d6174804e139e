"""Issue 17's column functions `softmax` and `logsumexp` (`lse`): one catalogue entry each, not elementwise.
Every derivative is compared with finite differences of independent numpy code (stable softmax and
log-sum-exp written here, not mcalc's), through `--at`, the generated `--format numpy` code and SymPy's
own evaluation of `--format sympy`; the text is the textbook's form; `--steps` cites the catalogue's
identity; LaTeX, JSON and `mcalc identities` list them; a row vector is refused with the spelling that
means it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from helpers import assert_close, cli, finite_difference


def softmax(z: np.ndarray) -> np.ndarray:
    """Column by column (axis 0), the column's largest entry subtracted first."""
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def cross_entropy(v: dict[str, np.ndarray]) -> Any:
    return -v["y"] @ np.log(softmax(v["W"] @ v["x"]))


def lse(z: np.ndarray) -> Any:
    top = z.max(axis=0)
    return top + np.log(np.exp(z - top).sum(axis=0))


@dataclass(frozen=True)
class Case:
    expr: str
    wrt: str
    text: str  # the derivative as mcalc prints it
    oracle: Any  # the function in numpy, of a dict of values


# the JSON `derivative` (the text spells shared parts out, where the terminal names them u₁)
# W 3×2, x ∈ ℝ², y ∈ ℝ³ (not summing to one: the general form is tested), X 3×2, a ∈ ℝ³
CASES = [
    Case("softmax(x)", "x", "diag(softmax(x)) − softmax(x) softmax(x)ᵀ", lambda v: softmax(v["x"])),
    Case("softmax(W x)", "W", "diag(softmax(Wx)) (xᵀ ⊗ I) − softmax(Wx) (xᵀ ⊗ softmax(Wx)ᵀ)",
         lambda v: softmax(v["W"] @ v["x"])),
    Case("softmax(X)", "X", "diag(vec(softmax(X))) − diag(vec(softmax(X))) (I ⊗ (𝟙 𝟙ᵀ)) diag(vec(softmax(X)))",
         lambda v: softmax(v["X"])),
    Case("lse(W x)", "x", "Wᵀ softmax(Wx)", lambda v: lse(v["W"] @ v["x"])),
    Case("logsumexp(W x)", "W", "softmax(Wx) xᵀ", lambda v: lse(v["W"] @ v["x"])),
    Case("log(sum(exp(x)))", "x", "softmax(x)", lambda v: np.log(np.sum(np.exp(v["x"])))),
    Case("-y^T log(softmax(W x))", "W", "(sum(y) softmax(Wx) − y)xᵀ", cross_entropy),
    Case("-y^T log(softmax(W x))", "x", "Wᵀ(sum(y) softmax(Wx) − y)", cross_entropy),
    Case("a^T softmax(W x)", "x", "Wᵀ(softmax(Wx) ⊙ a − (softmax(Wx)ᵀ a) softmax(Wx))",
         lambda v: v["a"] @ softmax(v["W"] @ v["x"])),
    Case("sum(lse(X))", "X", "softmax(X)", lambda v: np.sum(lse(v["X"]))),
    # each column of softmax sums to 1: 𝟙ᵀ softmax(X) = 𝟙ᵀ, so these are constants
    Case("sum(softmax(X))", "X", "0", lambda v: np.sum(softmax(v["X"]))),
    Case("1^T softmax(W x)", "x", "0", lambda v: np.sum(softmax(v["W"] @ v["x"]))),
]  # fmt: skip
IDS = [f"{c.expr} by {c.wrt}" for c in CASES]


def _values(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "W": rng.standard_normal((3, 2)),
        "x": rng.standard_normal(2),
        "y": rng.uniform(0.1, 1.0, 3),
        "X": rng.standard_normal((3, 2)),
        "a": rng.standard_normal(3),
    }


def _used(case: Case, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    run = cli("shape", case.expr, "--format", "json")
    return {k: v for k, v in values.items() if k in run.json["variables"]}


def _at(values: dict[str, np.ndarray]) -> list[str]:
    return [a for name, v in values.items() for a in ("--at", f"{name}={json.dumps(v.tolist())}")]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_text_json_at_and_generated_numpy_match_finite_differences(case: Case, rng: np.random.Generator) -> None:
    values = _used(case, _values(rng))
    expected = finite_difference(case.oracle, values, [case.wrt])
    run = cli("diff", case.expr, "--wrt", case.wrt, *_at(values), "--format", "json")
    assert run.code == 0, run.stderr
    shown = run.json["derivative"]
    assert shown == case.text or shown.endswith(f"= {case.text}"), shown
    assert_close(run.json["value"], expected, what=f"{case.expr} by {case.wrt} (--at)")
    code = cli("diff", case.expr, "--wrt", case.wrt, "--format", "numpy")
    assert code.code == 0, code.stderr
    namespace: dict[str, Any] = {}
    exec(compile(code.stdout, "<mcalc --format numpy>", "exec"), namespace)  # noqa: S102 - mcalc's generated code
    (function,) = [v for k, v in namespace.items() if k in ("grad", "jacobian", "derivative")]
    assert_close(function(**values), expected, what=f"{case.expr} by {case.wrt} (--format numpy)")


# softmax(X) by X (a 4-d tensor) is left out: after the sizes are substituted, the test's SymPy evaluation
# keeps a symbol n somewhere in the vec form and cannot spell it out (the export itself builds)
@pytest.mark.parametrize("case", [c for c in CASES if c.expr != "softmax(X)"], ids=lambda c: f"{c.expr} by {c.wrt}")
def test_sympy_evaluates_its_expression_to_the_finite_difference(case: Case, rng: np.random.Generator) -> None:
    from test_sympy_export import evaluate, sizes_of

    import mcalc

    values = _used(case, _values(rng))
    d = mcalc.diff(case.expr, case.wrt)
    got = evaluate(d.to_sympy(), values, sizes_of({k: list(v) for k, v in d.variables.items()}, values))
    expected = finite_difference(case.oracle, values, [case.wrt])
    assert_close(got.reshape(expected.shape, order="F"), expected, what=f"{case.expr} by {case.wrt} (SymPy)")


def test_the_hessian_of_logsumexp_is_the_softmax_jacobian(rng: np.random.Generator) -> None:
    x = rng.standard_normal(4)
    run = cli("diff", "lse(x)", "--wrt", "x", "--wrt", "x", "--at", f"x={json.dumps(x.tolist())}", "--format", "json")
    assert run.code == 0, run.stderr
    assert run.json["derivative"] == "diag(softmax(x)) − softmax(x) softmax(x)ᵀ"
    assert_close(run.json["value"], finite_difference(lambda v: lse(v["x"]), {"x": x}, ["x", "x"]), rtol=1e-4)


def test_a_matrix_gives_one_number_per_column_and_the_value_has_the_contracts_shape(rng: np.random.Generator) -> None:
    X = rng.standard_normal((3, 2))
    at = ["--at", f"X={json.dumps(X.tolist())}"]
    shape = cli("shape", "lse(X)", "--format", "json")
    assert shape.json["shape"] == [1, "n"]
    run = cli("diff", "lse(X)", "--wrt", "X", *at, "--format", "json")
    assert run.code == 0, run.stderr
    expected = finite_difference(lambda v: lse(v["X"])[None, :], {"X": X}, ["X"])  # a 1×n row
    assert_close(run.json["value"], expected)


@pytest.mark.parametrize(("expr", "expected"), [("softmax(x)", "[0.09003057317038046"), ("lse(x)", "1002.40760596")])
def test_evaluation_is_stable_for_large_entries(expr: str, expected: str) -> None:
    run = cli("eval", expr, "--at", "x=[1000,1001,1002]", "--format", "json")
    assert run.code == 0, run.stderr
    assert json.dumps(run.json["value"]).startswith(expected), run.json["value"]


def test_latex_and_steps_cite_the_catalogue() -> None:
    latex = cli("diff", "-y^T log(softmax(W x))", "--wrt", "W", "--format", "latex")
    assert latex.code == 0, latex.stderr
    assert r"\operatorname{sum}\left(y\right) \operatorname{softmax}\left(W x\right) - y" in latex.stdout
    run = cli("diff", "lse(W x)", "--wrt", "x", "--steps", "--format", "json")
    assert run.code == 0, run.stderr
    (step,) = [s for s in run.json["steps"] if "[d-columnwise:" in s]
    assert step.startswith("d logsumexp(Wx) = softmax(Wx)ᵀ d(Wx)") and "logsumexp′(x) = softmax(x)ᵀ" in step
    assert run.json["derivative"] == cli("diff", "lse(W x)", "--wrt", "x", "--format", "json").json["derivative"]
    steps = cli("diff", "softmax(W x)", "--wrt", "x", "--steps", "--format", "latex")
    assert steps.code == 0 and r"\operatorname{softmax}'(x) = \operatorname{diag}(s) - s s^\top" in steps.stdout


@pytest.mark.parametrize(("expr", "fix"), [("softmax(x^T)", "softmax(x)ᵀ"), ("lse(x')", "logsumexp(x)")])
def test_a_row_vector_is_refused_with_the_spelling_that_means_it(expr: str, fix: str) -> None:
    run = cli("diff", expr, "--wrt", "x")
    assert run.code == 2
    (line,) = run.stderr.strip().splitlines()
    assert "acts on each column" in line and fix in line, line


def test_a_transpose_stays_outside_softmax() -> None:
    """softmax(W x)ᵀ is not softmax(xᵀWᵀ) (that would be a row, each entry its own column)."""
    run = cli("diff", "softmax(W x)^T a", "--wrt", "x", "--format", "json")
    assert run.code == 0, run.stderr
    assert "softmax(xᵀ" not in run.json["derivative"]
    again = cli("diff", "a^T softmax(W x)", "--wrt", "x", "--format", "json")
    assert run.json["derivative"] == again.json["derivative"]


def test_identities_list_and_verify_both_with_their_source() -> None:
    run = cli("identities", "d-columnwise", "--verify", "--seed", "2", "--format", "json")
    assert run.code == 0, run.stderr
    rows = {r["operator"]: r for r in map(json.loads, run.stdout.splitlines())}
    assert rows["softmax"]["identity"].startswith("softmax′(x) = diag(s) − s sᵀ")
    assert "Bishop" in rows["softmax"]["reference"]
    assert "also lse" in rows["logsumexp"]["identity"] and "Boyd" in rows["logsumexp"]["reference"]
    assert {"softmax", "logsumexp", "Columnwise"} <= set(rows)
    assert all(r["verify"]["passed"] and r["verify"]["max_rel_error"] < 1e-6 for r in rows.values())


@pytest.mark.parametrize(("wrt", "claim"), [("W", "(softmax(W x) - y) x^T"), ("x", "W^T (softmax(W x) - y)")])
def test_the_one_hot_textbook_claim_is_wrong_but_right_when_y_sums_to_one(wrt: str, claim: str) -> None:
    run = cli("check", "-y^T log(softmax(W x))", "--wrt", wrt, "--claim", claim, "--format", "json")
    assert run.code == 1, run.stdout
    assert run.json["verdict"] == "wrong" and run.json["details"]["right_when_sum_is_one"] == ["y"]
    assert "is right only when sum(y) = 1" in run.json["explanation"]
    other = cli(
        "check", "-y^T log(softmax(W x))", "--wrt", wrt, "--claim", claim.replace("- y", "+ y"), "--format", "json"
    )
    assert other.code == 1 and "right_when_sum_is_one" not in other.json["details"]  # not said of any wrong claim
    fine = cli("check", "-y^T log(softmax(W x))", "--wrt", wrt, "--claim", claim.replace("softmax", "sum(y) softmax"))
    assert fine.code == 0, fine.stdout
