"""The verdict: what one model call says about the print, and the one parser that makes it from model output.

Every backend hands the model's answer to `parse_verdict`, so garbage from any backend becomes an
`AnalysisError`, never a verdict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

FAILURE_TYPES = ("none", "spaghetti", "detached", "nozzle_blob", "layer_shift", "air_printing", "other")
FAILURE_WORDS = {
    "none": "none",
    "spaghetti": "spaghetti (tangled filament)",
    "detached": "part detached or moved",
    "nozzle_blob": "blob on the nozzle",
    "layer_shift": "layer shift",
    "air_printing": "printing into the air",
    "other": "unspecified failure",
}


class AnalysisError(Exception):
    """The model could not give a verdict; the message says why in words a user can act on.

    `retryable`: the same call may well succeed a little later (throttling, a 5xx, a dropped connection);
    `throttled`: the account's quota refused it — the engine retries what matters on its own clock."""

    def __init__(self, message: str, retryable: bool = False, throttled: bool = False):
        super().__init__(message)
        self.retryable = retryable or throttled
        self.throttled = throttled


@dataclass(frozen=True)
class Verdict:
    """The model's judgement of one series (or one frame, for a quick look), with what it cost."""

    print_failed: bool
    confidence: float
    failure_type: str
    explanation: str
    latency: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    model: str = ""
    source: str = "model"  # model: a vision model's answer; detector: the on-device detector's

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def explanation_of(explanation: Any) -> str:
    """A model's explanation for the owner, trimmed and bounded; a missing or empty one raises AnalysisError."""
    if not isinstance(explanation, str) or not explanation.strip():
        raise AnalysisError("model answer has an empty explanation")
    return explanation.strip()[:500]


def parse_verdict(answer: Any, quick: bool = False) -> Verdict:
    """Validates the tool input a model returned; anything off raises AnalysisError.

    A quick answer carries no explanation: the full series check that follows a positive gives one."""
    if not isinstance(answer, dict):
        raise AnalysisError("model answer is not a JSON object")
    failed = answer.get("print_failed")
    if not isinstance(failed, bool):
        raise AnalysisError("model answer has no true/false 'print_failed'")
    confidence = answer.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise AnalysisError("model answer has no numeric 'confidence'")
    if math.isnan(confidence) or not 0 <= confidence <= 1:
        raise AnalysisError("model answer has a confidence outside 0..1")
    failure_type = answer.get("failure_type")
    if not isinstance(failure_type, str) or failure_type not in FAILURE_TYPES or (failed and failure_type == "none"):
        failure_type = "other" if failed else "none"  # "failed, type none" is an unspecified failure
    explanation = answer.get("explanation")
    if quick and explanation is None:
        # the verdict's words (failed or fine, the likelihood) are shown beside it: this says only what it was
        explanation = "a quick look at the newest frame alone"
    return Verdict(
        print_failed=failed,
        confidence=float(confidence),
        failure_type=failure_type,
        explanation=explanation_of(explanation),
    )
