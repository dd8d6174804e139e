"""Sizes report (issue 6): how big mcalc's results are next to SymPy's `MatrixSymbol(...).diff`, and
where SymPy gives no result, a wrong one, raises, or returns an unevaluated Derivative.

For every corpus expression:
- mcalc: the derivative, its printed length and node count, and the CLI's `--check` (central finite
  differences along random directions) so that mcalc's value is a trusted reference;
- SymPy (in a separate process, each step under a time limit): the derivative, its `str` length and
  node count, the same after `convert_array_to_matrix` / `simplify` when that finishes in time, and its
  numeric value at the same random point, compared with mcalc's value. A value that matches only after
  transposing or permuting axes is "other layout" (e.g. SymPy's ∂(Ax)/∂x = Aᵀ, its denominator
  convention), not wrong.
"""

from __future__ import annotations

import itertools
from typing import Any

from bench.corpus import (
    CASES,
    Case,
    Section,
    SympyNS,
    Timeout,
    case,
    mcalc_diff,
    mcalc_nodes,
    median,
    run_worker,
    sympy_build,
    sympy_diff,
    sympy_nodes,
    sympy_status,
    table,
    time_limit,
)

REL_TOL = 1e-6


# --- mcalc side ---


def mcalc_check(result: Any, seed: int) -> Any:
    """What `mcalc diff --check` does."""
    from mcalc import pipeline

    return pipeline.check(result, seed)


def mcalc_point(result: Any, seed: int, tries: int = 30) -> tuple[dict[str, Any], Any]:
    """A domain-respecting random point with distinct sizes where every inverse, det and logdet in the
    input and in the result is well conditioned, and mcalc's derivative value there."""
    import numpy as np

    from mcalc import pipeline
    from mcalc.errors import MathError
    from mcalc.numeric.check import domain_of, random_point
    from mcalc.numeric.evaluate import evaluate
    from mcalc.shapes import unbound_dims

    env = result.env
    rng = np.random.default_rng(seed)
    saved = dict(env.sizes)
    domain = domain_of([result.tree, result.stages[0].result], env)
    guarded = _conditioned_args([result.tree, *(s.result for s in result.stages)])
    try:
        for attempt in range(tries):
            env.sizes.clear()
            pool = [3, 4, 2, 5, 6, 7, 8, 9]
            if attempt:
                rng.shuffle(pool)
            for i, d in enumerate(unbound_dims(env)):
                env.sizes[d] = pool[i % len(pool)]
            values = random_point(env, domain, rng)
            try:
                with np.errstate(all="ignore"):
                    conds = [np.linalg.cond(np.atleast_2d(evaluate(a, env, values))) for a in guarded]
                    if any(not np.isfinite(c) or c > 1e6 for c in conds):
                        continue
                    value = pipeline.evaluate_value(result, values)
            except (MathError, np.linalg.LinAlgError):
                continue
            if np.all(np.isfinite(value)):
                plain = {k: v for k, v in values.items() if ":" not in k and k in env.kinds}
                return plain, value
        raise RuntimeError(f"no well-conditioned point found for {result.source!r}")
    finally:
        env.sizes.clear()
        env.sizes.update(saved)


def _conditioned_args(trees: list[Any]) -> list[Any]:
    """Arguments of inverses, determinants and log-determinants (which must be far from singular)."""
    from mcalc.syntax import nodes as N

    out: list[Any] = []
    stack = list(trees)
    while stack:
        n = stack.pop()
        if isinstance(n, (N.Inverse, N.Det, N.LogDet)) and n.arg not in out:
            out.append(n.arg)
        stack.extend(n.children())
    return out


# --- SymPy side (runs in the worker process) ---


def sympy_value(expr: Any, result: Any, values: dict[str, Any]) -> Any:
    """Evaluate a SymPy derivative at concrete values: sizes substituted, matrices made explicit."""
    import numpy as np
    import sympy as sp

    dims: dict[Any, int] = {}
    for ms in expr.atoms(sp.MatrixSymbol):
        arr = np.asarray(values[ms.name], dtype=float)
        for d, size in zip(ms.shape, arr.shape, strict=True):
            if isinstance(d, sp.Symbol):
                if dims.setdefault(d, size) != size:
                    raise ValueError(f"corpus shape mismatch for {ms.name}: {d} is {dims[d]} and {size}")
    rep: dict[Any, Any] = {}
    for ms in expr.atoms(sp.MatrixSymbol):
        rep[ms.subs(dims)] = sp.ImmutableMatrix(np.asarray(values[ms.name], dtype=float))
    for s in expr.free_symbols:
        if isinstance(s, sp.Symbol) and not isinstance(s, sp.MatrixSymbol) and s.name in values:
            rep[s] = sp.Float(float(np.asarray(values[s.name]).reshape(-1)[0]))
    out = result.subs(dims).xreplace(rep).doit()
    return _to_numpy(out)


