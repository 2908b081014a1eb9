"""Everything around a live watch, built once from the settings and a host: the engine's assembly, the watch and
its camera, the print's lifecycle, the incident history, the print action, the alert channels, the failure notice,
the user's controls, Home Assistant's buttons and Test now — the same for the plugin and the daemon.

New settings are applied without losing the watch's state (`apply`): what they touch is rebuilt, and the words
say what changed for the print being watched.
"""

from __future__ import annotations

import logging

from .. import config as cfg
from ..analysis import DailySpend, PlateReading
from ..analysis.local_model import DetectorSlot
from ..analysis.print_detector import PrintDetector
from ..engine.engine import BEAT_SECONDS, Engine
from ..engine.events import EngineEvent, LocalLooked, StatusChanged
from ..engine.model_calls import DaemonThreadExecutor
from ..engine.status import State
from ..engine.watch import Watch
from ..outcomes.actions import PrintAction
from ..outcomes.alerts import AlertChannels, make_channels
from ..outcomes.dispatch import Dispatcher
from ..outcomes.history import IncidentHistory
from ..sources import describe_source
from ..sources.base import FrameSource
from .assembly import Assembly
from .bed_check import BedCheck
from .check_now import CheckNow
from .controls import UserControls
from .feedback import Feedback
from .follower import PrintFollower
from .gate import PrintGate
from .host import Host
from .notice import FailureNotice
from .remote import RemoteCommands


