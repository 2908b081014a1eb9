"""RTSP frame age and CPU cost: Failwatch's reader vs a keep-alive decoder vs a naive open-once reader.

Age: the demo scene (1280x720, 10 fps) stamps its clock into every frame; age = scene time now minus
the time in the frame handed over. CPU: GStreamer's 1080p/30 fps test pattern (servers run in other
processes, so this process's CPU time is the reader's alone), one capture every 10 s as at the default interval.
Run: .venv/bin/python -m bench.camera [--seconds 60]
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from statistics import median

import cv2

from demo.camera_server import CameraServer
from demo.rtsp_camera import RtspCamera as RtspServer
from demo.scene import read_stamp
from octoprint_failwatch.engine.engine import SystemClock
from octoprint_failwatch.sources import MjpegCamera, SnapshotCamera
from octoprint_failwatch.sources.rtsp import RtspCamera, open_stream

INTERVAL = 10.0


def encode(image) -> bytes:
    return cv2.imencode(".jpg", image)[1].tobytes()


class OpenOnce:
    """The naive reader: open once, `read()` when a frame is wanted (gets what FFmpeg buffered)."""

    def __init__(self, url: str):
        self.capture = open_stream(url, "tcp", 10000)

    def __call__(self) -> bytes:
        return encode(self.capture.read()[1])

    def close(self):
        self.capture.release()


class KeepAlive:
    """Decodes every frame all the time and hands over the newest."""

    def __init__(self, url: str):
        self.capture = open_stream(url, "tcp", 10000)
        self.latest = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            ok, image = self.capture.read()
            if ok:
                self.latest = image

    def __call__(self) -> bytes:
        while self.latest is None:
            time.sleep(0.01)
        return encode(self.latest)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.capture.release()


def failwatch(url: str):
    """Failwatch's reader as the engine drives it between regular frames: capture, then release the stream."""
    camera = RtspCamera(url, "tcp", 10, SystemClock())

    def capture() -> bytes:
        jpeg = camera().jpeg
        camera.release()  # the engine's call when no frame is due within 1.5 s
        return jpeg

    capture.close = camera.close
    return capture


def run(reader, seconds: float, scene: CameraServer = None) -> dict:
    """Captures every INTERVAL seconds; returns CPU % of one core, median/max frame age and capture time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before, started = usage.ru_utime + usage.ru_stime, time.monotonic()
    ages, durations = [], []
    while time.monotonic() - started < seconds:
        called = time.monotonic()
        jpeg = reader()
        durations.append(time.monotonic() - called)
        if scene is not None:
            ages.append(time.monotonic() - scene.started - read_stamp(jpeg))
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - called)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime + usage.ru_stime - cpu_before) / (time.monotonic() - started) * 100
    return {
        "cpu": cpu,
        "age_median": median(ages) if ages else None,
        "age_max": max(ages) if ages else None,
        "capture": median(durations),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    results: dict[str, dict] = {}
    pattern = RtspServer("--width", "1920", "--height", "1080", "--fps", "30").start()
    try:
        for name, make in (("failwatch", failwatch), ("keep-alive decoder", KeepAlive), ("naive open-once", OpenOnce)):
            reader = make(pattern.url)
            results[name] = {"cpu_1080p30": run(reader, args.seconds)["cpu"]}
            getattr(reader, "close", lambda: None)()
    finally:
        pattern.stop()

    scene = CameraServer(fps=10).start()
    stream = RtspServer("--mjpeg", scene.stream_url).start()
    try:
        for name, make in (("failwatch", failwatch), ("keep-alive decoder", KeepAlive), ("naive open-once", OpenOnce)):
            reader = make(stream.url)
            results[name].update(run(reader, args.seconds, scene))
            getattr(reader, "close", lambda: None)()
        for name, source in (
            ("snapshot URL", SnapshotCamera(scene.url, 10, SystemClock())),
            ("MJPEG URL", MjpegCamera(scene.stream_url, 10, SystemClock())),
        ):
            results[name] = run(lambda source=source: source().jpeg, args.seconds, scene)
            results[name]["cpu_1080p30"] = None
    finally:
        stream.stop()
        scene.stop()

    print(
        f"Frame sources, one capture every {INTERVAL:g} s, {args.seconds:g} s each "
        f"({time.strftime('%Y-%m-%d')}, {cpu_count()} cores)\n"
    )
    print(f"{'source':<20}{'CPU % (1080p30 RTSP)':>22}{'frame age median':>18}{'frame age max':>15}{'capture s':>11}")
    for name, figures in results.items():
        cpu = f"{figures['cpu_1080p30']:.1f}" if figures.get("cpu_1080p30") is not None else "–"
        print(
            f"{name:<20}{cpu:>22}{figures['age_median']:>17.2f}s{figures['age_max']:>14.2f}s{figures['capture']:>11.2f}"
        )


def cpu_count() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
