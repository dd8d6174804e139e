"""Engine throughput: the whole corpus differentiated in one process, mcalc against SymPy.

mcalc is timed end to end for each expression: parse, infer shapes, differentiate, simplify and print
(`pipeline.differentiate` + `render_text`). SymPy is timed on `expr.diff(var)` + `str(result)` only,
with its expression already built and its cache cleared before every repetition (a warm cache would time
a dictionary lookup) — so the comparison is, if anything, generous to SymPy. SymPy runs in a separate
process under a per-expression time limit.

Per expression the minimum over repetitions counts (other processes on a shared machine only ever add
time); medians are kept in the JSON. The headline ratio is over the expressions SymPy "handles": it
returns an evaluated matrix or array expression (not an exception, an unevaluated Derivative, a time-out
or a bare 0).
"""

from __future__ import annotations

import time
from typing import Any

from bench.corpus import (
    CASES,
    Section,
    SympyNS,
    Timeout,
    case,
    median,
    ms,
    run_worker,
    sympy_build,
    sympy_diff,
    sympy_status,
    table,
    time_limit,
)

HANDLED = ("matrix", "array")


def mcalc_times(ids: list[str], reps: int) -> dict[str, Any]:
    from mcalc import pipeline
    from mcalc.render.printer import render_text

    out: dict[str, Any] = {}
    for cid in ids:
        c = case(cid)
        decl = c.decl()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            res = pipeline.differentiate(c.src, list(c.wrt), decl)
            render_text(res.final.result)
            times.append(time.perf_counter() - t0)
        out[cid] = {"median": median(times), "min": min(times)}
    return out


def sympy_worker(payload: dict[str, Any]) -> dict[str, Any]:
    from sympy.core.cache import clear_cache

    reps, limit = payload["reps"], payload["timeout"]
    S = SympyNS()
    out: dict[str, Any] = {}
    for cid in payload["ids"]:
        c = case(cid)
        times = []
        rec: dict[str, Any] = {}
        try:
            for _ in range(reps):
                clear_cache()
                expr, variables = sympy_build(c, S)
                with time_limit(limit):
                    t0 = time.perf_counter()
                    res = sympy_diff(expr, variables)
                    str(res)
                    times.append(time.perf_counter() - t0)
            rec = {"status": sympy_status(res), "median": median(times), "min": min(times)}
        except Timeout:
            rec = {"status": "timeout"}
        except Exception as exc:  # noqa: BLE001 - SymPy raising is a result here
            rec = {"status": "raises", "error": f"{type(exc).__name__}: {exc}"[:200]}
        out[cid] = rec
    return out


def run(ids: list[str] | None = None, reps: int = 5, timeout: float = 20.0) -> Section:
    ids = [c.id for c in CASES if ids is None or c.id in ids]
    # one untimed pass so that both sides have their lazy imports done
    mcalc_times(ids, 1)
    t0 = time.perf_counter()
    mcalc_times(ids, 1)
    one_pass = time.perf_counter() - t0
    mc = mcalc_times(ids, reps)
    sym_ids = [i for i in ids if case(i).sympy is not None]
    sym: dict[str, Any] = {}
    if sym_ids:
        sym = run_worker(
            "engine",
            "sympy_worker",
            {"ids": sym_ids, "reps": reps, "timeout": timeout},
            timeout=len(sym_ids) * reps * timeout + 60,
        )
        if "error" in sym and isinstance(sym["error"], str):
            sym = {i: {"status": "raises", "error": sym["error"]} for i in sym_ids}
    rows = []
    for i in ids:
        s = sym.get(i, {"status": "no construction"})
        ratio = s["min"] / mc[i]["min"] if s.get("status") in HANDLED else None
        rows.append(
            {
                "id": i,
                "mcalc_s": mc[i]["min"],
                "sympy_s": s.get("min"),
                "mcalc_median_s": mc[i]["median"],
                "sympy_median_s": s.get("median"),
                "sympy_status": s["status"],
                "speedup": ratio,
            }
        )
    handled = [r for r in rows if r["speedup"] is not None]
    mc_total = sum(r["mcalc_s"] for r in handled)
    sy_total = sum(r["sympy_s"] for r in handled)
    answered = [r for r in rows if r["sympy_s"] is not None]
    summary = {
        "expressions": len(rows),
        "mcalc_total_s": sum(r["mcalc_s"] for r in rows),
        "mcalc_one_pass_s": one_pass,
        "sympy_handled": len(handled),
        "mcalc_total_on_handled_s": mc_total,
        "sympy_total_on_handled_s": sy_total,
        "speedup_total": sy_total / mc_total if mc_total else None,
        "speedup_median": median([r["speedup"] for r in handled]),
        "speedup_min": min((r["speedup"] for r in handled), default=None),
        "speedup_all_answers": (
            sum(r["sympy_s"] for r in answered) / sum(r["mcalc_s"] for r in answered) if answered else None
        ),
        "target": 10.0,
        "reps": reps,
    }
    summary["met"] = summary["speedup_total"] is not None and summary["speedup_total"] >= 10.0
    slowest = sorted(handled, key=lambda r: r["speedup"])[:5]
    text = table(
        ["", "value"],
        [
            ["expressions (one process)", summary["expressions"]],
            ["mcalc, whole corpus, one pass (ms)", ms(one_pass)],
            ["SymPy handles (matrix or array result)", summary["sympy_handled"]],
            ["mcalc on those, sum of per-expression times (ms)", ms(mc_total)],
            ["SymPy on those, sum of per-expression times (ms)", ms(sy_total)],
            ["**speed-up, total** (target ≥ 10×)", summary["speedup_total"]],
            ["speed-up, median per expression", summary["speedup_median"]],
            ["speed-up, worst expression", summary["speedup_min"]],
            ["speed-up incl. SymPy's wrong/unevaluated answers", summary["speedup_all_answers"]],
        ],
    )
    text += "\n\nLeast speed-up:\n\n" + table(
        ["id", "mcalc ms", "SymPy ms", "speed-up"],
        [[r["id"], ms(r["mcalc_s"]), ms(r["sympy_s"]), r["speedup"]] for r in slowest],
    )
    return Section("engine", {"summary": summary, "rows": rows}, text)


if __name__ == "__main__":
    print(run().text)
