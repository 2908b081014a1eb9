"""OpenAI-compatible backend (Ollama, LM Studio, vLLM, OpenAI): same prompt, same schema as JSON-schema output.

Throttling (429) and 5xx are retried with exponential backoff and full jitter, bounded in attempts
and in total time; everything else becomes an `AnalysisError` with a message for the user.
"""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Sequence

import requests

from ..config import FailwatchConfig
from ..frame import Frame
from ..redaction import mask_url
from .context import NO_BRIEFING, Briefing
from .plate import PlateReading, parse_plate
from .prompt import BED, FULL, PREVIEW_LABEL, QUICK, Question, build_prompt, context_words, frame_labels, question_for
from .verdict import AnalysisError, Verdict, parse_verdict

ATTEMPTS = 4
BACKOFF_BASE = 0.5  # seconds; attempt n waits uniform(0, base * 2**n)
BACKOFF_TOTAL = 20.0  # never spend more than this waiting between attempts of one call


class OpenAIBackend:
    """Any OpenAI-compatible chat completions server that takes images."""

    def __init__(self, config: FailwatchConfig, sleep=time.sleep):
        self._config = config
        self._url = config.openai_base_url.rstrip("/") + "/chat/completions"
        self._prompt = {question: build_prompt(config.about_printer, question) for question in (FULL, QUICK, BED)}
        self._session = requests.Session()
        self._sleep = sleep

    def build_request(self, frames: Sequence[Frame], quick: bool = False, briefing: Briefing = NO_BRIEFING) -> dict:
        return self._request(frames, question_for(quick), briefing)

    def _request(self, frames: Sequence[Frame], question: Question, briefing: Briefing) -> dict:
        if not frames:
            raise AnalysisError("no frames to analyse")
        content: list[dict] = []
        if briefing.preview:  # what should be on the bed, before what the camera shows
            content.append({"type": "text", "text": PREVIEW_LABEL})
            preview = base64.b64encode(briefing.preview).decode()
            content.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{preview}"}})
        for frame, label in zip(frames, frame_labels(frames)):
            content.append({"type": "text", "text": label})
            data = base64.b64encode(frame.jpeg).decode()
            content.append({"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}})
        if briefing.words:
            content.append({"type": "text", "text": context_words(briefing.words)})
        content.append({"type": "text", "text": question.ask})
        return {
            "model": self._config.openai_model,
            "temperature": 0,
            "max_tokens": 400,
            "messages": [{"role": "system", "content": self._prompt[question]}, {"role": "user", "content": content}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": question.tool, "schema": question.schema, "strict": True},
            },
        }

    def __call__(self, frames: Sequence[Frame], quick: bool = False, briefing: Briefing = NO_BRIEFING) -> Verdict:
        answer, costs = self._ask(self.build_request(frames, quick, briefing))
        return Verdict(**{**parse_verdict(answer, quick).as_dict(), **costs})

    def check_bed(self, frame: Frame) -> PlateReading:
        """The bed check: is the build plate clear before the print starts?"""
        answer, costs = self._ask(self._request([frame], BED, NO_BRIEFING))
        return PlateReading(**{**parse_plate(answer).as_dict(), **costs})

    def _ask(self, request: dict) -> tuple[object, dict]:
        """The model's answer (parsed JSON, not yet validated) and what the call cost."""
        started = time.monotonic()
        answer = self._post(request)
        choices = answer.get("choices") if isinstance(answer, dict) else None
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        if choice.get("finish_reason") == "length":
            raise AnalysisError("model answer was cut off (max_tokens)")
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else None
        try:
            parsed = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError:
            raise AnalysisError("model answer is not JSON") from None
        usage: dict = answer["usage"] if isinstance(answer.get("usage"), dict) else {}
        return parsed, {
            "latency": time.monotonic() - started,
            "input_tokens": int(usage.get("prompt_tokens") or 0),
            "output_tokens": int(usage.get("completion_tokens") or 0),
            "model": self._config.openai_model,
        }

    def _post(self, request: dict) -> dict:
        headers = {"Authorization": f"Bearer {self._config.openai_api_key}"} if self._config.openai_api_key else {}
        where = mask_url(self._config.openai_base_url)
        waited = 0.0
        attempt = 1
        while True:
            try:
                response = self._session.post(
                    self._url, json=request, headers=headers, timeout=(10, self._config.model_timeout)
                )
            except requests.Timeout:
                raise AnalysisError(f"local model did not answer within {self._config.model_timeout:g} s") from None
            except requests.ConnectionError:
                raise AnalysisError(f"local model unreachable at {where}") from None
            delay = random.uniform(0, BACKOFF_BASE * 2**attempt)
            retryable = response.status_code == 429 or response.status_code >= 500
            if retryable and attempt < ATTEMPTS and waited + delay <= BACKOFF_TOTAL:
                waited += delay
                attempt += 1
                self._sleep(delay)
                continue
            if response.status_code in (401, 403):
                raise AnalysisError(f"local model at {where} refused the API key (HTTP {response.status_code})")
            if response.status_code != 200:
                raise AnalysisError(f"local model at {where} answered HTTP {response.status_code}")
            try:
                return response.json()
            except ValueError:
                raise AnalysisError(f"local model at {where} did not answer with JSON") from None
