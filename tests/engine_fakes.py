"""Test doubles for driving the engine in simulated time: a camera of the demo scene and a scripted model."""

from __future__ import annotations

import random
from typing import Callable, Optional, Sequence

from demo.scene import SceneCamera, shows_failure
from octoprint_failwatch.analysis import AnalysisError, Verdict
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.engine import Engine, EngineParts
from octoprint_failwatch.engine.events import (
    Analysed,
    CameraProblem,
    CameraRecovered,
    EngineEvent,
    FailureDetected,
    LocalLooked,
    MonitoringStopped,
    StatusChanged,
    VerificationDecided,
)
from octoprint_failwatch.engine.simulation import Simulation
from octoprint_failwatch.frame import Frame

MODEL_ID = "us.amazon.nova-lite-v1:0"
EVENT_NAMES = {
    StatusChanged: "status",
    Analysed: "analysed",
    LocalLooked: "local_look",
    FailureDetected: "failure_detected",
    CameraProblem: "camera_problem",
    CameraRecovered: "camera_recovered",
    MonitoringStopped: "monitoring_stopped",
}


def event_name(event: EngineEvent) -> str:
    return event.name if isinstance(event, VerificationDecided) else EVENT_NAMES[type(event)]


class ScriptedModel:
    """Answers from a function of the call number and the frames; records every call and which were quick."""

    def __init__(self, answer: Callable[[int, Sequence[Frame]], object]):
        self.answer = answer
        self.calls: list[list[Frame]] = []
        self.quick: list[bool] = []
        self.times: list[float] = []  # when each call was made, on the harness's clock
        self.clock = None

    def __call__(self, frames: Sequence[Frame], quick: bool = False) -> Verdict:
        self.calls.append(list(frames))
        self.quick.append(quick)
        self.times.append(self.clock.now if self.clock else 0.0)
        result = self.answer(len(self.calls), frames)
        if isinstance(result, Exception):
            raise result
        if isinstance(result, Verdict):
            return result
        explanation = ("quick: " if quick else "") + ("tangled filament" if result else "looks fine")
        return Verdict(
            bool(result),
            0.9 if result else 0.1,
            "spaghetti" if result else "none",
            explanation,
            input_tokens=1000,
            output_tokens=50,
        )


def always(value) -> ScriptedModel:
    return ScriptedModel(lambda n, frames: value)


def model_error() -> AnalysisError:
    return AnalysisError("Bedrock AccessDeniedException: no access to the model")  # not worth a retry


class SceneDetector:
    """An on-device detector that sees the scene's strands (score 0.9) or not (0.05); `broken` makes it raise."""

    def __init__(self, score: Optional[Callable[[Frame], float]] = None):
        self.ready = True
        self.broken = False
        self.looked: list[float] = []  # captured_at of each frame looked at
        self._score = score or (lambda frame: 0.9 if shows_failure(frame.jpeg) else 0.05)

    def look(self, frame: Frame) -> Optional[Verdict]:
        if self.broken:
            raise RuntimeError("interpreter crashed")
        self.looked.append(frame.captured_at)
        score = self._score(frame)
        failed = score >= 0.5
        return Verdict(
            failed,
            score,
            "spaghetti" if failed else "none",
            f"spaghetti, {score:.2f}",
            model="on-device detector",
            source="detector",
        )


class Harness:
    """An engine wired to the scene camera and a scripted model, in simulated time from second 1000."""

    def __init__(
        self,
        model: ScriptedModel,
        latency: float = 0.0,
        camera: Optional[SceneCamera] = None,
        seed: int = 0,
        detector=None,
        gate=lambda: None,
        on_event=None,
        start_spread: float = 0.0,
        **settings,
    ):
        self.simulation = Simulation(latency, start=1000.0)
        self.clock = self.simulation.clock
        self.camera = camera or SceneCamera(self.clock)
        self.model = model
        model.clock = self.clock
        self.events: list[tuple[float, str, EngineEvent]] = []
        config, errors = build_config({"inference_profile_arn": MODEL_ID, **settings})
        assert not errors, errors
        parts = EngineParts(
            capture=self.camera,
            analyse=model,
            executor=self.simulation.executor,
            clock=self.clock,
            rng=random.Random(seed),  # retry waits and paces: at random, the same each run
            detector=detector,
            gate=gate,
            start_spread=start_spread,
        )
        self.engine = Engine(config, parts, on_event or self._on_event)

    def _on_event(self, event: EngineEvent) -> None:
        self.events.append((self.clock.now, event_name(event), event))

    def run(self, seconds: float, step: float = 0.1) -> None:
        self.simulation.run(self.engine, seconds, step)

    def named(self, name: str) -> list[tuple[float, EngineEvent]]:
        return [(t, event) for t, n, event in self.events if n == name]

    def state(self) -> str:
        return self.engine.status()["state"]
