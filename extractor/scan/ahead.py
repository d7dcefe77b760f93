"""One item ahead: an iterator's next item is produced in a background thread while the caller
works on the current one.

The scan path's serial stages (poppler rasterising, OpenCV clean-up and rulings, cutting the
lines into crops: ~0.4 s a page on one core, mostly outside the GIL) then overlap the recogniser,
which spreads over every core: on a two-core worker one core would otherwise idle through them.
One item ahead holds one more page image, no more. An exception the producer meets is raised in the caller, at the item it
would have produced; a caller that stops early stops the producer after its current item.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Iterable, Iterator, TypeVar

T = TypeVar("T")
_DONE = object()
_POLL_S = 0.1  # how often a producer blocked on a full slot checks whether the caller left


def ahead(items: Iterable[T]) -> Iterator[T]:
    """`items` in order, each produced while the caller handles the one before."""
    slot: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()
    taken = threading.Semaphore(0)  # released when the caller takes an item: then the next is made

    def put(entry: tuple[Any, BaseException | None]) -> bool:
        slot.put(entry)  # never blocks: the slot is empty until the caller takes this
        while not stop.is_set():
            if taken.acquire(timeout=_POLL_S):
                return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as exc:  # handed to the caller, raised there
            put((None, exc))
            return
        put((_DONE, None))

    worker = threading.Thread(target=produce, name="scan-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = slot.get()
            taken.release()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
