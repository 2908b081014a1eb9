"""A test's MQTT consumer: a paho client that records every message (topic, payload, retained flag)."""

from __future__ import annotations

import threading

from octoprint_failwatch.outcomes.alerts.paho_compat import new_client


class Subscriber:
    """A paho client that records what arrives, reconnecting by itself like a real consumer."""

    def __init__(self, url_port: int, topics: str):
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = new_client("", "tcp")
        self.client.on_connect = lambda c, *args: c.subscribe(topics, qos=1)
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async("127.0.0.1", url_port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self._lock:
            self.messages.append((message.topic, message.payload, message.retain))

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def latest(self) -> dict[str, bytes]:
        """What the broker keeps, as seen from here: the newest message of each topic (empty: cleared)."""
        with self._lock:
            return {topic: payload for topic, payload, _ in self.messages}

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
