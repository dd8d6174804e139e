"""mcalc from Python: `mcalc.diff(...)` and `mcalc.check_claim(...)`.

The same engine, declarations and conventions as the command line (README § Python), without typer or
rich, and without numpy or sympy until a number or a SymPy expression is asked for. Errors are the
`mcalc.errors` classes (`ParseError`, `ShapeError`, ...), each with `.position` (0-based column) and
`.message`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mcalc import declare, pipeline, stack
from mcalc.claims.diagnosis import Verdict, diagnose
from mcalc.errors import InputError
from mcalc.formulas import declared_functions
from mcalc.pipeline import Result
from mcalc.reading import Reading
from mcalc.shapes import Declarations
from mcalc.view import Layout

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    from mcalc.numeric.check import CheckResult

Names = str | Iterable[str]
ShapeSpec = str | Mapping[str, str | int | Sequence[str | int]] | Iterable[str] | None
LetSpec = str | Mapping[str, str] | Iterable[str] | None


class Derivative:
    """A derivative as mcalc computed it: the same fields as `mcalc diff --format json`.

    `text`, `equation`, `latex` and `equation_latex` follow the layout asked for; `shape` (the JSON
    `shape`: shape(EXPR) + shape(VAR), dimension names or sizes), `kind` and `value()` never depend on it.
    """

    def __init__(self, result: Result, layout: Layout, functions: tuple[list[str], list[str]] = ([], [])) -> None:
        from mcalc.render.report import to_json

        self._result = result
        self._layout = layout
        self._functions = functions  # --function and --elementwise names: in the catalogue for each call
        payload = to_json(result, layout)
        self.expression: str = payload["expression"]
        self.wrt: tuple[str, ...] = tuple(result.wrt)
        self.text: str = payload["derivative"]
        self.latex: str = payload["latex"]
        self.equation: str = payload["equation"]
        self.equation_latex: str = payload["equation_latex"]
        self.shape: tuple[str | int, ...] = tuple(payload["shape"])
        self.display_shape: str = payload["display_shape"]
        self.kind: str = payload["kind"]
        self.layout: str = layout.value
        self.variables: dict[str, tuple[str | int, ...]] = {k: tuple(v) for k, v in payload["variables"].items()}
        self.reading: Reading = pipeline.reading(result)
        self.warnings: tuple[str, ...] = self.reading.warnings

    def __repr__(self) -> str:
        return f"<Derivative {self.equation}, shape {self.display_shape}>"

    def __str__(self) -> str:
        return self.equation

    def _repr_latex_(self) -> str:
        """Jupyter shows the equation and its shape, typeset."""
        return rf"$$ {self.equation_latex} \qquad \text{{shape: }} {_shape_latex(self.display_shape)} $$"

    def value(self, **arrays: ArrayLike) -> NDArray[np.float64]:
        """The derivative at these values: the contract's layout-free tensor (README § Numeric values).

        Scalars as numbers or 0-d arrays, vectors 1-d, matrices 2-d; sizes come from the arrays. Greek names
        may be spelled out (`theta=...`); the derivatives of A(t) are passed as `**{"A'": ...}`; the keywords
        of `to_function()` work too (`lambda_=...`, `dA_dt=...`). The shape is shape(EXPR) + shape(VAR) and
        the entry [i…, k…] is ∂EXPR[i…]/∂VAR[k…]."""
        from mcalc.render.numpy_code import python_names

        exported = {py: name for name, py in python_names(self._result).items()}
        loaded = {exported.get(k, _value_name(k)): _as_array(k, v) for k, v in arrays.items()}
        with _sizes_restored(self._result), _as_mcalc_errors(), declared_functions(*self._functions):
            value: NDArray[np.float64] = pipeline.value_at(self._result, loaded, rename=declare.greek)
        return value

    def check(self, seed: int | None = None) -> CheckResult:
        """The derivative against central finite differences at random points (as `--check`)."""
        from mcalc.numeric.budget import CHECK_FREE_SIZE

        with _as_mcalc_errors(), declared_functions(*self._functions):
            pipeline.within_budget(self._result, free=CHECK_FREE_SIZE)
            return pipeline.check(self._result, seed)  # type: ignore[no-any-return]

    @property
    def numpy_source(self) -> str:
        """A self-contained Python module, numpy only (`--format numpy`): `f` (the expression's value), the
        derivative as `value()` computes it (`grad`, `jacobian`, `hessian` or `derivative`) and `f_and_…`
        (both, shared sub-expressions computed once)."""
        from mcalc.render.numpy_code import render_numpy

        with declared_functions(*self._functions):
            return render_numpy(self._result)

    def to_sympy(self) -> Any:
        """The derivative as a SymPy matrix expression (`MatrixSymbol`, `Trace`, `Inverse`, ...) in this
        layout, built from mcalc's result; in the mixed layout its entries, unfolded column-major, are
        `value()`. Imports sympy."""
        from mcalc.render.sympy_expr import to_sympy

        with declared_functions(*self._functions):
            return to_sympy(self._result, self._layout)

    def to_function(self) -> Callable[..., NDArray[np.float64]]:
        """The derivative function of `numpy_source`: parameters are the variables in order of appearance,
        named as `numpy_source` names them (θ is `theta`; a keyword, builtin or name of the module gets a
        `_`: λ is `lambda_`, f is `f_`; its docstring lists them)."""
        from mcalc.render.numpy_code import function_name

        return _compile_generated(self.numpy_source, function_name(self._result))


def _shape_latex(shape: str) -> str:
    """`m×n` → `m\\times n`; the words of `m (vector)` and `scalar` upright, as text."""
    if shape == "scalar":
        return r"\text{scalar}"
    return shape.replace("×", r"\times ").replace(" (vector)", r"\ \text{(vector)}")


def diff(
    expr: str,
    wrt: Names,
    *,
    scalar: Names = (),
    vector: Names = (),
    matrix: Names = (),
    symmetric: Names = (),
    shape: ShapeSpec = None,
    let: LetSpec = None,
    function: Names = (),
    elementwise: Names = (),
    layout: str | Layout = "mixed",
) -> Derivative:
    """Differentiate `expr` by `wrt` (a name, or a list of names for a second derivative).

    >>> import mcalc
    >>> mcalc.diff("tr(A B)", "A").text
    'Bᵀ'

    Declarations are those of the command line: `scalar="c,t"` or `scalar=["c", "t"]`,
    `symmetric="S"`, `shape={"A": "m×n", "x": 3}` (or `shape="A=3x4"`); Greek may be spelled out
    (`wrt="theta"`). Named intermediates are `--let`'s: `let={"e": "y - Phi theta"}` (in order: a later
    name may use an earlier one) or `let=["e = y - Phi theta", "L = e^T e"]`. Abstract functions are
    `--function`'s and `--elementwise`'s: `function="f"` (`f(A x)` by x is `Aᵀ ∇f(Ax)`), `elementwise="g"`.
    Raises `mcalc.McalcError` (a subclass naming the kind of error) with `.position`.
    """
    names = _wrt_names(wrt)
    decl = _declarations(scalar, vector, matrix, symmetric, shape, let)
    chosen = _layout(layout)
    functions = (_items(function), _items(elementwise))
    with _as_mcalc_errors(), declared_functions(*functions):
        tree, env, _ = pipeline.prepare(expr, decl, wrt=tuple(names))
        result = pipeline.differentiate_tree(expr, tree, env, names)
        return Derivative(result, chosen, functions)


def check_claim(
    expr: str,
    wrt: Names,
    claim: str,
    *,
    scalar: Names = (),
    vector: Names = (),
    matrix: Names = (),
    symmetric: Names = (),
    shape: ShapeSpec = None,
    let: LetSpec = None,
    function: Names = (),
    elementwise: Names = (),
    seed: int | None = None,
    layout: str | Layout | None = None,
) -> Verdict:
    """Is `claim` the derivative of `expr` by `wrt`? The verdict of `mcalc check`: `.ok`, `.verdict`
    (`correct`, `layout`, `factor`, `missing-term`, `extra-term`, `wrong-shape`, `wrong`), `.explanation`.

    Without `layout`, the transpose of the derivative is `layout` (right in the other convention, `.ok`);
    with `layout="numerator"` or `"denominator"` the claim must be the derivative in that layout, and its
    transpose is `wrong-layout` (not `.ok`).
    """
    names = _wrt_names(wrt)
    decl = _declarations(scalar, vector, matrix, symmetric, shape, let)
    functions = (_items(function), _items(elementwise))
    strict = None if layout is None else _layout(layout)
    with _as_mcalc_errors(), declared_functions(*functions):
        return diagnose(expr, names, claim, decl, seed, strict)


# --- arguments ---


def _items(names: Names) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


def _wrt_names(wrt: Names) -> list[str]:
    names = declare.names(_items(wrt))
    if not names:
        raise InputError("say which variable to differentiate by: wrt='X'")
    return names


def _declarations(
    scalar: Names, vector: Names, matrix: Names, symmetric: Names, shape: ShapeSpec, let: LetSpec = None
) -> Declarations:
    return declare.declarations(
        _items(scalar), _items(vector), _items(matrix), _items(symmetric), _shape_items(shape), _let_items(let)
    )


def _let_items(let: LetSpec) -> list[str]:
    """`{"e": "y - Phi theta"}`, `"e = y - Phi theta"` or `["e = ...", "L = ..."]` → `--let` items."""
    if let is None:
        return []
    if isinstance(let, Mapping):
        return [f"{name} = {text}" for name, text in let.items()]
    return _items(let)


def _shape_items(shape: ShapeSpec) -> list[str]:
    """`{"A": "m×n", "x": 3, "B": (3, 4)}`, `"A=3x4"` or `["A=3x4", "x=n"]` → `--shape` items."""
    if shape is None:
        return []
    if isinstance(shape, Mapping):
        out = []
        for name, dims in shape.items():
            text = str(dims) if isinstance(dims, (str, int)) else "x".join(str(d) for d in dims)
            out.append(f"{name}={text}")
        return out
    return _items(shape)


def _layout(layout: str | Layout) -> Layout:
    try:
        return Layout(layout)
    except ValueError:
        choices = ", ".join(repr(x.value) for x in Layout)
        raise InputError(f"layout {layout!r} is not one of {choices}") from None


def _value_name(key: str) -> str:
    """`A'` or `A′` (the derivative of A(t)) → `A′`; Greek spelled out → the letter (`theta` → `θ`)."""
    base = key.strip().rstrip("'′")
    return declare.greek(base) + "′" * (len(key.strip()) - len(base))


def _as_array(name: str, raw: ArrayLike) -> NDArray[np.float64]:
    # the same checks as --at values (real, finite, at most 2-d, not empty)
    from mcalc.numeric.values import _check_array

    checked: NDArray[np.float64] = _check_array(name, raw)
    return checked


@contextmanager
def _sizes_restored(result: Result) -> Iterator[None]:
    """Values bind the symbolic sizes (m = 3); the Derivative stays symbolic for the next call."""
    saved = dict(result.env.sizes)
    try:
        yield
    finally:
        result.env.sizes.clear()
        result.env.sizes.update(saved)


@contextmanager
def _as_mcalc_errors() -> Iterator[None]:
    """Failures that input can cause, as the mcalc errors the CLI reports for them."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(stack.recursion_limit())  # what this thread's real stack can take
    try:
        yield
    except RecursionError:
        raise InputError("expression nested too deeply") from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):  # Python's 4,300-digit limit on int → text
            raise
        raise InputError("number too large: more than 4,300 digits; mcalc works with at most 300 digits") from None
    finally:
        sys.setrecursionlimit(old)


# --- the exported code, as a function ---

GENERATED = "<mcalc numpy export>"


def _compile_generated(source: str, name: str) -> Callable[..., Any]:
    """Run mcalc's own generated numpy module (render_numpy) in a fresh namespace and return `name`.

    This is the one place mcalc compiles code, and it never compiles user text: the source is built from
    mcalc's result tree; user text reaches it only inside the docstring, and the lexer admits neither quotes
    nor backslashes, so it cannot end the string. As a second guard the module must consist of
    `import numpy as np` and function definitions only."""
    module = ast.parse(source, GENERATED)
    for node in module.body:
        is_numpy = isinstance(node, ast.Import) and [(a.name, a.asname) for a in node.names] == [("numpy", "np")]
        if not (is_numpy or isinstance(node, ast.FunctionDef)):
            raise RuntimeError(f"generated code has an unexpected statement at line {node.lineno}")
    namespace: dict[str, Any] = {"__name__": "mcalc_generated"}
    exec(compile(module, GENERATED, "exec"), namespace)  # noqa: S102 - our generated code, checked above
    function: Callable[..., Any] = namespace[name]
    return function
