"""A local Discord webhook: records multipart posts, answers from a script (429 with retry_after, 500, ...)."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler

from demo.http_service import HttpService


class WebhookReceiver(HttpService):
    def __init__(self, port: int = 0):
        self.messages: list[dict] = []  # delivered (answered 200)
        self.attempts = 0
        self.script: list[tuple[int, dict]] = []  # answers to give before 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.attempts += 1
                if receiver.script:
                    code, answer = receiver.script.pop(0)
                    return self._reply(code, answer)
                receiver.messages.append(receiver.parse(self.headers.get("Content-Type", ""), body, self.path))
                self._reply(200, {"id": str(len(receiver.messages))})

            def _reply(self, code, answer):
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler, port=port, name="webhook-receiver")
        self.url = f"http://127.0.0.1:{self.port}/api/webhooks/42/receiver-token"

    @staticmethod
    def parse(content_type: str, body: bytes, path: str) -> dict:
        if content_type.startswith("application/json"):
            return {"path": path, "payload": json.loads(body), "files": {}}
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        parsed = {"path": path, "payload": None, "files": {}}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "payload_json":
                parsed["payload"] = json.loads(part.get_content())
            else:
                parsed["files"][name] = part.get_payload(decode=True)
        return parsed
