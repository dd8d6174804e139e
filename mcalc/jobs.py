"""`--jobs N`: the lines of a batch (`mcalc diff -`) and of a homework sheet (`mcalc check --file`) answered on
N processes (mcalc.parallel), handed back in input order as each is done, for the program to print.

Each line is one picklable call: the line and what the whole batch shares (`DiffSpec`, `SheetSpec`) go to a
worker; its answer comes back as data (a diff's payload, a sheet line's `SheetAnswer`), or as the exception
that stopped it, and the program renders it exactly as it renders a line answered in its own process (`--jobs
1`, no worker at all). In the worker, each line has the whole time budget from the moment it starts, as it
has with `--jobs 1`, and the declared functions of the command and of the line are in the catalogue.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from functools import partial
from typing import Any

from mcalc import answers, budget, parallel
from mcalc.claims.sheet import SheetAnswer, answer_line, answer_sheet, sheet_lines
from mcalc.declare import Decl, names
from mcalc.records import Record, record
from mcalc.view import View

Payload = tuple[dict[str, Any], bool]  # a diff's payload, and whether its numeric check failed


@record
class DiffSpec(Record):
    """What every line of a `mcalc diff -` batch shares: the command line's VARs, declarations and options."""

    wrt: list[str]
    decl: Decl
    view: View
    at: list[str]
    check: bool
    seed: int | None
    steps: bool


@record
class SheetSpec(Record):
    decl: Decl
    seed: int | None
    layout: Any = None


def diff_lines(
    spec: DiffSpec, lines: Iterable[tuple[int, str, str]], jobs: int
) -> Iterator[tuple[int, str, Future[Payload]]]:
    """For each batch line (number, line, EXPR): its number, EXPR and answer, whose `result()` is the payload
    of `answers.diff_payload` or raises the line's error."""
    for (number, _, expr), answer in parallel.ordered(partial(diff_line, spec), lines, jobs, _setup, _state()):
        yield number, expr, answer


def sheet_answers(path: str, spec: SheetSpec, jobs: int) -> Iterator[SheetAnswer]:
    """Each claim's answer, in the sheet's order: `mcalc.claims.sheet.answer_sheet`'s, in this process when
    `jobs` is 1 (no worker at all), else each computed on one of `jobs` processes."""
    from mcalc.formulas import declared_functions

    if jobs == 1:
        yield from answer_sheet(path, spec.decl, spec.seed, spec.layout, declared_functions)
        return
    for _, answer in parallel.ordered(partial(sheet_line, spec), sheet_lines(path), jobs, _setup, _state()):
        yield answer.result()


def diff_line(spec: DiffSpec, item: tuple[int, str, str]) -> Payload:
    """One line of a batch, as `mcalc diff -` answers it: its own VARs and declarations added to the command's."""
    number, line, _ = item
    expr, wrt, options = answers.batch_line(line)
    decl = spec.decl.adding(options) if options else spec.decl
    with _line(decl):
        loaded = answers.load(spec.at)  # before the shapes: an undeclared name takes its kind from its value
        result = answers.derive(expr, names(wrt) or names(spec.wrt), decl, loaded)
        at = loaded if spec.at else None
        return answers.diff_payload(
            result, spec.view, at=at, check=spec.check, seed=spec.seed, steps=spec.steps, line=number
        )


def sheet_line(spec: SheetSpec, item: tuple[int, str]) -> SheetAnswer:
    """One claim of a sheet, as `mcalc check --file` answers it."""
    from mcalc.formulas import declared_functions

    number, line = item
    with _line(spec.decl):
        return answer_line(number, line, spec.decl, spec.seed, spec.layout, declared_functions)


@contextmanager
def _line(decl: Decl) -> Iterator[None]:
    """One line in a worker: its own clock, and the declared functions in the catalogue (as `answers.scoped`)."""
    from mcalc.formulas import declared_functions

    budget.start()
    try:
        with declared_functions(decl.function, decl.elementwise):
            yield
    finally:
        budget.stop()


def _state() -> tuple[bool]:
    """What a worker must share with the program besides the environment: ASCII output or not."""
    from mcalc.render.spelling import ascii_output

    return (ascii_output(),)


def _setup(ascii_output: bool) -> None:
    from mcalc import stack
    from mcalc.render.spelling import use_ascii

    use_ascii(ascii_output)
    sys.setrecursionlimit(stack.recursion_limit())  # as the program sets it (mcalc.cli.failures.guarded)
