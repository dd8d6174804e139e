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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcalc.errors import InputError, MathError
from mcalc.numeric.evaluate import SINGULAR, condition
from mcalc.shapes import Kind, ShapeEnv, bind_sizes, unbound_dims
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

Array = Any
SIZE_POOL = (2, 3, 4, 5, 6, 7)
RELATIVE_TOLERANCE = 1e-6
ILL_CONDITIONED = 1e3  # points worse than this are redrawn: the O(h²) error grows like cond²
# Below this many units of the rounding noise of a central difference (eps·|f|/h) a directional
# derivative is compared in absolute terms: an exact zero derivative must not fail on noise.
NOISE_UNITS = 100.0
EPS = 2.220446049250313e-16


@dataclass
class CheckResult:
    passed: bool
    max_rel_error: float
    points: int
    directions: int
    sizes: dict[str, list[int]]  # each free dimension → its size at each point, in order
    method: str = "central differences along random directions"
    notes: list[str] = field(default_factory=list)
    seed: int | None = None
    tolerance: float = RELATIVE_TOLERANCE
    # only ill-conditioned points, where differences can neither confirm nor refute the derivative
    inconclusive: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "inconclusive": self.inconclusive,
            "max_rel_error": self.max_rel_error,
            "points": self.points,
            "directions": self.directions,
            "sizes": self.sizes,
            "method": self.method,
            "notes": self.notes,
            "seed": self.seed,
            "tolerance": self.tolerance,
        }


@dataclass(frozen=True)
class Domain:
    positive: frozenset[str]
    spd: frozenset[str]
    # sub-expressions that are inverted or passed to det/logdet: they must be well conditioned
    guards: tuple[Node, ...] = ()
    # variables under a function with a bounded domain (arcsin: (−1, 1)) and the interval to draw from
    intervals: tuple[tuple[str, tuple[float, float]], ...] = ()

    def interval(self, name: str) -> tuple[float, float] | None:
        """Where `name`'s entries are drawn: positive ones in [0.5, 1.5], narrowed by every bounded
        domain the name is under (a name both under log and arcsin gets [0.5, 0.6])."""
        lo, hi = (0.5, 1.5) if name in self.positive else (-math.inf, math.inf)
        for other, (a, b) in self.intervals:
            if other == name:
                lo, hi = (max(lo, a), min(hi, b)) if max(lo, a) < min(hi, b) else (a, b)
        return None if math.isinf(lo) and math.isinf(hi) else (lo, hi)


def domain_of(trees: list[Node], env: ShapeEnv) -> Domain:
    """Which variables need positive entries (log, sqrt, fractional powers) or an SPD value, and
    which sub-expressions must be invertible."""
    positive: set[str] = set()
    powered: set[str] = set()  # under a fractional or negative power: positive entries keep it defined
    spd: set[str] = set()
    guards: dict[Node, None] = {}
    intervals: dict[tuple[str, tuple[float, float]], None] = {}

    def names(n: Node) -> set[str]:
        return set(N.free_symbols(n))

    for tree in trees:
        stack = [tree]
        while stack:
            n = stack.pop()
            if isinstance(n, N.Apply):
                _function_domain(n, names(n.arg), positive, intervals)
            elif isinstance(n, (N.ElementPower, N.Power)) and n.exponent.denominator != 1:
                powered |= names(n.children()[0])
            elif isinstance(n, (N.ElementPower, N.Power)) and n.exponent < 0:
                if env.is_scalar(n.children()[0]) or isinstance(n, N.ElementPower):
                    powered |= names(n.children()[0])
                else:
                    guards.setdefault(n.children()[0])
            elif isinstance(n, N.LogDet) and not isinstance(n.arg, N.Symbol):
                spd |= {x for x in names(n.arg) if env.kinds.get(x) is Kind.MATRIX}
            if isinstance(n, (N.Inverse, N.Det, N.LogDet)) and not env.is_scalar(n.arg):
                guards.setdefault(n.arg)
            stack.extend(n.children())
    # a name under a bounded function is drawn inside its interval, even where a power in the
    # derivative would ask for positive entries: arcsin′(u) = (1 − u²)^(−1/2) is defined for |u| < 1
    bounded = {name for name, _ in intervals}
    positive |= powered - bounded
    return Domain(frozenset(positive), frozenset(spd), tuple(guards), tuple(intervals))


