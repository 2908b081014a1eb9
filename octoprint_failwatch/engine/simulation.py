"""Simulated time for the engine: a clock, model calls that take simulated seconds, and a driver.

`failwatch evaluate`, the benchmarks and the engine tests run the real `Engine` on this: hours of a
print in seconds, with model latency modelled and nothing left to the wall clock.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Callable, Optional, Sequence

EPOCH = 1_700_000_000.0  # wall time at simulated second 0


class SimulatedClock:
    def __init__(self, start: float = 0.0):
        self.now = start

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return EPOCH + self.now


class LatencyExecutor:
    """Runs each call at once but reveals its outcome only after its latency, in simulated seconds.

    `latency=None` takes each verdict's own measured latency (a real model behind it)."""

    def __init__(self, clock: SimulatedClock, latency: Optional[float] = 0.0):
        self.clock = clock
        self.latency = latency
        self._pending: list[tuple[float, Future, object, Optional[BaseException]]] = []

    def submit(self, fn: Callable, *args) -> Future:
        future: Future = Future()
        try:
            result, error = fn(*args), None
        except Exception as exc:
            result, error = None, exc
        latency = self.latency if self.latency is not None else getattr(result, "latency", 0.0)
        if getattr(error, "throttled", False):
            latency = 0.0  # a quota refuses before the model runs: the answer is at once
        self._pending.append((self.clock.now + latency, future, result, error))
        return future

    def release(self) -> None:
        """Completes the calls whose latency has passed."""
        due = [item for item in self._pending if item[0] <= self.clock.now]
        self._pending = [item for item in self._pending if item[0] > self.clock.now]
        for _, future, result, error in due:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)


class Simulation:
    """A clock and an executor in simulated time; `run` steps an engine through it."""

    def __init__(self, latency: Optional[float] = 0.0, start: float = 0.0):
        self.clock = SimulatedClock(start)
        self.executor = LatencyExecutor(self.clock, latency)

    def run(self, engine, seconds: float, step: float = 0.25, each_step: Optional[Callable[[], None]] = None) -> None:
        """Ticks `engine` every `step` simulated seconds for `seconds`; `each_step` runs before each tick."""
        self.run_all([engine], seconds, step, each_step)

    def run_all(
        self, engines: Sequence, seconds: float, step: float = 0.25, each_step: Optional[Callable[[], None]] = None
    ) -> None:
        """The same for several engines on one clock (a farm sharing one account)."""
        clock = self.clock
        end = clock.now + seconds
        while clock.now < end - 1e-9:
            if each_step is not None:
                each_step()
            self.executor.release()
            for engine in engines:
                engine.tick()
            clock.now = round(clock.now + step, 6)
        self.executor.release()
        for engine in engines:
            engine.tick()
