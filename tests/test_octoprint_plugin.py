"""The plugin inside a real OctoPrint with the virtual printer, the demo camera and the local Bedrock."""

import threading
import time

import pytest

from demo.octoprint_instance import wait_for
from demo.rtsp_camera import RtspCamera
from octoprint_failwatch.outcomes.alerts.paho_compat import new_client

from conftest import MODEL_ID, SECRET_ACCESS_KEY, SECRET_NOTIFY_URL, SECRET_WEBHOOK, SECRETS, failure_confirmed

pytestmark = pytest.mark.octoprint


def test_plugin_is_loaded_with_its_navbar_settings_and_assets(octoprint):
    page = octoprint.api("GET", "/").text
    assert 'id="navbar_plugin_failwatch"' in page
    assert 'id="settings_plugin_failwatch"' in page
    script = octoprint.api("GET", "/plugin/failwatch/static/js/failwatch.js")
    assert script.status_code == 200 and "FailwatchNavbarViewModel" in script.text
    plugins = octoprint.api("GET", "/plugin/pluginmanager/plugins").json()["plugins"]
    failwatch = next(p for p in plugins if p["key"] == "failwatch")
    assert failwatch["enabled"] and failwatch["name"] == "Failwatch"


def test_starting_a_print_moves_to_watching_and_cancelling_back_to_idle(printing, model):
    status = printing.wait_for_state("watching")
    assert status["camera"].startswith("snapshot http://127.0.0.1")
    calls = len(model.converse_requests)
    wait_for(lambda: printing.plugin_status()["last_verdict"], 30, "a first verdict")
    assert len(model.converse_requests) > calls
    assert printing.plugin_status()["last_verdict"]["print_failed"] is False
    printing.cancel_print()
    printing.wait_for_state("idle")


def test_a_print_configured_while_it_runs_is_watched_from_then_on(octoprint, model):
    octoprint.save_settings({"inference_profile_arn": ""})
    try:
        octoprint.start_print()
        status = octoprint.wait_for_state("not_configured")
        assert "Inference profile ARN or model id" in status["message"]
        calls = len(model.converse_requests)
        octoprint.save_settings({"inference_profile_arn": MODEL_ID})
        status = octoprint.wait_for_state("watching", timeout=10)
        assert "watched from now on" in " ".join(status["last_save"]["notes"])
        wait_for(lambda: len(model.converse_requests) > calls, 30, "the first look at the print")
    finally:
        octoprint.save_settings({"inference_profile_arn": MODEL_ID})
        octoprint.cancel_print()
        octoprint.wait_for_state("idle")


