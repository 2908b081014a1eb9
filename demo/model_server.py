"""A local stand-in for AWS: Bedrock's Converse API and STS AssumeRole, with fault injection.

Real boto3 talks to it through `endpoint_url`. By default it "sees" the demo scene: a series is a
failure when its newest frame shows the orange strands. Tests can force verdicts, queue faults
(throttling, 5xx, expired token, access denied, malformed output, max_tokens, text, hang) and read
what each request carried (access key, images, sizes). `usage` is counted, not made up: images like
Claude (width x height / 750, at most 1600 each), text at about 4 characters a token (prompts, labels,
the tool's schema), the answer the same way — and the answer holds just the fields the schema asks for.
With `quota` set it enforces an account's per-minute quotas (`AccountQuota`) and throttles beyond them.
Run: python -m demo.model_server --port 8082
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Callable, Optional
from urllib.parse import parse_qs, unquote

import cv2
import numpy as np

from demo.http_service import HttpService
from demo.scene import shows_failure, shows_leftover

TOOL = "report_print_status"
BED_TOOL = "report_build_plate"  # the bed check's question
ERRORS = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "5xx": (500, "InternalServerException", "The server encountered an internal error."),
    "unavailable": (503, "ServiceUnavailableException", "Service is unavailable."),
    "expired": (403, "ExpiredTokenException", "The security token included in the request is expired"),
    "denied": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "model_timeout": (408, "ModelTimeoutException", "Model has timed out in processing the request."),
    "no_tool_choice": (
        400,
        "ValidationException",
        "This model doesn't support the toolConfig.toolChoice.tool "
        "field. Remove toolConfig.toolChoice.tool and try again.",
    ),
}


def _text_tokens(*parts) -> int:
    """About four characters a token, over every text the model reads: prompts, labels, the tool's schema."""
    return math.ceil(sum(len(part if isinstance(part, str) else json.dumps(part)) for part in parts) / 4)


def _answer(properties, failed, explanation: str) -> dict:
    """The answer a model gives: the fields the requested schema asks for, nothing more. `failed` is a
    bool, or the whole answer (a forced verdict such as a look-alike: failed, 0.7, spaghetti)."""
    if isinstance(failed, dict):
        full = {"explanation": explanation, **failed}
    else:
        full = {
            "print_failed": failed,
            "confidence": 0.92 if failed else 0.08,
            "failure_type": "spaghetti" if failed else "none",
            "explanation": explanation,
        }
    return {key: value for key, value in full.items() if not properties or key in properties}


def _tokens_for(jpeg: bytes) -> int:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return 0
    height, width = image.shape[:2]
    return min(1600, math.ceil(width * height / 750))


class AccountQuota:
    """One model's per-minute quotas of an AWS account, shared by every client of the server: requests, and
    tokens (input + output) in any 60 s. As Bedrock does, a request must fit its input tokens plus its
    `maxTokens` into what is left of the minute to be admitted (the reservation is settled to what the
    answer used at once: answers here take no time); a refused request counts against neither quota.
    `clock` is anything with `monotonic()`, so a simulated farm runs on simulated minutes."""

    WINDOW = 60.0

    def __init__(self, requests_per_minute: float, tokens_per_minute: float, clock):
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.clock = clock
        self.admitted: list[list] = []  # [time, tokens] of each admitted request (tokens settled)
        self.throttled: list[float] = []  # when each refused one came
        self._window: deque = deque()  # [time, tokens] of the admitted requests of the last minute
        self._tokens = 0
        self._lock = threading.Lock()

    def admit(self, reserve_tokens: int) -> Optional[list]:
        """The admitted request's entry (for `settle`), or None: throttled."""
        with self._lock:
            now = self.clock.monotonic()
            while self._window and self._window[0][0] <= now - self.WINDOW:
                self._tokens -= self._window.popleft()[1]
            if (
                len(self._window) + 1 > self.requests_per_minute
                or self._tokens + reserve_tokens > self.tokens_per_minute
            ):
                self.throttled.append(now)
                return None
            entry = [now, reserve_tokens]
            self._window.append(entry)
            self._tokens += reserve_tokens
            self.admitted.append(entry)
            return entry

    def settle(self, entry: list, used_tokens: int) -> None:
        with self._lock:
            self._tokens += used_tokens - entry[1]
            entry[1] = used_tokens


