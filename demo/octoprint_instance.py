"""A real OctoPrint for tests and `make run`: temp basedir, admin + plain user with API keys, virtual printer.

The plugin is whatever is installed in the running interpreter's environment (`make test` installs
the working tree in editable mode). Helpers connect the virtual printer, upload and start a
G-code, and read the plugin's status.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import requests
import yaml

from octoprint_failwatch.outcomes.dispatch import OUTCOMES

ADMIN_KEY = "failwatch-test-admin-key-0123456789"
VIEWER_KEY = "failwatch-test-viewer-key-0123456789"
START_TIMEOUT = 120.0
OFFLINE_PORT = 9  # the discard port: nothing listens on it on loopback


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: Optional[subprocess.Popen], timeout: float) -> None:
    """SIGTERM, and SIGKILL if it has not ended within `timeout` seconds."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.2):
    """Polls until condition() is truthy; the bound is a deadline, not a sleep that makes timing pass."""
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except (requests.RequestException, KeyError, ValueError) as exc:
            last_error = exc
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last error: {last_error})")


def long_gcode(seconds: int) -> bytes:
    """A print that lasts about `seconds` on the virtual printer (dwell lines between small moves)."""
    lines = ["; failwatch test print", "G28", "G90", "M82", "G92 E0"]
    for i in range(seconds):
        lines.append(f"G1 X{10 + i % 50} Y{10 + i % 40} Z{0.2 + i * 0.01:.2f} E{i * 0.1:.2f} F3000")
        lines.append("G4 P1000")
    return ("\n".join(lines) + "\n").encode()


def with_thumbnail(gcode: bytes, png: bytes, width: int, height: int) -> bytes:
    """The G-code with a slicer's preview at its top, in the block PrusaSlicer, OrcaSlicer and Cura's thumbnail script
    write: `; thumbnail begin WxH LEN`, base64 in lines of 78 each after `; `, `; thumbnail end`."""
    import base64

    data = base64.b64encode(png).decode()
    lines = [f"; thumbnail begin {width}x{height} {len(data)}"]
    lines += ["; " + data[i : i + 78] for i in range(0, len(data), 78)]
    lines += ["; thumbnail end", ""]
    return "\n".join(lines).encode() + gcode


