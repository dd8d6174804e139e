"""mcalc's exit codes: the one table (README § Exit codes). Standard library only, below every layer."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # a check or claim failed, or a mathematical error (singular matrix at --at, ...)
    USAGE = 2  # bad usage or bad input: syntax, shapes, unknown names, unreadable files
    MEMORY = 71  # sysexits.h EX_OSERR: the system could not give the memory an answer needs
    IO = 74  # sysexits.h EX_IOERR: the output could not be written
    INTERRUPTED = 130  # 128 + SIGINT, what shells report for an interrupted command (Ctrl-C)
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of a pipe went away
