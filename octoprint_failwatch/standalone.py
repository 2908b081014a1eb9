"""The standalone daemon: the same engine without OctoPrint, configured by environment variables.

    failwatch            watch the camera until SIGTERM/SIGINT (with TEST_MODE=true: wait, do nothing)
    failwatch once       run one cycle now and exit (the standalone tool's `process_frame()` one-liner)
    failwatch evaluate DATASET [--compare "k=v,..." ...] [--json OUT] [--latency S]
                         replay labelled timelapses through the detector and the engine (see evaluate.py)
    failwatch detect [--json] IMAGE...
                         run the on-device detector (LOCAL_DETECTOR, default printnanny) on your own photos

Variables keep the standalone tool's names and defaults (RTSP_URL, DISCORD_WEBHOOK_URL, AWS_REGION, AWS_ROLE_ARN,
INFERENCE_PROFILE_ARN, TEST_MODE, VERBOSE_LOGGING, APP_AWS_PROFILE, IMAGES_PER_SERIES,
INTERVAL_BETWEEN_IMAGES, MQTT_BROKER_URL, MQTT_TOPIC; credentials in /creds/credentials), and every
other setting of the plugin is read from its upper-case name (see the README).
With PRINTER_URL (moonraker://host:7125 or octoprint://host:5000, PRINTER_API_KEY) watching follows that
printer's prints and a confirmed failure is acted on through it (FAILURE_ACTION); without, there is no printer:
the camera is watched all the time and a confirmed failure is alerted, never acted on.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import sys
import threading
from typing import Mapping, Optional, Sequence

from .analysis import DailySpend, make_analyser
from .analysis.local_model import DetectorSlot, default_cache
from .config import FIELDS_BY_KEY, FailwatchConfig, from_environment
from .engine.engine import BEAT_SECONDS, Engine, SystemClock
from .engine.events import Analysed, EngineEvent
from .engine.model_calls import DaemonThreadExecutor
from .engine.watch import Watch
from .follow_printer import PrinterFollower
from .outcomes.actions import PrintAction
from .outcomes.alerts import Identity, make_channels
from .outcomes.dispatch import Dispatcher, NotifyOnly
from .printers import make_printer
from .redaction import mask_url
from .sources import describe_source, make_camera

ONCE_LIMIT = 15 * 60.0
EXIT_CONFIG = 2


def variable_errors(errors: Mapping[str, str]) -> list[str]:
    """Bad settings as lines naming their environment variables."""
    return [f"{FIELDS_BY_KEY[key].env}: {message}" for key, message in errors.items()]


def problems(config: FailwatchConfig, errors: dict[str, str]) -> list[str]:
    """Everything that keeps the daemon from starting, as lines naming the variables."""
    lines = variable_errors(errors)
    missing = []
    from_printer = config.camera_source == "printer" and (config.printer_url or "printer_url" in errors)
    if not (config.rtsp_url or config.snapshot_url or config.mjpeg_url or "rtsp_url" in errors or from_printer):
        missing.append("RTSP_URL (or PRINTER_URL for the printer's camera)" if config.camera_source == "printer"
                       else "RTSP_URL")
    missing += [FIELDS_BY_KEY[key].env for key in config.missing_model_settings()]
    if missing:
        lines.insert(0, "missing required environment variables: " + ", ".join(missing))
    return lines


class Daemon:
    """The engine, its camera and the alert channels; with a printer (PRINTER_URL) a watch per print that
    follows it, and the action on a confirmed failure taken through it."""

    def __init__(self, config: FailwatchConfig, logger: logging.Logger):
        self.config = config
        self.logger = logger
        self.clock = SystemClock()
        self.stopping = threading.Event()
        self.printer = make_printer(config, logger)
        camera_urls = self.printer.camera_urls if self.printer is not None else None
        self.new_camera = lambda: make_camera(config, self.clock, printer_camera=camera_urls)
        self.camera = camera = self.new_camera()  # the standalone tool's camera; alerts take their snapshot here
        self.spend = DailySpend()
        self.detector = DetectorSlot(default_cache(), logger)  # fetched and loaded on a thread; watching goes on
        self.detector.configure(config)
        self.analyse = make_analyser(config, self.clock, self.spend, self.detector)
        name = os.environ.get("PRINTER_NAME") or socket.gethostname()
        # INSTANCE_ID names this daemon on MQTT; by default its printer's (or host's) name, made topic-safe
        instance = config.instance_id or re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_") or "failwatch"
        self.channels = make_channels(config, Identity.of(instance[:32], name, config.mqtt_topic), logger)
        self.action = PrintAction(lambda: config, logger, self.printer) if self.printer is not None else NotifyOnly()
        job = self.printer.job if self.printer is not None else (lambda: {})
        self.dispatcher = Dispatcher(config, self.channels, self.action, None, lambda: name, job=job,
                                     snapshot=lambda: camera().jpeg, spend=self.spend, logger=logger)
        self.model_calls = DaemonThreadExecutor("failwatch-model")
        self.captures = DaemonThreadExecutor("failwatch-camera")
        self.engine = self.make_engine(camera)  # without a printer: the one engine, watching all the time
        self.watch = Watch(self.make_engine, self.new_camera, BEAT_SECONDS, logger)

    def make_engine(self, camera) -> Engine:
        return Engine(self.config, camera, self.analyse, self.model_calls, self.on_event, self.clock, self.logger,
                      camera_executor=self.captures, start_spread=1.0, detector=self.detector)

    def on_event(self, event: EngineEvent) -> None:
        if isinstance(event, Analysed):
            verdict = event.verdict
            self.logger.info("verdict: %s (%.0f%%) %s", "FAILED" if verdict.print_failed else "ok",
                             verdict.confidence * 100, verdict.explanation)
        self.dispatcher.handle(event)

    def run(self, once: bool) -> int:
        if self.config.test_mode and not once:
            self.logger.info("TEST_MODE: waiting; run `failwatch once` to analyse one cycle")
            self.stopping.wait()
            return 0
        if once:
            self.engine.run_test(self.stopping, BEAT_SECONDS, ONCE_LIMIT)
            return 0
        if self.printer is not None:  # watching follows the printer's prints
            self.logger.info("failwatch: following the printer at %s (%s)", mask_url(self.config.printer_url),
                             self.printer.name)
            PrinterFollower(self.printer, self.watch, self.action, lambda: self.config, self.clock,
                            self.logger).start()
            self.stopping.wait()
            return 0
        self.engine.start()
        self.engine.run(self.stopping, BEAT_SECONDS)
        return 0

    def close(self) -> None:
        self.engine.stop()
        self.watch.close()
        if self.printer is not None:
            self.printer.close()
        self.channels.close()
        close_camera = getattr(self.camera, "close", None)
        if close_camera:  # an RTSP reader must release its stream before the interpreter exits
            close_camera()


def run_evaluate(args: Sequence[str], environ: Mapping[str, str]) -> int:
    import argparse
    import json
    from pathlib import Path

    from .config import raw_from_environment
    from .evaluate import evaluate, parse_group, print_table

    parser = argparse.ArgumentParser(prog="failwatch evaluate")
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--compare", nargs="+", default=[""], metavar="SETTINGS")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--latency", type=float, help="simulated seconds per model call (default: measured)")
    options = parser.parse_args(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        report = evaluate(options.dataset, raw_from_environment(environ),
                          [parse_group(group) for group in options.compare], options.latency)
    except (OSError, ValueError, KeyError) as exc:
        print(f"failwatch evaluate: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print_table(report)
    if options.json:
        options.json.write_text(json.dumps(report, indent=1))
    return 0


def run_detect(args: Sequence[str], environ: Mapping[str, str]) -> int:
    """The on-device detector on the user's own photos: one line per image (JSON with --json)."""
    import argparse
    import dataclasses
    import json
    from pathlib import Path

    from .analysis.local_detector import DetectorUnavailable
    from .analysis.local_model import load_detector
    from .analysis.verdict import AnalysisError

    parser = argparse.ArgumentParser(prog="failwatch detect")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("images", nargs="+", type=Path)
    options = parser.parse_args(args)
    config, errors = from_environment({"LOCAL_DETECTOR": "printnanny", **environ})
    if errors:
        print("failwatch detect: " + "; ".join(variable_errors(errors)), file=sys.stderr)
        return EXIT_CONFIG
    if not config.detector_on:
        config = dataclasses.replace(config, local_detector="printnanny")
    try:
        detector = load_detector(config, default_cache())
    except DetectorUnavailable as exc:
        print(f"failwatch detect: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    failed_to_read = 0
    for image in options.images:
        try:
            detection = detector.inspect(image.read_bytes(), config.roi)
        except (OSError, AnalysisError) as exc:
            failed_to_read += 1
            print(f"failwatch detect: {image}: {exc}", file=sys.stderr)
            continue
        line = {"image": str(image), "failed": detection.flagged, "score": round(detection.score, 4),
                "label": detection.label, "ms": round(detection.ms, 1)}
        print(json.dumps(line) if options.json else
              f"{image}: {'FAILED' if detection.flagged else 'ok'}  {detection.words()}  ({detection.ms:.0f} ms)")
    return 1 if failed_to_read else 0


def main(argv: Optional[Sequence[str]] = None, environ: Mapping[str, str] = os.environ) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["evaluate"]:
        return run_evaluate(args[1:], environ)
    if args[:1] == ["detect"]:
        return run_detect(args[1:], environ)
    if args[:1] not in ([], ["once"]):
        print(__doc__, file=sys.stderr)
        return EXIT_CONFIG
    config, errors = from_environment(environ)
    logging.basicConfig(level=logging.DEBUG if config.verbose_logging else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout)
    logger = logging.getLogger("failwatch")
    lines = problems(config, errors)
    if lines:
        print("failwatch cannot start:\n  " + "\n  ".join(lines), file=sys.stderr)
        return EXIT_CONFIG
    daemon = Daemon(config, logger)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: daemon.stopping.set())
    logger.info("failwatch: camera %s, model %s", describe_source(config), config.model_name)
    try:
        return daemon.run(once=args[:1] == ["once"])
    finally:
        daemon.close()
        logger.info("failwatch stopped")
