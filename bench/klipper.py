"""Failure onset → print paused through Moonraker (the daemon with PRINTER_URL) beside the plugin in OctoPrint and the
baseline policy, in the same run; and what a printer attached adds to the daemon's memory.

Three printers print at once, each watched through its own demo camera (HTTP snapshot, 640x480, the same scene),
all asking the same local Converse stand-in through real boto3 (each answer takes `--latency` seconds):
- the plugin at its defaults in a real OctoPrint with its virtual printer (paused: OctoPrint's job says Paused);
- the standalone daemon at its defaults with `PRINTER_URL=moonraker://…`: a real Moonraker in front of the stand-in
  Klippy (demo/klippy_standin.py), the camera taken from Moonraker's webcam list (paused: Klipper's print_stats);
- the baseline policy (bench/e2e.py's `BaselinePolicy`) pausing its own stand-in Klipper through its own Moonraker.
For each onset the prints start afresh; once each policy has judged a picture 20 s into its print, its camera
switches to "failed" at a phase of its own cycle (onset k of n: 1 s + (k - 0.5) / n of a cycle after that
picture), as bench/e2e.py does, so n onsets give each a fair median.

Memory: the daemon's resident set (VmRSS) after `--memory-seconds` of watching the same camera, without a printer
and with Moonraker attached, each the median of samples over the last third.
Run: .venv/bin/python -m bench.klipper [--onsets 6] [--latency 3] [--memory-seconds 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bench.e2e import LEAD, SETTLE, BaselinePolicy, picture_time
from bench.latency import INTERVAL, PICTURE_LAG
from demo.camera_server import CameraServer
from demo.klippy_standin import KlippyStandIn
from demo.model_server import ModelServer
from demo.moonraker_server import MoonrakerServer
from demo.octoprint_instance import OctoPrintServer, wait_for
from octoprint_failwatch.config import build_config

MODEL = "us.amazon.nova-lite-v1:0"
KEYS = {"plugin": "AKIAFAILWATCHPLUGIN", "daemon": "AKIAFAILWATCHDAEMON", "baseline": "AKIAFAILWATCHBASELINE"}


def plugin_settings(camera: CameraServer, model: ModelServer) -> dict:
    return {
        "snapshot_url": camera.url,
        "inference_profile_arn": MODEL,
        "bedrock_endpoint_url": model.url,
        "aws_access_key_id": KEYS["plugin"],
        "aws_secret_access_key": "bench",
        "credentials_file": "/nonexistent",
        "failure_action": "pause",
        "warmup_minutes": 0,
    }


def daemon_env(folder: Path, model: ModelServer, printer_url: str = "", snapshot_url: str = "") -> dict:
    credentials = folder / "credentials"
    credentials.write_text(f"[default]\naws_access_key_id = {KEYS['daemon']}\naws_secret_access_key = bench\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env = {
        **clean,
        "INFERENCE_PROFILE_ARN": MODEL,
        "AWS_REGION": "us-west-2",
        "AWS_CREDENTIALS_FILE": str(credentials),
        "BEDROCK_ENDPOINT_URL": model.url,
        "FAILURE_ACTION": "pause",
        "PRINTER_NAME": "bench",
        "DATA_FOLDER": str(folder / "data"),
        "WARMUP_MINUTES": "0",
    }
    if printer_url:
        env["PRINTER_URL"] = printer_url
    if snapshot_url:
        env["SNAPSHOT_URL"] = snapshot_url
    return env


def start_daemon(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "octoprint_failwatch"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )


def calls_after(model: ModelServer, name: str, since: float) -> list[dict]:
    return [r for r in list(model.converse_requests) if r["access_key"] == KEYS[name] and r["time"] >= since]


def cycle(name: str, latency: float) -> float:
    """How far apart the pictures a policy judges are (snapshot cameras: no stream to open)."""
    return INTERVAL if name != "baseline" else 2 * INTERVAL + PICTURE_LAG + latency


class Printers:
    """The three printers and how each is started, read and judged."""

    def __init__(self, folder: Path, model: ModelServer, latency: float):
        self.model, self.latency = model, latency
        self.cameras = {name: CameraServer(size=(640, 480)).start() for name in KEYS}
        self.octoprint = OctoPrintServer(
            folder / "octoprint", plugin_settings(self.cameras["plugin"], model), event_log=False
        )
        self.octoprint.prepare()
        self.octoprint.start()
        self.klippy, self.moonraker = {}, {}
        for name in ("daemon", "baseline"):
            self.klippy[name] = KlippyStandIn(folder / f"{name}.sock").start()
            self.moonraker[name] = MoonrakerServer(
                folder / f"moonraker-{name}",
                self.klippy[name].socket_path,
                self.cameras[name].url,
                self.cameras[name].stream_url,
            ).start()
        self.daemon = start_daemon(daemon_env(folder, model, f"moonraker://127.0.0.1:{self.moonraker['daemon'].port}"))
        config, errors = build_config(
            {
                "snapshot_url": self.cameras["baseline"].url,
                "inference_profile_arn": MODEL,
                "bedrock_endpoint_url": model.url,
                "aws_access_key_id": KEYS["baseline"],
                "aws_secret_access_key": "bench",
                "credentials_file": "/nonexistent",
                "image_long_side": 0,
            }
        )
        assert not errors, errors
        self.baseline_config = config

    def paused(self, name: str) -> bool:
        if name == "plugin":
            return self.octoprint.job_state() == "Paused"
        return self.klippy[name].objects["print_stats"]["state"] == "paused"

    def start_prints(self) -> BaselinePolicy:
        for camera in self.cameras.values():
            camera.mode = "healthy"
        if self.octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
            self.octoprint.cancel_print()
        self.octoprint.start_print(seconds=3600)
        for klippy in self.klippy.values():
            klippy.set_state(print_stats={"state": "complete"}, pause_resume={"is_paused": False})
            klippy.start_print("bench.gcode", seconds=3600)
        baseline = BaselinePolicy(
            None, self.baseline_config, pause=lambda: self.moonraker["baseline"].post("/printer/print/pause")
        )
        baseline.start()
        return baseline

    def stop(self) -> None:
        if self.daemon.poll() is None:
            self.daemon.terminate()
            self.daemon.wait(timeout=10)
        self.octoprint.stop()
        for server in self.moonraker.values():
            server.stop()
        for klippy in self.klippy.values():
            klippy.stop()
        for camera in self.cameras.values():
            camera.stop()


def one_onset(printers: Printers, share: float) -> dict:
    started = time.monotonic()
    baseline = printers.start_prints()
    wait_for(lambda: all(calls_after(printers.model, name, started) for name in KEYS), 120, "every policy's first call")
    onset_at: dict[str, float] = {}
    onset_set: set[str] = set()
    paused: dict[str, float] = {}
    deadline = time.monotonic() + 300
    while len(paused) < len(KEYS) and time.monotonic() < deadline:
        for name in KEYS:
            if name not in onset_at:  # phased from a picture of the steady cycle, not one of a print's first
                judged = calls_after(printers.model, name, started + SETTLE)
                if judged:
                    onset_at[name] = (
                        picture_time(printers.cameras[name], judged[0]) + LEAD + share * cycle(name, printers.latency)
                    )
            elif name not in onset_set and time.monotonic() >= onset_at[name]:
                printers.cameras[name].mode = "failed"
                onset_at[name] = time.monotonic()
                onset_set.add(name)
            elif name in onset_set and name not in paused and printers.paused(name):
                paused[name] = time.monotonic() - onset_at[name]
        time.sleep(0.05)
    baseline.stopping.set()
    baseline.join(timeout=30)
    return {name: paused.get(name) for name in KEYS}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def daemon_memory(folder: Path, model: ModelServer, seconds: float) -> dict:
    """The daemon's RSS watching the same camera: without a printer, then with Moonraker attached and printing."""
    camera = CameraServer(size=(640, 480)).start()
    klippy = KlippyStandIn(folder / "memory.sock").start()
    moonraker = MoonrakerServer(folder / "moonraker-memory", klippy.socket_path, camera.url, camera.stream_url).start()
    klippy.start_print("memory.gcode", seconds=36000)
    figures = {}
    try:
        for name, env in (
            ("without a printer", daemon_env(folder, model, snapshot_url=camera.url)),
            (
                "with Moonraker",
                daemon_env(folder, model, f"moonraker://127.0.0.1:{moonraker.port}", snapshot_url=camera.url),
            ),
        ):
            process = start_daemon(env)
            samples = []
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if time.monotonic() > end - seconds / 3:
                    samples.append(rss_mib(process.pid))
                time.sleep(1)
            process.terminate()
            process.wait(timeout=10)
            figures[name] = median(samples)
    finally:
        moonraker.stop()
        klippy.stop()
        camera.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onsets", type=int, default=6)
    parser.add_argument("--latency", type=float, default=3.0)
    parser.add_argument("--memory-seconds", type=float, default=60.0)
    args = parser.parse_args()
    model = ModelServer().start()
    model.latency = args.latency
    results = []
    with tempfile.TemporaryDirectory(prefix="failwatch-klipper-") as name:
        folder = Path(name)
        printers = Printers(folder, model, args.latency)
        try:
            for number in range(1, args.onsets + 1):
                results.append(one_onset(printers, (number - 0.5) / args.onsets))
                print(
                    f"onset {number}: "
                    + ", ".join(
                        f"{k} paused after {v if v is None else round(v, 1)} s" for k, v in results[-1].items()
                    ),
                    flush=True,
                )
        finally:
            printers.stop()
        memory = daemon_memory(folder, model, args.memory_seconds)
    model.stop()

    print(
        f"\nOnset → Paused ({len(results)} onsets per policy at phases spread over its own cycle, snapshot "
        f"cameras 640x480, {args.latency:g} s model latency), seconds ({time.strftime('%Y-%m-%d')})\n"
    )
    print(f"{'':<44}{'p50':>8}{'worst':>8}")
    figures = {}
    for key, words in (
        ("plugin", "plugin in OctoPrint (defaults)"),
        ("daemon", "daemon through Moonraker (defaults)"),
        ("baseline", "baseline policy (through Moonraker)"),
    ):
        values = [r[key] for r in results if r[key] is not None]
        figures[key] = (median(values), max(values)) if values else (float("nan"), float("nan"))
        print(f"{words:<44}{figures[key][0]:>8.1f}{figures[key][1]:>8.1f}")
    print(f"{'daemon − plugin, p50':<44}{figures['daemon'][0] - figures['plugin'][0]:>8.1f}")
    print(f"{'daemon / baseline, p50':<44}{figures['daemon'][0] / figures['baseline'][0]:>8.2f}")
    print(f"\nThe daemon's memory (VmRSS, MiB, after {args.memory_seconds:g} s watching):")
    for name, mib in memory.items():
        print(f"  {name:<22}{mib:>8.1f}")
    print(f"  {'added by the printer':<22}{memory['with Moonraker'] - memory['without a printer']:>8.1f}")


if __name__ == "__main__":
    main()
