"""What the Python API answers: a `Derivative` (the fields of `mcalc diff --format json`, with values,
generated code and SymPy on request) and a `ShapeAnswer` (`mcalc shape`). A `Session` makes them; each
keeps its session, whose catalogue, spelling and budget are current again for every later call."""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from mcalc import declare, pipeline
from mcalc.declare import greek
from mcalc.errors import InputError
from mcalc.pipeline import Result
from mcalc.reading import Reading
from mcalc.view import Layout


class Scope(Protocol):
    """What an answer needs of the session that made it: its state made current for a call (mcalc.session)."""

    def active(self) -> AbstractContextManager[None]: ...

    def derived(self, expr: str, names: list[str], layout: Layout) -> Derivative: ...


if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    from mcalc.numeric.check import CheckResult
    from mcalc.render.forms import Forms

T = TypeVar("T")


class Derivative:
    """A derivative as mcalc computed it: the same fields as `mcalc diff --format json`.

    `text`, `equation`, `latex` and `equation_latex` follow the layout asked for; `shape` (the JSON
    `shape`: shape(EXPR) + shape(VAR), dimension names or sizes), `kind` and `value()` never depend on it.
    Each form is written out when first read and kept: one too long to write out (past the printer's bound,
    mcalc.render.printer.MAX_WRITTEN) raises `mcalc.InputError` when read, with the command line's message,
    and the other forms, `value()` and the exported code still answer.
    """

    def __init__(self, result: Result, layout: Layout, session: Scope) -> None:
        from mcalc.render.forms import Forms

        self._result = result
        self._layout = layout
        self._session = session  # its catalogue, spelling and budget are current for each later call
        # value() binds the symbolic sizes of the shared result for its call (m = 3), and a form read meanwhile
        # would show them: one call at a time per answer, so threads sharing a Derivative never see each
        # other's sizes
        self._binding = threading.Lock()
        self._forms = Forms(result, layout)  # each written out on first use (a derivative's LaTeX can pass 400 M)
        self._sources: dict[str, str] = {}  # the exported modules by backend, each written on first use
        self.expression: str = result.source
        self.wrt: tuple[str, ...] = tuple(result.wrt)
        self.kind: str = result.final.kind.value
        self.layout: str = layout.value
        self.reading: Reading = pipeline.reading(result)
        self.warnings: tuple[str, ...] = self.reading.warnings

    def _form(self, read: Callable[[Forms], T]) -> T:
        """A form of the answer, written out now (in the session's spelling, on its clock) or kept from before."""
        with self._binding, self._session.active():
            return read(self._forms)

    @property
    def text(self) -> str:
        """The derivative (`--format json`'s `derivative`)."""
        return self._form(lambda f: f.derivative)

    @property
    def latex(self) -> str:
        """The derivative in LaTeX (`latex`), written out when first read."""
        return self._form(lambda f: f.latex)

    @property
    def equation(self) -> str:
        """The whole equation, `∂/∂X f = …`."""
        return self._form(lambda f: f.equation)

    @property
    def equation_latex(self) -> str:
        """The whole equation in LaTeX."""
        return self._form(lambda f: f.equation_latex)

    @property
    def shape(self) -> tuple[str | int, ...]:
        """shape(EXPR) + shape(VAR) (the JSON `shape`), whatever the layout."""
        return self._form(lambda f: tuple(f.shape))

    @property
    def display_shape(self) -> str:
        """The shape line in this layout (`m×n`, `m (vector)`, `scalar`, `(m×n)×(p×q)`)."""
        return self._form(lambda f: f.display_shape)

    @property
    def variables(self) -> dict[str, tuple[str | int, ...]]:
        """Each name's shape."""
        from mcalc.render.report import variables_json

        return self._form(lambda f: {k: tuple(v) for k, v in variables_json(f.result.env).items()})

    def __repr__(self) -> str:
        return f"<Derivative {self.equation}, shape {self.display_shape}>"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the question (its session, the expression, the variables, the layout) and answered
        again when loaded: the engine's trees hold closures that do not pickle, and an answer is cheaper to
        recompute than to ship. The same question gives the same answer (the engine is deterministic)."""
        return _answered_again, (self._session, self.expression, list(self.wrt), self._layout.value)

    def __deepcopy__(self, memo: dict[int, Any]) -> Derivative:
        return self  # every field is read-only

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
        from mcalc.export.numpy_code import python_names

        exported = {py: name for name, py in python_names(self._result).items()}
        loaded = values_by_name(arrays, lambda k: exported.get(k, value_name(k)))
        with self._binding, _sizes_restored(self._result), self._session.active():
            value: NDArray[np.float64] = pipeline.value_at(self._result, loaded, rename=greek)
        return value

    def check(self, seed: int | None = None) -> CheckResult:
        """The derivative against central finite differences at random points (as `--check`)."""
        from mcalc.numeric.budget import CHECK_FREE_SIZE

        # the check binds the sizes of the shared result (m = 3) as value() does: a form written meanwhile by
        # another thread would show them, and be kept
        with self._binding, self._session.active():
            pipeline.within_budget(self._result, free=CHECK_FREE_SIZE)
            return pipeline.check(self._result, seed)  # type: ignore[no-any-return]

    @property
    def numpy_source(self) -> str:
        """A self-contained Python module, numpy only (`--format numpy`): `f` (the expression's value), the
        derivative as `value()` computes it (`grad`, `jacobian`, `hessian` or `derivative`) and `f_and_…`
        (both, shared sub-expressions computed once)."""
        return self._source("numpy")

    @property
    def jax_source(self) -> str:
        """The same three functions in `jax.numpy` (`--format jax`): pure, traceable by `jax.jit`, batched
        by `jax.vmap`, dtype-preserving (float32 stays float32); a scalar value is a 0-d array."""
        return self._source("jax")

    @property
    def torch_source(self) -> str:
        """The same three functions in PyTorch (`--format torch`): pure, traceable by `torch.compile`, batched
        by `torch.func.vmap`, dtype- and device-preserving; a scalar value is a 0-d tensor."""
        return self._source("torch")

    def _source(self, backend: str) -> str:
        from mcalc.export.backends import BACKENDS
        from mcalc.export.numpy_code import render_code

        if backend not in BACKENDS:
            raise InputError(f"no backend {backend!r}: mcalc writes code for {', '.join(BACKENDS)}")
        with self._binding, self._session.active():  # the sizes as the answer has them, not value()'s
            source = self._sources.get(backend)
            if source is None:
                source = self._sources[backend] = render_code(self._result, None, BACKENDS[backend])
            return source

    def to_sympy(self) -> Any:
        """The derivative as a SymPy matrix expression (`MatrixSymbol`, `Trace`, `Inverse`, ...) in this
        layout, built from mcalc's result; in the mixed layout its entries, unfolded column-major, are
        `value()`. Imports sympy."""
        from mcalc.export.sympy_expr import to_sympy

        with self._binding, self._session.active():  # the sizes as the answer has them, not value()'s
            return to_sympy(self._result, self._layout)

    def to_function(self, backend: str = "numpy") -> Callable[..., Any]:
        """The derivative function of `numpy_source` (`jax_source`, `torch_source` for backend="jax",
        "torch"): parameters are the variables in order of appearance, named as the source names them (θ is
        `theta`; a keyword, builtin or name of the module gets a `_`: λ is `lambda_`, f is `f_`; its
        docstring lists them)."""
        from mcalc.export.numpy_code import function_name

        return _compile_generated(self._source(backend), function_name(self._result))


def _answered_again(session: Scope, expr: str, wrt: list[str], layout: str) -> Derivative:
    return session.derived(expr, wrt, Layout(layout))


def _shape_latex(shape: str) -> str:
    """`m×n` → `m\\times n`; the words of `m (vector)` and `scalar` upright, as text."""
    if shape == "scalar":
        return r"\text{scalar}"
    return shape.replace("×", r"\times ").replace(" (vector)", r"\ \text{(vector)}")


class ShapeAnswer:
    """The shape of an expression and of each of its names (`mcalc shape`, `Session.shape`)."""

    __slots__ = ("expression", "shape", "display_shape", "variables", "kinds", "warnings")

    def __init__(
        self,
        expression: str,
        shape: tuple[str | int, ...],
        display_shape: str,
        variables: dict[str, tuple[str | int, ...]],
        kinds: dict[str, str],
        warnings: tuple[str, ...],
    ) -> None:
        self.expression, self.shape, self.display_shape = expression, shape, display_shape
        self.variables, self.kinds, self.warnings = variables, kinds, warnings

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> ShapeAnswer:
        variables = {k: tuple(v) for k, v in payload["variables"].items()}
        return cls(payload["expression"], tuple(payload["shape"]), payload["display_shape"], variables,
                   dict(payload["kinds"]), tuple(payload["warnings"]))  # fmt: skip

    def __repr__(self) -> str:
        return f"<ShapeAnswer {self.expression} : {self.display_shape}>"

    def __str__(self) -> str:
        return self.display_shape


@contextmanager
def _sizes_restored(result: Result) -> Iterator[None]:
    """Values bind the symbolic sizes (m = 3); the Derivative stays symbolic for the next call."""
    saved = dict(result.env.sizes)
    try:
        yield
    finally:
        result.env.sizes.clear()
        result.env.sizes.update(saved)


# --- the exported code, as a function ---

GENERATED = "<mcalc numpy export>"
# the one import a generated module may have: its library (mcalc.export.backends' headers)
_LIBRARIES = {("numpy", "np"), ("jax.numpy", "jnp"), ("torch", None)}


def _compile_generated(source: str, name: str) -> Callable[..., Any]:
    """Run mcalc's own generated numpy (jax, torch) module (render_code) in a fresh namespace and return `name`.

    This is the one place mcalc compiles code, and it never compiles user text: the source is built from
    mcalc's result tree; user text reaches it only inside the docstring, and the lexer admits neither quotes
    nor backslashes, so it cannot end the string. As a second guard the module must consist of
    one import of `_LIBRARIES` and function definitions only."""
    import importlib.util

    module = ast.parse(source, GENERATED)
    for node in module.body:
        imported = [(a.name, a.asname) for a in node.names] if isinstance(node, ast.Import) else []
        if len(imported) == 1 and imported[0] in _LIBRARIES:
            package = imported[0][0].partition(".")[0]
            if importlib.util.find_spec(package) is None:  # the message names the fix, not a traceback
                raise ImportError(f"this function needs {package}: pip install {package} (or mcalc[export])")
        elif not isinstance(node, ast.FunctionDef):
            raise RuntimeError(f"generated code has an unexpected statement at line {node.lineno}")
    namespace: dict[str, Any] = {"__name__": "mcalc_generated"}
    exec(compile(module, GENERATED, "exec"), namespace)  # noqa: S102 - our generated code, checked above
    function: Callable[..., Any] = namespace[name]
    return function


def value_name(key: str) -> str:
    """`A'` or `A′` (the derivative of A(t)) → `A′`; Greek spelled out → the letter (`theta` → `θ`)."""
    base = key.strip().rstrip("'′")
    return declare.greek(base) + "′" * (len(key.strip()) - len(base))


def as_array(name: str, raw: ArrayLike) -> NDArray[np.float64]:
    # the same checks as --at values (real, finite, at most 2-d, not empty)
    from mcalc.numeric.values import _check_array

    if isinstance(raw, (str, bytes)):
        raise InputError(f"{name}: give numbers (a number, a list, a numpy array), not {type(raw).__name__}")
    checked: NDArray[np.float64] = _check_array(name, raw)
    return checked


def values_by_name(arrays: Mapping[str, ArrayLike], name_of: Callable[[str], str]) -> dict[str, NDArray[np.float64]]:
    """Keyword values by the name the expression reads (`theta=` and `θ=` are both θ); one name given twice
    under two spellings is refused naming both, as `--at λ=1 --at lambda=2` is."""
    out: dict[str, NDArray[np.float64]] = {}
    spelled: dict[str, str] = {}
    for key, raw in arrays.items():
        name = name_of(key)
        if name in spelled:
            raise InputError(f"{name} is given twice: {spelled[name]}= and {key}=; give one")
        spelled[name] = key
        out[name] = as_array(key, raw)
    return out
