"""What Failwatch says on MQTT and under which names: the status JSON, this instance's topics, and its
Home Assistant device.

Each OctoPrint instance has its own id (generated once, kept in its settings), never its display name:
two printers with the same or an empty name, or a renamed printer, stay one device each. The default
topic carries the id, so instances sharing a broker never overwrite each other's state. Under that
topic: `/availability`, `/snapshot` (the last failure's or bed check's JPEG), `/command` and `/command/result` (Home
Assistant's buttons, when turned on), `/test`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from .alert import BED, FAILURE, Alert

TOPIC_ROOT = "octoprint/failwatch"  # default topic: TOPIC_ROOT/<instance id>
HA_PREFIX = "homeassistant"
ENTITIES = {  # (component, object id): what Home Assistant shows
    # a failure Failwatch confirmed (on from the alert through its cooldown): what an automation may wake a user for
    ("binary_sensor", "failure"): {
        "name": "Print failure",
        "device_class": "problem",
        "value_template": "{{ 'ON' if value_json.failure_confirmed else 'OFF' }}",
    },
    # what the newest look said, before verification: on for an alarm that may still be rejected
    ("binary_sensor", "look_failed"): {
        "name": "Last look says failed",
        "entity_category": "diagnostic",
        "value_template": "{{ 'ON' if value_json.print_failed else 'OFF' }}",
    },
    ("sensor", "state"): {"name": "Monitoring state", "value_template": "{{ value_json.state }}"},
    ("sensor", "confidence"): {
        "name": "Failure likelihood",
        "unit_of_measurement": "%",
        "state_class": "measurement",
        "value_template": "{{ ((value_json.confidence or 0) * 100) | round(0) }}",
    },
    ("sensor", "last_check"): {
        "name": "Last check",
        "device_class": "timestamp",
        "value_template": "{{ value_json.timestamp }}",
    },
}
COMMANDS = {  # Home Assistant buttons (when controls are on): payload -> button name
    "acknowledge": "Acknowledge",
    "not_a_failure": "Not a failure",
    "snooze": "Snooze 30 min",
    "resume_watching": "Resume watching",
    "pause_print": "Pause print",
    "resume_print": "Resume print",
    "print_anyway": "Print anyway",
}


def status_payload(alert: Alert, failure_shown: bool = False) -> dict:
    """The standalone tool's JSON (timestamp, print_failed, description) and what Failwatch adds to it.
    `failure_shown`: this channel has published the failure whose cooldown runs (its status says so until the
    cooldown ends; the cooldown's first status comes just before the failure, whose picture goes first)."""
    verdict, job, failure = alert.verdict or {}, alert.job, alert.kind == FAILURE
    payload = {
        "timestamp": datetime.fromtimestamp(alert.time).astimezone().isoformat(),
        "print_failed": True if failure else bool(verdict.get("print_failed")),
        "description": verdict.get("explanation", alert.text),
        "state": "failure" if failure else alert.state,
        # a failure verification confirmed, still in force (its cooldown); print_failed is the newest look's word
        "failure_confirmed": failure or (failure_shown and alert.state == "cooldown"),
        "confidence": verdict.get("confidence"),
        "failure_type": verdict.get("failure_type"),
        "printer": alert.printer,
        "job": {"file": job.get("file"), "progress": job.get("progress"), "elapsed": job.get("elapsed")},
        "cost": alert.cost,
    }
    if failure:
        payload["action"] = alert.action
    if alert.kind == BED:  # not a print failure: a bed that was not clear as the print started
        payload.update(state="bed_not_clear", description=alert.text, bed_check={"plate": "objects"})
        payload["action"] = alert.action
    if alert.test_run:
        payload["test"] = True
    return payload


class FailureInForce:
    """Whether a channel has published the confirmed failure whose cooldown runs: its statuses say
    `failure_confirmed` from that publication until the cooldown ends (the cooldown's first status comes just
    before the failure; a channel that sends the failure's picture first publishes the failure after it)."""

    def __init__(self):
        self._shown = False

    def failure(self, alert: Alert) -> bool:
        self._shown = not alert.test_run  # a test starts no cooldown
        return self._shown

    def status(self, alert: Alert) -> bool:
        self._shown = self._shown and alert.state == "cooldown"
        return self._shown


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("OctoPrint-Failwatch")
    except Exception:  # running from a source tree that is not installed
        return "unknown"


@dataclass(frozen=True)
class Identity:
    instance_id: str
    printer_name: str  # the display name as set; may be empty
    topic: str  # where the status JSON goes

    @classmethod
    def of(cls, instance_id: str, printer_name: str, topic: str = "") -> Identity:
        return cls(instance_id, printer_name, topic or f"{TOPIC_ROOT}/{instance_id}")

    @property
    def node(self) -> str:
        return f"failwatch_{self.instance_id}"

    @property
    def availability(self) -> str:
        return f"{self.topic}/availability"

    @property
    def command_topic(self) -> str:
        return f"{self.topic}/command"

    @property
    def snapshot_topic(self) -> str:
        return f"{self.topic}/snapshot"

    @property
    def device_name(self) -> str:
        named = re.search(r"\w", self.printer_name or "")  # an empty or emoji-only name says nothing
        return f"Failwatch {self.printer_name.strip()}" if named else f"Failwatch {self.instance_id}"

    def discovery_configs(
        self, availability: Optional[dict] = None, image: bool = False, controls: bool = False
    ) -> dict[str, dict]:
        """Retained configs by their topic: one device per instance; with `image`, the failure snapshot as an
        image entity; with `controls`, a button per command. `availability` replaces our own availability
        topic (OctoPrint-MQTT's last will, when publishing through it)."""
        device = {
            "identifiers": [self.node],
            "name": self.device_name,
            "manufacturer": "Failwatch",
            "model": "OctoPrint-Failwatch",
            "sw_version": _version(),
        }
        origin = {
            "name": "OctoPrint-Failwatch",
            "sw": _version(),
            "url": "https://github.com/failwatch/OctoPrint-Failwatch",
        }
        common = {"device": device, "origin": origin, **(availability or {"availability_topic": self.availability})}
        entities = {key: {"state_topic": self.topic, **entity} for key, entity in ENTITIES.items()}
        if image:
            entities["image", "snapshot"] = {
                "name": "Alert snapshot",
                "image_topic": self.snapshot_topic,
                "content_type": "image/jpeg",
            }
        if controls:
            entities.update(
                {
                    ("button", command): {"name": name, "command_topic": self.command_topic, "payload_press": command}
                    for command, name in COMMANDS.items()
                }
            )
        return {
            f"{HA_PREFIX}/{component}/{self.node}/{name}/config": {
                **common,
                **entity,
                "unique_id": f"{self.node}_{name}",
            }
            for (component, name), entity in entities.items()
        }


def legacy_topics(printer_name: str) -> list[str]:
    """What versions before per-instance ids published retained: configs under a node named after the printer,
    and the shared default topic."""
    node = "failwatch_" + (re.sub(r"[^a-z0-9_]+", "_", printer_name.lower()).strip("_") or "octoprint")
    return [f"{HA_PREFIX}/{component}/{node}/{name}/config" for component, name in ENTITIES] + [
        TOPIC_ROOT,
        f"{TOPIC_ROOT}/availability",
    ]


class RetainedRecord:
    """The retained topics this instance published last, kept on disk: those it no longer publishes (a topic
    changed, discovery turned off) are cleared, so Home Assistant shows no ghost device."""

    def __init__(self, path: Optional[Path], identity: Identity):
        self._path = path  # None (the daemon): nothing kept; discovery configs are cleared when it is off
        self._identity = identity

    def stale(self, current: list[str]) -> list[str]:
        previous = self._load()
        return sorted(set(previous) - set(current))

    def save(self, current: list[str]) -> None:
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.write_text(json.dumps(sorted(current)))

    def _load(self) -> list[str]:
        if self._path is None:
            return list(self._identity.discovery_configs())
        try:
            return [str(topic) for topic in json.loads(self._path.read_text())]
        except FileNotFoundError:  # first run of this version: what older versions left behind
            return legacy_topics(self._identity.printer_name)
        except (OSError, ValueError, TypeError):
            return []
