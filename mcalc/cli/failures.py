"""How a failure is shown: one line on stderr (or a JSON object `{error, position, category}` on stdout
when JSON was asked for) and an exit code, never a traceback (but with --debug, for an internal error)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from mcalc import budget, stack
from mcalc.cli import console
from mcalc.errors import EXIT_FAILED, EXIT_USAGE, InputError, McalcError, out_of_memory
from mcalc.exits import Exit
from mcalc.numeric.budget import max_elements
from mcalc.render.spelling import clean, json_safe
from mcalc.view import Format

EXIT_INTERRUPTED: int = Exit.INTERRUPTED  # mcalc.exits


def guarded(fmt: Format | None, debug: bool, body: Callable[[], int]) -> int:
    """Run a command body; turn every failure into one line and an exit code."""
    # derivative trees nest deeper than the input: as deep as this thread's real stack can take (mcalc.stack;
    # a fixed 20,000 overflowed a 1 MiB stack, a segfault), the parser refusing what is deeper. Restored after:
    # the figure counts the environment's size, so in-process runs (tests, the interactive session) would
    # otherwise leave a limit that moves by a frame from one run to the next (hypothesis refuses that)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(stack.recursion_limit())
    try:
        budget.start(from_program_start=True)  # the time budget (README § Limits): MCALC_TIME_LIMIT
        max_elements()  # a bad MCALC_MAX_ELEMENTS is refused by every command, not only by those that use it
        return body()
    except (McalcError, RecursionError, ValueError, MemoryError) as exc:
        code = show_bad_input(exc, fmt, source=None)
        return code if code is not None else _internal_error(exc, fmt, debug)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:
        from mcalc.cli.streams import is_output_error

        if is_output_error(exc):
            raise  # stdout is full or gone: app.py says so on stderr, exit 74
        return _internal_error(exc, fmt, debug)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        return _internal_error(exc, fmt, debug)
    finally:
        budget.stop()  # the deadline is this command's: a library call later in the process has none
        sys.setrecursionlimit(old_limit)


def show_bad_input(exc: BaseException, fmt: Format | None, source: str | None, line: int | None = None) -> int | None:
    """Report a failure caused by the input (an McalcError, nesting too deep, a number too long for
    Python's int to text, memory run out); its exit code. None when `exc` is something else (not reported)."""
    if isinstance(exc, McalcError):
        report_error(exc, fmt, source, line)
        return exc.exit_code
    if isinstance(exc, RecursionError):
        report_error(InputError("expression nested too deeply"), fmt, source, line)
        return EXIT_USAGE
    if isinstance(exc, MemoryError):  # of one answer: the process goes on (a batch's next line is answered)
        memory = out_of_memory(exc)
        report_error(memory, fmt, source, line)
        return memory.exit_code
    # Python refuses to turn an int of more than 4,300 digits into text (CVE-2020-10735); a number
    # that long can only come from the input (5,000 superscript digits), so it is bad input.
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        too_long = "number too large: more than 4,300 digits; mcalc works with numbers of at most 300 digits"
        report_error(InputError(too_long), fmt, source, line)
        return EXIT_USAGE
    return None


def show_line_failure(exc: Exception, fmt: Format | None, source: str, line: int, debug: bool) -> int:
    """A batch line that failed, in its place (README § Output, Batch), and its exit code: bad input as
    `show_bad_input`, a bug as an internal error of that line, so that the lines after it are still
    answered. A broken output still ends the batch (app.py says so, exit 74)."""
    code = show_bad_input(exc, fmt, source, line)
    if code is not None:
        return code
    from mcalc.cli.streams import is_output_error

    if isinstance(exc, OSError) and is_output_error(exc):
        raise exc
    if debug:
        traceback.print_exc()
    _report(_internal_message(exc), None, "internal error", fmt, source, line)
    return EXIT_FAILED


def _internal_message(exc: BaseException) -> str:
    return f"internal error: {type(exc).__name__}: {exc} (please report; --debug shows more)"


def _internal_error(exc: BaseException, fmt: Format | None, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    message = _internal_message(exc)
    if fmt is Format.JSON:
        console.print_json({"error": message, "position": None, "category": "internal error"})
    else:
        console.error_line(message)
    return EXIT_FAILED


def report_error(exc: McalcError, fmt: Format | None, source: str | None, line: int | None = None) -> None:
    _report(exc.one_line(), exc.position, exc.category, fmt, source, line, exc.input_name)


def _report(
    message: str,
    position: int | None,
    category: str,
    fmt: Format | None,
    source: str | None,
    line: int | None,
    within: str | None = None,
) -> None:
    budget.stop()  # the answer is this error: printing it is not timed (a budget error would trip again)
    if fmt is Format.JSON:
        obj: dict[str, Any] = {"error": message, "position": position, "category": category}
        if within is not None:  # which input `position` counts in: "expression" or "claim"
            obj["in"] = within
        if line is not None:
            obj["line"] = line
        if source is not None:
            obj["expression"] = source
        console.print_json(obj)
        return
    if line is not None and console.plain_text(fmt):  # a text batch: the error in its line's place, on stdout
        console.batch_block(line, source or "", [f"error: {message}"])
        return
    if line is not None and console.batch_error(line, fmt, message):  # LaTeX, code, index, vec
        return
    console.error_line(("" if line is None else f"line {line}: ") + message)


# --- usage errors and failures outside a command (the CLI's option parser, a broken output) ---


def show_usage_error(message: str, argv: list[str], command_path: str | None) -> None:
    """A usage error (exit 2) as one line, or a JSON object when the command line asked for JSON."""
    if hint := _leading_minus_hint(argv):
        message = message.rstrip(".") + hint
    if command_path is not None:
        message += f" (see '{command_path} --help')"
    # the option parser echoes what was typed (`--bogus` followed by U+202E): shown escaped, like all user text
    if _wants_json(argv):
        import json

        from mcalc.cli import streams

        try:
            print(json_safe(json.dumps({"error": message, "position": None, "category": "usage"}, ensure_ascii=False)))
            sys.stdout.flush()
        except OSError:  # stdout full or gone (a traceback before): the usage error on stderr, still exit 2
            streams.silence_stdout()
            streams.say(f"error: {clean(message)}")
    else:
        print(f"error: {clean(message)}", file=sys.stderr)


# An option one command has and another lacks, typed to the other: click's nearest spelling is no help there
# (`mcalc check … --steps` got "did you mean --help?"); the command that has it is (tests: each option exists
# on the command named and not on the other).
OTHER_COMMANDS_OPTIONS = {
    ("check", "--steps"): "mcalc check has no --steps: the derivation is mcalc diff EXPR --wrt VAR --steps",
    ("check", "--check"): "mcalc check has no --check: it checks the claim numerically where it must; "
    "mcalc diff EXPR --wrt VAR --check checks mcalc's own derivative",
    ("diff", "--claim"): "mcalc diff has no --claim: a hand-derived answer is checked by "
    "mcalc check EXPR --wrt VAR --claim ANSWER",
    ("diff", "--file"): "mcalc diff has no --file: mcalc diff - reads EXPR ; VAR lines from standard input, "
    "mcalc check --file SHEET a sheet of claims",
}


def closest_option(command: str, typed: str, possibilities: Iterable[str]) -> str:
    """The message for a mistyped option: the closest of the command's own options (click's possibilities),
    or of the options another command has (OTHER_COMMANDS_OPTIONS) when one of those is closer: `check
    --stepz` meant diff's --steps, not check's --toeplitz."""
    import difflib

    elsewhere = {option: said for (cmd, option), said in OTHER_COMMANDS_OPTIONS.items() if cmd == command}
    best = max(sorted({*possibilities, *elsewhere}), key=lambda p: difflib.SequenceMatcher(None, typed, p).ratio())
    told = f"No such option: {typed}; did you mean {best}?"
    return f"{told} {elsewhere[best]}" if best in elsewhere else told


def other_commands_option(exc: Any) -> str | None:
    """The message for an option of another command (OTHER_COMMANDS_OPTIONS), None for any other error."""
    ctx = getattr(exc, "ctx", None)
    return OTHER_COMMANDS_OPTIONS.get((getattr(ctx, "info_name", ""), getattr(exc, "option_name", "")))


def _leading_minus_hint(argv: list[str]) -> str:
    """`mcalc diff "-f(t)" --wrt t`: -f is --format's short form, so the expression became an option
    value. Point to `--`, the one spelling that cannot be misread."""
    if "--" in argv or len(argv) < 2:
        return ""
    for tok in argv[1:]:
        if tok.startswith("-") and not tok.startswith("--") and len(tok) > 2:
            return f"; if {tok!r} is the expression, put it after '--': mcalc {argv[0]} ... -- {tok!r}"
    return ""


def _wants_json(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        json = Format.JSON.value
        if arg in (f"--format={json}", f"-f{json}") or (arg in ("--format", "-f") and argv[i + 1 : i + 2] == [json]):
            return True
    return False


def show_internal(exc: Exception, argv: list[str]) -> int:
    """An error that escaped a command: one line and exit 1 (the traceback itself with --debug)."""
    if "--debug" in argv:
        raise exc
    from mcalc.cli.streams import say

    say(f"error: internal error: {type(exc).__name__}: {clean(str(exc))} (--debug shows more)")
    return 1
