"""Several printers on one broker: each OctoPrint is its own Home Assistant device, whatever it is called."""

import json
import threading

import pytest

from demo.octoprint_instance import OctoPrintServer, wait_for
from octoprint_failwatch.alerts.paho_compat import new_client

from conftest import fast_settings

pytestmark = pytest.mark.octoprint


class Retained:
    """What the broker keeps, by topic: the newest message of each (an empty one clears it)."""

    def __init__(self, port: int):
        self.topics: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.client = new_client("", "tcp")
        self.client.on_connect = lambda c, *args: c.subscribe([("octoprint/failwatch/#", 1), ("homeassistant/#", 1)])
        self.client.on_message = self._on_message
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self._lock:
            self.topics[message.topic] = message.payload

    def devices(self) -> dict[str, str]:
        """Node id -> device name, from the live discovery configs."""
        with self._lock:
            configs = {t: p for t, p in self.topics.items() if t.startswith("homeassistant/") and p}
        return {json.loads(p)["device"]["identifiers"][0]: json.loads(p)["device"]["name"] for p in configs.values()}

    def state(self, instance: str) -> str:
        with self._lock:
            payload = self.topics.get(f"octoprint/failwatch/{instance}")
        return json.loads(payload)["state"] if payload else ""

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def second_octoprint(tmp_path, camera, model, broker):
    server = OctoPrintServer(tmp_path / "second", {**fast_settings(camera, model), "mqtt_broker_url": broker.url})
    server.prepare()
    server.start()
    yield server
    server.stop()


def test_two_printers_with_the_same_empty_name_are_two_devices_whose_states_never_mix(octoprint, second_octoprint,
                                                                                       broker):
    retained = Retained(broker.port)
    first = octoprint
    try:
        for server in (first, second_octoprint):
            server.api("POST", "/api/settings", json={"appearance": {"name": ""}}).raise_for_status()
        first.save_settings({"mqtt_broker_url": broker.url})
        ids = [server.api("GET", "/api/settings").json()["plugins"]["failwatch"]["instance_id"]
               for server in (first, second_octoprint)]
        assert ids[0] != ids[1]
        devices = wait_for(lambda: (d := retained.devices()) and all(f"failwatch_{i}" in d for i in ids) and d, 30,
                           "two devices")
        assert {devices[f"failwatch_{i}"] for i in ids} == {f"Failwatch {i}" for i in ids}
        first.start_print()
        wait_for(lambda: retained.state(ids[0]) == "watching", 30, "the first printer watching")
        assert retained.state(ids[1]) == "idle"  # the second printer's state is its own
        first.cancel_print()
        wait_for(lambda: retained.state(ids[0]) == "idle", 30, "idle published when the print ends")

        first.api("POST", "/api/settings", json={"appearance": {"name": "Printer 1"}}).raise_for_status()
        wait_for(lambda: retained.devices().get(f"failwatch_{ids[0]}") == "Failwatch Printer 1", 30, "the rename")
        assert len([node for node in retained.devices() if node in {f"failwatch_{i}" for i in ids}]) == 2
    finally:
        retained.close()
        first.save_settings({"mqtt_broker_url": ""})
        first.api("POST", "/api/settings", json={"appearance": {"name": ""}})
