"""`mcalc repl` (and plain `mcalc` on a terminal): the interactive session.

Each line is a `:` command, which makes a new session value (mcalc/cli/repl_lines.py), or an mcalc command
without the word mcalc, run through the same typer app in-process, so that it prints exactly what the
command line prints. An in-process run ends with SystemExit (mcalc.program.leave): it is caught here, and the
session goes on. With standard input not a terminal, the lines are a script: no prompt, no echo, and the exit
status is the largest of its lines' (0 when every line succeeded).

prompt_toolkit is imported only here, and only for a session on a terminal.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TextIO, cast

from mcalc import __version__
from mcalc.cli.repl_lines import (
    CommandSpec,
    LineError,
    State,
    command_argv,
    command_specs,
    is_session_command,
    option_value,
    positional,
    session_command,
    split,
)
from mcalc.errors import EXIT_OK, EXIT_USAGE, McalcError
from mcalc.exits import Exit
from mcalc.records import Record, record
from mcalc.render import spelling

EXIT_INTERRUPTED: int = Exit.INTERRUPTED  # mcalc.exits
LEAVE = -1  # what `handle` returns for :quit (no exit status is negative)
HISTORY_ENTRIES = 1000  # the history file keeps the last 1,000 lines, trimmed when a session starts
PROMPT = "mcalc> "
BANNER = (
    f'mcalc {__version__}: type a command without the word mcalc (diff "tr(A B)" --wrt A); '
    ":help for more; Ctrl-D leaves"
)
# Output in ASCII is decided once, when the session starts (from the encoding of standard output); each run of
# the app decides afresh, so every line is told.
_FLAGS = {True: ("--ascii",), False: ()}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_COLUMN = re.compile(r"^error: (?P<claim>in the claim)?.*? at col (?P<col>\d+)", re.MULTILINE)


def main(group: Any) -> int:
    """The session over `group` (the typer app's click group): on a terminal, or a script from standard input."""
    app = App(group, command_specs(group), _FLAGS[spelling.ascii_output()])
    if sys.stdin is not None and sys.stdin.isatty() and _terminal_output() is not None:
        return _interactive(app)
    return _script(app)


def _terminal_output() -> TextIO | None:
    """Where the prompt goes: stdout when it is a terminal, else stderr when that is (`mcalc repl > log`)."""
    return next((s for s in (sys.stdout, sys.stderr) if s is not None and s.isatty()), None)


# --- one line ---


@record(frozen=True)
class App(Record):
    """What runs the lines: the app's click group, what each command accepts, the flags every line gets."""

    group: Any
    specs: Mapping[str, CommandSpec]
    flags: tuple[str, ...] = ()


def handle(text: str, state: State, app: App, caret: bool) -> tuple[State, int]:
    """Run one line; the session value after it and the line's exit code (LEAVE: the session ends). `caret`: a
    person at a terminal reads the errors."""
    text = text.strip()
    if not text or text.startswith("#"):
        return state, EXIT_OK
    if is_session_command(text):
        outcome = session_command(state, text, app.specs, lambda options: _probe(app.group, options))
        for line in outcome.out:
            print(line, flush=True)
        if outcome.error:
            _say(f"error: {outcome.error}")
        return outcome.state, (LEAVE if outcome.leave else EXIT_USAGE if outcome.error else EXIT_OK)
    try:
        words = split(text)
        argv = command_argv(words, state, app.specs, app.flags)
    except LineError as exc:
        _say(f"error: {exc.message}")
        if caret and exc.column is not None:
            _caret(text, exc.column)
        return state, EXIT_USAGE
    code, errors = run(app.group, argv, tee=caret)
    spec = app.specs.get(argv[0]) if argv else None
    if spec is None:
        return state, code
    if caret:
        _caret_for(errors, argv, spec)
    return _seeing(state, argv, spec), code


def run(group: Any, argv: list[str], tee: bool = False) -> tuple[int, str]:
    """Run `argv` through the app as `mcalc ARGV` would, in this process; (exit code, its stderr when `tee`)."""
    _new_run_clock()
    saved = sys.stderr
    copy = _Tee(saved) if tee and saved is not None else None
    if copy is not None:
        sys.stderr = cast(TextIO, copy)
    try:
        group.main(args=argv, prog_name="mcalc")
        code = EXIT_OK
    except SystemExit as exc:  # how every in-process run ends (mcalc.program.leave)
        code = exc.code if isinstance(exc.code, int) else EXIT_OK if exc.code is None else 1
    except KeyboardInterrupt:  # Ctrl-C while the command worked: the command stops, the session goes on
        code = EXIT_INTERRUPTED
    finally:
        sys.stderr = saved
        _flush(sys.stdout)
    if code == EXIT_INTERRUPTED:  # the command ends quietly, as on the command line: say why it ended
        _say("interrupted (Ctrl-C)")
    return code, "" if copy is None else copy.text()


def _probe(group: Any, options: list[str]) -> str | None:
    """None when `mcalc shape` accepts these declaration options, else its error line (nothing is shown)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        code, _ = run(group, ["shape", "0", *options, "--format", "json"])
        printed = sys.stdout.getvalue()
    finally:
        sys.stdout, sys.stderr = saved
    if code == EXIT_OK:
        return None
    for line in printed.splitlines():
        try:
            return str(json.loads(line)["error"])
        except (ValueError, KeyError, TypeError):
            continue
    return "these declarations are refused by the commands"


def _new_run_clock() -> None:
    """Each line is a run of its own: its time budget (MCALC_TIME_LIMIT) counts from when it was typed. The
    commands count it from the program's start (mcalc.budget), which in a session is long past."""
    from mcalc import budget

    if budget.PROGRAM_STARTED is not None:  # type: ignore[attr-defined]  # budget's copy of interrupt's
        budget.PROGRAM_STARTED = time.monotonic()  # type: ignore[attr-defined]


def _seeing(state: State, argv: list[str], spec: CommandSpec) -> State:
    """The names of the line's expression and claim, remembered for completion."""
    from dataclasses import replace

    from mcalc.syntax.source import names_in

    found = {n for text in (positional(argv, spec), option_value(argv, spec, "--claim")) for n in names_in(text)}
    return state if found <= state.seen else replace(state, seen=state.seen | found)


class _Tee:
    """stderr, written through, with a copy of the text kept (the caret needs the error's column)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._copy: list[str] = []

    def write(self, text: str) -> int:
        self._copy.append(text)
        return self._stream.write(text)

    def text(self) -> str:
        return "".join(self._copy)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, flush: the stream's own
        return getattr(self._stream, name)


def _caret_for(errors: str, argv: list[str], spec: CommandSpec) -> None:
    """Under an `error: … at col N` line, the text it is about, echoed, and a caret under column N."""
    found = _COLUMN.search(_ANSI.sub("", errors))
    if found is None:
        return
    source = option_value(argv, spec, "--claim") if found["claim"] else positional(argv, spec)
    if source is not None:
        _caret(source, int(found["col"]) - 1)


def _caret(source: str, column: int) -> None:
    from prompt_toolkit.utils import get_cwidth

    from mcalc.render.spelling import clean

    if 0 <= column <= len(source):
        shown = clean(source)
        _say(f"  {shown}\n  {' ' * get_cwidth(clean(source[:column]))}^")


def _say(line: str) -> None:
    _flush(sys.stdout)
    if sys.stderr is not None:
        print(line, file=sys.stderr, flush=True)


def _flush(stream: IO[str] | None) -> None:
    try:
        if stream is not None:
            stream.flush()
    except (OSError, ValueError):
        pass


# --- a script: standard input not a terminal ---


def _script(app: App) -> int:
    """Every line of standard input, in order; the largest exit status of its lines."""
    state, worst = State(), EXIT_OK
    try:
        for text in _lines():
            state, code = handle(text, state, app, caret=False)
            if code == LEAVE:
                break
            worst = max(worst, code)
    except McalcError as exc:  # a line too long to read, a closed stdin
        _say(f"error: {exc.one_line()}")
        worst = max(worst, exc.exit_code)
    return worst


def _lines() -> Iterator[str]:
    from mcalc.syntax import source
    from mcalc.syntax.parser import MAX_LENGTH

    for _, line in source.read_lines(source.stdin_binary(), 4 * MAX_LENGTH + source.MAX_LINE_SLACK):
        yield line


# --- a session on a terminal ---


def _interactive(app: App) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.output import create_output

    from mcalc.cli.repl_complete import Completer, toolbar

    state = State()
    output = _terminal_output()
    prompt: PromptSession[str] = PromptSession(
        history=_history(),
        completer=Completer(app.specs, lambda: state),
        complete_while_typing=False,
        bottom_toolbar=lambda: toolbar(state),
        output=None if output is sys.stdout else create_output(stdout=output),
    )
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # Ctrl-C stops a command, never the session
        signal.signal(signal.SIGINT, signal.default_int_handler)
    print(BANNER, file=output, flush=True)
    while True:
        try:
            text = prompt.prompt(PROMPT)
        except KeyboardInterrupt:  # the line is abandoned, the session goes on
            continue
        except EOFError:  # Ctrl-D
            return EXIT_OK
        try:
            state, code = handle(text, state, app, caret=True)
        except KeyboardInterrupt:  # between the command and the prompt
            continue
        if code == LEAVE:
            return EXIT_OK


def history_path() -> Path:
    """$XDG_STATE_HOME/mcalc/history (the XDG base directory specification: ~/.local/state by default)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "mcalc" / "history"


def _history() -> Any:
    """The history file, trimmed to its last HISTORY_ENTRIES lines; in memory only (and one line saying so)
    when it cannot be written."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    try:
        path = history_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
        _trim(path, FileHistory, HISTORY_ENTRIES)
    except (OSError, RuntimeError, KeyError) as exc:  # RuntimeError, KeyError: no home directory
        reason = getattr(exc, "strerror", None) or str(exc)
        _say(f"note: history is kept for this session only: cannot write {_where(exc)} ({reason})")
        return InMemoryHistory()
    return _kept_history(FileHistory)(str(path))


def _where(exc: BaseException) -> str:
    return str(getattr(exc, "filename", None) or "the history file")


def _trim(path: Path, file_history: Any, keep: int) -> None:
    """Rewrite the file with its last `keep` entries when it holds more (in prompt_toolkit's format)."""
    entries = list(file_history(str(path)).load_history_strings())  # newest first
    if len(entries) <= keep:
        return
    text = "".join("\n" + "".join(f"+{line}\n" for line in entry.split("\n")) for entry in reversed(entries[:keep]))
    partial = path.with_name(path.name + ".new")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _kept_history(file_history: Any) -> Any:
    class KeptHistory(file_history):  # type: ignore[misc]
        """The file history, going on in memory when a write fails (a full disk): never fatal."""

        failed = False

        def store_string(self, string: str) -> None:
            if self.failed:
                return
            try:
                super().store_string(string)
            except OSError as exc:
                self.failed = True
                _say(f"note: history is no longer saved: {exc.strerror or exc}")

    return KeptHistory
