"""`mcalc check`: is a hand-derived derivative right, and if not, what is wrong with it?

The claim is parsed with the same syntax and declarations and compared with mcalc's derivative:
symbolically when both simplify to the same tree, numerically at random points otherwise (the
verdict says which). Diagnoses, tried in order: correct; correct up to layout (the claim is the
transpose); wrong by a constant factor; a missing or an extra term; wrong shape; wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from mcalc.errors import EXIT_FAILED, EXIT_OK, InputError, McalcError
from mcalc.render import console

POINTS = 3
TOLERANCE = 1e-7


@dataclass
class Verdict:
    verdict: str  # correct | layout | factor | missing-term | extra-term | wrong-shape | wrong
    explanation: str
    method: str  # symbolic | numeric
    expected: str

    @property
    def ok(self) -> bool:
        return self.verdict in ("correct", "layout")

    def to_json(self, expr: str, var: str, claim: str) -> dict[str, Any]:
        return {
            "expression": expr,
            "wrt": var,
            "claim": claim,
            "verdict": self.verdict,
            "correct": self.ok,
            "explanation": self.explanation,
            "method": self.method,
            "expected": self.expected,
        }


def diagnose(expr: str, wrt: list[str], claim: str, decl: Any, seed: int | None) -> Verdict:
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.check import domain_of, random_point, random_sizes
    from mcalc.numeric.evaluate import evaluate
    from mcalc.render.printer import render_text
    from mcalc.shapes import shape_text
    from mcalc.simplify import Simplifier
    from mcalc.syntax import nodes as N

    tree, env, (claim_tree,) = pipeline.prepare(expr, decl, extra=(claim,))
    result = pipeline.differentiate_tree(expr, tree, env, wrt)
    truth = result.final.result
    simp = Simplifier(env)
    claim_s = simp(claim_tree)
    expected = render_text(truth)
    t_shape, c_shape = env.shape(truth), env.shape(claim_s)
    var = wrt[-1]
    transpose_name = (
        "numerator layout (∂f/∂Xᵀ)" if result.final.kind is pipeline.DerivKind.GRADIENT
        else "denominator layout"
    )
    if claim_s == truth:
        return Verdict("correct", f"{render_text(claim_s)} is ∂/∂{var}, equal as expressions", "symbolic", expected)
    rng = np.random.default_rng(seed)
    domain = domain_of([tree, truth], env)
    samples = []
    for _ in range(POINTS * 5):
        if len(samples) == POINTS:
            break
        env.sizes.clear()
        env.sizes.update(random_sizes(env, rng))
        values = random_point(env, domain, rng)
        try:
            with np.errstate(all="ignore"):
                t = evaluate(truth, env, values)
                c = evaluate(claim_s, env, values)
        except McalcError:
            continue
        if np.all(np.isfinite(t)) and np.all(np.isfinite(c)):
            samples.append((t, c, values))
    if not samples:
        raise InputError("no point where both the expression and the claim are defined was found")

    def close(a: Any, b: Any) -> bool:
        return bool(a.shape == b.shape and np.allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * max(1.0, np.abs(b).max())))

    same_shape = t_shape == c_shape
    if same_shape and all(close(c, t) for t, c, _ in samples):
        return Verdict("correct", f"{render_text(claim_s)} equals ∂/∂{var} at {len(samples)} random points", "numeric", expected)
    if all(close(c, t.T) for t, c, _ in samples):
        return Verdict(
            "layout",
            f"your answer is the transpose of mcalc's gradient {expected} ({shape_text(t_shape)}): "
            f"right in {transpose_name}, where mcalc's default shapes a gradient like {var}",
            "numeric",
            expected,
        )
    if same_shape:
        ratios = [_ratio(c, t) for t, c, _ in samples]
        if all(r is not None for r in ratios) and all(abs(r - ratios[0]) < 1e-6 * max(1, abs(ratios[0])) for r in ratios):  # type: ignore[operator]
            f = Fraction(ratios[0]).limit_denominator(1000)  # type: ignore[arg-type]
            shown = render_text(N.Number(f))
            return Verdict(
                "factor",
                f"off by a constant factor: your answer is {shown} × the derivative {expected}"
                + (" (a missing 2, as from a symmetric quadratic form?)" if f == Fraction(1, 2) else ""),
                "numeric",
                expected,
            )
        terms = truth.terms if isinstance(truth, N.Add) else ()
        for term in terms:
            term_vals = [evaluate(term, env, v) for _, _, v in samples]
            if all(close(c, t - tv) for (t, c, _), tv in zip(samples, term_vals, strict=True)):
                return Verdict("missing-term", f"missing the term {render_text(term)}; the derivative is {expected}", "numeric", expected)
        diff = simp(N.Add((claim_s, N.Mul((N.Number(Fraction(-1)), truth)))))
        if not isinstance(diff, N.Add) and not isinstance(diff, (N.Zero, N.Number)):
            return Verdict("extra-term", f"an extra term {render_text(diff)}; the derivative is {expected}", "numeric", expected)
        return Verdict("wrong", f"not equal to the derivative {expected} at random points", "numeric", expected)
    return Verdict(
        "wrong-shape",
        f"your answer is {shape_text(c_shape)} but ∂/∂{var} is {shape_text(t_shape)}: {expected}",
        "symbolic",
        expected,
    )


def _ratio(c: Any, t: Any) -> float | None:
    import numpy as np

    t_flat, c_flat = t.ravel(), c.ravel()
    k = int(np.argmax(np.abs(t_flat)))
    if abs(t_flat[k]) < 1e-12:
        return None
    r = c_flat[k] / t_flat[k]
    if not np.allclose(c_flat, r * t_flat, rtol=1e-7, atol=1e-9):
        return None
    return float(r)


def check_one(expr: str, wrt: list[str], claim: str, decl: Any, fmt: str | None, seed: int | None) -> int:
    v = diagnose(expr, wrt, claim, decl, seed)
    if fmt == "json":
        print(json.dumps(v.to_json(expr, wrt[-1], claim), ensure_ascii=False))
    else:
        label = {"correct": "correct", "layout": "correct up to layout"}.get(v.verdict, f"wrong ({v.verdict})")
        print(f"{label}: {v.explanation} [{v.method}]")
    return EXIT_OK if v.ok else EXIT_FAILED


def check_file(path: str, decl: Any, fmt: str | None, seed: int | None) -> int:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    rows: list[list[str]] = []
    worst = EXIT_OK
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) != 3:
            err = {"line": number, "error": "expected EXPR ; VAR ; CLAIM", "position": None}
            worst = max(worst, 2)
            if fmt == "json":
                print(json.dumps(err))
            else:
                rows.append([str(number), line, "", "", "error: expected EXPR ; VAR ; CLAIM"])
            continue
        expr, var, claim = parts
        try:
            v = diagnose(expr, [var], claim, decl, seed)
        except McalcError as exc:
            worst = max(worst, exc.exit_code)
            if fmt == "json":
                print(json.dumps({"line": number, "error": exc.one_line(), "position": exc.position}, ensure_ascii=False))
            else:
                rows.append([str(number), expr, var, claim, f"error: {exc.one_line()}"])
            continue
        if not v.ok:
            worst = max(worst, EXIT_FAILED)
        if fmt == "json":
            obj = v.to_json(expr, var, claim)
            obj["line"] = number
            print(json.dumps(obj, ensure_ascii=False))
        else:
            rows.append([str(number), expr, var, claim, f"{v.verdict}: {v.explanation}"])
    if fmt != "json":
        console.show_table("homework", ["line", "expression", "wrt", "claim", "verdict"], rows, fmt)
    return worst
