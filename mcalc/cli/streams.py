"""The three standard streams, made safe before a command runs and checked after it ends.

- A stream that cannot encode Unicode (`LC_ALL=C`, `PYTHONIOENCODING=ascii`) gets plain ASCII: the
  printer spells results in ASCII and the "mcalc-ascii" error handler transliterates any other text,
  so no output path ends in UnicodeEncodeError.
- Output that cannot be written (a full disk, a closed stdout, a closed pipe) is one line on stderr
  and exit 74 (EX_IOERR of sysexits.h), never an internal error and never exit 0 with the result lost.
  A pipe closed by its reader (`mcalc … | head -1`) ends the run quietly, exit 141 (128 + SIGPIPE,
  what the shell reports for other tools).
- A closed stderr is replaced by /dev/null: errors are then lost, but the exit code stays right and
  nothing meant for stderr lands on stdout.
"""

from __future__ import annotations

import codecs
import errno
import os
import sys
from typing import IO

from mcalc.exits import Exit

EXIT_IO: int = Exit.IO  # mcalc.exits
EXIT_BROKEN_PIPE: int = Exit.BROKEN_PIPE
EXIT_INTERRUPTED: int = Exit.INTERRUPTED

_PROBE = "∂ᵀ⁻¹⊙‖θ"  # characters every result may hold


def prepare(ascii_flag: bool) -> int | None:
    """Called once per real run, before the command. Returns an exit code when the run cannot start."""
    from mcalc.render import spelling

    codecs.register_error("mcalc-ascii", spelling.ascii_errors)
    if sys.stderr is None:  # `2>&-`: errors go nowhere, and never to stdout (print(file=None) would)
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:  # `>&-`: refuse before computing a result that could only be lost
        say("error: cannot write output: standard output is closed")
        return EXIT_IO
    ascii_out = ascii_flag or not _carries_unicode(sys.stdout)
    for stream in (sys.stdout, sys.stderr):
        _reconfigure(stream, ascii_flag or not _carries_unicode(stream))
    spelling.use_ascii(ascii_out)
    return None


def utf8_argv(argv: list[str]) -> list[str]:
    """Arguments as the user typed them. Under an ASCII locale Python decodes `θ` in argv as two
    lone surrogates (surrogateescape); the bytes are UTF-8 in practice, so decode them as UTF-8."""
    return [_utf8_arg(arg) for arg in argv]


def _utf8_arg(arg: str) -> str:
    if not any("\udc80" <= ch <= "\udcff" for ch in arg):
        return arg
    try:
        return os.fsencode(arg).decode("utf-8")
    except UnicodeError:  # not UTF-8 either: the lone surrogates stay, and are reported as such
        return arg


def _carries_unicode(stream: IO[str]) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        _PROBE.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _reconfigure(stream: IO[str], to_ascii: bool) -> None:
    """Characters the stream cannot encode are spelled in ASCII (`θ` → theta) instead of raising."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return
    try:
        if to_ascii:
            reconfigure(encoding="ascii", errors="mcalc-ascii")
        else:
            reconfigure(errors="mcalc-ascii")
    except (OSError, ValueError):  # a stream already failing: the first write will say so
        pass


def use_ascii() -> None:
    """`--ascii`: ASCII spellings, and ASCII bytes on stdout and stderr whatever their encoding."""
    from mcalc.render import spelling

    spelling.use_ascii(True)
    # registered here too: in-process runs (the test suite, a notebook) never pass through prepare()
    codecs.register_error("mcalc-ascii", spelling.ascii_errors)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            _reconfigure(stream, True)


def is_output_error(exc: BaseException) -> bool:
    """An OSError from writing to stdout (full, closed, broken: whatever the errno). Classified by where it
    happened, not by its errno (EIO reading /proc/self/mem was "cannot write output"): every read of the
    input (a sheet, stdin, an .npz of --at) turns its failures into an InputError where it reads, so a system
    error (one with an errno) that reaches a command's end without a file name came from a stream it writes.
    One with a file name is an open() gone wrong, and one without an errno is a library's complaint."""
    return isinstance(exc, OSError) and exc.errno is not None and exc.filename is None


def say(line: str) -> None:
    """One line on stderr, if stderr can take it: an error about stderr itself has nowhere to go."""
    try:
        print(line, file=sys.stderr or open(os.devnull, "w"), flush=True)  # noqa: SIM115
    except (OSError, ValueError):
        pass


def output_failed(exc: OSError) -> int:
    """Report a failed write to stdout once, and make sure nothing tries to write there again."""
    silence_stdout()
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
        return EXIT_BROKEN_PIPE  # the reader has gone: nothing to say, and nobody to say it to
    reason = exc.strerror or type(exc).__name__
    say(f"error: cannot write output: {reason}")
    return EXIT_IO


def silence_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's final flush of the unwritten rest cannot fail
    again (it would print `Exception ignored … OSError` and change the exit code)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def finish(code: int) -> int:
    """Flush stdout before exiting: a result that could not be written is an error, not exit 0."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        return output_failed(exc)
    return code
