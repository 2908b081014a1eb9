"""The daemon's settings as its user sets them: environment variables, named in every message about them."""

from __future__ import annotations

from typing import Mapping

from ..config import FIELDS_BY_KEY, FailwatchConfig

EXIT_CONFIG = 2


def variable_errors(errors: Mapping[str, str]) -> list[str]:
    """Bad settings as lines naming their environment variables."""
    return [f"{FIELDS_BY_KEY[key].env}: {message}" for key, message in errors.items()]


def problems(config: FailwatchConfig, errors: dict[str, str]) -> list[str]:
    """Everything that keeps the daemon from starting, as lines naming the variables."""
    lines = variable_errors(errors)
    missing = []
    from_printer = config.camera_source == "printer" and (config.printer_url or "printer_url" in errors)
    if not (config.rtsp_url or config.snapshot_url or config.mjpeg_url or "rtsp_url" in errors or from_printer):
        missing.append(
            "RTSP_URL (or PRINTER_URL for the printer's camera)" if config.camera_source == "printer" else "RTSP_URL"
        )
    missing += [FIELDS_BY_KEY[key].env or key for key in config.missing_model_settings()]
    if missing:
        lines.insert(0, "missing required environment variables: " + ", ".join(missing))
    return lines
