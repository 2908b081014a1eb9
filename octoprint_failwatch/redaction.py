"""Secrets out of words: URLs and webhooks as they may appear in messages, statuses and logs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


def mask_url(url: str) -> str:
    """rtsp://user:secret@cam/stream -> rtsp://user:***@cam/stream; a query (tokens) becomes ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if parts.password is None and not parts.query:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}:***@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "", ""))


def mask_webhook(url: str) -> str:
    """https://discord.com/api/webhooks/123/SECRET -> https://discord.com/api/webhooks/123/***"""
    return re.sub(r"(/webhooks/[^/]+/)[^/?#]+", r"\1***", url.split("?")[0])
