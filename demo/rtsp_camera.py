"""The demo RTSP camera as a process: Debian's python3 runs the GStreamer RTSP server (demo/rtsp_server.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional

from demo.octoprint_instance import free_port, stop_process


class RtspCamera:
    def __init__(self, *source_args: str, port: Optional[int] = None):
        self.port = port or free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/printer"
        self._args = source_args
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> RtspCamera:
        server = Path(__file__).with_name("rtsp_server.py")
        self.process = subprocess.Popen(
            ["/usr/bin/python3", str(server), "--port", str(self.port), *self._args],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            self.stop()
            raise AssertionError(f"the RTSP server did not start: {line!r}")
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout=10)
