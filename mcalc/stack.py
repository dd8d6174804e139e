"""How deep mcalc may recurse on this thread's real stack (standard library only, below every layer).

The engine recurses once or more per level of the expression tree. Python's recursion limit counts frames,
not bytes: a limit of 20,000 on a 1 MiB stack (`ulimit -s 1024`, or a thread started after
`threading.stack_size(1 << 20)`) let an accepted 1,990-deep chain overflow the C stack (a segfault). So
the limit follows the stack the current thread really has, and an expression too deep for it is refused
in one line before anything recurses.
"""

from __future__ import annotations

import os
import sys
import threading

# Measured on CPython 3.11 (x86-64), bisecting the smallest thread stack and the smallest recursion limit
# that answer `mcalc diff` of the deepest accepted inputs (chains of 1,990 `/ 2`, `./ y`, `⊗ y`, 200 nested
# parentheses or functions): the engine costs 4-6 counted frames and 640-690 bytes of C stack per tree
# level, 112-165 bytes per counted frame on average (Python-to-Python calls do not use the C stack; a call
# through C, a generator or a dunder method does: 480-630 bytes a frame in pure C-reentrant recursion).
# The figure below covers that worst kind, so the limit stays safe on a path nobody measured.
BYTES_PER_FRAME = 512
FRAMES_PER_LEVEL = 6  # the most counted frames one tree level took (a `./` chain, differentiated and rendered)
BASE_FRAMES = 300  # the frames under the engine: the CLI (typer, click), the pipeline, a renderer's entry
# Below the first frame: the interpreter's start, C frames that the limit does not count (`sorted` with a
# key holds 5 KB), and on the main thread the program's arguments and environment (an expression of
# 100,000 characters is on the stack twice).
RESERVE_BYTES = 256 * 1024
MAX_LIMIT = 20_000  # enough for the deepest tree the parser accepts (2,000 levels); more only wastes stack
MIN_LIMIT = 400
UNLIMITED_BYTES = 64 * 1024 * 1024  # `ulimit -s unlimited`: the stack grows as needed; take a generous figure
# A thread started with threading.stack_size() 0 gets glibc's default: the soft RLIMIT_STACK the process
# started with when it is finite, else 2 MiB (taken as the floor when the platform does not say).
THREAD_DEFAULT_BYTES = 2 * 1024 * 1024
ULIMIT_HINT = "ulimit -s"
THREAD_HINT = "threading.stack_size()"


def _rlimit_stack() -> int | None:
    """The main thread's stack limit in bytes (soft), None when unlimited or unknown."""
    try:
        import resource
    except ImportError:  # not on POSIX (Windows gives the main thread 1 MiB)
        return 1024 * 1024
    soft, _hard = resource.getrlimit(resource.RLIMIT_STACK)
    return None if soft == resource.RLIM_INFINITY or soft <= 0 else soft


def stack_bytes() -> tuple[int, str]:
    """The current thread's stack size in bytes and how a user raises it."""
    if threading.current_thread() is threading.main_thread():
        limit = _rlimit_stack()
        return (UNLIMITED_BYTES if limit is None else limit), ULIMIT_HINT
    size = _this_thread_stack() or _stack_size_setting()
    if size == 0:
        limit = _rlimit_stack()
        size = THREAD_DEFAULT_BYTES if limit is None else max(limit, THREAD_DEFAULT_BYTES)
    return size, THREAD_HINT


def _stack_size_setting() -> int:
    """threading.stack_size(), the size threads are started with (0: the platform's default). Called
    without an argument it also sets the size to 0: the setting is put back."""
    size = threading.stack_size()
    threading.stack_size(size)
    return size


def _this_thread_stack() -> int:
    """The stack the current thread really has, asked of the C library (glibc's pthread_getattr_np), 0 when
    it cannot say: the setting may have changed since the thread started, or the thread was not started by
    Python."""
    if not sys.platform.startswith("linux"):
        return 0
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.pthread_self.restype = ctypes.c_ulong
        attr = ctypes.create_string_buffer(128)  # a pthread_attr_t (56 bytes on x86-64, 64 on arm64)
        if libc.pthread_getattr_np(ctypes.c_ulong(libc.pthread_self()), attr) != 0:
            return 0
        size = ctypes.c_size_t()
        try:
            failed = libc.pthread_attr_getstacksize(attr, ctypes.byref(size))
        finally:
            libc.pthread_attr_destroy(attr)
        return 0 if failed else size.value
    except (OSError, AttributeError):  # no such function in this C library (musl has it; others may not)
        return 0


def _arguments_bytes() -> int:
    """What the kernel put on the main thread's stack before the first frame: arguments and environment."""
    return sum(len(a.encode(errors="replace")) + 1 for a in sys.argv) + sum(
        len(k) + len(v) + 2 for k, v in os.environ.items()
    )


def _usable_bytes() -> tuple[int, str]:
    size, hint = stack_bytes()
    if hint == ULIMIT_HINT:
        size -= _arguments_bytes()
    return max(size - RESERVE_BYTES, 0), hint


def recursion_limit() -> int:
    """A recursion limit this thread's stack can take (frames), for `sys.setrecursionlimit`."""
    usable, _ = _usable_bytes()
    return max(MIN_LIMIT, min(MAX_LIMIT, usable // BYTES_PER_FRAME))


def levels_allowed() -> int:
    """How many levels of expression tree the engine can recurse through on this thread's stack."""
    return max(1, (recursion_limit() - BASE_FRAMES) // FRAMES_PER_LEVEL)


def described() -> tuple[str, str]:
    """This thread's stack in the user's words (`ulimit -s 1024`) and how to raise it."""
    size, hint = stack_bytes()
    return (f"ulimit -s {size // 1024}" if hint == ULIMIT_HINT else f"a thread stack of {size // 1024} KiB"), hint


def too_deep(limit: int, what: str = "") -> str:
    """The one-line refusal of a tree more than `limit` levels deep (`what`: how levels are counted)."""
    stack, hint = described()
    head = f"expression nested too deeply for this stack ({stack}): more than {limit:,} levels"
    return f"{head}{what}; raise it with {hint}"
