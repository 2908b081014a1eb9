"""The daemon's settings as its user sets them: environment variables, named in every message about them."""

from __future__ import annotations

from typing import Mapping

from ..config import FIELDS_BY_KEY, SOURCE_URLS, FailwatchConfig

EXIT_CONFIG = 2


def variable_errors(errors: Mapping[str, str]) -> list[str]:
    """Bad settings as lines naming their environment variables."""
    return [f"{FIELDS_BY_KEY[key].env}: {message}" for key, message in errors.items()]


def problems(config: FailwatchConfig, errors: dict[str, str]) -> list[str]:
    """Everything that keeps the daemon from starting, as lines naming the variables."""
    lines = variable_errors(errors)
    missing = []
    chosen = SOURCE_URLS.get(config.camera_source)
    if chosen is not None:  # CAMERA_SOURCE names one kind of camera: its URL is the one needed
        if not getattr(config, chosen) and chosen not in errors:
            missing.append(FIELDS_BY_KEY[chosen].env or chosen.upper())
    elif not any(getattr(config, key) or key in errors for key in SOURCE_URLS.values()):
        if config.camera_source != "printer":
            missing.append("RTSP_URL (or SNAPSHOT_URL or MJPEG_URL)")
        elif not (config.printer_url or "printer_url" in errors):
            missing.append("PRINTER_URL (for the printer's camera), or RTSP_URL, SNAPSHOT_URL or MJPEG_URL")
    missing += [FIELDS_BY_KEY[key].env or key for key in config.missing_model_settings()]
    if missing:
        lines.insert(0, "missing required environment variables: " + ", ".join(missing))
    return lines
