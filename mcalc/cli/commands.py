"""What each command does, behind the typer declarations in `app.py`.

Every command returns its exit code. User errors (`McalcError`) become one line on stderr, or a JSON
object `{error, position}` on stdout when JSON was asked for; anything unexpected becomes one
"internal error" line (a traceback only with --debug).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mcalc import budget, reading
from mcalc.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError, McalcError
from mcalc.numeric.values import json_value
from mcalc.render import console


@dataclass
class Decl:
    scalar: list[str] = field(default_factory=list)
    vector: list[str] = field(default_factory=list)
    matrix: list[str] = field(default_factory=list)
    symmetric: list[str] = field(default_factory=list)
    shape: list[str] = field(default_factory=list)
    let: list[str] = field(default_factory=list)
    function: list[str] = field(default_factory=list)
    elementwise: list[str] = field(default_factory=list)

    def build(self) -> Any:
        from mcalc.declare import declarations

        return declarations(self.scalar, self.vector, self.matrix, self.symmetric, self.shape, self.let)

    def scoped(self, body: Callable[[], int]) -> Callable[[], int]:
        """`body` with the --function and --elementwise declarations in the catalogue while it runs."""

        def run() -> int:
            from mcalc.formulas import declared_functions

            with declared_functions(self.function, self.elementwise):
                return body()

        return run


def _greek(name: str) -> str:
    from mcalc.declare import greek

    return greek(name)


@dataclass
class DiffArgs:
    expr: str
    wrt: list[str]
    decl: Decl
    fmt: str | None
    layout: str
    check: bool = False
    seed: int | None = None
    at: list[str] = field(default_factory=list)
    steps: bool = False
    debug: bool = False


@dataclass
class CheckArgs:
    expr: str | None
    wrt: list[str]
    claim: str | None
    file: str | None
    decl: Decl
    fmt: str | None
    seed: int | None = None
    debug: bool = False
    at: list[str] = field(default_factory=list)


def guarded(fmt: str | None, debug: bool, body: Callable[[], int]) -> int:
    """Run a command body; turn every failure into one line and an exit code."""
    # derivative trees nest deeper than the input (the parser caps input nesting at 200 levels)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    try:
        budget.start()  # the time budget (README § Limits): MCALC_TIME_LIMIT
        return body()
    except McalcError as exc:
        report_error(exc, fmt, source=None)
        return exc.exit_code
    except RecursionError:
        err = InputError("expression nested too deeply")
        report_error(err, fmt, source=None)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:
        if not _int_text_limit(exc):
            return _internal_error(exc, fmt, debug)
        report_error(_too_many_digits(), fmt, source=None)
        return EXIT_USAGE
    except OSError as exc:
        from mcalc.cli.streams import is_output_error

        if is_output_error(exc):
            raise  # stdout is full or gone: app.py says so on stderr, exit 74
        return _internal_error(exc, fmt, debug)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        return _internal_error(exc, fmt, debug)
    finally:
        budget.stop()  # the deadline is this command's: a library call later in the process has none


def _int_text_limit(exc: ValueError) -> bool:
    """Python refuses to turn an int of more than 4,300 digits into text (CVE-2020-10735); a number
    that long can only come from the input (5,000 superscript digits), so it is bad input."""
    return "integer string conversion" in str(exc)


def _too_many_digits() -> InputError:
    return InputError("number too large: more than 4,300 digits; mcalc works with numbers of at most 300 digits")


def _internal_error(exc: Exception, fmt: str | None, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    message = f"internal error: {type(exc).__name__}: {exc} (please report; --debug shows more)"
    if fmt == "json":
        console.print_json({"error": message, "position": None, "category": "internal error"})
    else:
        console.error_line(message)
    return EXIT_FAILED


def report_error(exc: McalcError, fmt: str | None, source: str | None, line: int | None = None) -> None:
    if fmt == "json":
        obj: dict[str, Any] = {"error": exc.one_line(), "position": exc.position, "category": exc.category}
        if line is not None:
            obj["line"] = line
        if source is not None:
            obj["expression"] = source
        console.print_json(obj)
        return
    prefix = f"line {line}: " if line is not None else ""
    console.error_line(prefix + exc.one_line(), source=source, span=exc.span)


# --- diff ---


def _batch_lines(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str, list[str]]]:
    for number, raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        expr, sep, var = line.partition(";")
        wrt = [v.strip() for v in var.split(",") if v.strip()] if sep else []
        yield number, expr.strip(), wrt


def run_diff(args: DiffArgs) -> int:
    def body() -> int:
        if args.expr == "-":
            return _run_diff_batch(args)
        return _diff_one(args, args.expr, _names(args.wrt), line=None)

    return guarded(args.fmt, args.debug, args.decl.scoped(body))


def _names(items: list[str]) -> list[str]:
    from mcalc.declare import names

    return names(items)


def _run_diff_batch(args: DiffArgs) -> int:
    """One answer per input line, each printed (and flushed) as its line arrives."""
    from mcalc.cli import streams
    from mcalc.syntax.parser import MAX_LENGTH

    stdin = streams.stdin_binary()
    if stdin.isatty():
        console.error_line("reading expressions from standard input, one per line (Ctrl-D to end)")
    worst = EXIT_OK
    lines = streams.read_lines(stdin, MAX_LENGTH + streams.MAX_LINE_SLACK)
    for number, expr, wrt in _batch_lines(lines):
        try:
            budget.start()  # each line has the whole time budget
            code = _diff_one(args, expr, wrt or _names(args.wrt), line=number)
        except McalcError as exc:
            report_error(exc, args.fmt, source=expr, line=number)
            code = exc.exit_code
        except RecursionError:
            report_error(InputError("expression nested too deeply"), args.fmt, source=expr, line=number)
            code = EXIT_USAGE
        except ValueError as exc:
            if not _int_text_limit(exc):
                raise
            report_error(_too_many_digits(), args.fmt, source=expr, line=number)
            code = EXIT_USAGE
        worst = max(worst, code)
        sys.stdout.flush()
    return worst


def _diff_one(args: DiffArgs, expr: str, wrt: list[str], line: int | None) -> int:
    from mcalc import pipeline
    from mcalc.render import report

    try:
        decl = args.decl.build()
        loaded = _load(args.at)  # before the shapes: an undeclared name takes its kind from its value
        tree, env, _ = pipeline.prepare(expr, decl, wrt=tuple(wrt), value_shapes=_shapes(loaded))
        result = pipeline.differentiate_tree(expr, tree, env, wrt)
    except McalcError as exc:
        if line is not None:
            raise
        report_error(exc, args.fmt, source=expr)
        return exc.exit_code
    layout = pipeline.Layout(args.layout)
    # values first: they fix the sizes that `shape` and `variables` then report
    value = json_value(_value_at(result, loaded)) if args.at else None
    payload = report.to_json(result, layout)
    code = EXIT_OK
    if value is not None:
        payload["value"] = value
    if args.seed is not None and not args.check:  # --seed only picks --check's random points
        payload["warnings"].append("--seed has no effect without --check")
    if args.check:
        outcome = _check(result, args.seed)
        payload["check"] = outcome.to_json()
        if not outcome.passed and not outcome.inconclusive:  # inconclusive is said, not failed
            code = EXIT_FAILED
    if args.steps:
        from mcalc.render.index_higher import index_steps
        from mcalc.render.steps import render_steps

        payload["steps"] = render_steps(result, latex=False, layout=layout) + index_steps(result)
        if args.fmt == "latex":
            payload["steps_latex"] = render_steps(result, latex=True, layout=layout) + index_steps(result, latex=True)
    _extras(result, payload, args.fmt)
    console.show_diff(payload, args.fmt, result, batch=line is not None)
    return code


def _extras(result: Any, payload: dict[str, Any], fmt: str | None) -> None:
    from mcalc.pipeline import DerivKind

    if result.final.kind is DerivKind.TENSOR or fmt in ("index", "vec"):
        from mcalc.render.index_higher import render_any_index

        payload["index"] = render_any_index(result)
        if fmt == "latex":
            payload["index_latex"] = render_any_index(result, latex=True)
        payload["vec"] = payload["equation"]
    if fmt == "numpy":
        from mcalc.render.numpy_code import render_numpy

        payload["numpy"] = render_numpy(result)
    if fmt == "sympy":
        from mcalc.pipeline import Layout
        from mcalc.render.sympy_expr import sympy_source

        payload["sympy"] = sympy_source(result, Layout(payload["layout"]))


def _load(specs: list[str]) -> dict[str, Any]:
    """The --at values, Greek names spelled as mcalc prints them (theta → θ)."""
    if not specs:
        return {}
    from mcalc.numeric.values import load_values

    return {_greek(k): v for k, v in load_values(specs).items()}


def _shapes(values: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {name: tuple(getattr(v, "shape", ())) for name, v in values.items()}


def _value_at(result: Any, loaded: dict[str, Any]) -> Any:
    """The derivative's value at --at values; bad values exit 2, singular or undefined points 1."""
    from mcalc import pipeline

    return pipeline.value_at(result, loaded, rename=_greek)


