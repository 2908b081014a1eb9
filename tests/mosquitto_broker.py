"""A real Mosquitto for tests: anonymous, password, TLS, websocket and TLS-websocket listeners on loopback.

The TLS listeners use a self-signed certificate for 127.0.0.1 made with openssl; `ca_file` trusts it.
"""

from __future__ import annotations

import getpass
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

from demo.octoprint_instance import free_port, stop_process

MOSQUITTO = "/usr/sbin/mosquitto"
USER, PASSWORD = "printer", "broker-password"


class Mosquitto:
    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.auth_port = free_port()
        self.tls_port, self.ws_port, self.wss_port = free_port(), free_port(), free_port()
        self.process: Optional[subprocess.Popen] = None
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file, key = directory / "broker-cert.pem", directory / "broker-key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(self.ca_file),
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        tls = f"certfile {self.ca_file}\nkeyfile {key}\n"
        passwords = directory / "passwords"
        passwords.write_text("")
        subprocess.run(["mosquitto_passwd", "-b", str(passwords), USER, PASSWORD], check=True, timeout=30)
        passwords.chmod(0o600)
        (directory / "mosquitto.conf").write_text(
            # as root mosquitto would switch to its own user, which cannot read pytest's private temp dir
            f"user {getpass.getuser()}\n"
            "per_listener_settings true\n"
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"listener {self.auth_port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\n"
            f"listener {self.tls_port} 127.0.0.1\nallow_anonymous true\n{tls}"
            f"listener {self.ws_port} 127.0.0.1\nprotocol websockets\nallow_anonymous true\n"
            f"listener {self.wss_port} 127.0.0.1\nprotocol websockets\nallow_anonymous true\n{tls}"
        )
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.auth_url = f"mqtt://127.0.0.1:{self.auth_port}"

    def start(self) -> Mosquitto:
        log = open(self.directory / "mosquitto.log", "ab")
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.directory / "mosquitto.conf")], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"mosquitto did not start; see {self.directory}/mosquitto.log")

    def stop(self) -> None:
        stop_process(self.process, timeout=15)
