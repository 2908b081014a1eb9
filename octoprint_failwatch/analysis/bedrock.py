"""AWS Bedrock backend: one Converse call per series, structured output through a forced tool.

Throttling and 5xx are retried by botocore's standard mode (exponential backoff with jitter,
bounded attempts). Expired or unrecognised credentials are refreshed once and the call retried,
as the standalone tool did. Every other failure becomes an `AnalysisError` with a message for the user.
"""

from __future__ import annotations

import time
from typing import Sequence

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from ..aws import AwsSession, CredentialError, is_expired_error
from ..config import FailwatchConfig
from ..frame import Frame
from .prompt import QUESTION, TOOL_NAME, build_prompt, frame_labels, schema
from .verdict import AnalysisError, Verdict, parse_verdict

MAX_IMAGES = 20  # Converse limit per request
MAX_IMAGE_BYTES = int(3.75 * 1024 * 1024)


class BedrockBackend:
    def __init__(self, config: FailwatchConfig, session: AwsSession):
        self._config = config
        self._session = session
        self._system = {quick: [{"text": build_prompt(config.about_printer, quick)}] for quick in (False, True)}

    def __call__(self, frames: Sequence[Frame], quick: bool = False) -> Verdict:
        request = self.build_request(frames, quick)
        started = time.monotonic()
        response = self._converse(request)
        verdict = self.parse_response(response, quick)
        usage = response.get("usage") or {}
        return Verdict(
            **{
                **verdict.as_dict(),
                "latency": time.monotonic() - started,
                "input_tokens": int(usage.get("inputTokens") or 0),
                "output_tokens": int(usage.get("outputTokens") or 0),
                "model": self._config.model_name,
            }
        )

    def build_request(self, frames: Sequence[Frame], quick: bool = False) -> dict:
        if not frames:
            raise AnalysisError("no frames to analyse")
        if len(frames) > MAX_IMAGES:
            raise AnalysisError(f"Bedrock takes at most {MAX_IMAGES} images per call, got {len(frames)}")
        content: list[dict] = []
        for number, (frame, label) in enumerate(zip(frames, frame_labels(frames)), start=1):
            if len(frame.jpeg) > MAX_IMAGE_BYTES:
                raise AnalysisError(f"frame {number} is {len(frame.jpeg)} bytes, over Bedrock's 3.75 MB limit")
            content.append({"text": label})
            content.append({"image": {"format": "jpeg", "source": {"bytes": frame.jpeg}}})
        content.append({"text": QUESTION})
        return {
            "modelId": self._config.inference_profile_arn,
            "system": self._system[quick],
            "messages": [{"role": "user", "content": content}],
            "inferenceConfig": {"maxTokens": 400, "temperature": 0},
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": TOOL_NAME,
                            "description": "Report whether the 3D print in the images is failing.",
                            "inputSchema": {"json": schema(quick)},
                        }
                    }
                ],
                "toolChoice": {"tool": {"name": TOOL_NAME}},
            },
        }

    @staticmethod
    def parse_response(response: dict, quick: bool = False) -> Verdict:
        if not isinstance(response, dict):
            raise AnalysisError("Bedrock answer is not a JSON object")
        stop = response.get("stopReason")
        if stop == "max_tokens":
            raise AnalysisError("model answer was cut off (max_tokens)")
        output = response.get("output")
        message = output.get("message") if isinstance(output, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else []:
            tool_use = block.get("toolUse") if isinstance(block, dict) else None
            if isinstance(tool_use, dict) and tool_use.get("name") == TOOL_NAME:
                return parse_verdict(tool_use.get("input"), quick)
        raise AnalysisError(f"model did not use the {TOOL_NAME} tool (stop reason: {stop})")

    def _converse(self, request: dict) -> dict:
        for attempt in (1, 2):
            try:
                return self._session.bedrock_client().converse(**request)
            except CredentialError as exc:
                raise AnalysisError(f"AWS credentials: {exc}") from None
            except ClientError as exc:
                if attempt == 1 and is_expired_error(exc):
                    self._session.invalidate()  # re-read the file, re-assume the role, try once more
                    continue
                error = exc.response.get("Error", {})
                raise AnalysisError(f"Bedrock {error.get('Code', 'error')}: {error.get('Message', '')}") from None
            except ReadTimeoutError:
                raise AnalysisError(f"Bedrock did not answer within {self._config.model_timeout:g} s") from None
            except BotoCoreError as exc:
                raise AnalysisError(f"Bedrock unreachable: {exc}") from None
        raise AnalysisError("Bedrock rejected the refreshed credentials too")
