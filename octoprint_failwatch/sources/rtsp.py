"""RTSP frames that are live, at a cost a Raspberry Pi can carry.

A reader that opens a stream once and reads "the next frame" gets what FFmpeg buffered, often tens
of seconds old. Decoding the whole stream all the time to stay current costs a good part of a core
at 1080p/30. So a stream is open only while frames are wanted: a capture opens it, a reader thread
drains it with `grab()` (no colour conversion) and decodes only the frame asked for, and it is closed
when the engine says no frame is due soon (`release()`) — after a regular frame at once, after a
quick look's verification frames once the look is answered — or after `LINGER` seconds without a
request. Opening an RTSP stream takes seconds (a keyframe must come), so frames asked for in quick
succession must find it open. `bench/camera.py` measures frame age and CPU.

A stream that stalls and then goes on may first hand over what it held meanwhile — the network's or the
camera's backlog, pictures seconds old that would be stamped "now". So a stall (no picture for
`STALL_SECONDS`) ends the session, and the frame asked for comes from a new one, which starts from the
camera's live picture, within the same camera timeout.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from typing import Callable, Optional

import cv2

from ..frame import CameraError, Frame
from ..redaction import mask_url
from .base import FrameSource

LINGER = 4.0  # a stream nobody released closes after this long without a request
STALL_SECONDS = 2.5  # no picture for this long: the stream stalled (cameras send at least 1 a second)
_malloc_trim: Optional[Callable[[int], int]]
try:  # glibc only (musl has no malloc_trim): elsewhere freed memory is just not handed back early
    _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):
    _malloc_trim = None

_env_lock = threading.Lock()  # OpenCV reads its FFmpeg options from the environment at open time


def give_back_memory() -> None:
    """A released decoder's frame buffers (tens of MB at 1080p) go back to glibc's arena of the thread that
    decoded, not to the system; between captures seconds apart that is resident memory doing nothing."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def open_stream(url: str, transport: str, timeout_ms: int) -> cv2.VideoCapture:
    with _env_lock:
        # small probe: a live stream needs no 5 s analysis. No frame rate estimate (fpsprobesize 0): FFmpeg would
        # read ~20 frames for it unless the probe size fills first, so a low-bitrate camera (a flat scene, a
        # substream) opened a second or two slower than a busy one. No `fflags nobuffer`: it threw away the
        # keyframe a session starts with, so a capture waited for the next one (8.3 s at a keyframe every 8 s,
        # 0.35 s without); frames stay live because the reader grabs continuously while the stream is open
        os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = (
            f"rtsp_transport;{transport}|analyzeduration;200000|probesize;32768|fpsprobesize;0"
        )
        capture = cv2.VideoCapture(
            url,
            cv2.CAP_FFMPEG,
            [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms],
        )
    if not capture.isOpened():
        capture.release()
        from .rtsp_probe import diagnose  # only after a failure: one DESCRIBE says why

        raise CameraError(
            f"camera unreachable: could not open the stream: {diagnose(url, transport, min(5.0, timeout_ms / 1000))}"
        )
    return capture


class _Stalled(Exception):
    """The stream stalled: what follows may be old; a new session gives the live picture."""


class _Reader(threading.Thread):
    """Owns one open stream; grabs continuously and decodes a frame when one is asked for."""

    def __init__(self, capture: cv2.VideoCapture, where: str, clock):
        super().__init__(name="failwatch-rtsp", daemon=True)
        self._capture = capture
        self._where = where
        self._clock = clock
        self._wanted = threading.Event()
        self._answered = threading.Event()
        self._answer: Optional[Frame] = None
        self._error: Optional[str] = None
        self._stalled = False
        self.last_request = time.monotonic()
        self.stopped = threading.Event()

    def take(self, timeout: float) -> Frame:
        self.last_request = time.monotonic()
        self._answered.clear()
        self._wanted.set()
        if not self._answered.wait(timeout):
            self.stopped.set()
            raise CameraError(f"camera stream at {self._where} gave no frame within {timeout:g} s")
        if self._stalled:
            raise _Stalled()
        if self._error or self._answer is None:
            raise CameraError(self._error or f"camera stream at {self._where} gave no frame")
        return self._answer

    def run(self) -> None:
        grabbed_one = False  # the first picture of a session may wait for its keyframe: that is no stall
        try:
            while not self.stopped.is_set():
                started = time.monotonic()
                if not self._capture.grab():
                    self._fail(f"camera stream at {self._where} stopped sending frames")
                    return
                if grabbed_one and time.monotonic() - started >= STALL_SECONDS:
                    self._stalled = True  # this picture, and those after it, may be the backlog
                    self.stopped.set()
                    self._answered.set()
                    return
                grabbed_one = True
                if self._wanted.is_set():
                    self._wanted.clear()
                    self._deliver()
                elif time.monotonic() - self.last_request > LINGER:
                    return
        finally:
            self.stopped.set()
            self._capture.release()
            give_back_memory()

    def _deliver(self) -> None:
        captured_at, captured_wall = self._clock.monotonic(), self._clock.time()
        ok, image = self._capture.retrieve()
        if not ok or image is None:
            return self._fail(f"camera stream at {self._where} sent a frame that cannot be decoded")
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok:
            return self._fail(f"could not encode the frame from {self._where}")
        self._answer, self._error = Frame(encoded.tobytes(), captured_at, captured_wall), None
        self._answered.set()

    def _fail(self, message: str) -> None:
        self._error = message
        self.stopped.set()
        self._answered.set()


class RtspCamera(FrameSource):
    def __init__(self, url: str, transport: str, timeout: float, clock):
        self._url = url
        self._where = mask_url(url)
        self._transport = transport
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()  # one capture at a time; guards the reader
        self._reader: Optional[_Reader] = None

    def __call__(self) -> Frame:
        deadline = time.monotonic() + self._timeout
        with self._lock:
            for _ in range(2):  # after a stall, once more from a new session (its first picture is live)
                reader = self._reader
                if reader is None or reader.stopped.is_set():
                    timeout = max(0.1, deadline - time.monotonic())
                    reader = self._reader = _Reader(
                        open_stream(self._url, self._transport, int(timeout * 1000)), self._where, self._clock
                    )
                    reader.start()
                try:
                    return reader.take(max(0.1, deadline - time.monotonic()))
                except _Stalled:
                    continue
            raise CameraError(
                f"camera stream at {self._where} keeps stalling: no live picture within {self._timeout:g} s"
            )

    def release(self) -> None:
        """No frame is due soon: the stream closes now (not waiting for it), so nothing decodes meanwhile."""
        reader = self._reader
        if reader is not None:
            reader.stopped.set()

    def close(self) -> None:
        """Stops a lingering reader and waits for it, so the stream is released before exit."""
        with self._lock:
            reader, self._reader = self._reader, None
        if reader is not None:
            reader.stopped.set()
            reader.join(timeout=5)
