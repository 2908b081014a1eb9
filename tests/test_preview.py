"""The slicer's preview of the finished object: read from the G-code's thumbnail blocks and shown to the model with
every full look. (Debian's PrusaSlicer writes no thumbnail from its command line, so the blocks here are written in
the slicers' own format from a picture drawn for the test.)"""

import io

from PIL import Image, ImageDraw

from demo.octoprint_instance import long_gcode, wait_for, with_thumbnail
from octoprint_failwatch.analysis.preview import SIDE, read_preview

from conftest import failure_confirmed


def drawn_part(size: int) -> bytes:
    """A picture of a finished object, as a slicer renders it: a grey box on a transparent background."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((size // 4, size // 3, 3 * size // 4, 5 * size // 6), fill=(120, 120, 200, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_the_largest_preview_is_read_and_sent_small_and_a_file_without_one_has_none(tmp_path):
    gcode = with_thumbnail(with_thumbnail(long_gcode(5), drawn_part(16), 16, 16), drawn_part(400), 400, 400)
    sliced = tmp_path / "part.gcode"
    sliced.write_bytes(gcode)
    preview = Image.open(io.BytesIO(read_preview(sliced)))
    assert preview.format == "PNG" and preview.size == (SIDE, SIDE)  # the 400 px one, scaled down
    plain = tmp_path / "plain.gcode"
    plain.write_bytes(long_gcode(5))
    assert read_preview(plain) is None
    binary = tmp_path / "part.bgcode"
    binary.write_bytes(gcode)  # Prusa's binary G-code keeps its thumbnails in blocks not read here
    assert read_preview(binary) is None
    assert read_preview(tmp_path / "gone.gcode") is None


def test_the_model_sees_the_preview_before_the_frames_with_every_full_look_in_a_real_octoprint(printing, camera, model):
    printing.cancel_print()
    wait_for(lambda: printing.job_state().startswith("Operational"), 60, "the first print to be cancelled")
    printing.upload("with_preview.gcode", with_thumbnail(long_gcode(600), drawn_part(300), 300, 300), True, True)
    wait_for(lambda: printing.job_state().startswith("Printing"), 60, "the print to start")
    status, full = failure_confirmed(printing, camera, model)
    assert full and all(r["images"][0].startswith(b"\x89PNG") and len(r["images"]) == 4 for r in full)
    assert all(r["texts"][0].startswith("The slicer's preview of the finished object") for r in full)
    quick = [r for r in model.converse_requests if r["quick"]]
    assert quick and all(len(r["images"]) == 1 for r in quick)  # the quick look stays one image
    incidents = printing.failwatch("GET", "incidents").json()["incidents"]
    incident = next(i for i in incidents if i["id"] == status["last_failure"]["incident"])
    assert incident["context"].startswith("with_preview.gcode: ")
    assert "the slicer's preview" not in incident["context_lacking"]
    kept = printing.failwatch("GET", f"incidents/{incident['id']}/{incident['preview']}")  # the tab shows it
    assert kept.headers["Content-Type"] == "image/png" and kept.content == full[0]["images"][0]
