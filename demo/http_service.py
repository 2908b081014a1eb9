"""A threaded HTTP server on loopback that starts and stops cleanly: the base of the demo and test servers."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HttpService:
    def __init__(
        self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0, name: str = "http-service"
    ):
        # headers and body are separate writes: with Nagle's algorithm the body would wait for the client's
        # delayed ACK, 40 ms on every request — a slow server that no real service is
        handler.disable_nagle_algorithm = True
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self.host, self.port = host, self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=name, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def serve_until_interrupted(self, message: str) -> None:
        """For `python -m demo.…`: start, say where, run until Ctrl-C."""
        self.start()
        print(message, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stop()
