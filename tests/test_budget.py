"""Issue 15, slow inputs: long expressions are answered in linear time, and anything slower is refused by
the time budget in one line (exit 2) instead of running on. No test here asserts a speed: the bounds are
generous hang guards; speed targets live in bench/growth.py."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

import mcalc
from mcalc import budget

MCALC = [sys.executable, "-m", "mcalc"]


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run([*MCALC, *args], capture_output=True, text=True, env=full, timeout=timeout, check=False)


@contextlib.contextmanager
def hang_guard(seconds: float = 120) -> Iterator[None]:
    """The engine's own clock as a generous hang guard for in-process runs (not a speed target)."""
    budget.start(seconds)
    try:
        yield
    finally:
        budget.stop()


def test_a_sum_of_3000_distinct_quadratic_forms_is_answered_and_right() -> None:
    """`x_1^T A x_1 + ... + x_3000^T A x_3000` by A did not finish in 120 s; the gradient is Σ xᵢxᵢᵀ, checked
    at a random point against independent numpy (all 3,000 terms)."""
    k = 3000
    expr = " + ".join(f"x_{i}^T A x_{i}" for i in range(1, k + 1))
    with hang_guard():
        d = mcalc.diff(expr, "A")
    assert d.text.startswith("x_1 x_1ᵀ + x_2 x_2ᵀ"), d.text[:80]
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((k, 3))
    value = d.value(A=rng.standard_normal((3, 3)), **{f"x_{i}": x for i, x in enumerate(xs, 1)})
    np.testing.assert_allclose(value, xs.T @ xs, rtol=1e-10)


def test_a_trace_of_3000_factors_is_answered_and_right() -> None:
    """`tr(A_1 A_2 ... A_3000)` by A_500 took 42 s (a product nested 3,000 deep). The gradient is
    (A_501 ⋯ A_3000 A_1 ⋯ A_499)ᵀ, checked with random orthogonal 2×2 factors (their product stays of
    size 1, so 3,000 of them neither overflow nor vanish) against independent numpy."""
    k, j = 3000, 500
    expr = "tr(" + " ".join(f"A_{i}" for i in range(1, k + 1)) + ")"
    with hang_guard():
        d = mcalc.diff(expr, f"A_{j}")
    rng = np.random.default_rng(4)
    mats = [np.linalg.qr(rng.standard_normal((2, 2)))[0] for _ in range(k)]
    expected = np.eye(2)
    for m in mats[j:] + mats[: j - 1]:  # A_{j+1} … A_k A_1 … A_{j−1}
        expected = expected @ m
    value = d.value(**{f"A_{i}": m for i, m in enumerate(mats, 1)})
    np.testing.assert_allclose(value, expected.T, atol=1e-9)


def _exp_chain(depth: int) -> str:
    expr = "x"
    for _ in range(depth):
        expr = f"exp({expr})"
    return f"sum({expr})"


def test_a_150_deep_exp_hessian_is_answered_and_the_same_chain_is_right() -> None:
    """`sum(exp(exp(...exp(x))))` 150 deep with two --wrt x did not finish in 60 s; now it is answered (a
    diagonal m×m Hessian). Its value cannot be checked in floating point at that depth (exp applied six
    times to 0 is already e^3,814,279), so the same chain at depth 4 is checked against its closed form in
    numpy: with eₖ = expᵏ(x), f′ = Πₖ eₖ, log f′ = Σₖ eₖ₋₁ and f″ = f′ (1 + Σₖ<ₙ Πⱼ≤ₖ eⱼ); the Hessian of
    sum(f(x)) is diag(f″(x))."""
    with hang_guard():
        deep = mcalc.diff(_exp_chain(150), ["x", "x"])
    assert deep.text.startswith("diag(") and deep.display_shape == "m×m", (deep.display_shape, deep.text[:80])
    depth = 4
    d = mcalc.diff(_exp_chain(depth), ["x", "x"])
    x = np.random.default_rng(5).uniform(-3, -2, 5)
    levels = [x]
    for _ in range(depth):
        levels.append(np.exp(levels[-1]))
    e = np.array(levels[1:])  # e[k-1] = exp^k(x)
    first = np.prod(e, axis=0)
    second = first * (1 + np.sum(np.cumprod(e[:-1], axis=0), axis=0))
    np.testing.assert_allclose(d.value(x=x), np.diag(second), rtol=1e-10)


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
    """A slow line is refused in place; the lines after it are answered. The slow line is a sum of 2,000
    distinct quadratic forms (about 1.3 s of work, six times the 0.2 s budget set here); the 150-deep exp
    chain it used to be is now answered within 0.2 s on a quiet machine."""
    slow = " + ".join(f"x^T A_{i} x" for i in range(1, 2001))
    lines = f"x^T x ; x\n{slow} ; x\nx^T A x ; x\n"
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


