"""Where the functions of a whole matrix have a derivative, measured at a point.

An eigenvalue's derivative exists where it is simple (and real, for a non-symmetric matrix), a singular
value's where it is simple and positive, ‖X‖_*'s where X has full rank, pinv's where the rank cannot change
(full rank: at a rank-deficient X a perturbation raises it), prod's formula prod(x)·(1 ./ x) where no entry is 0.

`trouble` measures how close a point is to failing that, as a condition number: 1 / the relative gap (the gap
between the eigenvalues or singular values that must stay apart, over their scale), ∞ where the derivative
does not exist. `--check` and claims redraw a point worse than ILL_CONDITIONED (numeric.points.worst_guard),
`--at` refuses a point worse than SINGULAR, in one line that says why (`no_derivative`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mcalc.errors import MathError
from mcalc.shapes import ShapeEnv
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

Array = Any
# (relative gap, what fails there): the smaller the gap, the nearer the point is to no derivative
Measure = tuple[float, str]


def _relative(gap: float, scale: float) -> float:
    return gap / scale if scale > 0 else 0.0


def _pair(values: Array, gaps: Array, i: int) -> str:
    return f"{values[i]:.6g} and {values[i + 1]:.6g}"


def _eigen(which: str) -> Callable[[Array], Measure]:
    """λ_max / λ_min / all of eig: the gap to the nearest other eigenvalue."""

    def measure(a: Array) -> Measure:
        import numpy as np

        from mcalc.syntax.spectral import spectrum

        lam = spectrum(a)[0]
        if not np.all(np.isfinite(lam)):
            return 0.0, "complex eigenvalues (a real spectrum is needed)"
        if lam.size < 2:
            return math.inf, ""
        gaps = np.diff(lam)
        i = {"max": lam.size - 2, "min": 0}.get(which, int(np.argmin(gaps)))
        what = {"max": "largest ", "min": "smallest "}.get(which, "")
        scale = max(float(np.abs(lam).max()), 1e-300)
        return _relative(float(gaps[i]), scale), f"a repeated {what}eigenvalue ({_pair(lam, gaps, i)})"

    return measure


def _singular(which: str) -> Callable[[Array], Measure]:
    """σ_max / σ_min / svd: the gap between singular values (and σ_min's distance from 0); ‖X‖_*, pinv: rank."""

    def measure(a: Array) -> Measure:
        import numpy as np

        s = np.linalg.svd(a, compute_uv=False)
        scale = max(float(s[0]), 1e-300) if s.size else 1.0
        rank = int(np.sum(s > scale * 1e-12))
        low = (_relative(float(s[-1]), scale), f"rank {rank}, less than {s.size}: not full rank")
        if which == "rank" or s.size < 2:
            return low
        gaps = -np.diff(s)
        i = {"max": 0, "min": s.size - 2}.get(which, int(np.argmin(gaps)))
        what = "largest singular value" if which == "max" else "singular value"
        repeated = (_relative(float(gaps[i]), scale), f"a repeated {what} ({_pair(s, gaps, i)})")
        return repeated if which == "max" or repeated[0] <= low[0] else low

    return measure


def _nonzero(x: Array) -> Measure:
    import numpy as np

    scale = max(float(np.abs(x).max()), 1e-300)
    return _relative(float(np.abs(x).min()), scale), "an entry 0"


MEASURES: dict[str, Callable[[Array], Measure]] = {
    "λ_max": _eigen("max"),
    "eigvec_max": _eigen("max"),
    "λ_min": _eigen("min"),
    "eigvec_min": _eigen("min"),
    "eig": _eigen("all"),
    "σ_max": _singular("max"),
    "spectral_norm": _singular("max"),
    "σ_min": _singular("min"),
    "svd": _singular("all"),
    "nuclear_norm": _singular("rank"),
    "pinv": _singular("rank"),
    "prod": _nonzero,
}


# the eigenvalue functions: a non-symmetric argument needs real eigenvalues (drawn so by numeric.points)
EIGEN = frozenset({"λ_max", "λ_min", "eig", "eigvec_max", "eigvec_min"})


SHIFTS = frozenset({"λ_max", "λ_min", "σ_max", "σ_min"})


def _shifted(n: N.Columnwise) -> bool:
    """pinv(λ_max(S) I − S), of an eigenvector's derivative (pinv(σ² I − XXᵀ), of a singular vector's): singular
    by construction, its rank constant where λ_max(S) is simple (the gap its λ_max node measures), so it is no
    point's trouble itself."""
    return (
        n.func == "pinv"
        and N.contains_type(n.arg, N.Columnwise)
        and any(isinstance(k, N.Columnwise) and k.func in SHIFTS for k in N.every_node(n.arg))
    )


def spectral_nodes(trees: Iterable[Node]) -> list[N.Columnwise]:
    """The applications in `trees` whose derivative needs a gap (λ_max(S), pinv(X), prod(x), ...)."""
    found: dict[Node, None] = {}
    stack = list(trees)
    while stack:
        n = stack.pop()
        if isinstance(n, N.Columnwise) and n.func in MEASURES and not _shifted(n):
            found.setdefault(n)
        stack.extend(n.children())
    return [n for n in found if isinstance(n, N.Columnwise)]


def trouble(node: N.Columnwise, arg: Array) -> tuple[float, str]:
    """(1 / relative gap, what fails) for the node at its argument's value: ∞ where no derivative exists."""
    import numpy as np

    if not np.all(np.isfinite(arg)):
        return math.inf, "an argument that is not finite"
    gap, what = MEASURES[node.func](arg)
    return (math.inf if gap <= 0 else 1.0 / gap), what


def no_derivative(
    trees: Iterable[Node], env: ShapeEnv, values: Mapping[str, Array], threshold: float
) -> MathError | None:
    """`--at`: a MathError naming the first function whose derivative does not exist at `values`, else None."""
    import numpy as np

    from mcalc.numeric.evaluate import Evaluator

    ev = Evaluator(env, values)
    for node in spectral_nodes(trees):
        with np.errstate(all="ignore"):
            cond, what = trouble(node, ev(node.arg))
        if cond > threshold:
            text, arg = env.text_of(node), env.text_of(node.arg)
            if node.func == "prod":  # the derivative exists; the formula does not hold there
                return MathError(
                    f"{text}: its derivative {text} (1 ./ {arg}) is undefined at the values given, as {arg} has "
                    f"an entry 0 (there the gradient's entry i is the product of the other entries)"
                )
            return MathError(f"{text} has no derivative at the values given: {arg} has {what}")
    return None
