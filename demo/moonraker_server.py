"""A real Moonraker (the `moonraker` package, in .moonraker/ — scripts/install_moonraker.sh) in front of the
stand-in Klippy (`klippy_standin.py`), on a free loopback port, with a webcam entry pointing at the demo camera.
Nothing reaches out: its announcement feeds are off and it has no update manager."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional

import requests

from demo.octoprint_instance import free_port, stop_process, wait_for

ROOT = Path(__file__).parent.parent
MOONRAKER = ROOT / ".moonraker" / "bin" / "moonraker"

CONFIG = """[server]
host: 127.0.0.1
port: {port}
klippy_uds_address: {socket}

[authorization]
trusted_clients:
  127.0.0.0/8
force_logins: False

[announcements]
enable_moonlight: False

[machine]
provider: none

[webcam printer]
service: mjpegstreamer
stream_url: {stream_url}
snapshot_url: {snapshot_url}
"""


class MoonrakerServer:
    def __init__(self, data: Path, klippy_socket: Path, snapshot_url: str, stream_url: str):
        if not MOONRAKER.exists():
            raise RuntimeError(
                "Moonraker is not installed for the tests: run scripts/install_moonraker.sh "
                "(make test and make bench do)"
            )
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (data / "config").mkdir(parents=True, exist_ok=True)
        (data / "gcodes").mkdir(exist_ok=True)
        (data / "config" / "moonraker.conf").write_text(
            CONFIG.format(port=self.port, socket=klippy_socket, snapshot_url=snapshot_url, stream_url=stream_url)
        )
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> MoonrakerServer:
        log = open(self.data / "moonraker.log", "ab")
        self.process = subprocess.Popen(
            [str(MOONRAKER), "-d", str(self.data), "-n"], stdout=log, stderr=subprocess.STDOUT
        )
        wait_for(self._answers, 60, "Moonraker to answer")
        return self

    def _answers(self) -> bool:
        try:
            return requests.get(self.url + "/server/info", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def info(self) -> dict:
        return requests.get(self.url + "/server/info", timeout=5).json()["result"]

    def post(self, path: str) -> requests.Response:
        return requests.post(self.url + path, timeout=10)

    def stop(self) -> None:
        stop_process(self.process, 10)
        self.process = None
