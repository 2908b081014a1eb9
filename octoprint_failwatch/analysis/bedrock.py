"""AWS Bedrock backend: one Converse call per series, structured output through a forced tool.

Throttling and 5xx are not retried here: they come back as a retryable `AnalysisError` (throttled or
not), and the engine retries the calls that matter — series and verification — with full jitter on its
own clock, while a refused routine look simply waits for the next one. On an account shared by a farm
that keeps retries from holding worker threads and from piling onto a quota that is already spent
(`model_calls.py`). Expired or unrecognised credentials are refreshed once and the call retried,
as the standalone tool did. Forced tool choice is documented for Anthropic Claude 3+ and Amazon Nova;
a vision model that refuses it (a ValidationException about tool choice or tool use) is asked for the
same answer as a JSON object in text from then on, parsed and validated the same way. Every other
failure becomes an `AnalysisError` with a message for the user.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Callable, Sequence

import botocore
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ReadTimeoutError

from ..config import FailwatchConfig
from ..frame import Frame
from .aws import AwsSession, CredentialError, is_expired_error
from .context import NO_BRIEFING, Briefing
from .plate import PlateReading, parse_plate
from .prompt import (
    BED,
    FULL,
    PREVIEW_LABEL,
    QUICK,
    Question,
    build_prompt,
    context_words,
    frame_labels,
    json_instruction,
    question_for,
)
from .verdict import AnalysisError, Verdict, parse_verdict

MAX_IMAGES = 20  # Converse limit per request
MAX_IMAGE_BYTES = 3_750_000  # Converse: 3.75 MB per image
CONVERSE_SINCE = (1, 34, 116)  # the first botocore with the Converse API
THROTTLED = {"ThrottlingException", "TooManyRequestsException"}  # the account's per-minute quota
TRANSIENT = {
    "InternalServerException",
    "ServiceUnavailableException",
    "ModelNotReadyException",
    "ModelTimeoutException",
}  # worth the same call again a little later
_NO_TOOL_CHOICE = re.compile(r"tool ?choice|toolchoice|tool use|tool_use|does not support tools?", re.IGNORECASE)
logger = logging.getLogger(__name__)


def botocore_too_old() -> str:
    """Why this botocore cannot call Converse, or "" when it can."""
    found = tuple(int(part) for part in re.findall(r"\d+", botocore.__version__)[:3])
    if found >= CONVERSE_SINCE:
        return ""
    return (
        f"botocore {botocore.__version__} has no Converse API (it came in 1.34.116): "
        "update it in OctoPrint's environment with pip install -U boto3"
    )


class BedrockBackend:
    def __init__(self, config: FailwatchConfig, session: AwsSession):
        self._config = config
        self._session = session
        self._system = {
            question: [{"text": build_prompt(config.about_printer, question)}] for question in (FULL, QUICK, BED)
        }
        self._forced_tool = True  # until the model refuses forced tool choice
        self._too_old = botocore_too_old()

    def __call__(self, frames: Sequence[Frame], quick: bool = False, briefing: Briefing = NO_BRIEFING) -> Verdict:
        question = question_for(quick)
        answer, costs = self._ask(question, lambda: self.build_request(frames, quick, briefing))
        return Verdict(**{**parse_verdict(answer, quick).as_dict(), **costs})

    def check_bed(self, frame: Frame) -> PlateReading:
        """The bed check: is the build plate clear before the print starts?"""
        answer, costs = self._ask(BED, lambda: self._request([frame], BED, NO_BRIEFING))
        return PlateReading(**{**parse_plate(answer).as_dict(), **costs})

    def _ask(self, question: Question, build: Callable[[], dict]) -> tuple[object, dict]:
        """The model's answer to `question` (the tool's input, not yet validated) and what the call cost."""
        if self._too_old:
            raise AnalysisError(self._too_old)
        started = time.monotonic()
        try:
            response = self._converse(build())
        except ToolChoiceRefused:
            self._forced_tool = False
            logger.warning(
                "Failwatch: %s does not take forced tool choice; asking for JSON in text from now on",
                self._config.model_name,
            )
            response = self._converse(build())
        answer = self.tool_input(response, question)
        usage = response.get("usage") or {}
        return answer, {
            "latency": time.monotonic() - started,
            "input_tokens": int(usage.get("inputTokens") or 0),
            "output_tokens": int(usage.get("outputTokens") or 0),
            "model": self._config.model_name,
        }

    def build_request(self, frames: Sequence[Frame], quick: bool = False, briefing: Briefing = NO_BRIEFING) -> dict:
        return self._request(frames, question_for(quick), briefing)

    def _request(self, frames: Sequence[Frame], question: Question, briefing: Briefing) -> dict:
        if not frames:
            raise AnalysisError("no frames to analyse")
        if len(frames) > MAX_IMAGES:
            raise AnalysisError(f"Bedrock takes at most {MAX_IMAGES} images per call, got {len(frames)}")
        content: list[dict] = []
        if briefing.preview:  # what should be on the bed, before what the camera shows
            content.append({"text": PREVIEW_LABEL})
            content.append({"image": {"format": "png", "source": {"bytes": briefing.preview}}})
        for number, (frame, label) in enumerate(zip(frames, frame_labels(frames)), start=1):
            if len(frame.jpeg) > MAX_IMAGE_BYTES:
                raise AnalysisError(f"frame {number} is {len(frame.jpeg)} bytes, over Bedrock's 3.75 MB limit")
            content.append({"text": label})
            content.append({"image": {"format": "jpeg", "source": {"bytes": frame.jpeg}}})
        if briefing.words:
            content.append({"text": context_words(briefing.words)})
        request = {
            "modelId": self._config.inference_profile_arn,
            "system": self._system[question],
            "messages": [{"role": "user", "content": content}],
            "inferenceConfig": {"maxTokens": 400, "temperature": 0},
        }
        if not self._forced_tool:  # the same answer, as a JSON object in text
            content.append({"text": json_instruction(question)})
            return request
        content.append({"text": question.ask})
        spec = {"name": question.tool, "description": question.description, "inputSchema": {"json": question.schema}}
        tool = {"toolSpec": spec}
        return {**request, "toolConfig": {"tools": [tool], "toolChoice": {"tool": {"name": question.tool}}}}

    @staticmethod
    def parse_response(response: dict, quick: bool = False) -> Verdict:
        return parse_verdict(BedrockBackend.tool_input(response, question_for(quick)), quick)

    @staticmethod
    def tool_input(response: dict, question: Question) -> object:
        """What the model answered `question` with: its tool's input, or a JSON object in its text."""
        if not isinstance(response, dict):
            raise AnalysisError("Bedrock answer is not a JSON object")
        stop = response.get("stopReason")
        if stop == "max_tokens":
            raise AnalysisError("model answer was cut off (max_tokens)")
        output = response.get("output")
        message = output.get("message") if isinstance(output, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        blocks = [block for block in content if isinstance(block, dict)] if isinstance(content, list) else []
        for block in blocks:
            tool_use = block.get("toolUse")
            if isinstance(tool_use, dict) and tool_use.get("name") == question.tool:
                return tool_use.get("input")
        text = "".join(block["text"] for block in blocks if isinstance(block.get("text"), str))
        found = re.search(r"\{.*\}", text, re.DOTALL)  # a model without forced tools answers with JSON in text
        if found:
            try:
                return json.loads(found.group(0))
            except ValueError:
                pass
        raise AnalysisError(f"model did not use the {question.tool} tool nor answer with JSON (stop reason: {stop})")

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
                if (
                    self._forced_tool
                    and error.get("Code") == "ValidationException"
                    and _NO_TOOL_CHOICE.search(error.get("Message", ""))
                ):
                    raise ToolChoiceRefused() from None
                code = error.get("Code", "error")
                raise AnalysisError(
                    f"Bedrock {code}: {error.get('Message', '')}",
                    retryable=code in TRANSIENT,
                    throttled=code in THROTTLED,
                ) from None
            except NoCredentialsError:  # boto3's chain found nothing: said as credentials, not as a network fault
                raise AnalysisError(f"no AWS credentials found: tried {self._session.tried()}") from None
            except ReadTimeoutError:
                raise AnalysisError(f"Bedrock did not answer within {self._config.model_timeout:g} s") from None
            except BotoCoreError as exc:  # connection refused, reset, DNS: worth another try later
                raise AnalysisError(f"Bedrock unreachable: {exc}", retryable=True) from None
        raise AnalysisError("Bedrock rejected the refreshed credentials too")


class ToolChoiceRefused(Exception):
    """The model does not take forced tool choice (only Claude 3+ and Nova do, per the Converse docs)."""
