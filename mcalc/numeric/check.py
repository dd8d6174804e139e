"""The numeric oracle: central finite differences along random directions.

It never looks at how a derivative was obtained (it imports nothing from `calculus`): it receives a
function f(values) → array and the claimed derivative d(values) → array of shape f.shape + X.shape,
and compares ⟨d, V⟩ with (f(X + hV) − f(X − hV)) / 2h for random V. Two evaluations of f per
direction, whatever the size of X, so checking a 500×500 X costs a few evaluations, not 250 000.

Each point draws fresh sizes for the free dimensions (distinct within a point, so a transposed
answer cannot pass by accident) and values that respect each function's domain:
- square matrices are I + 0.3 R/√n: invertible, positive determinant, well conditioned (cond ≲ 2),
  and not symmetric, so a transposed answer cannot pass;
- declared-symmetric matrices, and matrices inside a logdet of a compound argument
  (logdet(X + Xᵀ), logdet(A X B)), are symmetric positive definite;
- entries under log, sqrt, a fractional power or a negative elementwise power are positive;
- scalars are in [0.5, 1.5].
A point where some matrix that is inverted or passed to det/logdet is ill conditioned (a rank-
deficient XᵀX, say) or where anything is not finite is rejected and redrawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from mcalc import budget
from mcalc.errors import MathError
from mcalc.numeric.evaluate import FUNCTION_ORDERS
from mcalc.numeric.given import bind_values, explain_nonfinite, guard_values
from mcalc.numeric.points import (
    ILL_CONDITIONED,
    Array,
    Domain,
    beyond_float_range,
    domain_of,
    free_value_pairing,
    generator,
    layout_free,
    random_direction,
    random_point,
    random_sizes,
    refresh_functions,
    structure_error,
    worst_guard,
)
from mcalc.records import Record, record
from mcalc.shapes import Kind, ShapeEnv

RELATIVE_TOLERANCE = 1e-6
# Below this many units of the rounding noise of a central difference (eps·|f|/h) a directional
# derivative is compared in absolute terms: an exact zero derivative must not fail on noise.
NOISE_UNITS = 100.0
EPS = 2.220446049250313e-16
VANISHING = 1e-8  # a function value this small at a unit-scale point is its terms cancelling
# A point resolves the derivative when the error rounding alone lets through (NOISE_UNITS · noise) is at most
# this fraction of the derivative: below that, a wrong answer (½ or 2 times, the sign flipped, 0) would pass
# as well as the right one, and the check says it cannot tell (README § Homework checks)
RESOLVED = 0.1
UNRESOLVED = "unresolved"  # JSON `inconclusive_reason`: the derivative is below what differences resolve
ILL = "ill-conditioned"  # JSON `inconclusive_reason`: only ill-conditioned points, bound not met


@record
class CheckResult(Record):
    passed: bool
    max_rel_error: float
    points: int
    directions: int
    sizes: dict[str, list[int]]  # each free dimension → its size at each point, in order
    method: str = "central differences along random directions"
    notes: list[str] = field(default_factory=list)
    seed: int | None = None
    tolerance: float = RELATIVE_TOLERANCE
    # differences can neither confirm nor refute the derivative: only ill-conditioned points, or a derivative
    # below the rounding noise of the differences at every point (`inconclusive_reason` says which)
    inconclusive: bool = False
    inconclusive_reason: str | None = None  # ILL or UNRESOLVED
    unresolved_points: int = 0  # points where a non-zero derivative was below what the differences resolve
    zero_points: int = 0  # points where the derivative was exactly 0: agreement in absolute terms only

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "inconclusive": self.inconclusive,
            "inconclusive_reason": self.inconclusive_reason,
            "unresolved_points": self.unresolved_points,
            "zero_points": self.zero_points,
            "max_rel_error": self.max_rel_error,
            "points": self.points,
            "directions": self.directions,
            "sizes": self.sizes,
            "method": self.method,
            "notes": self.notes,
            "seed": self.seed,
            "tolerance": self.tolerance,
        }


@record
class _Probe(Record):
    """What every point of one check reads: the functions compared, the variable, the random stream."""

    env: ShapeEnv
    var: str
    f_value: Callable[[Mapping[str, Array]], Array]
    d_value: Callable[[Mapping[str, Array]], Array]
    rng: Any
    directions: int
    fixed_sizes: Mapping[str, int] | None

    def size(self, point_sizes: Mapping[str, int]) -> None:
        self.env.sizes.clear()
        if self.fixed_sizes:
            self.env.sizes.update(self.fixed_sizes)
        self.env.sizes.update(point_sizes)

    def error(self, values: dict[str, Array], cond: float) -> _Seen | None:
        return _point_error(self.env, self.var, values, self.f_value, self.d_value, self.rng, self.directions, cond)


@record
class _Seen(Record):
    """One point's comparison: its worst relative error, and whether the differences resolved the derivative."""

    error: float
    resolved: bool  # every direction's derivative at least `smallest`
    size: float  # ‖D‖, the derivative's own size there
    f_size: float  # the size of f there (its rounding sets the differences' noise)
    smallest: float  # the smallest derivative the differences resolve there


