"""The standalone daemon with a printer: a real Moonraker in front of a stand-in Klippy (Klipper's API socket), and a
real OctoPrint over its REST API. Watching follows the print, a confirmed failure pauses it through the printer,
nothing is paused while the printer is idle or already paused, and a Moonraker restart or a Klippy that is not
ready are said and survived."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
import requests

from demo.klippy_standin import KlippyStandIn
from demo.moonraker_server import MoonrakerServer
from demo.octoprint_instance import ADMIN_KEY, wait_for, with_thumbnail
from demo.scene import drawn_part

from conftest import MODEL_ID


class Daemon:
    """`failwatch` in a process of its own, its log lines collected as they come."""

    def __init__(self, env: dict):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "octoprint_failwatch"],
            env={**clean, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def said(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    def wait_said(self, text: str, timeout: float = 30) -> str:
        try:
            return wait_for(lambda: self.said(text), timeout, f"the daemon to say {text!r}")[-1]
        except AssertionError as exc:
            raise AssertionError(f"{exc}; it said:\n" + "\n".join(self.lines[-30:])) from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def daemon_env(tmp_path, model, printer_url: str, **extra) -> dict:
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIAKLIPPER\naws_secret_access_key = s3cret\n")
    return {
        "PRINTER_URL": printer_url,
        "INFERENCE_PROFILE_ARN": MODEL_ID,
        "AWS_REGION": "us-west-2",
        "AWS_CREDENTIALS_FILE": str(credentials),
        "BEDROCK_ENDPOINT_URL": model.url,
        "STS_ENDPOINT_URL": model.url,
        "INTERVAL_BETWEEN_IMAGES": "1",
        "VERIFICATION_INTERVAL": "0.5",
        "FAILURE_ACTION": "pause",
        "RESUME_GRACE_MINUTES": "0",
        "PRINTER_NAME": "voron",
        "DATA_FOLDER": str(tmp_path / "data"),
        "WARMUP_MINUTES": "0",
        **extra,
    }


@pytest.fixture
def klippy(tmp_path):
    standin = KlippyStandIn(tmp_path / "klippy.sock").start()
    yield standin
    standin.stop()


@pytest.fixture
def moonraker(tmp_path, klippy, camera):
    server = MoonrakerServer(tmp_path / "moonraker", klippy.socket_path, camera.url, camera.stream_url).start()
    wait_for(lambda: server.info()["klippy_state"] == "ready", 30, "Moonraker to find Klippy ready")
    yield server
    server.stop()


@pytest.fixture
def scene(camera, model):
    camera.mode, model.verdict = "healthy", "scene"
    model.faults.clear()
    yield camera
    camera.mode = "healthy"


def test_a_klipper_print_is_watched_while_it_prints_and_a_failure_pauses_it_through_moonraker(
    tmp_path, klippy, moonraker, scene, model
):
    daemon = Daemon(daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}"))
    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        # idle: the camera shows a failure, but nothing prints, so nothing is looked at or paused
        scene.mode = "failed"
        pictures, calls = scene.requests, len(model.converse_requests)
        time.sleep(3)  # three intervals in which a watch would have looked
        assert scene.requests == pictures and len(model.converse_requests) == calls and "PAUSE" not in klippy.scripts

        scene.mode = "healthy"
        klippy.start_print("benchy.gcode")
        daemon.wait_said("print started (benchy.gcode)")
        daemon.wait_said("verdict: ok")  # the printer's own webcam (Moonraker's list) is what is looked at
        scene.mode = "failed"
        line = daemon.wait_said("print failure confirmed", 60)
        assert "action: paused" in line
        wait_for(lambda: klippy.objects["print_stats"]["state"] == "paused", 10, "Klipper's print paused")
        assert klippy.scripts.count("PAUSE") == 1
        daemon.wait_said("the printer (Moonraker) is paused")

        # paused: looking goes on no more, and no second pause is asked for. The round was decided at its third
        # failure, so its fourth call may still be on its way to the model (its answer dropped): let it land first
        at_pause = len(model.converse_requests)
        wait_for(lambda: time.monotonic() - model.converse_requests[-1]["time"] > 1, 10, "the calls out to land")
        assert len(model.converse_requests) - at_pause <= 1
        calls = len(model.converse_requests)
        time.sleep(3)  # three intervals in which a watch would have looked
        assert len(model.converse_requests) == calls and klippy.scripts.count("PAUSE") == 1

        klippy.set_state(print_stats={"state": "complete"}, pause_resume={"is_paused": False})
        daemon.wait_said("the printer (Moonraker) is idle")
        assert "s3cret" not in "\n".join(daemon.lines)
    finally:
        daemon.stop()


def test_the_alert_says_the_printer_the_file_and_that_klipper_turns_the_heaters_off_in_a_long_pause(
    tmp_path, klippy, moonraker, scene, model, webhook
):
    daemon = Daemon(
        daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}", DISCORD_WEBHOOK_URL=webhook.url)
    )
    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        klippy.start_print("gearbox.gcode", seconds=3600)
        klippy.advance(900)  # a quarter of the way
        daemon.wait_said("print started (gearbox.gcode)")
        scene.mode = "failed"
        message = wait_for(
            lambda: [m for m in webhook.messages if "failure" in m["payload"]["embeds"][0]["title"]],
            60,
            "the Discord alert",
        )[0]
        facts = {field["name"]: field["value"] for field in message["payload"]["embeds"][0]["fields"]}
        assert facts["Printer"] == "voron" and facts["File"] == "gearbox.gcode" and facts["Progress"] == "25%"
        assert facts["Action"].startswith("Print paused through Moonraker")
        assert "heaters" in facts["Action"] and "[idle_timeout]" in facts["Action"]
    finally:
        daemon.stop()


def test_a_short_pause_a_macro_makes_gives_no_grace_period_and_a_user_resume_does(
    tmp_path, klippy, moonraker, scene, model
):
    daemon = Daemon(daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}", RESUME_GRACE_MINUTES="10"))
    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        klippy.start_print("vase.gcode")
        daemon.wait_said("print started (vase.gcode)")
        # a timelapse frame: the head parks for a moment and the print goes on
        klippy.set_state(print_stats={"state": "paused"}, pause_resume={"is_paused": True})
        daemon.wait_said("monitoring suspended")
        klippy.set_state(print_stats={"state": "printing"}, pause_resume={"is_paused": False})
        daemon.wait_said("a short pause ended")
        calls = len(model.converse_requests)
        wait_for(lambda: len(model.converse_requests) > calls, 30, "looks again at once, with no grace period")
        assert not daemon.said("watching again when the grace period ends")
    finally:
        daemon.stop()


def test_a_timelapse_pause_every_20_s_never_blinds_the_watch_and_the_first_look_comes_within_an_interval(
    tmp_path, klippy, moonraker, scene, model
):
    env = daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}", INTERVAL_BETWEEN_IMAGES="10")
    env["VERIFICATION_INTERVAL"] = "2"  # the defaults' timings: a look every 10 s, verification frames 2 s apart
    daemon = Daemon(env)
    stop = threading.Event()

    def timelapse() -> None:  # a PAUSE/RESUME macro every 20 s: the head parked for 2 s while a frame is taken
        while not stop.wait(18):
            klippy.set_state(print_stats={"state": "paused"}, pause_resume={"is_paused": True})
            if stop.wait(2) or "PAUSE" in klippy.scripts:
                return
            klippy.set_state(print_stats={"state": "printing"}, pause_resume={"is_paused": False})

    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        started = time.monotonic()
        klippy.start_print("timelapse.gcode")
        first = wait_for(
            lambda: [r for r in model.watch_requests if r["time"] >= started], 30, "the print's first look"
        )[0]
        assert first["time"] - started <= 10 + 1  # within one interval of the start (its random spread included)
        threading.Thread(target=timelapse, name="timelapse", daemon=True).start()
        wait_for(lambda: len(daemon.said("a short pause ended")) >= 2, 60, "two timelapse frames")
        onset = time.monotonic()
        scene.mode = "failed"
        wait_for(lambda: "PAUSE" in klippy.scripts, 30, "the print paused within 30 s of the onset")
        assert time.monotonic() - onset <= 30
    finally:
        stop.set()
        daemon.stop()


def test_a_moonraker_restart_and_a_klippy_not_ready_are_said_and_survived(tmp_path, klippy, moonraker, scene, model):
    daemon = Daemon(daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}"))
    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        klippy.start_print("bracket.gcode")
        daemon.wait_said("print started (bracket.gcode)")
        daemon.wait_said("verdict: ok")  # watching in its steady cycle: a look a second
        moonraker.stop()
        daemon.wait_said("Moonraker at http://127.0.0.1")  # unreachable, in words
        calls = len(model.converse_requests)
        wait_for(lambda: len(model.converse_requests) > calls, 30, "the watch to go on while Moonraker is away")
        moonraker.start()
        daemon.wait_said("the printer (Moonraker) is printing", 30)
        assert len(daemon.said("print started (bracket.gcode)")) == 1  # the same print, the same watch

        # Klippy restarts and is not ready for a while: said, and the print is followed again once it is
        klippy.ready = False
        klippy.set_state(webhooks={"state": "startup", "state_message": "Printer is starting up"})
        daemon.wait_said("Klipper is not ready")
        klippy.ready = True
        klippy.set_state(webhooks={"state": "ready", "state_message": "Printer is ready"})
        daemon.wait_said("the printer (Moonraker) is printing", 30)
        scene.mode = "failed"
        daemon.wait_said("print failure confirmed", 60)
        wait_for(lambda: klippy.objects["print_stats"]["state"] == "paused", 10, "Klipper's print paused")
    finally:
        daemon.stop()


@pytest.mark.octoprint
def test_an_octoprint_beside_the_daemon_is_followed_over_its_rest_api_and_paused(tmp_path, octoprint, scene, model):
    octoprint.connect_printer()
    daemon = Daemon(daemon_env(tmp_path, model, f"octoprint://127.0.0.1:{octoprint.port}", PRINTER_API_KEY=ADMIN_KEY))
    try:
        daemon.wait_said("the printer (OctoPrint) is idle")
        octoprint.start_print(name="rest_test.gcode")
        daemon.wait_said("print started (rest_test.gcode)")
        scene.mode = "failed"
        daemon.wait_said("print failure confirmed", 60)
        wait_for(lambda: octoprint.job_state().startswith("Paused"), 30, "OctoPrint's print paused")
        assert ADMIN_KEY not in "\n".join(daemon.lines)
    finally:
        daemon.stop()
        if octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
            octoprint.cancel_print()


def failwatch(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """The `failwatch` command on the daemon's data folder, as its user would run it beside the daemon."""
    return subprocess.run(
        [sys.executable, "-m", "octoprint_failwatch", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATA_FOLDER": str(tmp_path / "data")},
    )


def test_the_daemon_judges_nothing_in_a_prints_warm_up_minutes(tmp_path, klippy, moonraker, scene, model):
    daemon = Daemon(daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}", WARMUP_MINUTES="2"))
    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        scene.mode = "failed"  # strands from the first moment: without the warm-up this is confirmed in seconds
        calls = len(model.watch_requests)
        klippy.start_print("first_layers.gcode")
        daemon.wait_said("print started (first_layers.gcode)")
        daemon.wait_said("warming up: analysis starts 120 s into the print")
        daemon.wait_said("bed check: the plate is clear")  # the one look the warm-up allows: at the plate
        klippy.advance(90)  # a minute and a half printed, by Klipper's own print time
        time.sleep(3)  # three intervals in which a watch would have looked
        assert len(model.watch_requests) == calls and "PAUSE" not in klippy.scripts
        klippy.advance(31)  # past two minutes: judged from now on
        assert "action: paused" in daemon.wait_said("print failure confirmed", 60)
    finally:
        daemon.stop()


def test_incidents_are_kept_and_a_label_from_the_command_line_teaches_the_running_watch(
    tmp_path, klippy, moonraker, scene, model
):
    env = daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}", FAILURE_ACTION="notify")
    daemon = Daemon(env)
    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        klippy.start_print("organic.gcode")
        daemon.wait_said("print started (organic.gcode)")
        daemon.wait_said("verdict: ok")
        scene.mode = "failed"  # the user will say it is part of the print
        daemon.wait_said("print failure confirmed", 60)
        listed = failwatch(tmp_path, "incidents", "--json")
        assert listed.returncode == 0, listed.stderr
        incident = json.loads(listed.stdout.splitlines()[0])
        assert incident["kind"] == "confirmed" and incident["job"]["file"] == "organic.gcode"

        labelled = failwatch(tmp_path, "label", incident["id"], "not-a-failure")
        assert labelled.returncode == 0, labelled.stderr
        daemon.wait_said(f"incident {incident['id']} labelled not a failure")
        daemon.wait_said("watching again: not a failure")  # the cooldown it started is over
        looks = len(daemon.said("verdict: FAILED"))
        wait_for(lambda: len(daemon.said("verdict: FAILED")) >= looks + 4, 60, "four more looks at the same strands")
        assert len(daemon.said("print failure confirmed")) == 1  # the look-alike alarms no more in this print
    finally:
        daemon.stop()
    restarted = Daemon(env)  # a restart keeps them: the data folder is the daemon's memory
    try:
        restarted.wait_said("the printer (Moonraker) is printing")
    finally:
        restarted.stop()
    kept = [json.loads(line) for line in failwatch(tmp_path, "incidents", "--json").stdout.splitlines()]
    assert [(i["id"], i["label"]) for i in kept] == [(incident["id"], "not_a_failure")]
    assert (tmp_path / "data" / "incidents" / incident["id"] / "trigger-1.jpg").is_file()  # with its frames