class ModelServer(HttpService):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.verdict = "scene"  # scene | healthy | failed | an answer (dict) given to every request
        self.plate = (
            "scene"  # the bed check's answer: scene (objects if the leftover part shows) | clear | objects | cannot_see
        )
        self.judge: Optional[Callable[[bytes], bool]] = None  # "scene" on real photos: failed from the newest image
        self.false_positive_rate = 0.0  # share of healthy series wrongly called failed (repeatable)
        self.restart_false_alarms(5)
        self.faults: list[str] = []  # consumed one per Converse request
        self.hang_seconds = 30.0
        self.latency = 0.0  # seconds every Converse answer takes, like a real model's
        self.quota: Optional[AccountQuota] = None  # an account's per-minute quotas, when set
        self.forced_tool_choice = True  # False: like a vision model that refuses toolChoice (answers JSON in text)
        self.expired_keys: set[str] = set()
        self.chat_api_key = ""  # when set, /v1/chat/completions wants this bearer token
        self.chat_requests: list[dict] = []
        self.denied_roles: set[str] = set()
        self.converse_requests: list[dict] = []
        self.assume_role_requests: list[dict] = []
        self._lock = threading.Lock()
        self._session_counter = 0
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                access_key = _access_key(self.headers.get("Authorization", ""))
                if self.path == "/v1/chat/completions":
                    bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    code, payload = server.chat(json.loads(body or b"{}"), bearer)
                    self._reply(code, json.dumps(payload).encode(), "application/json", {})
                elif self.path.startswith("/model/") and self.path.endswith("/converse"):
                    model_id = unquote(self.path[len("/model/") : -len("/converse")])
                    code, payload, headers = server.converse(model_id, json.loads(body or b"{}"), access_key)
                    self._reply(code, json.dumps(payload).encode(), "application/json", headers)
                elif self.path == "/":
                    code, xml = server.assume_role(parse_qs(body.decode()), access_key)
                    self._reply(code, xml.encode(), "text/xml", {})
                else:
                    self._reply(404, b"{}", "application/json", {})

            def _reply(self, code, body, content_type, headers):
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-amzn-RequestId", "local-1")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler, host, port, "demo-model")
        self.url = f"http://{host}:{self.port}"

    # ----- Converse -----

    def converse(self, model_id: str, request: dict, access_key: str):
        content = (request.get("messages") or [{}])[0].get("content", [])
        images = [base64.b64decode(block["image"]["source"]["bytes"]) for block in content if "image" in block]
        record = {
            "model_id": model_id,
            "access_key": access_key,
            "images": images,
            "texts": [block["text"] for block in content if "text" in block],
            "tool_choice": request.get("toolConfig", {}).get("toolChoice"),
            "temperature": request.get("inferenceConfig", {}).get("temperature"),
            "time": time.monotonic(),
            # the quick question is the one about "this frame" alone
            "quick": "in this frame" in "".join(block.get("text", "") for block in request.get("system", [])),
            # the bed check's look as a print starts, not the watch's
            "bed": any(
                t.get("toolSpec", {}).get("name") == BED_TOOL for t in request.get("toolConfig", {}).get("tools", [])
            ),
        }
        with self._lock:
            self.converse_requests.append(record)
            fault = self.faults.pop(0) if self.faults else None
        if access_key in self.expired_keys:
            fault = "expired"
        input_tokens = sum(_tokens_for(image) for image in images) + _text_tokens(
            *[block.get("text", "") for block in request.get("system", [])],
            *record["texts"],
            request.get("toolConfig", {}),
        )
        admitted = None
        if self.quota is not None and fault is None:
            reserve = input_tokens + int(request.get("inferenceConfig", {}).get("maxTokens") or 4096)
            admitted = self.quota.admit(reserve)
            if admitted is None:
                fault = "throttle"
        if fault == "hang":
            self._stopping.wait(self.hang_seconds)
        elif self.latency:
            self._stopping.wait(self.latency)
        if not self.forced_tool_choice and request.get("toolConfig", {}).get("toolChoice"):
            fault = "no_tool_choice"
        if fault in ERRORS:
            status, code, message = ERRORS[fault]
            return status, {"message": message}, {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"}
        tools = request.get("toolConfig", {}).get("tools") or [{}]
        tool = tools[0].get("toolSpec", {}).get("name", TOOL)
        schema = tools[0].get("toolSpec", {}).get("inputSchema", {}).get("json", {})
        if tool == BED_TOOL:
            failed = self._plate(images)
            tool_input = dict(failed)
        else:
            failed = self._decide(images)
            failing = failed.get("print_failed") if isinstance(failed, dict) else failed
            tool_input = _answer(
                schema.get("properties"),
                failed,
                "Tangled strands of filament around the part." if failing else "The part is building normally.",
            )
        stop_reason = "tool_use"
        blocks = [{"toolUse": {"toolUseId": "t1", "name": tool, "input": tool_input}}]
        if fault == "malformed":
            blocks[0]["toolUse"]["input"] = {"print_failed": "yes", "confidence": "high"}
        elif fault == "max_tokens":
            stop_reason = "max_tokens"
        elif fault == "text":
            blocks, stop_reason = [{"text": "The print looks failed to me."}], "end_turn"
        elif isinstance(fault, str) and fault.startswith("explain:"):
            blocks[0]["toolUse"]["input"]["explanation"] = fault[len("explain:") :]
        if "toolConfig" not in request:  # no tools offered: the answer comes as JSON in text
            properties = json.loads(record["texts"][-1].split(": ", 1)[1]) if record["texts"] else None
            tool_input = _answer(properties, failed, tool_input.get("explanation", ""))
            blocks, stop_reason = [{"text": "Here is my assessment: " + json.dumps(tool_input)}], "end_turn"
        output_tokens = _text_tokens(tool_input)
        if admitted is not None:
            self.quota.settle(admitted, input_tokens + output_tokens)
        return (
            200,
            {
                "output": {"message": {"role": "assistant", "content": blocks}},
                "stopReason": stop_reason,
                "usage": {
                    "inputTokens": input_tokens,
                    "outputTokens": output_tokens,
                    "totalTokens": input_tokens + output_tokens,
                },
                "metrics": {"latencyMs": 5},
            },
            {},
        )

    @property
    def watch_requests(self) -> list[dict]:
        """The watch's Converse requests: every one but the bed checks' as prints start."""
        with self._lock:
            return [record for record in self.converse_requests if not record["bed"]]

    # ----- OpenAI-compatible chat completions -----

    def chat(self, request: dict, bearer: str):
        content = request.get("messages", [{}, {}])[-1].get("content", [])
        images = [
            base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
            for part in content
            if isinstance(part, dict) and part.get("type") == "image_url"
        ]
        with self._lock:
            self.chat_requests.append({"api_key": bearer, "images": images, "request": request})
            fault = self.faults.pop(0) if self.faults else None
        if self.chat_api_key and bearer != self.chat_api_key:
            return 401, {"error": {"message": "invalid api key"}}
        if fault == "hang":
            self._stopping.wait(self.hang_seconds)
        if fault in ERRORS:
            return ERRORS[fault][0], {"error": {"message": ERRORS[fault][2]}}
        failed = self._decide(images)
        schema = request.get("response_format", {}).get("json_schema", {}).get("schema", {})
        failing = failed.get("print_failed") if isinstance(failed, dict) else failed
        answer = _answer(
            schema.get("properties"),
            failed,
            "Tangled strands of filament." if failing else "The part is building normally.",
        )
        text = json.dumps(answer) if fault != "malformed" else "I think it failed"
        texts = [m["content"] for m in request.get("messages", []) if isinstance(m.get("content"), str)]
        texts += [part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"]
        return 200, {
            "choices": [
                {
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "length" if fault == "max_tokens" else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": sum(_tokens_for(i) for i in images) + _text_tokens(*texts, schema),
                "completion_tokens": _text_tokens(text),
            },
        }

    def restart_false_alarms(self, draw: int) -> None:
        """Which healthy calls are answered "failed" from here on: the same draw number, the same calls in the same
        order."""
        self._random = random.Random(draw)

    def _plate(self, images: list[bytes]) -> dict:
        plate = self.plate
        if plate == "scene":
            plate = "objects" if images and shows_leftover(images[-1]) else "clear"
        explanations = {
            "clear": "The build plate is empty.",
            "objects": "A green part from an earlier print lies on the left of the plate.",
            "cannot_see": "The print head hides most of the plate.",
        }
        return {"plate": plate, "explanation": explanations[plate]}

    def _decide(self, images: list[bytes]):
        if isinstance(self.verdict, dict):
            return dict(self.verdict)
        if self.verdict in ("healthy", "failed"):
            return self.verdict == "failed"
        if self.judge is not None:
            return bool(images) and self.judge(images[-1])
        if bool(images) and shows_failure(images[-1]):
            return True
        return self._random.random() < self.false_positive_rate

    # ----- STS -----

    def assume_role(self, form: dict, access_key: str):
        role = form.get("RoleArn", [""])[0]
        with self._lock:
            self.assume_role_requests.append({"role": role, "access_key": access_key})
            self._session_counter += 1
            number = self._session_counter
        if role in self.denied_roles:
            return 403, (
                '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                f"<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on {role}"
                "</Message></Error><RequestId>local-1</RequestId></ErrorResponse>"
            )
        expiration = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, (
            '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
            f"<Credentials><AccessKeyId>ASIASESSION{number:04d}</AccessKeyId>"
            f"<SecretAccessKey>session-secret-{number}</SecretAccessKey>"
            f"<SessionToken>session-token-{number}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROA:failwatch</AssumedRoleId><Arn>{role}</Arn></AssumedRoleUser>"
            "</AssumeRoleResult><ResponseMetadata><RequestId>local-1</RequestId></ResponseMetadata>"
            "</AssumeRoleResponse>"
        )

    # ----- lifecycle -----

    def stop(self) -> None:
        self._stopping.set()  # releases hanging requests
        super().stop()


def _access_key(authorization: str) -> str:
    """The access key a request was signed with, or "bearer:<key>" for a Bedrock API key."""
    if authorization.startswith("Bearer "):
        return "bearer:" + authorization[len("Bearer ") :]
    marker = "Credential="
    if marker not in authorization:
        return ""
    return authorization.split(marker, 1)[1].split("/", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    args = parser.parse_args()
    server = ModelServer(args.host, args.port)
    server.serve_until_interrupted(f"local Bedrock/STS at {server.url}")


if __name__ == "__main__":
    main()
