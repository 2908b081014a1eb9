"""What Failwatch adds to a real OctoPrint: CPU, memory and threads while it watches a print, per camera
source and model backend.

OctoPrint servers print the same long G-code on the virtual printer, one after the other: one with
Failwatch disabled (the baseline), then Failwatch at its defaults watching the demo RTSP stream (the demo
scene rendered at 1920x1080, as fast as it renders up to 30 fps, H.264 by GStreamer), the demo snapshot
URL, and the snapshot URL with the local model through the OpenAI-compatible backend (so neither OpenCV
nor botocore is loaded), all asking the local model server. CPU is the server process's CPU time over
the window (% of one core), RSS and threads are sampled every second.
Run: .venv/bin/python -m bench.overhead [--seconds 120]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import mean

from demo.camera_server import CameraServer
from demo.model_server import ModelServer
from demo.octoprint_instance import OctoPrintServer, wait_for
from demo.rtsp_camera import RtspCamera

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(server: OctoPrintServer, seconds: float) -> dict:
    pid = server.process.pid
    started, cpu_before = time.monotonic(), cpu_seconds(pid)
    rss, threads = [], []
    while time.monotonic() - started < seconds:
        rss.append(rss_mb(pid))
        threads.append(len(os.listdir(f"/proc/{pid}/task")))
        time.sleep(1.0)
    elapsed = time.monotonic() - started
    return {
        "cpu": (cpu_seconds(pid) - cpu_before) / elapsed * 100,
        "rss": mean(rss),
        "rss_max": max(rss),
        "threads": max(threads),
    }


def run(settings: dict, disabled: bool, seconds: float) -> dict:
    plugins = {"_disabled": ["failwatch"]} if disabled else {}
    with tempfile.TemporaryDirectory() as folder:
        server = OctoPrintServer(Path(folder) / "octoprint", settings)
        server.prepare()
        if disabled:  # keep the harness's list of disabled plugins and add ours
            import yaml

            config_file = server.basedir / "config.yaml"
            config = yaml.safe_load(config_file.read_text())
            config["plugins"]["_disabled"] += plugins["_disabled"]
            config_file.write_text(yaml.safe_dump(config))
        server.start()
        try:
            server.start_print(seconds=int(seconds) + 300)
            if not disabled:
                wait_for(lambda: server.plugin_status()["state"] == "watching", 60, "Failwatch to watch")
            time.sleep(20)  # let start-up work settle before the window
            figures = measure(server, seconds)
            if not disabled:
                figures["status"] = server.plugin_status()
            return figures
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    scene = CameraServer(size=(1920, 1080), fps=30).start()
    stream = RtspCamera("--mjpeg", scene.stream_url).start()
    model = ModelServer().start()
    bedrock = {
        "inference_profile_arn": "us.amazon.nova-lite-v1:0",
        "bedrock_endpoint_url": model.url,
        "aws_access_key_id": "AKIABENCH",
        "aws_secret_access_key": "bench",
        "credentials_file": "/nonexistent",
    }
    local = {"model_backend": "openai", "openai_base_url": model.url + "/v1", "openai_model": "llava:13b"}
    setups = {
        "RTSP 1080p/30 + Bedrock": {"rtsp_url": stream.url, **bedrock},
        "snapshot URL + Bedrock": {"snapshot_url": scene.url, **bedrock},
        "snapshot URL + local model": {"snapshot_url": scene.url, **local},
    }
    try:
        baseline = run({**setups["snapshot URL + local model"], "warmup_minutes": 0}, True, args.seconds)
        results = {
            name: run({**settings, "warmup_minutes": 0}, False, args.seconds) for name, settings in setups.items()
        }
    finally:
        model.stop()
        stream.stop()
        scene.stop()
    print(
        f"OctoPrint printing on the virtual printer, {args.seconds:g} s window "
        f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)\n"
    )
    print(
        f"{'':<32}{'CPU % of one core':>18}{'RSS MB (mean/max)':>20}{'threads':>9}{'added CPU':>11}{'added RSS MB':>14}"
    )
    print(
        f"{'Failwatch disabled':<32}{baseline['cpu']:>18.1f}{baseline['rss']:>13.0f}/{baseline['rss_max']:<6.0f}"
        f"{baseline['threads']:>9}"
    )
    for name, figures in results.items():
        print(
            f"{name:<32}{figures['cpu']:>18.1f}{figures['rss']:>13.0f}/{figures['rss_max']:<6.0f}"
            f"{figures['threads']:>9}{figures['cpu'] - baseline['cpu']:>11.1f}"
            f"{figures['rss'] - baseline['rss']:>14.0f}"
        )
        counters = figures["status"]["counters"]
        print(
            f"{'':<32}model calls in the window: {counters['calls']}, errors: {counters['errors']}, "
            f"state: {figures['status']['state']}"
        )


if __name__ == "__main__":
    main()
