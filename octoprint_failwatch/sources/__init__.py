"""Frame sources behind one base (`base.FrameSource`): an HTTP snapshot URL, an MJPEG stream URL, an RTSP stream and
the daemon's printer's camera; and `health`, which tells a live picture from a black, flat or frozen one.
OctoPrint's own webcam is the plugin's (`plugin/webcam.py`).

`make_camera` builds the source the settings choose; error texts name the camera with credentials masked.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..config import FailwatchConfig
from ..redaction import mask_url
from .base import FrameSource
from .http import MjpegCamera, SnapshotCamera


def make_camera(
    config: FailwatchConfig,
    clock,
    printer_camera: Optional[Callable[[], tuple[str, str]]] = None,
    webcam: Optional[Callable[[], FrameSource]] = None,
) -> FrameSource:
    """The frame source the settings choose; 'auto' = RTSP if a URL is set, else snapshot URL, else the host's own
    webcam (`webcam`: the plugin's OctoPrint webcam). 'printer' is the daemon's printer's camera (`printer_camera`
    says its URLs); in the plugin, OctoPrint's webcam."""
    source = resolve_source(config)
    if source == "printer" and printer_camera is not None:
        from .printer_camera import PrinterCamera

        return PrinterCamera(printer_camera, config.camera_timeout, clock)
    if source == "rtsp":
        from .rtsp import RtspCamera

        return RtspCamera(config.rtsp_url, config.rtsp_transport, config.camera_timeout, clock)
    if source == "snapshot":
        return SnapshotCamera(config.snapshot_url, config.camera_timeout, clock)
    if source == "mjpeg":
        return MjpegCamera(config.mjpeg_url, config.camera_timeout, clock)
    if webcam is None:
        raise ValueError("no camera set: give RTSP_URL, SNAPSHOT_URL or MJPEG_URL")
    return webcam()


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
    if source == "printer" and config.printer_url:
        return f"the camera of the printer at {mask_url(config.printer_url)}"
    return "OctoPrint webcam " + (config.webcam_name or "(default)")
