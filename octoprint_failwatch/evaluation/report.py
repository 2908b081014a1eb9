"""What `failwatch evaluate` shows: a table side by side per setting group, and an HTML page a person would rather
look at than read — per print, a timeline of the detector's scores and the model's verdicts with the onset, each
alarm (and the eye that raised it) and each confirmation marked. The page is one self-contained file."""

from __future__ import annotations

import html
import math
import sys
from pathlib import Path
from typing import Optional

ROWS = (  # (key in the overall report, words, digits)
    ("caught", "failing prints caught", 0),
    ("missed", "failing prints missed", 0),
    ("precision", "precision", 2),
    ("recall", "recall", 2),
    ("false_alarms_per_100_print_hours", "false alarms / 100 print-h", 1),
    ("false_pauses_per_100_print_hours", "false pauses / 100 print-h", 1),
    ("onset_to_confirmed_median", "onset -> confirmed p50 (s)", 1),
    ("onset_to_confirmed_p90", "onset -> confirmed p90 (s)", 1),
    ("onset_to_confirmed_max", "onset -> confirmed max (s)", 1),
    ("alarms_raised_by_detector", "alarms raised by the detector", 0),
    ("alarms_raised_by_change", "alarms raised by the change eye", 0),
    ("alarms_raised_by_model", "alarms raised by the model", 0),
    ("calls", "model calls", 0),
    ("healthy_calls_per_print_hour", "calls / healthy print-h", 1),
    ("cost_usd", "cost (USD)", 4),
    ("healthy_cost_per_print_hour", "USD / healthy print-h", 4),
    ("errors", "model errors", 0),
)
WIDTH, HEIGHT, MARGIN = 900, 140, 30
MAX_POINTS = 600  # per eye and print: the picture keeps each bucket's highest score


def figure(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else "–"
    return str(value)


def print_table(report: dict, out=sys.stdout) -> None:
    names = list(report)
    spacing = next(iter(report.values()))["spacing"] if report else ""
    print(f"frame spacing: {spacing}", file=out)
    print(f"{'':<32}" + "".join(f"{name[:34]:>36}" for name in names), file=out)
    for key, words, digits in ROWS:
        print(f"{words:<32}" + "".join(f"{figure(report[n]['overall'][key], digits):>36}" for n in names), file=out)
    for name in names:
        print(f"\n{name}", file=out)
        for entry in report[name]["prints"]:
            eyes = ", ".join(f"{a['at']:.0f} s {a['eye']} {_decision(a['confirmed'])}" for a in entry["alarms"])
            print(
                f"  {entry['print']:<24} onset {figure(entry['onset'], 0):>6}  confirmed after "
                f"{figure(entry['onset_to_confirmed'], 1):>6} s  false alarms {entry['false_alarms']}  "
                f"calls {entry['calls']}  alarms: {eyes or 'none'}",
                file=out,
            )


def write_html(report: dict, path: Path) -> None:
    sections = []
    for name, group in report.items():
        overall = group["overall"]
        rows = "".join(
            f"<tr><th>{html.escape(words)}</th><td>{figure(overall[key], digits)}</td></tr>"
            for key, words, digits in ROWS
        )
        prints = "".join(_print_section(entry) for entry in group["prints"])
        sections.append(f"<section><h2>{html.escape(name)}</h2><table>{rows}</table>{prints}</section>")
    spacing = html.escape(next(iter(report.values()))["spacing"]) if report else ""
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>Failwatch replay</title>
<style>body{{font:14px sans-serif;margin:2em}} table{{border-collapse:collapse}} th,td{{padding:2px 10px;
text-align:left;border-bottom:1px solid #ddd}} svg{{background:#fafafa;border:1px solid #ccc}} .legend span{{
margin-right:1.5em}}</style></head><body><h1>Failwatch replay</h1><p>Frame spacing: {spacing}.</p>
<p class="legend"><span style="color:#888">● detector score</span><span style="color:#1f5fbf">● model, not failed
</span><span style="color:#d22">● failed</span><span style="color:#e98b00">┆ onset</span><span>▼ alarm (D: detector,
C: picture change, M: model)</span><span style="color:#d22">│ confirmed</span></p>{"".join(sections)}</body></html>""")


def _print_section(entry: dict) -> str:
    duration = max([entry["hours"] * 3600, 1.0] + [point[0] for point in entry["timeline"]])
    alarms = ", ".join(f"{a['at']:.0f} s ({a['eye']}, {_decision(a['confirmed'])})" for a in entry["alarms"])
    words = (
        f"onset {figure(entry['onset'], 0)} s, confirmed after {figure(entry['onset_to_confirmed'], 1)} s"
        if entry["onset"] is not None
        else "healthy"
    )
    return (
        f"<h3>{html.escape(entry['print'])}</h3><p>{words}; {entry['calls']} model calls; alarms: "
        f"{html.escape(alarms) or 'none'}</p>{timeline_svg(entry, duration)}"
    )


def _decision(confirmed: Optional[bool]) -> str:
    if confirmed is None:
        return "verifying at the end"
    return "confirmed" if confirmed else "rejected"


def timeline_svg(entry: dict, duration: float) -> str:
    """One print's timeline as an SVG picture (in the page, or alone as an image)."""

    def x(seconds: float) -> float:
        return MARGIN + (WIDTH - 2 * MARGIN) * seconds / duration

    def y(confidence: float) -> float:
        return HEIGHT - MARGIN + (2 * MARGIN - HEIGHT) * confidence

    marks = [
        f'<line x1="{MARGIN}" y1="{y(0.5)}" x2="{WIDTH - MARGIN}" y2="{y(0.5)}" stroke="#ddd"/>',
        f'<text x="{WIDTH - MARGIN + 2}" y="{HEIGHT - MARGIN}" font-size="10">{duration / 60:.0f} min</text>',
    ]
    for seconds, eye, confidence, failed in _thinned(entry["timeline"], duration):
        local = eye != "model"
        colour = "#d22" if failed else ("#888" if local else "#1f5fbf")
        marks.append(
            f'<circle cx="{x(seconds):.1f}" cy="{y(confidence):.1f}" r="{2 if local else 3}" fill="{colour}"/>'
        )
    if entry["onset"] is not None:
        marks.append(
            f'<line x1="{x(entry["onset"]):.1f}" y1="10" x2="{x(entry["onset"]):.1f}" y2="{HEIGHT - 10}" '
            'stroke="#e98b00" stroke-dasharray="4 3"/>'
        )
    for alarm in entry["alarms"]:
        marks.append(f'<text x="{x(alarm["at"]) - 4:.1f}" y="14" font-size="11">▼{alarm["eye"][0].upper()}</text>')
        if alarm["confirmed"] and alarm.get("decided_at") is not None:
            at = x(alarm["decided_at"])
            marks.append(f'<line x1="{at:.1f}" y1="18" x2="{at:.1f}" y2="{HEIGHT - 10}" stroke="#d22"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fafafa"/>{"".join(marks)}</svg>'
    )


def _thinned(timeline: list, duration: float) -> list:
    """At most MAX_POINTS per eye: each bucket of time keeps its highest score (a flag is never thinned away)."""
    bucket = duration / MAX_POINTS
    kept: dict = {}
    for point in timeline:
        key = (point[1], int(point[0] // bucket))
        if key not in kept or (point[3], point[2]) > (kept[key][3], kept[key][2]):
            kept[key] = point
    return sorted(kept.values())