def test_a_failure_on_camera_is_verified_then_the_print_is_paused(printing, camera, model):
    printing.save_settings({"failure_action": "pause"})
    try:
        printing.wait_for_state("watching")
        wait_for(lambda: printing.plugin_status()["last_verdict"], 30, "a first healthy verdict")
        camera.mode = "failed"
        status = printing.wait_for_state("cooldown", timeout=60)
        assert status["counters"]["confirmed"] == 1
        failure = status["last_failure"]
        assert failure["action"] == "paused" and "Tangled" in failure["explanation"]
        wait_for(lambda: printing.job_state() == "Paused", 30, "the print to be paused")
        assert "print failure confirmed (3 of 4)" in printing.log_text()
        # the safe sequence after our pause: the test file is absolute-E (M82), so retract too
        sent = wait_for(lambda: (log := printing.serial_log()) and "G1 Z5" in log and log, 30, "the safe sequence")
        after_pause = sent[sent.rindex("M83") :]
        assert "G1 E-1 F2400" in after_pause and "G91" in after_pause and "G1 Z5 F600" in after_pause
        wait_for(
            lambda: "PLUGIN_FAILWATCH_PAUSED" in {e.upper() for e in printing.events()},
            30,
            "OctoPrint's event manager to see the events",
        )
        assert {"PLUGIN_FAILWATCH_FAILURE_DETECTED", "PLUGIN_FAILWATCH_FAILURE_CONFIRMED"} <= {
            e.upper() for e in printing.events()
        }

        incidents = printing.failwatch("GET", "incidents").json()["incidents"]
        incident = next(i for i in incidents if i["id"] == failure["incident"])
        assert incident["kind"] == "confirmed" and incident["action"] == "paused"
        assert incident["job"]["file"] == "failwatch_test.gcode"
        frame = incident["series"][1]["frames"][0]["file"]
        image = printing.failwatch("GET", f"incidents/{incident['id']}/{frame}")
        assert image.headers["Content-Type"] == "image/jpeg" and image.content.startswith(b"\xff\xd8")

        path = f"incidents/{incident['id']}/label"
        answer = printing.failwatch("POST", path, json={"label": "not_a_failure"}).json()
        assert answer["resumed"] is False and answer["confirm_resume"] is True  # a wrong click resumes nothing
        assert printing.job_state() == "Paused"
        paused_log = len(printing.serial_log())  # what comes after this is the resume's
        answer = printing.failwatch("POST", path, json={"label": "not_a_failure", "resume_print": True}).json()
        assert answer["resumed"] is True
        wait_for(lambda: printing.job_state() == "Printing", 30, "the print to resume")

        # the resume's sequence reaches the serial log a moment after the state: waited for, not read at once
        def restored() -> str:
            log = printing.serial_log()[paused_log:]
            return log if "G1 E1 F2400" in log and "M82" in log[log.rindex("G1 E1 F2400") :] else ""

        resumed = wait_for(restored, 30, "the restore: the retraction undone, absolute extrusion again")
        assert "G1 E1 F2400" in resumed and "M82" in resumed[resumed.rindex("G1 E1 F2400") :]
        status = printing.wait_for_state("grace")  # watched again after the grace period, not a cooldown
        assert status["last_failure"] is None and status["acknowledged"] is True
        incidents = printing.failwatch("GET", "incidents").json()["incidents"]
        stored = next(i for i in incidents if i["id"] == incident["id"])
        assert stored["label"] == "not_a_failure" and stored["action"] == "paused"
        assert [entry["what"] for entry in stored["log"]] == [
            "Print paused",
            "labelled not a failure",
            "print resumed: not a failure",
        ]
        assert printing.failwatch("GET", f"incidents/..%2F..%2F{incident['id']}/{frame}").status_code == 404
    finally:
        printing.save_settings({"failure_action": "notify"})


def test_model_errors_show_in_the_status_and_never_pause(printing, camera, model):
    printing.save_settings({"failure_action": "pause"})
    try:
        printing.wait_for_state("watching")
        camera.mode = "failed"  # even with a failing scene, errors must not turn into a pause
        model.faults.extend(["denied"] * 50)
        status = wait_for(lambda: (s := printing.plugin_status())["error"] and s, 30, "an error in the status")
        assert "AccessDeniedException" in status["error"]
        assert printing.job_state().startswith("Printing")
        assert status["counters"]["confirmed"] == 0
    finally:
        model.faults.clear()
        printing.save_settings({"failure_action": "notify"})


def test_a_bad_setting_is_refused_with_a_clear_message_and_the_old_value_kept(octoprint):
    before = octoprint.api("GET", "/api/settings").json()["plugins"]["failwatch"]["interval_between_images"]
    answer = octoprint.failwatch("POST", "settings/validate", json={"settings": {"interval_between_images": -3}}).json()
    assert answer["errors"]["interval_between_images"] == "must be at least 0.5"
    octoprint.save_settings(
        {"interval_between_images": -3, "verification_required": 9, "discord_webhook_url": "ftp://not-a-webhook"}
    )
    refused = {r["key"]: r for r in octoprint.plugin_status()["last_save"]["refused"]}
    assert refused["interval_between_images"] == {
        "key": "interval_between_images",
        "refused": -3,
        "kept": before,
        "setting": "Interval between images",
        "why": "must be at least 0.5",
    }
    assert refused["verification_required"]["why"] == "cannot be more than the number of verification series (4)"
    assert refused["discord_webhook_url"]["refused"] == "(hidden)"  # a secret is never echoed back
    after = octoprint.api("GET", "/api/settings").json()["plugins"]["failwatch"]
    assert after["interval_between_images"] == before and after["verification_required"] == 3
    assert "Interval between images: must be at least 0.5" in octoprint.log_text()
    assert octoprint.plugin_status()["settings_errors"] == {}  # what is stored is fine: no standing message
    octoprint.save_settings({"interval_between_images": before})
    assert octoprint.plugin_status()["last_save"]["refused"] == []


