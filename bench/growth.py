"""Growth with expression size: time and printed size as the input grows, with fitted exponents.

Families (k or L is the size parameter):
- `product`: tr(A1 A2 … Ak), the gradient w.r.t. each Ai; time and size are per gradient (the mean over
  i), so the ideal is linear (each answer is a product of k − 1 factors);
- `quadratic`: Σᵢ (x − bᵢ)ᵀ Aᵢ (x − bᵢ), i = 1…k, w.r.t. x (answer Σ (Aᵢ + Aᵢᵀ)(x − bᵢ): linear);
- `mlp_sigmoid`, `mlp_tanh`: ‖W_L σ(… σ(W1 x)) − y‖² w.r.t. W1 (back-propagation: linear with shared
  sub-expressions; quadratic when the forward activations are re-printed inside every factor);
- `sum`: x₁ᵀA x₁ + … + x_kᵀA x_k w.r.t. A (sums of distinct terms, issue 15's example; answer Σ xᵢxᵢᵀ),
  and `trace`: tr(A₁ A₂ … A_k) w.r.t. the middle factor (one gradient of a long product). These two are
  measured at k × `SCALE` (60 … 3,000 terms or factors), the sizes where a quadratic step would show.

Size is reported as printed characters, tree nodes and distinct sub-trees (the size with shared sub-
expressions). mcalc's time is the minimum over repetitions. Exponents are least-squares slopes of log(y)
on log(k) over k ≥ `fit_from` (small sizes are dominated by fixed costs). SymPy (separate process) is
timed on the same inputs until it first exceeds the time limit.
"""

from __future__ import annotations

import time
from typing import Any

from bench.corpus import (
    Section,
    Timeout,
    fit_exponent,
    mcalc_nodes,
    ms,
    run_worker,
    sympy_nodes,
    table,
    time_limit,
)

FAMILIES = ("product", "quadratic", "mlp_sigmoid", "mlp_tanh", "sum", "trace")
SIZES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 40, 50)
# the long flat families run at k × SCALE: their size parameter counts terms (or factors) by thousands
SCALE = {"sum": 60, "trace": 60}


def scaled(family: str, k: int) -> int:
    return k * SCALE.get(family, 1)


def source(family: str, k: int) -> tuple[str, list[str]]:
    """mcalc input and the variables to differentiate by (one gradient each)."""
    if family == "product":
        return "tr(" + " ".join(f"A{i}" for i in range(1, k + 1)) + ")", [f"A{i}" for i in range(1, k + 1)]
    if family == "quadratic":
        return " + ".join(f"(x - b{i})^T A{i} (x - b{i})" for i in range(1, k + 1)), ["x"]
    if family == "sum":
        return " + ".join(f"x_{i}^T A x_{i}" for i in range(1, k + 1)), ["A"]
    if family == "trace":
        return "tr(" + " ".join(f"A_{i}" for i in range(1, k + 1)) + ")", [f"A_{(k + 1) // 2}"]
    act = family.removeprefix("mlp_")
    e = "x"
    for i in range(1, k):
        e = f"{act}(W{i} {e})"
    return f"||W{k} {e} - y||^2", ["W1"]


