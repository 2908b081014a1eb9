"""HTTP cameras: a snapshot URL (one JPEG per GET) and an MJPEG stream URL (the first whole frame of the stream).

A login in the URL (http://user:password@cam/...) is sent as Basic auth; a camera that asks for Digest
instead (Hikvision's and Dahua's snapshot endpoints) gets Digest from then on.
"""

from __future__ import annotations

import time
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from requests.auth import HTTPDigestAuth

from ..frame import CameraError, Frame
from ..redaction import mask_url
from .base import FrameSource

JPEG_MAGIC = b"\xff\xd8"
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024


def check_jpeg(data: bytes, where: str) -> bytes:
    if not data.startswith(JPEG_MAGIC):
        raise CameraError(f"camera at {where} did not return a JPEG image")
    return data


class _HttpCamera(FrameSource):
    """What the HTTP sources share: one GET per capture, and faults turned into words."""

    def __init__(self, url: str, timeout: float, clock):
        self._url = url
        self._timeout = timeout
        self._clock = clock
        self._session = requests.Session()

    def __call__(self) -> Frame:
        where = mask_url(self._url)
        try:
            with self._get() as response:
                if response.status_code == 401 and self._digest_asked(response):
                    response.close()
                    with self._get() as again:  # the same request, with Digest
                        return self._frame(again, where)
                return self._frame(response, where)
        except requests.Timeout:
            raise CameraError(f"camera unreachable: no answer within {self._timeout:g} s at {where}") from None
        except requests.ConnectionError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
            raise CameraError(f"camera unreachable: {reason} at {where}") from None

    def _get(self) -> requests.Response:
        return self._session.get(self._url, timeout=self._timeout, stream=True)

    def _digest_asked(self, response: requests.Response) -> bool:
        """A 401 that asks for Digest while we sent Basic: the session answers with Digest from now on."""
        parts = urlsplit(self._url)
        if (
            isinstance(self._session.auth, HTTPDigestAuth)
            or parts.username is None
            or "digest" not in response.headers.get("WWW-Authenticate", "").lower()
        ):
            return False
        self._session.auth = HTTPDigestAuth(unquote(parts.username), unquote(parts.password or ""))
        netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        self._url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return True

    def _frame(self, response: requests.Response, where: str) -> Frame:
        if response.status_code == 401:
            raise CameraError(f"camera at {where} refused the login (HTTP 401): check the user and password in the URL")
        if response.status_code != 200:
            raise CameraError(f"camera at {where} answered HTTP {response.status_code}")
        data = self._read(response, where)
        return Frame(data, self._clock.monotonic(), self._clock.time())

    def _read(self, response: requests.Response, where: str) -> bytes:
        raise NotImplementedError


class SnapshotCamera(_HttpCamera):
    """An HTTP(S) URL that answers each GET with a current JPEG (mjpg-streamer's ?action=snapshot etc.)."""

    def _read(self, response: requests.Response, where: str) -> bytes:
        if response.headers.get("Content-Type", "").lower().startswith("multipart/"):
            # a stream would be read until 20 MB have come: said at once, with what to do
            raise CameraError(
                f"camera at {where} sends a stream, not a snapshot: set this URL as the MJPEG stream URL instead"
            )
        deadline = time.monotonic() + self._timeout  # the whole picture, not each read: a trickle ends too
        data = b""
        for chunk in response.iter_content(chunk_size=65536):
            data += chunk
            if len(data) > MAX_SNAPSHOT_BYTES:
                raise CameraError(f"camera at {where} sent an image larger than 20 MB")
            if time.monotonic() > deadline:
                raise CameraError(
                    f"camera unreachable: the picture at {where} took longer than {self._timeout:g} s to come"
                )
        return check_jpeg(data, where)


class MjpegCamera(_HttpCamera):
    """An MJPEG stream URL (mjpg-streamer's ?action=stream): connects, takes the first whole frame, closes."""

    def _read(self, response: requests.Response, where: str) -> bytes:
        buffer = b""
        for chunk in response.iter_content(chunk_size=65536):
            buffer += chunk
            start = buffer.find(JPEG_MAGIC)
            end = buffer.find(b"\xff\xd9", start + 2) if start >= 0 else -1
            if end >= 0:
                return buffer[start : end + 2]
            if len(buffer) > MAX_SNAPSHOT_BYTES:
                break
        raise CameraError(f"camera at {where} sent no JPEG frame in its stream")
