"""The standalone daemon, driven only by environment variables, against the real parts."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from demo.octoprint_instance import wait_for
from octoprint_failwatch.outcomes.alerts.paho_compat import new_client

from conftest import MODEL_ID

ROLE = "arn:aws:iam::123456789012:role/failwatch-bedrock"


def daemon(env: dict, *args: str) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.Popen(
        [sys.executable, "-m", "octoprint_failwatch", *args],
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def standalone_env(tmp_path, rtsp, model, webhook, broker):
    credentials = tmp_path / "credentials"
    credentials.write_text("[printer]\naws_access_key_id = AKIASTANDALONE\naws_secret_access_key = s3cret\n")
    model.verdict, model.faults[:] = "scene", []
    return {
        # the standalone tool's variables
        "RTSP_URL": rtsp.url,
        "DISCORD_WEBHOOK_URL": webhook.url,
        "AWS_REGION": "us-west-2",
        "AWS_ROLE_ARN": ROLE,
        "INFERENCE_PROFILE_ARN": MODEL_ID,
        "APP_AWS_PROFILE": "printer",
        "IMAGES_PER_SERIES": "3",
        "INTERVAL_BETWEEN_IMAGES": "1",
        "MQTT_BROKER_URL": broker.url,
        "MQTT_TOPIC": "standalone/failwatch",
        # the plugin's extra settings, same naming
        "AWS_CREDENTIALS_FILE": str(credentials),
        "BEDROCK_ENDPOINT_URL": model.url,
        "STS_ENDPOINT_URL": model.url,
        "VERIFICATION_INTERVAL": "0.5",
        "DATA_FOLDER": str(tmp_path / "data"),
    }


def test_missing_variables_are_listed_in_one_message_with_exit_code_2():
    process = daemon({"AWS_REGION": "us-west-2"})
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert (
        "missing required environment variables: RTSP_URL (or SNAPSHOT_URL or MJPEG_URL), INFERENCE_PROFILE_ARN"
        in output
    )


def test_help_is_asked_for_on_stdout_and_a_wrong_command_is_an_error():
    for asked in ("--help", "-h", "help"):
        answer = subprocess.run(
            [sys.executable, "-m", "octoprint_failwatch", asked], capture_output=True, text=True, timeout=60
        )
        assert answer.returncode == 0 and "failwatch once" in answer.stdout and answer.stderr == ""
    wrong = subprocess.run(
        [sys.executable, "-m", "octoprint_failwatch", "wach"], capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 2 and "failwatch once" in wrong.stderr


def test_a_bad_variable_is_named():
    process = daemon({"RTSP_URL": "rtsp://cam/live", "INFERENCE_PROFILE_ARN": MODEL_ID, "IMAGES_PER_SERIES": "-1"})
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2 and "IMAGES_PER_SERIES: must be at least 1" in output


def test_the_daemon_confirms_a_failure_alerts_discord_and_mqtt_and_stops_on_sigterm(
    standalone_env, camera, webhook, broker, model
):
    received = []
    subscribed = []
    client = new_client("", "tcp")
    client.on_connect = lambda c, *args: c.subscribe("standalone/failwatch", qos=1)
    client.on_subscribe = lambda *args: subscribed.append(True)
    client.on_message = lambda c, u, message: received.append(json.loads(message.payload))
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    camera.mode = "failed"
    process = daemon(standalone_env)
    try:
        wait_for(lambda: subscribed, 10, "the MQTT subscription")
        failure = wait_for(lambda: [m for m in received if m.get("state") == "failure"], 90, "the MQTT failure")[0]
        assert failure["print_failed"] is True and "Tangled" in failure["description"]
        message = wait_for(
            lambda: [m for m in webhook.messages if "failure" in m["payload"]["embeds"][0]["title"]],
            30,
            "the Discord alert",
        )[0]
        assert message["files"]["files[0]"].startswith(b"\xff\xd8")
        assert model.assume_role_requests[-1] == {"role": ROLE, "access_key": "AKIASTANDALONE"}
        process.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        process.wait(timeout=5)
        assert time.monotonic() - stopped < 1.0
        assert process.returncode == 0
        output = process.stdout.read()
        assert "print failure confirmed (3 of 4)" in output and "failwatch stopped" in output
        assert "s3cret" not in output
    finally:
        camera.mode = "healthy"
        client.disconnect()
        client.loop_stop()
        if process.poll() is None:
            process.kill()


def test_test_mode_waits_and_once_runs_a_single_cycle(standalone_env, model, camera):
    camera.mode = "healthy"
    waiting = daemon({**standalone_env, "TEST_MODE": "true"})
    try:
        calls = len(model.converse_requests)
        once = daemon({**standalone_env, "TEST_MODE": "true"}, "once")
        output, _ = once.communicate(timeout=120)
        assert once.returncode == 0, output
        assert "verdict: ok" in output
        assert len(model.converse_requests) == calls + 1  # the waiting daemon made no calls
        assert waiting.poll() is None
    finally:
        waiting.send_signal(signal.SIGINT)
        waiting.wait(timeout=5)
    assert waiting.returncode == 0
