"""A stand-in for Klippy, Klipper's host process, as Moonraker sees it: its API socket (a Unix socket, JSON
objects each ended by \\x03) answering what Moonraker asks — info, endpoints, the object list, queries and
subscriptions with their status updates, G-code scripts, pause/resume/cancel — for a printer that prints a
file on a clock the test moves (`advance`). No heaters or motion: the objects and states Moonraker and
Failwatch read (webhooks, print_stats, pause_resume, virtual_sdcard, idle_timeout).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Optional

ETX = b"\x03"
OBJECTS = (
    "webhooks",
    "print_stats",
    "pause_resume",
    "virtual_sdcard",
    "idle_timeout",
    "configfile",
    "display_status",
    "toolhead",
    "gcode_move",
)


class KlippyStandIn:
    def __init__(self, socket_path: Path):
        self.socket_path = Path(socket_path)
        self._lock = threading.RLock()  # guards the printer's objects and the connections
        self._clients: list[socket.socket] = []
        self._subscriptions: dict[socket.socket, tuple[dict, dict]] = {}  # objects, response template
        self._server: Optional[socket.socket] = None
        self.scripts: list[str] = []  # every G-code script and pause/resume/cancel request, in order
        self.ready = True
        self.clock = 0.0
        self._print_started = 0.0
        self._print_seconds = 1800.0
        self.objects = {
            "webhooks": {"state": "ready", "state_message": "Printer is ready"},
            "print_stats": {
                "state": "standby",
                "filename": "",
                "print_duration": 0.0,
                "total_duration": 0.0,
                "filament_used": 0.0,
                "message": "",
                "info": {"total_layer": None, "current_layer": None},
            },
            "pause_resume": {"is_paused": False},
            "virtual_sdcard": {
                "progress": 0.0,
                "is_active": False,
                "file_position": 0,
                "file_path": None,
                "file_size": 0,
            },
            "idle_timeout": {"state": "Idle", "printing_time": 0.0},
            "configfile": {"config": {"virtual_sdcard": {"path": "/tmp/gcodes"}, "pause_resume": {}}},
            "display_status": {"progress": 0.0, "message": None},
            "toolhead": {"position": [0, 0, 0, 0], "homed_axes": "xyz"},
            "gcode_move": {"speed_factor": 1.0},
        }

    # ----- the socket -----

    def start(self) -> KlippyStandIn:
        if self.socket_path.exists():
            self.socket_path.unlink()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.socket_path))
        self._server.listen()
        threading.Thread(target=self._accept, args=(self._server,), name="klippy-accept", daemon=True).start()
        return self

    def stop(self) -> None:
        """Klippy goes away: its socket closes, every connection with it."""
        with self._lock:
            server, self._server = self._server, None
            clients, self._clients = self._clients, []
            self._subscriptions.clear()
        if server is not None:
            server.close()
        for client in clients:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()
        if self.socket_path.exists():
            os.unlink(self.socket_path)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self._clients.append(client)
            threading.Thread(target=self._serve, args=(client,), name="klippy-client", daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        buffer = b""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    return
                buffer += data
                while ETX in buffer:
                    raw, buffer = buffer.split(ETX, 1)
                    self._answer(client, json.loads(raw))
        except OSError:
            return
        finally:
            with self._lock:
                self._subscriptions.pop(client, None)
                if client in self._clients:
                    self._clients.remove(client)

    def _send(self, client: socket.socket, message: dict) -> None:
        try:
            client.sendall(json.dumps(message).encode() + ETX)
        except OSError:
            pass

    def _answer(self, client: socket.socket, request: dict) -> None:
        method, params = request.get("method"), request.get("params") or {}
        with self._lock:
            try:
                result = self._handle(client, method, params)
            except KlippyError as exc:
                self._send(
                    client, {"id": request.get("id"), "error": {"error": "WebRequestError", "message": str(exc)}}
                )
                return
        self._send(client, {"id": request.get("id"), "result": result})

    # ----- the API -----

    def _handle(self, client: socket.socket, method: str, params: dict):
        if method == "info":
            state = "ready" if self.ready else "startup"
            return {
                "state": state,
                "state_message": "Printer is ready" if self.ready else "Printer is starting up",
                "hostname": "stand-in",
                "software_version": "v0.12.0-stand-in",
                "cpu_info": "stand-in",
                "klipper_path": "/tmp/klipper",
                "python_path": "/usr/bin/python3",
                "log_file": "/tmp/klippy.log",
                "config_file": "/tmp/printer.cfg",
                "process_id": os.getpid(),
                "user_id": os.getuid(),
                "group_id": os.getgid(),
            }
        if not self.ready and method not in ("list_endpoints", "gcode/subscribe_output", "register_remote_method"):
            raise KlippyError("Klippy not ready")
        if method == "list_endpoints":
            return {
                "endpoints": [
                    "info",
                    "emergency_stop",
                    "objects/list",
                    "objects/query",
                    "objects/subscribe",
                    "gcode/script",
                    "gcode/help",
                    "gcode/subscribe_output",
                    "pause_resume/pause",
                    "pause_resume/resume",
                    "pause_resume/cancel",
                    "register_remote_method",
                ]
            }
        if method in ("gcode/subscribe_output", "register_remote_method", "emergency_stop"):
            return {}
        if method == "objects/list":
            return {"objects": list(OBJECTS)}
        if method == "objects/query":
            return {"eventtime": self.clock, "status": self._select(params.get("objects") or {})}
        if method == "objects/subscribe":
            objects = params.get("objects") or {}
            self._subscriptions[client] = (objects, params.get("response_template") or {})
            return {"eventtime": self.clock, "status": self._select(objects)}
        if method == "gcode/script":
            return self._script(params.get("script", ""))
        if method in ("pause_resume/pause", "pause_resume/resume", "pause_resume/cancel"):
            return self._script(
                {"pause_resume/pause": "PAUSE", "pause_resume/resume": "RESUME", "pause_resume/cancel": "CANCEL_PRINT"}[
                    method
                ]
            )
        raise KlippyError(f"no such method: {method}")

    def _select(self, objects: dict) -> dict:
        status = {}
        for name, fields in objects.items():
            if name in self.objects:
                value = self.objects[name]
                status[name] = dict(value) if fields is None else {k: value[k] for k in fields if k in value}
        return status

    def _script(self, script: str):
        self.scripts.append(script)
        command = script.strip().split()[0].upper() if script.strip() else ""
        state = self.objects["print_stats"]["state"]
        if command == "PAUSE":
            if self.objects["pause_resume"]["is_paused"]:
                raise KlippyError("Print already paused")
            self._set(
                pause_resume={"is_paused": True}, print_stats={"state": "paused"}, idle_timeout={"state": "Ready"}
            )
        elif command == "RESUME":
            if not self.objects["pause_resume"]["is_paused"]:
                raise KlippyError("Print is not paused, resume aborted")
            self._set(
                pause_resume={"is_paused": False}, print_stats={"state": "printing"}, idle_timeout={"state": "Printing"}
            )
        elif command == "CANCEL_PRINT":
            if state in ("printing", "paused"):
                self._set(
                    pause_resume={"is_paused": False},
                    print_stats={"state": "cancelled"},
                    virtual_sdcard={"is_active": False},
                    idle_timeout={"state": "Ready"},
                )
        return {}

    # ----- what the test does to the printer -----

    def start_print(self, filename: str, seconds: float = 1800.0) -> None:
        with self._lock:
            self._print_started, self._print_seconds = self.clock, seconds
            self._set(
                print_stats={"state": "printing", "filename": filename, "print_duration": 0.0, "total_duration": 0.0},
                virtual_sdcard={"is_active": True, "progress": 0.0, "file_path": f"/tmp/gcodes/{filename}"},
                idle_timeout={"state": "Printing"},
                pause_resume={"is_paused": False},
            )

    def advance(self, seconds: float) -> None:
        """The printer's clock moves on: a print in progress advances (and completes at its end)."""
        with self._lock:
            self.clock += seconds
            stats = self.objects["print_stats"]
            if stats["state"] != "printing":
                return
            elapsed = self.clock - self._print_started
            if elapsed >= self._print_seconds:
                self._set(
                    print_stats={"state": "complete", "print_duration": self._print_seconds},
                    virtual_sdcard={"is_active": False, "progress": 1.0},
                    idle_timeout={"state": "Ready"},
                )
            else:
                self._set(
                    print_stats={"print_duration": stats["print_duration"] + seconds, "total_duration": elapsed},
                    virtual_sdcard={"progress": elapsed / self._print_seconds},
                )

    def set_state(self, **changes) -> None:
        """Sets printer objects as Klipper would change them (a macro's pause, a timelapse's park...)."""
        with self._lock:
            self._set(**changes)

    def _set(self, **changes: dict) -> None:
        """Changes objects and tells each subscriber what changed of what it subscribed to."""
        for name, values in changes.items():
            self.objects[name].update(values)
        for client, (objects, template) in list(self._subscriptions.items()):
            status = {}
            for name, values in changes.items():
                if name in objects:
                    fields = objects[name]
                    status[name] = dict(values) if fields is None else {k: v for k, v in values.items() if k in fields}
            if status:
                self._send(client, {**template, "params": {"eventtime": self.clock, "status": status}})


class KlippyError(Exception):
    pass
