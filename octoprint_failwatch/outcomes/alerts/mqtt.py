"""Failwatch's own MQTT connection: the status JSON at every analysis and state change, failure alerts, the
failure snapshot, Home Assistant discovery and, when turned on, Home Assistant's buttons — with paho-mqtt
1.6 or 2.x.

`connect_async` + `loop_start` reconnect by themselves. While the broker is away, messages wait in
our own bounded queue (the latest status, and every failure alert) and go out on reconnect, so a
failure alert is never lost to a broker restart. The availability topic carries a retained
"online" and a last will "offline". Discovery configs are retained and re-sent whenever Home
Assistant announces `homeassistant/status online`; retained topics this instance no longer uses
(discovery off, another topic, an older version's names) are cleared on connect.

Commands (`<topic>/command`, only with `mqtt_ha_controls` on) run on a thread of their own, never on
paho's network loop, and are answered on `<topic>/command/result`. A retained command is never run:
it would run again at every reconnect, long after whoever sent it meant it.
"""

from __future__ import annotations

import json
import logging
import ssl
import sys
import threading
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from ...config import FailwatchConfig
from ...redaction import mask_url
from .alert import BED, FAILURE, STATUS, Alert
from .mqtt_identity import HA_PREFIX, FailureInForce, Identity, RetainedRecord, status_payload
from .paho_compat import new_client, on_connect, on_disconnect

ALERT_QUEUE_LIMIT = 100
Commands = Callable[[str], "tuple[bool, str]"]  # runs a command (payload) and says what it did
PORTS = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ws": 80, "wss": 443}


