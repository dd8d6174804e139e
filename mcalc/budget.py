"""The run's time budget: every answer or a refusal within a documented time.

The engine's loops (differentiation, simplification) call `tick()`; one call in 1,024 reads the
clock, so the cost is a counter increment. The CLI starts the budget for each command (default
`DEFAULT_SECONDS`, `MCALC_TIME_LIMIT=SECONDS` to raise it, 0 for none); library callers have none
unless their session sets a limit (`running`). Past the deadline the work stops with a one-line refusal (exit 2).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType

from mcalc.errors import InputError
from mcalc.interrupt import PROGRAM_STARTED

DEFAULT_SECONDS = 10.0
# The engine stops this much before the deadline, so that the refusal is out within the budget: unwinding
# from deep in the engine frees what was built (0.05 s after seconds of work), and the refusal is printed.
RESERVE_FRACTION = 0.05
RESERVE_MAX_SECONDS = 0.5
ENVIRONMENT = "MCALC_TIME_LIMIT"
_CHECK_EVERY = 1024


class Clock:
    """One command's deadline and its tick counter: the state of a run, not of the module. The clock in
    force is a context variable (`_CLOCK`), so threads and sessions each have their own, and a library
    call has none unless its session asks for a limit."""

    __slots__ = ("seconds", "deadline", "ticks", "next_check", "last_checkpoint")

    def __init__(self, seconds: float, origin: float) -> None:
        reserve = min(RESERVE_FRACTION * seconds, RESERVE_MAX_SECONDS)
        self.seconds = seconds
        self.deadline: float | None = origin + seconds - reserve if seconds > 0 else None
        self.ticks = 0
        self.next_check = _CHECK_EVERY
        self.last_checkpoint: float | None = None


_CLOCK: ContextVar[Clock | None] = ContextVar("mcalc_clock", default=None)


class BudgetError(InputError):
    """A budget ran out: the input is answerable in principle, not within the limit."""

    category = "budget"


def seconds_from_environment() -> float:
    """MCALC_TIME_LIMIT in seconds (unset: the default). Anything but a finite number ≥ 0 is refused: `nan`,
    `-1` and `inf` turned the budget off without a word (a comparison with NaN is never true)."""
    raw = os.environ.get(ENVIRONMENT)
    if raw is None:
        return DEFAULT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise InputError(
            f"{ENVIRONMENT}={raw[:40]!r} is not a number of seconds: give a finite number ≥ 0 (0 for no limit), "
            f"or unset it for the default of {DEFAULT_SECONDS:g} s"
        )
    return seconds


def _clock(seconds: float | None, from_program_start: bool) -> Clock:
    seconds = seconds_from_environment() if seconds is None else seconds
    origin = PROGRAM_STARTED if from_program_start and PROGRAM_STARTED is not None else time.monotonic()
    return Clock(seconds, origin)


def start(seconds: float | None = None, from_program_start: bool = False) -> None:
    """Start the clock of the command being run (the CLI): `seconds` from now (None: from the environment,
    else the default; 0: no limit). `from_program_start`: from when the program started instead (a
    command's first answer is due within the budget of the process's start, its imports and parsing
    included), when mcalc runs as the program."""
    _CLOCK.set(_clock(seconds, from_program_start))


def stop() -> None:
    _CLOCK.set(None)


@contextmanager
def running(seconds: float | None) -> Iterator[None]:
    """A clock of `seconds` for the `with` block (a session's call), in this thread; None or 0 keeps the clock
    already in force, if any (a library call inside a timed command stays timed)."""
    if not seconds:
        yield
        return
    token = _CLOCK.set(_clock(seconds, False))
    try:
        yield
    finally:
        _CLOCK.reset(token)


def deadline() -> float | None:
    """When the clock in force runs out (monotonic seconds), or None."""
    clock = _CLOCK.get()
    return None if clock is None else clock.deadline


def checkpoint(doing: str) -> None:
    """Read the clock now: for steps that are each long (a point of the numeric check evaluates the whole
    expression; 60 points of a 3,000-factor product took 12 s past a budget of 10 s). A step may take
    seconds on its own (det and its adjugate of a 3,000×3,000 matrix), so the next is refused now when one
    as long as the last would end past the deadline (the refusal came at 11.3 s of a 10 s budget)."""
    clock = _CLOCK.get()
    if clock is None:
        return
    tick(doing, _CHECK_EVERY)
    now = time.monotonic()
    last, clock.last_checkpoint = clock.last_checkpoint, now
    if clock.deadline is not None and last is not None and now + (now - last) > clock.deadline:
        raise BudgetError(_used_up(doing, clock))


def tick(doing: str, weight: int = 1) -> None:
    """Called from the engine's loops; raises BudgetError once the deadline has passed.

    `weight` is the work the step stands for (a rule that flattens k factors counts k): a nested
    elementwise product of 3,000 factors made few, long steps and ran 17 s between clock reads."""
    clock = _CLOCK.get()
    if clock is None:
        return
    clock.ticks += weight
    if clock.deadline is None or clock.ticks < clock.next_check:
        return
    clock.next_check = clock.ticks + _CHECK_EVERY
    if time.monotonic() > clock.deadline:
        # Past the deadline every later tick raises again (the clock read at once): code that catches an
        # error to try another way (the steps' fallbacks, a reading by use) must not carry on unbudgeted,
        # as it did when the first refusal stopped the clock (--steps of det(X) by X six times: 11 s).
        # Whoever reports the error stops the clock (failures.report_error), so rendering it cannot trip.
        clock.next_check = clock.ticks
        raise BudgetError(_used_up(doing, clock))


@contextmanager
def interruptible(doing: str) -> Iterator[None]:
    """A step that runs long inside a library that cannot tick (SymPy ordering the terms of a 6,000-term
    sum: 7 s in one call; `--format sympy` of it answered after 20 s of a 10 s budget): on the main thread,
    with a deadline, an interval timer raises BudgetError at the deadline wherever the step is. The step
    must only compute (no output, no state of mcalc's half-changed by an exception); elsewhere it runs
    under its ticks alone."""
    import signal
    import threading

    clock = _CLOCK.get()
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if clock is None or clock.deadline is None or not usable:
        yield
        return
    left = clock.deadline - time.monotonic()
    if left <= 0:
        raise BudgetError(_used_up(doing, clock))

    def expire(signum: int, frame: FrameType | None) -> None:
        clock.next_check = clock.ticks  # every later tick refuses too, as past the deadline
        # The timer goes off again in 10 ms until the error reaches the step (the `finally` below disarms it
        # once it has): raised in a place whose exceptions Python swallows (a gc callback, a __del__: seen
        # under hypothesis's gc callback, which reported it and let the step run on), it would be lost, so
        # in such a place the handler waits for the next shot instead.
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        if not _swallowing(frame):
            raise BudgetError(_used_up(doing, clock))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, left)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _swallowing(frame: FrameType | None) -> bool:
    """Is `frame` inside a gc callback or a finaliser, where a raised exception is printed and dropped?"""
    import gc

    callbacks = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        if frame.f_code in callbacks or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _used_up(doing: str, clock: Clock) -> str:
    raise_it = f"raise it with {ENVIRONMENT}=SECONDS (0 for no limit)"
    return f"time budget of {clock.seconds:g} s used up while {doing}; {raise_it}"