def _to_numpy(v: Any) -> Any:
    import numpy as np
    import sympy as sp

    if isinstance(v, (sp.MatrixBase, sp.NDimArray)):
        return np.array(v.tolist(), dtype=float)
    if hasattr(v, "as_explicit"):
        return _to_numpy(v.as_explicit())
    return np.array(float(v))


def _simplified(result: Any, limit: float) -> tuple[Any, str, list[Any]]:
    """The smallest of SymPy's own clean-ups that finish in time: convert_array_to_matrix, simplify."""
    import sympy as sp
    from sympy.tensor.array.expressions.from_array_to_matrix import convert_array_to_matrix

    best, how = result, "as returned"
    candidates = []
    try:
        with time_limit(limit):
            candidates.append((convert_array_to_matrix(result), "convert_array_to_matrix"))
    except (Timeout, Exception):  # noqa: BLE001 - any failure just means no candidate
        pass
    try:
        with time_limit(limit):
            candidates.append((sp.simplify(result), "simplify"))
    except (Timeout, Exception):  # noqa: BLE001
        pass
    for cand, name in candidates:
        if sympy_nodes(cand)[0] < sympy_nodes(best)[0]:
            best, how = cand, name
    return best, how, [c for c, _ in candidates]


def sympy_worker(payload: dict[str, Any]) -> dict[str, Any]:
    import time

    limit = payload["timeout"]
    simplify_limit = payload["simplify_timeout"]
    S = SympyNS()
    out: dict[str, Any] = {}
    for item in payload["cases"]:
        c = case(item["id"])
        rec: dict[str, Any] = {}
        try:
            with time_limit(limit):
                expr, variables = sympy_build(c, S)
                t0 = time.perf_counter()
                res = sympy_diff(expr, variables)
                text = str(res)
                rec["time"] = time.perf_counter() - t0
        except Timeout:
            out[c.id] = {"status": "timeout", "error": f"no result within {limit:g} s"}
            continue
        except Exception as exc:  # noqa: BLE001 - SymPy raising is a result here
            out[c.id] = {"status": "raises", "error": f"{type(exc).__name__}: {exc}"[:200]}
            continue
        n, ops = sympy_nodes(res)
        rec.update(status=sympy_status(res), text=text, chars=len(text), nodes=n, ops=ops)
        if rec["status"] != "unevaluated":
            best, how, others = _simplified(res, simplify_limit)
            bn, bops = sympy_nodes(best)
            rec.update(simplified=str(best), simplified_by=how, s_chars=len(str(best)), s_nodes=bn, s_ops=bops)
            # SymPy's own result first; if SymPy cannot evaluate it, its cleaned-up forms
            for k, form in enumerate([res, *others]):
                try:
                    with time_limit(limit):
                        rec["value"] = sympy_value(expr, form, item["values"]).tolist()
                    if k:
                        rec["value_note"] = "SymPy's raw result does not evaluate; value of its cleaned-up form"
                    break
                except Timeout:
                    rec["value_error"] = f"numeric evaluation over {limit:g} s"
                except Exception as exc:  # noqa: BLE001
                    rec["value_error"] = f"{type(exc).__name__}: {exc}"[:200]
        out[c.id] = rec
    return out


# --- comparison ---


def compare(ref: Any, got: Any) -> str:
    """'correct' | 'other layout' (equal after transposing/permuting axes) | 'wrong' | 'wrong shape'."""
    import numpy as np

    r = np.squeeze(np.asarray(ref, dtype=float))
    g = np.squeeze(np.asarray(got, dtype=float))

    def close(a: Any, b: Any) -> bool:
        scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-12)
        return float(np.linalg.norm(a - b)) <= REL_TOL * scale

    if g.ndim == 0 and r.ndim > 0:
        return "correct" if close(r, np.full(r.shape, float(g))) and not np.any(r) else "wrong"
    if r.size != g.size:
        return "wrong shape"
    if r.shape == g.shape and close(r, g):
        return "correct"
    for perm in itertools.permutations(range(g.ndim)):
        gp = g.transpose(perm)
        if gp.shape == r.shape and close(r, gp):
            return "other layout"
    if r.shape != g.shape and not any(g.transpose(p).shape == r.shape for p in itertools.permutations(range(g.ndim))):
        return "wrong shape"
    return "wrong"


def verdict(rec: dict[str, Any], ref: Any) -> str:
    status = rec.get("status")
    if status in ("raises", "timeout", "unevaluated"):
        return status
    if "value" not in rec:
        return "not evaluable"
    return compare(ref, rec["value"])