class OctoPrintServer:
    def __init__(
        self,
        basedir: Path,
        plugin_settings: dict,
        port: Optional[int] = None,
        admin_password: str = "admin-password",
        python: str = sys.executable,
        api_keys: bool = True,
        plugins_config: Optional[dict] = None,
        serial: Optional[dict] = None,
        event_log: bool = True,
    ):
        self.plugins_config = plugins_config or {}  # other plugins' settings, e.g. the classic webcam
        self.serial = serial or {}  # e.g. a printer on a serial port instead of the virtual one
        self.basedir = basedir
        self.event_log = event_log  # Failwatch's events written to a file by OctoPrint's event manager, for tests
        self.api_keys = api_keys  # tests use fixed API keys; `make run` does not set any
        self.octoprint_command = str(Path(python).with_name("octoprint"))
        self.port = port or free_port()
        self.admin_password = admin_password
        self.url = f"http://127.0.0.1:{self.port}"
        self.plugin_settings = plugin_settings
        self.process: Optional[subprocess.Popen] = None
        self.admin = self._session(ADMIN_KEY)
        self.viewer = self._session(VIEWER_KEY)
        self.anonymous = self._session()

    @staticmethod
    def _session(key: str = "") -> requests.Session:
        """A client session; one connection per request, since OctoPrint 1.9's server at times resets a kept-alive
        connection just as the next request goes out (a harness artefact, not something Failwatch does)."""
        session = requests.Session()
        session.headers["Connection"] = "close"
        if key:
            session.headers["X-Api-Key"] = key
        return session

    # ----- set-up -----

    def _octoprint(self, *args: str) -> None:
        command = [self.octoprint_command, "-b", str(self.basedir), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def prepare(self) -> None:
        """Writes config.yaml and the users; an existing basedir (from an earlier `make run`) is kept."""
        if (self.basedir / "users.yaml").exists():
            return
        self.basedir.mkdir(parents=True, exist_ok=True)
        config = {
            "server": {
                "firstRun": False,
                # nothing leaves the machine: the connectivity check asks a closed loopback port, so OctoPrint
                # knows it is offline and its plugin repository, notices and health checks fetch nothing
                "onlineCheck": {"enabled": True, "host": "127.0.0.1", "port": OFFLINE_PORT, "name": "localhost"},
                "pluginBlacklist": {"enabled": False},
                "seenWizards": {"corewizard": 4, "backup": None, "tracking": None},
            },
            "devel": {"enableRateLimiter": False},
            "serial": {"log": True, **self.serial},  # the G-code sent to the printer, for tests to read
            "plugins": {
                "_disabled": [
                    "announcements",
                    "tracking",
                    "discovery",
                    "errortracking",
                    "softwareupdate",
                    "achievements",
                ],  # its pop-ups would cover ours in screenshots
                "virtual_printer": {"enabled": True, "okAfterResend": True},
                "failwatch": self.plugin_settings,
                **self.plugins_config,
            },
        }
        if self.event_log:  # OctoPrint's event manager writes Failwatch's custom events to a file, for tests
            config["events"] = {
                "enabled": True,
                "subscriptions": [
                    {
                        "event": f"plugin_failwatch_{name}",
                        "type": "system",
                        "shell": True,
                        "command": f"echo {{__eventname}} >> {self.basedir / 'failwatch-events.log'}",
                    }
                    for name in OUTCOMES
                ],
            }
        (self.basedir / "config.yaml").write_text(yaml.safe_dump(config))
        self._octoprint("user", "add", "--password", self.admin_password, "--admin", "admin")
        self._octoprint("user", "add", "--password", "viewer-password", "--group", "users", "viewer")
        if self.api_keys:
            users_file = self.basedir / "users.yaml"
            users = yaml.safe_load(users_file.read_text())
            users["admin"]["apikey"] = ADMIN_KEY
            users["viewer"]["apikey"] = VIEWER_KEY
            users_file.write_text(yaml.safe_dump(users))

    def start(self) -> OctoPrintServer:
        log = open(self.basedir / "serve.log", "ab")
        self.process = subprocess.Popen(
            [
                self.octoprint_command,
                "-b",
                str(self.basedir),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--iknowwhatimdoing",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        wait_for(self._ready, START_TIMEOUT, "OctoPrint to serve its API")
        self._arm_anonymous_csrf()
        return self

    def _arm_anonymous_csrf(self) -> None:
        """Anonymous browsers carry OctoPrint's CSRF cookie + header; without them a POST is a 400, not a 403."""
        self.anonymous = self._session()
        self.anonymous.get(f"{self.url}/", timeout=30, allow_redirects=False)
        token = self.anonymous.cookies.get(f"csrf_token_P{self.port}")
        if token:
            self.anonymous.headers["X-CSRF-Token"] = token

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"OctoPrint exited with {self.process.returncode}; see {self.basedir}/serve.log")
        response = self.anonymous.get(f"{self.url}/api/version", timeout=5)
        # the placeholder server answers 503 until the real one is up; without a key the real one says 403
        return response.status_code in (200, 403) and response.headers.get("Content-Type", "").startswith(
            "application/json"
        )

    def stop(self) -> None:
        stop_process(self.process, timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()

    # ----- helpers -----

    def api(self, method: str, path: str, session: Optional[requests.Session] = None, **kwargs):
        return (session or self.admin).request(method, f"{self.url}{path}", timeout=30, **kwargs)

    def failwatch(self, method: str, path: str, session: Optional[requests.Session] = None, **kwargs):
        """A request to Failwatch's API, e.g. failwatch("POST", "snooze", json={"minutes": 5})."""
        return self.api(method, f"/plugin/failwatch/{path}", session, **kwargs)

    def plugin_status(self, session: Optional[requests.Session] = None) -> dict:
        response = self.failwatch("GET", "status", session)
        response.raise_for_status()
        return response.json()

    def wait_for_state(self, *states: str, timeout: float = 60.0) -> dict:
        return wait_for(
            lambda: (s := self.plugin_status())["state"] in states and s, timeout, f"Failwatch state {states}"
        )

    def save_settings(self, values: dict) -> requests.Response:
        response = self.api("POST", "/api/settings", json={"plugins": {"failwatch": values}})
        response.raise_for_status()
        return response

    def connect_printer(self) -> None:
        if self.printer_state() in ("Operational", "Printing", "Paused"):
            return
        self.api("POST", "/api/connection", json={"command": "connect", "port": "VIRTUAL", "baudrate": 115200})
        wait_for(lambda: self.printer_state() == "Operational", 60, "the virtual printer to connect")

    def printer_state(self) -> str:
        return self.api("GET", "/api/connection").json()["current"]["state"]

    def job_state(self) -> str:
        return self.api("GET", "/api/job").json()["state"]

    def login(self, user: str, password: str) -> None:
        """The admin's requests go through a login session (with OctoPrint's CSRF header) instead of an API key."""
        session = self._session()
        session.get(f"{self.url}/", timeout=30)
        session.headers["X-CSRF-Token"] = session.cookies.get(f"csrf_token_P{self.port}", "")
        session.post(
            f"{self.url}/api/login", json={"user": user, "pass": password, "remember": False}, timeout=30
        ).raise_for_status()
        self.admin = session

    def upload(self, name: str, gcode: bytes, select: bool = False, start: bool = False) -> None:
        files = {"file": (name, gcode, "application/octet-stream")}
        response = self.api(
            "POST", "/api/files/local", files=files, data={"select": str(select).lower(), "print": str(start).lower()}
        )
        response.raise_for_status()

    def start_print(self, seconds: int = 600, name: str = "failwatch_test.gcode", preview: bool = False) -> None:
        """A print of about `seconds`; `preview`: its file carries a slicer's preview, as a sliced file does."""
        self.connect_printer()
        gcode = long_gcode(seconds)
        if preview:
            from demo.scene import drawn_part

            gcode = with_thumbnail(gcode, drawn_part(300), 300, 300)
        self.upload(name, gcode, select=True, start=True)
        # A bed check that holds the print may pause it within a poll of its start: paused counts as started.
        wait_for(lambda: self.job_state().startswith(("Printing", "Pausing", "Paused")), 60, "the print to start")

    def cancel_print(self) -> None:
        self.api("POST", "/api/job", json={"command": "cancel"})
        wait_for(
            lambda: self.job_state() in ("Operational", "Cancelling") or "Operational" in self.job_state(),
            60,
            "the print to be cancelled",
        )

    def events(self) -> list[str]:
        path = self.basedir / "failwatch-events.log"
        return path.read_text().split() if path.exists() else []

    def serial_log(self) -> str:
        path = self.basedir / "logs" / "serial.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_text(self) -> str:
        return (self.basedir / "logs" / "octoprint.log").read_text(errors="replace")
