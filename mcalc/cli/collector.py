"""Python's cyclic garbage collector, paused while the mcalc program builds trees (never in a library call).

The engine allocates hundreds of thousands of small tree nodes on a long input, none of them in a reference
cycle (they are freed by reference counting alone). Each allocation counts towards the collector's next
pass, and each full pass walks every live object: on a 3,000-term sum the passes grew faster than the input
and made the whole derivative superlinear (time exponent 1.22 with the collector, 1.05 without, in
bench/growth.py's `sum` and `trace` families). Paused for the length of one call, so no pass (a full one
above all) lands in the middle of an answer, and on again after it.

The engine makes no reference cycles: its recursive walks are closures that call themselves, and each drops
itself when done (tests/test_memory.py: a few hundred calls with the collector off leave nothing for it to
find). So what a call leaves for the collector is only what survives it (caches, a few thousand objects:
0.2-0.4 ms for the first young pass, measured on a 3,000-term sum, an MLP of depth 40, and a refusal of the
time budget in the middle of a long sum, where the trees are still held by the traceback). The collector was
resumed with gc.freeze()/gc.unfreeze() before: that put every object the call left into the oldest
generation without walking it, and with it every cycle, which only a full pass frees and which the pass's
trigger (counting survivors of young passes, not unfrozen objects) seldom ran: a 100,000-line batch grew by
≈ 15 KB a line past 1 GiB. The cycles are gone, and the call's survivors are walked by an ordinary young pass.
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
