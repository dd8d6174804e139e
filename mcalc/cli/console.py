"""The terminal: the only module that imports rich.

On a terminal (and without NO_COLOR) results are styled; otherwise, or with `--format text`, they
are plain lines with no colour and no box drawing, in the documented order:

    <equation>
    [where: u₁ = …; u₂ = …]        when naming repeated sub-expressions makes it much shorter
    [where: L_expm(A, E) is …]     each operator the derivative names (a matrix function's Fréchet derivative)
    [let: e = … (shape)]           each --let name the expression uses, one per line
    shape: <shape>
    [index: <index form>]          tensors only
    [value: <nested list>]         with --at
    [check: passed|FAILED ...]     with --check
    [step: <rule>: <line>]         with --steps, one per line

Every line goes out through `out` or `print_json`, which pass it through `spelling.clean` (text) or
`spelling.json_safe` (JSON): whatever the user typed, no control character reaches the terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from mcalc.errors import Span
from mcalc.reading import line_from_json
from mcalc.render.lets_text import let_lines
from mcalc.render.spelling import ascii_output, clean, clean_lines, json_safe
from mcalc.view import Format


def _dumps(obj: Any, ensure_ascii: bool = True) -> str:
    import json  # here: a plain-text answer never needs it, and every run imports this module

    return json.dumps(obj, ensure_ascii=ensure_ascii)


def out(text: str) -> None:
    """Text on stdout, with control characters from user text made visible (line breaks kept)."""
    print(clean_lines(text))


def print_json(obj: Any) -> None:
    """One JSON object on one line: UTF-8 unescaped (ASCII-escaped in ASCII mode), controls escaped."""
    print(json_safe(_dumps(obj, ensure_ascii=ascii_output())), flush=True)  # batch: each as it comes


# Below this many columns (or when the terminal does not say its width: COLUMNS=0, a size of 0) a terminal gets
# the plain lines a pipe gets: rich given 0 columns printed nothing, and at 20 a table cut every verdict to "…".
MIN_STYLED_WIDTH = 40


def terminal_width(stream: Any) -> int:
    """The width rich would use for `stream`: COLUMNS when it is a number, else the terminal's own size;
    0 when neither says (rich would guess 80; a guess could cut a table, plain lines cannot)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):  # not a terminal, or a stream without a descriptor
        return 0


def _styled_stream(stream: Any) -> bool:
    return (
        stream.isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
        and terminal_width(stream) >= MIN_STYLED_WIDTH
    )


def _styled() -> bool:
    return _styled_stream(sys.stdout)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    width = terminal_width(sys.stderr if stderr else sys.stdout) or None  # the width the styling was decided on
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


MAX_MESSAGE = 500  # characters of an error or warning line (JSON carries the whole message)


def _clipped(message: str) -> str:
    """A long piece of user text repeated in a message (a 12,000-character --let, a 5,000-letter name) is
    cut in the middle, keeping what went wrong at the start and the fix at the end."""
    if len(message) <= MAX_MESSAGE:
        return message
    return message[:300] + " … " + message[-(MAX_MESSAGE - 303) :]


def error_line(message: str, source: str | None = None, span: Span | None = None) -> None:
    """Every error is exactly one line on stderr (red on a terminal); the column is in the message."""
    if _styled_stream(sys.stderr):
        _console(stderr=True).print(f"[bold red]error:[/] {_escape(_clipped(message))}")
        return
    try:
        print(f"error: {clean(_clipped(message))}", file=sys.stderr)
    except OSError:  # stderr full or gone: the exit code still says what happened
        pass


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(clean(text))


def _check_line(check: dict[str, Any]) -> str:
    sizes = ", ".join(f"{k}={v}" for k, v in check["sizes"].items()) or "scalars only"
    verdict = "passed" if check["passed"] else ("INCONCLUSIVE" if check.get("inconclusive") else "FAILED")
    notes = "".join(f"; {n}" for n in check.get("notes", []))
    # below the differences' resolution the error is measured against their noise, not the derivative: no
    # number to quote (JSON keeps max_rel_error)
    error = (
        "" if check.get("inconclusive_reason") == "unresolved" else f", max relative error {check['max_rel_error']:.1e}"
    )
    return (
        f"check: {verdict}{error} ({check['points']} points × {check['directions']} directions; sizes {sizes}){notes}"
    )


