"""Secrets out of words: URLs and webhooks as they may appear in messages, statuses and logs."""

from __future__ import annotations

import re

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
