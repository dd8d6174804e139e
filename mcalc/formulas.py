"""Declared functions with a formula: `--function "f(u) = sum(u .* u)"`, `--elementwise "g(t) = t^3"`.

The derivative is still printed with the declared name (`Aᵀ ∇f(Ax)`, `Xᵀ g′(Xw)`): the formula only gives
the catalogue entries values, so `--at`, `--check` and `mcalc eval` work. mcalc computes them with
itself: f(X) evaluates the formula with u bound to X; ∇f(X) is mcalc's gradient of the formula by u at
X; g, g′, g′′, ... evaluate the formula and its derivatives by the scalar t at each entry. A formula may
use only its parameter (and numbers). Generated numpy code and SymPy still refuse a declared function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from mcalc import pipeline
from mcalc.declare import declarations, greek
from mcalc.errors import InputError, McalcError
from mcalc.syntax.declared import Formula
from mcalc.syntax.declared import catalogue as extended
from mcalc.syntax.functions import Catalogue, Signature, current, using
from mcalc.syntax.vector_functions import signature

Array = Any
SPEC = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)\s*\(\s*([^()]+?)\s*\)\s*")


def split_items(items: Iterable[str]) -> list[str]:
    """`f,h` is two names; an item with `=` is one definition (its formula may hold commas)."""
    out: list[str] = []
    for item in items:
        out.extend([item] if "=" in item else [p.strip() for p in item.split(",") if p.strip()])
    return out


def split_spec(item: str, flag: str) -> tuple[str, str | None, str | None]:
    """`f` → (f, None, None); `f(u) = sum(u .* u)` → (f, u, sum(u .* u))."""
    head, sep, body = item.partition("=")
    if not sep:
        return item.strip(), None, None
    match = SPEC.fullmatch(head)
    if match is None or not body.strip():
        raise InputError(f'bad {flag} {item!r}: write NAME, or NAME(u) = EXPR such as {flag} "f(u) = sum(u .* u)"')
    return match[1], greek(match[2]), body.strip()


class _Formula:
    """One declared formula, prepared once per shape of its argument (a check draws several sizes)."""

    def __init__(self, flag: str, name: str, param: str, body: str) -> None:
        self.flag, self.name, self.param, self.body = flag, name, param, body
        self.cache: dict[tuple[Any, ...], pipeline.Result] = {}
        self._read()

    def _read(self) -> None:
        """The formula's syntax, checked where it is declared: it is prepared only when values are asked
        for, and `--function "f(u) = sum(u"` (or a formula holding an escape sequence) was accepted unread."""
        from mcalc.syntax.parser import parse_with_notes

        try:
            parse_with_notes(self.body, frozenset({self.param}))
        except McalcError as exc:
            exc.message = f"in {self.where()}: {exc.message}"
            exc.span = None  # a column in the formula, which the error line does not show
            raise

    def __call__(self, order: int) -> Callable[[Array], Array]:
        raise NotImplementedError  # ArrayFormula, ElementFormula

    def where(self) -> str:
        return f"{self.flag} {self.name}({self.param}) = {self.body}"

    def prepared(self, key: tuple[Any, ...], decl: Any, shapes: dict[str, tuple[int, ...]], order: int) -> Any:
        hit = self.cache.get(key)
        if hit is None:
            try:
                tree, env, _ = pipeline.prepare(self.body, decl, wrt=(self.param,), value_shapes=shapes)
                other = [n for n in env.kinds if n != self.param]
                if other:
                    raise InputError(f"uses {other[0]}: a formula may use only its parameter {self.param}")
                hit = pipeline.differentiate_tree(self.body, tree, env, [self.param] * max(order, 1))
            except McalcError as exc:
                exc.message = f"in {self.where()}: {exc.message}"
                exc.span = None  # a column in the formula, which the error line does not show
                raise
            self.cache[key] = hit
        return hit


class ArrayFormula(_Formula):
    """f of `--function`: order 0 the value of the formula at X (1×1, or a column for a vector-valued f),
    order 1 its gradient (X's shape) or Jacobian (f's length × X's), order 2 its Hessian (a vector X)."""

    def __init__(self, flag: str, name: str, param: str, body: str) -> None:
        super().__init__(flag, name, param, body)
        self.signature = self._signature()

    def _signature(self) -> Signature:
        """Scalar- or vector-valued, and how long, from the formula's shape with its parameter read by the
        naming convention (u a vector, U a matrix): sin(u) is as long as u, sum(u .* u) a number."""
        from mcalc.shapes import SCALAR_SHAPE

        try:
            tree, env, _ = pipeline.prepare(self.body, declarations(), wrt=(self.param,))
        except McalcError as exc:
            exc.message, exc.span = f"in {self.where()}: {exc.message}", None
            raise
        argument = env.kinds[self.param].value if self.param in env.kinds else "vector"
        shape = env.shape(tree)
        if shape == SCALAR_SHAPE:
            return Signature(argument, "scalar")
        rows, cols = shape
        if cols != 1 or argument != "vector":
            raise InputError(
                f"in {self.where()}: its value {env.describe(tree)}; a --function's value is a number, or a "
                "vector for a function of a vector"
            )
        if rows == env.shape_of_var(self.param)[0]:
            return Signature(argument, "vector", same_length=True)
        if isinstance(rows, int):
            return Signature(argument, "vector", rows)
        raise InputError(
            f"in {self.where()}: its length, {env.size_text(rows)}, is neither its argument's length nor a number, "
            f"so its value cannot be sized for --at and --check; write the formula out in the expression, or declare "
            f'{self.name} by name with its length, --function "{self.name}: vector -> vector[k]" (no values)'
        )

    def __call__(self, order: int) -> Callable[[Array], Array]:
        return (self.value, self.gradient, self.hessian)[order]

    def _result(self, x: Array, order: int = 1) -> tuple[Any, dict[str, Array]]:
        arr = x.reshape(()) if x.shape == (1, 1) else x[:, 0] if x.shape[1] == 1 else x
        result = self.prepared((arr.shape, order), declarations(), {self.param: arr.shape}, order)
        return result, {self.param: arr}

    def value(self, x: Array) -> Array:
        import numpy as np

        from mcalc.numeric.given import bind_values
        from mcalc.numeric.values import to_internal

        result, loaded = self._result(x)
        saved = dict(result.env.sizes)
        try:
            values = bind_values(result.env, loaded, [self.param], [result.tree])
            out = pipeline.evaluate_expression(result.tree, result.env, values)
        except InputError as exc:
            raise self._unfit(loaded, exc) from exc
        finally:
            result.env.sizes.clear()
            result.env.sizes.update(saved)
        if self.signature.value == "vector":
            return to_internal(np.asarray(out, dtype=float))
        return np.full((1, 1), float(out))

    def gradient(self, x: Array) -> Array:
        return self._derivative(x, 1)

    def hessian(self, x: Array) -> Array:
        return self._derivative(x, 2)

    def _derivative(self, x: Array, order: int) -> Array:
        """∇f or J_f (order 1), ∇²f (order 2) at x: mcalc's own derivative of the formula, its contract value
        (entry [i, j] = ∂f_i/∂u_j for the Jacobian)."""
        from mcalc.numeric.values import to_internal

        result, loaded = self._result(x, order)
        saved = dict(result.env.sizes)
        try:
            return to_internal(pipeline.value_at(result, loaded))
        except InputError as exc:
            raise self._unfit(loaded, exc) from exc
        finally:
            result.env.sizes.clear()
            result.env.sizes.update(saved)

    def _unfit(self, loaded: dict[str, Array], exc: InputError) -> InputError:
        """The formula cannot take an argument of this shape (logdet(U) of a 7×3 U, which --check drew for
        an m×n X): say so in the formula's terms, with the declaration that makes the sizes fit."""
        shape = "×".join(str(d) for d in loaded[self.param].shape) or "a scalar"
        if "values given" not in exc.message:
            return InputError(f"in {self.where()}: {exc.message}")
        return InputError(
            f"in {self.where()}: {self.name} is applied to an argument of shape {shape}, which the formula "
            f"cannot take; declare the shape of what {self.name} is applied to, e.g. --shape X=n×n for a square X"
        )


class ElementFormula(_Formula):
    """g of `--elementwise`, a function of the scalar parameter: order k is g⁽ᵏ⁾, entry by entry."""

    def __call__(self, order: int) -> Callable[[Array], Array]:
        def evaluate(x: Array) -> Array:
            import numpy as np

            result = self.prepared((order,), declarations(scalar=[self.param]), {}, order)
            tree = result.tree if order == 0 else result.final.result
            flat = [float(pipeline.evaluate_expression(tree, result.env, {self.param: np.full((1, 1), v)}))
                    for v in np.asarray(x, dtype=float).ravel()]  # fmt: skip
            return np.asarray(flat).reshape(x.shape)

        return evaluate


def catalogue(
    function: Iterable[str] = (), elementwise: Iterable[str] = (), base: Catalogue | None = None
) -> Catalogue:
    """`base` (the current catalogue) extended by the `--function` and `--elementwise` items, with values
    for those given with a formula: the catalogue a session holds."""
    names: dict[str, list[str]] = {"--function": [], "--elementwise": []}
    formulas: dict[str, Formula] = {}
    signatures: dict[str, Signature] = {}
    kinds: dict[str, type[_Formula]] = {"--function": ArrayFormula, "--elementwise": ElementFormula}
    for flag, items in (("--function", function), ("--elementwise", elementwise)):
        for item in split_items(items):
            typed = signature(item) if flag == "--function" else None
            if typed is not None:
                names[flag].append(typed[0])
                signatures[typed[0]] = typed[1]
                continue
            name, param, body = split_spec(item, flag)
            names[flag].append(name)
            if param is not None and body is not None:
                made = formulas[name] = kinds[flag](flag, name, param, body)
                if isinstance(made, ArrayFormula):
                    signatures[name] = made.signature
    base = current() if base is None else base
    return extended(base, names["--function"], names["--elementwise"], formulas, signatures)


@contextmanager
def declared_functions(function: Iterable[str] = (), elementwise: Iterable[str] = ()) -> Iterator[None]:
    """The `--function` and `--elementwise` items in the current catalogue for the `with` block (this
    thread only), with values for those given with a formula."""
    with using(catalogue(function, elementwise)):
        yield
