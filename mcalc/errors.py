"""Errors as data: every user-facing failure carries a message, a source span and an exit code.

Rendering (one line on stderr, a caret line, or a JSON object) lives in the CLI layer; this module
only describes what went wrong and where.
"""

from __future__ import annotations

from mcalc.exits import Exit
from mcalc.records import Record, record

# the codes an error carries, from the one table (mcalc.exits); plain ints where codes are compared and combined
EXIT_OK: int = Exit.OK
EXIT_FAILED: int = Exit.FAILED
EXIT_USAGE: int = Exit.USAGE


@record(frozen=True, slots=True)
class Span(Record):
    """Half-open range [start, end) of 0-based code-point offsets into the source text."""

    start: int
    end: int


CLAIM = "claim"  # `where` of an error in the claim of `mcalc check` (its span counts in the claim's text)
EXPRESSION = "expression"


class McalcError(Exception):
    """Base of every error mcalc reports to a user."""

    exit_code: int = EXIT_USAGE
    category: str = "error"
    # which input the span counts in: None for the expression (every span is in it unless said otherwise:
    # a --let or --function formula's error drops its span), CLAIM for the claim of `mcalc check`
    where: str | None = None

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

    @property
    def position(self) -> int | None:
        return None if self.span is None else self.span.start

    @property
    def input_name(self) -> str | None:
        """The input `position` counts in ("expression" or "claim"), None when there is no position."""
        return None if self.span is None else (self.where or EXPRESSION)

    def in_claim(self) -> McalcError:
        """This error, said to be in the claim: `in the claim at col 5: …` (the column is the claim's)."""
        if self.where != CLAIM:
            self.where = CLAIM
            self.message = f"in the claim: {self.message}"
        return self

    def one_line(self) -> str:
        """`dimension mismatch at col 7: A is m×n, B is p×q`: the position goes after the headline."""
        text = self.message
        if self.span is not None:
            where = f" at col {self.span.start + 1}"
            head, sep, rest = text.partition(": ")
            text = f"{head}{where}{sep}{rest}"
        if self.hint:
            text += f"; {self.hint}"
        # quoted user text may hold line breaks or control characters: keep the message one line
        return "".join(ch if ch.isprintable() else (" " if ch.isspace() else f"\\x{ord(ch):02x}") for ch in text)


class ParseError(McalcError):
    category = "syntax error"


class ShapeError(McalcError):
    category = "shape error"


class UnknownNameError(McalcError):
    category = "unknown name"


class NoRuleError(McalcError):
    """An operation the engine has no rule for: never a silent wrong answer."""

    category = "unsupported"


class InputError(McalcError):
    """Bad values or files given with --at, --shape, declarations."""

    category = "bad input"


class MathError(McalcError):
    """The input is well formed but the mathematics fails (singular matrix, log of a negative)."""

    exit_code = EXIT_FAILED
    category = "math error"


class OutOfMemory(McalcError):
    """A MemoryError: the input is answerable in principle, not within the memory this process may use."""

    exit_code = Exit.MEMORY
    category = "out of memory"


def out_of_memory(exc: MemoryError) -> OutOfMemory:
    """`out of memory while answering: Unable to allocate 2.98 GiB …; the limit is …` (one line)."""
    what = f": {str(exc)[:160]}" if str(exc) else ""
    return OutOfMemory(f"out of memory while answering{what}; the limit is {_memory_limit()}")


def _memory_limit() -> str:
    import os

    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            return f"this process's address space, {soft / 2**20:,.0f} MiB (raise it with ulimit -v)"
    except (ImportError, OSError, ValueError):
        pass
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return "this machine's memory"
    return f"this machine's memory, {total / 2**30:.1f} GiB"


class ReadingWarning(UserWarning):
    """How mcalc read the input when a reading could be a mistake ("y does not occur, the derivative is
    0"), issued through Python's `warnings` by the API (the command line prints them as `warning:` lines)."""
