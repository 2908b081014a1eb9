"""Failwatch publishing through the OctoPrint-MQTT plugin, installed for real beside it (paho-mqtt 1.6).

Runs where OctoPrint-MQTT is installed (`make compat`'s oldest environment: it pins paho-mqtt<2);
elsewhere it is skipped, since installing it would downgrade paho for every other test.
"""

import importlib.util
import json

import pytest

from demo.octoprint_instance import OctoPrintServer, wait_for
from octoprint_failwatch.outcomes.alerts.paho_compat import new_client

from conftest import fast_settings

# found, not imported: OctoPrint-MQTT only imports inside a running OctoPrint
if importlib.util.find_spec("octoprint_mqtt") is None:
    pytest.skip("OctoPrint-MQTT is not installed here (see make compat)", allow_module_level=True)
pytestmark = pytest.mark.octoprint


@pytest.fixture
def with_octoprint_mqtt(tmp_path, camera, model, broker):
    settings = {**fast_settings(camera, model), "failure_action": "notify", "discord_webhook_url": ""}
    server = OctoPrintServer(
        tmp_path / "octoprint", settings, plugins_config={"mqtt": {"broker": {"url": "127.0.0.1", "port": broker.port}}}
    )
    server.prepare()
    server.start()
    yield server
    server.stop()


def test_alerts_go_through_octoprint_mqtt_and_one_confirmed_in_an_outage_arrives_once(
    with_octoprint_mqtt, camera, model, broker
):
    server = with_octoprint_mqtt
    received = []
    client = new_client("", "tcp")
    client.on_connect = lambda c, *args: c.subscribe([("octoprint/failwatch/#", 1), ("homeassistant/#", 1)])
    client.on_message = lambda c, u, message: received.append((message.topic, message.payload))
    client.reconnect_delay_set(1, 2)
    client.connect_async("127.0.0.1", broker.port)
    client.loop_start()
    try:
        instance = server.api("GET", "/api/settings").json()["plugins"]["failwatch"]["instance_id"]
        topic = f"octoprint/failwatch/{instance}"
        assert server.plugin_status()["alerts"]["mqtt"].startswith("publishing through the OctoPrint-MQTT plugin")
        config = wait_for(
            lambda: [
                p for t, p in received if t == f"homeassistant/binary_sensor/failwatch_{instance}/failure/config" and p
            ],
            30,
            "discovery through OctoPrint-MQTT",
        )[-1]
        assert json.loads(config)["availability_topic"] == "octoPrint/mqtt"  # its last will, not ours
        server.start_print()
        wait_for(
            lambda: [p for t, p in received if t == topic and json.loads(p)["state"] == "watching"],
            30,
            "the state through OctoPrint-MQTT",
        )
        broker.stop()
        camera.mode = "failed"
        server.wait_for_state("cooldown", timeout=60)  # confirmed while OctoPrint-MQTT has no broker
        broker.start()
        failures = wait_for(
            lambda: [p for t, p in received if t == topic and json.loads(p)["state"] == "failure"],
            90,
            "the failure alert after the broker came back",
        )
        assert json.loads(failures[0])["print_failed"] is True
        wait_for(
            lambda: len(received) > 0 and server.plugin_status()["alerts"]["mqtt"].startswith("publishing"),
            30,
            "OctoPrint-MQTT connected again",
        )
        assert len([p for t, p in received if t == topic and json.loads(p)["state"] == "failure"]) == 1  # once
    finally:
        camera.mode = "healthy"
        client.disconnect()
        client.loop_stop()
        if server.job_state().startswith(("Printing", "Paused")):
            server.cancel_print()
