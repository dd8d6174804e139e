"""A homework sheet (`mcalc check --file`): lines of `EXPR ; VAR ; CLAIM [; --symmetric A --let ... ]`, each
diagnosed as its line is read. Blank lines and `#` comments are skipped; a line that cannot be read or
diagnosed is answered with its error, and the sheet goes on. A line's own declarations are those of the
command line: --scalar, --vector, --matrix, --symmetric, --shape, --let, --function, --elementwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import field
from typing import Any

from mcalc.claims.diagnosis import diagnose
from mcalc.claims.verdict import Outcome, Verdict
from mcalc.declare import Decl, line_options, names
from mcalc.errors import InputError, McalcError
from mcalc.records import Record, record

# The declared functions of a line (`--function f`, `--elementwise "g(t) = sin(t)"`) in the catalogue for a
# `with` block: mcalc.formulas.declared_functions, passed in by the command (a layer above claims)
FunctionScope = Callable[[list[str], list[str]], AbstractContextManager[Any]]


def parse_sheet_line(line: str) -> tuple[str, list[str], str, dict[str, list[str]]]:
    """`EXPR ; VAR ; CLAIM [; --symmetric A --shape x=3 ...]` → parts. VAR may be `x, x` (Hessian)."""
    parts = [p.strip() for p in line.split(";")]
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise InputError("expected EXPR ; VAR ; CLAIM (and optionally ; --symmetric A ...)")
    expr, var, claim = parts[:3]
    options = line_options(parts[3]) if len(parts) == 4 and parts[3] else {}
    wrt = [v.strip() for v in var.split(",") if v.strip()]
    return expr, wrt, claim, options


@record
class SheetAnswer(Record):
    """One line's answer: its verdict, or the error that stopped it (`nested`: too deeply to parse)."""

    number: int
    line: str
    expr: str
    wrt: list[str] = field(default_factory=list)
    claim: str = ""
    options: dict[str, list[str]] = field(default_factory=dict)
    verdict: Verdict | None = None
    error: McalcError | None = None
    nested: bool = False


def answer_line(
    number: int, line: str, decl: Decl, seed: int | None, layout: Any = None, scope: FunctionScope | None = None
) -> SheetAnswer:
    answer = SheetAnswer(number, line, line)
    try:
        answer.expr, answer.wrt, answer.claim, answer.options = parse_sheet_line(line)
        line_decl = decl.adding({k: v for k, v in answer.options.items() if k not in ("function", "elementwise")})
        with _line_functions(answer.options, scope):
            answer.verdict = diagnose(answer.expr, names(answer.wrt), answer.claim, line_decl.build(), seed, layout)
    except McalcError as exc:
        answer.error = exc
    except RecursionError:
        answer.nested = True
    return answer


def tally(answers: Sequence[SheetAnswer]) -> str:
    """A sheet's last line, what a student counts first: `5 lines: 3 right (1 up to layout), 1 wrong, 1
    unusable`. Right is what exits 0 (correct, or correct up to layout or the Cookbook's convention)."""
    right = [a.verdict for a in answers if a.verdict is not None and a.verdict.ok]
    unusable = sum(a.verdict is None for a in answers)
    loose = sum(v.verdict is not Outcome.CORRECT for v in right)
    note = f" ({loose} up to layout or convention)" if loose else ""
    wrong = len(answers) - len(right) - unusable
    lines = "line" if len(answers) == 1 else "lines"
    return f"{len(answers)} {lines}: {len(right)} right{note}, {wrong} wrong, {unusable} unusable"


def _line_functions(options: dict[str, list[str]], scope: FunctionScope | None) -> AbstractContextManager[Any]:
    functions, elementwise = options.get("function", []), options.get("elementwise", [])
    if not functions and not elementwise:
        return nullcontext()
    if scope is None:
        raise InputError("--function and --elementwise on a sheet line are read by mcalc check --file only")
    return scope(functions, elementwise)


def answer_sheet(
    path: str, decl: Decl, seed: int | None, layout: Any = None, scope: FunctionScope | None = None
) -> Iterator[SheetAnswer]:
    """Each line's answer as the line is read (`-`: the sheet arrives on standard input, as for `mcalc diff -`);
    InputError when the file cannot be read or holds no claim."""
    for number, line in sheet_lines(path):
        yield answer_line(number, line, decl, seed, layout, scope)


def sheet_lines(path: str) -> Iterator[tuple[int, str]]:
    """The lines of a sheet that hold a claim (blank lines and `#` comments skipped): (line number, the line
    stripped), each as it is read; InputError when the file cannot be read or holds no claim."""
    from mcalc.syntax.parser import MAX_LENGTH
    from mcalc.syntax.source import MAX_LINE_SLACK, read_lines, stdin_binary

    owned: AbstractContextManager[Any]
    if path == "-":  # standard input is left open: not ours
        fh, path = stdin_binary(), "standard input"
        owned = nullcontext()
    else:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below, after the last line is answered
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from exc
        owned = fh
    seen = 0
    with owned:
        for number, raw in read_lines(fh, 3 * MAX_LENGTH + MAX_LINE_SLACK, name=path):
            line = raw.strip()
            if line and not line.startswith("#"):
                seen += 1
                yield number, line
    if seen == 0:
        raise InputError(f"{path} has no lines of the form EXPR ; VAR ; CLAIM")
