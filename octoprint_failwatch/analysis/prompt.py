"""What every model backend asks: the prompts, the frame labels and the answer schemas.

Three questions are asked: the full one about a series (with an explanation for the owner), the quick one about
the newest frame alone (a yes/no and a confidence: a short prompt and a short answer, since it is asked at every
frame and only decides whether to look closer), and the bed check's about the build plate before a print starts.
Each is a `Question`: what a backend needs to ask it, whatever its API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from .verdict import FAILURE_TYPES

TOOL_NAME = "report_print_status"

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "print_failed": {
            "type": "boolean",
            "description": "true only if the newest images clearly show a failing print",
        },
        "confidence": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "how likely the print is failing now, 0 to 1",
        },
        "failure_type": {"type": "string", "enum": list(FAILURE_TYPES)},
        "explanation": {
            "type": "string",
            "description": "one or two short sentences for the printer's owner",
        },
    },
    "required": ["print_failed", "confidence", "failure_type", "explanation"],
    "additionalProperties": False,
}

QUICK_SCHEMA: dict[str, Any] = {  # every character here is paid for at every frame: no descriptions
    "type": "object",
    "properties": {
        "print_failed": {"type": "boolean"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        # the type tells a new failure from a look-alike the user has dismissed (evidence.py)
        "failure_type": {"type": "string", "enum": list(FAILURE_TYPES)},
    },
    "required": ["print_failed", "confidence", "failure_type"],
    "additionalProperties": False,
}

PROMPT = """You watch a 3D printer through a camera. The images are frames of one print, \
oldest first, each labelled with its capture time. Decide whether the print is failing now.

A failure looks like: loose, tangled or stringy filament ("spaghetti") growing instead of a part; \
the part detached from the bed, knocked over or moved; a blob of plastic around the nozzle; \
layers shifted sideways; the nozzle extruding into mid-air above nothing.
Not a failure: support structures, purge lines, skirts and brims, infill patterns, textured or \
printed logos on the bed, reflections and glare, a hand or tool in the frame, an empty bed in the first \
layers. When you are told how far the print is, compare: a part about as tall as the nozzle's height should \
be where the print is; an empty bed later in a print is a part swept off (detached).

Judge the newest frames most; use the older ones to see what changes. Only report a failure you \
can see. Answer with the {tool} tool."""

QUICK_PROMPT = """Is the 3D print in this frame failing now? Failing: tangled filament (spaghetti), part \
detached or moved, blob on the nozzle, shifted layers, printing into mid-air. Not failing: supports, purge \
lines, brims, infill, bed logos, glare, empty bed, a hand in view. confidence = how likely it is failing. \
Answer with {tool}."""

QUESTION = f"Is this print failing? Answer with {TOOL_NAME}."

BED_TOOL_NAME = "report_build_plate"

PLATE_STATES = ("clear", "objects", "cannot_see")

BED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "plate": {
            "type": "string",
            "enum": list(PLATE_STATES),
            "description": "clear: nothing on the plate where a print goes; objects: something is on it; "
            "cannot_see: the plate is hidden or the picture too dark to tell",
        },
        "explanation": {"type": "string", "description": "one short sentence for the printer's owner"},
    },
    "required": ["plate", "explanation"],
    "additionalProperties": False,
}

BED_PROMPT = """You look at a 3D printer's build plate through a camera, just before a new print starts. \
Say whether the plate is clear for it.

Objects: a finished or failed part left from an earlier print, a loose skirt, brim or blob, a tool, a scraper \
or anything else lying on the plate where a print would go.
Clear: an empty plate. Also clear: the plate's own texture, logos and markings, clips at its edges, a purge \
line at its edge, glare and reflections, the print head, cables or the frame.
Cannot see: the plate is mostly hidden (the print head or the gantry in front of it), or the picture is too \
dark or blurred to tell. Say so rather than guess.

Only report objects you can see. Answer with the {tool} tool."""

BED_QUESTION = f"Is the build plate clear for a new print? Answer with {BED_TOOL_NAME}."


@dataclass(frozen=True, eq=False)  # each question is one object: backends key their prompts by it
class Question:
    """One question a backend can ask: the system prompt, the tool (or JSON schema) the answer comes in, the words
    that close the user's message."""

    tool: str
    description: str  # the tool's, for the model
    prompt: str  # the system prompt, `{tool}` where the tool is named
    schema: dict
    ask: str


FULL = Question(TOOL_NAME, "Report whether the 3D print in the images is failing.", PROMPT, VERDICT_SCHEMA, QUESTION)
QUICK = Question(TOOL_NAME, FULL.description, QUICK_PROMPT, QUICK_SCHEMA, QUESTION)
BED = Question(
    BED_TOOL_NAME, "Report whether the build plate is clear for a new print.", BED_PROMPT, BED_SCHEMA, BED_QUESTION
)


def question_for(quick: bool) -> Question:
    return QUICK if quick else FULL


def build_prompt(about_printer: str = "", question: Question = FULL) -> str:
    prompt = question.prompt.format(tool=question.tool)
    if about_printer.strip():
        prompt += "\n\nAbout this printer (from its owner): " + about_printer.strip()[:1000]
    return prompt


def frame_labels(frames: Sequence[Any]) -> list[str]:
    """'Frame 1 of 3 (oldest) captured at 12:00:00' ... so the model knows the order and spacing."""
    labels = []
    for number, frame in enumerate(frames, start=1):
        stamp = datetime.fromtimestamp(frame.captured_wall).strftime("%H:%M:%S")
        age = " (oldest)" if number == 1 and len(frames) > 1 else " (newest)" if number == len(frames) else ""
        labels.append(f"Frame {number} of {len(frames)}{age} captured at {stamp}")
    return labels


PREVIEW_LABEL = "The slicer's preview of the finished object (a rendering of the file, not a camera picture):"


def context_words(context: str) -> str:
    """What the printer says of the print, as the full look's text (the camera cannot see it)."""
    return "What the printer says of this print now (not from the camera): " + context


def json_instruction(question: Question) -> str:
    """For a model without forced tool choice: the tool's fields, asked for as a JSON object in text."""
    fields = json.dumps(question.schema["properties"])
    return f"Answer with only a JSON object with these fields, nothing else: {fields}"
