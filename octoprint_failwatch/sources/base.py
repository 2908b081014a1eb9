"""The one interface every frame source has: calling it returns a fresh `Frame` or raises `CameraError`."""

from __future__ import annotations

from ..frame import Frame


class FrameSource:
    """A camera. Each call takes a picture now, so a frame is never older than the call that asked for it; its
    timestamps come from the engine's clock. A source that holds a stream open closes it on `release()`."""

    def __call__(self) -> Frame:
        raise NotImplementedError

    def release(self) -> None:
        """No frame is due soon: a stream held open may close now."""

    def close(self) -> None:
        """The watch ends: nothing of the camera may outlive it."""
