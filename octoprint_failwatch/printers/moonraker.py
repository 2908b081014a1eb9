"""A Klipper printer through Moonraker: its state from Moonraker's websocket, its pause, resume and cancel over
Moonraker's HTTP API (what Mainsail and Fluidd send), its camera from Moonraker's webcam list.

`PRINTER_URL=moonraker://host:7125` (moonraker+https:// behind TLS); `PRINTER_API_KEY` when Moonraker asks for one.
The websocket subscribes to print_stats, pause_resume, virtual_sdcard and webhooks; it reconnects by itself
(Moonraker restarted, the network gone) and subscribes again when Klippy says it is ready. Nothing here blocks
the engine: state arrives on this printer's own thread. What the slicer said of the file being printed — the
part's height, the estimated time, its preview — comes from Moonraker's file metadata, read once a file.
"""

from __future__ import annotations

import json
import logging
import posixpath
import time
from typing import NamedTuple, Optional
from urllib.parse import quote, urlsplit

import requests
import websocket  # websocket-client, which OctoPrint itself depends on

from ..redaction import mask_url
from .base import PrinterBase, PrinterError, PrinterState, absolute
from .preview import small_png

OBJECTS = {
    "print_stats": ["state", "filename", "print_duration", "total_duration", "message", "info"],
    "pause_resume": ["is_paused"],
    "virtual_sdcard": ["progress"],
    "webhooks": ["state", "state_message"],
    "toolhead": ["position"],
}
RECONNECT_FIRST, RECONNECT_MAX = 1.0, 10.0  # seconds between attempts to reach Moonraker, doubling
QUIET_SECONDS = 30.0  # no message for this long: ask Moonraker something, to find a dead connection
DEFAULT_IDLE_TIMEOUT = 600.0  # Klipper's [idle_timeout] timeout when printer.cfg does not set it
SUBSCRIBE_ID = 1
METADATA_RETRY = 30.0  # seconds: Moonraker reads a new file's metadata a moment after it arrives; asked again then


class FileFacts(NamedTuple):
    """What the slicer said of a file, from Moonraker's metadata; None where it said nothing."""

    height: Optional[float] = None  # the part's final height, mm
    estimated: Optional[float] = None  # the slicer's estimated print time, seconds
    preview: Optional[bytes] = None  # its largest thumbnail, small