def test_the_label_command_names_what_is_wrong(tmp_path):
    missing = failwatch(tmp_path, "incidents")
    assert missing.returncode == 2 and "no incidents kept in" in missing.stderr and "DATA_FOLDER" in missing.stderr
    (tmp_path / "data" / "incidents").mkdir(parents=True)
    unknown = failwatch(tmp_path, "label", "20261207T120000-abcdef", "not-a-failure")
    assert unknown.returncode == 2 and "no incident 20261207T120000-abcdef" in unknown.stderr


def test_home_assistants_buttons_reach_the_daemon_over_mqtt(
    tmp_path, klippy, moonraker, scene, model, broker, subscriber
):
    from octoprint_failwatch.outcomes.alerts.paho_compat import new_client

    daemon = Daemon(
        daemon_env(
            tmp_path,
            model,
            f"moonraker://127.0.0.1:{moonraker.port}",
            MQTT_BROKER_URL=broker.url,
            MQTT_TOPIC="farm/voron",
            MQTT_HA_CONTROLS="true",
        )
    )
    results = subscriber("farm/voron/command/result")
    press = new_client("", "tcp")
    press.connect("127.0.0.1", broker.port)
    press.loop_start()

    def button(name: str) -> dict:
        before = len(results.on("farm/voron/command/result"))
        press.publish("farm/voron/command", name, qos=1).wait_for_publish(5)
        answers = wait_for(lambda: results.on("farm/voron/command/result")[before:], 30, f"the answer to {name}")
        return json.loads(answers[0])

    try:
        assert results.subscribed.wait(10)
        daemon.wait_said("the printer (Moonraker) is idle")
        assert button("pause_print")["message"] == "no print to pause (the printer is idle)"
        klippy.start_print("bracket.gcode")
        daemon.wait_said("verdict: ok")
        snoozed = button("snooze")
        assert snoozed["ok"] is True and snoozed["message"] == "watching snoozed for 30 min"
        daemon.wait_said("snoozed for 30 min")
        assert button("resume_watching")["message"] == "watching again"
        scene.mode = "failed"
        daemon.wait_said("print failure confirmed", 60)
        wait_for(lambda: klippy.objects["print_stats"]["state"] == "paused", 10, "Klipper's print paused")
        assert button("not_a_failure")["message"].startswith("marked not a failure; the print stays paused")
        assert button("resume_print")["message"] == "print resumed"
        wait_for(lambda: klippy.objects["print_stats"]["state"] == "printing", 10, "Klipper's print resumed")
        assert klippy.scripts.count("RESUME") == 1
    finally:
        press.loop_stop()
        press.disconnect()
        daemon.stop()


