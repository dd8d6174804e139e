"""Values given by the user (`--at`, `--at-file`): checked against the expression (every name, its
kind, its size; declared-symmetric matrices symmetric; inverted matrices not singular), and a value
that is not finite explained by the sub-expression where it first goes wrong."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mcalc.errors import InputError, MathError
from mcalc.numeric.evaluate import SINGULAR
from mcalc.numeric.points import Domain, worst_guard
from mcalc.numeric.spectral import EIGEN, trouble
from mcalc.shapes import ShapeEnv, bind_sizes, unbound_dims
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax.nodes import Node

Array = Any


def _refuse_let_values(env: ShapeEnv, given: Mapping[str, Array]) -> None:
    """A --let name is computed from its definition: a value for it is refused, never silently ignored."""
    for name in given:
        if name in env.lets:
            free = ", ".join(n for n in env.kinds if n not in env.functions)
            raise InputError(
                f"{name} is a --let name, computed from its definition: give values for {free}, not {name}"
            )


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
    _refuse_let_values(env, given)
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
    structured_values(env, values)
    return values


def structured_values(env: ShapeEnv, values: Mapping[str, Array]) -> None:
    """A value given for a --diagonal or --toeplitz name that does not have the structure: one line naming
    the first entry that breaks it (1-based), as a declared-symmetric value that is not symmetric is."""
    import numpy as np

    for name in sorted(env.diagonal | env.toeplitz):
        a = values.get(name)
        if a is None or a.ndim != 2 or a.shape[0] != a.shape[1]:
            continue
        tolerance = 1e-12 * max(1.0, float(np.abs(a).max()))
        if name in env.diagonal:
            bad = np.argwhere((np.abs(a) > tolerance) & ~np.eye(a.shape[0], dtype=bool))
            if bad.size:
                i, j = bad[0]
                raise InputError(
                    f"{name} is declared diagonal but its value has the entry {a[i, j]:g} at ({i + 1}, {j + 1})"
                )
            continue
        for i, j in np.argwhere(np.abs(a[1:, 1:] - a[:-1, :-1]) > tolerance):
            raise InputError(
                f"{name} is declared Toeplitz but its value is not constant along a diagonal: ({i + 1}, {j + 1}) "
                f"is {a[i, j]:g} and ({i + 2}, {j + 2}) is {a[i + 1, j + 1]:g}"
            )


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
            elif isinstance(n, N.PowerOf) and not env.is_scalar(n.base):
                _whole_exponent(env, n, values)
            elif isinstance(n, N.Columnwise):
                _whole_matrix_domain(env, n, values)
            stack.extend(n.children())
    cond, where = worst_guard(env, Domain(frozenset(), frozenset(), tuple(guards)), values)
    if where is not None and cond > SINGULAR:
        what = env.text_of(where)
        shown = "∞" if math.isinf(cond) else f"{cond:.1e}"
        raise MathError(
            f"{what} is singular: it has no inverse at the values given (condition number {shown})"
        )  # no position: the message names the matrix, and the failure is in the values, not the text


def _whole_matrix_domain(env: ShapeEnv, n: N.Columnwise, values: Mapping[str, Array]) -> None:
    """A whole-matrix function outside its domain (chol of a matrix that is not symmetric positive
    definite), refused in one line naming the function and its argument."""
    from mcalc.numeric.evaluate import Evaluator

    guard = functions.get(n.func).guard
    if guard is None:
        return
    problem = guard(Evaluator(env, values)(n.arg))
    if problem is not None:
        text = env.text_of(n.arg)
        raise MathError(f"{n.func}({text}) is undefined: {text} {problem} at the values given", n.span)


def require_derivative_domain(env: ShapeEnv, tree: Node, values: Mapping[str, Array], wrt: Iterable[str]) -> None:
    """A whole-matrix function whose derivative mcalc gives for an invertible argument (adj: det(X)(…X⁻¹…))
    at a point where it is singular, when the argument depends on a --wrt variable: one line saying so."""
    from mcalc.numeric.evaluate import Evaluator, condition

    wrt = set(wrt)
    ev = Evaluator(env, values)
    stack = [tree]
    while stack:
        n = stack.pop()
        stack.extend(n.children())
        if not isinstance(n, N.Columnwise) or functions.get(n.func).draw != "invertible":
            continue
        if wrt.isdisjoint(N.free_symbols(n.arg)):
            continue
        if condition(ev(n.arg)) > SINGULAR:
            text = env.text_of(n.arg)
            formula = functions.get(n.func).identity.partition(": ")[2]  # "d adj(X) = det(X) (…), X invertible"
            raise MathError(
                f"{n.func}({text}) is differentiated for an invertible {text} ({formula}); {text} is singular at "
                f"the values given",
                n.span,
            )


def _whole_exponent(env: ShapeEnv, n: N.PowerOf, values: Mapping[str, Array]) -> None:
    """Xᵏ is a matrix power by a positive whole number k: any other value of k is refused, in one line."""
    name = n.exponent.name if isinstance(n.exponent, N.Symbol) else ""
    v = values.get(name)
    if v is None:
        return
    k = float(v.reshape(-1)[0])
    if not (k >= 1 and k == int(k)):
        raise MathError(
            f"{name} must be a positive whole number in the matrix power {env.text_of(n)}; it is {k:.17g} "
            f"at the values given",
            n.span,
        )


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
    if isinstance(culprit, N.Columnwise) and culprit.func in EIGEN and arg_value is not None:
        what = trouble(culprit, arg_value)[1]  # λ_max(X) of a non-symmetric X with complex eigenvalues
        arg_text = env.text_of(culprit.arg)
        return MathError(f"{text} is undefined at the values given: {arg_text} has {what}", culprit.span)
    if isinstance(culprit, (N.ElementPower, N.Power)) and arg_value is not None and np.any(arg_value <= 0):
        return MathError(f"{text} is undefined: a power of a zero or negative entry at the values given", culprit.span)
    return MathError(f"{text} is not finite: overflow or division by zero at the values given", culprit.span)


def _outside_derivative_domain(tree: Node, env: ShapeEnv, ev: Any) -> MathError | None:
    """For a finite expression whose derivative is not: a function whose derivative does not exist at
    an entry of its argument (arccos at 1, sqrt at 0), named; else None."""
    for n in N.distinct_nodes(tree):
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
