"""Fakes for driving the engine in simulated time: clock, executor with model latency, camera, model."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Callable, Optional, Sequence

from demo.scene import encode_jpeg, render
from octoprint_failwatch.config import build_config
from octoprint_failwatch.detector import AnalysisError, Verdict
from octoprint_failwatch.frame import Frame
from octoprint_failwatch.monitor import Monitor

MODEL_ID = "us.amazon.nova-lite-v1:0"


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_700_000_000.0 + self.now


class LatencyExecutor:
    """Runs each job at once but reveals its result only `latency` simulated seconds later."""

    def __init__(self, clock: FakeClock, latency: float = 0.0):
        self.clock = clock
        self.latency = latency
        self.pending: list[tuple[float, Future, Callable[[], object]]] = []

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        self.pending.append((self.clock.now + self.latency, future, lambda: fn(*args)))
        return future

    def release(self) -> None:
        due = [p for p in self.pending if p[0] <= self.clock.now]
        self.pending = [p for p in self.pending if p[0] > self.clock.now]
        for _, future, job in due:
            try:
                future.set_result(job())
            except Exception as exc:
                future.set_exception(exc)


class FakeCamera:
    """Small real JPEGs of the demo scene at the simulated time; can be broken, blacked out or frozen."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.times: list[float] = []
        self.broken = False
        self.scene = "healthy"  # healthy | black
        self.frozen_at: Optional[float] = None

    def __call__(self) -> Frame:
        if self.broken:
            raise ConnectionError("camera unreachable: connection refused at rtsp://cam/stream")
        self.times.append(self.clock.now)
        t = self.frozen_at if self.frozen_at is not None else self.clock.now
        return Frame(encode_jpeg(render(self.scene, t, 192, 108)), self.clock.now, self.clock.time())


class ScriptedModel:
    """Answers from a function of the call number and the frames; records every call and which were quick."""

    def __init__(self, answer: Callable[[int, Sequence[Frame]], object]):
        self.answer = answer
        self.calls: list[list[Frame]] = []
        self.quick: list[bool] = []

    def __call__(self, frames: Sequence[Frame], quick: bool = False) -> Verdict:
        self.calls.append(list(frames))
        self.quick.append(quick)
        result = self.answer(len(self.calls), frames)
        if isinstance(result, Exception):
            raise result
        explanation = ("quick: " if quick else "") + ("tangled filament" if result else "looks fine")
        return Verdict(bool(result), 0.9 if result else 0.1, "spaghetti" if result else "none", explanation,
                       input_tokens=1000, output_tokens=50)


def always(value) -> ScriptedModel:
    return ScriptedModel(lambda n, frames: value)


def model_error() -> AnalysisError:
    return AnalysisError("ThrottlingException: rate exceeded")


class Harness:
    """A monitor wired to the fakes, plus a driver that steps simulated time."""

    def __init__(self, model: ScriptedModel, latency: float = 0.0, **settings):
        self.clock = FakeClock()
        self.executor = LatencyExecutor(self.clock, latency)
        self.camera = FakeCamera(self.clock)
        self.model = model
        self.events: list[tuple[float, str, dict]] = []
        config, errors = build_config({"inference_profile_arn": MODEL_ID, **settings})
        assert not errors, errors
        self.monitor = Monitor(config, self.camera, model, self.executor, self._on_event, self.clock)

    def _on_event(self, name: str, payload: dict) -> None:
        self.events.append((self.clock.now, name, payload))

    def run(self, seconds: float, step: float = 0.1) -> None:
        end = self.clock.now + seconds
        while self.clock.now < end - 1e-9:
            self.executor.release()
            self.monitor.tick()
            self.clock.now = round(self.clock.now + step, 6)
        self.executor.release()
        self.monitor.tick()

    def named(self, name: str) -> list[tuple[float, dict]]:
        return [(t, p) for t, n, p in self.events if n == name]

    def state(self) -> str:
        return self.monitor.status()["state"]