@record
class _Tally(Record):
    """The points checked so far, those redrawn (by culprit), and the ill-conditioned ones kept in reserve."""

    worst: float = 0.0
    done: int = 0
    attempts: int = 0
    sizes: dict[str, list[int]] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    reserve: list[tuple[dict[str, int], dict[str, Array], float, str]] = field(default_factory=list)
    used_reserve: tuple[float, str] | None = None  # the worst condition among reserve points used, and where
    notes: list[str] = field(default_factory=list)
    unresolved: list[_Seen] = field(default_factory=list)  # a non-zero derivative the differences could not tell
    zeros: list[_Seen] = field(default_factory=list)  # an identically 0 derivative: in absolute terms only
    zero: bool = False  # the derivative's formula is the zero array

    def count(self, seen: _Seen, point_sizes: Mapping[str, int]) -> None:
        self.worst = max(self.worst, seen.error)
        self.done += 1
        if self.zero and seen.size == 0.0:
            self.zeros.append(seen)
        elif not seen.resolved:
            self.unresolved.append(seen)
        for d, s in point_sizes.items():
            self.sizes.setdefault(d, []).append(s)

    def reject(self, label: str) -> None:
        self.rejected[label] = self.rejected.get(label, 0) + 1


def check_derivative(
    env: ShapeEnv,
    variables: list[str],
    f_value: Callable[[Mapping[str, Array]], Array],
    d_value: Callable[[Mapping[str, Array]], Array],
    domain: Domain,
    seed: int | None = None,
    points: int = 3,
    directions: int = 2,
    fixed_sizes: Mapping[str, int] | None = None,
    zero: bool = False,
) -> CheckResult:
    """Compare d_value (derivative w.r.t. the last of `variables`) with finite differences of f_value.

    `zero`: the derivative is identically 0 (its formula is the zero array), so where its value is 0 the
    differences can only bound it, in absolute terms, and the check passes saying so. A value of 0 from any
    other formula is a derivative that underflowed or cancelled: too small to resolve, like a tiny one.

    Each accepted point costs 1 evaluation of d_value, 1 + 2·directions evaluations of f_value and
    one LU factorisation per guarded matrix: nothing grows with the number of entries of X beyond
    what one evaluation costs. `env.sizes` is left as the last point set it.
    """
    import numpy as np

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0]) % 2**31  # reported: a failure can be replayed
    probe = _Probe(env, variables[-1], f_value, d_value, generator(seed), directions, fixed_sizes)
    tally = _Tally(zero=zero)
    _draw_points(probe, domain, points, tally)
    if tally.done == 0:
        _use_reserve(probe, points, tally)
    if tally.done == 0:
        why = ", ".join(sorted(tally.rejected)) or "the expression"
        raise MathError(
            f"no point where the expression is defined and well conditioned was found for the numeric "
            f"check ({tally.attempts} tried; trouble with {why})"
        )
    return _verdict(tally, directions, seed)


