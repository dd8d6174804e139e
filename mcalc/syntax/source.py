"""Source text read from a stream (standard input, a homework sheet) line by line, each line capped,
as the lines arrive; and the names in a source text, for tab completion."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import IO, Any

from mcalc.errors import InputError

MAX_LINE_SLACK = 1_000  # a batch line holds EXPR plus `; VAR, …` and a comment


def stdin_binary() -> IO[bytes]:
    """Standard input as bytes; a closed stdin (`<&-`) is bad input, not an AttributeError."""
    stream: Any = sys.stdin
    if stream is None:
        raise InputError("cannot read standard input: it is closed")
    binary: IO[bytes] = stream.buffer if hasattr(stream, "buffer") else stream
    return binary


def read_lines(stream: IO[bytes], max_chars: int, name: str = "standard input") -> Iterator[tuple[int, str]]:
    """(line number, text) for each line of a UTF-8 stream, as each line arrives (a batch is answered
    while it is still being written), split on `\\n` only: U+2028, form feed and the other breaks that
    str.splitlines knows stay inside the line, so line numbers match `wc -l` and editors.

    Each line is read with a cap, so memory stays flat whatever the input (`/dev/zero` has no line
    break at all): a line longer than `max_chars` characters ends the reading with one InputError.
    Bytes that are not UTF-8 become U+FFFD, which the parser then reports at its column. A byte-order
    mark at the start (Notepad writes one) is dropped: it is an encoding marker, not part of line 1.
    A read that fails (EIO on /proc/self/mem, EISDIR, EACCES, whatever the errno) is bad input, one
    InputError naming `name`: an OSError escaping here was taken for a failure to write the output."""
    import io

    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="\n")
    try:
        number = 0
        while line := _read_line(text, max_chars + 1, name):
            number += 1
            if len(line) > max_chars and not line.endswith("\n"):
                raise InputError(
                    f"line {number} of {name} is longer than {max_chars:,} characters (the limit of one line); "
                    "nothing after it was read"
                )
            yield number, line.removesuffix("\n")
    finally:
        try:
            text.detach()  # the caller owns the stream: release it without closing it
        except ValueError:  # already detached or closed
            pass


def _read_line(text: IO[str], limit: int, name: str) -> str:
    try:
        return text.readline(limit)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or type(exc).__name__}") from exc


def names_in(expr: object) -> list[str]:
    """The names in `expr`, in order; none when it is not an expression (yet: a half-typed one completes
    nothing on the command line)."""
    if not isinstance(expr, str) or expr in ("", "-"):
        return []
    from mcalc.syntax.nodes import free_symbols
    from mcalc.syntax.parser import parse

    try:
        return list(free_symbols(parse(expr)))
    except Exception:  # noqa: BLE001 - whatever a half-typed expression raises, it has no names yet
        return []