def _check(result: Any, seed: int | None) -> Any:
    from mcalc import pipeline
    from mcalc.numeric.budget import CHECK_FREE_SIZE

    _within_budget(result, free=CHECK_FREE_SIZE)
    return pipeline.check(result, seed)


def _within_budget(result: Any, free: int) -> None:
    from mcalc import pipeline

    pipeline.within_budget(result, free)


# --- check ---


def run_check(args: CheckArgs) -> int:
    def body() -> int:
        from mcalc.cli.homework import check_file, check_one

        if args.file:
            if args.expr or args.claim or args.wrt:
                raise InputError("give either EXPR --wrt VAR --claim ANSWER or --file SHEET, not both")
            return check_file(args.file, args.decl, args.fmt, args.seed)
        needed = (("EXPR", args.expr), ("--wrt VAR", args.wrt), ("--claim ANSWER", args.claim))
        missing = [what for what, given in needed if not given]
        if missing or args.expr is None or args.claim is None:
            raise InputError(
                f"mcalc check needs {', '.join(missing)}: mcalc check EXPR --wrt VAR --claim ANSWER (or --file SHEET)"
            )
        code = check_one(args.expr, _names(args.wrt), args.claim, args.decl.build(), args.fmt, args.seed)
        if args.at:
            code = max(code, _claim_at(args.expr, _names(args.wrt), args.claim, args.decl.build(), args.at, args.fmt))
        return code

    return guarded(args.fmt, args.debug, args.decl.scoped(body))


