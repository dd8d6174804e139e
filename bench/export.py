"""The exported NumPy code (`--format numpy`) against hand-written NumPy and JAX, in one run:
`.venv/bin/python bench/export.py` (README § Benchmarks; `--quick` for tiny sizes, as the smoke test does).

1. Gradients at n = 1,000 samples, exported `grad` against a hand-written numpy gradient (target ≤ 1.3×):
   least squares, logistic regression, a two-layer tanh network (by the first layer), and the Gaussian
   log-density by its covariance at dimension n = 1,000.
2. Hessians, exported `hessian` against `jax.jit(jax.hessian(f))` on the CPU (target ≥ 3× faster for
   logistic regression at d = 200 and d = 1,000, ≥ 30× for the quadratic form xᵀAx at d = 1,000), and
   against its own dominant operation written by hand (target ≤ 1.5×): (Xᵀ diag(s)) X for logistic
   regression, A + Aᵀ for the quadratic form. JAX is optional (`pip install -e ".[bench]"`); without it
   those rows say so.
3. Memory: the exported Jacobian of RᵀR by R for R of 300 × 20, tracemalloc peak against the bytes of its
   (20, 20, 300, 20) output (target ≤ 2×).

The machine is shared, so every ratio is taken within this run: the two sides are timed alternately, each
the best of many short samples (other processes only ever add time). BLAS and XLA run on one thread
(set before numpy and jax are imported), so both sides use the same compute.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # before numpy and jax load; not when imported (the smoke test)
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import mcalc  # noqa: E402

Fn = Callable[..., Any]


def exported(expr: str, wrt: str | list[str], **decl: Any) -> dict[str, Fn]:
    """The functions of mcalc's exported module (its own generated numpy code)."""
    namespace: dict[str, Any] = {}
    source = mcalc.diff(expr, wrt, **decl).numpy_source
    exec(compile(source, "<mcalc numpy export>", "exec"), namespace)  # noqa: S102 - mcalc's generated code
    return namespace


def best_pair(a: Callable[[], Any], b: Callable[[], Any], reps: int) -> tuple[float, float]:
    """Best time of `a` and of `b`, sampled alternately: `reps` rounds of ~40 short samples each (about
    1 ms per sample), the minimum of each side; a short sample is less often hit by other processes."""
    start = time.perf_counter()
    a()
    b()
    once = time.perf_counter() - start
    loops = max(1, int(0.001 / max(once, 1e-9)))
    rounds = reps * max(1, min(40, int(0.05 / max(once, 1e-9)))) if reps > 1 else 1
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for which, f in enumerate((a, b)):
            t0 = time.perf_counter()
            for _ in range(loops):
                f()
            best[which] = min(best[which], (time.perf_counter() - t0) / loops)
    return best[0], best[1]


# --- 1. gradients against hand-written numpy ---


def _gradient_cases(n: int, d: int, rng: np.random.Generator) -> list[tuple[str, Fn, Fn, dict[str, Any]]]:
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    y = rng.standard_normal(n)
    w = rng.standard_normal(d)
    labels = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)

    def least_squares(X: Any, w: Any, y: Any) -> Any:
        return 2.0 * (X.T @ (X @ w - y))

    def logistic(y: Any, X: Any, w: Any) -> Any:
        return -(X.T @ (y / (1.0 + np.exp(y * (X @ w)))))  # σ(−z) = 1/(1 + e^z)

    h, o = 100, 10
    W1 = rng.standard_normal((h, d)) / np.sqrt(d)
    W2 = rng.standard_normal((o, h)) / np.sqrt(h)
    Xc = rng.standard_normal((d, n))
    Y = rng.standard_normal((o, n))

    def mlp(W2: Any, W1: Any, X: Any, Y: Any) -> Any:
        H = np.tanh(W1 @ X)
        return 2.0 * (((W2.T @ (W2 @ H - Y)) * (1.0 - H * H)) @ X.T)

    g = rng.standard_normal((n, n)) / np.sqrt(n)
    S = np.eye(n) + g @ g.T
    x, m = rng.standard_normal(n), rng.standard_normal(n)

    def gaussian(S: Any, x: Any, m: Any) -> Any:
        Si = np.linalg.inv(S)
        r = Si.T @ (x - m)
        return 0.5 * np.outer(r, r) - 0.5 * Si.T

    ls = exported("||X w - y||^2", "w")["grad"]
    lg = exported("sum(log(1 + exp(-y .* (X w))))", "w")["grad"]
    ml = exported("||W2 tanh(W1 X) - Y||^2", "W1")["grad"]
    ga = exported("-1/2 logdet(S) - 1/2 (x - m)^T S^-1 (x - m)", "S")["grad"]
    return [
        (f"least squares ‖Xw − y‖², X {n}×{d}", ls, least_squares, {"X": X, "w": w, "y": y}),
        (f"logistic regression, X {n}×{d}", lg, logistic, {"y": labels, "X": X, "w": w}),
        (f"two-layer tanh network by W1, {d}→{h}→{o}, {n} samples", ml, mlp, {"W2": W2, "W1": W1, "X": Xc, "Y": Y}),
        (f"Gaussian log-density by Σ, n = {n}", ga, gaussian, {"S": S, "x": x, "m": m}),
    ]


