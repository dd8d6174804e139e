"""`mcalc check`: one claim, or a homework sheet of them, answered on the terminal or in JSON.

The diagnosis itself (is the claim right, and if not, what is wrong with it) is `mcalc.claims`, which
the Python API (`mcalc.check_claim`) calls too; this module reads sheets and prints verdicts.
"""

from __future__ import annotations

import shlex
from typing import Any

from mcalc.claims.diagnosis import LABELS, Verdict, diagnose, expand_terms
from mcalc.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError, McalcError
from mcalc.render import console

__all__ = ["LABELS", "Verdict", "check_file", "check_one", "diagnose", "expand_terms", "parse_sheet_line"]


# --- commands ---


def check_one(expr: str, wrt: list[str], claim: str, decl: Any, fmt: str | None, seed: int | None) -> int:
    v = diagnose(expr, wrt, claim, decl, seed)
    if fmt == "json":
        console.print_json(v.to_json(expr, wrt[-1] if len(wrt) == 1 else wrt, claim))
    else:
        console.show_verdict(v.verdict, v.label, f"{v.explanation} [{v.method_text()}]")
    return EXIT_OK if v.ok else EXIT_FAILED


SHEET_OPTIONS = {"--scalar": "scalar", "--vector": "vector", "--matrix": "matrix", "--symmetric": "symmetric",
                 "--shape": "shape"}  # fmt: skip


def parse_sheet_line(line: str) -> tuple[str, list[str], str, dict[str, list[str]]]:
    """`EXPR ; VAR ; CLAIM [; --symmetric A --shape x=3 ...]` → parts. VAR may be `x, x` (Hessian)."""
    parts = [p.strip() for p in line.split(";")]
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise InputError("expected EXPR ; VAR ; CLAIM (and optionally ; --symmetric A ...)")
    expr, var, claim = parts[:3]
    options: dict[str, list[str]] = {}
    if len(parts) == 4 and parts[3]:
        try:
            words = shlex.split(parts[3])
        except ValueError as exc:
            raise InputError(f"bad options {parts[3]!r}: {exc}") from exc
        it = iter(words)
        for w in it:
            key, eq, value = w.partition("=")
            if key not in SHEET_OPTIONS:
                raise InputError(f"unknown option {w!r} (use {', '.join(SHEET_OPTIONS)})")
            if not eq:
                value = next(it, "")
            if not value:
                raise InputError(f"{key} needs a value")
            options.setdefault(SHEET_OPTIONS[key], []).append(value)
    wrt = [v.strip() for v in var.split(",") if v.strip()]
    return expr, wrt, claim, options


def check_file(path: str, decl: Any, fmt: str | None, seed: int | None) -> int:
    """A homework sheet: one verdict per line; exit 1 if a claim is wrong, 2 if a line is unusable."""
    from contextlib import AbstractContextManager, nullcontext

    from mcalc.cli import streams
    from mcalc.declare import names
    from mcalc.syntax.parser import MAX_LENGTH

    owned: AbstractContextManager[Any]
    if path == "-":  # as `mcalc diff -`: the sheet arrives on standard input (left open: not ours)
        fh, path = streams.stdin_binary(), "standard input"
        owned = nullcontext()
    else:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below, after the last line is answered
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from exc
        owned = fh
    rows: list[list[str]] = []
    # piped (TSV) or JSON: each verdict printed as its line is read; a terminal table waits for the end
    streamed = fmt == "json" or console.tsv_rows(fmt)

    def emit(row: list[str]) -> None:
        if streamed:
            console.show_row(row)
        else:
            rows.append(row)

    worst = EXIT_OK
    seen = 0
    with owned:
        for number, raw in streams.read_lines(fh, 3 * MAX_LENGTH + streams.MAX_LINE_SLACK, name=path):
            code, counted = _sheet_line(number, raw, decl, fmt, seed, emit, names)
            worst, seen = max(worst, code), seen + counted
    if seen == 0:
        raise InputError(f"{path} has no lines of the form EXPR ; VAR ; CLAIM")
    if not streamed:
        console.show_table(f"homework: {path}", ["line", "expression", "wrt", "claim", "verdict", "why"], rows, fmt)
    return worst


def _sheet_line(
    number: int, raw: str, decl: Any, fmt: str | None, seed: int | None, emit: Any, names: Any
) -> tuple[int, int]:
    """One line of a sheet answered (a JSON object, or a row to `emit`): (exit code, 1 if it held a claim)."""
    from dataclasses import replace

    line = raw.strip()
    if not line or line.startswith("#"):
        return EXIT_OK, 0
    expr = line
    try:
        expr, wrt, claim, options = parse_sheet_line(line)
        line_decl = replace(decl, **{k: list(getattr(decl, k)) + v for k, v in options.items()})
        v = diagnose(expr, names(wrt), claim, line_decl.build(), seed)
    except McalcError as exc:
        if fmt == "json":
            obj = {"line": number, "expression": expr, "error": exc.one_line(), "position": exc.position,
                   "category": exc.category}  # fmt: skip
            console.print_json(obj)
        else:
            parts = [p.strip() for p in line.split(";")] + ["", "", ""]
            emit([str(number), parts[0], parts[1], parts[2], "error", exc.one_line()])
        return exc.exit_code, 1
    except RecursionError:
        emit([str(number), expr, "", "", "error", "expression nested too deeply"])
        return EXIT_USAGE, 1
    var_text = ", ".join(wrt)
    if fmt == "json":
        obj = v.to_json(expr, var_text if len(wrt) == 1 else wrt, claim)
        obj["line"] = number
        console.print_json(obj)
    else:
        declared = " ".join(f"--{k} {x}" for k, xs in options.items() for x in xs)
        emit([
            str(number), expr, var_text + (f" ({declared})" if declared else ""), claim, v.verdict,
            f"{v.explanation} [{v.method_text()}]",
        ])  # fmt: skip
    return (EXIT_OK if v.ok else EXIT_FAILED), 1
