"""Functions declared on the command line, as catalogue entries for one run: `--function f` (a scalar
function of its whole vector or matrix argument, gradient ∇f) and `--elementwise g` (applied entry by
entry, derivative g′).

    f(A x) by x       Aᵀ∇f(Ax)          d f(u) = ⟨∇f(u), du⟩
    sum(g(X w)) by w  Xᵀg′(Xw)          d g(u) = g′(u) ⊙ du

They are abstract: no formula, so no values. An entry's evaluation refuses with one line, and `--at`,
`--check`, `--format numpy` and SymPy export refuse before any work (`refuse_numbers`). ∇f differentiates
again by a vector to the Hessian ∇²f; a vector-valued f (declared `f: vector -> vector`, or so by use) has
the Jacobian J_f instead (mcalc.syntax.vector_functions). g′ differentiates again, as g″, g‴, ... (entries
made when first needed).

`catalogue(...)` extends a catalogue by the entries (a new value: a session holds it); `declared(...)` makes
such an extension current for a `with` block (one command), in this thread only. The lexer then reads `f`
and `g` as function words, so `f(A x)` is f applied to Ax, not the product f·(Ax).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mcalc.errors import InputError, NoRuleError
from mcalc.syntax import functions
from mcalc.syntax import nodes as N
from mcalc.syntax import vector_functions as vf
from mcalc.syntax.build import mul
from mcalc.syntax.functions import Function, Kind, Signature
from mcalc.syntax.nodes import Dim, Node

GRADIENT = "∇"
# The values of a function declared with a formula (`--function "f(u) = sum(u .* u)"`: mcalc.formulas):
# order ↦ the numpy evaluation of f (0) and ∇f (1), or of g, g′, g′′, ... (0, 1, 2, ...).
Formula = Callable[[int], Callable[[Any], Any]]


def base_name(func: str) -> str:
    """`∇f` → f, `g″` → g: the declared function an entry name belongs to."""
    for prefix in (vf.HESSIAN, GRADIENT, vf.JACOBIAN):
        if func.startswith(prefix) and functions.lookup(func.removeprefix(prefix)) is not None:
            return func.removeprefix(prefix)
    return func.rstrip("′⁽⁾0123456789")


def _no_values(name: str, flag: str) -> Any:
    def evaluate(x: Any) -> Any:
        raise InputError(no_values_message(name, flag))

    return evaluate


def no_values_message(name: str, flag: str, what: str = "values") -> str:
    return (
        f"{name} is an abstract function ({flag} {name}) and has no {what}: --at, --check, --format numpy "
        f"and sympy need a formula, so write the function out in the expression instead"
    )


def scalar_function(
    name: str, formula: Formula | None = None, signature: Signature | None = None
) -> tuple[Function, ...]:
    """f, ∇f, ∇²f and J_f for `--function f` (with values when a formula is given): f scalar-valued (its
    gradient ∇f, its Hessian ∇²f) or vector-valued (its Jacobian J_f), as its signature or use says."""
    grad, hessian, jacobian = GRADIENT + name, vf.HESSIAN + name, vf.JACOBIAN + name
    vector = signature is not None and signature.value == "vector"
    values = [_no_values(name, "--function")] * 3 if formula is None else [formula(k) for k in range(3)]
    d_f, d_grad, d_hessian, d_jacobian, d_vector = _differentials(name)
    declared = "declared with --function"
    f = Function(
        name, _slope_refused,
        f"d {name}(u) = J_{name}(u) du (J_{name}: the Jacobian of the declared {name}, entries ∂{name}ᵢ/∂uⱼ)"
        if vector else f"d {name}(X) = ⟨∇{name}(X), dX⟩ (∇{name}: the gradient of the declared {name})",
        rf"d\,{name}(u) = \mathbf{{J}}_{name}(u)\,du" if vector
        else rf"d\,{name}(X) = \langle \nabla {name}(X), dX \rangle", values[0], "",
        rf"{name}\left({{}}\right)", reference=f"{declared}; the chain rule (MML §5.2.2)",
        kind=Kind.VECTOR_MAP if vector else Kind.ARRAY_REDUCE, differential=d_vector if vector else d_f,
        abstract=formula is None, signature=signature,
    )  # fmt: skip
    entries = [
        (grad, f"∇{name}: the gradient of the declared {name}", rf"\nabla {name}", Kind.ARRAY_MAP, d_grad, 1),
        (hessian, f"∇²{name}: the Hessian of the declared {name}, entries ∂²{name}/∂uᵢ∂uⱼ", rf"\nabla^2 {name}",
         Kind.HESSIAN, d_hessian, 2),
        (jacobian, f"J_{name}: the Jacobian of the declared vector-valued {name}, entries ∂{name}ᵢ/∂uⱼ",
         rf"\mathbf{{J}}_{{{name}}}", Kind.JACOBIAN, d_jacobian, 1),
    ]  # fmt: skip
    made = tuple(
        Function(
            spelled,
            _slope_refused,
            identity,
            latex,
            values[order],
            "",
            latex + r"\left({}\right)",
            reference=declared,
            kind=kind,
            differential=differential,
            internal=True,
            abstract=formula is None,
        )  # fmt: skip
        for spelled, identity, latex, kind, differential, order in entries
    )
    return (f, *made)


def _differentials(name: str) -> tuple[functions.Differential, ...]:
    """d f, d ∇f, d ∇²f, d J_f of a scalar-valued f, and d f of a vector-valued one."""
    grad, hessian = GRADIENT + name, vf.HESSIAN + name

    def d_f(value: Node, x: Node, dx: Node, rows: Dim, is_vector: bool) -> Node:
        g = N.Columnwise(grad, x)
        # ⟨∇f(x), dx⟩: ∇f(x)ᵀdx for a vector, tr(∇f(X)ᵀdX) for a matrix (or a scalar)
        return mul(N.Transpose(g), dx) if is_vector else N.Trace(mul(N.Transpose(g), dx))

    def d_grad(value: Node, x: Node, dx: Node, rows: Dim, is_vector: bool) -> Node:
        if rows != 1 and not is_vector:
            raise NoRuleError(f"the second derivative of {name} by a matrix (a tensor) is not built for a --function")
        return mul(N.Columnwise(hessian, x), dx)  # d ∇f(u) = ∇²f(u) du

    def d_hessian(value: Node, x: Node, dx: Node, rows: Dim, is_vector: bool) -> Node:
        raise NoRuleError(f"the third derivative of {name} is not built for a --function")

    def d_jacobian(value: Node, x: Node, dx: Node, rows: Dim, is_vector: bool) -> Node:
        raise vf.no_second_derivative(name)

    def d_vector(value: Node, x: Node, dx: Node, rows: Dim, is_vector: bool) -> Node:
        return vf.jacobian_differential(value, dx)

    return d_f, d_grad, d_hessian, d_jacobian, d_vector


def _slope_refused(x: Node) -> Node:
    raise TypeError("a --function has a differential, not an elementwise slope")


def elementwise_function(name: str, order: int = 0, formula: Formula | None = None) -> Function:
    """g (order 0) or its derivative g′, g″, ... for `--elementwise g`, applied entry by entry."""
    spelled = name + _primes(order)

    def derivative(x: Node) -> Node:
        return N.Apply(name + _primes(order + 1), x)  # the entry comes from g's family (_derivatives)

    latex_name = name + "'" * order
    return Function(
        spelled, derivative, f"{spelled}′(x): the derivative of the declared {spelled}",
        rf"{latex_name}'(x)", _no_values(name, "--elementwise") if formula is None else formula(order), "",
        rf"{latex_name}\left({{}}\right)", reference="declared with --elementwise; the chain rule entry by entry",
        internal=order > 0, abstract=formula is None,
    )  # fmt: skip


def _primes(order: int) -> str:
    """g′, g′′, g′′′ as A′′(t) is printed (the printer spells ′ in ASCII as '), then g⁽⁴⁾."""
    return "′" * order if order <= 3 else f"⁽{order}⁾"


def _order(suffix: str) -> int | None:
    """The order `_primes` spelled as `suffix` (′′ → 2, ⁽⁴⁾ → 4), or None."""
    if suffix and set(suffix) == {"′"} and len(suffix) <= 3:
        return len(suffix)
    digits = suffix.removeprefix("⁽").removesuffix("⁾")
    if (
        suffix.startswith("⁽")
        and digits.isdigit()
        and digits.isascii()
        and int(digits) > 3
        and _primes(int(digits)) == suffix
    ):
        return int(digits)
    return None


def _derivatives(name: str, formula: Formula | None) -> functions.Family:
    """The family of g′, g″, g⁽⁴⁾, ... of `--elementwise g`, each entry made when first looked up."""

    def entry(spelling: str) -> Function | None:
        order = _order(spelling.removeprefix(name)) if spelling.startswith(name) else None
        return None if order is None else elementwise_function(name, order, formula)

    return entry


def check_names(scalar: Iterable[str], elementwise: Iterable[str]) -> None:
    """A declared name is one Latin word (f, g, phi2 is not Greek here) that no function already has."""
    seen: set[str] = set()
    for flag, names in (("--function", scalar), ("--elementwise", elementwise)):
        for name in names:
            if not (name.isascii() and name[:1].isalpha() and name.isalnum()):
                raise InputError(f"bad {flag} {name!r}: a function name is Latin letters, then digits (f, g, phi2)")
            if functions.lookup(name) is not None or name in seen or name in ("I", "eye", "ones"):
                raise InputError(f"{flag} {name}: {name} is already a function; choose another name")
            seen.add(name)


def catalogue(
    base: functions.Catalogue,
    scalar: Iterable[str] = (),
    elementwise: Iterable[str] = (),
    formulas: Mapping[str, Formula] | None = None,
    signatures: Mapping[str, Signature] | None = None,
) -> functions.Catalogue:
    """`base` extended by the declared functions (those with a formula, in `formulas` by name, have values;
    a --function's signature, declared or read from its formula, is in `signatures`)."""
    formulas, signatures = formulas or {}, signatures or {}
    scalar, elementwise = list(scalar), list(elementwise)
    if not scalar and not elementwise:
        return base
    with functions.using(base):
        check_names(scalar, elementwise)
    entries = [e for name in scalar for e in scalar_function(name, formulas.get(name), signatures.get(name))]
    entries += [elementwise_function(name, 0, formulas.get(name)) for name in elementwise]
    families = tuple(_derivatives(name, formulas.get(name)) for name in elementwise)
    return base.extended(tuple(entries), families)


@contextmanager
def declared(
    scalar: Iterable[str] = (),
    elementwise: Iterable[str] = (),
    formulas: Mapping[str, Formula] | None = None,
    signatures: Mapping[str, Signature] | None = None,
) -> Iterator[None]:
    """The current catalogue extended by the declared functions for the `with` block, in this thread only."""
    with functions.using(catalogue(functions.current(), scalar, elementwise, formulas, signatures)):
        yield


def abstract_in(trees: Iterable[Node], with_formula: bool = False) -> str | None:
    """The first declared function a tree applies, as `--function f` / `--elementwise g`, or None; only
    those without a formula unless `with_formula` (no declared function has generated code). A shared
    sub-tree is looked at once (a 100-deep sin tower's third derivative has millions of paths to its parts)."""
    stack, seen = list(trees), set[Node]()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if isinstance(n, (N.Apply, N.Columnwise)):
            entry = functions.lookup(n.func)
            if entry is not None and (entry.abstract or (with_formula and not entry.numpy)):
                flag = "--elementwise" if entry.kind is Kind.ELEMENTWISE else "--function"
                return f"{flag} {base_name(n.func)}"
        stack.extend(n.children())
    return None


def refuse_numbers(trees: Iterable[Node], what: str) -> None:
    """`--at`, `--check`: one line naming the abstract function, before any work."""
    found = abstract_in(trees)
    if found is not None:
        flag, name = found.split(" ", 1)
        raise InputError(no_values_message(name, flag, what))


def refuse_code(trees: Iterable[Node], what: str) -> None:
    """Generated numpy code and SymPy: a declared function has neither, formula or not."""
    found = abstract_in(trees, with_formula=True)
    if found is not None:
        flag, name = found.split(" ", 1)
        raise InputError(
            f"{name} is declared ({flag} {name}) and has no {what}: write the function out in the expression instead"
        )


def typed_entry(name: str, primes: int = 0, gradient: bool = False) -> str | None:
    """The catalogue entry a typed `∇f` (`grad_f`) or `g′` (`g'`, `g''`, `g″`) names, as mcalc prints them, so
    a printed result reads back (a claim `Aᵀ ∇f(Ax)`); None unless f is a --function, g an --elementwise.
    A derivative of g not made yet is made as differentiation makes it (each order from the one before)."""
    if gradient:
        return GRADIENT + name if functions.lookup(GRADIENT + name) is not None else None
    entry = functions.lookup(name)
    if entry is None or entry.internal or not entry.reference.startswith("declared with --elementwise"):
        return None
    return name + _primes(primes)


def derivative_entry(prefix: str, name: str) -> str | None:
    """The catalogue entry a typed `J_f(…)` (prefix J_) or `∇²f(…)` (∇², ASCII hess_) names, as mcalc prints
    them, so a printed Jacobian or Hessian reads back; None unless f is a --function."""
    spelled = {"hess_": vf.HESSIAN}.get(prefix, prefix) + name
    entry = functions.lookup(name)
    if entry is None or entry.internal or not entry.reference.startswith("declared with --function"):
        return None
    return spelled if functions.lookup(spelled) is not None else None
