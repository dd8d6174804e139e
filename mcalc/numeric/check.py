"""The numeric oracle: central finite differences along random directions.

It never looks at how a derivative was obtained (it imports nothing from `calculus`): it receives a
function f(values) → array and the claimed derivative d(values) → array of shape f.shape + X.shape,
and compares ⟨d, V⟩ with (f(X + hV) − f(X − hV)) / 2h for random V. Two evaluations of f per
direction, whatever the size of X.

Points respect each function's domain: square matrices are I + 0.3 R/√n (invertible, positive
determinant, not symmetric, so a transposed answer cannot pass); symmetric ones are SPD; entries
under log, sqrt or a fractional power are positive; scalars are in [0.5, 1.5].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcalc.errors import MathError
from mcalc.shapes import Kind, ShapeEnv, bind_sizes, unbound_dims
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

Array = Any
SIZE_POOL = (2, 3, 4, 5, 6, 7)
RELATIVE_TOLERANCE = 1e-6
ILL_CONDITIONED = 1e8


@dataclass
class CheckResult:
    passed: bool
    max_rel_error: float
    points: int
    directions: int
    sizes: dict[str, int]
    method: str = "central differences along random directions"
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "max_rel_error": self.max_rel_error,
            "points": self.points,
            "directions": self.directions,
            "sizes": self.sizes,
            "method": self.method,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Domain:
    positive: frozenset[str]
    spd: frozenset[str]


def domain_of(trees: list[Node], env: ShapeEnv) -> Domain:
    """Which variables need positive entries (log, sqrt, fractional powers) or an SPD value."""
    positive: set[str] = set()
    spd: set[str] = set()

    def names(n: Node) -> set[str]:
        return set(N.free_symbols(n))

    for tree in trees:
        stack = [tree]
        while stack:
            n = stack.pop()
            if isinstance(n, N.Apply) and n.func in ("log", "sqrt"):
                positive |= names(n.arg)
            elif isinstance(n, (N.ElementPower, N.Power)) and n.exponent.denominator != 1:
                positive |= names(n.children()[0])
            elif isinstance(n, (N.ElementPower, N.Power)) and n.exponent < 0:
                if env.is_scalar(n.children()[0]) or isinstance(n, N.ElementPower):
                    positive |= names(n.children()[0])
            elif isinstance(n, (N.LogDet,)) and not isinstance(n.arg, N.Symbol):
                spd |= {x for x in names(n.arg) if env.kinds.get(x) is Kind.MATRIX}
            stack.extend(n.children())
    return Domain(frozenset(positive), frozenset(spd))


def random_sizes(env: ShapeEnv, rng: Any) -> dict[str, int]:
    dims = unbound_dims(env)
    pool = list(SIZE_POOL)
    rng.shuffle(pool)
    sizes: dict[str, int] = {}
    for i, d in enumerate(dims):
        sizes[d] = pool[i % len(pool)] + (i // len(pool)) * len(pool)
    return sizes


def random_point(env: ShapeEnv, domain: Domain, rng: Any) -> dict[str, Array]:
    """A dict of values: plain variables, and A, A′, A″ for functions A(t) (quadratic in t)."""
    import numpy as np

    values: dict[str, Array] = {}
    for name, kind in env.kinds.items():
        r, c = (env.size(d) for d in env.shape_of_var(name))
        if kind is Kind.SCALAR:
            values[name] = np.full((1, 1), rng.uniform(0.5, 1.5))
            continue
        if name in env.functions:
            continue
        values[name] = _sample(name, r, c, env, domain, rng)
    for name, param in env.functions.items():
        r, c = (env.size(d) for d in env.shape_of_var(name))
        t = values[param][0, 0]
        coefs = [_sample(name, r, c, env, domain, rng) for _ in range(3)]
        coefs[1] *= 0.3
        coefs[2] *= 0.1
        values[name] = coefs[0] + t * coefs[1] + t * t * coefs[2]
        values[name + "′"] = coefs[1] + 2 * t * coefs[2]
        values[name + "″"] = 2 * coefs[2]
        values[name + "‴"] = 0 * coefs[2]
        values["coef:" + name] = np.stack(coefs)
    return values


def refresh_functions(env: ShapeEnv, values: dict[str, Array]) -> None:
    """Recompute A(t), A′(t), ... after t moved."""
    for name, param in env.functions.items():
        c0, c1, c2 = values["coef:" + name]
        t = values[param][0, 0]
        values[name] = c0 + t * c1 + t * t * c2
        values[name + "′"] = c1 + 2 * t * c2


def _sample(name: str, r: int, c: int, env: ShapeEnv, domain: Domain, rng: Any) -> Array:
    import numpy as np

    g = rng.standard_normal((r, c))
    if name in domain.positive:
        g = rng.uniform(0.5, 1.5, (r, c))
    if r == c and r > 1:
        if name in env.symmetric or name in domain.spd:
            a = rng.standard_normal((r, r))
            return a @ a.T / r + np.eye(r)
        if name in domain.positive:
            return 0.3 * g / math.sqrt(r) + np.eye(r)
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
    """Compare d_value (derivative w.r.t. the last of `variables`) with finite differences of f_value."""
    import numpy as np

    rng = np.random.default_rng(seed)
    var = variables[-1]
    worst = 0.0
    notes: list[str] = []
    sizes: dict[str, int] = {}
    done = 0
    attempts = 0
    while done < points and attempts < points * 10:
        attempts += 1
        env.sizes.clear()
        if fixed_sizes:
            env.sizes.update(fixed_sizes)
        env.sizes.update(random_sizes(env, rng))
        sizes = dict(env.sizes)
        values = random_point(env, domain, rng)
        try:
            with np.errstate(all="ignore"):
                base = f_value(values)
                deriv = d_value(values)
        except MathError:
            continue
        if not (np.all(np.isfinite(base)) and np.all(np.isfinite(deriv))):
            continue
        cond = _worst_condition(env, values)
        for _ in range(directions):
            v = random_direction(env, var, rng)
            scale = max(1.0, float(np.abs(values[var]).max()))
            h = 1e-5 * scale
            plus, minus = dict(values), dict(values)
            plus[var] = values[var] + h * v
            minus[var] = values[var] - h * v
            refresh_functions(env, plus)
            refresh_functions(env, minus)
            try:
                with np.errstate(all="ignore"):
                    fd = (f_value(plus) - f_value(minus)) / (2 * h)
            except MathError:
                continue
            vv = _as_var_array(env, var, v)
            axes = vv.ndim
            analytic = np.tensordot(deriv, vv, axes=axes) if axes else deriv * vv
            fd = np.asarray(fd).reshape(np.shape(analytic))
            err = float(np.linalg.norm(fd - analytic))
            denom = max(float(np.linalg.norm(fd)), float(np.linalg.norm(analytic)), 1e-8)
            worst = max(worst, err / denom)
        done += 1
        if cond > ILL_CONDITIONED:
            notes.append(f"a matrix was ill-conditioned (cond {cond:.1e}); error bound not met")
    if done == 0:
        raise MathError("no point where the expression is defined was found for the numeric check")
    passed = worst <= RELATIVE_TOLERANCE * 100 if notes else worst <= RELATIVE_TOLERANCE
    return CheckResult(passed, worst, done, directions, sizes, notes=notes)


def _as_var_array(env: ShapeEnv, var: str, v: Array) -> Array:
    kind = env.kinds[var]
    if kind is Kind.SCALAR:
        return v.reshape(())
    if kind is Kind.VECTOR:
        return v.reshape(-1)
    return v


def _worst_condition(env: ShapeEnv, values: Mapping[str, Array]) -> float:
    import numpy as np

    worst = 1.0
    for name, kind in env.kinds.items():
        if kind is Kind.MATRIX and name in values:
            a = values[name]
            if a.ndim == 2 and a.shape[0] == a.shape[1]:
                worst = max(worst, float(np.linalg.cond(a)))
    return worst


__all__ = ["CheckResult", "check_derivative", "domain_of", "bind_sizes"]
