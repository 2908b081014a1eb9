"""Session fixtures: the demo camera, the local Bedrock/STS server and a real OctoPrint wired to them."""

from __future__ import annotations

import pytest
from mqtt_subscriber import Subscriber

from demo.camera_server import CameraServer
from demo.model_server import ModelServer
from demo.octoprint_instance import OctoPrintServer, wait_for
from demo.rtsp_camera import RtspCamera

from mosquitto_broker import Mosquitto
from webhook_receiver import WebhookReceiver

MODEL_ID = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.amazon.nova-lite-v1:0"
# known secret strings: tests grep logs and API answers for them
SECRET_ACCESS_KEY_ID = "AKIAFAILWATCHSECRET1"
SECRET_ACCESS_KEY = "failwatch-secret-access-key-do-not-leak"
SECRET_WEBHOOK = "http://127.0.0.1:9/api/webhooks/1/failwatch-secret-webhook-token"
SECRET_MQTT_PASSWORD = "failwatch-secret-mqtt-password"
SECRET_OPENAI_KEY = "failwatch-secret-local-model-key"
SECRET_NOTIFY_URL = "json://127.0.0.1:9/failwatch-secret-notify-token"
SECRETS = (
    SECRET_ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SECRET_WEBHOOK,
    SECRET_MQTT_PASSWORD,
    SECRET_OPENAI_KEY,
    SECRET_NOTIFY_URL,
    "failwatch-secret-notify-token",
)


@pytest.fixture(scope="session")
def camera():
    server = CameraServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def model():
    server = ModelServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rtsp(camera):
    """The demo scene over RTSP (re-encoded from the demo camera's MJPEG stream)."""
    server = RtspCamera("--mjpeg", camera.stream_url).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    server = Mosquitto(tmp_path_factory.mktemp("mosquitto")).start()
    yield server
    server.stop()


@pytest.fixture
def subscriber(broker):
    created = []

    def make(topics="#", port=None):
        sub = Subscriber(port or broker.port, topics)
        created.append(sub)
        return sub

    yield make
    for sub in created:
        sub.close()


@pytest.fixture(scope="session")
def webhook_server():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def webhook(webhook_server):
    webhook_server.messages.clear()
    webhook_server.script.clear()
    webhook_server.attempts = 0
    return webhook_server


def fast_settings(camera: CameraServer, model: ModelServer) -> dict:
    """The default policy with short intervals so an end-to-end failure is confirmed in seconds."""
    return {
        "snapshot_url": camera.url,
        "inference_profile_arn": MODEL_ID,
        "bedrock_endpoint_url": model.url,
        "sts_endpoint_url": model.url,
        "aws_access_key_id": SECRET_ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
        "aws_role_arn": "arn:aws:iam::123456789012:role/failwatch-bedrock",
        "credentials_file": "/nonexistent/failwatch-test-credentials",
        "discord_webhook_url": SECRET_WEBHOOK,
        "mqtt_password": SECRET_MQTT_PASSWORD,
        "openai_api_key": SECRET_OPENAI_KEY,
        "notify_urls": SECRET_NOTIFY_URL,
        "interval_between_images": 1,
        "verification_interval": 0.5,
        "cooldown_minutes": 1,
        "error_backoff_seconds": 5,
        "warmup_minutes": 0,
    }


@pytest.fixture(scope="session")
def octoprint(tmp_path_factory, camera, model):
    # the classic webcam points at the demo camera; _config_version stops it migrating empty defaults over it
    webcam = {"snapshot": camera.url, "flipH": True, "_config_version": 1}
    server = OctoPrintServer(
        tmp_path_factory.mktemp("octoprint"), fast_settings(camera, model), plugins_config={"classicwebcam": webcam}
    )
    server.prepare()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def printing(octoprint, camera, model):
    """A running print on the virtual printer; afterwards the print is cancelled and the fakes reset."""
    camera.mode = "healthy"
    model.verdict = "scene"
    model.faults.clear()
    octoprint.start_print()
    yield octoprint
    if octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
        octoprint.cancel_print()
    camera.mode = "healthy"
    model.verdict = "scene"
    model.faults.clear()


@pytest.fixture(scope="session")
def printnanny():
    """PrintNanny's real detector and photos (fetched with pip once, then cached); skips without ai-edge-litert."""
    pytest.importorskip("ai_edge_litert", reason='the on-device detector needs pip install ".[local]"')
    from demo.printnanny import fetch

    return fetch()


def failure_confirmed(octoprint, camera, model) -> tuple[dict, list[dict]]:
    """A failure shown to a watched print until it is confirmed: the status then, and the model's full-look
    requests on the way (the series and each verification)."""
    octoprint.wait_for_state("watching")
    wait_for(lambda: octoprint.plugin_status()["last_verdict"], 30, "a first healthy verdict")
    before = len(model.converse_requests)
    camera.mode = "failed"
    status = octoprint.wait_for_state("cooldown", timeout=60)
    return status, [r for r in list(model.converse_requests)[before:] if not r["quick"] and not r["bed"]]
