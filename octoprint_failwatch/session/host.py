"""What a host gives the session: the printer (or none), its camera, a data folder, a clock, a logger, and where
what happens goes. The plugin fills it from OctoPrint, the daemon from its environment variables."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..config import FailwatchConfig
from ..engine.engine import Clock, SystemClock
from ..engine.events import EngineEvent
from ..outcomes.alerts import Identity
from ..outcomes.dispatch import Outcome
from ..printers.base import Printer
from ..sources.base import FrameSource


def _nothing(*args) -> None:
    return None


@dataclass
class Host:
    printer: Optional[Printer]  # None: a camera watched all the time, failures only alerted (the daemon alone)
    make_camera: Callable[[FailwatchConfig], FrameSource]
    data_folder: Path  # incidents, the day's spend, fetched models, MQTT's retained topics
    identity: Callable[[FailwatchConfig], Identity]  # the printer's name on MQTT and in Home Assistant
    printer_name: Callable[[], str]  # read at each alert: a rename shows in the next one
    logger: logging.Logger
    status: Callable[[], dict]  # what the pages and MQTT are told of the watch (engine.status's fields at least)
    clock: Clock = field(default_factory=SystemClock)
    pages: Optional[Callable[[dict], None]] = None  # a message to every open page (the plugin's browsers)
    changed: Callable[[], None] = _nothing  # something the pages show changed
    publish: Callable[[Outcome], None] = _nothing  # an outcome for the host's own event bus
    heard: Callable[[EngineEvent], None] = _nothing  # every engine event, the watch's and Test now's
    new_print: Callable[[], None] = _nothing  # the host's parts that start afresh with a print
    mqtt_helpers: Callable[[], Optional[dict]] = lambda: None  # OctoPrint-MQTT's, when it publishes for us
    macro_pause_seconds: float = 0.0  # a pause shorter than this, not ours, is a macro's (see follower.py)
    detector_cache: Optional[Path] = None  # where fetched detector models are kept; default: the data folder's