def test_plain_users_see_no_secrets_and_cannot_run_commands(octoprint):
    viewer_settings = octoprint.api("GET", "/api/settings", octoprint.viewer).json()["plugins"]["failwatch"]
    for key in (
        "aws_access_key_id",
        "aws_secret_access_key",
        "discord_webhook_url",
        "mqtt_password",
        "openai_api_key",
        "notify_urls",
    ):
        assert viewer_settings[key] is None
    assert octoprint.failwatch("GET", "status", octoprint.viewer).status_code == 200
    for session in (octoprint.viewer, octoprint.anonymous):
        for path, body in (
            ("test_now", {}),
            ("snooze", {"minutes": 5}),
            ("acknowledge", {}),
            ("test_alert", {}),
            ("test_connection", {"settings": {}}),
            ("settings/validate", {"settings": {}}),
            ("incidents/x/label", {"label": "confirmed"}),
        ):
            assert octoprint.failwatch("POST", path, session, json=body).status_code == 403, (path, session)
        assert octoprint.failwatch("GET", "snapshot.jpg", session).status_code == 403
    for path in ("status", "incidents", "timeline", "failure_snapshot.jpg", "latest/0.jpg"):
        assert octoprint.failwatch("GET", path, octoprint.anonymous).status_code == 403
    answers = octoprint.failwatch("GET", "status", octoprint.viewer).text + str(viewer_settings)
    log = octoprint.log_text()
    for secret in SECRETS:
        assert secret not in answers and secret not in log


def test_test_now_runs_one_cycle_without_a_print_and_shows_the_verdict(octoprint, camera, model):
    camera.mode = "healthy"
    calls = len(model.converse_requests)
    assert octoprint.failwatch("POST", "test_now").json()["test"]["running"] is True
    status = wait_for(
        lambda: (s := octoprint.plugin_status())["test"] and not s["test"]["running"] and s,
        60,
        "the test cycle to finish",
    )
    assert status["test"]["verdict"]["print_failed"] is False
    assert status["test"]["verdict"]["explanation"]
    assert len(model.converse_requests) == calls + 1
    assert len(model.converse_requests[-1]["images"]) == 3


def test_test_now_during_a_print_is_a_test_never_an_alarm(printing, camera):
    printing.save_settings({"failure_action": "pause"})
    try:
        printing.wait_for_state("watching")
        printing.failwatch("POST", "snooze", json={"minutes": 30})  # the print's own watch stays out of this
        incidents = printing.failwatch("GET", "incidents").json()["total"]
        events = len(printing.events())
        camera.mode = "failed"
        printing.failwatch("POST", "test_now")
        assert printing.failwatch("POST", "test_now").status_code == 409  # one at a time
        test = wait_for(
            lambda: (t := printing.plugin_status()["test"]) and not t["running"] and t, 60, "the test to finish"
        )
        assert test["decision"] == "failure confirmed" and test["positives"] == 3
        assert test["verdict"]["print_failed"] is True and test["verdict"]["latency"] >= 0
        assert test["counters"]["calls"] >= 4 and test["counters"]["cost_usd"] > 0
        assert printing.job_state().startswith("Printing")  # never paused
        status = printing.plugin_status()
        assert status["last_failure"] is None and status["counters"]["confirmed"] == 0  # the watch was not told
        assert status["state"] == "snoozed"  # and its snooze goes on
        assert printing.failwatch("GET", "incidents").json()["total"] == incidents
        assert not [e for e in printing.events()[events:] if e.endswith(("failure_confirmed", "paused"))]
        assert (
            "Test now — Failwatch" in printing.log_text()
            and "Test now — Failwatch: no print running" not in printing.log_text()
        )
        printing.cancel_print()
        camera.mode = "healthy"
        printing.start_print()
        assert printing.plugin_status()["test"] is None  # a new print: the last test is no longer news
    finally:
        camera.mode = "healthy"
        printing.save_settings({"failure_action": "notify"})


