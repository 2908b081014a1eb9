"""OctoPrint's own webcam, through its webcam provider plugin (classic webcam, multicam...), as the user sees it."""

from __future__ import annotations

import io

from ..frame import CameraError, Frame
from ..sources.base import FrameSource
from ..sources.http import check_jpeg


def orient(jpeg: bytes, flip_h: bool, flip_v: bool, rotate90: bool) -> bytes:
    """Applies OctoPrint's webcam orientation settings, so the model sees what the user sees."""
    from PIL import Image

    try:
        image: Image.Image = Image.open(io.BytesIO(jpeg))
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


class OctoPrintWebcam(FrameSource):
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
        data = check_jpeg(data, f"webcam '{webcam.config.name}'")
        config = webcam.config
        if config.flipH or config.flipV or config.rotate90:
            data = orient(data, config.flipH, config.flipV, config.rotate90)
        return Frame(data, captured_at, captured_wall)
