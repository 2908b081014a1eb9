"""Frame sources behind one tiny interface: calling a source returns a fresh `Frame` or raises `CameraError`.

Sources: OctoPrint's own webcam (multicam-aware), an HTTP snapshot URL and an RTSP stream. Each
capture is taken at call time, so a frame is never older than the call that asked for it; its
timestamps come from the engine's clock. Error texts name the camera with credentials masked.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Optional
from urllib.parse import urlsplit, urlunsplit

import requests

from .config import FailwatchConfig
from .frame import CameraError, Frame

JPEG_MAGIC = b"\xff\xd8"
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024


def mask_url(url: str) -> str:
    """rtsp://user:secret@cam/stream -> rtsp://user:***@cam/stream (for messages and logs)."""
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


def _check_jpeg(data: bytes, where: str) -> bytes:
    if not data.startswith(JPEG_MAGIC):
        raise CameraError(f"camera at {where} did not return a JPEG image")
    return data


class SnapshotCamera:
    """An HTTP(S) URL that answers each GET with a current JPEG (mjpg-streamer's ?action=snapshot etc.)."""

    def __init__(self, url: str, timeout: float, clock):
        self._url = url
        self._timeout = timeout
        self._clock = clock
        self._session = requests.Session()

    def __call__(self) -> Frame:
        where = mask_url(self._url)
        try:
            response = self._session.get(self._url, timeout=self._timeout, stream=True)
            with response:
                if response.status_code != 200:
                    raise CameraError(f"camera at {where} answered HTTP {response.status_code}")
                data = response.raw.read(MAX_SNAPSHOT_BYTES + 1, decode_content=True)
        except requests.Timeout:
            raise CameraError(f"camera unreachable: no answer within {self._timeout:g} s at {where}") from None
        except requests.ConnectionError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
            raise CameraError(f"camera unreachable: {reason} at {where}") from None
        if len(data) > MAX_SNAPSHOT_BYTES:
            raise CameraError(f"camera at {where} sent an image larger than 20 MB")
        return Frame(_check_jpeg(data, where), self._clock.monotonic(), self._clock.time())


class OctoPrintWebcam:
    """The webcam configured in OctoPrint, through its webcam provider plugin (classic webcam, multicam...)."""

    def __init__(self, name: str, clock, plugin_manager=None):
        self._name = name
        self._clock = clock
        self._plugin_manager = plugin_manager

    def _webcam(self):
        from octoprint.webcams import get_snapshot_webcam, get_webcams

        if self._name:
            webcam = get_webcams(plugin_manager=self._plugin_manager).get(self._name)
            if webcam is None:
                raise CameraError(f"OctoPrint has no webcam named '{self._name}'")
        else:
            webcam = get_snapshot_webcam(plugin_manager=self._plugin_manager)
            if webcam is None:
                raise CameraError("OctoPrint has no webcam that can take snapshots; set one up or use RTSP")
        if not webcam.config.canSnapshot:
            raise CameraError(f"OctoPrint's webcam '{webcam.config.name}' cannot take snapshots")
        return webcam

    def __call__(self) -> Frame:
        webcam = self._webcam()
        try:
            chunks = webcam.providerPlugin.take_webcam_snapshot(webcam.config.name)
            data = b"".join(chunks)
        except Exception as exc:
            raise CameraError(f"OctoPrint's webcam '{webcam.config.name}' failed: {exc}") from None
        return Frame(_check_jpeg(data, f"webcam '{webcam.config.name}'"), self._clock.monotonic(),
                     self._clock.time())


class RtspCamera:
    """An RTSP stream read with OpenCV/FFmpeg; opened per capture so the frame is live, never a stale buffer."""

    _env_lock = threading.Lock()  # OpenCV reads its FFmpeg options from the environment at open time

    def __init__(self, url: str, transport: str, timeout: float, clock):
        self._url = url
        self._transport = transport
        self._timeout_ms = int(timeout * 1000)
        self._clock = clock

    def __call__(self) -> Frame:
        import cv2

        where = mask_url(self._url)
        with self._env_lock:
            os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = f"rtsp_transport;{self._transport}"
            capture = cv2.VideoCapture(
                self._url,
                cv2.CAP_FFMPEG,
                [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self._timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                 self._timeout_ms],
            )
        try:
            if not capture.isOpened():
                raise CameraError(f"camera unreachable: could not open stream at {where}")
            ok, image = capture.read()
            captured_at, captured_wall = self._clock.monotonic(), self._clock.time()
            if not ok or image is None:
                raise CameraError(f"camera stream at {where} gave no frame")
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            if not ok:
                raise CameraError(f"could not encode the frame from {where}")
            return Frame(encoded.tobytes(), captured_at, captured_wall)
        finally:
            capture.release()


def make_camera(config: FailwatchConfig, clock, plugin_manager=None) -> Callable[[], Frame]:
    """The frame source the settings choose; 'auto' = RTSP if a URL is set, else snapshot URL, else OctoPrint's."""
    source = config.camera_source
    if source == "auto":
        source = "rtsp" if config.rtsp_url else "snapshot" if config.snapshot_url else "webcam"
    if source == "rtsp":
        return RtspCamera(config.rtsp_url, config.rtsp_transport, config.camera_timeout, clock)
    if source == "snapshot":
        return SnapshotCamera(config.snapshot_url, config.camera_timeout, clock)
    return OctoPrintWebcam(config.webcam_name, clock, plugin_manager)


def describe_source(config: FailwatchConfig) -> Optional[str]:
    if config.rtsp_url and config.camera_source in ("auto", "rtsp"):
        return "RTSP " + mask_url(config.rtsp_url)
    if config.snapshot_url and config.camera_source in ("auto", "snapshot"):
        return "snapshot " + mask_url(config.snapshot_url)
    return "OctoPrint webcam " + (config.webcam_name or "(default)")