def test_the_cyclic_collector_is_paused_for_one_call_and_restored() -> None:
    """mcalc.collector: off inside (its passes made long derivatives superlinear), back on after, also when
    the call raises; a caller that had turned it off keeps it off."""
    import gc

    from mcalc.cli import collector

    seen: list[bool] = []

    @collector.paused
    def work(fail: bool) -> None:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("x")

    assert gc.isenabled()
    work(False)
    with pytest.raises(ValueError):
        work(True)
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        work(False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_resumes_without_moving_anything_to_the_oldest_generation() -> None:
    """The collector is turned back on as it was, with nothing frozen or unfrozen: gc.freeze()/unfreeze()
    put every object a call left, and every reference cycle among them, in the oldest generation, where the
    cycles waited for a full collection that seldom came (issue 26: a 100,000-line batch passed 1 GiB). A
    call's own garbage is freed by reference counting (tests/test_memory.py), so its young survivors are few
    and the next young pass over them is short. A caller's own frozen objects stay frozen."""
    import gc

    from mcalc.cli import collector

    @collector.paused
    def build() -> int:
        return len([[i] for i in range(50_000)])  # freed when the call ends, by reference counting

    assert build() == 50_000
    assert gc.isenabled() and gc.get_freeze_count() == 0 and gc.get_count()[0] < 1_000
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        build()
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_command_is_timed_from_the_program_start_with_room_to_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """README § Limits: a command's answer or refusal is due within the budget of the process start; the
    engine stops 5 % (at most 0.5 s) before it so that the refusal is printed in time."""
    monkeypatch.setattr(budget, "PROGRAM_STARTED", 100.0)
    try:
        budget.start(10, from_program_start=True)
        assert budget.deadline() == 100.0 + 10 - 0.5
        budget.start(2, from_program_start=True)
        assert budget.deadline() == 100.0 + 2 - 0.1
        monkeypatch.setattr(budget, "PROGRAM_STARTED", None)  # imported as a library: from now
        budget.start(2, from_program_start=True)
        assert budget.deadline() is not None and budget.deadline() > 100.0 + 2
    finally:
        budget.stop()


def test_a_check_step_that_would_end_past_the_deadline_is_refused_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """det and its adjugate of a 3,000×3,000 X take seconds a step: the next step is refused when one as
    long as the last would end past the deadline (the refusal came at 11.3 s of a 10 s budget)."""
    now = [0.0]
    monkeypatch.setattr(budget.time, "monotonic", lambda: now[0])
    try:
        budget.start(10)  # t = 0: deadline 9.5
        now[0] = 1.0
        budget.checkpoint("checking numerically")  # the first step
        now[0] = 2.0
        budget.checkpoint("checking numerically")  # one more second would end at 3
        now[0] = 6.0
        with pytest.raises(budget.BudgetError, match="checking numerically"):
            budget.checkpoint("checking numerically")  # four more would end at 10 > 9.5
    finally:
        budget.stop()


def test_a_weighted_step_reads_the_clock() -> None:
    """A flattening rule's step counts its work: one step of weight 5,000 past the deadline is refused."""
    budget.start(1e-9)
    try:
        with pytest.raises(budget.BudgetError):
            budget.tick("simplifying", 5000)
    finally:
        budget.stop()


@pytest.mark.parametrize(
    ("expr", "wrt"),
    [
        # tr(A B1 A B2 …) with 3,000 factors A: each a term of the derivative (a chain of 3,000 ⊙ was this
        # test's input, then tr(ABAB…), which is now the power tr((AB)³⁰⁰⁰) and answered: the Bᵢ differ)
        ("tr(" + " ".join(f"A B{i}" for i in range(3000)) + ")", "A"),
        # the third derivative of a 100-deep sin tower: about d²/2 products of d factors each, seconds of
        # simplifying on any machine (100 nested softmax were this test's input, 4.7 GB before any clock read
        # when a tree of shared sub-trees was walked as a tree; they are answered in 0.2 s since issue 25)
        ("sin(" * 100 + "x" + ")" * 100, "x,x,x"),
    ],
    ids=["product-ABAB", "sin-tower-third"],
)
def test_a_slow_input_is_refused_soon_after_the_deadline(expr: str, wrt: str) -> None:
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    budget.start(0.3)
    t0 = time.process_time()
    try:
        with pytest.raises(budget.BudgetError):
            mcalc.diff(expr, wrt.split(","))
    finally:
        budget.stop()
    assert time.process_time() - t0 < 5  # a hang guard: refused within a few clock reads of 0.3 s
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 400_000  # KB: no blow-up


def test_the_sympy_export_of_a_long_sum_is_linear() -> None:
    """--format sympy added a sum's terms pairwise, re-sorting the growing sum each time: 200 terms took
    5 s, 1,000 ran past 100 s. One n-ary sum: 400 terms well under a second beyond differentiating."""
    import time

    from tests.helpers import cli

    expr = " + ".join(f"a_{i}^T X b_{i}" for i in range(400))
    t0 = time.process_time()
    res = cli("diff", expr, "--wrt", "X", "--format", "sympy")
    assert res.code == 0 and "a_399*b_399.T" in res.stdout, res.stderr
    assert time.process_time() - t0 < 8  # a hang guard (was about 20 s)
