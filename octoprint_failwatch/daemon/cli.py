"""The `failwatch` command: the standalone daemon and its tools, configured by environment variables.

    failwatch            watch the camera until SIGTERM/SIGINT (with TEST_MODE=true: wait, do nothing)
    failwatch once       run one cycle now and exit (the standalone tool's `process_frame()` one-liner)
    failwatch evaluate DATASET [--compare "k=v,..." ...] [--json OUT] [--latency S]
                         replay labelled timelapses through what ships, on a simulated clock (docs/evaluate.md)
    failwatch detect [--json] IMAGE...
                         run the on-device detector (LOCAL_DETECTOR, default printnanny) on your own photos
    failwatch incidents [--json]
                         the incidents kept in the data folder (DATA_FOLDER), newest first
    failwatch label INCIDENT not-a-failure|real-failure|none
                         your verdict on an incident; a running daemon learns it for the rest of that print

Variables keep the standalone tool's names and defaults (RTSP_URL, DISCORD_WEBHOOK_URL, AWS_REGION, AWS_ROLE_ARN,
INFERENCE_PROFILE_ARN, TEST_MODE, VERBOSE_LOGGING, APP_AWS_PROFILE, IMAGES_PER_SERIES,
INTERVAL_BETWEEN_IMAGES, MQTT_BROKER_URL, MQTT_TOPIC; credentials in /creds/credentials), and every
other setting of the plugin is read from its upper-case name (docs/settings.md lists them all).
With PRINTER_URL (moonraker://host:7125 or octoprint://host:5000, PRINTER_API_KEY) watching follows that
printer's prints and a confirmed failure is acted on through it (FAILURE_ACTION); without, there is no printer:
the camera is watched all the time and a confirmed failure is alerted, never acted on.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Mapping, Optional, Sequence

from ..config import from_environment
from ..redaction import SecretsFilter, secrets_of
from ..sources import describe_source
from .variables import EXIT_CONFIG, problems


def run_daemon(once: bool, environ: Mapping[str, str]) -> int:
    from .service import Daemon

    config, errors = from_environment(environ)
    # VERBOSE_LOGGING is Failwatch's own detail: the libraries' debug logs (botocore's request bodies and signed
    # headers, urllib3's URLs) stay quiet, and every line passes through the masking of the configured secrets
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout)
    for handler in logging.getLogger().handlers:
        handler.addFilter(SecretsFilter(secrets_of(config)))
    logger = logging.getLogger("failwatch")
    logger.setLevel(logging.DEBUG if config.verbose_logging else logging.INFO)
    lines = problems(config, errors)
    if lines:
        print("failwatch cannot start:\n  " + "\n  ".join(lines), file=sys.stderr)
        return EXIT_CONFIG
    daemon = Daemon(config, logger, environ)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: daemon.stopping.set())
    logger.info("failwatch: camera %s, model %s", describe_source(config), config.model_name)
    try:
        return daemon.run(once)
    finally:
        daemon.close()
        logger.info("failwatch stopped")


def main(argv: Optional[Sequence[str]] = None, environ: Mapping[str, str] = os.environ) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if command in ("evaluate", "detect", "incidents", "label"):
        from . import commands

        return getattr(commands, f"run_{command}")(rest, environ)
    if command not in ("", "once") or rest:
        print(__doc__, file=sys.stderr)
        return EXIT_CONFIG
    return run_daemon(command == "once", environ)
