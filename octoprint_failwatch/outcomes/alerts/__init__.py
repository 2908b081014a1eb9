"""Alert channels: where Failwatch tells people, each a small class behind one interface.

An `Alert` says what happened, in words and figures. A channel turns it into its own message (a
Discord embed, a notification through Apprise, an MQTT status JSON) and delivers it without blocking
the engine — Discord and Apprise on worker threads, MQTT on paho's network loop — and ignores the
kinds it has no use for. `make_channels` builds the channels the settings ask for; a new channel is
one module with one class.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Optional

from ...config import FailwatchConfig
from .alert import ACTION_WORDS, BED, FAILURE, PROBLEM, STATUS, TEST, Alert, AlertChannel
from .mqtt_identity import Identity

__all__ = [
    "ACTION_WORDS",
    "BED",
    "FAILURE",
    "PROBLEM",
    "STATUS",
    "TEST",
    "Alert",
    "AlertChannel",
    "AlertChannels",
    "Identity",
    "make_channels",
]


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
        off = {"discord": "off", "notify": "off", "mqtt": "off"}
        return {**off, **{channel.name: channel.status() for channel in self._channels}}

    def close(self) -> None:
        for channel in self._channels:
            channel.close()


class UnavailableChannel:
    """A channel that could not be set up (a missing or incompatible library): says why, sends nothing, and keeps
    the rest of Failwatch — monitoring and pausing — working."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self._reason = reason

    def publish(self, alert: Alert) -> None:
        pass

    def send_test(self, alert: Alert) -> tuple[bool, str]:
        return False, self._reason

    def status(self) -> str:
        return self._reason

    def close(self) -> None:
        pass


def make_channels(
    config: FailwatchConfig,
    identity: Identity,
    logger: logging.Logger,
    octoprint_mqtt: Optional[dict] = None,
    record: Optional[Path] = None,
    commands: Optional[Callable[[str], tuple[bool, str]]] = None,
) -> AlertChannels:
    """The channels the settings ask for. `octoprint_mqtt`: OctoPrint-MQTT's helpers and its last will, used only
    without a broker of our own; `record`: where the retained MQTT topics published last are kept; `commands`:
    what runs Home Assistant's buttons (on our own broker connection, when `mqtt_ha_controls` is on)."""
    channels: list[AlertChannel] = []
    if config.discord_webhook_url:
        channels.append(_channel("discord", logger, lambda: _discord(config, logger)))
    if config.notify_urls:
        channels.append(_channel("notify", logger, lambda: _notify(config, logger)))
    if config.mqtt_broker_url:
        channels.append(_channel("mqtt", logger, lambda: _mqtt(config, identity, logger, record, commands)))
    elif octoprint_mqtt:
        channels.append(_channel("mqtt", logger, lambda: _octoprint_mqtt(octoprint_mqtt, config, identity, logger)))
    return AlertChannels(channels, logger)


def _channel(name: str, logger: logging.Logger, make: Callable[[], AlertChannel]) -> AlertChannel:
    try:
        return make()
    except Exception as exc:  # an optional part must never take monitoring down with it
        logger.exception("Failwatch: the %s channel could not be set up", name)
        return UnavailableChannel(name, f"unavailable: {type(exc).__name__}: {exc}")


def _discord(config: FailwatchConfig, logger: logging.Logger) -> AlertChannel:
    from .discord import DiscordChannel

    return DiscordChannel(config.discord_webhook_url, logger)


def _notify(config: FailwatchConfig, logger: logging.Logger) -> AlertChannel:
    from ...config import split_urls
    from .notify import NotifyChannel

    return NotifyChannel(split_urls(config.notify_urls), logger)


def _mqtt(
    config: FailwatchConfig, identity: Identity, logger: logging.Logger, record: Optional[Path], commands
) -> AlertChannel:
    from .mqtt import MqttChannel

    return MqttChannel(config, identity, logger, record, commands)


def _octoprint_mqtt(helpers: dict, config: FailwatchConfig, identity: Identity, logger: logging.Logger) -> AlertChannel:
    from .octoprint_mqtt import OctoPrintMqttChannel

    return OctoPrintMqttChannel(helpers, identity, helpers.get("availability"), config.mqtt_ha_discovery, logger)
