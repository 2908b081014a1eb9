"""A printer that outlives OctoPrint: OctoPrint's own virtual printer, run in a process of its own behind a pty.

OctoPrint's built-in virtual printer lives inside the OctoPrint process, so a restart ends its print. A
real printer printing from its SD card carries on while OctoPrint restarts; this is that printer for
the tests. OctoPrint connects to the pty (a serial port at the path given) like to a USB printer.

Like firmware that reports its SD job when a host connects, the printer follows a host's hello (M110)
with "File opened: … Size: …" / "File selected" while it prints from SD: that is what OctoPrint needs
to notice the running job (it then polls M27, sees the position grow and takes it as a print).
Run: .venv/bin/python -m demo.serial_printer --link /tmp/printer --sd /tmp/sd
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import tty
from pathlib import Path

from octoprint.plugin import plugin_manager
from octoprint.plugins.virtual_printer import VirtualPrinterPlugin
from octoprint.plugins.virtual_printer.virtual import VirtualPrinter


class _Settings:
    """The few PluginSettings calls VirtualPrinter makes, answered from its own defaults."""

    def __init__(self, sd_folder: Path):
        self._values = VirtualPrinterPlugin.get_settings_defaults(None)
        self._values.update({"simulateReset": False, "enable_eeprom": False, "throttle": 0.0})
        self._sd_folder = sd_folder

    def get(self, path, merged=False):
        value = self._values
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None  # unset = None, as in OctoPrint
        return value

    def get_int(self, path):
        return int(self.get(path) or 0)

    def get_float(self, path):
        return float(self.get(path) or 0)

    def get_boolean(self, path):
        return bool(self.get(path))

    def global_get_basefolder(self, name):
        return str(self._sd_folder)


class _Profiles:
    @staticmethod
    def get_current_or_default():
        return {"volume": {"width": 200, "depth": 200, "height": 200}}


class SerialPrinter:
    def __init__(self, link: Path, sd_folder: Path, data_folder: Path):
        sd_folder.mkdir(parents=True, exist_ok=True)
        data_folder.mkdir(parents=True, exist_ok=True)
        # VirtualPrinter asks OctoPrint's plugin manager for action hooks: an empty one, no plugins
        plugin_manager(init=True, plugin_folders=[], plugin_entry_points=[], plugin_disabled_list=[], plugin_bases=[])
        self.printer = VirtualPrinter(_Settings(sd_folder), _Profiles(), str(data_folder), read_timeout=0.5)
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.link = link
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(slave))
        self._slave = slave  # kept open so the pty survives OctoPrint closing its end
        self._stopping = threading.Event()
        self._hello = False  # a host said M110: announce a running SD job before its next command

    def serve(self) -> None:
        threading.Thread(target=self._to_host, daemon=True).start()
        buffer = b""
        while not self._stopping.is_set():
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if self._hello and b"M110" not in line:
                    self._announce_sd_job()  # the host has had its "ok" for M110: it is listening now
                self._hello = b"M110" in line
                self.printer.write(line + b"\n")

    def _announce_sd_job(self) -> None:
        if getattr(self.printer, "_sdPrinting", False) and self.printer._selectedSdFile:
            path = Path(self.printer._selectedSdFile)
            self._write(f"File opened: {path.name.lower()} Size: {path.stat().st_size}\n".encode())
            self._write(b"File selected\n")

    def _to_host(self) -> None:
        while not self._stopping.is_set():
            line = self.printer.readline()
            if line:  # in process OctoPrint reads its messages one by one; on a wire they are lines
                self._write(line if line.endswith(b"\n") else line + b"\n")

    def _write(self, data: bytes) -> None:
        try:
            os.write(self.master, data)
        except OSError:
            pass  # nobody connected: a real printer's output goes nowhere too

    def stop(self, *args) -> None:
        self._stopping.set()
        self.printer.close()
        self.link.unlink(missing_ok=True)
        os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link", type=Path, required=True)
    parser.add_argument("--sd", type=Path, required=True)
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    printer = SerialPrinter(args.link, args.sd, args.data or args.sd.parent / "printer-data")
    signal.signal(signal.SIGTERM, printer.stop)
    signal.signal(signal.SIGINT, printer.stop)
    print("ready", flush=True)
    printer.serve()


if __name__ == "__main__":
    main()
