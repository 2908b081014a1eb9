"""An OctoPrint the daemon runs beside (in Docker, as the standalone tool's users run it), over its REST API:
`PRINTER_URL=octoprint://host:5000` (octoprint+https:// behind TLS) with `PRINTER_API_KEY` (an application key with
Status and Control). State from `/api/job`, polled every `POLL_SECONDS`; pause, resume and cancel through
`/api/job`; the camera from OctoPrint's webcam settings.
"""

from __future__ import annotations

import logging
from typing import Optional
from urllib.parse import urlsplit

import requests

from ..redaction import mask_url
from .base import PrinterBase, PrinterError, PrinterState, absolute, octoprint_job

POLL_SECONDS = 2.0
STATES = {
    "Printing": PrinterState.PRINTING,
    "Paused": PrinterState.PAUSED,
    "Pausing": PrinterState.PAUSED,
    "Resuming": PrinterState.PRINTING,
    "Printing from SD": PrinterState.PRINTING,
}


class OctoPrintRestPrinter(PrinterBase):
    name = "OctoPrint"
    via = "through OctoPrint"

    def __init__(self, url: str, api_key: str, timeout: float, logger: logging.Logger):
        parts = urlsplit(url)
        self._http = (
            f"{'https' if parts.scheme.endswith('+https') else 'http'}://{parts.netloc}{parts.path.rstrip('/')}"
        )
        super().__init__(mask_url(self._http), logger)
        self._headers = {"X-Api-Key": api_key} if api_key else {}
        self._timeout = timeout
        self._session = requests.Session()
        self._job: dict = {}  # the last /api/job answer, under the lock

    def job(self) -> dict:
        with self._lock:
            return octoprint_job(self._job)

    def pause_print(self, tags: Optional[set] = None) -> None:
        self._command({"command": "pause", "action": "pause"})

    def resume_print(self, tags: Optional[set] = None) -> None:
        self._command({"command": "pause", "action": "resume"})

    def cancel_print(self, tags: Optional[set] = None) -> None:
        self._command({"command": "cancel"})

    def camera_urls(self) -> tuple[str, str]:
        """OctoPrint's classic webcam: its snapshot and stream URLs (relative ones are OctoPrint's host's)."""
        settings = self._request("GET", "/api/settings").json()
        webcam = settings.get("webcam") or {}
        classic = (settings.get("plugins") or {}).get("classicwebcam") or {}
        snapshot = classic.get("snapshot") or webcam.get("snapshotUrl") or ""
        stream = classic.get("stream") or webcam.get("streamUrl") or ""
        base = self._http + "/"
        return absolute(base, snapshot), absolute(base, stream)

    def _command(self, body: dict) -> None:
        response = self._request("POST", "/api/job", json=body)
        if response.status_code not in (200, 204):
            raise PrinterError(f"OctoPrint at {self._where} refused {body['command']}: HTTP {response.status_code}")

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            return self._session.request(
                method, self._http + path, headers=self._headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise PrinterError(f"OctoPrint at {self._where} unreachable: {type(exc).__name__}") from None

    def _run(self) -> None:
        while not self._closing.is_set():
            self._poll()
            self._closing.wait(POLL_SECONDS)

    def _poll(self) -> None:
        try:
            response = self._request("GET", "/api/job")
            if response.status_code == 403:
                raise PrinterError(f"OctoPrint at {self._where} refused the API key (HTTP 403): set PRINTER_API_KEY")
            response.raise_for_status()
            job = response.json()
        except (PrinterError, requests.RequestException, ValueError) as exc:
            self._set(
                PrinterState.OFFLINE,
                str(exc) if isinstance(exc, PrinterError) else f"OctoPrint at {self._where}: {type(exc).__name__}",
            )
            return
        with self._lock:
            self._job = job
        text = job.get("state") or ""
        if text.startswith(("Offline", "Error", "Connecting", "Opening")):
            self._set(PrinterState.OFFLINE, f"OctoPrint's printer is {text.lower()}")
        else:
            self._set(STATES.get(text, PrinterState.IDLE))
