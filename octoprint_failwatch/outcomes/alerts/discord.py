"""Discord webhook alerts on a delivery worker of their own (`delivery.py`), so a slow or failing webhook
never holds up monitoring: a confirmed failure with a snapshot taken at alert time, camera problems,
monitoring stopped.

A message is multipart: `payload_json` with an embed whose image is `attachment://snapshot.jpg`,
and the snapshot as `files[0]`, posted with `?wait=true`. 429 answers are honoured (`retry_after`),
5xx and network errors retried with backoff; a failure alert keeps being retried for a while so a
Discord outage does not lose it, and each message is sent once (no duplicates on retry success).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import requests

from ...redaction import mask_webhook
from .alert import Alert
from .delivery import PERMANENT, DeliveryWorker
from .wording import Wording, wording

MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # under Discord's smallest attachment limit
RED, ORANGE, GREEN = 0xB71C1C, 0xE65100, 0x2E7D32


@dataclass
class DiscordMessage:
    title: str
    description: str
    colour: int
    fields: list[tuple[str, str]] = field(default_factory=list)
    content: str = ""
    snapshot: Optional[Callable[[], Optional[bytes]]] = None  # called at send time: a fresh picture

    def payload(self, with_image: bool) -> dict:
        embed = {
            "title": self.title[:256],
            "description": self.description[:4000],
            "color": self.colour,
            "fields": [{"name": n[:256], "value": (v or "–")[:1024], "inline": True} for n, v in self.fields[:25]],
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        body = {"content": self.content[:2000], "embeds": [embed], "allowed_mentions": {"parse": []}}
        if with_image:
            embed["image"] = {"url": "attachment://snapshot.jpg"}
            body["attachments"] = [{"id": 0, "filename": "snapshot.jpg"}]
        return body


class DiscordNotifier:
    def __init__(
        self, webhook_url: str, logger: Optional[logging.Logger] = None, sleep=time.sleep, clock=time.monotonic
    ):
        self._url = webhook_url
        self._where = mask_webhook(webhook_url)
        self._logger = logger or logging.getLogger(__name__)
        self._session = requests.Session()
        self.status = "ready"
        self._worker = DeliveryWorker("discord", self._post, self._gave_up, self._logger, sleep, clock)

    def send(self, message: DiscordMessage) -> None:
        self._worker.send(message, message.title)

    def send_now(self, message: DiscordMessage) -> tuple[bool, str]:
        """For the 'Send test alert' button: one attempt, answered directly with the outcome in words."""
        delivered, _ = self._post(message)
        return delivered, self.status

    def close(self) -> None:
        self._worker.close()

    def _gave_up(self, message: DiscordMessage) -> None:
        self._logger.warning("Failwatch Discord: gave up on '%s': %s", message.title, self.status)

    def _post(self, message: DiscordMessage) -> tuple[bool, str]:
        """One attempt. Returns (delivered, how long to wait: seconds, '' for backoff, or 'permanent')."""
        snapshot = None
        if message.snapshot is not None:
            try:
                snapshot = message.snapshot()
            except Exception as exc:  # no picture is no reason to lose the alert
                self._logger.warning("Failwatch Discord: no snapshot for the alert: %s", exc)
        if snapshot is not None and len(snapshot) > MAX_UPLOAD_BYTES:
            snapshot = None
        body = message.payload(with_image=snapshot is not None)
        request: dict[str, Any]
        if snapshot is not None:  # multipart: payload_json + the picture
            request = {
                "data": {"payload_json": json.dumps(body)},
                "files": {"files[0]": ("snapshot.jpg", snapshot, "image/jpeg")},
            }
        else:
            request = {"json": body}
        try:
            response = self._session.post(self._url, params={"wait": "true"}, timeout=30, **request)
        except requests.RequestException as exc:
            self.status = f"webhook {self._where} unreachable: {type(exc).__name__}"
            return False, ""
        if response.status_code in (200, 204):
            self.status = "last alert delivered"
            return True, ""
        if response.status_code == 429:
            try:
                retry_after = float(response.json().get("retry_after", 1.0))
            except (ValueError, AttributeError):
                retry_after = float(response.headers.get("Retry-After", 1.0))
            self.status = f"webhook rate-limited, retrying in {retry_after:g} s"
            return False, str(min(max(retry_after, 0.0), 300.0))
        self.status = f"webhook {self._where} answered HTTP {response.status_code}"
        return False, "" if response.status_code >= 500 else PERMANENT


COLOURS = {"failure": RED, "bed": ORANGE, "problem": ORANGE, "test": GREEN}


def discord_message(words: Wording, snapshot) -> DiscordMessage:
    text = words.text.replace("Please check the printer in person.", "**Please check the printer in person.**")
    return DiscordMessage(
        title=words.title,
        description=text,
        colour=COLOURS[words.kind],
        fields=words.facts,
        snapshot=snapshot if words.kind != "problem" else None,
    )


class DiscordChannel:
    """Failures and problems as Discord messages; status updates are not for Discord."""

    name = "discord"

    def __init__(self, webhook_url: str, logger: Optional[logging.Logger] = None, **notifier_options):
        self._notifier = DiscordNotifier(webhook_url, logger, **notifier_options)

    def publish(self, alert: Alert) -> None:
        words = wording(alert)
        if words is not None and words.kind != "test":
            self._notifier.send(discord_message(words, alert.snapshot))

    def send_test(self, alert: Alert) -> tuple[bool, str]:
        words = wording(alert)
        if words is None:
            return False, "nothing to send"
        return self._notifier.send_now(discord_message(words, alert.snapshot))

    def status(self) -> str:
        return self._notifier.status

    def close(self) -> None:
        self._notifier.close()
