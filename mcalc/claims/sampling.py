"""The numeric side of a claim's comparison: random points of random distinct sizes inside every
function's domain, values compared with a relative tolerance, and least squares over the derivative's
terms (which combination of them is the claim?)."""

from __future__ import annotations

from dataclasses import field
from fractions import Fraction
from typing import Any

from mcalc.errors import MathError
from mcalc.records import Record, record

POINTS = 3
TOLERANCE = 1e-7
# float64 rounding of a value computed from parts of size `unit` (a sum whose terms cancel leaves ~1e-16 of
# them): below this many units two values are equal however their sizes compare
ROUNDING = 1e-12


@record
class Problem(Record):
    """Everything the diagnosis needs, shared by the steps below."""

    expr: str
    var: str
    env: Any
    simp: Any
    tree: Any
    truth: Any
    claim: Any
    kind: Any
    truth_terms: list[tuple[Fraction, Any]]
    seed: int | None
    domain: Any = None
    dvar: str = ""
    claim_text: str = ""
    samples: list[dict[Any, Any]] = field(default_factory=list)
    sizes: dict[str, list[int]] = field(default_factory=dict)


def sample(p: Problem, nodes: list[Any], count: int) -> None:
    """`count` random points (fresh distinct sizes each) where every node evaluates to finite values."""
    import numpy as np

    from mcalc.numeric import budget
    from mcalc.numeric.evaluate import Evaluator
    from mcalc.numeric.points import (
        ILL_CONDITIONED,
        beyond_float_range,
        generator,
        largest_draw,
        random_point,
        random_sizes,
        worst_guard,
    )

    env = p.env
    # sized before drawing, as for --check: `check "x^T A x" --claim "2 A x" --shape A=100000x100000`
    # tried to allocate 74.5 GiB (an internal MemoryError)
    budget.check_trees(env, nodes, free=largest_draw(env))
    rng = generator(p.seed)
    p.samples, p.sizes = [], {}
    for _ in range(count * 15):
        if len(p.samples) == count:
            break
        env.sizes.clear()
        sizes = random_sizes(env, rng)
        env.sizes.update(sizes)
        values = random_point(env, p.domain, rng)
        if worst_guard(env, p.domain, values)[0] > ILL_CONDITIONED:
            continue
        ev = Evaluator(env, values)
        try:
            with np.errstate(all="ignore"):
                got: dict[Any, Any] = {n: np.asarray(ev(n), dtype=float) for n in nodes}
        except MathError:
            continue
        if all(np.all(np.isfinite(v)) and not beyond_float_range(v) for v in got.values()):
            got["unit"] = max((float(np.linalg.norm(v)) for v in got.values()), default=0.0)
            got["values"] = values
            got["sizes"] = dict(sizes)  # value_at evaluates at this point later: with its own sizes
            p.samples.append(got)
            for d, s in sizes.items():
                p.sizes.setdefault(d, []).append(s)
    if not p.samples:
        raise MathError(
            "no random point where both the expression and the claim are defined (finite, within ±1e150) was found"
        )


# below this fraction of its own terms a derivative's float64 value is their rounding (eps / TOLERANCE): values
# cannot hold it to TOLERANCE; below TINY it has underflowed (or nearly: subnormal numbers keep few digits)
CANCELLED = 1e-9
TINY = 1e-290


def keep_resolved(p: Problem, terms: list[Any]) -> int:
    """Keep only the samples where the derivative's value means something, and return how many were dropped: not
    where it underflows (exp(−800) xᵀx by x is 0 in float64, as is any claim of it, right or wrong) or is the
    rounding of terms that cancel (lse of 60 nested softmaxes: ±1e-45 of noise for a gradient of 1e-58). There
    a right claim and a wrong one compare alike; a derivative that is 0 as a formula is judged as it is."""
    import numpy as np

    from mcalc.syntax import nodes as N

    if isinstance(p.truth, N.Zero):
        return 0
    kept = []
    for smp in p.samples:
        size = float(np.linalg.norm(smp[p.truth]))
        parts = max((float(np.linalg.norm(smp[t])) for t in terms if t in smp), default=0.0)
        if size > TINY and size >= CANCELLED * parts:
            kept.append(smp)
    dropped = len(p.samples) - len(kept)
    if kept and dropped:
        p.samples = kept
        p.sizes = {}
        for smp in kept:
            for d, size_of in smp["sizes"].items():
                p.sizes.setdefault(d, []).append(size_of)
    return dropped if kept else -1