def plain_diff_lines(payload: dict[str, Any]) -> list[str]:
    shared = payload.get("shared")
    if shared:
        lines = [shared["equation"], "where: " + "; ".join(shared["where"])]
    else:
        lines = [payload["equation"]]
    lines += [f"where: {w}" for w in payload.get("operators", [])]
    lines += let_lines(payload)
    lines.append(f"shape: {payload['display_shape']}")
    if "index" in payload:
        lines.append(f"index: {payload['index']}")
    if "value" in payload:
        lines.append("value: " + _dumps(payload["value"]))
    if "check" in payload:
        lines.append(_check_line(payload["check"]))
    for step in payload.get("steps", []):
        lines.append(f"step: {step}")
    if "reading" in payload:
        lines.append(line_from_json(payload["reading"], payload.get("rules", ())))
    return lines


def warn(warnings: list[str], line: int | None = None) -> None:
    """Each reading that could be a mistake, one `warning:` line on stderr (JSON carries them as data);
    in a batch, `warning: line N: …`."""
    prefix = "" if line is None else f"line {line}: "
    for w in warnings:
        try:
            print(f"warning: {prefix}{clean(_clipped(w))}", file=sys.stderr)
        except OSError:  # stderr gone: the warnings are also in the reading line
            pass


def note(text: str) -> None:
    """A line for the person at the terminal that scripts reading stdout do not want (a sheet's summary)."""
    try:
        print(clean(text), file=sys.stderr, flush=True)
    except OSError:  # stderr gone: the exit code still says whether every claim was right
        pass


class BatchLine:
    """One line of a batch (`mcalc diff -`): its number, its expression, and the blocks of a NumPy batch's
    module printed so far (shared by the batch's lines: the import and each helper are printed once)."""

    __slots__ = ("number", "printed", "source")

    def __init__(self, number: int, source: str, printed: set[str]) -> None:
        self.number, self.source, self.printed = number, source, printed


def show_diff(payload: dict[str, Any], fmt: Format | None, result: Any, batch: BatchLine | None = None) -> None:
    """One result. In batch mode (EXPR of -) a JSON object carries its `line`, plain text is one block per
    input line (`line N: EXPR`, the lines of the single-expression output, a blank line), and NumPy code
    goes into the batch's one module (README § Output, Batch)."""
    if fmt is Format.JSON:  # JSON carries the warnings as data
        print_json(payload if batch is None else payload | {"line": batch.number})
        return
    warn(payload.get("warnings", []), None if batch is None else batch.number)
    if batch is not None and fmt in MODULE_HEADERS:
        _numpy_part(payload[fmt.value], batch.printed)
    elif batch is not None and plain_text(fmt):
        batch_block(batch.number, batch.source, plain_diff_lines(payload))
    elif fmt is None:
        (_rich_diff if _styled() else _plain_diff)(payload)
    else:
        DIFF_RENDERERS[fmt](payload)


def _plain_diff(payload: dict[str, Any]) -> None:
    for line in plain_diff_lines(payload):
        out(line)


def _latex_diff(payload: dict[str, Any]) -> None:
    shared = payload.get("shared")
    if shared and "equation_latex" in shared:  # repeated sub-expressions named, as the text output does
        out(shared["equation_latex"])
        for line in shared["where_latex"]:
            out(f"\\text{{where }} {line}")
    else:
        out(payload["equation_latex"])
    for line in payload.get("operators_latex", []):  # what L_f, K_f are (a matrix function's derivative)
        out(f"\\text{{where }} {line}")
    for line in let_lines(payload, latex=True):
        out(line)
    if "index_latex" in payload:
        out(payload["index_latex"])
    for step in payload.get("steps_latex", []):
        out(step)