def _draw_points(probe: _Probe, domain: Domain, points: int, tally: _Tally) -> None:
    """Random points until `points` are checked (20 tries each at most); ill-conditioned ones go to reserve."""
    env = probe.env
    while tally.done < points and tally.attempts < points * 20:
        budget.checkpoint("checking numerically")
        tally.attempts += 1
        env.sizes.clear()
        if probe.fixed_sizes:
            env.sizes.update(probe.fixed_sizes)
        point_sizes = random_sizes(env, probe.rng)
        env.sizes.update(point_sizes)
        values = random_point(env, domain, probe.rng)
        cond, where = worst_guard(env, domain, values)
        if cond > ILL_CONDITIONED:
            label = env.text_of(where) if where is not None else "a matrix"
            tally.reject(label)
            if math.isfinite(cond):
                tally.reserve.append((point_sizes, values, cond, label))
            continue
        seen = probe.error(values, cond)
        if seen is None:
            tally.reject("the expression (not finite)")
            continue
        tally.count(seen, point_sizes)


def _use_reserve(probe: _Probe, points: int, tally: _Tally) -> None:
    """No well-conditioned point: check the best-conditioned reserve points, with a looser tolerance."""
    for point_sizes, values, cond, label in sorted(tally.reserve, key=lambda f: f[2])[:points]:
        budget.checkpoint("checking numerically")
        probe.size(point_sizes)
        seen = probe.error(values, cond)
        if seen is None:
            continue
        tally.count(seen, point_sizes)
        if tally.used_reserve is None or cond > tally.used_reserve[0]:
            tally.used_reserve = (cond, label)
    if tally.used_reserve is not None:
        worst_cond = tally.used_reserve[0]
        tally.notes.append(f"only ill-conditioned points were found (cond up to {worst_cond:.1e}); looser tolerance")


def _verdict(tally: _Tally, directions: int, seed: int) -> CheckResult:
    notes = tally.notes
    if tally.rejected:
        total = sum(tally.rejected.values())
        notes.append(
            f"{total} random point(s) redrawn: {', '.join(sorted(tally.rejected))} ill-conditioned or undefined"
        )
    tolerance = RELATIVE_TOLERANCE * (1000 if any("ill-conditioned points" in n for n in notes) else 1)
    passed = tally.worst <= tolerance
    reason = None
    if not passed and tally.used_reserve is not None:
        cond, label = tally.used_reserve
        # a central difference at condition κ is only good to about κ²·10⁻¹⁰ relative here
        if tally.worst <= min(2.0, cond * cond * 1e-10):
            reason = ILL
            notes.append(
                f"{label} is ill-conditioned, cond {cond:.0e}; error bound not met: "
                "differences can neither confirm nor refute the derivative here"
            )
    if passed and tally.zeros:
        notes.append(_zero_note(tally))
    if passed and tally.unresolved:
        # agreement within the rounding noise of a derivative smaller than that noise confirms nothing: a
        # wrong answer of the same tiny size would agree as well (a wrong one found anywhere has failed above)
        notes.append(_unresolved_note(tally))
        if len(tally.unresolved) + len(tally.zeros) == tally.done:
            passed, reason = False, UNRESOLVED
    return CheckResult(
        passed,
        tally.worst,
        tally.done,
        directions,
        tally.sizes,
        notes=notes,
        seed=seed,
        tolerance=tolerance,
        inconclusive=reason is not None,
        inconclusive_reason=reason,
        unresolved_points=len(tally.unresolved),
        zero_points=len(tally.zeros),
    )


def _unresolved_note(tally: _Tally) -> str:
    """Why the differences could not tell at some points: the derivative's size against the smallest they
    resolve, at the point where the derivative was largest."""
    seen = max(tally.unresolved, key=lambda s: (s.size, -s.smallest))
    size = f"~{seen.size:.0e}" if seen.size else "0 in floating point"
    told = (
        f"the derivative ({size}) is below what finite differences can resolve at f ≈ {seen.f_size:.2g} "
        f"(they resolve about {seen.smallest:.0e} and up)"
    )
    judged = tally.done - len(tally.unresolved) - len(tally.zeros)
    if judged == 0:
        return told + ": a wrong answer as small would agree as well"
    return f"at {len(tally.unresolved)} of {tally.done} points {told}; judged at the other {judged}"


