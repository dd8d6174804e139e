"""Calls answered on N worker processes, handed back in input order as each is done (`ordered`): what the
program's `--jobs N` runs a batch's lines on. Standard library only.

- Streaming: the items are read by a thread of their own as the workers take them, so the first answer is
  handed back as soon as it is in, whether or not the input has ended (a reader blocked on a pipe does not
  hold back the answers already in).
- Bounded: at most `WINDOW_PER_JOB` items per worker are read ahead of the answer handed back last (a
  semaphore), so memory does not grow with the input, nor with a slow consumer.
- Each call runs in a worker with the cyclic collector paused for it, as the program pauses it for an
  answer (mcalc.cli.collector: the engine makes no reference cycles).
- Ctrl-C is the parent's to answer (exit 130): the workers ignore SIGINT, and each ends on its own within
  `ORPHAN_POLL_S` once its parent has gone (Ctrl-C, a closed pipe, a kill), with no traceback.
"""

from __future__ import annotations

import gc
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

WINDOW_PER_JOB = 4  # items read ahead per worker: enough to keep each busy while the parent prints
ORPHAN_POLL_S = 0.2


class _Failed:
    """Reading the items raised `error`: raised to the consumer in its place, after the answers before it."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Taken(Generic[T, R]):
    __slots__ = ("future", "item")

    def __init__(self, item: T, future: Future[R]) -> None:
        self.item, self.future = item, future


_END = object()


def ordered(
    work: Callable[[T], R],
    items: Iterable[T],
    jobs: int,
    setup: Callable[..., None] | None = None,
    setup_args: tuple[Any, ...] = (),
) -> Iterator[tuple[T, Future[R]]]:
    """(item, its finished future) for each of `items`, in their order: `future.result()` is `work(item)`
    as computed in a worker, or raises what it raised. `work`, the items and the answers travel by pickle;
    `setup(*setup_args)` runs once in each worker before its first call."""
    from concurrent.futures import ProcessPoolExecutor  # here: multiprocessing is 10 ms of imports

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(os.getpid(), setup, setup_args))
    try:
        # the workers start here, on this thread: started from the reader thread, a fork would copy that one
        pool.submit(_ready).result()
        yield from _in_order(pool, work, items, jobs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_order(
    pool: ProcessPoolExecutor, work: Callable[[T], R], items: Iterable[T], jobs: int
) -> Iterator[tuple[T, Future[R]]]:
    room = threading.Semaphore(WINDOW_PER_JOB * jobs)
    taken: queue.SimpleQueue[object] = queue.SimpleQueue()
    stop = threading.Event()

    def read() -> None:
        try:
            for item in items:
                room.acquire()
                if stop.is_set():
                    return
                taken.put(_Taken(item, pool.submit(_paused, work, item)))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, in its place
            taken.put(_Failed(exc))
            return
        taken.put(_END)

    reader = threading.Thread(target=read, name="mcalc-parallel-reader", daemon=True)
    reader.start()
    try:
        while (got := taken.get()) is not _END:
            if isinstance(got, _Failed):
                raise got.error
            assert isinstance(got, _Taken)
            got.future.exception()  # waits until it is done (the answer or the exception stays in the future)
            room.release()
            yield got.item, got.future
    finally:
        stop.set()
        room.release()  # a reader waiting for room sees `stop` and ends


def _paused(work: Callable[[T], R], item: T) -> R:
    gc.disable()
    try:
        return work(item)
    finally:
        gc.enable()


def _ready() -> None:
    """A first call that makes the pool start its workers."""


def _start_worker(parent: int, setup: Callable[..., None] | None, setup_args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent answers it
    threading.Thread(target=_end_with, args=(parent,), name="mcalc-parallel-orphan", daemon=True).start()
    if setup is not None:
        setup(*setup_args)


def _end_with(parent: int) -> None:
    """End this worker once its parent has gone (it is then adopted: another parent id), quietly."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_S)
    os._exit(0)
