"""Print actions: only a printing printer is paused, at most max_auto_pauses times; the safe sequence."""

import logging
from types import SimpleNamespace

from octoprint_failwatch.actions import PrintActions, extrusion_mode, pause_script, resume_script
from octoprint_failwatch.config import build_config


class Printer:
    def __init__(self, state="PRINTING"):
        self.state = state
        self.calls = []

    def get_state_id(self):
        return self.state

    def pause_print(self, tags=None):
        self.calls.append("pause")

    def cancel_print(self, tags=None):
        self.calls.append("cancel")


def config(**settings):
    return build_config(settings)[0]


def test_pause_only_when_printing_and_once_per_print_unless_allowed():
    printer = Printer("PAUSED")
    actions = PrintActions(printer, logging.getLogger("test"))
    assert actions.on_confirmed_failure(config(failure_action="pause"), test_run=False) == "notified"
    printer.state = "PRINTING"
    assert actions.on_confirmed_failure(config(failure_action="pause"), test_run=True) == "notified"
    assert actions.on_confirmed_failure(config(failure_action="pause"), test_run=False) == "paused"
    assert actions.on_confirmed_failure(config(failure_action="pause"), test_run=False) == "notified"
    assert actions.on_confirmed_failure(config(failure_action="pause", max_auto_pauses=2), False) == "paused"
    actions.new_print()
    assert actions.on_confirmed_failure(config(failure_action="notify"), test_run=False) == "notified"
    assert actions.on_confirmed_failure(config(failure_action="cancel", allow_cancel=True), False) == "cancelled"
    assert printer.calls == ["pause", "pause", "cancel"]


def test_extrusion_mode_is_the_last_one_set_before_the_pause(tmp_path):
    gcode = tmp_path / "part.gcode"
    gcode.write_bytes(b"M82 ; absolute\nG1 E1\nM83\nG1 E1\n")
    assert extrusion_mode(str(gcode), 10) == "absolute"
    assert extrusion_mode(str(gcode), 1000) == "relative"
    assert extrusion_mode(str(tmp_path / "missing.gcode"), 100) is None


def test_the_safe_sequence_retracts_only_when_the_mode_is_known_and_undoes_everything():
    settings = config(pause_park=True, pause_park_x=10, pause_park_y=200, pause_hotend_off=True)
    assert pause_script(settings, None) == ["G91", "G1 Z5 F600", "G90", "G1 X10 Y200 F6000", "M104 S0"]
    assert pause_script(settings, "relative")[:2] == ["M83", "G1 E-1 F2400"]
    position = SimpleNamespace(x=50.0, y=60.0, z=12.4, e=321.5, f=1800.0)
    assert resume_script(settings, "absolute", position, 215.0) == [
        "M109 S215", "G90", "G1 X50 Y60 F6000", "G1 Z12.4 F600", "M83", "G1 E1 F2400", "M82", "G92 E321.5",
        "G1 F1800"]
    assert "M82" not in resume_script(settings, "relative", position, 215.0)