def _zero_note(tally: _Tally) -> str:
    """A derivative exactly 0 has no size to be relative to: what the differences showed, in absolute terms."""
    bound = max(s.smallest for s in tally.zeros)
    where = "" if len(tally.zeros) == tally.done else f" at {len(tally.zeros)} of {tally.done} points"
    return (
        f"the derivative is 0{where}: checked in absolute terms, the differences are 0 to within rounding "
        f"(they cannot tell 0 from a derivative below about {bound:.0e})"
    )


def _point_error(
    env: ShapeEnv,
    var: str,
    values: dict[str, Array],
    f_value: Callable[[Mapping[str, Array]], Array],
    d_value: Callable[[Mapping[str, Array]], Array],
    rng: Any,
    directions: int,
    cond: float = 1.0,
) -> _Seen | None:
    """The worst relative error over `directions` random directions at one point, and whether the differences
    resolved the derivative there; None if undefined.

    Per direction: one central difference (two evaluations of f). Only when it misses the tolerance,
    a second one with h/4 and their Richardson extrapolation (error O(h⁴)) are tried, and the best
    of the three counts: a right derivative then passes at a badly scaled point, while a wrong one
    is off by O(1) at every step size.
    """
    import numpy as np

    try:
        with np.errstate(all="ignore"):
            deriv = np.asarray(d_value(values))
    except MathError:
        return None
    if not np.all(np.isfinite(deriv)) or beyond_float_range(deriv):
        return None
    # ‖D‖_F is the typical size of ⟨D, V⟩ for a Gaussian V: an unlucky direction along which the
    # derivative nearly vanishes must not inflate the relative error
    typical = float(np.linalg.norm(deriv)) / (2.0 if var in env.symmetric else 1.0)
    scale = max(1.0, float(np.abs(values[var]).max()))
    # a smaller step where a guarded matrix is less well conditioned (truncation error ~ (h·cond)²)
    h = 1e-5 * scale / math.sqrt(max(1.0, cond / 30))
    worst, resolved, f_size, smallest = 0.0, True, 0.0, 0.0
    for _ in range(directions):
        budget.checkpoint("checking numerically")  # each direction evaluates the expression 2 to 4 times
        v = random_direction(env, var, rng)
        vv = _as_var_array(env, var, free_value_pairing(env, var, v))
        analytic = np.tensordot(deriv, vv, axes=vv.ndim) if vv.ndim else deriv * vv
        first = _central_difference(env, var, values, f_value, v, h)
        if first is None:
            return None
        f_size = first[1]
        best = _relative(first[0].reshape(np.shape(analytic)), analytic, f_size, h, typical)
        if best.error > RELATIVE_TOLERANCE:
            second = _central_difference(env, var, values, f_value, v, h / 4)
            if second is not None:
                best = _refined(first[0], second[0], analytic, f_size, h, typical, best)
        worst = max(worst, best.error)
        resolved = resolved and best.along >= best.smallest
        smallest = max(smallest, best.smallest)
    # the size below which the differences compare in absolute terms (_relative's floor, not a fixed 1e-8, which
    # let a derivative under it break symmetry or structure unseen): so is the derivative's own form judged
    worst = max(worst, _form_error(env, var, deriv, smallest * RESOLVED / RELATIVE_TOLERANCE))
    return _Seen(worst, resolved, float(np.linalg.norm(deriv)), f_size, smallest)


def _form_error(env: ShapeEnv, var: str, deriv: Array, floor: float) -> float:
    """How far the derivative is from the form its variable requires, relative to it (or to `floor`)."""
    import numpy as np

    worst = 0.0
    if var in env.symmetric and env.kinds[var] is Kind.MATRIX:
        # the documented convention: on symmetric matrices the value is sym(G), itself symmetric
        k = deriv.ndim
        asym = float(np.linalg.norm(deriv - np.swapaxes(deriv, k - 2, k - 1)))
        worst = asym / max(float(np.linalg.norm(deriv)), floor) if asym else 0.0
    return max(worst, structure_error(env, var, deriv, floor))  # --diagonal, --toeplitz: the structure kept


