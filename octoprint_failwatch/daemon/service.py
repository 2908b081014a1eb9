"""The standalone daemon: the plugin's session configured by environment variables, without OctoPrint.

With PRINTER_URL (Moonraker or an OctoPrint over REST) watching follows that printer's prints, with the same
warm-up gate, grace periods and pause as the plugin; without, the camera is watched all the time and a confirmed
failure is alerted, never acted on. Incidents, with their frames, are kept in the data folder (`failwatch
incidents` lists them); a label set by `failwatch label` teaches the running watch, as the tab's button does.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from pathlib import Path
from typing import Mapping

from ..analysis.local_model import default_cache
from ..config import FailwatchConfig
from ..engine.engine import Engine, SystemClock
from ..engine.events import Analysed, EngineEvent
from ..engine.status import idle_status
from ..outcomes.alerts import Identity
from ..printers import make_printer
from ..redaction import mask_url
from ..session.follower import MACRO_PAUSE_SECONDS
from ..session.host import Host
from ..session.session import Session
from ..sources import make_camera
from ..sources.base import FrameSource

ONCE_LIMIT = 15 * 60.0
LABELS_EVERY = 2.0  # seconds between looks at the labels `failwatch label` may have set


def data_folder(config: FailwatchConfig, environ: Mapping[str, str]) -> Path:
    """DATA_FOLDER, else $XDG_DATA_HOME/failwatch, else ~/.local/share/failwatch."""
    if config.data_folder:
        return Path(config.data_folder).expanduser()
    return Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "failwatch"


def printer_name(environ: Mapping[str, str]) -> str:
    return environ.get("PRINTER_NAME") or socket.gethostname()


def mqtt_identity(config: FailwatchConfig, name: str) -> Identity:
    # INSTANCE_ID names this daemon on MQTT; by default its printer's (or host's) name, made topic-safe
    instance = config.instance_id or re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_") or "failwatch"
    return Identity.of(instance[:32], name, config.mqtt_topic)


class Daemon:
    def __init__(self, config: FailwatchConfig, logger: logging.Logger, environ: Mapping[str, str] = os.environ):
        self.logger = logger
        self.stopping = threading.Event()
        self.printer = printer = make_printer(config, logger)
        clock = SystemClock()
        camera_urls = printer.camera_urls if printer is not None else None
        name = printer_name(environ)
        self.session = Session(
            config,
            Host(
                printer=printer,
                make_camera=lambda settings: make_camera(settings, clock, printer_camera=camera_urls),
                data_folder=data_folder(config, environ),
                identity=lambda settings: mqtt_identity(settings, name),
                printer_name=lambda: name,
                logger=logger,
                status=self.status,
                clock=clock,
                heard=self._heard,
                macro_pause_seconds=MACRO_PAUSE_SECONDS if printer is not None else 0.0,
                detector_cache=default_cache(),
            ),
        )

    def status(self) -> dict:
        return self.session.watch.status() or idle_status()

    def _heard(self, event: EngineEvent) -> None:
        if isinstance(event, Analysed):
            verdict = event.verdict
            self.logger.info(
                "verdict: %s (%.0f%%) %s",
                "FAILED" if verdict.print_failed else "ok",
                verdict.confidence * 100,
                verdict.explanation,
            )
            # VERBOSE_LOGGING: what each answer took (never the images, the keys or the URLs)
            self.logger.debug(
                "model answer: %d image(s), %d in / %d out tokens, %.1f s, $%.5f",
                len(event.frames),
                verdict.input_tokens,
                verdict.output_tokens,
                verdict.latency,
                verdict.cost_usd,
            )

    def run(self, once: bool) -> int:
        session = self.session
        if session.config.test_mode and not once:
            self.logger.info("TEST_MODE: waiting; run `failwatch once` to analyse one cycle")
            self.stopping.wait()
            return 0
        if once:
            session.watch.run_test(self._ungated_engine, self.stopping, ONCE_LIMIT)
            return 0
        session.tell_state()
        if self.printer is not None:  # watching follows the printer's prints
            self.logger.info(
                "failwatch: following the printer at %s (%s)", mask_url(session.config.printer_url), self.printer.name
            )
            self.printer.start(session.follower.changed)
        else:
            session.follower.started(None, "watching the camera")
        while not self.stopping.wait(LABELS_EVERY):
            self.learn_labels()
        return 0

    def _ungated_engine(self, camera: FrameSource) -> Engine:
        """`failwatch once` looks now, whatever the print's warm-up says."""
        return self.session.engine(self.session.on_engine_event, camera, gated=False)

    def learn_labels(self) -> None:
        """Labels set on this print's incidents from outside (`failwatch label`) teach the watch."""
        session = self.session
        for incident, taught in session.feedback.this_print().items():
            record = session.incidents.get(incident)
            if record is not None and record.get("label") != taught:
                self.logger.info(
                    "Failwatch: incident %s labelled %s", incident, (record.get("label") or "(none)").replace("_", " ")
                )
                session.controls.labelled_elsewhere(record)

    def close(self) -> None:
        self.session.close()
        if self.printer is not None:
            self.printer.close()
