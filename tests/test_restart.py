"""OctoPrint restarted in the middle of a print and of a verification: Failwatch picks the print up again.

The printer must outlive OctoPrint, as a real one printing from its SD card does, so OctoPrint's own
virtual printer runs in a process of its own behind a serial port (demo/serial_printer.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from demo.octoprint_instance import OctoPrintServer, stop_process, wait_for

from conftest import fast_settings

SD_FILE = "failwatch_restart.gcode"  # a long name: the virtual SD card lists 8.3 names only as aliases


def slow_sd_gcode(seconds: int) -> str:
    """About `seconds` of SD printing: 1 mm moves at 6 mm/min take 10 s each on the virtual printer."""
    lines = ["G28", "G90", "M82", "G92 E0", "G1 Z0.3 F600", "G1 X10 Y10 F600"]
    lines += [f"G1 X{11 + i} E{i * 0.1:.1f} F6" for i in range(seconds // 10)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def serial_printer(tmp_path):
    sd = tmp_path / "sd"
    sd.mkdir()
    (sd / SD_FILE).write_text(slow_sd_gcode(1200))
    link = tmp_path / "printer-tty"
    process = subprocess.Popen(
        [sys.executable, "-m", "demo.serial_printer", "--link", str(link), "--sd", str(sd)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert process.stdout.readline().strip() == "ready"
    yield link
    stop_process(process, timeout=10)


@pytest.fixture
def restartable(tmp_path, serial_printer, camera, model):
    camera.mode, model.verdict = "healthy", "scene"
    model.faults.clear()
    serial = {
        "port": str(serial_printer),
        "baudrate": 115200,
        "autoconnect": True,
        "additionalPorts": [str(serial_printer)],
    }
    server = OctoPrintServer(tmp_path / "octoprint", fast_settings(camera, model), serial=serial)
    server.prepare()
    server.start()
    yield server
    server.stop()
    camera.mode, model.verdict, model.latency = "healthy", "scene", 0.0


def start_sd_print(server: OctoPrintServer) -> None:
    wait_for(lambda: server.printer_state() == "Operational", 60, "OctoPrint to connect to the serial printer")
    files = wait_for(
        lambda: server.api("GET", "/api/files/sdcard").json()["files"], 60, "the printer's SD card to be listed"
    )
    name = files[0]["name"]  # the card's short (8.3) name for the file
    response = server.api("POST", f"/api/files/sdcard/{name}", json={"command": "select", "print": True})
    assert response.status_code == 204, response.text
    wait_for(lambda: server.job_state().startswith("Printing"), 60, "the SD print to start")


def test_a_restart_in_the_middle_of_a_print_and_of_a_verification_loses_no_monitoring(restartable, camera, model):
    server = restartable
    start_sd_print(server)
    server.wait_for_state("watching")
    wait_for(lambda: server.plugin_status()["counters"]["calls"] > 0, 30, "a first model call")

    # 1. mid-print: OctoPrint goes away and comes back while the printer prints on; the print's first
    # minutes are long past, so a warm-up (set now, in effect from the restart) does not hold it back
    server.save_settings({"warmup_minutes": 10})
    wait_for(
        lambda: server.api("GET", "/api/job").json()["progress"]["completion"] > 5, 60, "the print to get under way"
    )
    server.restart()
    wait_for(lambda: server.job_state().startswith("Printing"), 90, "OctoPrint to pick up the running SD print")
    server.wait_for_state("watching", timeout=60)
    wait_for(lambda: server.plugin_status()["counters"]["calls"] > 0, 30, "model calls after the restart")
    assert "joined a print at" in server.log_text()

    # 2. mid-verification: the failure is seen, OctoPrint stops before it is decided
    # a verification lasts seconds, as with a real model, and longer than OctoPrint takes to shut down: the
    # restart must fall in its middle, not after it was decided
    model.latency = 8.0
    camera.mode = "failed"
    server.wait_for_state("verifying", timeout=60)
    server.restart()
    wait_for(lambda: server.job_state().startswith("Printing"), 90, "the SD print to be picked up again")
    status = server.wait_for_state("cooldown", "paused", timeout=90)  # seen again from scratch, confirmed
    assert status["counters"]["confirmed"] == 1
    incidents = server.failwatch("GET", "incidents").json()["incidents"]
    assert [i["kind"] for i in incidents] == ["confirmed"]  # the interrupted verification left no half record

    # 3. the history outlives a third restart, frames and all
    camera.mode = "healthy"
    server.restart()
    assert server.failwatch("GET", "incidents").json()["incidents"] == incidents
    frame = server.failwatch("GET", f"incidents/{incidents[0]['id']}/trigger-1.jpg")
    assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"
    assert "octoprint_failwatch/" not in server.log_text()  # no traceback through the plugin's code
