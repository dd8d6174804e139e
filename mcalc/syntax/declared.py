"""Functions declared on the command line, as catalogue entries for one run: `--function f` (a scalar
function of its whole vector or matrix argument, gradient ∇f) and `--elementwise g` (applied entry by
entry, derivative g′).

    f(A x) by x       Aᵀ∇f(Ax)          d f(u) = ⟨∇f(u), du⟩
    sum(g(X w)) by w  Xᵀg′(Xw)          d g(u) = g′(u) ⊙ du

They are abstract: no formula, so no values. An entry's evaluation refuses with one line, and `--at`,
`--check`, `--format numpy` and SymPy export refuse before any work (`refuse_numbers`). ∇f is not
differentiated again (its Hessian is not built); g′ is, as g″, g‴, ... (entries made when first needed).

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
from mcalc.syntax.build import mul
from mcalc.syntax.functions import Function, Kind
from mcalc.syntax.nodes import Dim, Node

GRADIENT = "∇"
# The values of a function declared with a formula (`--function "f(u) = sum(u .* u)"`: mcalc.formulas):
# order ↦ the numpy evaluation of f (0) and ∇f (1), or of g, g′, g′′, ... (0, 1, 2, ...).
Formula = Callable[[int], Callable[[Any], Any]]


def base_name(func: str) -> str:
    """`∇f` → f, `g″` → g: the declared function an entry name belongs to."""
    return func.removeprefix(GRADIENT).rstrip("′⁽⁾0123456789")


def _no_values(name: str, flag: str) -> Any:
    def evaluate(x: Any) -> Any:
        raise InputError(no_values_message(name, flag))

    return evaluate


def no_values_message(name: str, flag: str, what: str = "values") -> str:
    return (
        f"{name} is an abstract function ({flag} {name}) and has no {what}: --at, --check, --format numpy "
        f"and sympy need a formula, so write the function out in the expression instead"
    )


def scalar_function(name: str, formula: Formula | None = None) -> tuple[Function, Function]:
    """f and ∇f for `--function f` (with values when a formula is given)."""
    grad = GRADIENT + name
    values = [_no_values(name, "--function")] * 2 if formula is None else [formula(0), formula(1)]

    def d_f(value: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
        g = N.Columnwise(grad, x)
        # ⟨∇f(x), dx⟩: ∇f(x)ᵀdx for a vector, tr(∇f(X)ᵀdX) for a matrix (or a scalar)
        return mul(N.Transpose(g), dx) if vector else N.Trace(mul(N.Transpose(g), dx))

    def d_grad(value: Node, x: Node, dx: Node, rows: Dim, vector: bool) -> Node:
        raise NoRuleError(f"the second derivative of {name} (its Hessian ∇²{name}) is not built for a --function")

    f = Function(
        name, _slope_refused, f"d {name}(X) = ⟨∇{name}(X), dX⟩ (∇{name}: the gradient of the declared {name})",
        rf"d\,{name}(X) = \langle \nabla {name}(X), dX \rangle", values[0], "",
        rf"{name}\left({{}}\right)", reference="declared with --function; the chain rule (MML §5.2.2)",
        kind=Kind.ARRAY_REDUCE, differential=d_f, abstract=formula is None,
    )  # fmt: skip
    g = Function(
        grad, _slope_refused, f"∇{name}: the gradient of the declared {name}", rf"\nabla {name}",
        values[1], "", rf"\nabla {name}\left({{}}\right)", reference="declared with --function",
        kind=Kind.ARRAY_MAP, differential=d_grad, internal=True, abstract=formula is None,
    )  # fmt: skip
    return f, g


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
) -> functions.Catalogue:
    """`base` extended by the declared functions (those with a formula, in `formulas` by name, have values)."""
    formulas = formulas or {}
    scalar, elementwise = list(scalar), list(elementwise)
    if not scalar and not elementwise:
        return base
    with functions.using(base):
        check_names(scalar, elementwise)
    entries = [e for name in scalar for e in scalar_function(name, formulas.get(name))]
    entries += [elementwise_function(name, 0, formulas.get(name)) for name in elementwise]
    families = tuple(_derivatives(name, formulas.get(name)) for name in elementwise)
    return base.extended(tuple(entries), families)


@contextmanager
def declared(
    scalar: Iterable[str] = (), elementwise: Iterable[str] = (), formulas: Mapping[str, Formula] | None = None
) -> Iterator[None]:
    """The current catalogue extended by the declared functions for the `with` block, in this thread only."""
    with functions.using(catalogue(functions.current(), scalar, elementwise, formulas)):
        yield


def abstract_in(trees: Iterable[Node], with_formula: bool = False) -> str | None:
    """The first declared function a tree applies, as `--function f` / `--elementwise g`, or None; only
    those without a formula unless `with_formula` (no declared function has generated code)."""
    stack = list(trees)
    while stack:
        n = stack.pop()
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
