"""OctoPrint-Failwatch: the plugin class — OctoPrint's mixins and hooks, wired to rooms of their own.

The engine (`engine.Engine`) watches while a print runs, ticked by `watch.Watch`'s thread; its events go
to the `dispatch.Dispatcher` (alerts, incidents, the action, the cost) and from there to OctoPrint's
event bus and the browser. The safe pause is `actions.PrintAction`, the HTTP API is `api.FailwatchApi`,
Test now is `test_run.TestRun`. Nothing here blocks OctoPrint's event thread.
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Optional

import octoprint.plugin
from octoprint.events import Events

from .. import config as cfg
from ..analysis import DailySpend, make_analyser
from ..analysis.local_model import DetectorSlot
from ..engine.engine import BEAT_SECONDS, Engine, SystemClock
from ..engine.events import EngineEvent, LocalLooked, StatusChanged
from ..engine.model_calls import DaemonThreadExecutor
from ..engine.status import State, idle_status
from ..engine.watch import Watch
from ..outcomes.actions import PrintAction
from ..outcomes.alerts import TEST, Alert, Identity, make_channels
from ..outcomes.alerts.octoprint_mqtt import octoprint_mqtt_helpers
from ..outcomes.dispatch import Dispatcher
from ..outcomes.history import IncidentHistory
from ..sources import describe_source, make_camera
from . import settings_form, status_report
from .api import FailwatchApi
from .feedback import Feedback
from .notice import FailureNotice
from .print_gate import PrintGate
from .printer_info import job_info, printer_name
from .recent_checks import RecentChecks
from .remote import RemoteCommands
from .test_run import TestRun
from .user_controls import UserControls

PRINT_ENDED = (Events.PRINT_DONE, Events.PRINT_FAILED, Events.PRINT_CANCELLED, Events.DISCONNECTED)


class FailwatchPlugin(
    octoprint.plugin.StartupPlugin,
    octoprint.plugin.ShutdownPlugin,
    octoprint.plugin.SettingsPlugin,
    octoprint.plugin.TemplatePlugin,
    octoprint.plugin.AssetPlugin,
    octoprint.plugin.EventHandlerPlugin,
    FailwatchApi,
):
    def __init__(self):
        super().__init__()
        self._clock = SystemClock()
        self._config: Optional[cfg.FailwatchConfig] = None
        self._settings_errors: dict[str, str] = {}
        self._dispatcher: Optional[Dispatcher] = None
        self._channels = None
        self._identity: Optional[Identity] = None
        self._last_save: Optional[dict] = None  # what the last save kept out and changed, for the settings page
        # the safe pause exists before OctoPrint starts: it is registered as the scripts hook
        self.print_action = PrintAction(lambda: self._config, logging.getLogger("octoprint.plugins.failwatch"))

    def initialize(self):
        data = Path(self.get_plugin_data_folder())
        # a verification's calls go out together, each on a thread that never holds up OctoPrint's exit
        self._executor = DaemonThreadExecutor("failwatch-model")
        # frames are taken off the engine's thread: a stream that takes seconds to open holds up nothing
        self._camera_pool = DaemonThreadExecutor("failwatch-camera")
        self._spend = DailySpend(data / "spend.json")
        # the on-device detector, fetched and loaded off OctoPrint's threads; the page hears when it is ready
        self._detector = DetectorSlot(data / "models", self._logger, on_change=self._push_status)
        self.incidents = IncidentHistory(data / "incidents", logger=self._logger)
        self._print_gate = PrintGate(self._printer, lambda: self._config, self._logger)
        self.print_action.attach(self._printer)
        self.recent_checks = RecentChecks()
        self.notice = FailureNotice(self._send_to_browser, self._logger)
        self.test_run = TestRun(lambda sink, logger: self._make_engine(sink, self._new_camera(), False, logger),
                             self.recent_checks.record, self._push_status, self._logger, BEAT_SECONDS)
        self._watch = Watch(lambda camera: self._make_engine(self._on_engine_event, camera), self._new_camera,
                            BEAT_SECONDS, self._logger)
        self._feedback = Feedback(self.incidents, self._watch, self.print_action,
                                  lambda: self._config.resume_grace_seconds)
        self.controls = UserControls(self._watch, self.notice, self.incidents, self._feedback, self._push_status)
        self._remote = RemoteCommands(self.controls, lambda: (self.notice.current or {}).get("incident"), self._printer,
                                      self.print_action, self._logger)
        if not self._settings.get(["instance_id"]):  # this instance's name on MQTT: made once, kept
            self._settings.set(["instance_id"], secrets.token_hex(3))
            self._settings.save()
        self._apply_settings()

    ##~~ SettingsPlugin

    def get_settings_defaults(self):
        return dict(cfg.PLUGIN_DEFAULTS)

    def get_settings_restricted_paths(self):
        return {"admin": [[key] for key in cfg.SECRET_KEYS]}

    def on_settings_load(self):
        # non-admins already get None for the secrets here; admins get the placeholder
        return settings_form.masked(octoprint.plugin.SettingsPlugin.on_settings_load(self))

    def on_settings_save(self, data):
        stored = self._settings.get_all_data(merged=True)
        accepted, refused = settings_form.accepted_and_refused(stored, data)
        for line in cfg.describe_errors(refused):
            self._logger.warning("Failwatch did not save a setting: %s", line)
        result = octoprint.plugin.SettingsPlugin.on_settings_save(self, accepted)
        self._last_save = {"time": time.time(), "notes": self._apply_settings(),
                           "refused": settings_form.refusals(refused, data, stored)}
        self._send_to_browser({"type": "settings_saved", **self._last_save})
        self._push_status()
        return result

    def with_stored_secrets(self, form: dict) -> dict:
        return settings_form.with_stored_secrets(self._settings.get_all_data(merged=True), form)

    def _apply_settings(self) -> list[str]:
        """Applies the stored settings to what they touch, keeping the watch's state; says what changed for it."""
        old = self._config
        self._config, self._settings_errors = cfg.build_config(self._settings.get_all_data(merged=True))
        config, parts = self._config, cfg.changed_parts(old, self._config)
        self._logger.setLevel(logging.DEBUG if config.verbose_logging else logging.INFO)
        self._detector.configure(config)  # the same detector settings load nothing again
        for line in cfg.describe_errors(self._settings_errors):
            self._logger.warning("Failwatch setting ignored, default used: %s", line)
        if "alerts" in parts:
            self._connect_channels()
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(config, self._channels, self.print_action, self.incidents,
                                          lambda: printer_name(self._settings), lambda: job_info(self._printer),
                                          self.take_snapshot, self._spend, self._logger)
        self._dispatcher.reconfigure(config, self._channels)
        if old is None:
            return []
        watched = self._watch.state not in (State.IDLE, State.NOT_CONFIGURED)
        if old.test_mode != config.test_mode and watched:
            self._start_watching("test mode changed") if self._printer.is_printing() else self._stop_watching()
            return ["test mode on: this print is no longer watched; only Test now runs a cycle" if config.test_mode
                    else "test mode off: this print is watched again"]
        self._watch.reconfigure(config, "camera" in parts,
                                self._analyser() if "model" in parts else None)
        if self._watch.state == State.NOT_CONFIGURED and not config.not_ready() and self._printer.is_printing():
            # the print started before the settings were complete: it is watched from now on, not from the next
            self._start_watching("settings complete: watching this print", same_print=True)
            return ["the settings are complete: this print is watched from now on"]
        return settings_form.notes(parts, describe_source(config)) if watched else []

    ##~~ StartupPlugin, ShutdownPlugin

    def on_after_startup(self):
        self._dispatcher.handle(StatusChanged(self.status()))  # MQTT and Home Assistant learn the state at once
        self._print_gate.new_print(already_running=self._printer.is_printing() or self._printer.is_paused())
        if self._printer.is_printing():
            self._start_watching("OctoPrint started during a print")
        elif self._printer.is_paused():
            self._start_watching("OctoPrint started during a paused print")
            self._watch.control(Engine.suspend)

    def on_shutdown(self):
        self.test_run.stop()
        self._watch.close()
        self._channels.close()

    ##~~ EventHandlerPlugin (OctoPrint's event thread: quick state changes only, the work is on the engine's thread)

    def on_event(self, event, payload):
        if event in (Events.PRINT_STARTED, *PRINT_ENDED):
            self.print_action.new_print()  # a pause of ours belongs to the print we paused
        if event == Events.PRINT_STARTED:
            for part in (self.recent_checks, self._print_gate, self._feedback, self.test_run):
                part.new_print()
            self._start_watching("print started")
        elif event == Events.PRINT_RESUMED:
            self._feedback.user_resumed()
            self._start_watching("print resumed", same_print=True)
            grace = self._config.resume_grace_seconds
            self._watch.control(lambda engine: engine.grace(grace))  # no re-alarm the moment the user resumes
        elif event == Events.PRINT_PAUSED:
            self._watch.control(Engine.suspend)
        elif event in PRINT_ENDED:
            self._stop_watching()
        elif event == Events.SETTINGS_UPDATED and self._identity is not None and \
                (self._settings.global_get(["appearance", "name"]) or "") != self._identity.printer_name:
            self._connect_channels()  # renamed: the same Home Assistant device, under its new name

    ##~~ the watch and its engine events

    def _make_engine(self, sink, camera, gated: bool = True, logger=None) -> Engine:
        return Engine(self._config, capture=camera, analyse=self._analyser(),
                       executor=self._executor, on_event=sink, clock=self._clock, logger=logger or self._logger,
                       gate=self._print_gate.reason_to_wait if gated else (lambda: None),
                       camera_executor=self._camera_pool, start_spread=1.0, detector=self._detector)

    def _analyser(self):
        return make_analyser(self._config, self._clock, self._spend, self._detector)

    def _start_watching(self, reason: str, same_print: bool = False) -> None:
        self._watch.start(reason, self._config.test_mode, same_print)
        self._push_status()

    def _stop_watching(self) -> None:
        self._watch.stop()
        self._push_status()

    def _on_engine_event(self, event: EngineEvent) -> None:
        self.recent_checks.record(event)
        for outcome in self._dispatcher.handle(event):
            self._feedback.recorded(outcome.payload.get("incident"))
            if outcome.name == "failure_confirmed":
                self.notice.show(outcome)
            self._event_bus.fire(f"plugin_failwatch_{outcome.name}", outcome.payload)
        if self._worth_pushing(event):
            self._push_status()

    def _worth_pushing(self, event: EngineEvent) -> bool:
        if isinstance(event, LocalLooked):  # every 2 s: the page hears of it with the next change
            return False
        # a confirmed failure starts its cooldown a moment before it is announced: the page would show
        # "Cooldown" before "FAILURE"; it hears both at once, with the announcement
        return not (isinstance(event, StatusChanged) and event.status["state"] == State.COOLDOWN.value
                    and not event.status["acknowledged"] and self.notice.current is None)

    ##~~ what the API asks for

    def status(self) -> dict:
        # no plugin lock here: the engine calls this while holding its own lock
        return status_report.report(
            self._watch.status() or idle_status(), self._config, time.time(), settings_errors=self._settings_errors,
            failure=self.notice.current, spent_today=self._spend.today(), daily_budget=self._config.daily_budget_usd,
            camera=describe_source(self._config), last_save=self._last_save, test=self.test_run.result,
            latest_frames=self.recent_checks.frame_count(), detector=self._detector.status(),
            alerts=self._channels.status())

    def test_connection(self, unsaved: dict) -> dict:
        """One frame now and one model call, with the settings as they are in the form (not saved)."""
        config, errors = cfg.build_config(self.with_stored_secrets(unsaved))
        if errors:
            return {"ok": False, "error": "; ".join(cfg.describe_errors(errors))}
        if config.not_ready():
            return {"ok": False, "error": config.not_ready()}
        frame = make_camera(config, self._clock, self._plugin_manager)()
        verdict = make_analyser(config, self._clock, self._spend, self._detector)([frame])
        return {"ok": True, "verdict": verdict.as_dict(), "camera": describe_source(config)}

    def take_snapshot(self) -> bytes:
        return self._new_camera()().jpeg

    def send_test_alert(self) -> dict[str, tuple[bool, str]]:
        return self._channels.send_test(Alert(TEST, printer_name(self._settings), snapshot=self.take_snapshot))

    ##~~ helpers

    def _connect_channels(self) -> None:
        if self._channels is not None:
            self._channels.close()
        config, name = self._config, self._settings.global_get(["appearance", "name"]) or ""
        self._identity = Identity.of(config.instance_id, name, config.mqtt_topic)
        self._channels = make_channels(config, self._identity, self._logger,
                                       octoprint_mqtt_helpers(self._plugin_manager, self._settings),
                                       Path(self.get_plugin_data_folder()) / "mqtt-retained.json", self._remote.run)
        if self._dispatcher is not None:
            self._dispatcher.reconfigure(config, self._channels)
            self._dispatcher.handle(StatusChanged(self.status()))  # a new connection says the state at once

    def _new_camera(self):
        return make_camera(self._config, self._clock, self._plugin_manager)

    def _send_to_browser(self, message: dict) -> None:
        self._plugin_manager.send_plugin_message(self._identifier, message)

    def _push_status(self) -> None:
        try:
            self._send_to_browser({"type": "status", "status": self.status()})
        except Exception:
            self._logger.exception("Failwatch could not push its status to the browser")

    ##~~ AssetPlugin, TemplatePlugin

    def get_assets(self):
        return {"js": ["js/failwatch.js"], "clientjs": ["clientjs/failwatch.js"], "css": ["css/failwatch.css"]}

    def get_template_configs(self):
        return [{"type": "navbar", "custom_bindings": True, "classes": ["dropdown"]},
                {"type": "settings", "custom_bindings": True}, {"type": "tab", "custom_bindings": True}]

    def is_template_autoescaped(self):
        return True
