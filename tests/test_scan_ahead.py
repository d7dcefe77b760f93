"""extractor/scan/ahead.py: items in order, produced one ahead, errors raised where they happen."""
from __future__ import annotations

import threading
import time

import pytest

from extractor.scan.ahead import ahead


def test_items_come_in_order_produced_in_another_thread():
    producers: list[str] = []

    def items():
        for i in range(5):
            producers.append(threading.current_thread().name)
            yield i

    assert list(ahead(items())) == [0, 1, 2, 3, 4]
    assert set(producers) == {"scan-ahead"}


def test_the_next_item_is_made_while_the_caller_works():
    made: list[int] = []

    def items():
        for i in range(3):
            made.append(i)
            yield i

    it = ahead(items())
    assert next(it) == 0
    deadline = time.monotonic() + 5
    while len(made) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert made == [0, 1]  # one ahead, and no further: the slot holds one item
    time.sleep(0.05)
    assert made == [0, 1]
    assert list(it) == [1, 2]


def test_an_error_is_raised_at_the_item_it_cost():
    def items():
        yield 1
        raise OSError("poppler is gone")

    it = ahead(items())
    assert next(it) == 1
    with pytest.raises(OSError, match="poppler is gone"):
        next(it)


def test_a_caller_that_stops_early_stops_the_producer():
    def items():
        i = 0
        while True:
            i += 1
            yield i

    it = ahead(items())
    assert next(it) == 1
    it.close()
    deadline = time.monotonic() + 5
    while any(t.name == "scan-ahead" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(t.name == "scan-ahead" for t in threading.enumerate())
