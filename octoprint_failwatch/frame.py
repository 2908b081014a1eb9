"""The unit that flows from a camera to the model: JPEG bytes and when they were captured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    jpeg: bytes
    captured_at: float  # the engine clock's monotonic time at capture
    captured_wall: float  # epoch seconds, for labels and history


class CameraError(Exception):
    """No usable picture; the message names the camera (credentials masked). `kind` is what the status and the
    alerts say: unreachable (no frame came), black, uniform or frozen (a frame came, with no live picture)."""

    def __init__(self, message: str, kind: str = "unreachable"):
        super().__init__(message)
        self.kind = kind
