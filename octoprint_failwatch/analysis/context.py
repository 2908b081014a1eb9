"""What the printer knows about the print, in the words the judge is given with every full look: the file, how far
it is, the time printed and left, the nozzle's height and the part's final height — so the model can compare what
it sees with what should be there (a part about as tall as the nozzle's height; an empty bed late in a print is a
part swept off). What the printer does not say is left out and named (`lacking`), never guessed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


def _number(value) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


@dataclass(frozen=True)
class PrintContext:
    file: Optional[str] = None
    progress: Optional[float] = None  # percent
    elapsed: Optional[float] = None  # seconds printed
    left: Optional[float] = None  # seconds the printer expects still
    z: Optional[float] = None  # the nozzle's height, mm
    height: Optional[float] = None  # the part's final height, mm
    layer: Optional[int] = None
    layers: Optional[int] = None
    preview: bool = False  # the slicer's preview of the finished object is shown beside the frames

    @classmethod
    def of(cls, job: dict) -> PrintContext:
        """From a printer's job (`printers.base.Printer.job`); anything missing or not a number is unknown."""
        layer, layers = _number(job.get("layer")), _number(job.get("layers"))
        return cls(
            file=job.get("file") or None,
            progress=_number(job.get("progress")),
            elapsed=_number(job.get("elapsed")),
            left=_number(job.get("left")),
            z=_number(job.get("z")),
            height=_number(job.get("height")),
            layer=int(layer) if layer else None,
            layers=int(layers) if layers else None,
            preview=bool(job.get("preview")),
        )

    def words(self) -> str:
        """e.g. "benchy.gcode: 42 % printed, 1 h 10 min of about 2 h 45 min; the nozzle is at Z 12.4 mm of 31.0 mm:
        the part should now be about 12 mm tall." Empty when the printer says nothing."""
        parts = []
        if self.progress is not None:
            parts.append(f"{self.progress:.0f} % printed")
        if self.elapsed is not None:
            total = f" of about {_duration(self.elapsed + self.left)}" if self.left is not None else ""
            parts.append(f"{_duration(self.elapsed)}{total}")
        if self.layer is not None:
            parts.append(f"layer {self.layer}" + (f" of {self.layers}" if self.layers else ""))
        sentence = ", ".join(parts)
        if self.z is not None:
            of = f" of {self.height:.1f} mm" if self.height else ""
            sentence += ("; " if sentence else "") + f"the nozzle is at Z {self.z:.1f} mm{of}"
            sentence += f": the part should now be about {self.z:.0f} mm tall"
        if not sentence:
            return ""
        return (f"{self.file}: " if self.file else "") + sentence + "."

    def lacking(self) -> list[str]:
        """What the printer did not say, in words."""
        missing = {
            "progress": self.progress,
            "time printed": self.elapsed,
            "time left": self.left,
            "the nozzle's height": self.z,
            "the part's final height": self.height,
            "the slicer's preview": self.preview or None,
        }
        return [name for name, value in missing.items() if value is None]


@dataclass(frozen=True)
class Briefing:
    """What a full look tells the model beside the camera's frames: the print's context in words, and the slicer's
    preview of the finished object (a small PNG) when the file has one."""

    words: str = ""
    preview: Optional[bytes] = None


NO_BRIEFING = Briefing()
