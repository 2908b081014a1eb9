"""Demo RTSP camera: a GStreamer RTSP server, run with Debian's python3 (python3-gi), not the venv.

Source `mjpeg`: the demo camera's MJPEG stream (the synthetic printer scene, switchable to
failed, frozen, black), re-encoded to H.264. Source `testsrc`: GStreamer's moving test pattern
at any size and rate, for CPU measurements (each new connection starts it afresh, so its first
frames repeat: not for frozen-picture checks). One shared pipeline keeps running, so a client that
connects gets the live picture at once.
Prints "ready rtsp://..." on stdout once it listens. Run:
  /usr/bin/python3 demo/rtsp_server.py --port 8554 --mjpeg http://127.0.0.1:8081/stream.mjpg
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# zerolatency turns x264's sliced threads on: a frame in as many slices as encoder threads, as many cameras send
ENCODE = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop}{slices} ! rtph264pay name=pay0 pt=96"


def launch_line(args) -> str:
    if args.mjpeg:
        source = (
            f"souphttpsrc location={args.mjpeg} is-live=true do-timestamp=true ! multipartdemux ! "
            "jpegdec ! videoconvert"
        )
        gop = 10 * args.keyframe_seconds if args.keyframe_seconds else 10
    else:
        speed = 0 if args.still else 2
        source = (
            f"videotestsrc is-live=true pattern=smpte horizontal-speed={speed} ! "
            f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 ! videoconvert"
        )
        gop = args.fps * (args.keyframe_seconds or 1)
    slices = f" threads={args.slices} option-string=slices={args.slices}" if args.slices else ""
    return f"( {source} ! {ENCODE.format(gop=gop, slices=slices)} )"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--path", default="/printer")
    parser.add_argument("--mjpeg", default="")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument(
        "--keyframe-seconds", type=int, default=0, help="seconds between keyframes, as cameras send them (default: 1)"
    )
    parser.add_argument("--slices", type=int, default=0, help="slices per frame (default: x264's, one per thread)")
    parser.add_argument("--still", action="store_true", help="testsrc: the pattern does not move")
    parser.add_argument("--user", default="", help="with --password: a login (Basic), as most cameras have")
    parser.add_argument("--password", default="")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args))
    factory.set_shared(True)  # one running pipeline: a new client gets the live picture at once
    factory.set_stop_on_disconnect(False)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "viewer")  # RTSP_TOKEN_MEDIA_FACTORY_ROLE
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        factory.add_role_from_structure(
            Gst.Structure.new_from_string(
                "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )
        )
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on port {args.port}")
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print(f"ready rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