def value_at(p: Problem, node: Any, sample: dict[Any, Any]) -> Any:
    import numpy as np

    from mcalc.numeric.evaluate import Evaluator

    hit = sample.get(node)
    if hit is not None:
        return hit
    # the sizes are this point's, not the last point drawn's (each point draws its own: a K or I of another
    # point's size made numpy's matmul fail, an internal error)
    p.env.sizes.clear()
    p.env.sizes.update(sample["sizes"])
    try:
        with np.errstate(all="ignore"):
            v = np.asarray(Evaluator(p.env, sample["values"])(node), dtype=float)
    except MathError:
        return None
    sample[node] = v
    return v


def close(a: Any, b: Any, unit: float = 0.0) -> bool:
    """Equal to within TOLERANCE of the larger, or within the rounding of `unit`: the size of the values sampled
    at that point (`sample["unit"]`), so that what cancels to ~1e-16 of them is 0. No floor of a fixed size: at
    1e-12 any two derivatives under it were equal (2·10⁻³⁰x and 10⁻³⁰x for 10⁻³⁰ xᵀx: "correct")."""
    import numpy as np

    if a.shape != b.shape:
        return False
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)))
    return float(np.linalg.norm(a - b)) <= TOLERANCE * scale + ROUNDING * unit


def ratio(vals: list[Any], truths: list[Any]) -> float | None:
    """c with vals = c·truths at every point (c ≠ 1, 0), or None."""
    import numpy as np

    num = sum(float(np.vdot(t, v)) for v, t in zip(vals, truths, strict=True) if v.shape == t.shape)
    den = sum(float(np.vdot(t, t)) for t in truths)
    if den == 0.0 or any(v.shape != t.shape for v, t in zip(vals, truths, strict=True)):
        return None
    c = num / den
    if abs(c) < 1e-9 or abs(c - 1) < 1e-9:
        return None
    if all(close(v, c * t) for v, t in zip(vals, truths, strict=True)):
        return c
    return None


def solve(columns: list[list[Any]], target: list[Any]) -> tuple[list[float], float]:
    """Least squares target ≈ Σ αᵢ columnsᵢ over all points (each point weighted by its size);
    returns α and the relative residual."""
    alpha, residual, _ = fit(columns, target)
    return alpha, residual


def fit(columns: list[list[Any]], target: list[Any]) -> tuple[list[float], float, bool]:
    """`solve`, and whether there are enough sampled values to determine α (at least one equation per term,
    the terms being independent): a 3,000-term sum sampled at a few hundred numbers has many exact fits, and
    the one lstsq gives is none of them in particular."""
    import numpy as np

    if not columns:
        norm = sum(float(np.linalg.norm(t)) for t in target)
        return [], 0.0 if norm < 1e-12 else 1.0, True
    rows_a, rows_b = [], []
    for k, tgt in enumerate(target):
        # each point weighted by its own size, whatever it is (a floor of 1e-12 flattened a derivative of 1e-30)
        w = max(float(np.linalg.norm(tgt)), max(float(np.linalg.norm(col[k])) for col in columns)) or 1.0
        # a scalar term of a vector derivative (a broadcast 1) counts once per entry
        try:
            shape = np.broadcast_shapes(np.shape(tgt), *(np.shape(col[k]) for col in columns))
        except ValueError:
            return [], 1.0, True  # shapes that cannot be compared: no combination of the terms fits
        rows_a.append(np.stack([np.broadcast_to(col[k], shape).ravel() / w for col in columns], axis=1))
        rows_b.append(np.broadcast_to(tgt, shape).ravel() / w)
    a = np.concatenate(rows_a)
    b = np.concatenate(rows_b)
    alpha, *_ = np.linalg.lstsq(a, b, rcond=None)
    snapped = np.array([float(Fraction(x).limit_denominator(1000)) for x in alpha])
    best = alpha
    res_s = float(np.linalg.norm(a @ snapped - b))
    res_a = float(np.linalg.norm(a @ alpha - b))
    scale = float(np.linalg.norm(b)) or 1.0
    if res_s <= TOLERANCE * scale:
        best, res_a = snapped, res_s
    return [float(x) for x in best], res_a / scale, a.shape[0] >= a.shape[1]
