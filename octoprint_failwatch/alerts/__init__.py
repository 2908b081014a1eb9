"""Alerts: turns the engine's events into Discord messages and MQTT publications.

One alert per incident: a confirmed failure is sent once; a camera problem or monitoring stopped
by errors is sent once when it starts and not again until it has cleared. Nothing here blocks the
engine: Discord has its own worker thread, MQTT its own network loop.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Callable, Optional

from ..config import FailwatchConfig
from .discord import GREEN, ORANGE, RED, DiscordMessage, DiscordNotifier
from .mqtt import MqttPublisher

ACTION_WORDS = {"paused": "Print paused", "cancelled": "Print cancelled", "notified": "Only notified"}


def _duration(seconds: Optional[float]) -> str:
    if not seconds:
        return ""
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Alerts:
    def __init__(self, config: FailwatchConfig, printer_name: str, snapshot: Callable[[], bytes],
                 job: Callable[[], dict], logger: Optional[logging.Logger] = None,
                 mqtt_helper: Optional[Callable[..., object]] = None):
        self._config = config
        self._printer_name = printer_name
        self._snapshot = snapshot
        self._job = job
        self._logger = logger or logging.getLogger(__name__)
        self._open_problems: set[str] = set()
        self.discord = DiscordNotifier(config.discord_webhook_url, self._logger) if config.discord_webhook_url else None
        self.mqtt = MqttPublisher(config, printer_name, self._logger).start() if config.mqtt_broker_url else None
        # OctoPrint-MQTT's helper, used only when no broker of our own is set
        self._mqtt_helper = mqtt_helper if not config.mqtt_broker_url else None

    def status(self) -> dict:
        if self.mqtt:
            mqtt_status = self.mqtt.status
        elif self._mqtt_helper:
            mqtt_status = "publishing through the OctoPrint-MQTT plugin"
        else:
            mqtt_status = "off"
        return {"discord": self.discord.status if self.discord else "off", "mqtt": mqtt_status}

    def close(self) -> None:
        if self.discord:
            self.discord.close()
        if self.mqtt:
            self.mqtt.stop()

    # ----- events -----

    def analysis(self, verdict: dict, state: str, cost: dict) -> None:
        """Seed S6: every analysis cycle publishes the status JSON."""
        self._open_problems.clear()  # a verdict means camera and model work again
        self._publish(self._payload(verdict, state, cost), alert=False)

    def failure(self, trigger: dict, positives: int, series: int, action: str, cost: dict,
                snapshot: Optional[Callable[[], bytes]] = None) -> None:
        """A confirmed failure: MQTT alert and one Discord message with `snapshot` (default: a fresh one)."""
        self._publish(self._payload(trigger, "failure", cost, action=action), alert=True)
        if not self.discord:
            return
        job = self._job()
        self.discord.send(DiscordMessage(
            title="⚠️ Print failure detected",
            description=f"{trigger['explanation']}\n\n**Please check the printer in person.**",
            colour=RED,
            fields=[
                ("Confidence", f"{trigger['confidence'] * 100:.0f}% ({positives} of {series} checks agreed)"),
                ("Failure type", trigger["failure_type"]),
                ("Printer", self._printer_name),
                ("File", job.get("file") or ""),
                ("Progress", f"{job['progress']:.0f}%" if job.get("progress") is not None else ""),
                ("Elapsed", _duration(job.get("elapsed"))),
                ("Action", ACTION_WORDS.get(action, action)),
            ],
            snapshot=snapshot or self._snapshot,
        ))

    def problem(self, kind: str, text: str) -> None:
        """'camera' or 'stopped': alerted once until it clears."""
        if kind in self._open_problems:
            return
        self._open_problems.add(kind)
        if self.discord:
            title = "📷 Camera problem" if kind == "camera" else "⏸️ Monitoring stopped by errors"
            self.discord.send(DiscordMessage(title=title, description=f"{text}\n\nThe print is not being watched "
                                             "until this clears; Failwatch never pauses a print for this.",
                                             colour=ORANGE, fields=[("Printer", self._printer_name)]))

    def cleared(self, kind: str) -> None:
        self._open_problems.discard(kind)

    def test_message(self) -> tuple[bool, str]:
        if not self.discord:
            return False, "no Discord webhook URL is set"
        return self.discord.send_now(DiscordMessage(
            title="✅ Failwatch test alert",
            description="Alerts from Failwatch will arrive here, with a fresh snapshot from the camera.",
            colour=GREEN, fields=[("Printer", self._printer_name)], snapshot=self._snapshot))

    # ----- MQTT payload -----

    def _payload(self, verdict: dict, state: str, cost: dict, action: Optional[str] = None) -> dict:
        job = self._job()
        payload = {
            "timestamp": datetime.now().astimezone().isoformat(),
            "print_failed": bool(verdict.get("print_failed")) if state != "failure" else True,
            "description": verdict.get("explanation", ""),
            "state": state,
            "confidence": verdict.get("confidence"),
            "failure_type": verdict.get("failure_type"),
            "printer": self._printer_name,
            "job": {"file": job.get("file"), "progress": job.get("progress"), "elapsed": job.get("elapsed")},
            "cost": cost,
        }
        if action:
            payload["action"] = action
        return payload

    def _publish(self, payload: dict, alert: bool) -> None:
        if self.mqtt:
            (self.mqtt.publish_alert if alert else self.mqtt.publish_status)(payload)
        elif self._mqtt_helper:
            topic = self._config.mqtt_topic or "failwatch"
            try:
                self._mqtt_helper(topic, json.dumps(payload), retained=True, qos=1 if alert else 0)
            except Exception as exc:
                self._logger.warning("Failwatch: publishing through OctoPrint-MQTT failed: %s", exc)
