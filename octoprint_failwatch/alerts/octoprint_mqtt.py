"""Publishing through the OctoPrint-MQTT plugin's helper, for users whose broker is set up there."""

from __future__ import annotations

import json
import logging
from typing import Callable

from .alert import FAILURE, STATUS, Alert
from .mqtt import status_payload

HELPER_TOPIC = "failwatch"


class OctoPrintMqttChannel:
    name = "mqtt"

    def __init__(self, publish: Callable[..., object], topic: str, logger: logging.Logger):
        self._publish = publish  # OctoPrint-MQTT's mqtt_publish(topic, payload, retained=..., qos=...)
        self._topic = topic or HELPER_TOPIC
        self._logger = logger

    def publish(self, alert: Alert) -> None:
        if alert.kind not in (STATUS, FAILURE):
            return
        try:
            self._publish(self._topic, json.dumps(status_payload(alert)), retained=True,
                          qos=1 if alert.kind == FAILURE else 0)
        except Exception as exc:
            self._logger.warning("Failwatch: publishing through OctoPrint-MQTT failed: %s", exc)

    def send_test(self, alert: Alert) -> tuple[bool, str]:
        return True, self.status()

    def status(self) -> str:
        return "publishing through the OctoPrint-MQTT plugin"

    def close(self) -> None:
        pass