def _function_domain(
    node: N.Apply, names: set[str], positive: set[str], intervals: dict[tuple[str, tuple[float, float]], None]
) -> None:
    """The catalogue's domain of an elementwise function, for the variables of its argument."""
    domain = functions.get(node.func).domain
    if domain is functions.POSITIVE:
        positive |= names
    elif domain.sample is not None:
        for name in sorted(names):
            intervals.setdefault((name, domain.sample))


def random_sizes(env: ShapeEnv, rng: Any) -> dict[str, int]:
    dims = unbound_dims(env)
    pool = list(SIZE_POOL)
    rng.shuffle(pool)
    sizes: dict[str, int] = {}
    for i, d in enumerate(dims):
        sizes[d] = pool[i % len(pool)] + (i // len(pool)) * len(pool)
    return sizes


# A function of t, A(t), is drawn as a polynomial of this degree, so that its derivatives up to this
# order are not zero and a wrong second or third derivative cannot pass by multiplying a zero.
FUNCTION_DEGREE = 4
# Values are stored for derivative orders up to this many (orders past the degree are zero): each
# --wrt t raises the order the evaluator asks for by one.
FUNCTION_ORDERS = 12
_COEF_SCALE = (1.0, 0.3, 0.1, 0.05, 0.02)


def random_point(env: ShapeEnv, domain: Domain, rng: Any) -> dict[str, Array]:
    """A dict of values: plain variables, and A, A′, A′′, ... (`function_key`) for functions A(t)."""
    import numpy as np

    values: dict[str, Array] = {}
    for name, kind in env.kinds.items():
        r, c = (env.size(d) for d in env.shape_of_var(name))
        if kind is Kind.SCALAR:
            lo, hi = domain.interval(name) or (0.5, 1.5)  # inside arcsin's domain when under arcsin
            values[name] = np.full((1, 1), rng.uniform(lo, hi))
            continue
        if name in env.functions:
            continue
        values[name] = _sample(name, r, c, env, domain, rng)
    for name in env.functions:
        r, c = (env.size(d) for d in env.shape_of_var(name))
        coefs = [_sample(name, r, c, env, domain, rng) * _COEF_SCALE[k] for k in range(FUNCTION_DEGREE + 1)]
        values["coef:" + name] = np.stack(coefs)
    refresh_functions(env, values)
    return values


def refresh_functions(env: ShapeEnv, values: dict[str, Array]) -> None:
    """Recompute A(t) and every stored derivative A′(t), A′′(t), ... after t moved (all orders: a
    second --wrt t differences the first derivative, which reads A′ and A′′)."""
    from mcalc.numeric.evaluate import function_key

    for name, param in env.functions.items():
        coefs = values["coef:" + name]
        t = float(values[param][0, 0])
        for order in range(FUNCTION_ORDERS + 1):
            values[function_key(name, order)] = _polynomial_derivative(coefs, t, order)


def _polynomial_derivative(coefs: Array, t: float, order: int) -> Array:
    """The order-th derivative at t of Σⱼ coefs[j] tʲ: Σ_{j≥order} j!/(j−order)! coefs[j] t^(j−order)."""
    total = 0 * coefs[0]
    for j in range(order, len(coefs)):
        total = total + math.perm(j, order) * coefs[j] * t ** (j - order)
    return total


def _sample(name: str, r: int, c: int, env: ShapeEnv, domain: Domain, rng: Any) -> Array:
    import numpy as np

    g = rng.standard_normal((r, c))
    interval = domain.interval(name)
    if interval is not None:
        g = rng.uniform(*interval, (r, c))
        if any(n == name for n, _ in domain.intervals) and name not in env.symmetric:
            return g  # entries bounded (arcsin): not shifted by the identity below, which leaves (−1, 1)
    if r == c and r > 1:
        if name in env.symmetric or name in domain.spd:
            a = rng.standard_normal((r, r))
            return a @ a.T / r + np.eye(r)
        return np.eye(r) + 0.3 * g / math.sqrt(r)
    return g


def random_direction(env: ShapeEnv, var: str, rng: Any) -> Array:
    r, c = (env.size(d) for d in env.shape_of_var(var))
    v = rng.standard_normal((r, c))
    if var in env.symmetric:
        v = (v + v.T) / 2
    return v


def layout_free(arr: Array, shape: tuple[int, ...]) -> Array:
    return arr.reshape(shape)


def worst_guard(env: ShapeEnv, domain: Domain, values: Mapping[str, Array]) -> tuple[float, Node | None]:
    """The worst condition number among the matrices that are inverted or passed to det/logdet."""
    import numpy as np

    from mcalc.numeric.evaluate import Evaluator

    ev = Evaluator(env, values)
    worst, where = 1.0, None
    for node in domain.guards:
        try:
            with np.errstate(all="ignore"):
                a = ev(node)
        except MathError:
            return math.inf, node
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            continue
        c = condition(a) if np.all(np.isfinite(a)) else math.inf
        if c > worst:
            worst, where = c, node
    return worst, where


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
) -> CheckResult:
    """Compare d_value (derivative w.r.t. the last of `variables`) with finite differences of f_value.

    Each accepted point costs 1 evaluation of d_value, 1 + 2·directions evaluations of f_value and
    one LU factorisation per guarded matrix: nothing grows with the number of entries of X beyond
    what one evaluation costs. `env.sizes` is left as the last point set it.
    """
    import numpy as np

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0]) % 2**31  # reported: a failure can be replayed
    rng = np.random.default_rng(seed)
    var = variables[-1]
    worst = 0.0
    notes: list[str] = []
    sizes: dict[str, list[int]] = {}
    done = 0
    attempts = 0
    rejected: dict[str, int] = {}
    fallback: list[tuple[dict[str, int], dict[str, Array], float, str]] = []
    used_fallback: tuple[float, str] | None = None
    while done < points and attempts < points * 20:
        attempts += 1
        env.sizes.clear()
        if fixed_sizes:
            env.sizes.update(fixed_sizes)
        point_sizes = random_sizes(env, rng)
        env.sizes.update(point_sizes)
        values = random_point(env, domain, rng)
        cond, where = worst_guard(env, domain, values)
        if cond > ILL_CONDITIONED:
            label = env.text_of(where) if where is not None else "a matrix"
            rejected[label] = rejected.get(label, 0) + 1
            if math.isfinite(cond):
                fallback.append((point_sizes, values, cond, label))
            continue
        err = _point_error(env, var, values, f_value, d_value, rng, directions, cond)
        if err is None:
            rejected["the expression (not finite)"] = rejected.get("the expression (not finite)", 0) + 1
            continue
        worst = max(worst, err)
        done += 1
        for d, s in point_sizes.items():
            sizes.setdefault(d, []).append(s)
    if done == 0:
        for point_sizes, values, cond, label in sorted(fallback, key=lambda f: f[2])[:points]:
            env.sizes.clear()
            if fixed_sizes:
                env.sizes.update(fixed_sizes)
            env.sizes.update(point_sizes)
            err = _point_error(env, var, values, f_value, d_value, rng, directions, cond)
            if err is None:
                continue
            worst = max(worst, err)
            done += 1
            for d, s in point_sizes.items():
                sizes.setdefault(d, []).append(s)
            if used_fallback is None or cond > used_fallback[0]:
                used_fallback = (cond, label)
        if used_fallback is not None:
            worst_cond = used_fallback[0]
            notes.append(f"only ill-conditioned points were found (cond up to {worst_cond:.1e}); looser tolerance")
    if done == 0:
        why = ", ".join(sorted(rejected)) or "the expression"
        raise MathError(
            f"no point where the expression is defined and well conditioned was found for the numeric "
            f"check ({attempts} tried; trouble with {why})"
        )
    if rejected and done:
        total = sum(rejected.values())
        notes.append(f"{total} random point(s) redrawn: {', '.join(sorted(rejected))} ill-conditioned or undefined")
    tolerance = RELATIVE_TOLERANCE * (1000 if any("ill-conditioned points" in n for n in notes) else 1)
    passed = worst <= tolerance
    inconclusive = False
    if not passed and used_fallback is not None:
        cond, label = used_fallback
        # a central difference at condition κ is only good to about κ²·10⁻¹⁰ relative here
        if worst <= min(2.0, cond * cond * 1e-10):
            inconclusive = True
            notes.append(
                f"{label} is ill-conditioned, cond {cond:.0e}; error bound not met: "
                "differences can neither confirm nor refute the derivative here"
            )
    return CheckResult(
        passed, worst, done, directions, sizes, notes=notes, seed=seed, tolerance=tolerance, inconclusive=inconclusive
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
) -> float | None:
    """The worst relative error over `directions` random directions at one point; None if undefined.

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
    if not np.all(np.isfinite(deriv)):
        return None
    # ‖D‖_F is the typical size of ⟨D, V⟩ for a Gaussian V: an unlucky direction along which the
    # derivative nearly vanishes must not inflate the relative error
    typical = float(np.linalg.norm(deriv)) / (2.0 if var in env.symmetric else 1.0)
    scale = max(1.0, float(np.abs(values[var]).max()))
    # a smaller step where a guarded matrix is less well conditioned (truncation error ~ (h·cond)²)
    h = 1e-5 * scale / math.sqrt(max(1.0, cond / 30))
    worst = 0.0
    for _ in range(directions):
        v = random_direction(env, var, rng)
        vv = _as_var_array(env, var, v)
        analytic = np.tensordot(deriv, vv, axes=vv.ndim) if vv.ndim else deriv * vv
        first = _central_difference(env, var, values, f_value, v, h)
        if first is None:
            return None
        fd, f_size = first
        err = _relative(fd.reshape(np.shape(analytic)), analytic, f_size, h, typical)
        if err > RELATIVE_TOLERANCE:
            second = _central_difference(env, var, values, f_value, v, h / 4)
            if second is not None:
                fd4 = second[0].reshape(np.shape(analytic))
                richardson = (16 * fd4 - fd.reshape(np.shape(analytic))) / 15
                err = min(
                    err,
                    _relative(fd4, analytic, f_size, h / 4, typical),
                    _relative(richardson, analytic, f_size, h / 4, typical),
                )
        worst = max(worst, err)
    if var in env.symmetric and env.kinds[var] is Kind.MATRIX:
        # the documented convention: on symmetric matrices the value is sym(G), itself symmetric
        k = deriv.ndim
        asym = float(np.linalg.norm(deriv - np.swapaxes(deriv, k - 2, k - 1)))
        worst = max(worst, asym / max(float(np.linalg.norm(deriv)), 1e-8))
    return worst


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
    size = max(float(np.linalg.norm(f_plus)), float(np.linalg.norm(f_minus)))
    return (f_plus - f_minus) / (2 * h), size


def _relative(fd: Array, analytic: Array, f_size: float, h: float, typical: float) -> float:
    import numpy as np

    err = float(np.linalg.norm(fd - analytic))
    noise = EPS * f_size / h  # the rounding error of a central difference
    floor = max(NOISE_UNITS * noise / RELATIVE_TOLERANCE, 1e-8)
    denom = max(float(np.linalg.norm(fd)), float(np.linalg.norm(analytic)), typical, floor)
    return err / denom


def _as_var_array(env: ShapeEnv, var: str, v: Array) -> Array:
    kind = env.kinds[var]
    if kind is Kind.SCALAR:
        return v.reshape(())
    if kind is Kind.VECTOR:
        return v.reshape(-1)
    return v


# --- values given by the user (--at) ---


def bind_values(
    env: ShapeEnv,
    raw: Mapping[str, Array],
    required: Iterable[str],
    trees: Iterable[Node],
    rename: Callable[[str], str] | None = None,
) -> dict[str, Array]:
    """Check user values (as loaded by `numeric.values`) against the expression and fix the sizes.

    Bad input (exit 2): a required name without a value, a value of the wrong kind or size (the
    message lists every value given, so the culprit is visible), a declared-symmetric matrix whose
    value is not symmetric. A mathematical failure (exit 1): a matrix that the expression inverts
    or passes to logdet is singular at these values. Returns the values in the evaluator's 2-D form.
    """
    from mcalc.numeric.values import to_internal

    given: dict[str, Array] = {}
    for key, value in raw.items():
        name = key
        if rename is not None and key not in env.kinds:
            base = key.rstrip("′")
            if rename(base) in env.kinds:
                name = rename(base) + key[len(base) :]
        given[name] = value
    missing = [n for n in required if n not in given]
    if missing:
        shown = ", ".join(m.replace("′", "'") for m in missing)
        example = missing[0].replace("′", "'")
        raise InputError(
            f"no value given for {shown} (use --at {example}=JSON or an .npz file with an array named {example})"
        )
    shapes = {n: tuple(given[n].shape) for n in env.kinds if n in given}
    try:
        bind_sizes(env, shapes)
    except InputError as exc:
        listing = ", ".join(f"{n}: {_shape_words(s)}" for n, s in shapes.items())
        exc.message = f"{exc.message}; values given: {listing}"
        raise
    left = unbound_dims(env)
    if left:
        raise InputError(f"the size of {', '.join(left)} is not fixed by the values given")
    values = {k: to_internal(v) for k, v in given.items()}
    for name in env.functions:
        for key, v in values.items():
            if key.startswith(name + "′") and key.rstrip("′") == name and v.shape != values[name].shape:
                raise InputError(
                    f"{key.replace('′', chr(39))} has shape {_shape_words(v.shape)} but {name} has "
                    f"{_shape_words(values[name].shape)}"
                )
    guard_values(env, trees, values, declared_symmetric=sorted(env.symmetric))
    return values


def _shape_words(shape: tuple[int, ...]) -> str:
    if len(shape) == 0:
        return "scalar"
    if len(shape) == 1:
        return f"vector of {shape[0]}"
    return "×".join(str(s) for s in shape)


def guard_values(
    env: ShapeEnv, trees: Iterable[Node], values: Mapping[str, Array], declared_symmetric: Iterable[str] = ()
) -> None:
    """Refuse values where the mathematics fails, naming the culprit: a matrix that is inverted or
    passed to logdet and is singular (or numerically so: condition number above 1e14), or a
    declared-symmetric matrix whose value is not symmetric (bad input). det alone needs nothing
    (det(X)·X⁻¹ is evaluated as the adjugate)."""
    import numpy as np

    for name in declared_symmetric:
        a = values.get(name)
        if a is not None and a.ndim == 2 and a.shape[0] == a.shape[1]:
            if not np.allclose(a, a.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(a).max()))):
                raise InputError(f"{name} is declared symmetric but its value is not ({name} ≠ {name}ᵀ)")
    guards: dict[Node, None] = {}
    for tree in trees:
        stack = [tree]
        while stack:
            n = stack.pop()
            if isinstance(n, (N.Inverse, N.LogDet)) and not env.is_scalar(n.arg):
                guards.setdefault(n.arg)
            elif isinstance(n, N.Power) and n.exponent < 0 and not env.is_scalar(n.base):
                guards.setdefault(n.base)
            stack.extend(n.children())
    cond, where = worst_guard(env, Domain(frozenset(), frozenset(), tuple(guards)), values)
    if where is not None and cond > SINGULAR:
        what = env.text_of(where)
        shown = "∞" if math.isinf(cond) else f"{cond:.1e}"
        raise MathError(
            f"{what} is singular: it has no inverse at the values given (condition number {shown})"
        )  # no position: the message names the matrix, and the failure is in the values, not the text


def explain_nonfinite(tree: Node, env: ShapeEnv, values: Mapping[str, Array]) -> MathError | None:
    """If `tree` evaluates to NaN or ±∞ at `values`, a MathError naming the innermost sub-expression
    that first goes wrong (log of a negative entry, sqrt of a negative, overflow); else None."""
    import numpy as np

    from mcalc.numeric.evaluate import Evaluator

    ev = Evaluator(env, values)
    with np.errstate(all="ignore"):
        top = ev(tree)
    if np.all(np.isfinite(top)):
        return _outside_derivative_domain(tree, env, ev)
    stack: list[Node] = [tree]
    culprit = tree
    while stack:
        n = stack.pop()
        bad_kids = [k for k in n.children() if not np.all(np.isfinite(ev.memo.get(k, np.zeros(1))))]
        if bad_kids:
            stack.append(bad_kids[0])
            continue
        culprit = n
    arg = culprit.children()[0] if culprit.children() else None
    arg_value = ev.memo.get(arg) if arg is not None else None
    text = env.text_of(culprit)
    if isinstance(culprit, N.Apply) and culprit.func in ("log", "sqrt") and arg_value is not None:
        if np.any(arg_value < 0) or (culprit.func == "log" and np.any(arg_value == 0)):
            what = "a negative" if np.any(arg_value < 0) else "a zero"
            return MathError(f"{text} is undefined: {culprit.func} of {what} entry at the values given", culprit.span)
    if isinstance(culprit, N.Apply) and arg_value is not None:
        domain = functions.get(culprit.func).domain
        bad = arg_value[domain.outside(arg_value)]
        if domain is not functions.POSITIVE and bad.size:
            return MathError(
                f"{text} is undefined: {culprit.func} needs {domain.value_text}; the values given have an entry "
                f"{bad.flat[0]:g}",
                culprit.span,
            )
    if isinstance(culprit, (N.ElementPower, N.Power)) and arg_value is not None and np.any(arg_value <= 0):
        return MathError(f"{text} is undefined: a power of a zero or negative entry at the values given", culprit.span)
    return MathError(f"{text} is not finite: overflow or division by zero at the values given", culprit.span)


def _outside_derivative_domain(tree: Node, env: ShapeEnv, ev: Any) -> MathError | None:
    """For a finite expression whose derivative is not: a function whose derivative does not exist at
    an entry of its argument (arccos at 1, sqrt at 0), named; else None."""
    stack: list[Node] = [tree]
    seen: set[Node] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(n.children())
        if not isinstance(n, N.Apply):
            continue
        domain = functions.get(n.func).domain
        value = ev.memo.get(n.arg)
        if not domain.bounded or value is None or not value.size:
            continue
        bad = value[domain.outside(value)]
        if bad.size:
            return MathError(
                f"{env.text_of(n)} has no derivative: {n.func}′ needs {domain.text}; the values given have "
                f"an entry {bad.flat[0]:g}",
                n.span,
            )
    return None


__all__ = [
    "CheckResult",
    "check_derivative",
    "domain_of",
    "bind_sizes",
    "bind_values",
    "guard_values",
    "explain_nonfinite",
]
