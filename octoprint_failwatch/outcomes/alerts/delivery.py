"""A queue and a worker thread that deliver alerts one by one, retrying through an outage.

Discord and each notification URL have one each, so a slow or failing service never holds up monitoring
or the other services. An attempt says whether the message arrived and how long to wait before the next:
the service's own word (Discord's `retry_after`), backoff with full jitter, or never (a permanent
refusal). A message is retried for up to 15 minutes, then dropped and logged; it is sent once — a retry
follows only an attempt that did not arrive.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from typing import Any, Callable

GIVE_UP_AFTER = 15 * 60.0  # a failure alert is retried this long before it is dropped (and logged)
BACKOFF_CAP = 60.0
PERMANENT = "permanent"

# one attempt: (arrived, wait) where wait is seconds as text, "" for backoff, or PERMANENT
Attempt = Callable[[Any], "tuple[bool, str]"]


class DeliveryWorker:
    def __init__(
        self,
        name: str,
        attempt: Attempt,
        gave_up: Callable[[Any], None],
        logger: logging.Logger,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = 50,
    ):
        self._attempt = attempt
        self._gave_up = gave_up
        self._logger = logger
        self._sleep = sleep
        self._clock = clock
        self._queue: queue.Queue = queue.Queue(maxsize=capacity)
        threading.Thread(target=self._run, name=f"failwatch-{name}", daemon=True).start()

    def send(self, item: Any, what: str) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._logger.warning("Failwatch: too many alerts waiting, dropped '%s'", what)

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._deliver(item)
            except Exception:  # the worker must survive anything
                self._logger.exception("Failwatch: unexpected error delivering an alert")

    def _deliver(self, item: Any) -> None:
        deadline = self._clock() + GIVE_UP_AFTER
        attempt = 0
        while True:
            arrived, wait = self._attempt(item)
            if arrived:
                return
            if wait == PERMANENT or self._clock() >= deadline:
                self._gave_up(item)
                return
            attempt += 1
            delay = float(wait) if wait else random.uniform(0, min(BACKOFF_CAP, 2.0**attempt))
            self._sleep(min(delay, max(0.0, deadline - self._clock())))
