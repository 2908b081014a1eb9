"""Notification URLs through Apprise: a real SMTP server and a real JSON webhook receive the alerts, from a
real OctoPrint for the end-to-end case; a service that is down is retried without holding up the others."""

import base64
import logging
import socket
import threading

import pytest
from smtp_receiver import SmtpReceiver

from demo.octoprint_instance import free_port, wait_for
from octoprint_failwatch.config import build_config
from octoprint_failwatch.outcomes.alerts.alert import FAILURE, PROBLEM, TEST, Alert
from octoprint_failwatch.outcomes.alerts.notify import NotifyChannel

from conftest import SECRET_NOTIFY_URL, SECRET_WEBHOOK, SECRETS
from webhook_receiver import WebhookReceiver

SMTP_PASSWORD = "failwatch-secret-smtp-password"
JPEG = b"\xff\xd8\xff\xe0 a picture taken at alert time"
FAILURE_ALERT = Alert(
    FAILURE,
    "Prusa MK4",
    verdict={"explanation": "Tangled filament above the part", "confidence": 0.9, "failure_type": "spaghetti"},
    positives=3,
    series=4,
    action="paused",
    job={"file": "benchy.gcode", "progress": 42.0},
    snapshot=lambda: JPEG,
)


@pytest.fixture
def smtp():
    server = SmtpReceiver("printer", SMTP_PASSWORD).start()
    yield server
    server.stop()


@pytest.fixture
def receivers():
    servers = [WebhookReceiver().start(), WebhookReceiver().start()]
    yield servers
    for server in servers:
        server.stop()


def json_url(receiver: WebhookReceiver) -> str:
    return f"json://127.0.0.1:{receiver.port}/notify/json-secret-token"


def attachments(message: dict) -> list[bytes]:
    return [base64.b64decode(item["base64"]) for item in message["payload"].get("attachments") or []]


class SimulatedWaits:
    """The retry backoff on a simulated clock: each wait moves the clock on instead of taking time."""

    def __init__(self):
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def test_a_failure_reaches_email_and_a_webhook_with_the_snapshot_and_the_words_of_the_discord_alert(smtp, receivers):
    channel = NotifyChannel([smtp.url, json_url(receivers[0])], logging.getLogger("test"))
    try:
        channel.publish(FAILURE_ALERT)
        wait_for(lambda: smtp.messages and receivers[0].messages, 20, "the e-mail and the webhook")
    finally:
        channel.close()
    mail = smtp.messages[0]
    assert mail["Subject"] == "⚠️ Print failure detected" and smtp.logins == [("printer", True)]
    text = mail.get_body(("plain",)).get_content()
    assert "Tangled filament above the part" in text and "Confidence: 90% (3 of 4 checks agreed)" in text
    assert "File: benchy.gcode" in text and "Action: Print paused" in text
    pictures = [part for part in mail.iter_attachments() if part.get_content_type() == "image/jpeg"]
    assert [part.get_filename() for part in pictures] == ["snapshot.jpg"] and pictures[0].get_content() == JPEG
    posted = receivers[0].messages[0]
    assert posted["payload"]["type"] == "failure" and posted["payload"]["title"] == "⚠️ Print failure detected"
    assert attachments(posted) == [JPEG]
    assert len(smtp.messages) == 1 and len(receivers[0].messages) == 1  # exactly once each


def test_a_service_that_is_down_is_retried_while_the_others_deliver_and_it_gets_the_alert_once(receivers):
    down, up = receivers
    down.script.extend([(500, {}), (503, {}), (500, {})])  # down for three attempts
    waits = SimulatedWaits()
    channel = NotifyChannel(
        [json_url(down), json_url(up)], logging.getLogger("test"), sleep=waits.sleep, clock=waits.clock
    )
    try:
        channel.publish(FAILURE_ALERT)
        wait_for(lambda: up.messages and down.messages, 20, "both services to have the alert")
    finally:
        channel.close()
    assert len(up.messages) == 1 and up.attempts == 1
    assert len(down.messages) == 1 and down.attempts == 4
    assert len(waits.waits) == 3 and all(0 <= wait <= 60 for wait in waits.waits)
    assert channel.status().count("last alert delivered") == 2


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: a service that hangs."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    server.settimeout(0.2)
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(5)
    for connection in accepted:
        connection.close()
    server.close()


def test_a_service_that_hangs_or_refuses_holds_up_no_other(receivers, silent_server):
    port, accepted = silent_server
    waits = SimulatedWaits()
    urls = [f"json://127.0.0.1:{port}/hangs", f"json://127.0.0.1:{free_port()}/refuses", json_url(receivers[0])]
    channel = NotifyChannel(urls, logging.getLogger("test"), sleep=waits.sleep, clock=waits.clock)
    try:
        channel.publish(FAILURE_ALERT)
        wait_for(lambda: receivers[0].messages, 20, "the service that works")
        assert accepted and "last alert" not in channel.status().split(";")[0]  # the hanging one is still waiting
        assert len(receivers[0].messages) == 1
    finally:
        channel.close()