def test_test_connection_uses_the_unsaved_form_and_reports_verdict_or_exact_error(octoprint, model):
    def test_connection(settings):
        return octoprint.failwatch("POST", "test_connection", json={"settings": settings}).json()

    local = {"model_backend": "openai", "openai_base_url": model.url + "/v1", "openai_model": "llava:13b"}
    answer = test_connection(local)
    assert answer["ok"] is True and answer["verdict"]["model"] == "llava:13b"
    assert answer["verdict"]["input_tokens"] > 0
    assert model.chat_requests[-1]["request"]["model"] == "llava:13b"
    assert octoprint.api("GET", "/api/settings").json()["plugins"]["failwatch"]["model_backend"] == "bedrock"

    answer = test_connection({"snapshot_url": "http://127.0.0.1:9/snapshot.jpg"})
    assert answer == {"ok": False, "error": "camera unreachable: connection refused at http://127.0.0.1:9/snapshot.jpg"}
    answer = test_connection({"interval_between_images": 0})
    assert answer["ok"] is False and "Interval between images: must be at least 0.5" in answer["error"]
    viewer = octoprint.failwatch("POST", "test_connection", octoprint.viewer, json={"settings": local})
    assert viewer.status_code == 403


def test_a_confirmed_failure_reaches_discord_and_mqtt_and_a_test_alert_can_be_sent(printing, camera, webhook, broker):
    import json

    received = []
    subscribed = threading.Event()
    client = new_client("", "tcp")
    client.on_connect = lambda c, *args: c.subscribe("printer/failwatch", qos=1)
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_message = lambda c, u, message: received.append(json.loads(message.payload))
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    assert subscribed.wait(10)
    printing.save_settings(
        {
            "discord_webhook_url": webhook.url,
            "mqtt_broker_url": broker.url,
            "mqtt_topic": "printer/failwatch",
            "notify_urls": "",
        }
    )
    try:
        wait_for(lambda: printing.plugin_status()["alerts"]["mqtt"].startswith("connected"), 30, "MQTT to connect")
        answer = printing.failwatch("POST", "test_alert").json()
        assert answer["ok"] is True and answer["results"]["mqtt"]["message"].endswith("printer/failwatch/test")
        assert webhook.messages[-1]["payload"]["embeds"][0]["title"] == "✅ Failwatch test alert"
        wait_for(lambda: any(not m["print_failed"] for m in received), 30, "a healthy cycle on MQTT")
        camera.mode = "failed"
        printing.wait_for_state("cooldown", timeout=60)
        failure = wait_for(lambda: [m for m in received if m.get("state") == "failure"], 30, "the MQTT alert")[0]
        assert failure["print_failed"] is True and failure["job"]["file"] == "failwatch_test.gcode"
        message = wait_for(
            lambda: [m for m in webhook.messages if "failure" in m["payload"]["embeds"][0]["title"]],
            30,
            "the Discord alert",
        )[0]
        assert message["files"]["files[0]"].startswith(b"\xff\xd8")
        assert "Tangled" in message["payload"]["embeds"][0]["description"]
        snapshot = wait_for(
            lambda: (r := printing.failwatch("GET", "failure_snapshot.jpg")).ok and r,
            30,
            "the failure snapshot for the browser notice",
        )
        assert snapshot.headers["Content-Type"] == "image/jpeg"
        assert printing.failwatch("GET", "failure_snapshot.jpg", printing.anonymous).status_code == 403
        sent = json.dumps(received) + json.dumps([m["payload"] for m in webhook.messages])
        for secret in (*SECRETS, webhook.url):
            assert secret not in sent
    finally:
        client.disconnect()
        client.loop_stop()
        printing.save_settings(
            {
                "discord_webhook_url": SECRET_WEBHOOK,
                "mqtt_broker_url": "",
                "mqtt_topic": "",
                "notify_urls": SECRET_NOTIFY_URL,
            }
        )


def test_octoprints_own_webcam_is_a_frame_source(octoprint):
    answer = octoprint.failwatch("POST", "test_connection", json={"settings": {"camera_source": "webcam"}}).json()
    assert answer["ok"] is True, answer
    assert answer["camera"] == "OctoPrint webcam (default)"


def test_rtsp_camera_outage_and_frozen_picture_during_a_print_are_reported_never_paused(printing, camera, model):
    server = RtspCamera("--mjpeg", camera.stream_url).start()
    printing.save_settings({"rtsp_url": server.url, "failure_action": "pause", "frozen_seconds": 8})
    try:
        status = printing.wait_for_state("watching")
        assert status["camera"] == f"RTSP {server.url}"
        calls = len(model.converse_requests)
        wait_for(lambda: len(model.converse_requests) > calls, 60, "a verdict on RTSP frames")
        server.stop()
        status = printing.wait_for_state("camera_problem", timeout=60)
        assert status["camera_problem"] == "unreachable" and "camera unreachable" in status["error"]
        server.start()
        printing.wait_for_state("watching", timeout=60)
        camera.set_mode("frozen")
        status = printing.wait_for_state("camera_problem", timeout=60)
        assert status["camera_problem"] == "frozen"
        assert printing.job_state().startswith("Printing")
        assert status["counters"]["confirmed"] == 0
    finally:
        camera.set_mode("healthy")
        printing.save_settings({"rtsp_url": "", "failure_action": "notify", "frozen_seconds": 90})
        server.stop()


