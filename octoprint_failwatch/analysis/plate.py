"""The bed check's answer: whether the build plate is clear before a print starts, and the one parser that makes it
from model output (garbage becomes an `AnalysisError`, never a reading)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .prompt import PLATE_STATES
from .verdict import AnalysisError, explanation_of

CLEAR, OBJECTS, CANNOT_SEE = PLATE_STATES


@dataclass(frozen=True)
class PlateReading:
    """What the model saw on the build plate, with what the look cost."""

    plate: str  # clear | objects | cannot_see
    explanation: str
    latency: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    model: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_plate(answer: Any) -> PlateReading:
    if not isinstance(answer, dict):
        raise AnalysisError("model answer is not a JSON object")
    plate = answer.get("plate")
    if plate not in PLATE_STATES:
        raise AnalysisError("model answer has no 'plate' of clear, objects or cannot_see")
    return PlateReading(plate=plate, explanation=explanation_of(answer.get("explanation")))
