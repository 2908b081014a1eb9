"""Secrets out of words: URLs and webhooks as they may appear in messages, statuses and logs."""

from __future__ import annotations

import logging
import re
from typing import Iterable

# query or path parameters whose values are secrets (cameras put logins there: /user=admin&password=...)
SECRET_KEYS = re.compile(r"(?i)([\w.-]*(?:pass|pwd|token|key|secret|auth|sig|session)[\w.-]*)=[^&;/#]*")
_LOGIN = re.compile(r"^([a-z][a-z0-9+.-]*://)([^/?@]*?):(.*)@(?=[^@]*$)", re.I | re.S)


def mask_url(url: str) -> str:
    """The URL with its secrets as ***, the rest kept so the user sees which URL is meant:
    rtsp://user:secret@cam/stream -> rtsp://user:***@cam/stream; a password may hold '#' or '?';
    http://cam/?action=snapshot stays; ?token=abc and /user=admin&password=abc keep their keys only."""
    login = _LOGIN.match(url)
    if login:  # before any parsing: a password with '#' or '?' in it would be read as a fragment or query
        url = login.group(1) + login.group(2) + ":***@" + url[login.end() :]
    return SECRET_KEYS.sub(lambda match: match.group(1) + "=***", url)


def mask_webhook(url: str) -> str:
    """https://discord.com/api/webhooks/123/SECRET -> https://discord.com/api/webhooks/123/***"""
    return re.sub(r"(/webhooks/[^/]+/)[^/?#]+", r"\1***", url.split("?")[0])


def secrets_of(config) -> list[tuple[str, str]]:
    """(what a log might contain, what it shows instead) for a config's secrets and the URLs that may hold one."""
    from .config import SECRET_KEYS, URL_KEYS

    pairs = [(value, "***") for key in SECRET_KEYS if len(value := str(getattr(config, key) or "")) >= 4]
    pairs += [(url, mask_url(url)) for key in URL_KEYS if (url := str(getattr(config, key) or "")) != mask_url(url)]
    webhook = re.search(r"/webhooks/[^/]+/([^/?#]+)", config.discord_webhook_url or "")
    pairs += [(webhook.group(1), "***")] if webhook else []  # its token, wherever it shows
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)  # a URL before a secret inside it


class SecretsFilter(logging.Filter):
    """Masks the configured secrets in every record a handler writes, whoever logged it (a library's message
    included): the line is formatted once, masked, and written as it is."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        super().__init__()
        self._pairs = list(pairs)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._pairs:
            return True
        message = record.getMessage()
        masked = message
        for secret, shown in self._pairs:
            masked = masked.replace(secret, shown)
        if masked != message:
            record.msg, record.args = masked, None
        return True
