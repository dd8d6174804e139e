"""Issue 15, slow inputs: long expressions are answered in linear time, and anything slower is refused by
the time budget in one line (exit 2) instead of running on. No test here asserts a speed: the bounds are
generous hang guards; speed targets live in bench/growth.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import cli

MCALC = [sys.executable, "-m", "mcalc"]


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run([*MCALC, *args], capture_output=True, text=True, env=full, timeout=timeout, check=False)


def test_a_sum_of_3000_distinct_quadratic_forms_is_answered_and_right() -> None:
    """`x_1^T A x_1 + ... + x_3000^T A x_3000` by A did not finish in 120 s; the gradient is Σ xᵢxᵢᵀ."""
    k = 3000
    expr = " + ".join(f"x_{i}^T A x_{i}" for i in range(1, k + 1))
    out = run(["diff", expr, "--wrt", "A", "--format", "json"])
    assert out.returncode == 0, out.stderr[-500:]
    # and right, at a point: the value is Σ xᵢ xᵢᵀ (independent numpy), on a smaller sum through --at
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((40, 3))
    small = " + ".join(f"x_{i}^T A x_{i}" for i in range(1, 41))
    at = [a for i, x in enumerate(xs, 1) for a in ("--at", f"x_{i}={x.tolist()}")]
    res = cli("diff", small, "--wrt", "A", "--at", "A=[[1,0,0],[0,1,0],[0,0,1]]", *at, "--format", "json")
    np.testing.assert_allclose(res.json["value"], xs.T @ xs, rtol=1e-10)


def test_a_trace_of_3000_factors_is_answered() -> None:
    """`tr(A_1 A_2 ... A_3000)` by A_500 took 42 s (a product nested 3,000 deep)."""
    expr = "tr(" + " ".join(f"A_{i}" for i in range(1, 3001)) + ")"
    out = run(["diff", expr, "--wrt", "A_500"])
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.startswith("∂/∂A_500 tr(A_1 A_2")


def test_a_derivative_past_the_time_budget_is_refused_in_one_line() -> None:
    """`sum(exp(exp(...exp(x))))` 150 deep, two --wrt x, did not finish in 60 s; past the budget it is refused."""
    expr = "x"
    for _ in range(150):
        expr = f"exp({expr})"
    out = run(["diff", f"sum({expr})", "--wrt", "x", "--wrt", "x"], env={"MCALC_TIME_LIMIT": "0.2"})
    assert out.returncode == 2, out.stdout[-300:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "time budget of 0.2 s" in lines[0] and "MCALC_TIME_LIMIT" in lines[0], out.stderr


@pytest.mark.parametrize("value", ["abc", "1e"])
def test_a_bad_time_limit_is_bad_input(value: str) -> None:
    out = run(["diff", "x^T x", "--wrt", "x"], env={"MCALC_TIME_LIMIT": value})
    assert out.returncode == 2 and "MCALC_TIME_LIMIT" in out.stderr, out.stderr


def test_batch_lines_each_get_the_whole_budget() -> None:
    """A slow line is refused in place; the lines after it are answered."""
    deep = "x"
    for _ in range(150):
        deep = f"exp({deep})"
    lines = f"x^T x ; x\nsum({deep}) ; x\nx^T A x ; x\n"
    out = subprocess.run(
        [*MCALC, "diff", "-", "--wrt", "x", "--wrt", "x", "--format", "json"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MCALC_TIME_LIMIT": "0.2"},
        check=False,
    )
    objects = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(objects) == 3, out.stdout
    assert "derivative" in objects[0] and "time budget" in objects[1]["error"] and "derivative" in objects[2]
