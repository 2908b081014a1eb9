"""Incident history: every confirmed failure and every alarm that verification rejected, with its frames.

Each incident keeps every frame the decision used (the alarm's series and each verification series),
the verdicts, the print it happened in, what was done, one current label from the user (not a failure
/ real failure, changeable) and a log of what happened to it (paused, resumed, labelled).

Stored in the plugin's data folder as one folder per incident (`incident.json` + JPEG frames),
written atomically (temp file + rename), bounded by count and by total size (oldest go first).
Incident ids are generated here and checked against a strict pattern before they touch a path, so
an id from the API can never reach outside the folder. A corrupt `incident.json` is set aside with a
log message instead of breaking the history.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import List, Optional

LABELS = ("not_a_failure", "confirmed")  # the user's verdict on an incident: one at a time, changeable
PAGE_LIMIT = 100
PREVIEW_FILE = "preview.png"  # the slicer's preview of the finished object, as the model was shown it
_ID = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")


def atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class IncidentHistory:
    def __init__(
        self,
        folder: Path,
        max_incidents: int = 50,
        max_bytes: int = 100 * 1024 * 1024,
        logger: Optional[logging.Logger] = None,
    ):
        self._folder = folder
        self._max_incidents = max_incidents
        self._max_bytes = max_bytes
        self._logger = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()  # guards the folder
        folder.mkdir(parents=True, exist_ok=True)

    # ----- writing -----

    def record(self, kind: str, payload: dict, frames: dict, preview: Optional[bytes] = None) -> str:
        """Stores an incident ('confirmed' or 'rejected'), with the slicer's preview the model was shown; returns
        its id."""
        incident_id = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        folder = self._folder / incident_id
        with self._lock:
            folder.mkdir()
            series = [("trigger", frames.get("trigger") or [])]
            series += [(f"verification-{n + 1}", s) for n, s in enumerate(frames.get("verification") or [])]
            stored = []
            for name, series_frames in series:
                names = []
                for number, frame in enumerate(series_frames, start=1):
                    filename = f"{name}-{number}.jpg"
                    atomic_write(folder / filename, frame.jpeg)
                    names.append({"file": filename, "time": frame.captured_wall})
                stored.append({"name": name, "frames": names})
            if preview:
                atomic_write(folder / PREVIEW_FILE, preview)
            incident = {
                "id": incident_id,
                "kind": kind,
                "time": time.time(),
                "trigger": payload.get("trigger"),
                "quick": payload.get("quick"),  # the quick look that started it, when quick checks are on
                "series_check": payload.get("series_check"),
                "results": payload.get("results"),
                "positives": payload.get("positives"),
                "required": payload.get("required"),
                "series_count": payload.get("series"),
                "seconds": payload.get("seconds"),
                "series": stored,
                "action": payload.get("action"),
                "test_run": payload.get("test_run", False),
                "job": payload.get("job"),
                "preview": PREVIEW_FILE if preview else None,
                "context": payload.get("context") or "",  # what the printer said of the print, as the model heard it
                "context_lacking": payload.get("context_lacking") or [],
                "label": None,
                "acknowledged": False,
                "log": [{"time": time.time(), "what": payload["log"]}] if payload.get("log") else [],
            }
            self._write(incident)
            self._enforce_limits()
        return incident_id

    def set_label(self, incident_id: str, label: Optional[str]) -> Optional[dict]:
        """The user's verdict (None takes it back); returns the incident, or None if there is no such incident."""
        if label is not None and label not in LABELS:
            raise ValueError(f"unknown label {label!r}")
        said = f"labelled {label.replace('_', ' ')}" if label else "label taken back"
        return self._update(incident_id, "label", label, said)

    def acknowledge(self, incident_id: str) -> Optional[dict]:
        return self._update(incident_id, "acknowledged", True, "acknowledged")

    def note(self, incident_id: str, what: str) -> Optional[dict]:
        """Adds a line to the incident's log (paused, resumed by the user...)."""
        return self._update(incident_id, None, None, what)

    def delete(self, incident_id: str) -> bool:
        if not _ID.match(incident_id or ""):
            return False
        with self._lock:
            folder = self._folder / incident_id
            if not folder.is_dir():
                return False
            shutil.rmtree(folder, ignore_errors=True)
            return True

    def _update(self, incident_id: str, key: Optional[str], value, what: str) -> Optional[dict]:
        """Sets `key` and logs `what`; setting what is already set changes and logs nothing."""
        with self._lock:
            incident = self._read(incident_id)
            if incident is None or (key is not None and incident.get(key) == value):
                return incident
            if key is not None:
                incident[key] = value
            incident["log"].append({"time": time.time(), "what": what})
            self._write(incident)
            return incident

    # ----- reading -----

    def get(self, incident_id: str) -> Optional[dict]:
        """One incident as stored now, or None."""
        with self._lock:
            return self._read(incident_id)

    def list(self) -> list[dict]:
        return self.page(0, self._max_incidents)[0]

    def page(self, offset: int, limit: int) -> tuple[List[dict], int]:
        """Newest first: `limit` incidents from `offset`, and how many there are in all."""
        with self._lock:
            ids = sorted((p.name for p in self._folder.iterdir() if p.is_dir() and _ID.match(p.name)), reverse=True)
            incidents = [self._read(incident_id) for incident_id in ids[offset : offset + min(limit, PAGE_LIMIT)]]
        return [i for i in incidents if i is not None], len(ids)

    def frame(self, incident_id: str, filename: str) -> Optional[bytes]:
        if not _ID.match(incident_id or "") or not re.match(r"^[a-z0-9-]+\.(jpg|png)$", filename or ""):
            return None
        path = self._folder / incident_id / filename
        return path.read_bytes() if path.is_file() else None

    # ----- internals (under the lock) -----

    def _path(self, incident_id: str) -> Optional[Path]:
        return self._folder / incident_id / "incident.json" if _ID.match(incident_id or "") else None

    def _read(self, incident_id: str) -> Optional[dict]:
        path = self._path(incident_id)
        if path is None or not path.is_file():
            return None
        try:
            incident = json.loads(path.read_text())
            if not isinstance(incident, dict) or incident.get("id") != incident_id:
                raise ValueError("not an incident")
            return _current_form(incident)
        except (OSError, ValueError) as exc:
            aside = path.with_name(f"incident.json.corrupt-{int(time.time())}")
            self._logger.warning(
                "Failwatch: incident %s is unreadable (%s); set aside as %s", incident_id, exc, aside.name
            )
            path.rename(aside)
            return None

    def _write(self, incident: dict) -> None:
        path = self._path(incident["id"])
        if path is None:  # ids are made here: never
            raise ValueError(f"not an incident id: {incident['id']!r}")
        atomic_write(path, json.dumps(incident, indent=1).encode())

    def _enforce_limits(self) -> None:
        folders = sorted((p for p in self._folder.iterdir() if p.is_dir() and _ID.match(p.name)), reverse=True)
        total = 0
        for number, folder in enumerate(folders):
            size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
            total += size
            if number >= self._max_incidents or (number > 0 and total > self._max_bytes):
                shutil.rmtree(folder, ignore_errors=True)


def _current_form(incident: dict) -> dict:
    """Incidents written by earlier versions kept a list of labels; they read as one label and a log."""
    if "labels" in incident:
        labels = incident.pop("labels") or []
        verdicts = [entry["label"] for entry in labels if entry.get("label") in LABELS]
        incident["label"] = verdicts[-1] if verdicts else None
        incident["acknowledged"] = any(entry.get("label") == "acknowledged" for entry in labels)
        incident["log"] = [
            {"time": entry.get("time"), "what": str(entry.get("label")).replace("_", " ")} for entry in labels
        ]
    incident.setdefault("label", None)
    incident.setdefault("acknowledged", False)
    incident.setdefault("log", [])
    return incident
