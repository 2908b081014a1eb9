"""OctoPrint-Failwatch: the plugin class — OctoPrint's mixins and hooks adapted to the one session.

Everything around the watch (engine, camera, incidents, alerts, controls, the print's lifecycle) is
`session.Session`'s, the same as the daemon's; this class hands it OctoPrint's printer, webcam, data folder, event
bus and browsers, turns OctoPrint's events into the print's lifecycle, and serves the settings. The safe pause is
`safe_pause.SafePause`, the HTTP API is `api.FailwatchApi`. Nothing here blocks OctoPrint's event thread.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Optional

import octoprint.plugin
from octoprint.events import Events

from .. import config as cfg
from ..engine.engine import SystemClock
from ..evaluation.past_print import PastPrintReplay
from ..outcomes.actions import PrintAction
from ..outcomes.alerts import Identity
from ..outcomes.alerts.octoprint_mqtt import octoprint_mqtt_helpers
from ..session.host import Host
from ..session.session import Session
from ..sources import make_camera
from . import status_report
from .api import FailwatchApi
from .octoprint_printer import OctoPrintPrinter
from .past_prints import PastPrints
from .recent_checks import RecentChecks
from .safe_pause import SafePause
from .settings_mixin import FailwatchSettings
from .webcam import OctoPrintWebcam
from .wizard import FailwatchWizard

PRINT_ENDED = (Events.PRINT_DONE, Events.PRINT_FAILED, Events.PRINT_CANCELLED, Events.DISCONNECTED)


class FailwatchPlugin(
    octoprint.plugin.StartupPlugin,
    octoprint.plugin.ShutdownPlugin,
    FailwatchSettings,
    octoprint.plugin.TemplatePlugin,
    octoprint.plugin.AssetPlugin,
    octoprint.plugin.EventHandlerPlugin,
    FailwatchWizard,
    FailwatchApi,
):
    def __init__(self) -> None:
        super().__init__()
        self._clock = SystemClock()
        # registered as OctoPrint's scripts and gcode hooks before `initialize` makes the session
        self.safe_pause = SafePause(self._print_action, self._current_config)
        self.recent_checks = RecentChecks()

    def initialize(self):
        if not self._settings.get(["instance_id"]):  # this instance's name on MQTT: made once, kept
            self._settings.set(["instance_id"], secrets.token_hex(3))
            self._settings.save()
        printer = OctoPrintPrinter(self._printer, self._settings, self._file_manager)
        # "What would Failwatch have done?": a past print replayed, its detector's model in the plugin's own cache
        self._replay = PastPrintReplay(Path(self.get_plugin_data_folder()) / "models", self._push_status, self._logger)
        self.session = Session(
            self.stored_config(),
            Host(
                printer=printer,
                make_camera=self._camera,
                data_folder=Path(self.get_plugin_data_folder()),
                identity=self._identity,
                printer_name=printer.display_name,
                logger=self._logger,
                status=self.status,
                clock=self._clock,
                pages=self._send_to_browser,
                changed=self._push_status,
                publish=self._fire,
                heard=self.recent_checks.record,
                new_print=self._new_print,
                mqtt_helpers=lambda: octoprint_mqtt_helpers(self._plugin_manager, self._settings),
            ),
        )
        self.past_prints = PastPrints(
            lambda: self._settings.getBaseFolder("timelapse"),
            lambda: self._settings.global_get(["webcam", "timelapse"]),
            self.session,
            self._replay,
        )

    def _print_action(self) -> Optional[PrintAction]:
        return self.session.print_action if hasattr(self, "session") else None

    def _current_config(self) -> Optional[cfg.FailwatchConfig]:
        return self.session.config if hasattr(self, "session") else None

    def _camera(self, config: cfg.FailwatchConfig):
        return make_camera(
            config, self._clock, webcam=lambda: OctoPrintWebcam(config.webcam_name, self._clock, self._plugin_manager)
        )

    def _identity(self, config: cfg.FailwatchConfig) -> Identity:
        name = self._settings.global_get(["appearance", "name"]) or ""
        return Identity.of(config.instance_id, name, config.mqtt_topic)

    ##~~ StartupPlugin, ShutdownPlugin

    def on_after_startup(self):
        self.session.tell_state()  # MQTT and Home Assistant learn the state at once
        if self._printer.is_printing() or self._printer.is_paused():
            self.session.follower.joined(self.session.host.printer.job().get("file"), self._printer.is_paused())
            self._push_status()

    def on_shutdown(self):
        self.session.close()

    ##~~ EventHandlerPlugin (OctoPrint's event thread: quick state changes only, the work is on the engine's thread)

    def on_event(self, event, payload):
        follower = self.session.follower
        if event == Events.PRINT_STARTED:
            self.safe_pause.new_print()
            follower.started((payload or {}).get("name"))
        elif event == Events.PRINT_RESUMED:
            follower.resumed()
        elif event == Events.PRINT_PAUSED:
            follower.paused()
        elif event in PRINT_ENDED:
            self.safe_pause.new_print()
            follower.ended()
        elif (
            event == Events.SETTINGS_UPDATED
            and self._identity(self.session.config).printer_name != self.session.identity.printer_name
        ):
            self.session.connect_channels()  # renamed: the same Home Assistant device, under its new name
            return
        else:
            return
        self._push_status()

    def _new_print(self) -> None:
        self.recent_checks.new_print()
        self._replay.cancel()  # the CPU is the printer's now

    def _fire(self, outcome) -> None:
        self._event_bus.fire(f"plugin_failwatch_{outcome.name}", outcome.payload)

    ##~~ what the pages are told

    def status(self) -> dict:
        # no plugin lock here: the engine calls this while holding its own lock
        return status_report.of_session(
            self.session,
            time.time(),
            settings_errors=self._settings_errors,
            last_save=self._last_save,
            latest_frames=self.recent_checks.frame_count(),
            replay=self._replay.state(),
        )

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
        return [
            {"type": "navbar", "custom_bindings": True, "classes": ["dropdown"]},
            {"type": "settings", "custom_bindings": True},
            {"type": "tab", "custom_bindings": True},
            {"type": "wizard", "custom_bindings": True, "name": "Failwatch"},
        ]

    def is_template_autoescaped(self):
        return True
