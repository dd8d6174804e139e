"""Numeric work: the cost of `--at` (the derivative's value) and `--check` (finite differences along
random directions) for square matrices of 10 … 1000 rows, as a ratio to ONE numpy evaluation of the
expression (hand-written: `slogdet`, `trace(A @ X @ B)`, `a @ solve(X, b)`), and the memory peak
(tracemalloc, which sees numpy's buffers) as a multiple of the size of X — a dense 4-d tensor for the
gradient of a scalar would show up as a peak ~n² times X.

In-process times are the minimum of several runs (the machine is shared; other processes only ever
add time). By default the measurements run in a worker process with OpenBLAS (and OpenMP/MKL) pinned
to one thread: on a busy 2-core machine multi-threaded OpenBLAS made `np.linalg.inv` of a 100×100
matrix take ~100 ms instead of ~0.1 ms, which is noise about the machine, not about mcalc.

`--at` is timed through the API (`bind_sizes` + `pipeline.evaluate_value`), and once through the CLI
with an `.npz` file (a fresh process: start-up and loading included). `--check` is
`check_derivative` (3 points × 2 directions, as the CLI does) with every dimension fixed to n; the CLI's
own `--check` samples small random sizes (2…7), so its cost does not depend on the user's sizes at all.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.corpus import Section, median, ms, run_worker, table

EXPRESSIONS = ("logdet(X)", "tr(A X B)", "a^T X^-1 b")
SIZES = (10, 30, 100, 300, 500, 1000)


def numpy_function(src: str) -> Callable[[dict[str, Any]], Any]:
    import numpy as np

    if src == "logdet(X)":
        return lambda v: np.linalg.slogdet(v["X"])[1]
    if src == "tr(A X B)":
        return lambda v: np.trace(v["A"] @ v["X"] @ v["B"])
    if src == "a^T X^-1 b":
        return lambda v: v["a"] @ np.linalg.solve(v["X"], v["b"])
    raise KeyError(src)


def point(src: str, n: int, seed: int = 0) -> dict[str, Any]:
    """External values (vectors 1-d): X = I + 0.3 R/√n (well conditioned, det > 0), others Gaussian."""
    import numpy as np

    rng = np.random.default_rng(seed)
    v: dict[str, Any] = {"X": np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)}
    if "A" in src:
        v["A"] = rng.standard_normal((n, n))
        v["B"] = rng.standard_normal((n, n))
    if "a^T" in src:
        v["a"] = rng.standard_normal(n)
        v["b"] = rng.standard_normal(n)
    return v


def best_time(fn: Callable[[], Any], reps: int, budget: float = 2.0) -> float:
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget and len(times) >= 3:
            break
    return min(times)  # the least disturbed run: other processes only ever add time


def peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def cli_at(src: str, values: dict[str, Any], reps: int) -> float | None:
    import numpy as np

    from bench.startup_compare import mcalc_executable

    exe = mcalc_executable()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "values.npz"
        np.savez(path, **values)
        cmd = [exe, "diff", src, "--wrt", "X", "--at", str(path), "--format", "json"]
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            out = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
            times.append(time.perf_counter() - t0)
            if out.returncode != 0:
                return None
        return median(times)


def measure(src: str, n: int, reps: int, cli_reps: int) -> dict[str, Any]:
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.check import check_derivative, domain_of
    from mcalc.numeric.values import to_internal
    from mcalc.shapes import bind_sizes, unbound_dims

    ext = point(src, n)
    values = {k: to_internal(v) for k, v in ext.items()}
    f_np = numpy_function(src)
    t_np = best_time(lambda: f_np(ext), reps)

    res = pipeline.differentiate(src, ["X"])
    env = res.env
    bind_sizes(env, {k: tuple(v.shape) for k, v in ext.items()})

    def at() -> Any:
        return pipeline.evaluate_value(res, values)

    def f_mcalc() -> Any:
        return pipeline.evaluate_expression(res.tree, env, values)

    grad = at()
    ref = np.asarray(f_np(ext))
    assert np.allclose(np.asarray(f_mcalc()).reshape(()), ref), src
    t_eval = best_time(f_mcalc, reps)
    t_at = best_time(at, reps)
    peak_at = peak(at)

    dims = dict.fromkeys([*unbound_dims(env), *env.sizes], n)
    domain = domain_of([res.tree, res.final.result], env)

    def check() -> Any:
        saved = dict(env.sizes)
        try:
            return check_derivative(
                env,
                ["X"],
                lambda v: pipeline.evaluate_expression(res.tree, env, v),
                lambda v: pipeline.evaluate_value(res, v),
                domain,
                seed=1,
                fixed_sizes=dims,
            )
        finally:
            env.sizes.clear()
            env.sizes.update(saved)

    outcome = check()
    t_check = best_time(check, max(1, reps // 3))
    peak_check = peak(check)
    t_cli = cli_at(src, ext, cli_reps) if cli_reps else None
    x_bytes = 8 * n * n
    return {
        "expression": src,
        "n": n,
        "numpy_eval_s": t_np,
        "mcalc_eval_s": t_eval,
        "at_s": t_at,
        "check_s": t_check,
        "cli_at_s": t_cli,
        "eval_ratio": t_eval / t_np,
        "at_ratio": t_at / t_np,
        "check_ratio": t_check / t_np,
        "check_passed": outcome.passed,
        "check_sizes": outcome.sizes,
        "gradient_shape": list(np.shape(grad)),
        "peak_at_bytes": peak_at,
        "peak_check_bytes": peak_check,
        "peak_at_over_X": peak_at / x_bytes,
        "peak_check_over_X": peak_check / x_bytes,
    }


BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def worker(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        measure(src, n, payload["reps"], payload["cli_reps"])
        for src in payload["expressions"]
        for n in payload["sizes"]
    ]


def run(
    expressions: tuple[str, ...] = EXPRESSIONS,
    sizes: tuple[int, ...] = SIZES,
    reps: int = 9,
    cli_reps: int = 3,
    blas_threads: int | None = 1,
) -> Section:
    """blas_threads=None measures in this process with whatever BLAS threading it has."""
    payload = {"expressions": list(expressions), "sizes": list(sizes), "reps": reps, "cli_reps": cli_reps}
    if blas_threads is None:
        rows = worker(payload)
    else:
        got = run_worker("numeric", "worker", payload, timeout=3600, env=dict.fromkeys(BLAS_ENV, str(blas_threads)))
        if isinstance(got, dict):
            raise RuntimeError(f"numeric worker: {got.get('error')}")
        rows = got
    worst_peak = max(max(r["peak_at_over_X"], r["peak_check_over_X"]) for r in rows)
    summary = {
        "max_at_ratio": max(r["at_ratio"] for r in rows),
        "max_check_ratio": max(r["check_ratio"] for r in rows),
        "max_peak_over_X": worst_peak,
        "no_4d_tensor": worst_peak < 100,
        "all_checks_passed": all(r["check_passed"] for r in rows),
    }
    text = table(
        [
            "expression",
            "n",
            "numpy eval ms",
            "mcalc eval ×",
            "--at ×",
            "--check ×",
            "CLI --at .npz ms",
            "peak --at / X",
            "peak --check / X",
        ],
        [
            [
                f"`{r['expression']}`",
                r["n"],
                ms(r["numpy_eval_s"]),
                r["eval_ratio"],
                r["at_ratio"],
                r["check_ratio"],
                ms(r["cli_at_s"]),
                r["peak_at_over_X"],
                r["peak_check_over_X"],
            ]
            for r in rows
        ],
    )
    text += (
        f"\n\n× = time / one numpy evaluation of the expression. Largest peak: {worst_peak:.3g}× the bytes of X "
        f"({'no' if summary['no_4d_tensor'] else 'a'} dense n²×n² tensor)."
    )
    summary["blas_threads"] = blas_threads
    return Section("numeric", {"summary": summary, "rows": rows}, text)


# --- memory of tensor-valued derivatives (issue 25 item 3: no intermediate larger than the answer) -------------

# label, expression, --wrt, declarations, the size n of every dimension; the values: A, X near I (logdet, X⁻¹,
# logm defined), S symmetric positive definite, a, b Gaussian
MEMORY_CASES: tuple[tuple[str, str, tuple[str, ...], dict[str, str], int], ...] = (
    ("A ⊗ A ⊗ A ⊗ A ⊗ A ⊗ A by A", "A ⊗ A ⊗ A ⊗ A ⊗ A ⊗ A", ("A",), {}, 2),
    ("kron(A, X) by X", "kron(A, X)", ("X",), {}, 8),
    ("X³ by X twice", "X^3", ("X", "X"), {}, 8),
    ("X⁻¹ by X twice", "X^-1", ("X", "X"), {}, 8),
    ("tr(X⁴) by X three times", "tr(X^4)", ("X", "X", "X"), {}, 8),
    ("logdet(X) by X three times", "logdet(X)", ("X", "X", "X"), {}, 8),
    ("expm(X) by X", "expm(X)", ("X",), {}, 20),
    ("expm(X) by X", "expm(X)", ("X",), {}, 40),
    ("Hessian of tr(expm(X))", "tr(expm(X))", ("X", "X"), {}, 20),
    ("Hessian of tr(expm(X))", "tr(expm(X))", ("X", "X"), {}, 40),
    ("Hessian of aᵀexpm(X)b", "a^T expm(X) b", ("X", "X"), {}, 20),
    ("Hessian of aᵀexpm(X)b", "a^T expm(X) b", ("X", "X"), {}, 40),
    ("Hessian of tr(sqrtm(X))", "tr(sqrtm(X))", ("X", "X"), {}, 20),
    ("Hessian of tr(A logm(X))", "tr(A logm(X))", ("X", "X"), {}, 20),
    ("Hessian of tr(expm(S)), S symmetric", "tr(expm(S))", ("S", "S"), {"symmetric": "S"}, 20),
)
MEMORY_TARGET = 2.0  # peak bytes / the answer's bytes
RAISED_LIMIT = "1000000000"  # MCALC_MAX_ELEMENTS for measuring what the default limit refuses


def memory_point(src: str, n: int, seed: int = 0) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    values: dict[str, Any] = {}
    for name in ("A", "X"):
        if name in src:
            values[name] = np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
    if "S" in src:  # symmetric positive definite
        g = rng.standard_normal((n, n))
        values["S"] = g @ g.T / n + np.eye(n)
    for name in ("a", "b"):
        if f"{name}^T" in src or f" {name}" in src:
            values[name] = rng.standard_normal(n)
    return values


def measure_memory(src: str, wrt: tuple[str, ...], decl: dict[str, str], n: int) -> dict[str, Any]:
    """Peak (tracemalloc) of `Derivative.value` after a first call (imports, caches and the index terms
    of a third derivative are then made), over the bytes of the answer; refused at the default element
    limit: measured again with the limit raised, and said so."""
    import os

    import mcalc
    from mcalc.errors import McalcError

    d = mcalc.diff(src, list(wrt), **decl)
    point = memory_point(src, n)
    refused = None
    try:
        d.value(**point)
    except McalcError as err:
        if "MCALC_MAX_ELEMENTS" not in str(err):  # refused for another reason (time, domain): an error row
            raise
        refused = str(err)
        os.environ["MCALC_MAX_ELEMENTS"] = RAISED_LIMIT
    try:
        t0 = time.perf_counter()
        answer = d.value(**point)
        seconds = time.perf_counter() - t0
        bytes_peak = peak(lambda: d.value(**point))
    finally:
        os.environ.pop("MCALC_MAX_ELEMENTS", None)
    return {
        "expression": src,
        "wrt": list(wrt),
        "n": n,
        "answer_shape": list(answer.shape),
        "answer_bytes": int(answer.nbytes),
        "peak_bytes": bytes_peak,
        "peak_over_answer": bytes_peak / answer.nbytes,
        "seconds": seconds,
        "refused_at_default_limit": refused,
    }


def memory_worker(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for label, src, wrt, decl, n in payload["cases"]:
        try:
            row = measure_memory(src, tuple(wrt), decl, n)
        except Exception as err:  # a case mcalc cannot answer: reported, the others still run
            row = {"expression": src, "wrt": list(wrt), "n": n, "error": f"{type(err).__name__}: {err}"[:200]}
        rows.append({"label": label, **row})
    return rows


def run_memory(
    cases: tuple[tuple[str, str, tuple[str, ...], dict[str, str], int], ...] = MEMORY_CASES,
    blas_threads: int | None = 1,
) -> Section:
    """The peak memory of each tensor-valued derivative's value as a multiple of the answer's bytes."""
    payload = {"cases": [list(c) for c in cases]}
    if blas_threads is None:
        rows = memory_worker(payload)
    else:
        got = run_worker(
            "numeric", "memory_worker", payload, timeout=3600, env=dict.fromkeys(BLAS_ENV, str(blas_threads))
        )
        if isinstance(got, dict):
            raise RuntimeError(f"numeric memory worker: {got.get('error')}")
        rows = got
    for r in rows:
        r["met"] = "error" not in r and r["refused_at_default_limit"] is None and r["peak_over_answer"] <= MEMORY_TARGET
    text = table(
        ["derivative", "n", "answer", "answer bytes", "peak / answer", "time s", f"≤ {MEMORY_TARGET:g}×"],
        [
            [
                f"{r['label']} (`{r['expression']}`)",
                r["n"],
                "×".join(map(str, r.get("answer_shape", []))) or "—",
                r.get("answer_bytes"),
                r.get("peak_over_answer"),
                r.get("seconds"),
                _verdict(r),
            ]
            for r in rows
        ],
    )
    met = sum(r["met"] for r in rows)
    text += (
        f"\n\nTarget met on {met} of {len(rows)} (peak of `Derivative.value` by tracemalloc, after one warm-up call)."
    )
    summary = {"met": met, "cases": len(rows), "blas_threads": blas_threads}
    return Section("memory", {"summary": summary, "rows": rows}, text)


def _verdict(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"error: {row['error']}"
    if row["refused_at_default_limit"] is not None:
        return "refused at the default limit (measured with it raised)"
    return "met" if row["met"] else "NOT met"


if __name__ == "__main__":
    import sys

    print((run_memory() if "--memory" in sys.argv else run()).text)
