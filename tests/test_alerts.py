"""Alerts through the real parts: Mosquitto, and a local Discord webhook receiver."""

import json
import logging

import pytest

from demo.octoprint_instance import free_port, wait_for
from demo.scene import shows_failure
from octoprint_failwatch.config import build_config
from octoprint_failwatch.outcomes.alerts import FAILURE, STATUS, Alert, Identity, make_channels
from octoprint_failwatch.outcomes.alerts.discord import DiscordMessage, DiscordNotifier
from octoprint_failwatch.outcomes.alerts.paho_compat import new_client

from mosquitto_broker import PASSWORD, USER

VERDICT = {"print_failed": False, "confidence": 0.1, "failure_type": "none", "explanation": "Building normally."}
FAILED = {"print_failed": True, "confidence": 0.9, "failure_type": "spaghetti", "explanation": "Tangled strands."}
JOB = {"file": "benchy.gcode", "progress": 42.0, "elapsed": 3725}
COST = {"print_usd": 0.01, "today_usd": 0.05}


def make_alerts(camera, instance="prusa", name="Prusa MK4", record=None, **settings):
    config, errors = build_config(settings)
    assert not errors, errors
    return make_channels(
        config, Identity.of(instance, name, config.mqtt_topic), logging.getLogger("test"), record=record
    )


STATUS_ALERT = Alert(STATUS, "Prusa MK4", state="watching", verdict=VERDICT, job=JOB, cost=COST)


def failure_alert(snapshot=None) -> Alert:
    return Alert(
        FAILURE,
        "Prusa MK4",
        verdict=FAILED,
        positives=3,
        series=4,
        action="paused",
        job=JOB,
        cost=COST,
        snapshot=snapshot,
    )


def test_every_cycle_publishes_the_standalone_tools_json_and_more(broker, subscriber, camera):
    sub = subscriber("failwatch/cycle")
    assert sub.subscribed.wait(10)
    alerts = make_alerts(camera, mqtt_broker_url=broker.url, mqtt_topic="failwatch/cycle")
    try:
        wait_for(lambda: alerts.status()["mqtt"].startswith("connected"), 10, "the publisher to connect")
        for _ in range(3):
            alerts.publish(STATUS_ALERT)
        wait_for(lambda: len(sub.on("failwatch/cycle")) >= 3, 10, "three status messages")
        message = json.loads(sub.on("failwatch/cycle")[-1])
        assert message["print_failed"] is False and message["description"] == "Building normally."
        assert message["timestamp"][:4].isdigit() and "T" in message["timestamp"]
        assert message["state"] == "watching" and message["confidence"] == 0.1
        assert message["job"] == {"file": "benchy.gcode", "progress": 42.0, "elapsed": 3725}
        assert message["cost"] == COST
    finally:
        alerts.close()


@pytest.mark.parametrize("scheme", ["mqtts", "ws", "wss"])
def test_tls_and_websocket_brokers_get_the_status_too(broker, subscriber, camera, scheme):
    port = {"mqtts": broker.tls_port, "ws": broker.ws_port, "wss": broker.wss_port}[scheme]
    topic = f"failwatch/{scheme}"
    sub = subscriber(topic)
    assert sub.subscribed.wait(10)
    alerts = make_alerts(
        camera, mqtt_broker_url=f"{scheme}://127.0.0.1:{port}", mqtt_topic=topic, mqtt_ca_file=str(broker.ca_file)
    )
    try:
        wait_for(lambda: alerts.status()["mqtt"].startswith("connected"), 10, f"the publisher to connect over {scheme}")
        alerts.publish(STATUS_ALERT)
        wait_for(lambda: sub.on(topic), 10, f"the status to arrive over {scheme}")
        assert json.loads(sub.on(topic)[-1])["description"] == "Building normally."
    finally:
        alerts.close()


def test_a_tls_broker_with_an_untrusted_certificate_or_a_dead_port_is_explained(broker, camera, tmp_path):
    untrusted = make_alerts(camera, mqtt_broker_url=f"mqtts://127.0.0.1:{broker.tls_port}")  # system CAs only
    dead = make_alerts(camera, mqtt_broker_url=f"mqtt://127.0.0.1:{free_port()}")
    try:
        wait_for(lambda: "not trusted" in untrusted.status()["mqtt"], 10, "the untrusted certificate to be named")
        assert "check the CA file" in untrusted.status()["mqtt"]
        wait_for(lambda: "connection refused" in dead.status()["mqtt"], 10, "the refused connection to be named")
        untrusted.publish(STATUS_ALERT)  # never raises, never blocks
    finally:
        untrusted.close()
        dead.close()


