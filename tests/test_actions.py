"""Print actions: only a printing printer is paused, at most max_auto_pauses times; the safe sequence."""

import logging
from types import SimpleNamespace

from octoprint_failwatch.config import build_config
from octoprint_failwatch.outcomes.actions import PrintAction
from octoprint_failwatch.plugin.safe_pause import SafePause, pause_script, resume_script
from octoprint_failwatch.printers.base import PrinterState

PRINTING, PAUSED = PrinterState.PRINTING, PrinterState.PAUSED


class Printer:
    def __init__(self, state=PRINTING):
        self.state = state
        self.state_words = state.value
        self.calls = []

    def pause_print(self, tags=None):
        self.calls.append("pause")
        self.state = PAUSED

    def resume_print(self, tags=None):
        self.calls.append("resume")
        self.state = PRINTING

    def cancel_print(self, tags=None):
        self.calls.append("cancel")


def config(**settings):
    return build_config(settings)[0]


def action_with(printer, **settings):
    current = {"config": config(**settings)}
    action = PrintAction(lambda: current["config"], logging.getLogger("test"), printer)
    return action, current


def safe_pause_with(printer, **settings):
    action, current = action_with(printer, **settings)
    return action, SafePause(lambda: action, lambda: current["config"])


def test_pause_only_when_printing_and_once_per_print_unless_allowed():
    printer = Printer(PAUSED)
    action, current = action_with(printer, failure_action="pause")
    assert action.on_confirmed_failure(test_run=False) == "notified"
    printer.state = PRINTING
    assert action.on_confirmed_failure(test_run=True) == "notified"
    assert action.on_confirmed_failure(test_run=False) == "paused"
    printer.state = PRINTING
    assert action.on_confirmed_failure(test_run=False) == "notified"
    current["config"] = config(failure_action="pause", max_auto_pauses=2)
    assert action.on_confirmed_failure(False) == "paused"
    action.new_print()
    printer.state = PRINTING
    current["config"] = config(failure_action="notify")
    assert action.on_confirmed_failure(test_run=False) == "notified"
    current["config"] = config(failure_action="cancel", allow_cancel=True)
    assert action.on_confirmed_failure(False) == "cancelled"
    assert printer.calls == ["pause", "pause", "cancel"]


def test_the_scripts_hook_adds_the_safe_sequence_to_our_pause_only():
    printer = Printer()
    action, pause = safe_pause_with(printer, failure_action="pause")
    assert pause.script_hook(None, "gcode", "afterPrintPaused") is None  # the user's own pause: untouched
    assert action.on_confirmed_failure(False) == "paused"
    before, after = pause.script_hook(None, "gcode", "afterPrintPaused")
    assert before is None and after == ["G91", "G1 Z5 F600", "G90"]  # SD print: extrusion mode unknown
    comm = SimpleNamespace(
        pause_temperature=SimpleNamespace(as_script_dict=lambda: {0: {"target": 210}}),
        pause_position=SimpleNamespace(x=5.0, y=6.0, z=7.0, e=None, f=None),
    )
    # OctoPrint fires PrintResumed (our pause ends there) before it asks for the resume script: still undone
    action.user_resumed()
    before, after = pause.script_hook(comm, "gcode", "beforePrintResumed")
    assert before == ["G90", "G1 X5 Y6 F6000", "G1 Z7 F600"] and after is None
    assert pause.script_hook(comm, "gcode", "afterPrintPaused") is None  # the user's next pause: untouched
    assert pause.script_hook(comm, "gcode", "beforePrintResumed") is None  # and its resume too


def test_not_a_failure_resumes_only_our_pause_and_a_user_resume_names_our_incident():
    printer = Printer()
    action, _ = action_with(printer, failure_action="pause")
    action.on_confirmed_failure(False)
    action.paused_for("incident-1")
    assert action.resume_not_a_failure("incident-2") is False
    assert action.resume_not_a_failure("incident-1") is True and printer.calls == ["pause", "resume"]
    assert action.user_resumed() is None  # resumed for the user's "not a failure", not by the user
    action.new_print()
    action.on_confirmed_failure(False)
    action.paused_for("incident-3")
    assert action.user_resumed() == "incident-3" and action.user_resumed() is None


def test_the_extrusion_mode_is_the_last_one_sent_before_our_pause_and_unknown_for_a_new_print():
    printer = Printer()
    action, pause = safe_pause_with(printer, failure_action="pause")
    for line in ("M82", "G1 E1", "M83", "G1 E1"):
        pause.track_gcode(None, "sent", line, None, line.split()[0])
    action.on_confirmed_failure(False)
    assert pause.script_hook(None, "gcode", "afterPrintPaused")[1][:2] == ["M83", "G1 E-1 F2400"]
    action.new_print()
    pause.new_print()
    printer.state = PRINTING
    action.on_confirmed_failure(False)
    assert "M83" not in pause.script_hook(None, "gcode", "afterPrintPaused")[1]  # nothing sent yet: no retract


def test_the_safe_sequence_retracts_only_when_the_mode_is_known_and_undoes_everything():
    settings = config(pause_park=True, pause_park_x=10, pause_park_y=200, pause_hotend_off=True)
    assert pause_script(settings, None) == ["G91", "G1 Z5 F600", "G90", "G1 X10 Y200 F6000", "M104 S0"]
    assert pause_script(settings, "relative")[:2] == ["M83", "G1 E-1 F2400"]
    position = SimpleNamespace(x=50.0, y=60.0, z=12.4, e=321.5, f=1800.0)
    assert resume_script(settings, "absolute", position, 215.0) == [
        "M109 S215",
        "G90",
        "G1 X50 Y60 F6000",
        "G1 Z12.4 F600",
        "M83",
        "G1 E1 F2400",
        "M82",
        "G92 E321.5",
        "G1 F1800",
    ]
    assert "M82" not in resume_script(settings, "relative", position, 215.0)
