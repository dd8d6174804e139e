"""Random points for the numeric checks: fresh distinct sizes for the free dimensions, and values that
respect each function's domain (see numeric/check.py for the rules), with the matrices that are
inverted or passed to det/logdet kept well conditioned."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mcalc.errors import InputError, MathError
from mcalc.numeric.evaluate import FUNCTION_ORDERS, condition
from mcalc.numeric.spectral import EIGEN, spectral_nodes, trouble
from mcalc.records import Record, record
from mcalc.shapes import Kind, ShapeEnv, unbound_dims
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

Array = Any
SIZE_POOL = (2, 3, 4, 5, 6, 7)
# Past the pool, each further round of dimensions gets sizes a pool's length larger, so up to 18 free
# dimensions stay distinct; beyond that the rounds repeat. Unbounded, a product of 3,000 matrices drew
# sizes up to 3,000 (3,000 × 3,000 factors, 24 GB) where the element budget assumed at most 7.
SIZE_ROUNDS = 3
ILL_CONDITIONED = 1e3  # points worse than this are redrawn: the O(h²) error grows like cond²
# Past this magnitude squares overflow: a norm came out ∞ and every error relative to it 0, so a product
# of 200 random matrices (entries near 1e160) "passed" --check with error 0.0, and `check "1e200 x^T x"
# --claim "1e100 x"` was "correct". A point with such values is not finite for a numeric comparison.
FLOAT_RANGE = 1e150


def generator(seed: int | None) -> Any:
    """numpy's random generator for `--seed` (None: fresh entropy); a negative seed, which numpy refuses
    with a ValueError (`--seed -1` was an internal error), is bad input."""
    import numpy as np

    if seed is not None and seed < 0:
        raise InputError(f"--seed {seed} is negative; a seed is a whole number, 0 or more")
    return np.random.default_rng(seed)


def beyond_float_range(array: Array) -> bool:
    import numpy as np

    return bool(np.size(array)) and float(np.abs(array).max()) > FLOAT_RANGE


@record(frozen=True)
class Domain(Record):
    positive: frozenset[str]
    spd: frozenset[str]
    # sub-expressions that are inverted or passed to det/logdet: they must be well conditioned
    guards: tuple[Node, ...] = ()
    # variables under a function with a bounded domain (arcsin: (−1, 1)) and the interval to draw from
    intervals: tuple[tuple[str, tuple[float, float]], ...] = ()
    # scalars that are the exponent of a matrix power (Xᵏ): drawn as whole numbers 2..4
    whole: frozenset[str] = frozenset()
    # λ_max(S), svd(X), pinv(X), ...: their eigenvalues or singular values must stay apart (numeric.spectral)
    spectral: tuple[Node, ...] = ()
    # non-symmetric matrices under an eigenvalue function: drawn with real, distinct eigenvalues
    real_spectrum: frozenset[str] = frozenset()

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
    which sub-expressions must be invertible. `--let` names are read written out."""
    from mcalc.lets import expand

    trees = [expand(env.lets, t) for t in trees]
    positive: set[str] = set()
    powered: set[str] = set()  # under a fractional or negative power: positive entries keep it defined
    spd: set[str] = set()
    guards: dict[Node, None] = {}
    intervals: dict[tuple[str, tuple[float, float]], None] = {}
    whole: set[str] = set()

    def names(n: Node) -> set[str]:
        return set(N.free_symbols(n))

    for tree in trees:
        stack = [tree]
        while stack:
            n = stack.pop()
            if isinstance(n, N.Apply):
                _function_domain(n, names(n.arg), positive, intervals)
            elif isinstance(n, N.ElementPowerOf) or (isinstance(n, N.PowerOf) and env.is_scalar(n.base)):
                powered |= names(n.base)  # a symbolic exponent: exp(E log B) needs B > 0
            elif isinstance(n, N.PowerOf):
                whole |= names(n.exponent)
            elif isinstance(n, (N.ElementPower, N.Power)) and n.exponent.denominator != 1:
                powered |= names(n.children()[0])
            elif isinstance(n, (N.ElementPower, N.Power)) and n.exponent < 0:
                if env.is_scalar(n.children()[0]) or isinstance(n, N.ElementPower):
                    powered |= names(n.children()[0])
                else:
                    guards.setdefault(n.children()[0])
            elif isinstance(n, N.LogDet) and not isinstance(n.arg, N.Symbol):
                spd |= {x for x in names(n.arg) if env.kinds.get(x) is Kind.MATRIX}
            elif isinstance(n, N.Columnwise) and functions.get(n.func).domain is functions.OFF_NEGATIVE_AXIS:
                spd |= {x for x in names(n.arg) if env.kinds.get(x) is Kind.MATRIX}  # logm, sqrtm, S^p
            elif isinstance(n, N.Columnwise) and (draw := functions.get(n.func).draw):
                # chol's argument drawn symmetric positive definite; adj's kept invertible (its derivative)
                if draw == "spd":
                    spd |= {x for x in names(n.arg) if env.kinds.get(x) is Kind.MATRIX}
                guards.setdefault(n.arg)
            if isinstance(n, (N.Inverse, N.Det, N.LogDet)) and not env.is_scalar(n.arg):
                guards.setdefault(n.arg)
            stack.extend(n.children())
    # a name under a bounded function is drawn inside its interval, even where a power in the
    # derivative would ask for positive entries: arcsin′(u) = (1 − u²)^(−1/2) is defined for |u| < 1
    bounded = {name for name, _ in intervals}
    positive |= powered - bounded
    gaps = spectral_nodes(trees)
    real = frozenset(n.arg.name for n in gaps if n.func in EIGEN and isinstance(n.arg, N.Symbol))
    return Domain(
        frozenset(positive), frozenset(spd), tuple(guards), tuple(intervals), frozenset(whole), tuple(gaps), real
    )


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
        sizes[d] = pool[i % len(pool)] + (i // len(pool)) % SIZE_ROUNDS * len(pool)
    return sizes


def largest_draw(env: ShapeEnv) -> int:
    """The largest size `random_sizes` can give a free dimension of `env` (what the budget assumes)."""
    rounds = min(SIZE_ROUNDS, max(1, -(-len(unbound_dims(env)) // len(SIZE_POOL))))
    return max(SIZE_POOL) + (rounds - 1) * len(SIZE_POOL)


# A function of t, A(t), is drawn as a polynomial of this degree, so that its derivatives up to this
# order are not zero and a wrong second or third derivative cannot pass by multiplying a zero.
FUNCTION_DEGREE = 4
# Values are stored for derivative orders up to evaluate.FUNCTION_ORDERS (orders past the degree are zero).
_COEF_SCALE = (1.0, 0.3, 0.1, 0.05, 0.02)


def random_point(env: ShapeEnv, domain: Domain, rng: Any) -> dict[str, Array]:
    """A dict of values: plain variables, and A, A′, A′′, ... (`function_key`) for functions A(t)."""
    import numpy as np

    values: dict[str, Array] = {}
    for name, kind in env.kinds.items():
        r, c = (env.size(d) for d in env.shape_of_var(name))
        if kind is Kind.SCALAR and name in domain.whole:
            values[name] = np.full((1, 1), float(rng.integers(2, 5)))
            continue
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
    if r == c and (name in env.diagonal or name in env.toeplitz):
        return structured_sample(name, r, env, domain, rng)
    interval = domain.interval(name)
    if interval is not None:
        g = rng.uniform(*interval, (r, c))
        if any(n == name for n, _ in domain.intervals) and name not in env.symmetric:
            return g  # entries bounded (arcsin): not shifted by the identity below, which leaves (−1, 1)
    if r == c and r > 1:
        if name in env.symmetric or name in domain.spd:
            a = rng.standard_normal((r, r))
            return a @ a.T / r + np.eye(r)
        if name in domain.real_spectrum:  # P D P⁻¹: real eigenvalues 1, 1.5, 2, ... (apart), not symmetric
            p = np.eye(r) + 0.3 * g / math.sqrt(r)
            return p @ np.diag(1 + 0.5 * np.arange(r) + 0.1 * rng.random(r)) @ np.linalg.inv(p)
        return np.eye(r) + 0.3 * g / math.sqrt(r)
    return g


def structured_sample(name: str, n: int, env: ShapeEnv, domain: Domain, rng: Any) -> Array:
    """A value with the declared structure, invertible and well conditioned: a --diagonal D's diagonal
    drawn in [0.5, 1.5] (inside a bounded function's interval when under one), a --toeplitz T as I plus
    0.3/√n times a Toeplitz matrix of standard normal values."""
    import numpy as np

    from mcalc.syntax.structured import toeplitz_values

    if name in env.diagonal:
        lo, hi = domain.interval(name) or (0.5, 1.5)
        return np.diag(rng.uniform(lo, hi, n))
    return np.eye(n) + 0.3 / math.sqrt(n) * toeplitz_values(rng.standard_normal(2 * n - 1))


def random_direction(env: ShapeEnv, var: str, rng: Any) -> Array:
    """A direction along `var`'s free values: symmetric, diagonal or Toeplitz as declared."""
    import numpy as np

    from mcalc.syntax.structured import toeplitz_values

    r, c = (env.size(d) for d in env.shape_of_var(var))
    if var in env.diagonal:
        return np.diag(rng.standard_normal(r))
    if var in env.toeplitz:
        return toeplitz_values(rng.standard_normal(2 * r - 1))
    v = rng.standard_normal((r, c))
    if var in env.symmetric:
        v = (v + v.T) / 2
    return v


def free_value_pairing(env: ShapeEnv, var: str, v: Array) -> Array:
    """The array W with ⟨D, W⟩ = Σ over free values of (∂f/∂value) × (the value's change along v), for D
    the derivative placed back in the matrix: v itself, except by a --toeplitz T, whose derivative repeats
    ∂f/∂t_k at each of the n − |k| entries of diagonal k, so each entry of v is divided by that count."""
    import numpy as np

    if var not in env.toeplitz:
        return v
    n = v.shape[0]
    i, j = np.indices((n, n))
    return v / (n - np.abs(i - j))


def structure_error(env: ShapeEnv, var: str, deriv: Array, floor: float = 1e-8) -> float:
    """How far a derivative by a structured `var` is from having the structure (its last two axes): the
    off-diagonal part by a --diagonal D, the spread along each diagonal by a --toeplitz T, relative to the
    derivative, or to `floor` when it is smaller (the check passes the size below which it compares absolutely)."""
    import numpy as np

    if var not in env.diagonal and var not in env.toeplitz:
        return 0.0
    n = deriv.shape[-1]
    i, j = np.indices((n, n))
    if var in env.diagonal:
        off = deriv * (i != j)
    else:
        off = np.zeros_like(deriv)
        for k in range(1 - n, n):
            band = i - j == k
            off = off + np.where(band, deriv - deriv[..., band].mean(axis=-1)[..., None, None], 0.0)
    off_size = float(np.linalg.norm(off))
    return off_size / max(float(np.linalg.norm(deriv)), floor) if off_size else 0.0


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
    for node in domain.spectral:  # λ_max(S) near a repeated eigenvalue is as bad as a near-singular inverse
        assert isinstance(node, N.Columnwise)
        try:
            with np.errstate(all="ignore"):
                c = trouble(node, ev(node.arg))[0]
        except (MathError, np.linalg.LinAlgError):
            c = math.inf
        if c > worst:
            worst, where = c, node
    return worst, where