def test_a_user_resume_gets_a_grace_period_and_a_print_starts_with_a_warm_up(printing):
    printing.wait_for_state("watching")
    printing.api("POST", "/api/job", json={"command": "pause", "action": "pause"})
    printing.wait_for_state("paused")
    printing.api("POST", "/api/job", json={"command": "pause", "action": "resume"})
    status = printing.wait_for_state("grace")
    assert status["message"] == "print resumed: watching again when the grace period ends"
    assert 100 < status["until"] - time.time() <= 120  # the time left, which the pages count down
    printing.cancel_print()
    printing.save_settings({"warmup_minutes": 5})
    try:
        printing.start_print()
        status = printing.wait_for_state("warming_up")
        assert "analysis starts" in status["message"]
        printing.cancel_print()
        # the test G-code rises 0.01 mm per move, one move a second: 6 heights take about 6 s
        printing.save_settings({"warmup_minutes": 0, "warmup_layers": 6})
        printing.start_print()
        status = printing.wait_for_state("warming_up")
        assert "layer" in status["message"] and "of 6" in status["message"]
        printing.wait_for_state("watching", timeout=60)
    finally:
        printing.save_settings({"warmup_minutes": 0, "warmup_layers": 0})


def test_secrets_never_come_back_in_clear_not_even_to_an_admin_and_a_placeholder_keeps_them(octoprint):
    admin_view = octoprint.api("GET", "/api/settings").json()["plugins"]["failwatch"]
    assert admin_view["aws_secret_access_key"] == "********" and admin_view["discord_webhook_url"] == "********"
    assert admin_view["openai_api_key"] == "********" and admin_view["mqtt_password"] == "********"
    assert admin_view["notify_urls"] == "********"
    octoprint.save_settings({"aws_secret_access_key": "********", "images_per_series": 3})  # the form sent back
    answer = octoprint.failwatch("POST", "test_connection", json={"settings": admin_view}).json()
    assert answer["ok"] is True  # the stored key was used, not the placeholder
    assert SECRET_ACCESS_KEY not in octoprint.api("GET", "/api/settings").text


def test_a_model_that_cries_wolf_five_percent_of_the_time_never_pauses_a_healthy_print(printing, model):
    printing.save_settings({"failure_action": "pause"})
    model.false_positive_rate = 0.05
    try:
        printing.wait_for_state("watching")
        start = len(model.converse_requests)
        wait_for(lambda: len(model.converse_requests) >= start + 20, 120, "20 model calls")
        status = printing.plugin_status()
        assert status["counters"]["confirmed"] == 0 and printing.job_state().startswith("Printing")
    finally:
        model.false_positive_rate = 0.0
        printing.save_settings({"failure_action": "notify"})


def test_a_save_changes_only_what_it_changes_and_the_user_ends_a_snooze(printing, camera):
    printing.wait_for_state("watching")
    assert printing.failwatch("POST", "snooze", json={"minutes": 30}).json()["state"] == "snoozed"
    until = printing.plugin_status()["until"]
    try:
        printing.save_settings({"interval_between_images": -5})  # refused: nothing else happens
        printing.save_settings({"failure_action": "pause"})
        printing.save_settings({"snapshot_url": camera.url + "?view=top"})
        status = printing.plugin_status()
        assert status["state"] == "snoozed" and status["until"] == until
        assert status["last_save"]["notes"] == [
            f"camera changed: the next frame comes from snapshot {camera.url}?view=top"
        ]
        assert printing.failwatch("POST", "resume").json()["state"] == "watching"
        conflict = printing.failwatch("POST", "resume")
        assert conflict.status_code == 409 and "nothing to resume" in conflict.json()["error"]
        printing.cancel_print()
        printing.wait_for_state("idle")
        idle = printing.failwatch("POST", "snooze", json={"minutes": 30})
        assert idle.status_code == 409 and "no print is being watched" in idle.json()["error"]
    finally:
        printing.save_settings({"failure_action": "notify", "snapshot_url": camera.url})


