"""Publishing through the OctoPrint-MQTT plugin's helpers, for users whose broker is set up there.

The same topic, status JSON and Home Assistant device as Failwatch's own connection. What this path
cannot do like our own connection, and how it makes up for it:
- no last will of our own: Home Assistant's availability follows OctoPrint-MQTT's own last will;
- OctoPrint-MQTT queues only what is asked to be queued, and sends its whole queue on reconnect: failure
  alerts, state changes and discovery are queued (each arrives once, the last state last); the status of
  each analysis is not (hundreds would arrive at once after a long outage), the next one replaces it.
"""

from __future__ import annotations

import json
import logging
from typing import Callable, Optional

from .alert import FAILURE, STATUS, Alert
from .mqtt_identity import HA_PREFIX, FailureInForce, Identity, status_payload


class OctoPrintMqttChannel:
    name = "mqtt"

    def __init__(
        self, helpers: dict, identity: Identity, availability: Optional[dict], discovery: bool, logger: logging.Logger
    ):
        self._publish: Callable[..., bool] = helpers["mqtt_publish"]  # (topic, payload, retained, qos, queueing)
        self._identity = identity
        self._availability = availability  # OctoPrint-MQTT's last will, for Home Assistant
        self._discovery = discovery
        self._in_force = FailureInForce()
        self._logger = logger
        self._status = "publishing through the OctoPrint-MQTT plugin"
        self._send_discovery()
        subscribe = helpers.get("mqtt_subscribe")
        if subscribe is not None:  # Home Assistant restarted: it needs the configs again
            subscribe(f"{HA_PREFIX}/status", self._on_home_assistant)

    def publish(self, alert: Alert) -> None:
        if alert.kind not in (STATUS, FAILURE):
            return
        failure = alert.kind == FAILURE
        shown = self._in_force.failure(alert) if failure else self._in_force.status(alert)
        try:
            sent = self._publish(
                self._identity.topic,
                json.dumps(status_payload(alert, shown)),
                retained=True,
                qos=1 if failure else 0,
                allow_queueing=failure or alert.changed_state,
            )
            self._status = (
                "publishing through the OctoPrint-MQTT plugin"
                if sent
                else ("OctoPrint-MQTT is not connected: failure alerts and state changes are queued")
            )
        except Exception as exc:
            self._status = f"publishing through OctoPrint-MQTT failed: {exc}"
            self._logger.warning("Failwatch: %s", self._status)

    def _send_discovery(self) -> None:
        if not self._discovery:
            return
        for topic, config in self._identity.discovery_configs(self._availability).items():
            self._publish(topic, json.dumps(config), retained=True, qos=1, allow_queueing=True)

    def _on_home_assistant(self, topic, payload, *args, **kwargs) -> None:
        if payload in (b"online", "online"):
            self._send_discovery()

    def send_test(self, alert: Alert) -> tuple[bool, str]:
        sent = self._publish(
            f"{self._identity.topic}/test",
            json.dumps({**status_payload(alert), "test": True}),
            retained=False,
            qos=1,
            allow_queueing=False,
        )
        return (
            (True, f"test message handed to OctoPrint-MQTT for {self._identity.topic}/test")
            if sent
            else (False, "OctoPrint-MQTT is not connected to its broker")
        )

    def status(self) -> str:
        return self._status

    def close(self) -> None:
        pass


def octoprint_mqtt_helpers(plugin_manager, settings) -> Optional[dict]:
    """OctoPrint-MQTT's helpers, and its last will for Home Assistant's availability, if it is installed."""
    helpers = plugin_manager.get_helpers("mqtt", "mqtt_publish", "mqtt_subscribe")
    if not helpers:
        return None
    publish = settings.global_get(["plugins", "mqtt", "publish"]) or {}
    will = (publish.get("baseTopic") or "octoPrint/") + (publish.get("lwTopic") or "mqtt")
    return {
        **helpers,
        "availability": {
            "availability_topic": will,
            "payload_available": "connected",
            "payload_not_available": "disconnected",
        },
    }