class MqttPublisher:
    def __init__(
        self,
        config: FailwatchConfig,
        identity: Identity,
        logger: Optional[logging.Logger] = None,
        record: Optional[Path] = None,
        commands: Optional[Commands] = None,
    ):
        self._config = config
        self._commands = commands if config.mqtt_ha_controls else None
        self._logger = logger or logging.getLogger(__name__)
        self._identity = identity
        self.topic = identity.topic
        self._availability = identity.availability
        self._record = RetainedRecord(record, identity)
        self._where = mask_url(config.mqtt_broker_url)
        self._lock = threading.Lock()  # guards the queue and the connection state
        self._pending_status: Optional[str] = None
        self._pending_alerts: deque[str] = deque(maxlen=ALERT_QUEUE_LIMIT)
        self._pending_snapshot: Optional[bytes] = None
        self._connected = False
        self.status = f"connecting to {self._where}"
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        config = self._config
        parts = urlsplit(config.mqtt_broker_url)
        websockets = parts.scheme in ("ws", "wss")
        client = new_client(config.mqtt_client_id or "", "websockets" if websockets else "tcp")
        if websockets:
            client.ws_set_options(path=parts.path or "/mqtt")
        if parts.scheme in ("mqtts", "wss"):
            client.tls_set(ca_certs=config.mqtt_ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
        username = config.mqtt_username or parts.username
        if username:
            client.username_pw_set(username, config.mqtt_password or parts.password)
        client.will_set(self._availability, "offline", qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = on_connect(self._on_connect)
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = on_disconnect(self._on_disconnect)
        client.on_message = self._on_message
        self._host, self._port = parts.hostname, parts.port or PORTS.get(parts.scheme, 1883)
        return client

    def start(self) -> MqttPublisher:
        try:
            self._client.connect_async(self._host or "localhost", self._port, keepalive=30)
            self._client.loop_start()
        except (OSError, ValueError) as exc:
            self._set_status(f"cannot connect to {self._where}: {exc}")
        return self

    def stop(self) -> None:
        if self._connected:
            self._client.publish(self._availability, "offline", qos=1, retain=True)
        self._client.disconnect()
        self._client.loop_stop()

    # ----- publishing -----

    def publish_status(self, payload: dict) -> None:
        """Every analysis cycle; while offline only the newest status is kept."""
        self._send(json.dumps(payload), alert=False)

    def publish_alert(self, payload: dict) -> None:
        """A confirmed failure: QoS 1, queued while offline, none dropped below the queue limit."""
        self._send(json.dumps(payload), alert=True)

    def publish_test(self, payload: dict, timeout: float = 5.0) -> tuple[bool, str]:
        """Publishes to `<topic>/test` (QoS 1, not retained) and waits for the broker's acknowledgement."""
        topic = f"{self.topic}/test"
        if not self._connected:  # not queued: a test that arrives later would test nothing
            return False, f"test message not published: {self.status}"
        info = self._client.publish(topic, json.dumps(payload), qos=1, retain=False)
        try:
            info.wait_for_publish(timeout)
            published = info.is_published()
        except (RuntimeError, ValueError):  # the connection dropped meanwhile
            published = False
        if published:
            return True, f"test message published to {topic}"
        return False, f"test message not published: {self.status}"

    def publish_snapshot(self, jpeg: bytes) -> None:
        """The picture of a confirmed failure, retained, for Home Assistant's image entity; the newest waits
        for a reconnect."""
        with self._lock:
            if not self._connected:
                self._pending_snapshot = jpeg
                return
        self._client.publish(self._identity.snapshot_topic, jpeg, qos=1, retain=True)

    def _send(self, text: str, alert: bool) -> None:
        with self._lock:
            if not self._connected:
                if alert:
                    self._pending_alerts.append(text)
                else:
                    self._pending_status = text
                return
        self._publish(text, alert)

    def _publish(self, text: str, alert: bool) -> None:
        qos = 1 if alert else self._config.mqtt_qos
        info = self._client.publish(self.topic, text, qos=qos, retain=self._config.mqtt_retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            with self._lock:  # the connection dropped between the check and the publish: keep it
                if alert:
                    self._pending_alerts.append(text)
                else:
                    self._pending_status = text

    def _flush(self) -> None:
        with self._lock:
            alerts, self._pending_alerts = list(self._pending_alerts), deque(maxlen=ALERT_QUEUE_LIMIT)
            status, self._pending_status = self._pending_status, None
            snapshot, self._pending_snapshot = self._pending_snapshot, None
        if snapshot is not None:
            self._client.publish(self._identity.snapshot_topic, snapshot, qos=1, retain=True)
        for text in alerts:
            self._publish(text, alert=True)
        if status is not None:
            self._publish(status, alert=False)

    # ----- discovery -----

    def _discovery(self) -> dict[str, dict]:
        if not self._config.mqtt_ha_discovery:
            return {}
        return self._identity.discovery_configs(image=True, controls=self._commands is not None)

    def _send_discovery(self) -> None:
        for topic, config in self._discovery().items():
            self._client.publish(topic, json.dumps(config), qos=1, retain=True)

    def _clear_stale(self) -> None:
        current = [self.topic, self._availability, self._identity.snapshot_topic, *self._discovery()]
        for topic in self._record.stale(current):
            self._client.publish(topic, "", qos=1, retain=True)  # an empty retained message removes it
        self._record.save(current)

    # ----- paho callbacks (paho's network thread) -----

    def _set_status(self, text: str, level: int = logging.WARNING) -> None:
        if text != self.status:  # a broker that keeps refusing is logged once, not at every retry
            self._logger.log(level, "Failwatch MQTT: %s", text)
        self.status = text

    def _on_connect(self, client, refused: bool, reason: str) -> None:
        if refused:
            self._set_status(f"broker at {self._where} refused the connection: {reason}")
            return
        with self._lock:
            self._connected = True
        self._set_status(f"connected to {self._where}", logging.INFO)
        client.publish(self._availability, "online", qos=1, retain=True)
        client.subscribe(f"{HA_PREFIX}/status", qos=1)
        if self._commands is not None:
            client.subscribe(self._identity.command_topic, qos=1)
        self._clear_stale()
        self._send_discovery()
        self._flush()

    def _on_connect_fail(self, client, userdata) -> None:
        # paho calls this from inside its `except OSError:` around the connect: the error is the one in flight
        error = sys.exc_info()[1]
        if isinstance(error, ssl.SSLCertVerificationError):
            reason = f"its TLS certificate is not trusted ({error.verify_message}): check the CA file"
        elif isinstance(error, ssl.SSLError):
            reason = f"TLS failed ({error.reason or error}): is it a TLS port?"
        elif isinstance(error, ConnectionRefusedError):
            reason = "connection refused: is the broker running, is the port right?"
        else:
            reason = str(error) if error else "unknown error"
        self._set_status(f"cannot connect to {self._where}: {reason}; retrying")

    def _on_disconnect(self, client, unexpected: bool, reason: str) -> None:
        with self._lock:
            was_connected, self._connected = self._connected, False
        if was_connected and unexpected:  # after a refusal the refusal stays the status
            self._set_status(f"disconnected from {self._where} ({reason}), reconnecting")

    def _on_message(self, client, userdata, message) -> None:
        if message.topic == f"{HA_PREFIX}/status" and message.payload == b"online":
            self._send_discovery()
        elif message.topic == self._identity.command_topic and self._commands is not None:
            command = message.payload.decode("utf-8", "replace").strip()[:40]
            if message.retain:
                self._logger.warning(
                    "Failwatch MQTT: ignored the retained command %r on %s (a command is run only "
                    "when it is sent, never from the broker's memory)",
                    command,
                    message.topic,
                )
                self._answer(command, False, "ignored: a retained command is never run")
                return
            threading.Thread(
                target=self._run_command, args=(command,), name="failwatch-mqtt-command", daemon=True
            ).start()

    # ----- commands (a thread each) -----

    def _run_command(self, command: str) -> None:
        try:
            if self._commands is None:  # controls turned off since the command came
                return
            ok, text = self._commands(command)
        except Exception as exc:  # a command that fails says so; it never takes the connection down
            self._logger.exception("Failwatch MQTT: command %r failed", command)
            ok, text = False, f"failed: {type(exc).__name__}"
        self._answer(command, ok, text)

    def _answer(self, command: str, ok: bool, text: str) -> None:
        answer = {"command": command, "ok": ok, "message": text, "timestamp": datetime.now(timezone.utc).isoformat()}
        self._client.publish(f"{self._identity.command_topic}/result", json.dumps(answer), qos=1, retain=False)


class MqttChannel:
    """The status JSON at every analysis and state change, and failure alerts, on our own broker connection."""

    name = "mqtt"

    def __init__(
        self,
        config: FailwatchConfig,
        identity: Identity,
        logger: Optional[logging.Logger] = None,
        record: Optional[Path] = None,
        commands: Optional[Commands] = None,
    ):
        self._logger = logger or logging.getLogger(__name__)
        self._publisher = MqttPublisher(config, identity, self._logger, record, commands).start()
        self._in_force = FailureInForce()  # published after the failure's picture
        self._lock = threading.Lock()  # guards the two fields below: the caller's thread and the picture's meet here
        self._taking_picture = False  # a failure waits for its picture: statuses after it wait too
        self._held_status: Optional[Alert] = None  # the newest of them

    def publish(self, alert: Alert) -> None:
        if alert.kind == STATUS:
            with self._lock:
                if self._taking_picture:  # the retained state must not end older than the failure before it
                    self._held_status = alert
                    return
            self._publish_status(alert)
        elif alert.kind == FAILURE and (alert.snapshot is None or alert.test_run):
            self._in_force.failure(alert)
            self._publisher.publish_alert(status_payload(alert))
        elif alert.kind == BED:  # the bed check's picture is in hand already
            if alert.snapshot is not None:
                self._publisher.publish_snapshot(alert.snapshot())
            self._publisher.publish_alert(status_payload(alert))
        elif alert.kind == FAILURE:  # the picture may take a camera's time: taken off the caller's thread
            with self._lock:
                self._taking_picture = True
            threading.Thread(
                target=self._publish_failure, args=(alert,), name="failwatch-mqtt-image", daemon=True
            ).start()

    def _publish_status(self, alert: Alert) -> None:
        self._publisher.publish_status(status_payload(alert, self._in_force.status(alert)))

    def _publish_failure(self, alert: Alert) -> None:
        """The picture first, then the alert: an automation triggered by the failure finds this failure's
        picture on the image entity, not the previous one's."""
        try:
            if alert.snapshot is not None:
                self._publisher.publish_snapshot(alert.snapshot())
        except Exception as exc:  # no picture is no reason to fail the alert
            self._logger.warning("Failwatch MQTT: no failure snapshot for Home Assistant: %s", exc)
        self._in_force.failure(alert)
        self._publisher.publish_alert(status_payload(alert))
        with self._lock:
            held, self._held_status, self._taking_picture = self._held_status, None, False
        if held is not None:
            self._publish_status(held)

    def send_test(self, alert: Alert) -> tuple[bool, str]:
        return self._publisher.publish_test({**status_payload(alert), "test": True})

    def status(self) -> str:
        return self._publisher.status

    def close(self) -> None:
        self._publisher.stop()