def test_a_dismissed_look_alike_is_not_alarmed_again_and_a_real_failure_still_is(printing, model, webhook):
    printing.save_settings(
        {"resume_grace_minutes": 0, "interval_between_images": 0.5, "discord_webhook_url": webhook.url}
    )
    alarms = lambda: [m for m in webhook.messages if "failure" in m["payload"]["embeds"][0]["title"]]  # noqa: E731
    try:
        model.verdict = {"print_failed": True, "confidence": 0.7, "failure_type": "spaghetti"}  # a purge blob
        status = printing.wait_for_state("cooldown", timeout=60)
        wait_for(lambda: len(alarms()) == 1, 30, "the first alarm on Discord")
        answer = printing.failwatch(
            "POST", f"incidents/{status['last_failure']['incident']}/label", json={"label": "not_a_failure"}
        ).json()
        assert answer["confirm_resume"] is False  # only notified: nothing to resume
        printing.wait_for_state("watching")
        calls = len(model.converse_requests)
        # 180 more looks: half an hour of them at the default 10 s, here every 0.5 s
        wait_for(lambda: len(model.converse_requests) >= calls + 180, 150, "180 more looks")
        status = printing.plugin_status()
        assert status["counters"]["confirmed"] == 1 and status["counters"]["like_dismissed"] >= 170
        assert status["last_verdict"]["like_dismissed"] and len(alarms()) == 1
        assert all(r["quick"] for r in model.converse_requests[calls:])  # no series, no verification for it
        model.verdict = {"print_failed": True, "confidence": 0.95, "failure_type": "layer_shift"}  # a real one
        wait_for(lambda: printing.plugin_status()["counters"]["confirmed"] == 2, 60, "the real failure confirmed")
        wait_for(lambda: len(alarms()) == 2, 30, "the second alarm on Discord")
        assert "layer shift" in str(alarms()[-1]["payload"])
    finally:
        model.verdict = "scene"
        printing.save_settings(
            {"resume_grace_minutes": 2, "interval_between_images": 1, "discord_webhook_url": SECRET_WEBHOOK}
        )


def test_a_past_print_is_not_replayed_while_a_print_is_watched_and_only_by_who_may_control(printing):
    from demo.printnanny import write_timelapse
    from demo.scene import encode_jpeg, render

    timelapses = printing.basedir / "timelapse"
    timelapses.mkdir(exist_ok=True)
    write_timelapse(
        timelapses / "earlier_print.mp4", [encode_jpeg(render("healthy", t, 320, 240), 80) for t in (0, 10)]
    )
    listed = printing.failwatch("GET", "past_prints").json()
    assert "earlier_print.mp4" in [p["name"] for p in listed["prints"]]
    assert listed["frame_interval"] == 10 and "assumed" in listed["frame_interval_source"]
    busy = printing.failwatch("POST", "past_prints/replay", json={"name": "earlier_print.mp4"})
    assert busy.status_code == 409 and "a print is being watched" in busy.json()["error"]
    assert printing.failwatch("POST", "past_prints/replay", json={"name": "../config.yaml"}).status_code == 404
    viewer = printing.failwatch(
        "POST", "past_prints/replay", session=printing.viewer, json={"name": "earlier_print.mp4"}
    )
    assert viewer.status_code == 403
    assert printing.failwatch("GET", "past_prints", session=printing.viewer).status_code == 200


def test_the_model_is_told_how_far_the_print_is_with_every_full_look_and_the_incident_keeps_it(printing, camera, model):
    status, told = failure_confirmed(printing, camera, model)
    said = [t for r in told for t in r["texts"] if t.startswith("What the printer says of this print now")]
    assert told and len(said) == len(told)  # every full look: the series and each verification
    assert "failwatch_test.gcode: " in said[0] and "% printed" in said[0]
    assert not any(
        t.startswith("What the printer says") for r in model.converse_requests if r["quick"] for t in r["texts"]
    )  # the quick look stays short
    incidents = printing.failwatch("GET", "incidents").json()["incidents"]
    incident = next(i for i in incidents if i["id"] == status["last_failure"]["incident"])
    assert incident["context"].startswith("failwatch_test.gcode: ") and "% printed" in incident["context"]
