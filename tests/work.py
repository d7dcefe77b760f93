"""Work measured by counting, not by the clock: tests never assert on time (the benches in bench/
do), but they can check that work grows no faster than the input."""
from __future__ import annotations

import cProfile
import pstats
from typing import Callable


def calls(fn: Callable[[], object]) -> int:
    """The function calls, Python and C, that `fn()` makes: the same on any machine, however busy."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        fn()
    finally:
        profile.disable()
    return pstats.Stats(profile).total_calls
