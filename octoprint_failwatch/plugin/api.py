"""Failwatch's HTTP API: one route per resource under /plugin/failwatch/, each with its permission.

A mixin of the plugin class (OctoPrint collects a BlueprintPlugin's routes from the plugin object).
The browser reaches it through the client component in static/clientjs/failwatch.js.
"""

from __future__ import annotations

import base64

import flask
import octoprint.plugin
from octoprint.access.permissions import Permissions

from ..analysis import AnalysisError
from ..config import CONNECTION_KEYS, build_config, describe_errors, parse_roi, validate
from ..frame import CameraError, Frame
from ..outcomes.alerts import TEST, Alert
from ..outcomes.history import LABELS, PAGE_LIMIT
from ..session.session import Session
from ..sources import describe_source
from . import settings_form
from .past_prints import PastPrints
from .recent_checks import RecentChecks

MAX_SNOOZE_MINUTES = 24 * 60


def _jpeg(data: bytes) -> flask.Response:
    response = flask.make_response(data)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_body() -> dict:
    try:
        body = flask.request.get_json(silent=True)
    except RecursionError:  # nested thousands of levels deep: a bad request, not a crash
        flask.abort(400, description="the request body is nested too deeply")
    if not isinstance(body, dict):
        flask.abort(400, description="the request body must be a JSON object")
    return body


