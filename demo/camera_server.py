"""Demo camera: an HTTP snapshot endpoint showing the synthetic printer scene, switchable at run time.

GET  /                  a page with a live view and one button per scene
GET  /snapshot.jpg      a fresh JPEG of the scene
GET  /stream.mjpg       the scene as an MJPEG stream (multipart/x-mixed-replace)
POST /mode?set=healthy  switch to healthy | failed | black | frozen | html | error | down
`show_photos(jpegs)` serves real photos instead of the scene, one after the other (mode "photos").
Run: python -m demo.camera_server --port 8081
"""

from __future__ import annotations

import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from demo.http_service import HttpService
from demo.scene import encode_jpeg, render

MODES = {  # what each scene is for, as the page says it
    "healthy": "a print going well",
    "failed": "spaghetti: tangled orange strands (a failure)",
    "leftover": "an empty plate but for a part an earlier print left on it (the bed check's alarm)",
    "black": "a black picture (lens covered, lights off)",
    "frozen": "the picture stops changing (a frozen stream)",
    "html": "the camera answers with a web page instead of a JPEG",
    "error": "the camera answers HTTP 500",
    "down": "the camera closes every connection",
}
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Failwatch demo camera</title>
<style>body{{font-family:sans-serif;margin:2em}}button{{margin:.2em;padding:.5em 1em}}
.on{{font-weight:bold;border:2px solid #2e7d32}}img{{max-width:640px;display:block;margin:1em 0}}</style></head>
<body><h1>Failwatch demo camera</h1><p>Now showing: <b id="mode">{mode}</b></p>{buttons}
<img src="/stream.mjpg" alt="live view">
<p>Snapshot URL: <code>/snapshot.jpg</code> · MJPEG: <code>/stream.mjpg</code></p>
<script>function set(mode){{fetch('/mode?set='+mode,{{method:'POST'}}).then(()=>location.reload())}}</script>
</body></html>"""


class CameraServer(HttpService):
    """Runs in a thread; `mode` can be changed directly by tests or over HTTP."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: str = "healthy",
        size: tuple[int, int] = (1280, 720),
        fps: float = 10.0,
    ):
        self.mode = mode
        self.size = size
        self.fps = fps
        self.requests = 0
        self._frozen: bytes = b""
        self._photos: list[bytes] = []
        self._next_photo = 0
        self.stopping = threading.Event()
        self.started = time.monotonic()  # scene time 0 (the stamp in each frame counts from here)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests += 1
                path = urlsplit(self.path).path
                if path == "/":
                    return self._reply(200, server.page().encode(), "text/html; charset=utf-8")
                if path == "/stream.mjpg":
                    return self._stream()
                if path != "/snapshot.jpg":
                    return self._reply(404, b"not found", "text/plain")
                mode = server.mode
                if mode == "down":
                    self.connection.close()
                    return
                if mode == "html":
                    return self._reply(200, b"<html><body>login required</body></html>", "text/html")
                if mode == "error":
                    return self._reply(500, b"camera error", "text/plain")
                self._reply(200, server.snapshot(), "image/jpeg")

            def do_POST(self):
                query = parse_qs(urlsplit(self.path).query)
                mode = query.get("set", [""])[0]
                if mode not in MODES:
                    text = f"unknown mode {mode!r}: use one of " + ", ".join(MODES)
                    return self._reply(400, text.encode(), "text/plain")
                server.set_mode(mode)
                self._reply(200, mode.encode(), "text/plain")

            def _stream(self):
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    while not server.stopping.is_set() and server.mode != "down":
                        jpeg = server.snapshot()
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                            + str(len(jpeg)).encode()
                            + b"\r\n\r\n"
                            + jpeg
                            + b"\r\n"
                        )
                        server.stopping.wait(1.0 / server.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _reply(self, code: int, body: bytes, content_type: str):
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler, host, port, "demo-camera")
        self.url = f"http://{host}:{self.port}/snapshot.jpg"
        self.stream_url = f"http://{host}:{self.port}/stream.mjpg"

    def page(self) -> str:
        buttons = "".join(
            f'<button class="{"on" if mode == self.mode else ""}" title="{what}" '
            f"onclick=\"set('{mode}')\">{mode}</button>"
            for mode, what in MODES.items()
        )
        return PAGE.format(mode=f"{self.mode} — {MODES.get(self.mode, 'real photos, in turn')}", buttons=buttons)

    def set_mode(self, mode: str) -> None:
        if mode == "frozen":
            self._frozen = self.snapshot()
        self.mode = mode

    def show_photos(self, photos: list[bytes]) -> None:
        """Serves these JPEGs in turn from now on (two or more: a real camera's picture changes)."""
        self._photos, self._next_photo = list(photos), 0
        self.mode = "photos"

    def snapshot(self) -> bytes:
        if self.mode == "frozen" and self._frozen:
            return self._frozen
        if self.mode == "photos" and self._photos:
            photo = self._photos[self._next_photo % len(self._photos)]
            self._next_photo += 1
            return photo
        scene = self.mode if self.mode in ("failed", "black", "leftover") else "healthy"
        return encode_jpeg(render(scene, time.monotonic() - self.started, *self.size))

    def stop(self) -> None:
        self.stopping.set()  # ends the MJPEG streams
        super().stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=10.0)
    args = parser.parse_args()
    server = CameraServer(args.host, args.port, size=(args.width, args.height), fps=args.fps)
    server.serve_until_interrupted(f"demo camera at {server.url}")


if __name__ == "__main__":
    main()