def run(
    ids: list[str] | None = None,
    seed: int = 0,
    timeout: float = 20.0,
    simplify_timeout: float = 3.0,
) -> Section:
    from mcalc.render.printer import render_text

    cases: list[Case] = [c for c in CASES if ids is None or c.id in ids]
    rows: list[dict[str, Any]] = []
    jobs = []
    refs: dict[str, Any] = {}
    for i, c in enumerate(cases):
        res = mcalc_diff(c)
        text = render_text(res.final.result)
        n, ops, distinct = mcalc_nodes(res.final.result)
        chk = mcalc_check(res, seed + i)
        row: dict[str, Any] = {
            "id": c.id,
            "group": c.group,
            "expression": c.src,
            "wrt": ",".join(c.wrt),
            "mcalc": text,
            "mcalc_chars": len(text),
            "mcalc_nodes": n,
            "mcalc_ops": ops,
            "mcalc_check": chk.passed,
            "mcalc_check_error": chk.max_rel_error,
            "note": c.note,
        }
        if c.sympy is not None:
            values, ref = mcalc_point(res, seed + i)
            refs[c.id] = ref
            jobs.append({"id": c.id, "values": {k: v.tolist() for k, v in values.items()}})
        rows.append(row)
    worker: dict[str, Any] = {}
    if jobs:
        worker = run_worker(
            "sizes",
            "sympy_worker",
            {"cases": jobs, "timeout": timeout, "simplify_timeout": simplify_timeout},
            timeout=len(jobs) * (2 * timeout + 2 * simplify_timeout) + 60,
        )
    failed_worker = worker.get("error") if isinstance(worker.get("error"), str) else None
    for row in rows:
        if row["id"] not in refs:
            row["sympy_verdict"] = "no construction"
            continue
        rec = worker.get(row["id"]) if not failed_worker else {"status": "raises", "error": failed_worker}
        rec = rec or {"status": "raises", "error": "missing from worker output"}
        row["sympy_verdict"] = verdict(rec, refs[row["id"]])
        for key in (
            "status",
            "text",
            "chars",
            "nodes",
            "ops",
            "simplified",
            "simplified_by",
            "s_chars",
            "s_nodes",
            "s_ops",
            "error",
            "value_error",
            "value_note",
            "time",
        ):
            if key in rec:
                row["sympy_" + key] = rec[key]
    return _section(rows)


def _section(rows: list[dict[str, Any]]) -> Section:
    usable = [r for r in rows if r.get("sympy_verdict") in ("correct", "other layout")]
    ratios_nodes = [r["sympy_s_nodes"] / r["mcalc_nodes"] for r in usable if r.get("sympy_s_nodes")]
    ratios_chars = [r["sympy_s_chars"] / r["mcalc_chars"] for r in usable if r.get("sympy_s_chars")]
    not_longer = sum(1 for r in usable if r["mcalc_nodes"] <= r.get("sympy_s_nodes", 10**9))
    by_verdict: dict[str, list[str]] = {}
    for r in rows:
        by_verdict.setdefault(r["sympy_verdict"], []).append(r["id"])
    summary = {
        "expressions": len(rows),
        "mcalc_check_passed": sum(1 for r in rows if r["mcalc_check"]),
        "sympy_usable": len(usable),
        "mcalc_not_longer_in_nodes": not_longer,
        "median_node_ratio_sympy_over_mcalc": median(ratios_nodes),
        "median_char_ratio_sympy_over_mcalc": median(ratios_chars),
        "max_node_ratio_sympy_over_mcalc": max(ratios_nodes) if ratios_nodes else None,
        "by_verdict": by_verdict,
    }
    detail = table(
        ["id", "d/d", "mcalc", "nodes", "chars", "SymPy (after clean-up)", "nodes", "chars", "SymPy verdict"],
        [
            [
                r["id"],
                r["wrt"],
                f"`{r['mcalc']}`",
                r["mcalc_nodes"],
                r["mcalc_chars"],
                f"`{_short(r.get('sympy_simplified') or r.get('sympy_text') or r.get('sympy_error') or '')}`",
                r.get("sympy_s_nodes", r.get("sympy_nodes")),
                r.get("sympy_s_chars", r.get("sympy_chars")),
                r["sympy_verdict"],
            ]
            for r in rows
        ],
    )
    lines = [
        f"{summary['expressions']} expressions; mcalc --check passed on {summary['mcalc_check_passed']}.",
        f"SymPy gives a numerically right result (in some layout) on {len(usable)}; mcalc's result has no "
        f"more nodes than SymPy's on {not_longer} of them; median size ratio SymPy/mcalc "
        f"{_fmt(summary['median_node_ratio_sympy_over_mcalc'])}× in nodes, "
        f"{_fmt(summary['median_char_ratio_sympy_over_mcalc'])}× in characters.",
        "",
        table(
            ["SymPy verdict", "count", "expressions"],
            [[k, len(v), ", ".join(v)] for k, v in sorted(by_verdict.items(), key=lambda kv: -len(kv[1]))],
        ),
    ]
    return Section("sizes", {"summary": summary, "rows": rows}, "\n".join(lines) + "\n\n" + detail)


def _short(text: str, width: int = 70) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2g}"


if __name__ == "__main__":
    print(run().text)
