"""Model calls under way, each tagged with the run it belongs to.

A run ends when the engine stops, is paused, or decides a verification round; calls of an ended run
may still come back, and their answers are dropped rather than mixed into the next run.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Callable, Iterator, NamedTuple, Optional, Protocol

from .analysis.verdict import Verdict
from .frame import Frame


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Future: ...


class Answer(NamedTuple):
    kind: str  # quick | main | verify
    verdict: Optional[Verdict]
    error: Optional[BaseException]
    frames: list[Frame]


class ModelCalls:
    def __init__(self, executor: Executor, analyse: Callable[..., Verdict]):
        self._executor = executor
        self._analyse = analyse
        self._run = 0
        self._pending: list[tuple[int, str, Future, list[Frame]]] = []

    def replace(self, analyse: Callable[..., Verdict]) -> None:
        """Another model or backend from the next call on (the settings changed)."""
        self._analyse = analyse

    def new_run(self) -> None:
        """Calls made so far belong to an ended run: their answers will be dropped."""
        self._run += 1
        self._pending = []

    def submit(self, kind: str, frames: list[Frame]) -> None:
        series = list(frames)
        future = self._executor.submit(self._analyse, series, kind == "quick")
        self._pending.append((self._run, kind, future, series))

    def __bool__(self) -> bool:
        """Whether a call of the current run is still under way."""
        return bool(self._pending)

    def answers(self) -> Iterator[Answer]:
        """The calls that have come back, in the order they were made; lazily, so that a run ended while
        one answer is handled drops the answers after it."""
        done = [item for item in self._pending if item[2].done()]
        self._pending = [item for item in self._pending if not item[2].done()]
        for run, kind, future, frames in done:
            if run == self._run:
                error = future.exception()
                yield Answer(kind, None if error else future.result(), error, frames)
