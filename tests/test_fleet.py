"""Several printers on one broker: each OctoPrint is its own Home Assistant device, whatever it is called."""

import json

import pytest
from mqtt_subscriber import Subscriber

from demo.octoprint_instance import OctoPrintServer, wait_for

from conftest import fast_settings

pytestmark = pytest.mark.octoprint


class Retained(Subscriber):
    """The broker's retained state of Failwatch topics and Home Assistant configs, with what they mean."""

    def __init__(self, port: int):
        super().__init__(port, "#")

    def devices(self) -> dict[str, str]:
        """Node id -> device name, from the live discovery configs."""
        configs = [p for t, p in self.latest().items() if t.startswith("homeassistant/") and p]
        return {json.loads(p)["device"]["identifiers"][0]: json.loads(p)["device"]["name"] for p in configs}

    def state(self, instance: str) -> str:
        payload = self.latest().get(f"octoprint/failwatch/{instance}")
        return json.loads(payload)["state"] if payload else ""


@pytest.fixture
def second_octoprint(tmp_path, camera, model, broker):
    server = OctoPrintServer(tmp_path / "second", {**fast_settings(camera, model), "mqtt_broker_url": broker.url})
    server.prepare()
    server.start()
    yield server
    server.stop()


def test_two_printers_with_the_same_empty_name_are_two_devices_whose_states_never_mix(
    octoprint, second_octoprint, broker
):
    retained = Retained(broker.port)
    first = octoprint
    try:
        for server in (first, second_octoprint):
            server.api("POST", "/api/settings", json={"appearance": {"name": ""}}).raise_for_status()
        first.save_settings({"mqtt_broker_url": broker.url})
        ids = [
            server.api("GET", "/api/settings").json()["plugins"]["failwatch"]["instance_id"]
            for server in (first, second_octoprint)
        ]
        assert ids[0] != ids[1]
        devices = wait_for(
            lambda: (d := retained.devices()) and all(f"failwatch_{i}" in d for i in ids) and d, 30, "two devices"
        )
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
