"""The benchmark suite (bench/) runs: each benchmark with tiny parameters, so that it cannot rot.

No timing is asserted here — a benchmark is never a timed unit test; only that each one runs and
returns well-formed results.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

pytest.importorskip("sympy")

from bench import batch, corpus, engine, export, growth, numeric, run, sizes, startup_compare  # noqa: E402

FEW = ["tr_ABAtC", "logdet_X", "jac_Ax", "fun_AB"]


def test_corpus_is_large_enough_and_well_formed() -> None:
    ids = [c.id for c in corpus.CASES]
    assert len(ids) >= 50 and len(set(ids)) == len(ids)
    assert sum(c.sympy is not None for c in corpus.CASES) >= 50
    groups = {c.group for c in corpus.CASES}
    assert {"trace", "det", "inverse", "quadratic", "norm", "least squares", "loss", "jacobian", "tensor"} <= groups


def test_every_corpus_expression_differentiates() -> None:
    for c in corpus.CASES:
        res = corpus.mcalc_diff(c)
        assert corpus.mcalc_nodes(res.final.result)[0] >= 1, c.id


def test_helpers() -> None:
    assert corpus.fit_exponent([1, 2, 4], [3, 6, 12]) == pytest.approx(1.0)
    assert corpus.median([3, 1, 2]) == 2
    assert "| a |" in corpus.table(["a"], [[1.0]])
    assert sizes.compare([[1.0, 2.0], [3.0, 4.0]], [[1.0, 3.0], [2.0, 4.0]]) == "other layout"
    assert sizes.compare([1.0, 2.0], [[1.0], [2.0]]) == "correct"
    assert sizes.compare([1.0, 2.0], 0) == "wrong"


def test_sizes_runs_with_sympy_in_a_worker() -> None:
    sec = sizes.run(ids=FEW, timeout=10, simplify_timeout=1)
    verdicts = {r["id"]: r["sympy_verdict"] for r in sec.data["rows"]}
    assert verdicts["fun_AB"] == "no construction"
    assert verdicts["tr_ABAtC"] == "correct"
    assert all(r["mcalc_check"] for r in sec.data["rows"])
    assert sec.text


def test_engine_runs_and_the_targets_table_formats() -> None:
    sec = engine.run(ids=FEW[:2], reps=1, timeout=10)
    assert sec.data["summary"]["expressions"] == 2
    assert sec.data["rows"][0]["mcalc_s"] > 0
    assert "engine" in run.targets({"engine": sec})


def test_growth_runs() -> None:
    sec = growth.run(families=("product", "mlp_tanh"), sizes=(1, 2), reps=1, sympy_limit=10, fit_from=1)
    assert set(sec.data) == {"product", "mlp_tanh"}
    assert growth.source("mlp_sigmoid", 2)[0] == "||W2 sigmoid(W1 x) - y||^2"
    assert growth.source("sum", 2) == ("x_1^T A x_1 + x_2^T A x_2", ["A"])
    assert growth.source("trace", 3) == ("tr(A_1 A_2 A_3)", ["A_2"]) and growth.scaled("trace", 2) == 120


def test_batch_runs() -> None:
    sec = batch.run(n=16, reps=1, memory_sizes=(8, 16), jobs=(), jobs_lines=8, refusal_limit=0.3)
    s = sec.data["summary"]
    assert s["all_answered"] and s["lines_per_s"] > 0 and s["first_answer_s"] > 0
    assert set(s["peak_rss_kb"]) == {8, 16} and all(kb > 0 for kb in s["peak_rss_kb"].values())
    assert sec.data["scaling"]["refusal"]["refused"]
    assert "batch" in run.targets({"batch": sec})


def test_numeric_runs() -> None:
    sec = numeric.run(expressions=("logdet(X)",), sizes=(4,), reps=1, cli_reps=0, blas_threads=None)
    row = sec.data["rows"][0]
    assert row["check_passed"] and row["gradient_shape"] == [4, 4]


def test_numeric_memory_runs() -> None:
    sec = numeric.run_memory(cases=(("X³ by X twice", "X^3", ("X", "X"), {}, 2),), blas_threads=None)
    row = sec.data["rows"][0]
    assert row["answer_shape"] == [2] * 6 and row["peak_bytes"] > 0 and "peak ≤ 2×" in run.targets({"memory": sec})


def test_startup_runs() -> None:
    sec = startup_compare.run(reps=1, breakdown=False, warm=False)
    assert len(sec.data["median"]) == len(startup_compare.commands())


def test_export_runs() -> None:
    """bench/export.py at tiny sizes, without JAX (its compile would cost seconds): every row is there and
    the exported functions agreed with the hand-written ones (checked inside before timing)."""
    data = export.run(quick=True, use_jax=False, use_torch=False)
    assert [r["ratio"] > 0 for r in data["gradients"]] == [True] * 4
    assert len(data["hessians"]) == 7 and all("jax_ms" not in r for r in data["hessians"])
    assert data["memory"]["peak_over_output"] > 0
    assert "JAX not installed" in export.report(data)


def test_export_transpose_section_renders() -> None:
    """The xᵀAx section (run only with JAX): its table from the numbers, and what it reads in an HLO text."""
    hlo = {"jax.hessian": "2 n×n·n×n dot products", export.EXPORTED_SUM: "one elementwise loop"}
    ms = {"jax.hessian": 6.0, export.EXPORTED_SUM: 1.0, "NumPy A + A.T": 0.5}
    text = export.report({"transpose": {"n": 4, "ms": ms, "hlo": hlo, "cpu_share": 1.0}})
    assert "| jax.hessian | 6 | 6.00× | 2 n×n·n×n dot products |" in text and "| 0.5 | 0.50× | — (NumPy) |" in text
    fused = "%f (p: f64[4,4]) -> f64[4,4] {\n  %t = transpose(%p)\n  ROOT %a = f64[4,4] add(%p, %t)\n}"
    assert export._hlo_summary(fused + "\n\nENTRY %m { %d = dot(%x, %y) }") == (
        "1 n×n·n×n dot products; transpose fused into the addition's loop"
    )
    assert export._hlo_summary("%t = transpose(%p)\n\n%a = f64[4,4] add(%p, %q)") == "a transpose alone"
    looped = "%w = (s32[], f64[4,4]) while(%init), body=%b\n\n%b { %t = transpose(%s)\n %a = add(%s, %t) }"
    assert export._hlo_summary(looped) == "a loop over blocks, each block's transpose fused into its addition"


def test_slow_inputs_runs() -> None:
    """bench/slow_inputs.py: its eight inputs are well formed (each named in the issue's column), and one
    small input runs through the command line with a CPU cap; the long ones run only in the benchmark."""
    from bench import slow_inputs

    cases = slow_inputs.cases()
    assert [c.name for c in cases] == list(slow_inputs.BEFORE)
    claim = next(c for c in cases if c.command == "check").claim
    assert claim.count(" - ") == 1 and "- x_1500 x_1500^T" in claim
    small = slow_inputs.Case("small", "xᵀx", "diff", "x^T x", ("x",))
    wall, cpu, code, head = slow_inputs.timed(small, cap=30)
    assert code == 0 and head.startswith("∂/∂x") and wall > 0 and cpu > 0
    assert slow_inputs._cpu([(wall, cpu, code, head)], 30) == f"{cpu:.2f}"
    assert slow_inputs._cpu([(1.0, 1.0, -1, "stopped")], 30) == "> 30"