def gradients(n: int, d: int, reps: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    rows = []
    for name, ours, hand, args in _gradient_cases(n, d, rng):
        np.testing.assert_allclose(ours(**args), hand(**args), rtol=1e-8, atol=1e-10)  # the same numbers first
        t_ours, t_hand = best_pair(lambda o=ours, a=args: o(**a), lambda h=hand, a=args: h(**a), reps)
        rows.append({"case": name, "exported_ms": t_ours * 1e3, "hand_ms": t_hand * 1e3, "ratio": t_ours / t_hand})
    return rows


# --- 2. Hessians against JAX and against their own dominant operation ---


def _jax() -> Any:
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)  # float64, as numpy
    return jax


def _hessian_cases(n: int, dims: tuple[int, ...], rng: np.random.Generator) -> list[dict[str, Any]]:
    logistic = exported("sum(log(1 + exp(-y .* (X w))))", ["w", "w"])["hessian"]
    quad = exported("x^T A x", ["x", "x"])["hessian"]
    cases = []
    for d in dims:
        X = rng.standard_normal((n, d)) / np.sqrt(d)
        y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
        w = rng.standard_normal(d)
        s = rng.uniform(0.1, 0.25, n)
        cases.append(
            {
                "case": f"logistic regression, X {n}×{d}",
                "ours": lambda f=logistic, y=y, X=X, w=w: f(y, X, w),
                "dominant": lambda X=X, s=s: (X.T * s) @ X,
                "dominant_name": "(Xᵀ diag(s)) X",
                "jax_f": lambda jnp, y=y, X=X: lambda v: jnp.sum(jnp.log1p(jnp.exp(-y * (X @ v)))),
                "at": w,
                "target": 3.0,
            }
        )
    d = dims[-1]
    A = rng.standard_normal((d, d))
    x = rng.standard_normal(d)
    cases.append(
        {
            "case": f"quadratic form xᵀAx, d = {d}",
            "ours": lambda f=quad, x=x, A=A: f(x, A),
            "dominant": lambda A=A: A + A.T,
            "dominant_name": "A + Aᵀ",
            "jax_f": lambda jnp, A=A: lambda x: x @ A @ x,
            "at": x,
            "target": 30.0,
        }
    )
    return cases


def hessians(n: int, dims: tuple[int, ...], reps: int, use_jax: bool = True) -> list[dict[str, Any]]:
    jax = _jax() if use_jax else None
    rows = []
    for c in _hessian_cases(n, dims, np.random.default_rng(1)):
        t_ours, t_dom = best_pair(c["ours"], c["dominant"], reps)
        row: dict[str, Any] = {
            "case": c["case"],
            "exported_ms": t_ours * 1e3,
            "dominant": c["dominant_name"],
            "dominant_ms": t_dom * 1e3,
            "vs_dominant": t_ours / t_dom,
            "jax_target": c["target"],
        }
        if jax is not None:
            hess = jax.jit(jax.hessian(c["jax_f"](jax.numpy)))
            at = jax.numpy.asarray(c["at"])
            np.testing.assert_allclose(np.asarray(hess(at)), c["ours"](), rtol=1e-8, atol=1e-8)  # compiled, and equal
            t_ours2, t_jax = best_pair(c["ours"], lambda h=hess, at=at: h(at).block_until_ready(), reps)
            row.update(jax_ms=t_jax * 1e3, speedup=t_jax / t_ours2, exported_vs_jax_ms=t_ours2 * 1e3)
        rows.append(row)
    return rows


