"""Alert channels: where Failwatch tells people, each a small class behind one interface.

An `Alert` says what happened, in words and figures. A channel turns it into its own message (a
Discord embed, an MQTT status JSON) and delivers it without blocking the engine — Discord on a worker
thread, MQTT on paho's network loop — and ignores the kinds it has no use for. `make_channels` builds
the channels the settings ask for; a new channel is one module with one class.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional

from ..config import FailwatchConfig
from .alert import ACTION_WORDS, FAILURE, PROBLEM, STATUS, TEST, Alert, AlertChannel

__all__ = ["ACTION_WORDS", "FAILURE", "PROBLEM", "STATUS", "TEST", "Alert", "AlertChannel", "AlertChannels",
           "make_channels"]


class AlertChannels:
    """The configured channels as one: each alert goes to each; one failing channel never stops the others."""

    def __init__(self, channels: list[AlertChannel], logger: Optional[logging.Logger] = None):
        self._channels = channels
        self._logger = logger or logging.getLogger(__name__)

    def publish(self, alert: Alert) -> None:
        for channel in self._channels:
            try:
                channel.publish(alert)
            except Exception:
                self._logger.exception("Failwatch: the %s channel failed on a %s alert", channel.name, alert.kind)

    def send_test(self, alert: Alert) -> dict[str, tuple[bool, str]]:
        return {channel.name: channel.send_test(alert) for channel in self._channels}

    def status(self) -> dict[str, str]:
        return {"discord": "off", "mqtt": "off", **{channel.name: channel.status() for channel in self._channels}}

    def close(self) -> None:
        for channel in self._channels:
            channel.close()


def make_channels(config: FailwatchConfig, printer_name: str, logger: logging.Logger,
                  mqtt_helper: Optional[Callable[..., object]] = None) -> AlertChannels:
    """The channels the settings ask for; OctoPrint-MQTT's helper is used only without a broker of our own."""
    channels: list[AlertChannel] = []
    if config.discord_webhook_url:
        from .discord import DiscordChannel

        channels.append(DiscordChannel(config.discord_webhook_url, logger))
    if config.mqtt_broker_url:
        from .mqtt import MqttChannel

        channels.append(MqttChannel(config, printer_name, logger))
    elif mqtt_helper is not None:
        from .octoprint_mqtt import OctoPrintMqttChannel

        channels.append(OctoPrintMqttChannel(mqtt_helper, config.mqtt_topic, logger))
    return AlertChannels(channels, logger)
