"""What `--check` costs as X grows: 10×10, 100×100, 500×500.

The oracle differences along random directions (two evaluations of f per direction) instead of one
difference per entry, so its cost should be a constant number of evaluations (3 points × (2
directions × 2 evaluations + 1 derivative) plus one LU per inverted matrix), whatever the size:
the ratio column should stay flat while the entries of X grow 2500-fold. A per-entry check of a
500×500 X would take 500 000 evaluations.

    .venv/bin/python bench/check_cost.py [--sizes 10,100,500] [--repeat 3]

Prints a table: expression, n, entries of X, one evaluation of f, one evaluation of the
derivative, the whole check, check / evaluation, and how many evaluations of f the check made.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EXPRESSIONS = [
    ("tr(A X B X^T)", "X"),
    ("logdet(X)", "X"),
    ("a^T X^-1 b", "X"),
    ("||X a - b||^2", "X"),
]


def median_of(repeat: int, fn: Callable[[], Any]) -> float:
    """The median wall time (the machine may be shared: the median is steadier than the mean, and
    the check below is timed the same way as the single evaluation it is compared with)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(expr: str, var: str, n: int, repeat: int) -> dict[str, Any]:
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.check import check_derivative, domain_of, random_point
    from mcalc.shapes import unbound_dims

    result = pipeline.differentiate(expr, [var])
    env = result.env
    dims = dict.fromkeys(unbound_dims(env), n)
    domain = domain_of([result.tree, result.final.result], env)
    env.sizes.clear()
    env.sizes.update(dims)
    values = random_point(env, domain, np.random.default_rng(0))
    calls = {"f": 0}

    def f_value(v: Any) -> Any:
        calls["f"] += 1
        return pipeline.evaluate_expression(result.tree, env, v)

    def d_value(v: Any) -> Any:
        return pipeline.evaluate_value(result, v)

    t_eval = median_of(repeat, lambda: pipeline.evaluate_expression(result.tree, env, values))
    t_deriv = median_of(repeat, lambda: d_value(values))
    outcome = None

    def run_check() -> None:
        nonlocal outcome
        calls["f"] = 0
        outcome = check_derivative(env, [var], f_value, d_value, domain, seed=1, fixed_sizes=dims)

    t_check = median_of(repeat, run_check)
    assert outcome is not None
    return {
        "expr": expr,
        "n": n,
        "entries": n * n,
        "eval": t_eval,
        "deriv": t_deriv,
        "check": t_check,
        "ratio": t_check / t_eval,
        "f_calls": calls["f"],
        "passed": outcome.passed,
        "error": outcome.max_rel_error,
    }


def ms(t: float) -> str:
    return f"{t * 1e3:9.2f}"


def main() -> int:
    # one BLAS thread (set before numpy loads): on a shared 2-core machine threads make single timings
    # swing by 100×
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    header = (
        f"{'expression':<16} {'n':>4} {'entries':>8} {'eval ms':>9} {'deriv ms':>9} {'check ms':>9} "
        f"{'check/eval':>10} {'f evals':>7} {'per-entry s':>11}  result"
    )
    print(header)
    print("-" * len(header))
    for expr, var in EXPRESSIONS:
        for n in sizes:
            r = measure(expr, var, n, args.repeat)
            verdict = f"passed {r['error']:.1e}" if r["passed"] else f"FAILED {r['error']:.1e}"
            print(
                f"{r['expr']:<16} {r['n']:>4} {r['entries']:>8} {ms(r['eval'])} {ms(r['deriv'])} {ms(r['check'])} "
                f"{r['ratio']:>10.1f} {r['f_calls']:>7} {2 * r['entries'] * r['eval'] * 3:>11.1f}  {verdict}"
            )
    print()
    print("f evals: evaluations of f by the check, constant (3 points × 2 directions × 2; twice that for a")
    print("direction whose first difference misses). per-entry s: what one central difference per entry")
    print("would cost (2·n² evaluations × 3 points). Drawing the random points and directions is O(entries)")
    print("too; it dominates check/eval only where f itself is cheaper than drawing X (a matrix-vector product).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
