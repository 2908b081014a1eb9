"""Alerts to any notification service through Apprise (Telegram, Pushover, ntfy, Signal, Slack, e-mail,
Matrix, Home Assistant's mobile app... one URL per service), with the alert-time snapshot attached.

Each URL has a delivery worker of its own (`delivery.py`): a service that is down is retried with backoff
for up to 15 minutes (as Discord is) while the others deliver at once, and nothing here ever waits on the
engine's thread. Each URL's last outcome is in the status, named with its secrets masked.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from typing import Callable, Optional
from urllib.parse import urlsplit

from ...redaction import mask_url
from .alert import Alert
from .delivery import GIVE_UP_AFTER, DeliveryWorker
from .wording import Wording, as_text, wording


def masked(url: str) -> str:
    """Which service and where, nothing secret: 'Telegram (tgram://1...9/***)'. Apprise's private form shortens
    tokens kept in the host part; the path and query (chat ids, topics, tokens) are hidden whole."""
    import apprise

    service = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    parts = urlsplit(service.url(privacy=True) if service else url)
    where = mask_url(f"{parts.scheme}://{parts.netloc}") + ("/***" if parts.path.strip("/") or parts.query else "")
    return f"{service.service_name} ({where})" if service else where


class NotifyTarget:
    """One URL and the delivery worker that serves it."""

    def __init__(
        self,
        url: str,
        logger: logging.Logger,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        import apprise

        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            # only the scheme is repeated: the rest of a mistyped URL may still hold a token
            raise ValueError(f"Apprise does not know this URL: {urlsplit(url).scheme or '?'}://…")
        self.where = masked(url)
        self._logger = logger
        self.status = "ready"
        self._worker = DeliveryWorker("notify", self._attempt, self._gave_up, logger, sleep, clock, capacity=20)

    def send(self, words: Wording, snapshot: Optional[Callable[[], bytes]]) -> None:
        self._worker.send((words, snapshot), words.title)

    def send_now(self, words: Wording, snapshot: Optional[Callable[[], bytes]]) -> tuple[bool, str]:
        return self._deliver_once(words, snapshot), self.status

    def close(self) -> None:
        self._worker.close()

    def _attempt(self, item) -> tuple[bool, str]:
        delivered = self._deliver_once(*item)
        if not delivered:
            self.status = "not delivered, retrying"
        return delivered, ""  # Apprise gives no hint of when to retry: backoff

    def _gave_up(self, item) -> None:
        words = item[0]
        self.status = f"gave up on '{words.title}' after {GIVE_UP_AFTER / 60:.0f} min of failed attempts"
        self._logger.warning("Failwatch: gave up notifying %s of '%s'", self.where, words.title)

    def _deliver_once(self, words: Wording, snapshot) -> bool:
        import apprise

        warning = apprise.NotifyType.WARNING
        kind = {"failure": apprise.NotifyType.FAILURE, "bed": warning, "problem": warning}.get(
            words.kind, apprise.NotifyType.INFO
        )
        with tempfile.TemporaryDirectory(prefix="failwatch-") as folder:
            attachment = self._snapshot_file(snapshot, os.path.join(folder, "snapshot.jpg"))
            delivered = self._apprise.notify(
                title=words.title,
                body=as_text(words),
                notify_type=kind,
                attach=apprise.AppriseAttachment(attachment) if attachment else None,
            )
        self.status = "last alert delivered" if delivered else "last alert not delivered"
        return bool(delivered)

    def _snapshot_file(self, snapshot, path: str) -> Optional[str]:
        """The picture as a file for Apprise to attach, taken now; None if there is none (the alert still goes)."""
        if snapshot is None:
            return None
        try:
            with open(path, "wb") as file:
                file.write(snapshot())
            return path
        except Exception as exc:  # no picture is no reason to lose the alert
            self._logger.warning("Failwatch: no snapshot for %s: %s", self.where, exc)
            return None


class NotifyChannel:
    """Failures, a bed that is not clear, camera problems and monitoring stopped, to every notification URL."""

    name = "notify"

    def __init__(self, urls: list[str], logger: logging.Logger, **options):
        self._logger = logger
        self._targets: list[NotifyTarget] = []
        self._broken: list[str] = []
        for url in urls:
            try:
                self._targets.append(NotifyTarget(url, logger, **options))
            except ValueError as exc:
                self._broken.append(str(exc))
                logger.warning("Failwatch: %s", exc)

    def publish(self, alert: Alert) -> None:
        words = wording(alert)
        if words is not None and words.kind != "test":
            snapshot = alert.snapshot if words.kind in ("failure", "bed") else None  # a camera problem has none
            for target in self._targets:
                target.send(words, snapshot)

    def send_test(self, alert: Alert) -> tuple[bool, str]:
        words = wording(alert)
        if words is None:
            return False, "nothing to send"
        results = [(target.where, *target.send_now(words, alert.snapshot)) for target in self._targets]
        text = "; ".join(f"{where}: {'delivered' if ok else 'not delivered'}" for where, ok, _ in results)
        return all(ok for _, ok, _ in results) and not self._broken, "; ".join([text, *self._broken]).strip("; ")

    def status(self) -> str:
        return "; ".join([f"{target.where}: {target.status}" for target in self._targets] + self._broken)

    def close(self) -> None:
        for target in self._targets:
            target.close()
