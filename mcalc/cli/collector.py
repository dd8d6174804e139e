"""Python's cyclic garbage collector, paused while the mcalc program builds trees (never in a library call).

The engine allocates hundreds of thousands of small tree nodes on a long input, none of them in a reference
cycle (they are freed by reference counting alone). Each allocation counts towards the collector's next
pass, and each full pass walks every live object: on a 3,000-term sum the passes grew faster than the input
and made the whole derivative superlinear (time exponent 1.22 with the collector, 1.05 without, in
bench/growth.py's `sum` and `trace` families). Paused for the length of one call and restored after, so a
long batch still collects the few cycles (closures) a run leaves behind.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def paused(func: Callable[P, T]) -> Callable[P, T]:
    """`func` runs with the cyclic collector off (unless a caller already turned it off)."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            _resume()

    return run


def _resume() -> None:
    """Turn the collector back on without it walking what the call built. Everything allocated while it
    was off is still counted as young, so the first allocation after `gc.enable()` walked all of it: ~0.3 s
    after a few seconds of work, and while a refusal of the time budget unwound (past its deadline). Those
    objects go to the oldest generation instead (freeze, then unfreeze), as if they had survived the young
    collections; a cycle among them is still found by the next full collection. Not when the caller has
    frozen objects of its own (gc.freeze before a fork): unfreezing would release them too."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.enable()
        gc.unfreeze()
    else:
        gc.enable()
