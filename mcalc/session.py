"""A session: everything one run of mcalc depends on, as one immutable value.

    >>> import mcalc
    >>> s = mcalc.Session(symmetric="S", scalar="c")
    >>> s.diff("c x^T S x", "x").text
    '2 c S x'

It holds the declarations (kinds, shapes, symmetric names, `let` definitions), the function catalogue they
make (the built-in catalogue extended by `function=` and `elementwise=`, a new value: the built-in one is
never changed), the view (layout, ASCII or Unicode) and the time budget. Each call makes them current for
itself alone (context variables, so threads sharing a session or holding their own never see each other's
state), and `declare(...)` returns a new session. `mcalc.diff` and `mcalc.check_claim` are one-call
sessions. The command line makes one per command, the interactive session one for its lifetime.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from mcalc import budget, declare, stack
from mcalc.declare import Decl
from mcalc.derivative import Derivative, ShapeAnswer, value_name, values_by_name
from mcalc.errors import InputError, McalcError, ReadingWarning, out_of_memory
from mcalc.python_words import python_phrasing
from mcalc.shapes import Declarations as ShapeDeclarations
from mcalc.view import Layout

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    from mcalc.claims.verdict import Verdict
    from mcalc.syntax.functions import Catalogue

Names = str | Iterable[str]
ShapeSpec = str | Mapping[str, str | int | Sequence[str | int]] | Iterable[str] | None
LetSpec = str | Mapping[str, str] | Iterable[str] | None


class DeclarationArgs(TypedDict, total=False):
    """The declarations every call takes, as the command line's options: `scalar="c,t"` or a list of names,
    `shape={"A": "m×n", "x": 3}` or `"A=3x4"`, `let={"e": "y - Phi theta"}`, `function="f"`, ..."""

    scalar: Names
    vector: Names
    matrix: Names
    symmetric: Names
    shape: ShapeSpec
    let: LetSpec
    function: Names
    elementwise: Names
    diagonal: Names
    toeplitz: Names


def decl_of(declarations: DeclarationArgs) -> Decl:
    """The declarations as the command line's option items (a misspelt keyword is a TypeError, as it would
    be in a signature that listed them)."""
    unknown = sorted(set(declarations) - set(DeclarationArgs.__annotations__))
    if unknown:
        known = ", ".join(DeclarationArgs.__annotations__)
        raise TypeError(f"unexpected keyword argument {unknown[0]!r} (declarations: {known})")
    d = declarations
    return Decl(
        _items(d.get("scalar", ())), _items(d.get("vector", ())), _items(d.get("matrix", ())),
        _items(d.get("symmetric", ())), _shape_items(d.get("shape")), _let_items(d.get("let")),
        _items(d.get("function", ())), _items(d.get("elementwise", ())),
        _items(d.get("diagonal", ())), _items(d.get("toeplitz", ())),
    )  # fmt: skip


class Session:
    """DeclarationArgs, the catalogue they make, the view and the budget: an immutable value (README § Python).

    `Session(scalar="c", symmetric="S", shape={"x": 3}, let={"e": "y - X w"}, function="f", layout="numerator")`;
    `time_limit` (seconds, None: none) bounds each call. Greek may be spelled out (`scalar="lambda"`)."""

    __slots__ = ("_decl", "_declarations", "_catalogue", "layout", "ascii", "time_limit", "_standing")

    _decl: Decl
    _declarations: ShapeDeclarations
    _catalogue: Catalogue
    layout: Layout
    ascii: bool
    time_limit: float | None
    _standing: bool  # kept for many calls (no warning for a declared name an expression does not use)

    def __init__(
        self,
        *,
        layout: str | Layout = Layout.MIXED,
        ascii: bool = False,
        time_limit: float | None = None,
        **declarations: Unpack[DeclarationArgs],
    ) -> None:
        self._set(decl_of(declarations), as_layout(layout), bool(ascii), _seconds(time_limit), standing=True)

    @classmethod
    def _of(cls, decl: Decl, layout: Layout, ascii_out: bool, time_limit: float | None, standing: bool) -> Session:
        """A session from checked settings (`declare`, `one_call`, unpickling)."""
        new = object.__new__(cls)
        new._set(decl, layout, ascii_out, time_limit, standing)
        return new

    def one_call(self) -> Session:
        """This session for a single call (`mcalc.diff(...)`): its declarations are that call's, so one the
        expression does not use is most likely a typo, and is warned about as on the command line."""
        return Session._of(self._decl, self.layout, self.ascii, self.time_limit, standing=False)

    def _set(self, decl: Decl, layout: Layout, ascii_out: bool, time_limit: float | None, standing: bool) -> None:
        from mcalc.formulas import catalogue
        from mcalc.syntax.functions import BUILT_IN

        with _as_mcalc_errors():  # a bad declaration is refused here, once, not at each call
            declarations = decl.build()
            functions = catalogue(decl.function, decl.elementwise, BUILT_IN)
        for name, value in (("_decl", decl), ("_declarations", declarations), ("_catalogue", functions),
                            ("layout", layout), ("ascii", ascii_out), ("time_limit", time_limit),
                            ("_standing", standing)):  # fmt: skip
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Session is immutable: session.declare({name}=...) makes a new one")

    def __repr__(self) -> str:
        return f"Session({self.declarations_text()})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its declarations and settings (the catalogue is made again from them): a session and
        its answers travel to other processes (`ProcessPoolExecutor.map(session.diff, …)`)."""
        return _restored, (self._decl, self.layout.value, self.ascii, self.time_limit, self._standing)

    def __copy__(self) -> Session:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> Session:
        return self

    def declarations_text(self) -> str:
        """The declarations in force, as keyword arguments (`scalar='c', symmetric='S'`)."""
        parts = [f"{k}={', '.join(v)!r}" for k, v in vars_of(self._decl).items() if v]
        if self.layout is not Layout.MIXED:
            parts.append(f"layout={self.layout.value!r}")
        return ", ".join(parts)

    def declare(
        self,
        *,
        layout: str | Layout | None = None,
        ascii: bool | None = None,
        time_limit: float | None = None,
        **declarations: Unpack[DeclarationArgs],
    ) -> Session:
        """A new session: these declarations added to this one's (a later shape of a name wins)."""
        more = vars_of(decl_of(declarations))
        return Session._of(
            self._decl.adding({k: v for k, v in more.items() if v}),
            self.layout if layout is None else as_layout(layout),
            self.ascii if ascii is None else bool(ascii),
            self.time_limit if time_limit is None else _seconds(time_limit),
            self._standing,
        )

    # --- the calls ---

    def diff(self, expr: str, wrt: Names, *, layout: str | Layout | None = None) -> Derivative:
        """Differentiate `expr` by `wrt` (a name, or a list of names for a second derivative)."""
        answer = self.derived(expr, _wrt_names(wrt), self.layout if layout is None else as_layout(layout))
        _warn(answer.warnings)
        return answer

    def derived(self, expr: str, names: list[str], layout: Layout) -> Derivative:
        """The derivative, without issuing its warnings (`diff` does; an unpickled answer is made again)."""
        from mcalc import pipeline

        with self.active():
            tree, env, _ = pipeline.prepare(expr, self._declarations, wrt=tuple(names), standing=self._standing)
            result = pipeline.differentiate_tree(expr, tree, env, names)
            return Derivative(result, layout, self)

    def check(
        self, expr: str, wrt: Names, claim: str, *, seed: int | None = None, layout: str | Layout | None = None
    ) -> Verdict:
        """Is `claim` the derivative of `expr` by `wrt`? Strict in `layout` (or the session's, when it is
        numerator or denominator): a transposed claim is then `wrong-layout`; in the mixed layout it is
        `layout` (right in the other convention, `.ok`)."""
        from mcalc.claims.diagnosis import diagnose

        names = _wrt_names(wrt)
        chosen = self.layout if layout is None else as_layout(layout)
        strict = None if chosen is Layout.MIXED else chosen
        with self.active():
            return diagnose(expr, names, claim, self._declarations, seed, strict)

    def evaluate(self, expr: str, **values: ArrayLike) -> NDArray[np.float64]:
        """The value of `expr` at `values` (`x=[1, 2]`, `A=[[1, 0], [0, 2]]`; Greek spelled out: `theta=`):
        a number as a 0-d array, a vector 1-d, a matrix 2-d."""
        from mcalc.answers import evaluate_at
        from mcalc.numeric.values import json_value

        loaded = values_by_name(values, value_name)
        with self.active():
            value, read, _ = evaluate_at(expr, loaded, self._declarations, self._standing)
            out = _array(json_value(value))
        _warn(read.warnings)
        return out

    eval = evaluate  # `session.eval(...)`, as the command is named (`def eval` would read as the builtin)

    def shape(self, expr: str, **values: ArrayLike) -> ShapeAnswer:
        """The shape of `expr` and of each of its names (sizes from `values`, if given)."""
        from mcalc.answers import shape_payload_of

        loaded = values_by_name(values, value_name)
        with self.active():
            payload = shape_payload_of(expr, self._declarations, loaded, self._standing)
        answer = ShapeAnswer.from_json(payload)
        _warn(answer.warnings)
        return answer

    def steps(self, expr: str, wrt: Names, *, layout: str | Layout | None = None) -> tuple[str, ...]:
        """The derivation of `expr` by `wrt`, one identity per line (as `mcalc diff --steps`)."""
        from mcalc.steps import render_steps
        from mcalc.steps.index import index_steps

        answer = self.diff(expr, wrt, layout=layout)
        chosen = self.layout if layout is None else as_layout(layout)
        with self.active():
            result = answer._result
            return tuple(render_steps(result, latex=False, layout=chosen) + index_steps(result))

    @contextmanager
    def active(self) -> Iterator[None]:
        """This session's catalogue, spelling and clock current for a `with` block, in this thread only;
        failures that input can cause raised as mcalc errors phrased for Python."""
        from mcalc.render.spelling import spelled
        from mcalc.syntax.functions import using

        with ExitStack() as scope:
            scope.enter_context(_as_mcalc_errors())
            scope.enter_context(using(self._catalogue))
            scope.enter_context(spelled(self.ascii))
            scope.enter_context(budget.running(self.time_limit))
            yield