class Session:
    def __init__(self, config: cfg.FailwatchConfig, host: Host):
        self.config = config
        self.host = host
        logger, data = host.logger, host.data_folder
        self.spend = DailySpend(data / "spend.json")
        # the on-device detector, fetched and loaded off the host's threads; the pages hear when it is ready
        self.detector = DetectorSlot(host.detector_cache or data / "models", logger, on_change=host.changed)
        # a verification's calls go out together and frames are taken off the engine's thread, each on a thread
        # that never holds up the host's exit
        self.assembly = Assembly(
            clock=host.clock,
            spend=self.spend,
            detector=self.detector,
            logger=logger,
            model_calls=DaemonThreadExecutor("failwatch-model"),
            captures=DaemonThreadExecutor("failwatch-camera"),
            job=host.printer.job if host.printer is not None else dict,
            preview=host.printer.preview if host.printer is not None else (lambda: None),
        )
        self.incidents = IncidentHistory(data / "incidents", logger=logger)
        self.print_action = PrintAction(lambda: self.config, logger, host.printer)
        self.gate = PrintGate(host.printer, lambda: self.config, logger) if host.printer is not None else None
        self.notice = FailureNotice(host.pages, logger)
        self.watch = Watch(self._watch_engine, self.new_camera, BEAT_SECONDS, logger)
        self.feedback = Feedback(
            self.incidents, self.watch, self.print_action, lambda: self.config.resume_grace_seconds
        )
        self.controls = UserControls(self.watch, self.notice, self.incidents, self.feedback, host.changed)
        self.remote = RemoteCommands(
            self.controls,
            lambda: (self.notice.current or {}).get("incident"),
            host.printer,
            self.print_action,
            logger,
            print_anyway=lambda: self.bed_check.print_anyway(),
        )
        self.check_now = CheckNow(
            lambda sink, log: self.engine(sink, self.new_camera(), gated=False, logger=log),
            host.heard,
            host.changed,
            logger,
            BEAT_SECONDS,
        )
        self.bed_check = BedCheck(
            config=lambda: self.config,
            check=lambda config, frame: self.assembly.analyser(config).check_bed(frame),
            picture=self.watch.snapshot,
            action=self.print_action,
            not_clear=self._bed_not_clear,
            changed=host.changed,
            clock=host.clock,
            logger=logger,
        )
        self.follower = PrintFollower(
            watch=self.watch,
            action=self.print_action,
            feedback=self.feedback,
            gate=self.gate,
            config=lambda: self.config,
            new_print=self._new_print,
            clock=host.clock,
            logger=logger,
            printer=host.printer,
            macro_pause_seconds=host.macro_pause_seconds,
            # a camera watched alone starts no print: nothing to check the plate before
            began=self.bed_check.print_started if host.printer is not None else lambda: None,
            finished=self.bed_check.print_ended,
        )
        self.channels = self._make_channels()
        self.dispatcher = Dispatcher(
            config,
            self.channels,
            self.print_action,
            self.incidents,
            host.printer_name,
            host.printer.job if host.printer is not None else dict,
            self.watch.snapshot,
            self.spend,
            logger,
            host.printer.preview if host.printer is not None else (lambda: None),
        )
        logger.setLevel(logging.DEBUG if config.verbose_logging else logging.INFO)
        self.detector.configure(config)

    # ----- the engines -----

    def engine(self, sink, camera: FrameSource, gated: bool = True, logger=None) -> Engine:
        """An engine of this session's; `gated` waits out the print's warm-up and heating (Test now does not)."""
        gate = self.gate.reason_to_wait if gated and self.gate is not None else None
        return self.assembly.engine(self.config, capture=camera, on_event=sink, gate=gate, logger=logger)

    def _watch_engine(self, camera: FrameSource) -> Engine:
        return self.engine(self.on_engine_event, camera)

    def new_camera(self) -> FrameSource:
        return self.host.make_camera(self.config)

    def on_engine_event(self, event: EngineEvent) -> None:
        """The watch's events: to the host, the alert channels, the incidents and the action."""
        self.host.heard(event)
        for outcome in self.dispatcher.handle(event):
            self.feedback.recorded(outcome.payload.get("incident"))
            if outcome.name == "failure_confirmed":
                self.notice.show(outcome)
            self.host.publish(outcome)
        if self._worth_telling(event):
            self.host.changed()

    def _bed_not_clear(self, reading: PlateReading, picture: bytes, held: bool) -> None:
        self.host.publish(self.dispatcher.bed_not_clear(reading, picture, held))

    def _worth_telling(self, event: EngineEvent) -> bool:
        if isinstance(event, LocalLooked):  # every 2 s: the pages hear of it with the next change
            return False
        # a confirmed failure starts its cooldown a moment before it is announced: the page would show
        # "Cooldown" before "FAILURE"; it hears both at once, with the announcement
        return not (
            isinstance(event, StatusChanged)
            and event.status["state"] == State.COOLDOWN.value
            and not event.status["acknowledged"]
            and self.notice.current is None
        )

    def _new_print(self) -> None:
        self.detector.new_print()
        self.feedback.new_print()
        self.check_now.new_print()
        self.host.new_print()

    # ----- settings and channels -----

    def _make_channels(self) -> AlertChannels:
        host = self.host
        self.identity = host.identity(self.config)  # the name the channels were made with
        return make_channels(
            self.config,
            self.identity,
            host.logger,
            host.mqtt_helpers(),
            host.data_folder / "mqtt-retained.json",
            self.remote.run,
        )

    def connect_channels(self) -> None:
        """Reconnects the alert channels with the settings and the printer's name as they are now; the new
        connection says the state at once."""
        self.channels.close()
        self.channels = self._make_channels()
        self.dispatcher.reconfigure(self.config, self.channels)
        self.tell_state()

    def apply(self, config: cfg.FailwatchConfig) -> list[str]:
        """New settings, keeping the watch's state; says what changed for the print being watched."""
        old, self.config = self.config, config
        parts = cfg.changed_parts(old, config)
        self.host.logger.setLevel(logging.DEBUG if config.verbose_logging else logging.INFO)
        self.detector.configure(config)  # the same detector settings load nothing again
        if "alerts" in parts:
            self.connect_channels()
        self.dispatcher.reconfigure(config, self.channels)
        watched = self.watch.state not in (State.IDLE, State.NOT_CONFIGURED)
        if old.test_mode != config.test_mode and watched:
            if self.follower.following:
                self.follower.watch_now("test mode changed", same_print=False)
            else:
                self.watch.stop()
            return [
                "test mode on: this print is no longer watched; only Test now runs a cycle"
                if config.test_mode
                else "test mode off: this print is watched again"
            ]
        analyse = None
        if "model" in parts:  # the print's detector keeps its memory of the print
            detector = self.watch.control(lambda engine: engine.detector)
            analyse = self.assembly.analyser(config, detector if isinstance(detector, PrintDetector) else None)
        self.watch.reconfigure(config, "camera" in parts, analyse)
        if self.watch.state == State.NOT_CONFIGURED and not config.not_ready() and self.follower.following:
            # the print started before the settings were complete: it is watched from now on, not from the next
            self.follower.watch_now("settings complete: watching this print")
            return ["the settings are complete: this print is watched from now on"]
        notes = change_notes(parts, describe_source(config)) if watched else []
        if old.local_detector != config.local_detector:  # said with or without a print: it loads now
            chosen = config.local_detector
            notes.insert(
                0, "the on-device detector: off" if chosen == "off" else f"the on-device detector: loading {chosen}…"
            )
        return notes

    def tell_state(self) -> None:
        """MQTT and Home Assistant learn the state at once (at start, and on a new connection)."""
        self.dispatcher.handle(StatusChanged(self.host.status()))

    def close(self) -> None:
        self.check_now.stop()
        self.watch.close()
        self.channels.close()


def change_notes(parts: set, camera: str) -> list[str]:
    """What a save changed for the print being watched, in words; its snooze, cooldown or alarm stay as they were."""
    said = {
        "camera": f"camera changed: the next frame comes from {camera}",
        "model": "model settings changed: the next model call uses them",
        "alerts": "alert channels reconnected with the new settings",
        "detection": "detection settings apply from the next frame; a cooldown or snooze under way keeps its end",
    }
    return [text for part, text in said.items() if part in parts]
