"""The printer the standalone daemon watches (`PRINTER_URL`): Klipper through Moonraker, or an OctoPrint over its
REST API, behind one small interface (`base.Printer`). Without `PRINTER_URL` the daemon has no printer: it
watches all the time and only alerts."""

from __future__ import annotations

import logging
from typing import Optional
from urllib.parse import urlsplit

from ..config import FailwatchConfig
from .base import Printer, PrinterError, PrinterState

__all__ = ["Printer", "PrinterError", "PrinterState", "make_printer"]


def make_printer(config: FailwatchConfig, logger: logging.Logger) -> Optional[Printer]:
    """moonraker://host:7125 or octoprint://host:5000 (moonraker+https://, octoprint+https:// behind TLS)."""
    if not config.printer_url:
        return None
    if urlsplit(config.printer_url).scheme.startswith("octoprint"):
        from .octoprint_rest import OctoPrintRestPrinter

        return OctoPrintRestPrinter(config.printer_url, config.printer_api_key, config.camera_timeout, logger)
    from .moonraker import MoonrakerPrinter

    return MoonrakerPrinter(config.printer_url, config.printer_api_key, config.camera_timeout, logger)