class MoonrakerPrinter(PrinterBase):
    name = "Moonraker"
    via = "through Moonraker"

    def __init__(self, url: str, api_key: str, timeout: float, logger: logging.Logger):
        parts = urlsplit(url)
        secure = parts.scheme.endswith("+https")
        self._http = f"{'https' if secure else 'http'}://{parts.netloc}"
        self._websocket = f"{'wss' if secure else 'ws'}://{parts.netloc}/websocket"
        self._host = parts.hostname or "localhost"
        super().__init__(mask_url(self._http), logger)
        self._headers = {"X-Api-Key": api_key} if api_key else {}
        self._timeout = timeout
        self._session = requests.Session()
        self._objects: dict[str, dict] = {}  # Klipper's objects as subscribed, under the lock
        self.idle_timeout = DEFAULT_IDLE_TIMEOUT  # seconds a pause lasts before Klipper turns the heaters off
        self._connection: Optional[websocket.WebSocket] = None
        # (file, when read, its facts): one tuple, so no thread sees one file's height beside another's preview
        self._facts: tuple[Optional[str], float, FileFacts] = (None, 0.0, FileFacts())

    # ----- state -----

    @property
    def pause_note(self) -> str:
        """What a long pause does on Klipper, for the alert: its idle_timeout turns the heaters off."""
        minutes = self.idle_timeout / 60
        return (
            f"Klipper turns the heaters and motors off after {minutes:.0f} min paused; "
            "to keep them, raise [idle_timeout] timeout in printer.cfg"
        )

    def job(self) -> dict:
        with self._lock:
            stats = self._objects.get("print_stats", {})
            progress = self._objects.get("virtual_sdcard", {}).get("progress")
            position = self._objects.get("toolhead", {}).get("position") or []
            info = stats.get("info") or {}  # the layers, when the slicer's macros tell Klipper (SET_PRINT_STATS_INFO)
            file, elapsed = stats.get("filename") or None, stats.get("print_duration")
            job = {
                "file": file,
                "progress": progress * 100 if progress is not None else None,
                "elapsed": elapsed,
                "z": position[2] if len(position) > 2 else None,
                "layer": info.get("current_layer"),
                "layers": info.get("total_layer"),
            }
        facts = self._file_facts(file)
        left = facts.estimated - elapsed if facts.estimated and isinstance(elapsed, (int, float)) else None
        return {
            **job,
            "height": facts.height,
            "left": max(0.0, left) if left is not None else None,
            "preview": facts.preview is not None,
        }

    def preview(self) -> Optional[bytes]:
        """The slicer's preview of the file being printed, from Moonraker's thumbnails."""
        with self._lock:
            file = self._objects.get("print_stats", {}).get("filename") or None
        return self._file_facts(file).preview

    def _file_facts(self, file: Optional[str]) -> FileFacts:
        """The file's facts, read once (job() is asked several times a second); a file whose metadata Moonraker
        has not read yet is asked again after METADATA_RETRY."""
        known, read_at, facts = self._facts
        now = time.monotonic()
        if file == known and (facts != FileFacts() or now - read_at < METADATA_RETRY):
            return facts
        facts = self._read_facts(file) if file else FileFacts()
        self._facts = (file, now, facts)
        return facts

    def _read_facts(self, file: str) -> FileFacts:
        try:
            metadata = self._get(f"/server/files/metadata?filename={quote(file)}")
        except PrinterError:  # not read yet, or the file is gone: nothing known of it for now
            return FileFacts()
        height, estimated = metadata.get("object_height"), metadata.get("estimated_time")
        return FileFacts(
            float(height) if isinstance(height, (int, float)) and height > 0 else None,
            float(estimated) if isinstance(estimated, (int, float)) and estimated > 0 else None,
            self._read_thumbnail(file, metadata.get("thumbnails") or []),
        )

    def _read_thumbnail(self, file: str, thumbnails: list) -> Optional[bytes]:
        """The largest thumbnail Moonraker extracted (paths relative to the file's folder), small."""
        sized = [t for t in thumbnails if isinstance(t, dict) and isinstance(t.get("relative_path"), str)]
        for thumbnail in sorted(sized, key=lambda t: (t.get("width") or 0) * (t.get("height") or 0), reverse=True):
            path = posixpath.join(posixpath.dirname(file), thumbnail["relative_path"])
            try:
                response = self._session.get(
                    f"{self._http}/server/files/gcodes/{quote(path)}", headers=self._headers, timeout=self._timeout
                )
                response.raise_for_status()
                return small_png(response.content)
            except (requests.RequestException, ValueError, OSError):
                continue
        return None

    def close(self) -> None:
        super().close()
        connection = self._connection
        if connection is not None:
            connection.close()

    # ----- what Failwatch does to the print (Moonraker's HTTP API, as Mainsail and Fluidd do) -----

    def pause_print(self, tags: Optional[set] = None) -> None:
        self._post("/printer/print/pause")

    def resume_print(self, tags: Optional[set] = None) -> None:
        self._post("/printer/print/resume")

    def cancel_print(self, tags: Optional[set] = None) -> None:
        self._post("/printer/print/cancel")

    def camera_urls(self) -> tuple[str, str]:
        """The first enabled webcam of Moonraker's list; a relative URL is the web front end's (port 80)."""
        webcams = self._get("/server/webcams/list").get("webcams") or []
        for webcam in webcams:
            if webcam.get("enabled", True):
                base = f"http://{self._host}/"
                return absolute(base, webcam.get("snapshot_url") or ""), absolute(base, webcam.get("stream_url") or "")
        return "", ""

    def _post(self, path: str) -> None:
        try:
            response = self._session.post(self._http + path, headers=self._headers, timeout=self._timeout)
        except requests.RequestException as exc:
            raise PrinterError(f"Moonraker at {self._where} unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise PrinterError(
                f"Moonraker at {self._where} refused {path}: HTTP {response.status_code} {_error_text(response)}"
            )

    def _get(self, path: str) -> dict:
        try:
            response = self._session.get(self._http + path, headers=self._headers, timeout=self._timeout)
            response.raise_for_status()
            return response.json().get("result") or {}
        except (requests.RequestException, ValueError) as exc:
            raise PrinterError(f"Moonraker at {self._where}: {path} failed ({type(exc).__name__})") from None

    # ----- the websocket -----

    def _run(self) -> None:
        wait = RECONNECT_FIRST
        while not self._closing.is_set():
            try:
                self._connection = websocket.create_connection(
                    self._websocket, timeout=self._timeout, header=self._headers
                )
                wait = RECONNECT_FIRST
                self._listen(self._connection)
            except (websocket.WebSocketException, OSError, ValueError) as exc:
                if not self._closing.is_set():
                    self._set(
                        PrinterState.OFFLINE, f"Moonraker at {self._where} unreachable: {exc or type(exc).__name__}"
                    )
            finally:
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None
            self._closing.wait(wait)
            wait = min(RECONNECT_MAX, wait * 2)

    def _listen(self, connection: websocket.WebSocket) -> None:
        connection.settimeout(QUIET_SECONDS)
        self._send(connection, "printer.objects.subscribe", {"objects": OBJECTS}, SUBSCRIBE_ID)
        while not self._closing.is_set():
            try:
                message = json.loads(connection.recv())
            except websocket.WebSocketTimeoutException:
                self._send(connection, "server.info", {}, 2)  # a dead connection fails here, and reconnects
                continue
            self._handle(connection, message)

    def _handle(self, connection: websocket.WebSocket, message: dict) -> None:
        method = message.get("method")
        if message.get("id") == SUBSCRIBE_ID:
            if "error" in message:  # Klippy not connected or not ready yet: it says so when it is
                error = message["error"]
                self._set(PrinterState.OFFLINE, f"Klipper is not ready: {error.get('message', error)}")
            else:
                self._replace((message.get("result") or {}).get("status") or {})
                self._read_idle_timeout()
        elif method == "notify_status_update":
            self._update((message.get("params") or [{}])[0])
        elif method == "notify_klippy_ready":
            self._send(connection, "printer.objects.subscribe", {"objects": OBJECTS}, SUBSCRIBE_ID)
        elif method in ("notify_klippy_shutdown", "notify_klippy_disconnected"):
            self._set(
                PrinterState.OFFLINE,
                "Klipper shut down" if method == "notify_klippy_shutdown" else "Klipper disconnected from Moonraker",
            )

    def _send(self, connection: websocket.WebSocket, method: str, params: dict, request_id: int) -> None:
        connection.send(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}))

    def _read_idle_timeout(self) -> None:
        try:
            settings = self._get("/printer/objects/query?configfile=settings")["status"]["configfile"]["settings"]
            self.idle_timeout = float((settings.get("idle_timeout") or {}).get("timeout", DEFAULT_IDLE_TIMEOUT))
        except (PrinterError, KeyError, TypeError, ValueError):
            self.idle_timeout = DEFAULT_IDLE_TIMEOUT

    def _replace(self, status: dict) -> None:
        with self._lock:
            self._objects = {name: dict(values) for name, values in status.items()}
        self._settle()

    def _update(self, status: dict) -> None:
        with self._lock:
            for name, values in status.items():
                self._objects.setdefault(name, {}).update(values)
        self._settle()

    def _settle(self) -> None:
        """The state the objects say."""
        with self._lock:
            webhooks = self._objects.get("webhooks", {})
            printing = self._objects.get("print_stats", {}).get("state")
        if webhooks.get("state", "ready") != "ready":
            self._set(PrinterState.OFFLINE, f"Klipper is not ready: {webhooks.get('state_message', '')}")
        else:
            self._set(
                {"printing": PrinterState.PRINTING, "paused": PrinterState.PAUSED}.get(
                    printing or "", PrinterState.IDLE
                )
            )


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return str(error.get("message", "")) if isinstance(error, dict) else str(error)
    except ValueError:
        return ""