class FailwatchApi(octoprint.plugin.BlueprintPlugin):
    """The routes. What they need of the plugin is declared here — the session (incidents, the notice, Test now,
    the user's controls), the tab's recent checks and the status, which the plugin class provides (it comes first
    in the method order); no route reaches into the plugin's private state."""

    session: Session
    recent_checks: RecentChecks  # the tab's frames and timeline
    past_prints: PastPrints  # OctoPrint's timelapses, and the replay of one

    def status(self) -> dict:
        raise NotImplementedError

    def with_stored_secrets(self, form: dict) -> dict:
        return settings_form.with_stored_secrets(self._settings.get_all_data(merged=True), form)

    def take_snapshot(self) -> bytes:
        return self.session.watch.snapshot()

    def test_connection(self, unsaved: dict) -> dict:
        """One frame now and one model call, with the settings as they are in the form (not saved)."""
        settings, retype = settings_form.stored_secrets_for_test(self._settings.get_all_data(merged=True), unsaved)
        if retype:  # a stored secret is never sent to an endpoint the user has just typed
            return {
                "ok": False,
                "error": "the endpoint changed: type "
                + " and ".join(retype)
                + " again to test against it (a stored secret goes only where it was saved for)",
            }
        config, errors = build_config(settings)
        if errors:
            return {"ok": False, "error": "; ".join(describe_errors(errors))}
        if config.not_ready():
            return {"ok": False, "error": config.not_ready()}
        frame = self._one_frame(config)
        verdict = self.session.assembly.analyser(config)([frame])  # as a watch would ask, offline too
        return {"ok": True, "verdict": verdict.as_dict(), "camera": describe_source(config)}

    def ask_for_wizard_again(self) -> None:
        raise NotImplementedError

    def form_picture(self, unsaved: dict) -> bytes:
        """One frame from the camera as the form sets it (not saved): the wizard shows it."""
        config, errors = build_config(self.with_stored_secrets(unsaved))
        if errors:
            raise ValueError("; ".join(describe_errors(errors)))
        return self._one_frame(config).jpeg

    def _one_frame(self, config) -> Frame:
        """A frame through a camera of its own, made from `config` and closed after (an RTSP stream opened for this
        one frame is not kept)."""
        camera = self.session.host.make_camera(config)
        try:
            return camera()
        finally:
            camera.close()

    def send_test_alert(self) -> dict[str, tuple[bool, str]]:
        session = self.session
        return session.channels.send_test(Alert(TEST, session.host.printer_name(), snapshot=self.take_snapshot))

    def is_blueprint_csrf_protected(self):
        return True

    ##~~ status and what the tab shows

    @octoprint.plugin.BlueprintPlugin.route("/status", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_status(self):
        return flask.jsonify(self.status())

    @octoprint.plugin.BlueprintPlugin.route("/timeline", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_timeline(self):
        return flask.jsonify(timeline=self.recent_checks.timeline())

    @octoprint.plugin.BlueprintPlugin.route("/latest/<int:index>.jpg", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_latest_frame(self, index):
        data = self.recent_checks.frame(index)
        if data is None:
            flask.abort(404)
        return _jpeg(data)

    @octoprint.plugin.BlueprintPlugin.route("/failure_snapshot.jpg", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_failure_snapshot(self):
        if self.session.notice.snapshot is None:
            flask.abort(404)
        return _jpeg(self.session.notice.snapshot)

    ##~~ the bed check

    @octoprint.plugin.BlueprintPlugin.route("/bed_check.jpg", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_bed_check_picture(self):
        picture = self.session.bed_check.picture  # kept only while the plate is not clear
        if picture is None:
            flask.abort(404)
        return _jpeg(picture)

    @octoprint.plugin.BlueprintPlugin.route("/bed_check/print_anyway", methods=["POST"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_print_anyway(self):
        ok, text = self.session.bed_check.print_anyway()
        if not ok:
            flask.abort(409, description=text)
        return flask.jsonify(self.status())

    ##~~ incidents

    @octoprint.plugin.BlueprintPlugin.route("/incidents", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_incidents(self):
        try:
            offset = max(0, int(flask.request.args.get("offset", 0)))
            limit = min(PAGE_LIMIT, max(1, int(flask.request.args.get("limit", 20))))
        except ValueError:
            flask.abort(400, description="offset and limit must be whole numbers")
        incidents, total = self.session.incidents.page(offset, limit)
        return flask.jsonify(incidents=incidents, total=total, offset=offset, limit=limit)

    @octoprint.plugin.BlueprintPlugin.route("/incidents/<incident>", methods=["DELETE"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_delete_incident(self, incident):
        if not self.session.incidents.delete(incident):
            flask.abort(404, description="no such incident")
        return flask.jsonify(deleted=incident)

    @octoprint.plugin.BlueprintPlugin.route("/incidents/<incident>/<name>", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_incident_frame(self, incident, name):
        data = self.session.incidents.frame(incident, name)
        if data is None:
            flask.abort(404)
        response = _jpeg(data)
        if name.endswith(".png"):  # the slicer's preview
            response.headers["Content-Type"] = "image/png"
        return response

    @octoprint.plugin.BlueprintPlugin.route("/incidents/<incident>/label", methods=["POST"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_label(self, incident):
        body = _json_body()
        label = body.get("label")
        if label is not None and label not in LABELS:
            flask.abort(400, description="label must be one of " + ", ".join(LABELS) + ", or null")
        answer = self.session.controls.label_incident(incident, label, resume_print=body.get("resume_print") is True)
        if answer is None:
            flask.abort(404, description="no such incident")
        return flask.jsonify(answer)

    ##~~ control

    @octoprint.plugin.BlueprintPlugin.route("/acknowledge", methods=["POST"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_acknowledge(self):
        self.session.controls.acknowledge()
        return flask.jsonify(self.status())

    @octoprint.plugin.BlueprintPlugin.route("/resume", methods=["POST"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_resume_watching(self):
        if not self.session.controls.resume_watching():
            flask.abort(409, description="nothing to resume: no snooze, cooldown or grace period is running")
        return flask.jsonify(self.status())

    @octoprint.plugin.BlueprintPlugin.route("/snooze", methods=["POST"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_snooze(self):
        try:
            minutes = float(_json_body().get("minutes"))
        except (TypeError, ValueError):
            flask.abort(400, description="minutes must be a number")
        if not 0 < minutes <= MAX_SNOOZE_MINUTES:
            flask.abort(400, description=f"minutes must be between 0 and {MAX_SNOOZE_MINUTES}")
        if not self.session.controls.snooze(minutes):
            flask.abort(
                409,
                description="nothing to snooze: no print is being watched, or a snooze or cooldown is already running",
            )
        return flask.jsonify(self.status())

    @octoprint.plugin.BlueprintPlugin.route("/test_now", methods=["POST"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_test_now(self):
        if not self.session.check_now.start():
            flask.abort(409, description="a test is already running")
        return flask.jsonify(self.status())

    ##~~ past prints: what would Failwatch have done?

    @octoprint.plugin.BlueprintPlugin.route("/past_prints", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_past_prints(self):
        return flask.jsonify(self.past_prints.listing())

    @octoprint.plugin.BlueprintPlugin.route("/past_prints/replay", methods=["POST"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_replay_past_print(self):
        body = _json_body()
        refused = self.past_prints.start(str(body.get("name") or ""), with_model=body.get("with_model") is True)
        if refused == "no such timelapse":
            flask.abort(404, description=refused)
        if refused:
            flask.abort(409, description=refused)
        return flask.jsonify(self.past_prints.replay.state())

    @octoprint.plugin.BlueprintPlugin.route("/past_prints/replay", methods=["DELETE"])
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_cancel_replay(self):
        if not self.past_prints.replay.cancel():
            flask.abort(409, description="no replay is running")
        return flask.jsonify(self.past_prints.replay.state())

    @octoprint.plugin.BlueprintPlugin.route("/past_prints/replay/timeline.svg", methods=["GET"])
    @Permissions.PLUGIN_FAILWATCH_VIEW.require(403)
    def api_replay_timeline(self):
        svg = self.past_prints.replay.timeline_svg()
        if svg is None:
            flask.abort(404)
        response = flask.make_response(svg)
        response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
        response.headers["Cache-Control"] = "no-store"
        return response

    ##~~ settings page

    @octoprint.plugin.BlueprintPlugin.route("/snapshot.jpg", methods=["GET"])
    @Permissions.SETTINGS.require(403)
    def api_live_snapshot(self):
        try:
            return _jpeg(self.take_snapshot())
        except CameraError as exc:
            flask.abort(502, description=str(exc))

    @octoprint.plugin.BlueprintPlugin.route("/camera_picture", methods=["POST"])
    @Permissions.SETTINGS.require(403)
    def api_camera_picture(self):
        """A picture through the camera the unsaved form names (the wizard's camera step), as a data URL."""
        unsaved = _json_body().get("settings")
        if not isinstance(unsaved, dict):
            flask.abort(400, description="settings must be an object")
        try:
            picture = base64.b64encode(self.form_picture(unsaved)).decode()
        except (ValueError, CameraError) as exc:
            return flask.jsonify(ok=False, error=str(exc))
        return flask.jsonify(ok=True, picture="data:image/jpeg;base64," + picture)

    @octoprint.plugin.BlueprintPlugin.route("/wizard/again", methods=["POST"])
    @Permissions.SETTINGS.require(403)
    def api_wizard_again(self):
        self.ask_for_wizard_again()
        return flask.jsonify(reload=True)

    @octoprint.plugin.BlueprintPlugin.route("/settings/validate", methods=["POST"])
    @Permissions.SETTINGS.require(403)
    def api_validate_settings(self):
        candidate = _json_body().get("settings")
        if not isinstance(candidate, dict):
            flask.abort(400, description="settings must be an object")
        values, errors = validate(self.with_stored_secrets(candidate))
        # what the page draws and clears is read here, not parsed again in the browser
        return flask.jsonify(
            errors=errors,
            messages=describe_errors(errors),
            connection_keys=CONNECTION_KEYS,
            region_of_interest=parse_roi(values["region_of_interest"]),
        )

    @octoprint.plugin.BlueprintPlugin.route("/test_connection", methods=["POST"])
    @Permissions.SETTINGS.require(403)
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_test_connection(self):
        settings = _json_body().get("settings") or {}
        if not isinstance(settings, dict):
            return flask.jsonify(ok=False, error="settings must be an object")
        try:
            return flask.jsonify(self.test_connection(settings))
        except (CameraError, AnalysisError) as exc:
            return flask.jsonify(ok=False, error=str(exc))
        except Exception as exc:  # anything unexpected is still an answer, never a stack trace in the UI
            self._logger.exception("Failwatch test connection failed")
            return flask.jsonify(ok=False, error=f"unexpected error: {type(exc).__name__}")

    @octoprint.plugin.BlueprintPlugin.route("/test_alert", methods=["POST"])
    @Permissions.SETTINGS.require(403)
    @Permissions.PLUGIN_FAILWATCH_CONTROL.require(403)
    def api_test_alert(self):
        results = self.send_test_alert()
        if not results:
            return flask.jsonify(
                ok=False,
                results={},
                message="no alert channel is set up (Discord webhook, notification URLs or MQTT broker)",
            )
        return flask.jsonify(
            ok=all(ok for ok, _ in results.values()),
            message="; ".join(f"{name}: {text}" for name, (ok, text) in results.items()),
            results={name: {"ok": ok, "message": text} for name, (ok, text) in results.items()},
        )
