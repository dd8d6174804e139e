"""`mcalc check`: one claim, or a homework sheet of them, answered on the terminal or in JSON.

The diagnosis (is the claim right, and if not, what is wrong with it) and the reading of sheets are
`mcalc.claims`, which the Python API (`mcalc.check_claim`) calls too; this module prints verdicts.
"""

from __future__ import annotations

from typing import Any

from mcalc import budget
from mcalc.claims.diagnosis import LABELS, Verdict, diagnose, expand_terms
from mcalc.claims.sheet import SheetAnswer, parse_sheet_line, tally
from mcalc.cli import console
from mcalc.declare import Decl
from mcalc.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from mcalc.jobs import SheetSpec, sheet_answers
from mcalc.view import Format

__all__ = ["LABELS", "Verdict", "check_file", "check_one", "diagnose", "expand_terms", "parse_sheet_line"]


def check_one(
    expr: str, wrt: list[str], claim: str, decl: Any, fmt: Format | None, seed: int | None, layout: Any = None
) -> int:
    v = diagnose(expr, wrt, claim, decl, seed, layout)
    if fmt is Format.JSON:
        console.print_json(v.to_json(expr, wrt[-1] if len(wrt) == 1 else wrt, claim))
    else:
        console.warn(v.warnings)
        console.show_verdict(v.verdict, v.label, f"{v.explanation} [{v.method_text()}]")
    return EXIT_OK if v.ok else EXIT_FAILED


def check_file(path: str, decl: Decl, fmt: Format | None, seed: int | None, layout: Any = None, jobs: int = 1) -> int:
    """A homework sheet: one verdict per line; exit 1 if a claim is wrong, 2 if a line is unusable."""
    rows: list[list[str]] = []
    # piped (TSV) or JSON: each verdict printed as its line is read; a terminal table waits for the end
    streamed = fmt is Format.JSON or console.tsv_rows(fmt)
    worst = EXIT_OK
    answered: list[SheetAnswer] = []
    for answer in sheet_answers(path, SheetSpec(decl, seed, layout), jobs):  # on `jobs` processes, in order
        budget.start()  # the next line has the whole time budget (the first had the command's)
        code, row = _show(answer, fmt)
        answered.append(answer)
        worst = max(worst, code)
        if row is not None and streamed:
            console.show_row(row)
        elif row is not None:
            rows.append(row)
    if not streamed:
        shown = "standard input" if path == "-" else path
        console.show_table(f"homework: {shown}", ["line", "expression", "wrt", "claim", "verdict", "why"], rows, fmt)
    if fmt is not Format.JSON:  # on stderr: the rows on stdout stay one per claim for scripts
        console.note(f"summary: {tally(answered)}")
    return worst


def _show(a: SheetAnswer, fmt: Format | None) -> tuple[int, list[str] | None]:
    """One line's answer: printed now as a JSON object, or a row for the table; and its exit code."""
    number = str(a.number)
    if a.nested:
        return EXIT_USAGE, [number, a.expr, "", "", "error", "expression nested too deeply"]
    if a.error is not None:
        if fmt is Format.JSON:
            obj = {"line": a.number, "expression": a.expr, "error": a.error.one_line(),
                   "position": a.error.position, "category": a.error.category}  # fmt: skip
            if a.error.input_name is not None:  # which input `position` counts in: "expression" or "claim"
                obj["in"] = a.error.input_name
            console.print_json(obj)
            return a.error.exit_code, None
        parts = [p.strip() for p in a.line.split(";")] + ["", "", ""]
        return a.error.exit_code, [number, parts[0], parts[1], parts[2], "error", a.error.one_line()]
    v = a.verdict
    assert v is not None
    code = EXIT_OK if v.ok else EXIT_FAILED
    var_text = ", ".join(a.wrt)
    if fmt is Format.JSON:
        console.print_json(v.to_json(a.expr, var_text if len(a.wrt) == 1 else a.wrt, a.claim) | {"line": a.number})
        return code, None
    declared = " ".join(f"--{k} {x}" for k, xs in a.options.items() for x in xs)
    wrt = var_text + (f" ({declared})" if declared else "")
    return code, [number, a.expr, wrt, a.claim, v.verdict, f"{v.explanation} [{v.method_text()}]"]