def test_a_failure_published_while_the_broker_is_down_arrives_after_it_returns(broker, subscriber, camera):
    alerts = make_alerts(camera, mqtt_broker_url=broker.url, mqtt_topic="failwatch/outage")
    try:
        wait_for(lambda: alerts.status()["mqtt"].startswith("connected"), 10, "the publisher to connect")
        broker.stop()
        wait_for(lambda: "reconnecting" in alerts.status()["mqtt"], 10, "the publisher to notice")
        alerts.publish(STATUS_ALERT)
        alerts.publish(failure_alert())
        broker.start()
        sub = subscriber("failwatch/outage")
        wait_for(
            lambda: any(json.loads(m)["print_failed"] for m in sub.on("failwatch/outage")),
            30,
            "the failure alert after the broker came back",
        )
        failure = [json.loads(m) for m in sub.on("failwatch/outage") if json.loads(m)["print_failed"]][0]
        assert failure["action"] == "paused" and failure["state"] == "failure"
        assert failure["description"] == "Tangled strands."
    finally:
        alerts.close()


def test_home_assistant_discovery_is_retained_and_resent_when_home_assistant_comes_online(broker, subscriber, camera):
    alerts = make_alerts(camera, mqtt_broker_url=broker.url, mqtt_topic="failwatch/ha")
    configs = Identity.of("prusa", "Prusa MK4", "failwatch/ha").discovery_configs(image=True)
    topic = "homeassistant/binary_sensor/failwatch_prusa/failure/config"
    try:
        wait_for(lambda: alerts.status()["mqtt"].startswith("connected"), 10, "the publisher to connect")
        published = subscriber("homeassistant/+/failwatch_prusa/#")  # connected comes before the configs are sent
        wait_for(lambda: len({t for t, _, _ in published.messages}) == len(configs), 10, "discovery configs")
        sub = subscriber("homeassistant/+/failwatch_prusa/#")  # one that comes later gets them from the broker
        wait_for(lambda: len({t for t, _, _ in sub.messages}) == len(configs), 10, "retained discovery configs")
        assert all(retained for _, _, retained in sub.messages)
        binary = json.loads(sub.on(topic)[0])
        assert binary["device_class"] == "problem" and binary["state_topic"] == "failwatch/ha"
        assert binary["availability_topic"] == "failwatch/ha/availability"
        assert binary["device"]["identifiers"] == ["failwatch_prusa"]
        assert binary["device"]["name"] == "Failwatch Prusa MK4"
        assert binary["origin"]["name"] == "OctoPrint-Failwatch"
        confidence = json.loads(sub.on("homeassistant/sensor/failwatch_prusa/confidence/config")[0])
        assert confidence["state_class"] == "measurement"  # long-term statistics in Home Assistant
        before = len(sub.on(topic))
        announcer = new_client("", "tcp")
        announcer.connect("127.0.0.1", broker.port)
        announcer.loop_start()
        announcer.publish("homeassistant/status", "online", qos=1).wait_for_publish(5)
        wait_for(lambda: len(sub.on(topic)) > before, 10, "discovery re-sent")
        announcer.disconnect()
        announcer.loop_stop()
    finally:
        alerts.close()
    off = make_alerts(camera, mqtt_broker_url=broker.url, mqtt_topic="failwatch/ha", mqtt_ha_discovery=False)
    try:
        wait_for(lambda: sub.on(topic)[-1] == b"", 10, "the discovery config to be removed")
    finally:
        off.close()


def test_wrong_mqtt_password_is_reported_and_login_with_the_right_one_works(broker, camera):
    wrong = make_alerts(camera, mqtt_broker_url=broker.auth_url, mqtt_username=USER, mqtt_password="wrong")
    right = make_alerts(camera, mqtt_broker_url=broker.auth_url, mqtt_username=USER, mqtt_password=PASSWORD)
    try:
        wait_for(lambda: "refused" in wrong.status()["mqtt"], 10, "the refusal to be reported")
        assert "wrong" not in wrong.status()["mqtt"]
        wrong.publish(STATUS_ALERT)  # never raises, never blocks
        wait_for(lambda: right.status()["mqtt"].startswith("connected"), 10, "a login with the right password")
    finally:
        wrong.close()
        right.close()


def test_discord_failure_alert_has_a_fresh_snapshot_embed_and_the_facts(webhook, camera):
    alerts = make_alerts(camera, discord_webhook_url=webhook.url)
    camera.mode = "healthy"
    series_frame = camera.snapshot()
    camera.mode = "failed"  # what the camera shows when the alert goes out
    try:
        alerts.publish(failure_alert(snapshot=camera.snapshot))
        wait_for(lambda: webhook.messages, 10, "the Discord message")
    finally:
        alerts.close()
        camera.mode = "healthy"
    message = webhook.messages[0]
    assert message["path"].endswith("?wait=true")
    embed = message["payload"]["embeds"][0]
    assert embed["image"]["url"] == "attachment://snapshot.jpg"
    assert "Tangled strands." in embed["description"] and "check the printer in person" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Action"] == "Print paused" and fields["File"] == "benchy.gcode"
    assert fields["Progress"] == "42%" and fields["Elapsed"] == "1 h 02 min" and fields["Printer"] == "Prusa MK4"
    assert fields["Confidence"].startswith("90%")
    snapshot = message["files"]["files[0]"]
    assert snapshot.startswith(b"\xff\xd8") and snapshot != series_frame
    assert shows_failure(snapshot)  # taken at alert time, not a series frame