# --- 3. memory of a tensor derivative ---


def rtr_memory(rows: int, cols: int) -> dict[str, Any]:
    jacobian = exported("R^T R", "R")["jacobian"]
    R = np.random.default_rng(2).standard_normal((rows, cols))
    jacobian(R)  # warm: the first call's allocations are numpy's own caches
    tracemalloc.start()
    out = jacobian(R)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dense = (cols * cols) * (rows * cols) + (rows * cols) ** 2  # (Rᵀ ⊗ I) and Kₘₙ as dense matrices
    return {
        "case": f"∂(RᵀR)/∂R, R {rows}×{cols}, output {out.shape}",
        "output_mb": out.nbytes / 1e6,
        "peak_mb": peak / 1e6,
        "peak_over_output": peak / out.nbytes,
        "dense_form_mb": dense * 8 / 1e6,
    }


# --- report ---


def report(data: dict[str, Any]) -> str:
    lines = ["#### Gradients: exported `grad` / hand-written numpy (target ≤ 1.3×)", ""]
    lines += ["| case | exported ms | hand-written ms | ratio | target met |", "|---|---|---|---|---|"]
    for r in data["gradients"]:
        ok = "yes" if r["ratio"] <= 1.3 else "**no**"
        lines.append(f"| {r['case']} | {r['exported_ms']:.3g} | {r['hand_ms']:.3g} | {r['ratio']:.2f}× | {ok} |")
    lines += ["", "#### Hessians: exported `hessian` against `jax.jit(jax.hessian(f))` and its dominant operation", ""]
    lines += [
        "| case | exported ms | JAX ms | JAX / exported (target) | dominant operation | its ms "
        "| exported / it (≤ 1.5×) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in data["hessians"]:
        if "jax_ms" in r:
            ok = "met" if r["speedup"] >= r["jax_target"] else "**not met**"
            jax_cells = f"{r['jax_ms']:.3g} | {r['speedup']:.1f}× (≥ {r['jax_target']:g}×, {ok})"
        else:
            jax_cells = "— | JAX not installed"
        dom_ok = "met" if r["vs_dominant"] <= 1.5 else "**not met**"
        lines.append(
            f"| {r['case']} | {r['exported_ms']:.3g} | {jax_cells} | {r['dominant']} | {r['dominant_ms']:.3g} "
            f"| {r['vs_dominant']:.2f}× ({dom_ok}) |"
        )
    m = data["memory"]
    ok = "met" if m["peak_over_output"] <= 2 else "**not met**"
    lines += ["", "#### Memory of a tensor derivative (target: peak ≤ 2× the output)", ""]
    lines += ["| case | output MB | tracemalloc peak MB | peak / output | the dense (Rᵀ ⊗ I) Kₘₙ form would hold |"]
    lines += ["|---|---|---|---|---|"]
    lines.append(
        f"| {m['case']} | {m['output_mb']:.1f} | {m['peak_mb']:.1f} | {m['peak_over_output']:.2f}× ({ok}) "
        f"| {m['dense_form_mb']:.0f} MB |"
    )
    return "\n".join(lines)


def run(quick: bool = False, use_jax: bool = True) -> dict[str, Any]:
    if quick:
        return {
            "gradients": gradients(n=40, d=5, reps=1),
            "hessians": hessians(n=40, dims=(4, 6), reps=1, use_jax=use_jax),
            "memory": rtr_memory(30, 4),
        }
    return {
        "gradients": gradients(n=1000, d=100, reps=15),
        "hessians": hessians(n=1000, dims=(200, 1000), reps=7),
        "memory": rtr_memory(300, 20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    data = run(args.quick)
    print(report(data))
    if args.json:
        args.json.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
