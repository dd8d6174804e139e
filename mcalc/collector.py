"""Python's cyclic garbage collector, paused while mcalc builds trees.

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
            gc.enable()

    return run
