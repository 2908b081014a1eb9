"""Frame sources behind one tiny interface: calling a source returns a fresh `Frame` or raises `CameraError`.

Sources: OctoPrint's own webcam (multicam-aware), an HTTP snapshot URL, an MJPEG stream URL and an
RTSP stream (`rtsp.py`). Each
capture is taken at call time, so a frame is never older than the call that asked for it; its
timestamps come from the engine's clock. Error texts name the camera with credentials masked.
"""

from __future__ import annotations

import io
from typing import Callable

import requests

from ..config import FailwatchConfig
from ..frame import CameraError, Frame
from ..redaction import mask_url

JPEG_MAGIC = b"\xff\xd8"
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024


def _check_jpeg(data: bytes, where: str) -> bytes:
    if not data.startswith(JPEG_MAGIC):
        raise CameraError(f"camera at {where} did not return a JPEG image")
    return data


class _HttpCamera:
    """What the HTTP sources share: one GET per capture, and faults turned into words."""

    def __init__(self, url: str, timeout: float, clock):
        self._url = url
        self._timeout = timeout
        self._clock = clock
        self._session = requests.Session()

    def __call__(self) -> Frame:
        where = mask_url(self._url)
        try:
            with self._session.get(self._url, timeout=self._timeout, stream=True) as response:
                if response.status_code != 200:
                    raise CameraError(f"camera at {where} answered HTTP {response.status_code}")
                data = self._read(response, where)
        except requests.Timeout:
            raise CameraError(f"camera unreachable: no answer within {self._timeout:g} s at {where}") from None
        except requests.ConnectionError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
            raise CameraError(f"camera unreachable: {reason} at {where}") from None
        return Frame(data, self._clock.monotonic(), self._clock.time())

    def _read(self, response: requests.Response, where: str) -> bytes:
        raise NotImplementedError


class SnapshotCamera(_HttpCamera):
    """An HTTP(S) URL that answers each GET with a current JPEG (mjpg-streamer's ?action=snapshot etc.)."""

    def _read(self, response: requests.Response, where: str) -> bytes:
        data = response.raw.read(MAX_SNAPSHOT_BYTES + 1, decode_content=True)
        if len(data) > MAX_SNAPSHOT_BYTES:
            raise CameraError(f"camera at {where} sent an image larger than 20 MB")
        return _check_jpeg(data, where)


class MjpegCamera(_HttpCamera):
    """An MJPEG stream URL (mjpg-streamer's ?action=stream): connects, takes the first whole frame, closes."""

    def _read(self, response: requests.Response, where: str) -> bytes:
        buffer = b""
        for chunk in response.iter_content(chunk_size=65536):
            buffer += chunk
            start = buffer.find(JPEG_MAGIC)
            end = buffer.find(b"\xff\xd9", start + 2) if start >= 0 else -1
            if end >= 0:
                return buffer[start:end + 2]
            if len(buffer) > MAX_SNAPSHOT_BYTES:
                break
        raise CameraError(f"camera at {where} sent no JPEG frame in its stream")


def orient(jpeg: bytes, flip_h: bool, flip_v: bool, rotate90: bool) -> bytes:
    """Applies OctoPrint's webcam orientation settings, so the model sees what the user sees."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(jpeg))
        image.load()
    except (OSError, ValueError):
        raise CameraError("the webcam sent a JPEG that cannot be decoded") from None
    if flip_h:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if flip_v:
        image = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    if rotate90:  # OctoPrint rotates the stream 90° counter-clockwise
        image = image.transpose(Image.Transpose.ROTATE_90)
    encoded = io.BytesIO()
    image.convert("RGB").save(encoded, "JPEG", quality=90)
    return encoded.getvalue()


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
        captured_at, captured_wall = self._clock.monotonic(), self._clock.time()
        data = _check_jpeg(data, f"webcam '{webcam.config.name}'")
        config = webcam.config
        if config.flipH or config.flipV or config.rotate90:
            data = orient(data, config.flipH, config.flipV, config.rotate90)
        return Frame(data, captured_at, captured_wall)


def make_camera(config: FailwatchConfig, clock, plugin_manager=None) -> Callable[[], Frame]:
    """The frame source the settings choose; 'auto' = RTSP if a URL is set, else snapshot URL, else OctoPrint's."""
    source = resolve_source(config)
    if source == "rtsp":
        from .rtsp import RtspCamera

        return RtspCamera(config.rtsp_url, config.rtsp_transport, config.camera_timeout, clock)
    if source == "snapshot":
        return SnapshotCamera(config.snapshot_url, config.camera_timeout, clock)
    if source == "mjpeg":
        return MjpegCamera(config.mjpeg_url, config.camera_timeout, clock)
    return OctoPrintWebcam(config.webcam_name, clock, plugin_manager)


def resolve_source(config: FailwatchConfig) -> str:
    if config.camera_source != "auto":
        return config.camera_source
    for source, url in (("rtsp", config.rtsp_url), ("snapshot", config.snapshot_url), ("mjpeg", config.mjpeg_url)):
        if url:
            return source
    return "webcam"


def describe_source(config: FailwatchConfig) -> str:
    source = resolve_source(config)
    url = {"rtsp": config.rtsp_url, "snapshot": config.snapshot_url, "mjpeg": config.mjpeg_url}.get(source)
    if url is not None:
        return f"{'RTSP' if source == 'rtsp' else source} {mask_url(url)}"
    return "OctoPrint webcam " + (config.webcam_name or "(default)")
