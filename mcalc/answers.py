"""What each command answers, as data: the payload `--format json` prints (and the other formats render),
computed from the command's inputs. The CLI (mcalc/cli/commands.py) parses flags, calls these and renders.

Values given with `--at` are loaded before the shapes are inferred (an undeclared name takes its kind
from its value), with Greek names spelled as mcalc prints them (theta → θ).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mcalc import reading
from mcalc.declare import Decl, greek, line_options
from mcalc.errors import InputError
from mcalc.export import SOURCES
from mcalc.view import Format, Part, View

if TYPE_CHECKING:
    from mcalc.pipeline import Result
    from mcalc.shapes import Declarations


def scoped(decl: Decl, body: Callable[[], int]) -> Callable[[], int]:
    """`body` with the --function and --elementwise declarations in the catalogue while it runs."""

    def run() -> int:
        from mcalc.formulas import declared_functions

        with declared_functions(decl.function, decl.elementwise):
            return body()

    return run


def batch_lines(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str, str]]:
    """The lines of a batch (`mcalc diff -`) that hold an expression: (line number, the line, EXPR)."""
    for number, raw in lines:
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line, line.partition(";")[0].strip()


def batch_line(line: str) -> tuple[str, list[str], dict[str, list[str]]]:
    """`EXPR [; VAR, VAR [; --scalar c --let ...]]` → (EXPR, VARs, the line's own declarations)."""
    expr, _, rest = line.partition(";")
    if "\r" in rest:  # `A\rx^T x ; x`: lines ending in \r alone are one line (was "unknown option 'x'")
        raise InputError("this line holds a carriage return (\\r) after its expression: lines are split on \\n only "
                         "(convert a file with \\r line endings: tr '\\r' '\\n')")  # fmt: skip
    var, sep, opts = rest.partition(";")
    wrt = [v.strip() for v in var.split(",") if v.strip()]
    return expr.strip(), wrt, line_options(opts) if sep and opts.strip() else {}


def load(specs: list[str]) -> dict[str, Any]:
    """The --at values, Greek names spelled as mcalc prints them (theta → θ)."""
    if not specs:
        return {}
    from mcalc.numeric.values import load_values

    return load_values(specs, spell=greek)


def value_shapes(values: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {name: tuple(getattr(v, "shape", ())) for name, v in values.items()}


# --- diff ---


def derive(expr: str, wrt: list[str], decl: Decl, loaded: dict[str, Any]) -> Result:
    """The derivative of `expr` by each of `wrt` in turn."""
    from mcalc import pipeline

    tree, env, _ = pipeline.prepare(expr, decl.build(), wrt=tuple(wrt), value_shapes=value_shapes(loaded))
    return pipeline.differentiate_tree(expr, tree, env, wrt)


def numeric_check(result: Result, seed: int | None) -> Any:
    """`--check`: finite differences at random points (within the numeric budget)."""
    from mcalc import pipeline
    from mcalc.numeric.budget import CHECK_FREE_SIZE

    pipeline.within_budget(result, CHECK_FREE_SIZE)
    return pipeline.check(result, seed)


# What each format shows of a derivative: only those parts of its payload are written out, so the printer's
# length bound refuses only a form that is shown (`--format numpy` of the 100-deep sin tower's third derivative
# wrote its 130-million-character text and 439-million-character LaTeX for nothing, and was refused for the
# LaTeX; plain text wrote the LaTeX of a 3,000-term input). LaTeX output writes the text too: whether it shows
# the `where` form is decided on the text's length, as for the text output. The index and vec parts are
# written for a tensor, or when their format is asked for.
_TEXT = frozenset({Part.TEXT, Part.INDEX})
SHOWS: dict[Format | None, frozenset[Part]] = {
    None: _TEXT,  # rich text on a terminal, plain text otherwise
    Format.TEXT: _TEXT,
    Format.JSON: frozenset({Part.TEXT, Part.LATEX, Part.INDEX, Part.VEC}),
    Format.LATEX: frozenset({Part.TEXT, Part.LATEX, Part.INDEX, Part.INDEX_LATEX}),
    Format.INDEX: frozenset({Part.INDEX}),
    Format.VEC: frozenset({Part.TEXT, Part.VEC}),
    **{code: frozenset() for code in SOURCES},  # the code alone
}


def diff_payload(
    result: Result,
    view: View,
    *,
    at: dict[str, Any] | None,
    check: bool,
    seed: int | None,
    steps: bool,
    line: int | None = None,
) -> tuple[dict[str, Any], bool]:
    """The payload of `mcalc diff` in `view`, with the value at the values `at` (loaded), a numeric check
    and the steps when asked; and whether the check failed (an inconclusive one has not). `line`: the input
    line of a batch, whose number exported code carries in its names (`grad_3`, `derivative_3`)."""
    from mcalc import pipeline
    from mcalc.numeric.values import json_value
    from mcalc.render import report

    # values first: they fix the sizes that `shape` and `variables` then report
    value = json_value(pipeline.value_at(result, at, rename=greek)) if at is not None else None
    from mcalc.render.forms import Forms, payload_of

    shows = SHOWS[view.format]
    payload = payload_of(Forms(result, view.layout), shows)
    failed = False
    if value is not None:
        payload["value"] = value
    if seed is not None and not check:  # --seed only picks --check's random points
        payload["warnings"].append("--seed has no effect without --check")
    if check:
        outcome = numeric_check(result, seed)
        payload["check"] = outcome.to_json()
        failed = not outcome.passed and not outcome.inconclusive  # inconclusive is said, not failed
    if steps:
        from mcalc.steps import render_steps
        from mcalc.steps.index import index_steps

        payload["steps"] = render_steps(result, view.layout) + index_steps(result)
        if view.format is Format.LATEX:
            with report.names_apart(result):
                latex_steps = render_steps(result, view.layout, latex=True) + index_steps(result, latex=True)
            payload["steps_latex"] = latex_steps
    _extras(result, payload, view, line, shows)
    return payload, failed


def _extras(result: Result, payload: dict[str, Any], view: View, line: int | None, shows: frozenset[Part]) -> None:
    """Index and vec notation (a tensor, or asked for) where the format shows them, NumPy or SymPy source
    (asked for)."""
    from mcalc.pipeline import DerivKind

    if result.final.kind is DerivKind.TENSOR or view.format in (Format.INDEX, Format.VEC):
        from mcalc.render.index_higher import render_any_index

        if Part.INDEX in shows:
            payload["index"] = render_any_index(result)
        if Part.INDEX_LATEX in shows:
            from mcalc.render.report import names_apart

            with names_apart(result):
                payload["index_latex"] = render_any_index(result, latex=True)
        if Part.VEC in shows:
            payload["vec"] = payload["equation"]
    if view.format in SOURCES:
        payload[str(view.format)] = SOURCES[view.format](result, view.layout, line)


# --- check --at, eval, shape ---


def claim_at(expr: str, wrt: list[str], claim: str, decl: Any, at: list[str]) -> tuple[bool, float]:
    """`check --at`: do the claim and the derivative agree at the point given? (and the largest gap)"""
    import numpy as np

    from mcalc import pipeline
    from mcalc.claims.sampling import close
    from mcalc.numeric.evaluate import evaluate
    from mcalc.numeric.given import bind_values

    loaded = load(at)
    tree, env, (claim_tree,) = pipeline.prepare(
        expr, decl, extra=(claim,), wrt=tuple(wrt), value_shapes=value_shapes(loaded)
    )
    result = pipeline.differentiate_tree(expr, tree, env, wrt)
    values = bind_values(env, loaded, list(env.kinds), [tree], rename=greek)
    truth = np.asarray(evaluate(result.final.result, env, values), dtype=float)
    mine = np.asarray(evaluate(claim_tree, env, values), dtype=float)
    if mine.shape != truth.shape and mine.T.shape == truth.shape:
        mine = mine.T
    # relative, as at random points (claims.sampling.close): an absolute 1e-9 let any two derivatives under it agree
    agree = mine.shape == truth.shape and close(mine, truth)
    gap = float(np.max(np.abs(mine - truth))) if mine.shape == truth.shape else float("inf")
    return agree, gap


def eval_payload(expr: str, at: list[str], decl: Decl) -> dict[str, Any]:
    """`mcalc eval`: the value of EXPR at the values given (refused without values, or where undefined)."""
    from mcalc.numeric.values import json_value
    from mcalc.render.report import variables_json

    value, read, env = evaluate_at(expr, load(at), decl.build())

    payload = {
        "expression": expr,
        "value": json_value(value),
        "variables": variables_json(env),
        "reading": read.to_json(),
        "warnings": list(read.warnings),
    }
    return _with_lets(env, payload)


def evaluate_at(expr: str, loaded: dict[str, Any], decl: Declarations, standing: bool = False) -> tuple[Any, Any, Any]:
    """The value of EXPR at `loaded` (name → array), what was read, and the shapes: `mcalc eval` and
    `Session.eval`. Refused without values for its names, where a function has none, or where undefined."""
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.budget import check_trees
    from mcalc.numeric.given import bind_values, explain_nonfinite
    from mcalc.syntax.declared import refuse_numbers

    tree, env, _ = pipeline.prepare(expr, decl, value_shapes=value_shapes(loaded), standing=standing)
    refuse_numbers([tree], "values")
    if not loaded and env.kinds:
        names = ", ".join(env.kinds)
        raise InputError(f"mcalc eval needs values: --at NAME=JSON or --at FILE.npz (variables: {names})")
    values = bind_values(env, loaded, list(env.kinds), [tree], rename=greek)
    check_trees(env, [tree], free=1)
    with np.errstate(all="ignore"):
        value = pipeline.evaluate_expression(tree, env, values)
    problem = explain_nonfinite(tree, env, values) if not np.all(np.isfinite(value)) else None
    if problem is not None:
        raise problem
    return value, reading.read(env, tree), env


def shape_payload(expr: str, decl: Decl, at: list[str]) -> dict[str, Any]:
    """`mcalc shape`: the shape of EXPR and of each name (sizes from --at values, if given)."""
    return shape_payload_of(expr, decl.build(), load(at))


def shape_payload_of(expr: str, decl: Declarations, raw: dict[str, Any], standing: bool = False) -> dict[str, Any]:
    """The shape of EXPR and of each name, sizes from the values in `raw` (`mcalc shape`, `Session.shape`)."""
    from mcalc import pipeline
    from mcalc.render.report import dims_json, variables_json
    from mcalc.shapes import bind_sizes, shape_text

    tree, env, _ = pipeline.prepare(expr, decl, value_shapes=value_shapes(raw), standing=standing)
    if raw:  # sizes from the values given (some may stay symbolic)
        bind_sizes(env, {n: tuple(v.shape) for n, v in raw.items() if n in env.kinds})
    read = reading.read(env, tree)
    payload = {
        "expression": expr,
        "shape": dims_json(env, env.shape(tree)),
        "display_shape": shape_text(env.concrete(env.shape(tree))),
        "variables": variables_json(env),
        "kinds": {n: k.value for n, k in env.kinds.items()},
        "reading": read.to_json(),
        "warnings": list(read.warnings),
    }
    return _with_lets(env, payload)


def _with_lets(env: Any, payload: dict[str, Any]) -> dict[str, Any]:
    if env.lets:
        from mcalc.render.report import lets_json

        payload["let"] = lets_json(env)
    return payload