def _restored(decl: Decl, layout: str, ascii_out: bool, time_limit: float | None, standing: bool) -> Session:
    return Session._of(decl, Layout(layout), ascii_out, time_limit, standing)


def vars_of(decl: Decl) -> dict[str, list[str]]:
    """The declaration fields of `decl` by name (scalar, vector, ...)."""
    return {name: list(getattr(decl, name)) for name in Decl.__dataclass_fields__}


def _warn(messages: Iterable[str]) -> None:
    """mcalc's warnings (what it read, what may be a mistake) through Python's `warnings`, from the caller's
    line; they are also kept on the answer's `.warnings`."""
    for message in messages:
        warnings.warn(python_phrasing(message), ReadingWarning, stacklevel=_callers_level())


def _callers_level() -> int:
    """The `stacklevel` of the first frame outside mcalc (`mcalc.diff` calls `Session.diff` calls `_warn`)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "mcalc":
        frame, level = frame.f_back, level + 1
    return level


def _array(value: Any) -> NDArray[np.float64]:
    import numpy as np

    return np.asarray(value, dtype=float)


# --- arguments ---


def _items(names: Names) -> list[str]:
    if isinstance(names, str):
        return [names]
    if not isinstance(names, Iterable):
        raise InputError(f"expected a name or a list of names, not {type(names).__name__}")
    items = list(names)
    bad = next((n for n in items if not isinstance(n, str)), None)
    if bad is not None:
        raise InputError(f"expected names as strings, not {type(bad).__name__} ({bad!r})")
    return items


def _wrt_names(wrt: Names) -> list[str]:
    names = declare.names(_items(wrt))
    if not names:
        raise InputError("say which variable to differentiate by: wrt='X'")
    return names


def _let_items(let: LetSpec) -> list[str]:
    """`{"e": "y - Phi theta"}`, `"e = y - Phi theta"` or `["e = ...", "L = ..."]` → `--let` items."""
    if let is None:
        return []
    if isinstance(let, Mapping):
        bad = next(((k, v) for k, v in let.items() if not (isinstance(k, str) and isinstance(v, str))), None)
        if bad is not None:
            raise InputError(f"let={{{bad[0]!r}: {bad[1]!r}}}: a definition is a name and an expression, both strings")
        return [f"{name} = {text}" for name, text in let.items()]
    return _items(let)


def _shape_items(shape: ShapeSpec) -> list[str]:
    """`{"A": "m×n", "x": 3, "B": (3, 4)}`, `"A=3x4"` or `["A=3x4", "x=n"]` → `--shape` items."""
    if shape is None:
        return []
    if isinstance(shape, Mapping):
        out = []
        for name, dims in shape.items():
            parts = [dims] if isinstance(dims, (str, int)) else list(dims)
            if any(isinstance(d, bool) or not isinstance(d, (str, int)) for d in parts):
                raise InputError(f"shape={{{name!r}: {dims!r}}}: a shape is a size, a name, or a tuple of them")
            out.append(f"{name}={'x'.join(str(d) for d in parts)}")
        return out
    return _items(shape)


def _seconds(time_limit: float | None) -> float | None:
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit >= 0:
        raise InputError(f"time_limit={time_limit!r}: give a number of seconds ≥ 0 (0 or None for no limit)")
    return float(time_limit) or None


def as_layout(layout: str | Layout) -> Layout:
    try:
        return Layout(layout)
    except ValueError:
        choices = ", ".join(repr(x.value) for x in Layout)
        raise InputError(f"layout {layout!r} is not one of {choices}") from None


@contextmanager
def _as_mcalc_errors() -> Iterator[None]:
    """Failures that input can cause, as the mcalc errors the CLI reports for them, their text (`str(exc)`)
    the whole one-line message with its position and its fix, phrased for Python (`scalar="c"`)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(stack.recursion_limit())  # what this thread's real stack can take
    try:
        yield
    except McalcError as exc:
        exc.args = (python_phrasing(exc.one_line()),)
        raise
    except RecursionError:
        raise InputError("expression nested too deeply") from None
    except MemoryError as exc:
        raise out_of_memory(exc) from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):  # Python's 4,300-digit limit on int → text
            raise
        raise InputError("number too large: more than 4,300 digits; mcalc works with at most 300 digits") from None
    finally:
        sys.setrecursionlimit(old)