def _claim_at(expr: str, wrt: list[str], claim: str, decl: Any, at: list[str], fmt: str | None) -> int:
    """`check --at`: the claim and the derivative compared once more, at the point given."""
    import numpy as np

    from mcalc import pipeline
    from mcalc.numeric.evaluate import evaluate
    from mcalc.numeric.given import bind_values

    loaded = _load(at)
    tree, env, (claim_tree,) = pipeline.prepare(
        expr, decl, extra=(claim,), wrt=tuple(wrt), value_shapes=_shapes(loaded)
    )
    result = pipeline.differentiate_tree(expr, tree, env, wrt)
    values = bind_values(env, loaded, list(env.kinds), [tree], rename=_greek)
    truth = np.asarray(evaluate(result.final.result, env, values), dtype=float)
    mine = np.asarray(evaluate(claim_tree, env, values), dtype=float)
    if mine.shape != truth.shape and mine.T.shape == truth.shape:
        mine = mine.T
    agree = mine.shape == truth.shape and bool(np.allclose(mine, truth, rtol=1e-7, atol=1e-9))
    gap = float(np.max(np.abs(mine - truth))) if mine.shape == truth.shape else float("inf")
    if fmt == "json":
        console.print_json({"at": at, "agree": agree, "max_abs_difference": gap})
    else:
        print(
            f"at the point given: the claim and the derivative {'agree' if agree else 'differ'}"
            + ("" if agree else f" (largest difference {gap:.3g})")
        )
    return EXIT_OK if agree else EXIT_FAILED


# --- eval, shape, identities ---


def run_eval(expr: str, at: list[str], decl: Decl, fmt: str | None, debug: bool) -> int:
    def body() -> int:
        import numpy as np

        from mcalc import pipeline
        from mcalc.numeric.given import bind_values, explain_nonfinite
        from mcalc.render.report import variables_json
        from mcalc.syntax.declared import refuse_numbers

        loaded = _load(at)
        tree, env, _ = pipeline.prepare(expr, decl.build(), value_shapes=_shapes(loaded))
        refuse_numbers([tree], "values")
        if not at and env.kinds:
            names = ", ".join(env.kinds)
            raise InputError(f"mcalc eval needs values: --at NAME=JSON or --at FILE.npz (variables: {names})")
        values = bind_values(env, loaded, list(env.kinds), [tree], rename=_greek)
        from mcalc.numeric.budget import check_trees

        check_trees(env, [tree], free=1)
        with np.errstate(all="ignore"):
            value = pipeline.evaluate_expression(tree, env, values)
        problem = explain_nonfinite(tree, env, values) if not np.all(np.isfinite(value)) else None
        if problem is not None:
            raise problem
        read = reading.read(env, tree)
        payload = {
            "expression": expr,
            "value": json_value(value),
            "variables": variables_json(env),
            "reading": read.to_json(),
            "warnings": list(read.warnings),
        }
        _add_lets(env, payload)
        console.show_value(payload, fmt)
        return EXIT_OK

    return guarded(fmt, debug, decl.scoped(body))


def run_shape(expr: str, decl: Decl, fmt: str | None, debug: bool, at: list[str] | None = None) -> int:
    def body() -> int:
        from mcalc import pipeline
        from mcalc.render.report import dims_json, variables_json
        from mcalc.shapes import shape_text

        raw = _load(at or [])
        tree, env, _ = pipeline.prepare(expr, decl.build(), value_shapes=_shapes(raw))
        if at:  # sizes from the values given (some may stay symbolic)
            from mcalc.shapes import bind_sizes

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
        _add_lets(env, payload)
        console.show_shape(payload, fmt)
        return EXIT_OK

    return guarded(fmt, debug, decl.scoped(body))


def _add_lets(env: Any, payload: dict[str, Any]) -> None:
    if env.lets:
        from mcalc.render.report import lets_json

        payload["let"] = lets_json(env)


def run_identities(search: str | None, verify: bool, fmt: str | None, seed: int | None) -> int:
    def body() -> int:
        from mcalc.cli.identities import list_identities

        return list_identities(search, verify, fmt, seed)

    return guarded(fmt, False, body)
