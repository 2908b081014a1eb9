"""The slicer's preview of the finished object: read from the G-code's thumbnail blocks and shown to the model with
every full look. (Debian's PrusaSlicer writes no thumbnail from its command line, so the blocks here are written in
the slicers' own formats — text G-code and Prusa's binary G-code — from a picture drawn for the test.)"""

import io
import struct
import zlib

from PIL import Image

from demo.octoprint_instance import long_gcode, wait_for, with_thumbnail
from demo.scene import drawn_part
from octoprint_failwatch.printers.preview import SIDE, read_preview

from conftest import failure_confirmed


def test_the_largest_preview_is_read_and_sent_small_and_a_file_without_one_has_none(tmp_path):
    gcode = with_thumbnail(with_thumbnail(long_gcode(5), drawn_part(16), 16, 16), drawn_part(400), 400, 400)
    sliced = tmp_path / "part.gcode"
    sliced.write_bytes(gcode)
    preview = Image.open(io.BytesIO(read_preview(sliced)))
    assert preview.format == "PNG" and preview.size == (SIDE, SIDE)  # the 400 px one, scaled down
    plain = tmp_path / "plain.gcode"
    plain.write_bytes(long_gcode(5))
    assert read_preview(plain) is None
    assert read_preview(tmp_path / "gone.gcode") is None


def bgcode_block(kind: int, params: bytes, data: bytes) -> bytes:
    """One block of Prusa's binary G-code, uncompressed, with its CRC32 (libbgcode's specification)."""
    block = struct.pack("<HHI", kind, 0, len(data)) + params + data
    return block + struct.pack("<I", zlib.crc32(block))


def test_a_binary_gcode_preview_is_read_from_its_thumbnail_blocks_and_an_unreadable_one_is_skipped(tmp_path):
    thumbnail = lambda fmt, size, data: bgcode_block(5, struct.pack("<HHH", fmt, size, size), data)  # noqa: E731
    binary = (
        struct.pack("<4sIH", b"GCDE", 1, 1)
        + bgcode_block(3, struct.pack("<H", 0), b"printer_model=MK4\n")
        + thumbnail(0, 16, drawn_part(16))
        + thumbnail(2, 640, b"qoif" + b"\x00" * 40)  # the largest, but damaged: skipped
        + thumbnail(0, 300, drawn_part(300))
        + bgcode_block(4, struct.pack("<H", 0), b"estimated printing time=1h\n")
        + bgcode_block(1, struct.pack("<H", 0), b"G1 X1\n")
        + thumbnail(0, 500, drawn_part(500))  # after the G-code begins: never reached
    )
    sliced = tmp_path / "part.bgcode"
    sliced.write_bytes(binary)
    preview = Image.open(io.BytesIO(read_preview(sliced)))
    assert preview.format == "PNG" and preview.size == (SIDE, SIDE)  # the 300 px PNG, scaled down
    only_text = tmp_path / "plain.bgcode"
    only_text.write_bytes(struct.pack("<4sIH", b"GCDE", 1, 0) + b"\x01\x00\x00")  # cut short, no thumbnail
    assert read_preview(only_text) is None


def test_the_model_sees_the_preview_before_the_frames_with_every_full_look_in_a_real_octoprint(printing, camera, model):
    printing.cancel_print()
    wait_for(lambda: printing.job_state().startswith("Operational"), 60, "the first print to be cancelled")
    printing.upload("with_preview.gcode", with_thumbnail(long_gcode(600), drawn_part(300), 300, 300), True, True)
    wait_for(lambda: printing.job_state().startswith("Printing"), 60, "the print to start")
    status, full = failure_confirmed(printing, camera, model)
    # the preview first, then the frames: the alarm's series takes the frames the print has so far (one to three),
    # each verification series three
    assert full and all(r["images"][0].startswith(b"\x89PNG") and 2 <= len(r["images"]) <= 4 for r in full)
    assert sum(len(r["images"]) == 4 for r in full) >= 3
    assert all(r["texts"][0].startswith("The slicer's preview of the finished object") for r in full)
    quick = [r for r in model.converse_requests if r["quick"]]
    assert quick and all(len(r["images"]) == 1 for r in quick)  # the quick look stays one image
    incidents = printing.failwatch("GET", "incidents").json()["incidents"]
    incident = next(i for i in incidents if i["id"] == status["last_failure"]["incident"])
    assert incident["context"].startswith("with_preview.gcode: ")
    assert "the slicer's preview" not in incident["context_lacking"]
    kept = printing.failwatch("GET", f"incidents/{incident['id']}/{incident['preview']}")  # the tab shows it
    assert kept.headers["Content-Type"] == "image/png" and kept.content == full[0]["images"][0]