def test_discord_429_is_honoured_and_exactly_one_message_is_delivered(webhook):
    waits = []
    notifier = DiscordNotifier(webhook.url, sleep=waits.append)
    webhook.script.extend([(429, {"retry_after": 1.5, "global": False}), (500, {}), (429, {"retry_after": 0.25})])
    notifier.send(DiscordMessage("title", "text", 0))
    wait_for(lambda: webhook.messages, 10, "delivery after the retries")
    notifier.close()
    assert webhook.attempts == 4 and len(webhook.messages) == 1
    assert waits[0] == 1.5 and waits[2] == 0.25 and 0 <= waits[1] <= 4.0  # full jitter on 2**attempt


def test_a_failure_alert_to_an_unreachable_discord_is_delivered_once_it_is_back():
    from demo.octoprint_instance import free_port

    from webhook_receiver import WebhookReceiver

    port = free_port()
    url = f"http://127.0.0.1:{port}/api/webhooks/7/token"
    waits = []
    receiver = None

    def sleep(seconds):  # simulated backoff; Discord comes back during the third wait
        nonlocal receiver
        waits.append(seconds)
        if len(waits) == 3:
            receiver = WebhookReceiver(port).start()

    notifier = DiscordNotifier(url, sleep=sleep)
    notifier.send(DiscordMessage("⚠️ Print failure detected", "spaghetti", 0))
    try:
        wait_for(lambda: receiver is not None and receiver.messages, 20, "delivery once Discord is back")
        assert len(receiver.messages) == 1 and "unreachable" not in notifier.status
        assert len(waits) == 3
    finally:
        notifier.close()
        if receiver:
            receiver.stop()


def test_each_instance_has_its_own_device_and_topics_and_what_it_no_longer_uses_is_cleared(
    broker, subscriber, camera, tmp_path
):
    sub = subscriber("#")
    assert sub.subscribed.wait(10)
    legacy = "homeassistant/binary_sensor/failwatch_octoprint/failure/config"  # what an older version left
    announcer = new_client("", "tcp")
    announcer.connect("127.0.0.1", broker.port)
    announcer.loop_start()
    announcer.publish(legacy, json.dumps({"name": "old"}), qos=1, retain=True).wait_for_publish(5)
    first = make_alerts(camera, instance="aaa111", name="", record=tmp_path / "a.json", mqtt_broker_url=broker.url)
    second = make_alerts(camera, instance="bbb222", name="", record=tmp_path / "b.json", mqtt_broker_url=broker.url)
    try:
        for alerts in (first, second):
            wait_for(lambda alerts=alerts: alerts.status()["mqtt"].startswith("connected"), 10, "a connection")
        # the same empty name: two devices, two default topics
        wait_for(
            lambda: (
                sub.on("homeassistant/binary_sensor/failwatch_aaa111/failure/config")
                and sub.on("homeassistant/binary_sensor/failwatch_bbb222/failure/config")
            ),
            10,
            "two devices",
        )
        names = {
            json.loads(sub.on(f"homeassistant/binary_sensor/failwatch_{i}/failure/config")[-1])["device"]["name"]
            for i in ("aaa111", "bbb222")
        }
        assert names == {"Failwatch aaa111", "Failwatch bbb222"}
        wait_for(lambda: sub.on(legacy) and sub.on(legacy)[-1] == b"", 10, "the older version's config cleared")
        first.publish(Alert(STATUS, "", state="idle", changed_state=True, text="no print running"))
        second.publish(STATUS_ALERT)
        wait_for(
            lambda: sub.on("octoprint/failwatch/aaa111") and sub.on("octoprint/failwatch/bbb222"),
            10,
            "each state on its own topic",
        )
        assert json.loads(sub.on("octoprint/failwatch/aaa111")[-1])["state"] == "idle"
        assert json.loads(sub.on("octoprint/failwatch/bbb222")[-1])["state"] == "watching"
    finally:
        first.close()
        second.close()
        announcer.disconnect()
        announcer.loop_stop()
    # the first instance gets a topic of its own and turns discovery off: its old retained topics go
    moved = make_alerts(
        camera,
        instance="aaa111",
        name="",
        record=tmp_path / "a.json",
        mqtt_broker_url=broker.url,
        mqtt_topic="farm/printer-1",
        mqtt_ha_discovery=False,
    )
    try:
        wait_for(lambda: sub.on("octoprint/failwatch/aaa111")[-1] == b"", 10, "the old state topic cleared")
        wait_for(
            lambda: sub.on("homeassistant/binary_sensor/failwatch_aaa111/failure/config")[-1] == b"",
            10,
            "its discovery removed",
        )
        assert sub.on("homeassistant/binary_sensor/failwatch_bbb222/failure/config")[-1] != b""  # the other stays
    finally:
        moved.close()
