"""The print's context the judge is given with every full look: what the printer says, in words; what it does not
say is named, never guessed."""

from octoprint_failwatch.analysis.context import PrintContext


def test_what_octoprint_knows_is_said_in_words_the_model_can_compare_with_the_picture():
    job = {
        "file": "benchy.gcode",
        "progress": 42.3,
        "elapsed": 4200,
        "left": 5700,
        "z": 12.4,
        "height": 31.0,
        "preview": True,
    }
    context = PrintContext.of(job)
    assert context.words() == (
        "benchy.gcode: 42 % printed, 1 h 10 min of about 2 h 45 min; the nozzle is at "
        "Z 12.4 mm of 31.0 mm: the part should now be about 12 mm tall."
    )
    assert context.lacking() == []


def test_klipper_layers_are_said_and_what_no_printer_says_is_named():
    moonraker = PrintContext.of(
        {"file": "vase.gcode", "progress": 10.0, "elapsed": 600, "z": 3.2, "layer": 16, "layers": 155, "left": None}
    )
    assert moonraker.words() == (
        "vase.gcode: 10 % printed, 10 min, layer 16 of 155; the nozzle is at Z 3.2 mm: "
        "the part should now be about 3 mm tall."
    )
    assert moonraker.lacking() == ["time left", "the part's final height", "the slicer's preview"]
    assert PrintContext.of({}).words() == "" and len(PrintContext.of({}).lacking()) == 6
    assert PrintContext.of({"progress": "soon", "z": True}).words() == ""  # not numbers: unknown
