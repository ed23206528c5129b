"""Measure how an extraction step's work grows with its input, robustly on a loaded machine.

Two measures, each taken in a forked child that is killed at a deadline, so a super-linear
regression fails in seconds instead of hanging the suite:

- **lines**: Python lines executed (``sys.settrace``). Deterministic, so its ratio between
  inputs of size n and 4n can be held tight (linear work gives 4; quadratic, 16).
- **seconds**: the best of three runs, interleaved between the two sizes so load hits both.
  Regex and spaCy work happens in C where no line is counted, so a clock is needed too; it
  only fails when the large input is both slower than ``FLOOR`` and ``TIME_RATIO`` times the
  small one, which linear work never is and quadratic work always is at these sizes.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

SIZE_RATIO = 4
LINE_RATIO = 6.0  # linear work gives 4, n log n a little more, quadratic 16
TIME_RATIO = 16.0  # linear 4 (up to ~8 with caches and noise), quadratic 16 and far more
FLOOR = 0.5  # seconds: a large input faster than this passes whatever the ratio
DEADLINE = 30.0  # seconds for one child; a step that takes longer is super-linear here


def _count_lines(step: Callable[[Any], object], arg: Any) -> int:
    """Python lines executed while ``step(arg)`` runs (this process)."""
    count = 0

    def trace(frame: FrameType, event: str, _: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        step(arg)
    finally:
        sys.settrace(None)
    return count


def _best_seconds(step: Callable[[Any], object], pair: tuple[Any, Any]) -> tuple[float, float]:
    """Fastest of three runs on each input, taking turns, garbage collection off."""
    gc.disable()
    best = [math.inf, math.inf]
    for _ in range(3):
        for i, arg in enumerate(pair):
            start = time.perf_counter()
            step(arg)
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def _child(measure: Callable[..., Any], step: Any, arg: Any, conn: Any) -> None:
    conn.send(measure(step, arg))


def in_child(measure: Callable[..., Any], step: Callable[[Any], object], arg: Any) -> Any:
    """``measure(step, arg)`` in a forked child; None when it misses ``DEADLINE``."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with warnings.catch_warnings():  # 3.12+ warns about forking a threaded process
        warnings.simplefilter("ignore", DeprecationWarning)
        child = context.Process(target=_child, args=(measure, step, arg, send))
        child.start()
    send.close()
    try:
        if not receive.poll(DEADLINE):
            child.kill()
            return None
        return receive.recv()
    finally:
        child.join()
        receive.close()


@dataclass(frozen=True)
class Growth:
    """What ``step`` cost on the small and the large input."""

    lines: tuple[float, float]
    seconds: tuple[float, float]

    def problems(self) -> list[str]:
        """Why this growth is not linear; empty when it is."""
        found = []
        small, large = self.lines
        if math.inf in self.lines:
            found.append(f"counting lines took over {DEADLINE:.0f} s")
        elif large > LINE_RATIO * max(small, 1):
            found.append(f"Python lines grew {small:.0f} -> {large:.0f} for {SIZE_RATIO}x input")
        small_s, large_s = self.seconds
        if large_s == math.inf:
            found.append(f"no answer within {DEADLINE:.0f} s")
        elif large_s > FLOOR and large_s > TIME_RATIO * small_s:
            found.append(f"time grew {small_s:.3f} s -> {large_s:.3f} s for {SIZE_RATIO}x input")
        return found


def growth(step: Callable[[Any], object], small: Any, large: Any, *, lines: bool = True) -> Growth:
    """Lines (unless ``lines`` is False) and best time of ``step`` on both inputs."""
    counted = (0.0, 0.0)
    if lines:
        few, many = in_child(_count_lines, step, small), in_child(_count_lines, step, large)
        counted = (math.inf if few is None else few, math.inf if many is None else many)
    seconds = in_child(_best_seconds, step, (small, large))
    return Growth(counted, (math.inf, math.inf) if seconds is None else seconds)