def _refined(
    fd: Array, fd4: Array, analytic: Array, f_size: float, h: float, typical: float, first: _Compared
) -> _Compared:
    """The best of the first difference, the one with h/4 and their Richardson extrapolation."""
    import numpy as np

    fd, fd4 = fd.reshape(np.shape(analytic)), fd4.reshape(np.shape(analytic))
    richardson = (16 * fd4 - fd) / 15
    return min(
        first,
        _relative(fd4, analytic, f_size, h / 4, typical),
        _relative(richardson, analytic, f_size, h / 4, typical),
        key=lambda c: c.error,
    )


def _central_difference(
    env: ShapeEnv,
    var: str,
    values: dict[str, Array],
    f_value: Callable[[Mapping[str, Array]], Array],
    v: Array,
    h: float,
) -> tuple[Array, float] | None:
    """((f(X + hV) − f(X − hV)) / 2h, the size of f), or None where f is undefined."""
    import numpy as np

    plus, minus = dict(values), dict(values)
    plus[var] = values[var] + h * v
    minus[var] = values[var] - h * v
    refresh_functions(env, plus)
    refresh_functions(env, minus)
    try:
        with np.errstate(all="ignore"):
            f_plus, f_minus = np.asarray(f_value(plus)), np.asarray(f_value(minus))
    except MathError:
        return None
    if not (np.all(np.isfinite(f_plus)) and np.all(np.isfinite(f_minus))):
        return None
    if beyond_float_range(f_plus) or beyond_float_range(f_minus):
        return None
    size = max(float(np.linalg.norm(f_plus)), float(np.linalg.norm(f_minus)))
    return (f_plus - f_minus) / (2 * h), size


@record
class _Compared(Record):
    """One difference against ⟨D, V⟩: the relative error (floored at the rounding noise), the size of the two
    along V, and the smallest size at which that noise lets no error over RESOLVED of it through."""

    error: float
    along: float  # max(‖fd‖, ‖⟨D, V⟩‖): not ‖D‖, which an unlucky V can hold far above what V measures
    smallest: float


def _relative(fd: Array, analytic: Array, f_size: float, h: float, typical: float) -> _Compared:
    import numpy as np

    err = float(np.linalg.norm(fd - analytic))
    # the rounding error of a central difference; where f itself vanishes (the third derivative of det by a
    # 2×2 X, whose O(1) terms cancel to ~1e-16) the rounding is that of its terms, taken of unit size
    noise = EPS * (f_size if f_size > VANISHING else 1.0) / h
    floor = max(NOISE_UNITS * noise / RELATIVE_TOLERANCE, 1e-8)
    along = max(float(np.linalg.norm(fd)), float(np.linalg.norm(analytic)))
    # below the floor the comparison is absolute, at RELATIVE_TOLERANCE · floor: it tells right from wrong
    # only for a derivative well above that
    return _Compared(err / max(along, typical, floor), along, RELATIVE_TOLERANCE * floor / RESOLVED)


def _as_var_array(env: ShapeEnv, var: str, v: Array) -> Array:
    kind = env.kinds[var]
    if kind is Kind.SCALAR:
        return v.reshape(())
    if kind is Kind.VECTOR:
        return v.reshape(-1)
    return v


# The oracle's helpers live in numeric/points.py (random points) and numeric/given.py (values given with
# --at); their names stay importable from here, where the oracle's callers have always found them.
__all__ = [
    "FUNCTION_ORDERS",
    "ILL_CONDITIONED",
    "CheckResult",
    "Domain",
    "bind_values",
    "check_derivative",
    "domain_of",
    "explain_nonfinite",
    "guard_values",
    "layout_free",
    "random_direction",
    "random_point",
    "random_sizes",
    "refresh_functions",
    "worst_guard",
]
