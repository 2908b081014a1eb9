"""`make run`: OctoPrint with Failwatch, the virtual printer, the demo camera and a local stand-in for Bedrock.

Everything listens on localhost. The plugin is pointed at the demo camera and the local model the
first time; change the settings to use your own camera and AWS Bedrock.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from demo.camera_server import CameraServer
from demo.model_server import ModelServer
from demo.octoprint_instance import OctoPrintServer, long_gcode, wait_for
from demo.rtsp_camera import RtspCamera

DEMO_MODEL = "us.amazon.nova-lite-v1:0"
DEMO_GCODE = "failwatch_demo.gcode"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000, help="OctoPrint's port")
    parser.add_argument("--camera-port", type=int, default=8081)
    parser.add_argument("--model-port", type=int, default=8082)
    parser.add_argument("--rtsp-port", type=int, default=8554)
    parser.add_argument("--basedir", default=".run/octoprint")
    args = parser.parse_args()

    camera = CameraServer(port=args.camera_port).start()
    model = ModelServer(port=args.model_port).start()
    rtsp = RtspCamera("--mjpeg", camera.stream_url, port=args.rtsp_port)
    try:
        rtsp.start()
    except (OSError, AssertionError) as exc:  # GStreamer missing: the HTTP demo camera still works
        print(f"demo RTSP camera not started: {exc}")
        rtsp = None
    octoprint = OctoPrintServer(
        Path(args.basedir),
        {
            "snapshot_url": camera.url,
            "inference_profile_arn": DEMO_MODEL,
            "bedrock_endpoint_url": model.url,
            "aws_access_key_id": "AKIADEMO",
            "aws_secret_access_key": "demo-secret",
            "warmup_minutes": 0,  # the demo print shows its state at once
        },
        port=args.port,
        admin_password="admin",
        api_keys=False,
        event_log=False,
    )
    octoprint.prepare()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        octoprint.start()
        octoprint.login("admin", "admin")
        # connected first: a file selected before the printer is connected is not shown as loaded
        octoprint.connect_printer()
        octoprint.upload(DEMO_GCODE, long_gcode(30 * 60), select=True)  # 30 min printing; OctoPrint estimates ~40
        wait_for(
            lambda: (
                (octoprint.api("GET", "/api/job").json().get("job") or {}).get("file", {}).get("name") == DEMO_GCODE
            ),
            30,
            "the demo print to be loaded",
        )
        print(f"\nOctoPrint with Failwatch: {octoprint.url}  (login: admin / admin)")
        print(f"Demo camera: {camera.url} (MJPEG {camera.stream_url}" + (f", RTSP {rtsp.url})" if rtsp else ")"))
        print(f"Switch the demo camera's scene (healthy, failed, frozen, black…): http://127.0.0.1:{camera.port}/")
        print(f"OctoPrint's own log: {octoprint.basedir}/logs/octoprint.log")
        print(
            f"The virtual printer is connected and {DEMO_GCODE} is loaded: press Print. Ctrl-C stops everything.\n",
            flush=True,
        )
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        octoprint.stop()
        if rtsp:
            rtsp.stop()
        camera.stop()
        model.stop()


if __name__ == "__main__":
    main()