def test_a_service_down_for_good_is_given_up_after_fifteen_minutes_and_says_so(receivers, caplog):
    down = receivers[0]
    down.script.extend([(500, {})] * 500)
    waits = SimulatedWaits()
    channel = NotifyChannel([json_url(down)], logging.getLogger("test"), sleep=waits.sleep, clock=waits.clock)
    try:
        with caplog.at_level(logging.WARNING, logger="test"):
            channel.publish(FAILURE_ALERT)
            wait_for(lambda: "gave up" in channel.status(), 30, "the channel to give up")
    finally:
        channel.close()
    assert 14 * 60 <= waits.now <= 15 * 60 + 1 and down.attempts < 200 and not down.messages
    assert "gave up notifying JSON (json://127.0.0.1" in caplog.text and "json-secret-token" not in caplog.text


def test_a_camera_problem_goes_without_a_picture_and_a_test_says_which_url_failed(receivers):
    good, bad = receivers
    channel = NotifyChannel([json_url(good), json_url(bad), "nonsense://not-a-service"], logging.getLogger("test"))
    try:
        channel.publish(
            Alert(PROBLEM, "Prusa MK4", problem="camera", text="the camera answered HTTP 500", snapshot=lambda: JPEG)
        )
        wait_for(lambda: good.messages and bad.messages, 20, "the camera problem")
        assert good.messages[0]["payload"]["title"] == "📷 Camera problem" and attachments(good.messages[0]) == []
        bad.script.append((404, {}))
        ok, text = channel.send_test(Alert(TEST, "Prusa MK4", snapshot=lambda: JPEG))
    finally:
        channel.close()
    assert ok is False
    assert text == (
        f"JSON (json://127.0.0.1:{good.port}/***): delivered; "
        f"JSON (json://127.0.0.1:{bad.port}/***): not delivered; "
        "Apprise does not know this URL: nonsense://…"
    )
    assert good.messages[1]["payload"]["title"] == "✅ Failwatch test alert" and attachments(good.messages[1]) == [JPEG]
    assert "json-secret-token" not in channel.status()


def test_notification_urls_are_checked_one_per_line():
    config, errors = build_config({"notify_urls": "ntfy://my-printer\n tgram://123:abc/456, mailto://a:b@example.com"})
    assert not errors and config.notify_urls.startswith("ntfy://")
    _, errors = build_config({"notify_urls": "ntfy://my-printer\nmy-printer-topic"})
    assert list(errors) == ["notify_urls"] and "one per line" in errors["notify_urls"]
    assert "my-printer-topic" not in str(errors)  # a secret is not repeated back


@pytest.mark.octoprint
def test_a_confirmed_failure_in_octoprint_is_mailed_with_its_snapshot_and_the_test_button_reports_each_url(
    printing, camera, smtp, receivers
):
    printing.save_settings({"notify_urls": f"{smtp.url}\n{json_url(receivers[0])}", "discord_webhook_url": ""})
    try:
        answer = printing.failwatch("POST", "test_alert").json()
        assert answer["results"]["notify"]["ok"] is True, answer
        assert answer["results"]["notify"]["message"] == (
            f"E-Mail (mailto://printer:***@127.0.0.1:{smtp.port}/***): delivered; "
            f"JSON (json://127.0.0.1:{receivers[0].port}/***): delivered"
        )
        assert smtp.messages[-1]["Subject"] == "✅ Failwatch test alert"
        camera.mode = "failed"
        printing.wait_for_state("cooldown", timeout=60)
        mail = wait_for(lambda: [m for m in smtp.messages if "failure" in m["Subject"]], 30, "the failure e-mail")[0]
        picture = next(mail.iter_attachments()).get_content()
        assert picture.startswith(b"\xff\xd8") and "Tangled" in mail.get_body(("plain",)).get_content()
        posted = wait_for(
            lambda: [m for m in receivers[0].messages if m["payload"]["type"] == "failure"],
            30,
            "the failure on the webhook",
        )[0]
        assert attachments(posted)[0] == picture  # one picture, taken once, for every channel
        status = printing.plugin_status()["alerts"]["notify"]
        assert status.count("last alert delivered") == 2
        viewer_status = printing.failwatch("GET", "status", printing.viewer).text
        for secret in (*SECRETS, SMTP_PASSWORD, "json-secret-token"):
            assert secret not in status and secret not in viewer_status and secret not in printing.log_text()
    finally:
        printing.save_settings({"notify_urls": SECRET_NOTIFY_URL, "discord_webhook_url": SECRET_WEBHOOK})
