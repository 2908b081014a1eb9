"""What an alert says in words, the same on every channel that shows text (Discord, Apprise's services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ...analysis.verdict import FAILURE_WORDS
from .alert import ACTION_WORDS, BED, FAILURE, PROBLEM, TEST, Alert


@dataclass(frozen=True)
class Wording:
    kind: str  # failure | bed | problem | test: what colour or type a channel gives it
    title: str
    text: str
    facts: list = field(default_factory=list)  # (name, value) pairs


def _duration(seconds: Optional[float]) -> str:
    if not seconds:
        return ""
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def wording(alert: Alert) -> Optional[Wording]:
    """The words for a failure, a problem or a test alert; None for a status update (not for people)."""
    if alert.kind == FAILURE:
        verdict, job = alert.verdict or {}, alert.job
        return Wording(
            "failure",
            ("🧪 Test: " if alert.test_run else "⚠️ ") + "Print failure detected",
            f"{verdict.get('explanation', '')}\n\nPlease check the printer in person.",
            [
                (
                    "Confidence",
                    f"{verdict.get('confidence', 0) * 100:.0f}% ({alert.positives} of {alert.series} checks agreed)",
                ),
                ("Failure type", FAILURE_WORDS.get(verdict.get("failure_type") or "", "unspecified failure")),
                ("Printer", alert.printer),
                ("File", job.get("file") or ""),
                ("Progress", f"{job['progress']:.0f}%" if job.get("progress") is not None else ""),
                ("Elapsed", _duration(job.get("elapsed"))),
                ("Action", alert.action_words or ACTION_WORDS.get(alert.action, alert.action)),
            ],
        )
    if alert.kind == BED:
        held = alert.action == "held"
        return Wording(
            "bed",
            "🧹 Something on the build plate",
            f"{alert.text}\n\n"
            + (
                "The print is held before its first layer: clear the plate, then press Print anyway."
                if held
                else "The print goes on: check the plate before its first layer."
            ),
            [
                ("Printer", alert.printer),
                ("File", alert.job.get("file") or ""),
                ("Action", "Print held until you press Print anyway" if held else "Only notified"),
            ],
        )
    if alert.kind == PROBLEM:
        title = "📷 Camera problem" if alert.problem == "camera" else "⏸️ Monitoring stopped by errors"
        return Wording(
            "problem",
            title,
            f"{alert.text}\n\nThe print is not being watched until this clears; "
            "Failwatch never pauses a print for this.",
            [("Printer", alert.printer)],
        )
    if alert.kind == TEST:
        return Wording(
            "test",
            "✅ Failwatch test alert",
            "Alerts from Failwatch will arrive here, with a fresh snapshot from the camera.",
            [("Printer", alert.printer)],
        )
    return None


def as_text(words: Wording) -> str:
    """The body for a plain-text service: the text, then one line per fact."""
    facts = "\n".join(f"{name}: {value or '–'}" for name, value in words.facts)
    return f"{words.text}\n\n{facts}" if facts else words.text