def _field(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda payload: out(payload[key])


# The one table from --format to what `mcalc diff` prints (no format: rich text on a terminal, plain otherwise).
# LaTeX prints the equation, lets, index notation and steps; the code and tensor formats one field each.
DIFF_RENDERERS: dict[Format, Callable[[dict[str, Any]], None]] = {
    Format.TEXT: _plain_diff,
    Format.JSON: print_json,
    Format.LATEX: _latex_diff,
    **{fmt: _field(fmt.value) for fmt in (Format.NUMPY, Format.SYMPY, Format.INDEX, Format.VEC, Format.JAX,
                                          Format.TORCH)},
}  # fmt: skip


# the formats whose batch is one module (mcalc.export.backends' headers), and its import line
MODULE_HEADERS = {
    Format.NUMPY: "import numpy as np",
    Format.JAX: "import jax.numpy as jnp",
    Format.TORCH: "import torch",
}


def batch_start(fmt: Format | None) -> set[str]:
    """A NumPy (JAX, PyTorch) batch writes one module: its import first, once (each line's functions follow
    as answered). The blocks printed once so far, for `BatchLine.printed`."""
    if fmt in MODULE_HEADERS:
        print(MODULE_HEADERS[fmt], flush=True)
    return set()


def _numpy_part(module: str, printed: set[str]) -> None:
    """One line's module (its functions named with the line number) added to the batch's: each top-level
    block after two blank lines, but not the import, nor a helper (`def _sigmoid`) already printed."""
    for block in module.split("\n\n\n")[1:]:
        if block in printed:
            continue
        if block.startswith("def _"):  # a helper: the same text for every line that calls it
            printed.add(block)
        out("\n\n" + block)
    sys.stdout.flush()


def batch_error(number: int, fmt: Format | None, message: str) -> bool:
    """A batch's failed line in its place on stdout, in the format's own comment syntax, so that output
    still joins back to input; also on stderr when stdout is code (usually redirected to a file). False
    when the format has no such place (JSON and plain text have their own, a styled terminal none)."""
    comment = None if fmt is None else _IN_PLACE.get(fmt)
    if comment is None:
        return False
    if fmt in MODULE_HEADERS:  # a top-level block of the module, after two blank lines as the functions are
        print("\n")
    print(clean(f"{comment}line {number}: error: {message}"), flush=True)  # one line, whatever the message holds
    if fmt in _CODE_FORMATS:
        error_line(f"line {number}: {message}")
    return True


# how an error sits in a batch's output: a LaTeX or Python comment, or a plain `line N: error: …` line
_IN_PLACE: dict[Format, str] = {
    Format.LATEX: "% ",
    Format.NUMPY: "# ",
    Format.SYMPY: "# ",
    Format.JAX: "# ",
    Format.TORCH: "# ",
    Format.INDEX: "",
    Format.VEC: "",
}
_CODE_FORMATS = frozenset(
    {Format.LATEX, Format.NUMPY, Format.SYMPY, Format.JAX, Format.TORCH}
)  # the error also on stderr: stdout is usually a file


BATCH_ECHO = 200  # characters of a batch line's expression repeated in its block's header


def plain_text(fmt: Format | None) -> bool:
    """Plain lines: `--format text`, or no format and stdout not a styled terminal."""
    return fmt is Format.TEXT or (fmt is None and not _styled())


def batch_block(number: int, source: str, lines: list[str]) -> None:
    """One input line's answer in a text batch, in input order: its header, its lines (a result's, or one
    `error: ...`), and a blank line that ends the block; flushed, so each comes as its line is answered."""
    shown = source if len(source) <= BATCH_ECHO else f"{source[:BATCH_ECHO]}… ({len(source):,} characters)"
    out(f"line {number}: {clean(shown)}")
    for line in lines:
        out(line)
    print("", flush=True)


def _rich_diff(payload: dict[str, Any]) -> None:
    con = _console()
    shared = payload.get("shared")
    con.print(f"[bold]{_escape(shared['equation'] if shared else payload['equation'])}[/]")
    for w in [*(shared["where"] if shared else []), *payload.get("operators", [])]:  # shared names, operators
        con.print(f"  [dim]where[/] {_escape(w)}", soft_wrap=False)
    for line in let_lines(payload):
        con.print(f"  [dim]let[/] {_escape(line.removeprefix('let: '))}")
    if "index" in payload:
        con.print(f"[bold]{_escape(payload['index'])}[/]")
    con.print(f"[dim]shape[/] {_escape(payload['display_shape'])}   [dim]layout[/] {payload['layout']}")
    if "value" in payload:
        con.print(f"[dim]value[/] {_escape(_dumps(payload['value']))}")
    if "check" in payload:
        ok = payload["check"]["passed"]
        colour = "green" if ok else ("yellow" if payload["check"].get("inconclusive") else "red")
        con.print(f"[{colour}]{_escape(_check_line(payload['check']))}[/]", soft_wrap=False)
    for step in payload.get("steps", []):  # prose: wrapped between words, not mid-word by the terminal
        con.print(f"  [dim]•[/] {_escape(step)}", soft_wrap=False)
    if "reading" in payload:
        con.print(f"[dim]{_escape(line_from_json(payload['reading'], payload.get('rules', ())))}[/]")


def show_value(payload: dict[str, Any], fmt: Format | None) -> None:
    if fmt is Format.JSON:
        print_json(payload)
        return
    warn(payload.get("warnings", []))
    out(_dumps(payload["value"]))


def show_shape(payload: dict[str, Any], fmt: Format | None) -> None:
    if fmt is Format.JSON:
        print_json(payload)
        return
    warn(payload.get("warnings", []))
    out(f"{payload['expression']} : {payload['display_shape']}")
    for name, dims in payload["variables"].items():
        kind = payload["kinds"][name]
        shown = "×".join(str(d) for d in dims) if dims else "1"
        out(f"  {name}: {kind} {shown}")
    for line in let_lines(payload):
        out(f"  {line}")


# every other verdict is a wrong answer: red
VERDICT_COLOURS = {"correct": "green", "layout": "yellow", "cookbook": "yellow"}


def show_verdict(verdict: str, label: str, rest: str) -> None:
    """`label: explanation [method]`: coloured by verdict and wrapped between words on a terminal."""
    if not _styled():
        out(f"{label}: {rest}")
        return
    colour = VERDICT_COLOURS.get(verdict, "red")
    _console().print(f"[bold {colour}]{_escape(label)}:[/] {_escape(rest)}", soft_wrap=False)


def tsv_rows(fmt: Format | None) -> bool:
    """Whether a table goes out as tab-separated rows (piped, or --format text), so row by row."""
    return not (fmt is None and _styled())


def show_row(row: list[str]) -> None:
    """One tab-separated row, each cell cleaned (a tab or newline typed by the user cannot split it),
    flushed at once: a long sheet shows each verdict as it is reached."""
    print("\t".join(clean(cell) for cell in row), flush=True)


def show_table(
    title: str, columns: list[str], rows: list[list[str]], fmt: Format | None, caption: str | None = None
) -> None:
    """A table on a terminal wide enough for it (with its caption under it), tab-separated lines otherwise
    (no caption: the lines are for scripts)."""
    if fmt is None and _styled() and _fitted(title, columns, rows, caption):
        return
    for row in rows:
        show_row(row)


def _fitted(title: str, columns: list[str], rows: list[list[str]], caption: str | None) -> bool:
    """Print the table if each column can be as wide as its longest word: rich would otherwise cut cells
    to "…" (a verdict, a formula). Cells fold rather than cut if rich still narrows one."""
    from rich.measure import Measurement
    from rich.table import Table

    # the title holds a file name
    table = Table(title=_escape(title), show_lines=False, caption=caption, caption_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(_escape(c) for c in row))  # _escape cleans
    con = _console()
    unbounded = con.options.update_width(1 << 20)  # measured as if the terminal had no edge: each word whole
    if Measurement.get(con, unbounded, table).minimum > con.width:
        return False
    con.print(table)
    return True