def sliced_by_prusaslicer(preview: bytes) -> bytes:
    """A file as PrusaSlicer writes it, as far as Moonraker reads it: its header, a 300 px thumbnail, layer changes up
    to Z 31 mm and the estimated time in its footer."""
    layers = "".join(
        f";BEFORE_LAYER_CHANGE\n;{z / 10:.1f}\nG1 Z{z / 10:.1f} F720\nG1 X10 Y10 E1\n" for z in range(2, 311)
    )
    body = (
        "; generated by PrusaSlicer 2.7.1+linux-x64 on 2026-12-07 at 10:00:00 UTC\n"
        + "G28\nM82\n"
        + layers
        + "; estimated printing time (normal mode) = 2h 45m 0s\n; layer_height = 0.1\n"
    )
    return with_thumbnail(body.encode(), preview, 300, 300)


def test_the_model_is_shown_moonrakers_preview_and_how_tall_the_part_should_be(
    tmp_path, klippy, moonraker, scene, model
):
    folder = tmp_path / "moonraker" / "gcodes" / "parts"
    folder.mkdir()
    (folder / "gearbox.gcode").write_bytes(sliced_by_prusaslicer(drawn_part(300)))
    metadata = wait_for(
        lambda: (
            (
                answer := requests.get(
                    f"{moonraker.url}/server/files/metadata", params={"filename": "parts/gearbox.gcode"}, timeout=5
                )
            ).status_code
            == 200
            and answer.json()["result"].get("thumbnails")
            and answer.json()["result"]
        ),
        30,
        "Moonraker to read the file's metadata",
    )
    assert metadata["object_height"] == 31.0  # what the daemon is to tell the model: read by Moonraker itself
    daemon = Daemon(daemon_env(tmp_path, model, f"moonraker://127.0.0.1:{moonraker.port}", FAILURE_ACTION="notify"))
    try:
        daemon.wait_said("the printer (Moonraker) is idle")
        klippy.start_print("parts/gearbox.gcode", seconds=9900)
        klippy.advance(900)
        klippy.set_state(toolhead={"position": [100.0, 100.0, 12.4, 0.0]})
        daemon.wait_said("print started (parts/gearbox.gcode)")
        daemon.wait_said("verdict: ok")
        before = len(model.converse_requests)
        scene.mode = "failed"
        daemon.wait_said("print failure confirmed", 60)
        full = [r for r in model.converse_requests[before:] if not r["quick"] and not r["bed"]]
        assert full and all(r["images"][0].startswith(b"\x89PNG") for r in full)  # the preview before the frames
        assert all(r["texts"][0].startswith("The slicer's preview of the finished object") for r in full)
        context = full[-1]["texts"][-2]
        assert "parts/gearbox.gcode: " in context and "of about 2 h 45 min" in context
        assert "the nozzle is at Z 12.4 mm of 31.0 mm" in context
    finally:
        daemon.stop()
