"""The unit that flows from a camera to the model: JPEG bytes and when they were captured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    jpeg: bytes
    captured_at: float  # the engine clock's monotonic time at capture
    captured_wall: float  # epoch seconds, for labels and history


class CameraError(Exception):
    """A frame could not be taken; the message names the camera (credentials masked)."""
