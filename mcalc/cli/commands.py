"""What each command does, behind the typer declarations in `app.py`: call the library (`mcalc.answers`,
`mcalc.claims`, `mcalc.identities`) and render the answer.

Every command returns its exit code; a failure is one line (mcalc/cli/failures.py).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any

from mcalc import answers, budget
from mcalc.answers import numeric_check as _check
from mcalc.cli import collector, console
from mcalc.cli.failures import guarded, report_error, show_line_failure
from mcalc.declare import Decl, names
from mcalc.errors import EXIT_FAILED, EXIT_OK, InputError, McalcError
from mcalc.records import Record, record
from mcalc.view import Format, Layout, View

if TYPE_CHECKING:
    from concurrent.futures import Future

Answer = Callable[[console.BatchLine, Any], int]  # a batch line's answer shown (given its place), and its exit code

__all__ = [
    "CheckArgs",
    "Decl",
    "DiffArgs",
    "_check",
    "run_check",
    "run_diff",
    "run_eval",
    "run_identities",
    "run_shape",
]


@record
class DiffArgs(Record):
    expr: str
    wrt: list[str]
    decl: Decl
    fmt: Format | None
    layout: Layout
    check: bool = False
    seed: int | None = None
    at: list[str] = field(default_factory=list)
    steps: bool = False
    debug: bool = False
    jobs: int = 1


@record
class CheckArgs(Record):
    expr: str | None
    wrt: list[str]
    claim: str | None
    file: str | None
    decl: Decl
    fmt: Format | None
    seed: int | None = None
    debug: bool = False
    at: list[str] = field(default_factory=list)
    layout: Layout | None = None  # strict verdicts in this layout
    jobs: int = 1


# --- diff ---


def run_diff(args: DiffArgs) -> int:
    def body() -> int:
        if args.expr == "-":
            return _run_diff_batch(args)
        return _diff_one(args, args.expr, names(args.wrt), None)

    return guarded(args.fmt, args.debug, answers.scoped(args.decl, body))


def _run_diff_batch(args: DiffArgs) -> int:
    """One answer per input line, each printed (and flushed) as its line arrives."""
    from mcalc.syntax import source
    from mcalc.syntax.parser import MAX_LENGTH

    stdin = source.stdin_binary()
    if stdin.isatty():  # typed at a terminal: what to do, not an error
        from mcalc.cli.streams import say

        say("reading expressions from the terminal, one per line (EXPR ; VAR), Ctrl-D to end; "
            "for an interactive session run mcalc repl")  # fmt: skip
    lines = answers.batch_lines(source.read_lines(stdin, MAX_LENGTH + source.MAX_LINE_SLACK))
    printed = console.batch_start(args.fmt)  # what the batch printed once (a NumPy module's import, helpers)
    if args.jobs == 1:
        return _each(args, printed, ((n, e, line) for n, line, e in lines), functools.partial(_diff_line, args))
    from mcalc import jobs  # --jobs N: lines answered on N processes, printed here in input order

    budget.stop()  # each line's clock runs where the line is answered: here the lines are read and printed
    spec = jobs.DiffSpec(args.wrt, args.decl, View(args.layout, args.fmt), args.at, args.check, args.seed, args.steps)
    return _each(args, printed, jobs.diff_lines(spec, lines, args.jobs), functools.partial(_shown, args))


def _each(args: DiffArgs, printed: set[str], lines: Iterable[tuple[int, str, Any]], answer: Answer) -> int:
    """Each line's answer printed (and flushed) as it comes; the worst exit code."""
    worst = EXIT_OK
    for number, expr, line in lines:
        try:
            code = answer(console.BatchLine(number, expr, printed), line)
        except Exception as exc:  # noqa: BLE001 - bad input or a bug: this line's answer, and the next line
            code = show_line_failure(exc, args.fmt, expr, number, args.debug)
        worst = max(worst, code)
        sys.stdout.flush()
    return worst


def _shown(args: DiffArgs, batch: console.BatchLine, answer: Future[tuple[dict[str, Any], bool]]) -> int:
    """A line answered on another process (mcalc.jobs), shown as _diff_one shows it."""
    payload, failed = answer.result()
    console.show_diff(payload, args.fmt, None, batch)
    return EXIT_FAILED if failed else EXIT_OK


