"""OctoPrint-Failwatch: the plugin class. OctoPrint wiring only — settings, events, API, assets, hooks.

The detection itself lives in `monitor.Monitor`; this class builds one from the settings, drives
it with a `RepeatedTimer` while a print runs, turns its events into OctoPrint events, UI messages
and print actions, and answers the API. Nothing here blocks OctoPrint's event thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

import flask
import octoprint.plugin
from flask_babel import gettext
from octoprint.access import ADMIN_GROUP, READONLY_GROUP, USER_GROUP
from octoprint.access.permissions import Permissions
from octoprint.util import RepeatedTimer

from . import config as cfg
from .actions import PAUSED, PrintActions, extrusion_mode, pause_script, resume_script
from .alerts import Alerts
from .analysis import Analyser, DailySpend, make_backend
from .camera import SharedSnapshot, describe_source, make_camera
from .detector import AnalysisError
from .frame import CameraError
from .history import LABELS, IncidentHistory
from .monitor import Monitor, State, SystemClock
from .print_gate import PrintGate

SECRET_PLACEHOLDER = "********"  # what the settings page shows for a secret that is set
TICK_SECONDS = 0.5
MODEL_CALLS_AT_ONCE = 12  # up to 10 verification series, the series call and a quick check
TIMELINE_LENGTH = 2160  # checks kept for the tab's timeline (6 h at a quick check every 10 s)
TEST_RUN_LIMIT = 15 * 60.0  # a "Test now" cycle that has not finished by then is abandoned
CUSTOM_EVENTS = ("failure_detected", "failure_confirmed", "verification_rejected", "camera_problem", "paused")


class FailwatchPlugin(
    octoprint.plugin.StartupPlugin,
    octoprint.plugin.ShutdownPlugin,
    octoprint.plugin.SettingsPlugin,
    octoprint.plugin.TemplatePlugin,
    octoprint.plugin.AssetPlugin,
    octoprint.plugin.SimpleApiPlugin,
    octoprint.plugin.EventHandlerPlugin,
):
    def __init__(self):
        super().__init__()
        self._clock = SystemClock()
        self._monitor_lock = threading.RLock()  # guards the monitor, its timer and the test run
        self._monitor: Optional[Monitor] = None
        self._timer: Optional[RepeatedTimer] = None
        self._test_monitor: Optional[Monitor] = None
        self._test_result: Optional[dict] = None
        self._executor: Optional[ThreadPoolExecutor] = None
        self._config: Optional[cfg.FailwatchConfig] = None
        self._settings_errors: dict[str, str] = {}
        self._last_failure: Optional[dict] = None
        self._actions: Optional[PrintActions] = None
        self._spend: Optional[DailySpend] = None
        self._alerts: Optional[Alerts] = None
        self._failure_snapshot: Optional[bytes] = None
        self._camera = None
        self._history: Optional[IncidentHistory] = None
        self._our_pause_incident: Optional[str] = None  # set while the print is paused by us
        self._pausing = False  # our pause is under way: the pause scripts get the safe sequence
        self._latest_frames: list[bytes] = []  # the last analysed series, for the Failwatch tab
        self._timeline: deque = deque(maxlen=TIMELINE_LENGTH)  # this print's checks
        self._extrusion_mode: Optional[str] = None
        self._print_gate: Optional[PrintGate] = None

    def initialize(self):
        # a verification's calls go out together; the pool starts threads only when they are needed
        self._executor = ThreadPoolExecutor(max_workers=MODEL_CALLS_AT_ONCE, thread_name_prefix="failwatch-model")
        self._actions = PrintActions(self._printer, self._logger)
        self._print_gate = PrintGate(self._printer, lambda: self._config, self._logger)
        self._spend = DailySpend(Path(self.get_plugin_data_folder()) / "spend.json")
        self._history = IncidentHistory(Path(self.get_plugin_data_folder()) / "incidents", logger=self._logger)
        self._load_config()

    # ----- configuration -----

    def _load_config(self) -> None:
        self._config, self._settings_errors = cfg.build_config(self._settings.get_all_data(merged=True))
        self._logger.setLevel(logging.DEBUG if self._config.verbose_logging else logging.INFO)
        for line in cfg.describe_errors(self._settings_errors):
            self._logger.warning("Failwatch setting ignored, default used: %s", line)
        if self._alerts is not None:
            self._alerts.close()
        self._alerts = self._make_alerts(self._config)

    def _make_alerts(self, config: cfg.FailwatchConfig) -> Alerts:
        helpers = self._plugin_manager.get_helpers("mqtt", "mqtt_publish") or {}
        return Alerts(
            config,
            printer_name=self._settings.global_get(["appearance", "name"]) or "OctoPrint",
            snapshot=lambda: make_camera(config, self._clock, self._plugin_manager)().jpeg,
            job=self._job_info,
            logger=self._logger,
            mqtt_helper=helpers.get("mqtt_publish"),
        )

    def _job_info(self) -> dict:
        data = self._printer.get_current_data() or {}
        job = data.get("job") or {}
        progress = data.get("progress") or {}
        return {
            "file": (job.get("file") or {}).get("name"),
            "progress": progress.get("completion"),
            "elapsed": progress.get("printTime"),
        }

    def get_settings_defaults(self):
        return dict(cfg.DEFAULTS)

    def get_settings_restricted_paths(self):
        return {"admin": [[key] for key in cfg.SECRET_KEYS]}

    def on_settings_load(self):
        data = octoprint.plugin.SettingsPlugin.on_settings_load(self)  # non-admins already get None here
        for key in cfg.SECRET_KEYS:
            if data.get(key):
                data[key] = SECRET_PLACEHOLDER  # a secret never goes back to a browser, not even an admin's
        return data

    def _with_stored_secrets(self, form: dict) -> dict:
        """The stored settings with the form's values on top; a placeholder keeps the stored secret."""
        unchanged = {key for key in cfg.SECRET_KEYS if form.get(key) == SECRET_PLACEHOLDER}
        return {**self._settings.get_all_data(merged=True),
                **{key: value for key, value in form.items() if key not in unchanged}}

    def on_settings_save(self, data):
        for key in cfg.SECRET_KEYS:
            if data.get(key) == SECRET_PLACEHOLDER:
                data.pop(key)
        current = self._settings.get_all_data(merged=True)
        _, errors = cfg.validate({**current, **data})
        rejected = {key: message for key, message in errors.items() if key in data}
        for key in rejected:
            data.pop(key)  # keep the last good value; the message says why
        for line in cfg.describe_errors(rejected):
            self._logger.warning("Failwatch did not save a setting: %s", line)
        result = octoprint.plugin.SettingsPlugin.on_settings_save(self, data)
        self._load_config()
        self._settings_errors.update(rejected)
        with self._monitor_lock:
            if self._monitor is not None and self._monitor.state not in (State.IDLE, State.PAUSED):
                self._start_monitoring("settings changed")
        self._push_status()
        return result

    # ----- lifecycle -----

    def on_after_startup(self):
        self._print_gate.new_print(already_running=self._printer.is_printing() or self._printer.is_paused())
        if self._printer.is_printing():
            self._start_monitoring("OctoPrint started during a print")
        elif self._printer.is_paused():
            self._start_monitoring("OctoPrint started during a paused print")
            self._monitor.suspend()

    def on_shutdown(self):
        self._stop_monitoring()
        close_camera = getattr(self._camera, "close", None)
        if close_camera:
            close_camera()
        if self._alerts is not None:
            self._alerts.close()
        if self._executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def on_event(self, event, payload):
        # runs on OctoPrint's event thread: only quick state changes here, the work is on the timer
        if event in ("PrintStarted", "PrintDone", "PrintFailed", "PrintCancelled"):
            self._pausing = False  # a safe-pause sequence belongs to the print that we paused
            self._our_pause_incident = None
        if event == "PrintStarted":
            self._actions.new_print()
            self._timeline.clear()
            self._print_gate.new_print()
            self._start_monitoring("print started")
        elif event == "PrintResumed":
            if self._our_pause_incident is not None:
                self._history.add_label(self._our_pause_incident, "resumed_by_user")
                self._our_pause_incident = None
            self._start_monitoring("print resumed", same_print=True)
            with self._monitor_lock:
                if self._monitor is not None:  # no re-alarm the moment the user resumes
                    self._monitor.grace(self._config.resume_grace_minutes * 60)
        elif event == "PrintPaused":
            with self._monitor_lock:
                if self._monitor is not None:
                    self._monitor.suspend()
        elif event in ("PrintDone", "PrintFailed", "PrintCancelled", "Disconnected"):
            self._stop_monitoring()

    def _build_monitor(self, config: cfg.FailwatchConfig, on_event, camera, gated: bool = True) -> Monitor:
        return Monitor(
            config,
            capture=camera,
            analyse=self._analyser(config),
            executor=self._executor,
            on_event=on_event,
            clock=self._clock,
            logger=self._logger,
            gate=self._print_gate.reason_to_wait if gated else (lambda: None),
        )

    def _analyser(self, config: cfg.FailwatchConfig) -> Analyser:
        return Analyser(config, make_backend(config, self._clock), self._spend)

    def _start_monitoring(self, reason: str, same_print: bool = False) -> None:
        """Starts watching; `same_print` keeps the print's counters (resume after a pause)."""
        with self._monitor_lock:
            if not (same_print and self._monitor is not None):  # a resume keeps counters and any cooldown
                if self._monitor is not None:
                    self._monitor.stop()
                # kept so shutdown can close it: an open RTSP reader must not outlive OctoPrint
                self._camera = make_camera(self._config, self._clock, self._plugin_manager)
                self._monitor = self._build_monitor(self._config, self._on_monitor_event, self._camera)
            self._logger.info("Failwatch: %s", reason)
            if self._config.test_mode:
                self._monitor.stop()
                self._push_status()
                return  # seed test mode: only "Test now" runs a cycle
            self._monitor.start()
            if self._timer is None:
                self._timer = RepeatedTimer(TICK_SECONDS, self._tick, daemon=True)
                self._timer.start()

    def _stop_monitoring(self) -> None:
        with self._monitor_lock:
            if self._monitor is not None:
                self._monitor.stop()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._push_status()

    def _tick(self) -> None:
        monitor = self._monitor
        if monitor is not None:
            monitor.tick()  # never raises

    # ----- engine events -----

    def _on_monitor_event(self, name: str, payload: dict, test_run: bool = False) -> None:
        if name == "status":
            self._push_status()
            return
        config, alerts = self._config, self._alerts
        if name == "analysis":
            verdict = payload["verdict"]
            self._latest_frames = [frame.jpeg for frame in payload.pop("frames", [])]
            self._timeline.append({"time": time.time(), "confidence": verdict["confidence"],
                                   "failed": verdict["print_failed"]})
            alerts.analysis(verdict, payload["state"], self._cost())
            self._push_status()
            return
        if name == "camera_ok":
            alerts.cleared("camera")
            self._push_status()
            return
        if name == "camera_problem" and config.alert_camera_problems:
            alerts.problem("camera", payload["text"])
        if name == "monitoring_stopped":
            if config.alert_monitoring_stopped:
                alerts.problem("stopped", payload["text"])
            return
        frames = payload.pop("frames", None)  # Frame objects go to the history, not into events
        if name == "failure_confirmed":
            payload = self._act_on_failure(payload, test_run, frames)
        elif name == "verification_rejected":
            payload["incident"] = self._record("rejected", {**payload, "test_run": test_run}, frames)
        self._event_bus.fire(f"plugin_failwatch_{name}", payload)
        self._push_status()

    def _record(self, kind: str, payload: dict, frames: Optional[dict]) -> Optional[str]:
        try:
            return self._history.record(kind, {**payload, "job": self._job_info()}, frames or {})
        except OSError as exc:  # a full disk must not stop detection
            self._logger.warning("Failwatch: could not store the incident: %s", exc)
            return None

    def _act_on_failure(self, payload: dict, test_run: bool, frames: Optional[dict]) -> dict:
        self._prepare_safe_pause()
        action = self._actions.on_confirmed_failure(self._config, test_run)
        self._pausing = action == PAUSED
        trigger = payload["trigger"]
        incident = self._record("confirmed", {**payload, "action": action, "test_run": test_run}, frames)
        if action == PAUSED:
            self._our_pause_incident = incident
        self._last_failure = {
            "incident": incident,
            "explanation": trigger["explanation"],
            "confidence": trigger["confidence"],
            "failure_type": trigger["failure_type"],
            "action": action,
            "test_run": test_run,
            "time": time.time(),
        }
        self._logger.warning(
            "Failwatch: print failure confirmed (%d of %d): %s; action: %s",
            payload["positives"], payload["series"], trigger["explanation"], action,
        )
        # one picture taken at alert time, shared by the Discord message and the browser notice
        snapshot = SharedSnapshot(lambda: make_camera(self._config, self._clock, self._plugin_manager)().jpeg)
        self._alerts.failure(trigger, payload["positives"], payload["series"], action, self._cost(), snapshot)
        threading.Thread(target=self._show_failure, args=(dict(self._last_failure), snapshot), daemon=True,
                         name="failwatch-failure-snapshot").start()
        if action == PAUSED:
            self._event_bus.fire("plugin_failwatch_paused", {"explanation": trigger["explanation"]})
        return {**payload, "action": action, "test_run": test_run, "incident": incident}

    def _show_failure(self, failure: dict, snapshot: SharedSnapshot) -> None:
        """A popup in every open OctoPrint page, with the alert-time snapshot (not a series frame)."""
        try:
            self._failure_snapshot = snapshot()
            failure["snapshot"] = True
        except Exception as exc:
            self._logger.warning("Failwatch: no snapshot for the failure notice: %s", exc)
        self._plugin_manager.send_plugin_message(self._identifier, {"type": "failure", **failure})

    def _cost(self) -> dict:
        monitor = self._monitor
        counters = monitor.status()["counters"] if monitor else {"cost_usd": 0.0}
        return {"print_usd": round(counters["cost_usd"], 6),
                "today_usd": round(self._spend.today(), 6) if self._spend else 0.0}

    # ----- the safe pause sequence, added to OctoPrint's pause/resume scripts for our pauses only -----

    def _prepare_safe_pause(self) -> None:
        data = self._printer.get_current_data() or {}
        job_file = (data.get("job") or {}).get("file") or {}
        filepos = (data.get("progress") or {}).get("filepos") or 0
        self._extrusion_mode = None
        if job_file.get("origin") == "local" and job_file.get("path"):
            path = self._file_manager.path_on_disk("local", job_file["path"])
            self._extrusion_mode = extrusion_mode(path, filepos)

    def gcode_script_hook(self, comm, script_type, script_name, *args, **kwargs):
        if script_type != "gcode":
            return None
        if script_name == "afterPrintPaused" and self._pausing:
            return None, pause_script(self._config, self._extrusion_mode)
        if script_name == "beforePrintResumed" and self._pausing:
            self._pausing = False
            temperatures = comm.pause_temperature.as_script_dict()
            target = (temperatures.get(0) or temperatures.get("0") or {}).get("target")
            return resume_script(self._config, self._extrusion_mode, comm.pause_position, target), None
        return None

    # ----- status -----

    def status(self) -> dict:
        # no plugin lock here: the engine calls this while holding its own lock
        monitor = self._monitor
        status = monitor.status() if monitor else Monitor.idle_status()
        config = self._config
        if config.test_mode and status["state"] == State.IDLE.value:
            status["message"] = "test mode: monitoring runs only when you press Test now"
        missing = config.missing_for_monitoring()
        if missing and status["state"] == State.IDLE.value:
            status["state"] = State.NOT_CONFIGURED.value
            status["message"] = "not configured: set the " + ", ".join(missing)
        hours = (time.time() - status["watching_since"]) / 3600 if status.get("watching_since") else 0
        spent_today = self._spend.today() if self._spend else 0.0
        status.update(
            cost_per_hour=status["counters"]["cost_usd"] / hours if hours > 0.01 else None,
            spent_today=spent_today,
            daily_budget=config.daily_budget_usd,
            camera=describe_source(config),
            model=config.model_name,
            action=config.failure_action,
            settings_errors=dict(self._settings_errors),
            settings_messages=cfg.describe_errors(self._settings_errors),
            last_failure=self._last_failure,
            test=self._test_result,
            latest_frames=len(self._latest_frames),
            alerts=self._alerts.status() if self._alerts else {},
        )
        return status

    def _push_status(self) -> None:
        try:
            self._plugin_manager.send_plugin_message(self._identifier, {"type": "status", "status": self.status()})
        except Exception:
            self._logger.exception("Failwatch could not push its status to the browser")

    # ----- "Test now" (seed test mode): one full cycle, never touches the print -----

    def _test_now(self) -> bool:
        with self._monitor_lock:
            if self._test_monitor is not None:
                return False
            self._test_result = {"running": True, "message": "test running"}
            config = self._config
            self._test_monitor = self._build_monitor(
                config, self._on_test_event, make_camera(config, self._clock, self._plugin_manager), gated=False
            )
        threading.Thread(target=self._run_test, name="failwatch-test", daemon=True).start()
        return True

    def _on_test_event(self, name: str, payload: dict) -> None:
        if name == "failure_confirmed":
            self._on_monitor_event(name, payload, test_run=True)
        if name == "analysis":
            self._latest_frames = [frame.jpeg for frame in payload["frames"]]  # shown in the tab
            self._test_result = {**(self._test_result or {}), "verdict": payload["verdict"]}
        self._push_status()

    def _run_test(self) -> None:
        monitor = self._test_monitor
        monitor.run_once(threading.Event(), TICK_SECONDS, TEST_RUN_LIMIT)
        status = monitor.status()
        with self._monitor_lock:
            self._test_result = {
                **(self._test_result or {}),
                "running": False,
                "message": status["message"] if status["state"] != State.IDLE.value else "test finished",
                "error": status["error"],
                "counters": status["counters"],
            }
            self._test_monitor = None
        monitor.stop()
        self._push_status()

    def _test_connection(self, unsaved: dict) -> dict:
        """One frame now, one model call with the settings as they are in the form (not saved)."""
        if not isinstance(unsaved, dict):
            return {"ok": False, "error": "settings must be an object"}
        config, errors = cfg.build_config(self._with_stored_secrets(unsaved))
        if errors:
            return {"ok": False, "error": "; ".join(cfg.describe_errors(errors))}
        missing = config.missing_for_monitoring()
        if missing:
            return {"ok": False, "error": "not configured: set the " + ", ".join(missing)}
        try:
            frame = make_camera(config, self._clock, self._plugin_manager)()
            verdict = self._analyser(config)([frame])
        except (CameraError, AnalysisError) as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:  # anything unexpected is still an answer, never a stack trace in the UI
            self._logger.exception("Failwatch test connection failed")
            return {"ok": False, "error": f"unexpected error: {type(exc).__name__}"}
        return {"ok": True, "verdict": verdict.as_dict(), "camera": describe_source(config)}

    def _feedback(self, incident_id: str, label: str):
        """'Not a failure' resumes the print if we paused it; every label is kept for evaluation."""
        if label not in LABELS or label == "resumed_by_user":
            flask.abort(400, description="label must be not_a_failure, confirmed or acknowledged")
        incident = self._history.add_label(incident_id, label)
        if incident is None:
            flask.abort(404, description="no such incident")
        resumed = False
        if label == "not_a_failure" and incident_id == self._our_pause_incident and self._printer.is_paused():
            self._our_pause_incident = None  # not a user resume after a real failure
            self._printer.resume_print(tags={"plugin:failwatch"})
            resumed = True
            self._logger.info("Failwatch: 'not a failure' for %s, print resumed", incident_id)
        if label in ("not_a_failure", "acknowledged") and self._last_failure and \
                self._last_failure.get("incident") == incident_id:
            self._last_failure = None
            monitor = self._monitor
            if monitor is not None:
                monitor.acknowledge()
        self._push_status()
        return flask.jsonify(incident=incident, resumed=resumed)

    # ----- API -----

    def is_api_protected(self):
        return True

    def get_api_commands(self):
        return {
            "test_now": [],
            "test_connection": [],
            "test_alert": [],
            "acknowledge": [],
            "snooze": ["minutes"],
            "validate_settings": ["settings"],
            "feedback": ["incident", "label"],
        }

    def on_api_get(self, request):
        if not Permissions.PLUGIN_FAILWATCH_VIEW.can():
            flask.abort(403)
        if "snapshot_now" in request.values:  # the settings page draws the region of interest on it
            if not Permissions.SETTINGS.can():
                flask.abort(403)
            try:
                return self._jpeg(make_camera(self._config, self._clock, self._plugin_manager)().jpeg)
            except CameraError as exc:
                flask.abort(502, description=str(exc))
        if "timeline" in request.values:
            return flask.jsonify(timeline=list(self._timeline))
        if "latest_frame" in request.values:
            try:
                return self._jpeg(self._latest_frames[int(request.values["latest_frame"])])
            except (ValueError, IndexError):
                flask.abort(404)
        if "incidents" in request.values:
            return flask.jsonify(incidents=self._history.list())
        if "incident" in request.values and "frame" in request.values:
            data = self._history.frame(request.values["incident"], request.values["frame"])
            if data is None:
                flask.abort(404)
            return self._jpeg(data)
        if "failure_snapshot" in request.values:
            if self._failure_snapshot is None:
                flask.abort(404)
            return self._jpeg(self._failure_snapshot)
        return flask.jsonify(self.status())

    @staticmethod
    def _jpeg(data: bytes):
        response = flask.make_response(data)
        response.headers["Content-Type"] = "image/jpeg"
        response.headers["Cache-Control"] = "no-store"
        return response

    def on_api_command(self, command, data):
        if command == "validate_settings":
            if not Permissions.SETTINGS.can():
                flask.abort(403)
            candidate = data.get("settings")
            if not isinstance(candidate, dict):
                flask.abort(400, description="settings must be an object")
            _, errors = cfg.validate(self._with_stored_secrets(candidate))
            return flask.jsonify(errors=errors, messages=cfg.describe_errors(errors))
        if not Permissions.PLUGIN_FAILWATCH_CONTROL.can():
            flask.abort(403)
        if command == "test_now":
            return flask.jsonify(started=self._test_now())
        if command == "test_alert":
            if not Permissions.SETTINGS.can():
                flask.abort(403)
            delivered, text = self._alerts.test_message()
            return flask.jsonify(ok=delivered, message=text)
        if command == "test_connection":
            if not Permissions.SETTINGS.can():
                flask.abort(403)
            return flask.jsonify(self._test_connection(data.get("settings") or {}))
        with self._monitor_lock:
            monitor = self._monitor
        if command == "feedback":
            return self._feedback(str(data["incident"]), str(data["label"]))
        if command == "acknowledge":
            self._last_failure = None
            if monitor is not None:
                monitor.acknowledge()
        elif command == "snooze":
            try:
                minutes = float(data["minutes"])
            except (TypeError, ValueError):
                flask.abort(400, description="minutes must be a number")
            if not 0 < minutes <= 24 * 60:
                flask.abort(400, description="minutes must be between 0 and 1440")
            if monitor is not None:
                monitor.snooze(minutes * 60)
        self._push_status()
        return flask.jsonify(self.status())

    # ----- UI -----

    def get_assets(self):
        return {"js": ["js/failwatch.js"], "css": ["css/failwatch.css"]}

    def get_template_configs(self):
        return [
            {"type": "navbar", "custom_bindings": True, "classes": ["dropdown"]},
            {"type": "settings", "custom_bindings": True},
            {"type": "tab", "custom_bindings": True},
        ]

    def is_template_autoescaped(self):
        return True

    # ----- hooks -----

    def get_additional_permissions(self, *args, **kwargs):
        return [
            {
                "key": "VIEW",
                "name": "View status",
                "description": gettext("Allows to see Failwatch's monitoring status"),
                "roles": ["view"],
                "default_groups": [ADMIN_GROUP, USER_GROUP, READONLY_GROUP],
            },
            {
                "key": "CONTROL",
                "name": "Control",
                "description": gettext("Allows to run Test now, snooze and acknowledge Failwatch alerts"),
                "roles": ["control"],
                "default_groups": [ADMIN_GROUP],
            },
        ]

    def register_custom_events(self, *args, **kwargs):
        return list(CUSTOM_EVENTS)

    def get_update_information(self, *args, **kwargs):
        return {
            "failwatch": {
                "displayName": "Failwatch",
                "displayVersion": self._plugin_version,
                "type": "github_release",
                "user": "failwatch",
                "repo": "OctoPrint-Failwatch",
                "current": self._plugin_version,
                "pip": "https://github.com/failwatch/OctoPrint-Failwatch/archive/{target_version}.zip",
            }
        }


__plugin_name__ = "Failwatch"
__plugin_version__ = "0.1.0"
__plugin_author__ = "The Failwatch developers"
__plugin_url__ = "https://github.com/failwatch/OctoPrint-Failwatch"
__plugin_license__ = "AGPLv3"
__plugin_description__ = (
    "Watches the print through the camera, asks a vision model whether it is failing, "
    "verifies, alerts and optionally pauses."
)
__plugin_pythoncompat__ = ">=3.9,<4"


def __plugin_load__():
    global __plugin_implementation__, __plugin_hooks__
    __plugin_implementation__ = FailwatchPlugin()
    __plugin_hooks__ = {
        "octoprint.access.permissions": __plugin_implementation__.get_additional_permissions,
        "octoprint.events.register_custom_events": __plugin_implementation__.register_custom_events,
        "octoprint.plugin.softwareupdate.check_config": __plugin_implementation__.get_update_information,
        "octoprint.comm.protocol.scripts": __plugin_implementation__.gcode_script_hook,
    }