def sympy_source(family: str, k: int) -> tuple[Any, list[Any]]:
    import sympy as sp

    if family == "product":
        d = sp.symbols(f"n0:{k + 1}", integer=True, positive=True)
        mats = [sp.MatrixSymbol(f"A{i}", d[i - 1], d[i] if i < k else d[0]) for i in range(1, k + 1)]
        return sp.Trace(sp.MatMul(*mats)), mats
    if family in ("sum", "trace"):
        n = sp.Symbol("n", integer=True, positive=True)
        a = sp.MatrixSymbol("A", n, n)
        if family == "sum":
            xs = [sp.MatrixSymbol(f"x_{i}", n, 1) for i in range(1, k + 1)]
            return sp.MatAdd(*[x.T * a * x for x in xs]), [a]
        mats = [sp.MatrixSymbol(f"A_{i}", n, n) for i in range(1, k + 1)]
        return sp.Trace(sp.MatMul(*mats)), [mats[(k + 1) // 2 - 1]]
    if family == "quadratic":
        n = sp.Symbol("n", integer=True, positive=True)
        x = sp.MatrixSymbol("x", n, 1)
        terms = []
        for i in range(1, k + 1):
            b, a = sp.MatrixSymbol(f"b{i}", n, 1), sp.MatrixSymbol(f"A{i}", n, n)
            terms.append((x - b).T * a * (x - b))
        return sp.MatAdd(*terms), [x]
    t = sp.Dummy("t")
    f = sp.Lambda(t, 1 / (1 + sp.exp(-t))) if family == "mlp_sigmoid" else sp.Lambda(t, sp.tanh(t))
    d = sp.symbols(f"n0:{k + 1}", integer=True, positive=True)
    ws = [sp.MatrixSymbol(f"W{i}", d[i], d[i - 1]) for i in range(1, k + 1)]
    h: Any = sp.MatrixSymbol("x", d[0], 1)
    for w in ws[:-1]:
        h = (w * h).applyfunc(f)
    r = ws[-1] * h - sp.MatrixSymbol("y", d[k], 1)
    return r.T * r, [ws[0]]


def shared_nodes(res: Any) -> int:
    """Nodes of the derivative as the text output shows it: main line plus `where` definitions."""
    from mcalc.render.share import share
    from mcalc.syntax.nodes import tree_size

    main, defs = share(res.final.result, set(res.env.kinds))
    return tree_size(main) + sum(1 + tree_size(body) for _, body in defs)


def mcalc_point(family: str, k: int, reps: int) -> dict[str, Any]:
    from mcalc import pipeline
    from mcalc.cli.collector import paused
    from mcalc.render.printer import render_text

    # timed as `mcalc diff` runs it: the program pauses the cyclic collector while it builds trees (a
    # library call does not, so that a host's collection is left alone)
    derive = paused(lambda src, v: (res := pipeline.differentiate(src, [v]), render_text(res.final.result)))
    src, wrt = source(family, scaled(family, k))
    times, chars, nodes, distinct, printed = [], [], [], [], []
    for rep in range(reps):
        total = 0.0
        for v in wrt:
            t0 = time.process_time()
            res, text = derive(src, v)
            total += time.process_time() - t0
            if rep == 0:
                n, _, dist = mcalc_nodes(res.final.result)
                chars.append(len(text))
                nodes.append(n)
                distinct.append(dist)
                # what `mcalc diff` prints, in tree nodes: repeated sub-expressions named once in a
                # `where` line (nodes, not characters: names W10, W11 … grow in length with k)
                printed.append(shared_nodes(res))
        times.append(total / len(wrt))
        if total > 2.0:  # slow enough that one repetition is a stable figure
            break
    return {
        "time": min(times),  # the least disturbed repetition (the machine may be shared)
        "chars": sum(chars) / len(chars),
        "printed": sum(printed) / len(printed),
        "nodes": sum(nodes) / len(nodes),
        "distinct": sum(distinct) / len(distinct),
    }


def sympy_worker(payload: dict[str, Any]) -> list[dict[str, Any]]:
    from sympy.core.cache import clear_cache

    out = []
    warm, _ = sympy_source("product", 2)  # first-call costs are start-up, not growth
    warm.diff(_[0])
    for k in payload["sizes"]:
        clear_cache()
        rec: dict[str, Any] = {"k": k}
        try:
            with time_limit(payload["timeout"]):
                expr, variables = sympy_source(payload["family"], scaled(payload["family"], k))
                total, chars, nodes = 0.0, 0, 0
                for v in variables:
                    t0 = time.process_time()
                    res = expr.diff(v)
                    text = str(res)
                    total += time.process_time() - t0
                    chars += len(text)
                    nodes += sympy_nodes(res)[0]
            rec.update(time=total / len(variables), chars=chars / len(variables), nodes=nodes / len(variables))
        except Timeout:
            rec["status"] = "timeout"
            out.append(rec)
            break
        except Exception as exc:  # noqa: BLE001 - SymPy raising is a result here
            rec["status"] = f"raises {type(exc).__name__}"
            out.append(rec)
            break
        out.append(rec)
    return out


def run(
    families: tuple[str, ...] = FAMILIES,
    sizes: tuple[int, ...] = SIZES,
    reps: int = 5,
    limit: float = 60.0,
    sympy_limit: float = 30.0,
    fit_from: int = 8,
) -> Section:
    data: dict[str, Any] = {}
    parts = []
    summary_rows = []
    for fam in families:
        points: list[dict[str, Any]] = []
        mcalc_point(fam, 2, 1)  # warm-up: lazy imports are start-up, not growth
        for k in sizes:
            try:
                with time_limit(limit):
                    p = mcalc_point(fam, k, reps)
            except Timeout:
                points.append({"k": k, "status": f"over {limit:g} s"})
                break
            p["k"] = k
            points.append(p)
        sym = run_worker(
            "growth",
            "sympy_worker",
            {"family": fam, "sizes": list(sizes), "timeout": sympy_limit},
            timeout=len(sizes) * sympy_limit + 60,
        )
        if isinstance(sym, dict):  # the worker itself failed
            sym = [{"k": sizes[0], "status": sym.get("error", "failed")}]
        sym_by_k = {s["k"]: s for s in sym}
        ok = [p for p in points if "time" in p and p["k"] >= fit_from]
        ks = [p["k"] for p in ok]
        fits = {
            "time": fit_exponent(ks, [p["time"] for p in ok]),
            "chars": fit_exponent(ks, [p["chars"] for p in ok]),
            "nodes": fit_exponent(ks, [p["nodes"] for p in ok]),
            "distinct": fit_exponent(ks, [p["distinct"] for p in ok]),
            "printed": fit_exponent(ks, [p["printed"] for p in ok]),
        }
        sok = [s for s in sym if "time" in s and s["k"] >= fit_from]
        sfits = {
            "time": fit_exponent([s["k"] for s in sok], [s["time"] for s in sok]),
            "chars": fit_exponent([s["k"] for s in sok], [s["chars"] for s in sok]),
        }
        data[fam] = {"mcalc": points, "sympy": sym, "fit": fits, "sympy_fit": sfits, "fit_from": fit_from}
        summary_rows.append(
            [
                fam,
                fits["time"],
                fits["chars"],
                fits["nodes"],
                fits["distinct"],
                fits["printed"],
                sfits["time"],
                sfits["chars"],
                max((s["k"] for s in sym if "time" in s), default=None),
            ]
        )
        rows = []
        for p in points:
            s = sym_by_k.get(p["k"], {})
            rows.append(
                [
                    scaled(fam, p["k"]),
                    ms(p.get("time")) if "time" in p else p.get("status"),
                    p.get("chars"),
                    p.get("nodes"),
                    p.get("distinct"),
                    p.get("printed"),
                    ms(s.get("time")) if "time" in s else s.get("status", "—"),
                    s.get("chars"),
                    (s["time"] / p["time"]) if "time" in s and "time" in p else None,
                ]
            )
        parts.append(
            f"**{fam}** — `{source(fam, 3)[0]}` for k = 3\n\n"
            + table(
                [
                    "k",
                    "mcalc ms",
                    "chars",
                    "nodes",
                    "distinct",
                    "printed (where)",
                    "SymPy ms",
                    "SymPy chars",
                    "SymPy/mcalc time",
                ],
                rows,
            )
        )
    head = table(
        [
            "family",
            "time exp.",
            "chars exp.",
            "nodes exp.",
            "distinct exp.",
            "printed exp.",
            "SymPy time exp.",
            "SymPy chars exp.",
            "SymPy largest k in limit",
        ],
        summary_rows,
    )
    text = (
        f"Exponents fitted on k ≥ {fit_from} (targets: time ≤ 1.2, printed size ≤ 1.0).\n\n"
        + head
        + "\n\n"
        + "\n\n".join(parts)
    )
    return Section("growth", data, text)


if __name__ == "__main__":
    print(run().text)
