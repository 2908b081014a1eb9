"""After the verdict: engine events routed to alert channels, incident records and the print action."""

import json
import logging

import pytest

from demo.octoprint_instance import wait_for
from demo.scene import SceneCamera
from octoprint_failwatch.analysis import DailySpend, Verdict
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.events import (
    Analysed,
    CameraProblem,
    CameraRecovered,
    MonitoringStopped,
    StatusChanged,
    VerificationDecided,
)
from octoprint_failwatch.engine.simulation import SimulatedClock
from octoprint_failwatch.engine.status import Status
from octoprint_failwatch.outcomes.alerts import ACTION_WORDS, Identity, make_channels
from octoprint_failwatch.outcomes.dispatch import NOTIFIED, PAUSED, Dispatcher
from octoprint_failwatch.outcomes.history import IncidentHistory

HEALTHY = Verdict(False, 0.1, "none", "Building normally.", cost_usd=0.001)
FAILED = Verdict(True, 0.9, "spaghetti", "Tangled strands.")


class RecordingAction:
    def __init__(self, does: str):
        self.does = does
        self.paused_for_incident = "never called"

    def on_confirmed_failure(self, test_run: bool) -> str:
        return NOTIFIED if test_run else self.does

    def paused_for(self, incident):
        self.paused_for_incident = incident

    def describe(self, action: str) -> str:
        return ACTION_WORDS[action]


@pytest.fixture
def make(webhook, camera, tmp_path):
    channels = []

    def build(action="notified", **settings):
        config, errors = build_config({"discord_webhook_url": webhook.url, **settings})
        assert not errors
        channels.append(make_channels(config, Identity.of("prusa", "Prusa MK4"), logging.getLogger("test")))
        recorder = RecordingAction(action)
        dispatcher = Dispatcher(
            config,
            channels[-1],
            recorder,
            IncidentHistory(tmp_path / "incidents"),
            lambda: "Prusa MK4",
            job=lambda: {"file": "benchy.gcode", "progress": 40.0, "elapsed": 600},
            snapshot=camera.snapshot,
            spend=DailySpend(),
            logger=logging.getLogger("test"),
        )
        return dispatcher, recorder

    yield build
    for channel in channels:
        channel.close()


def decided(confirmed: bool, test_run: bool = False) -> VerificationDecided:
    scene = SceneCamera(SimulatedClock())
    return VerificationDecided(
        confirmed=confirmed,
        trigger=FAILED,
        quick=None,
        series_check=True,
        results=(FAILED, FAILED, None, FAILED),
        positives=3,
        required=3,
        series=4,
        seconds=8.0,
        trigger_frames=(scene(), scene()),
        verification_frames=((scene(),),),
        test_run=test_run,
    )


def titles(webhook):
    return [m["payload"]["embeds"][0]["title"] for m in webhook.messages]


def test_camera_problem_and_stopped_monitoring_are_alerted_once_until_they_clear(make, webhook):
    dispatcher, _ = make()
    for _ in range(5):
        outcomes = dispatcher.handle(CameraProblem("unreachable", "camera unreachable: connection refused"))
        assert [o.name for o in outcomes] == ["camera_problem"]  # OctoPrint hears of each, people of the first
    dispatcher.handle(MonitoringStopped("5 errors in a row, waiting 60 s", 60))
    wait_for(lambda: len(webhook.messages) == 2, 10, "two problem alerts")
    dispatcher.handle(CameraRecovered())
    dispatcher.handle(CameraProblem("frozen", "camera picture has not changed for 90 s"))
    wait_for(lambda: len(webhook.messages) == 3, 10, "the next camera problem")
    assert titles(webhook) == ["📷 Camera problem", "⏸️ Monitoring stopped by errors", "📷 Camera problem"]


def test_per_kind_alert_settings_are_honoured(make, webhook):
    dispatcher, _ = make(alert_camera_problems=False, alert_monitoring_stopped=False)
    assert dispatcher.handle(CameraProblem("black", "camera picture is black"))[0].name == "camera_problem"
    dispatcher.handle(MonitoringStopped("5 errors in a row", 60))
    dispatcher.handle(decided(True))
    wait_for(lambda: webhook.messages, 10, "the failure alert")
    assert titles(webhook) == ["⚠️ Print failure detected"]


def test_a_confirmed_failure_pauses_records_alerts_once_and_its_outcomes_carry_no_frames(make, webhook, tmp_path):
    dispatcher, action = make("paused")
    status = Status()
    status.counters["cost_usd"] = 0.0123
    dispatcher.handle(StatusChanged(status.copy()))
    outcomes = dispatcher.handle(decided(True))
    assert [o.name for o in outcomes] == ["failure_confirmed", "paused"]
    payload = outcomes[0].payload
    json.dumps([o.payload for o in outcomes])  # JSON-safe: no frames, nothing binary
    assert payload["action"] == PAUSED and payload["positives"] == 3
    assert action.paused_for_incident == payload["incident"]
    incident = IncidentHistory(tmp_path / "incidents").list()[0]
    assert incident["id"] == payload["incident"] and incident["kind"] == "confirmed"
    assert [len(s["frames"]) for s in incident["series"]] == [2, 1] and incident["job"]["file"] == "benchy.gcode"
    message = wait_for(lambda: webhook.messages, 10, "the Discord alert")[0]
    assert message["files"]["files[0]"] == outcomes[0].snapshot()  # one alert-time picture, shared
    assert dispatcher.cost()["print_usd"] == 0.0123


def test_a_rejected_alarm_is_recorded_without_an_alert_and_a_test_run_never_acts(make, webhook, tmp_path):
    dispatcher, action = make("paused")
    assert [o.name for o in dispatcher.handle(decided(False))] == ["verification_rejected"]
    outcomes = dispatcher.handle(decided(True, test_run=True))
    assert [o.name for o in outcomes] == ["failure_confirmed"] and outcomes[0].payload["action"] == NOTIFIED
    assert action.paused_for_incident == "never called"
    kinds = [(i["kind"], i["test_run"]) for i in IncidentHistory(tmp_path / "incidents").list()]
    assert sorted(kinds) == [("confirmed", True), ("rejected", False)]
    wait_for(lambda: webhook.messages, 10, "the test failure alert")
    assert titles(webhook) == ["🧪 Test: Print failure detected"]
    dispatcher.handle(Analysed(HEALTHY, (), "watching"))  # status only: nothing for Discord
    assert len(webhook.messages) == 1