def _diff_line(args: DiffArgs, batch: console.BatchLine, line: str) -> int:
    """One line of a batch, with its own VARs and declarations added to the command's."""
    budget.start()  # each line has the whole time budget
    expr, wrt, options = answers.batch_line(line)
    wrt = names(wrt) or names(args.wrt)  # theta → θ, as on the command line
    if not options:
        return _diff_one(args, expr, wrt, batch)
    own = replace(args, decl=args.decl.adding(options))
    body = functools.partial(_diff_one, own, expr, wrt, batch)
    return answers.scoped(own.decl, body)() if "function" in options or "elementwise" in options else body()


@collector.paused
def _diff_one(args: DiffArgs, expr: str, wrt: list[str], batch: console.BatchLine | None) -> int:
    try:
        loaded = answers.load(args.at)  # before the shapes: an undeclared name takes its kind from its value
        result = answers.derive(expr, wrt, args.decl, loaded)
    except McalcError as exc:
        if batch is not None:
            raise
        report_error(exc, args.fmt, source=expr)
        return exc.exit_code
    view = View(args.layout, args.fmt)
    at = loaded if args.at else None
    line = None if batch is None else batch.number
    payload, failed = answers.diff_payload(
        result, view, at=at, check=args.check, seed=args.seed, steps=args.steps, line=line
    )
    console.show_diff(payload, args.fmt, result, batch)
    return EXIT_FAILED if failed else EXIT_OK


# --- check, eval, shape, identities ---


def run_check(args: CheckArgs) -> int:
    def body() -> int:
        from mcalc.cli.homework import check_file, check_one

        if args.file:
            if args.expr or args.claim or args.wrt:
                raise InputError("give either EXPR --wrt VAR --claim ANSWER or --file SHEET, not both")
            return check_file(args.file, args.decl, args.fmt, args.seed, args.layout, args.jobs)
        needed = (("EXPR", args.expr), ("--wrt VAR", args.wrt), ("--claim ANSWER", args.claim))
        missing = [what for what, given in needed if not given]
        if missing or args.expr is None or args.claim is None:
            raise InputError(
                f"mcalc check needs {', '.join(missing)}: mcalc check EXPR --wrt VAR --claim ANSWER (or --file SHEET)"
            )
        strict = args.layout
        code = check_one(args.expr, names(args.wrt), args.claim, args.decl.build(), args.fmt, args.seed, strict)
        if args.at:
            code = max(code, _claim_at(args.expr, names(args.wrt), args.claim, args.decl.build(), args.at, args.fmt))
        return code

    return guarded(args.fmt, args.debug, answers.scoped(args.decl, collector.paused(body)))


def _claim_at(expr: str, wrt: list[str], claim: str, decl: Any, at: list[str], fmt: Format | None) -> int:
    """`check --at`: the claim and the derivative compared once more, at the point given."""
    agree, gap = answers.claim_at(expr, wrt, claim, decl, at)
    if fmt is Format.JSON:
        console.print_json({"at": at, "agree": agree, "max_abs_difference": gap})
    else:
        print(
            f"at the point given: the claim and the derivative {'agree' if agree else 'differ'}"
            + ("" if agree else f" (largest difference {gap:.3g})")
        )
    return EXIT_OK if agree else EXIT_FAILED


def run_eval(expr: str, at: list[str], decl: Decl, fmt: Format | None, debug: bool) -> int:
    def body() -> int:
        console.show_value(answers.eval_payload(expr, at, decl), fmt)
        return EXIT_OK

    return guarded(fmt, debug, answers.scoped(decl, collector.paused(body)))


def run_shape(expr: str, decl: Decl, fmt: Format | None, debug: bool, at: list[str] | None = None) -> int:
    def body() -> int:
        console.show_shape(answers.shape_payload(expr, decl, at or []), fmt)
        return EXIT_OK

    return guarded(fmt, debug, answers.scoped(decl, collector.paused(body)))


def run_identities(search: str | None, verify: bool, fmt: Format | None, seed: int | None) -> int:
    def body() -> int:
        from mcalc.cli.identities import list_identities

        return list_identities(search, verify, fmt, seed)

    return guarded(fmt, False, body)
