"""The verdict on an index claim: its tensor against mcalc's derivative (`value`, the contract's layout-free
tensor) at random points of random sizes (claims.sampling, as for matrix claims).

Verdicts: `correct`; `layout` (a bare claim whose indices read the variable's first: the denominator
layout); `factor` (a constant multiple); `wrong`, with a diagnosis only when it is verified, that is when
the claim corrected as the diagnosis says equals the derivative at every point: the variable's indices
in the other order (the transposed tensor), a δ pairing the wrong indices, the expression's and the
variable's indices exchanged. Otherwise plain "wrong".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcalc.claims import index_tensor as T
from mcalc.claims.index_claim import Setup, read
from mcalc.claims.sampling import POINTS, Problem, close, ratio, sample
from mcalc.claims.verdict import Verdict
from mcalc.records import Record
from mcalc.syntax import index_reader as R

MAX_REPAIRS = 200  # corrected claims tried for a diagnosis (δ re-pairings)


@dataclass(eq=False, repr=False)
class _Judged(Record):
    s: Setup
    points: list[T.Point]
    truths: list[Any]
    vals: list[Any]
    base: Verdict
    layout: Any


def index_verdict(
    expr: str, wrt: list[str], claim: str, decl: Any, seed: int | None, layout: Any = None
) -> Verdict | None:
    """The verdict on an index-notation claim, or None when the claim is not in index notation."""
    from mcalc.render.report import dims_json
    from mcalc.shapes import shape_text

    s = read(expr, wrt, claim, decl)
    if s is None:
        return None
    points, truths, sizes = _points(s, seed)
    vals = [_claim_value(s, s.read.body, pt, t.shape) for pt, t in zip(points, truths, strict=True)]
    shape = s.env.shape(s.result.final.result)
    shown, dims = shape_text(shape), dims_json(s.env, shape)
    base = Verdict(
        "wrong", "", "numeric", _expected(s), claim=claim, points=len(points), sizes=sizes,
        shape=shown, claim_shape=shown, dims=dims, claim_dims=dims,
        details={"notation": "index", "free_indices": list(s.order), "expression_indices": list(s.order[: s.split])},
    )  # fmt: skip
    j = _Judged(s, points, truths, vals, base, layout)
    if _all_close(vals, truths):
        base.verdict = "correct"
        base.explanation = f"{claim} is {_about(s)} entry by entry (free indices {_axes(s, s.order)})"
        return base
    return _diagnose(j)


def _points(s: Setup, seed: int | None) -> tuple[list[T.Point], list[Any], dict[str, list[int]]]:
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.points import domain_of

    env, result = s.env, s.result
    pieces = list(dict.fromkeys(s.reading.trees.values()))
    truth = result.final.result
    p = Problem(s.expr, s.wrt[-1], env, None, s.tree, truth, None, result.final.kind, [], seed)
    p.domain = domain_of([s.tree, truth, *pieces], env)
    saved = dict(env.sizes)
    try:
        sample(p, [truth, *pieces], POINTS)
        points, truths = [], []
        for k, smp in enumerate(p.samples):
            env.sizes.clear()
            env.sizes.update({d: sizes[k] for d, sizes in p.sizes.items()})
            with np.errstate(all="ignore"):
                truths.append(np.asarray(pipeline.evaluate_value(result, smp["values"]), dtype=float))
            values = {}
            for key, tree in s.reading.trees.items():
                r, c = env.shape(tree)
                values[key] = np.asarray(smp[tree], dtype=float).reshape(env.size(r), env.size(c))
            index_sizes = {x: env.size(d) for x, d in s.sizes_of.items()}
            points.append(T.Point(s.reading, values, index_sizes))
    finally:
        env.sizes.clear()
        env.sizes.update(saved)
    return points, truths, p.sizes


def _claim_value(s: Setup, body: R.IndexNode, pt: T.Point, shape: tuple[int, ...]) -> Any:
    import numpy as np

    with np.errstate(all="ignore"):
        return np.asarray(T.tensor(body, pt, s.order), dtype=float).reshape(shape)


def _all_close(vals: list[Any], truths: list[Any]) -> bool:
    import numpy as np

    return all(np.all(np.isfinite(v)) and close(v, t) for v, t in zip(vals, truths, strict=True))


def _expected(s: Setup) -> str:
    from mcalc.errors import McalcError
    from mcalc.render.index import NoIndexForm
    from mcalc.render.index_higher import render_any_index
    from mcalc.render.printer import render_text

    try:
        line = render_any_index(s.result)
    except (McalcError, NoIndexForm):
        line = ""
    return line if line and "no index form" not in line else render_text(s.result.final.result)


def _about(s: Setup) -> str:
    from mcalc.claims.wording import d_text, of
    from mcalc.render.printer import render_text
    from mcalc.syntax import nodes as N
    from mcalc.syntax.build import flatten

    flat = flatten(s.tree)
    shown = render_text(flat)
    if isinstance(flat, N.Add) or (isinstance(flat, N.Mul) and " " in shown):
        shown = f"({shown})"
    return f"{d_text(s.wrt, s.env)} {of(shown)}"


def _axes(s: Setup, order: tuple[str, ...]) -> str:
    head, tail = ", ".join(order[: s.split]), ", ".join(order[s.split :])
    return f"{head} | {tail}" if head and tail else head or tail or "none"


def _diagnose(j: _Judged) -> Verdict:
    for step in (_factor, _exchanged, _swapped, _delta_pairs):
        found = step(j)
        if found is not None:
            return found
    about = f"{_about(j.s)} = {j.base.expected}"
    j.base.explanation = f"{j.s.claim} differs from {about} at random points; mcalc could not say where"
    return j.base


def _factor(j: _Judged) -> Verdict | None:
    from fractions import Fraction

    from mcalc.claims.terms import fraction_text

    c = ratio(j.vals, j.truths)
    if c is None:
        return None
    f = Fraction(c).limit_denominator(1000)
    if abs(float(f) - c) > 1e-9 * max(1.0, abs(c)):
        return None
    j.base.verdict = "factor"
    j.base.details["factor"] = fraction_text(f)
    if f == -1:
        j.base.explanation = f"the sign is wrong: {_about(j.s)} = {j.base.expected}, and {j.s.claim} is its negative"
    else:
        j.base.explanation = f"{j.s.claim} is {fraction_text(f)} × {_about(j.s)} = {j.base.expected}"
    return j.base


def _permuted(j: _Judged, axes: list[int]) -> bool:
    import numpy as np

    return _all_close([np.transpose(v, axes) for v in j.vals], j.truths)


def _value_axes(j: _Judged) -> list[int] | None:
    """The claim's axes as the value's (None when unit axes make them differ: a row, a scalar's entry)."""
    if any(v.ndim != len(j.s.order) for v in j.vals):
        return None
    return list(range(len(j.s.order)))


def _swapped(j: _Judged) -> Verdict | None:
    """The variable's two indices in the other order: the transposed tensor."""
    axes = _value_axes(j)
    last = _last_variable_axes(j)
    if axes is None or last is None:
        return None
    a, b = last
    axes[a], axes[b] = axes[b], axes[a]
    if not _permuted(j, axes):
        return None
    k, l_ = j.s.order[a], j.s.order[b]
    j.base.details["swapped"] = [k, l_]
    j.base.explanation = (
        f"right up to the order of {k} and {l_}: that is the transposed tensor; {_about(j.s)} = {j.base.expected}"
    )
    return j.base


def _last_variable_axes(j: _Judged) -> tuple[int, int] | None:
    from mcalc.claims.index_claim import axes_of_variable

    if len(axes_of_variable(j.s.env, j.s.wrt[-1])) != 2:
        return None
    n = len(j.s.order)
    return n - 2, n - 1


def _exchanged(j: _Judged) -> Verdict | None:
    """The variable's indices first and the expression's last: the other layout for a bare claim."""
    axes = _value_axes(j)
    n, split = len(j.s.order), j.s.split
    if axes is None or split == 0 or split == n:
        return None
    n_v = n - split
    if not _permuted(j, list(range(n_v, n)) + list(range(n_v))):
        return None
    var_first = _axes(j.s, j.s.order[n_v:] + j.s.order[:n_v])
    if j.s.bare and j.layout is None:
        j.base.verdict = "layout"
        j.base.explanation = (
            f"{j.s.claim} is {_about(j.s)} read with the variable's indices first (denominator layout: "
            f"{', '.join(j.s.order[:n_v])} are the variable's); mcalc orders them the expression's first, "
            f"{_axes(j.s, j.s.order)}: {j.base.expected}"
        )
    else:
        j.base.explanation = (
            f"right with the expression's and the variable's indices exchanged ({var_first}); "
            f"{_about(j.s)} = {j.base.expected}"
        )
    j.base.details["exchanged"] = True
    return j.base


def _delta_pairs(j: _Judged) -> Verdict | None:
    """A δ pairing the wrong indices: the claim with one δ re-paired equals the derivative."""
    deltas = [n for n in T.walk(j.s.read.body) if isinstance(n, R.Delta)]
    letters = sorted({x for n in T.walk(j.s.read.body) for x in _letters(n)} | set(j.s.order))
    tried = 0
    for d in deltas:
        for a in letters:
            for b in letters:
                if a >= b or {a, b} == {d.a, d.b} or tried >= MAX_REPAIRS:
                    continue
                tried += 1
                fixed = _replace(j.s.read.body, d, R.Delta(a, b, d.span))
                if _fixes(j, fixed):
                    j.base.details["delta"] = {"written": f"δ{d.a}{d.b}", "right": f"δ{a}{b}"}
                    j.base.explanation = (
                        f"δ_{d.a}{d.b} pairs the wrong indices: with δ_{a}{b} in its place the claim is right; "
                        f"{_about(j.s)} = {j.base.expected}"
                    )
                    return j.base
    return None


def _letters(n: R.IndexNode) -> tuple[str, ...]:
    if isinstance(n, R.Entry):
        return n.indices
    if isinstance(n, R.Delta):
        return (n.a, n.b)
    return ()


def _fixes(j: _Judged, body: R.IndexNode) -> bool:
    from mcalc.errors import McalcError

    ranges = T.Ranges(j.s.env, dict(j.s.reading.ranges.parent))
    rd = T.Reading(j.s.reading.stated, j.s.reading.trees, ranges)
    try:
        free = T.free_indices(body, rd)
    except McalcError:
        return False
    if not set(free) <= set(j.s.order) or (j.s.bare and tuple(sorted(free)) != j.s.order):
        return False
    vals = []
    for pt, t in zip(j.points, j.truths, strict=True):
        vals.append(_claim_value(j.s, body, T.Point(rd, pt.pieces, pt.sizes), t.shape))
    return _all_close(vals, j.truths)


def _replace(node: R.IndexNode, old: R.IndexNode, new: R.IndexNode) -> R.IndexNode:
    if node is old:
        return new
    rebuild = _REBUILD.get(type(node))
    return node if rebuild is None else rebuild(node, lambda k: _replace(k, old, new))


_REBUILD: dict[type, Callable[[Any, Callable[[Any], Any]], Any]] = {
    R.Product: lambda n, f: R.Product(tuple(f(x) for x in n.factors), n.span),
    R.Sum: lambda n, f: R.Sum(tuple(f(x) for x in n.terms), n.span),
    R.Power: lambda n, f: R.Power(f(n.base), n.exponent),
    R.Apply: lambda n, f: R.Apply(n.function, f(n.arg), n.span),
    R.SumOver: lambda n, f: R.SumOver(n.indices, f(n.body), n.span),
}
