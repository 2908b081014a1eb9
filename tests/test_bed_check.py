"""The bed check: one look at the build plate as a print starts. In a real OctoPrint with the demo camera and boto3
against the local Converse server: a part left on the plate holds the print until Print anyway; a plate the camera
cannot see holds nothing. The edges (a print ended during the look, a model error, the offline backend) on fakes."""

from __future__ import annotations

import logging

import pytest

from demo.octoprint_instance import wait_for
from octoprint_failwatch.analysis import AnalysisError, PlateReading
from octoprint_failwatch.analysis.plate import parse_plate
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.simulation import SimulatedClock
from octoprint_failwatch.outcomes.actions import PrintAction
from octoprint_failwatch.outcomes.alerts import BED, Alert
from octoprint_failwatch.outcomes.alerts.wording import wording
from octoprint_failwatch.printers.base import PrinterState
from octoprint_failwatch.session.bed_check import BedCheck


def bed_check_state(octoprint, *states: str) -> dict:
    return wait_for(
        lambda: (check := octoprint.plugin_status().get("bed_check")) and check["state"] in states and check,
        60,
        f"the bed check to say {states}",
    )


@pytest.mark.octoprint
def test_a_part_left_on_the_plate_holds_the_print_until_print_anyway(octoprint, camera, model):
    octoprint.save_settings({"bed_check_hold": True})
    camera.mode = "leftover"  # a green part from the last print lies on the plate
    try:
        octoprint.start_print()
        check = bed_check_state(octoprint, "objects")
        assert check["held"] is True and "green part" in check["explanation"]
        wait_for(lambda: octoprint.job_state() == "Paused", 30, "the print to be held before its first layer")
        picture = octoprint.failwatch("GET", "bed_check.jpg")
        assert picture.headers["Content-Type"] == "image/jpeg" and picture.content.startswith(b"\xff\xd8")
        wait_for(
            lambda: "PLUGIN_FAILWATCH_BED_NOT_CLEAR" in {e.upper() for e in octoprint.events()},
            30,
            "OctoPrint's event manager to hear of the plate",
        )
        assert "bed check: something on the build plate" in octoprint.log_text()
        assert octoprint.plugin_status()["state"] == "paused"  # the watch waits for the print like any pause

        camera.mode = "healthy"  # the plate cleared by hand
        answer = octoprint.failwatch("POST", "bed_check/print_anyway")
        assert answer.status_code == 200 and answer.json()["bed_check"]["printed_anyway"] is True
        wait_for(lambda: octoprint.job_state() == "Printing", 30, "the print to go on")
        assert octoprint.failwatch("POST", "bed_check/print_anyway").status_code == 409  # nothing held any more
    finally:
        octoprint.save_settings({"bed_check_hold": False})
        if octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
            octoprint.cancel_print()
        camera.mode = "healthy"


@pytest.mark.octoprint
def test_a_plate_the_camera_cannot_see_holds_nothing_and_a_clear_one_is_said(octoprint, camera, model):
    octoprint.save_settings({"bed_check_hold": True})
    model.plate = "cannot_see"  # the head parked in front of the camera
    try:
        asked = sum(record["bed"] for record in model.converse_requests)
        octoprint.start_print()
        check = bed_check_state(octoprint, "cannot_see")
        assert check["held"] is False and octoprint.job_state().startswith("Printing")
        assert octoprint.failwatch("GET", "bed_check.jpg").status_code == 404  # no alarm, no picture kept
        assert octoprint.failwatch("POST", "bed_check/print_anyway").status_code == 409
        assert sum(record["bed"] for record in model.converse_requests) == asked + 1  # one look per print
        octoprint.cancel_print()

        model.plate = "scene"  # the demo camera's plate: nothing left on it
        octoprint.start_print()
        assert bed_check_state(octoprint, "clear")["explanation"] == "The build plate is empty."
    finally:
        model.plate = "scene"
        octoprint.save_settings({"bed_check_hold": False})
        if octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
            octoprint.cancel_print()


# ----- the edges, on fakes -----


class Printer:
    def __init__(self):
        self.state = PrinterState.PRINTING
        self.calls: list[str] = []

    def pause_print(self, tags=None):
        self.calls.append("pause")
        self.state = PrinterState.PAUSED

    def resume_print(self, tags=None):
        self.calls.append("resume")
        self.state = PrinterState.PRINTING


def bed_check(answer, **settings):
    """A bed check whose look runs when `run_look()` is called; `answer` is the model's reading or an error."""
    config = build_config({"inference_profile_arn": "us.amazon.nova-lite-v1:0", **settings})[0]
    printer = Printer()
    action = PrintAction(lambda: config, logging.getLogger("test"), printer)
    alerts: list[tuple] = []
    looks: list = []

    def check(config, frame):
        if isinstance(answer, Exception):
            raise answer
        return answer

    checker = BedCheck(
        config=lambda: config,
        check=check,
        picture=lambda: b"\xff\xd8 a picture",
        action=action,
        not_clear=lambda reading, picture, held: alerts.append((reading.plate, picture, held)),
        changed=lambda: None,
        clock=SimulatedClock(),
        logger=logging.getLogger("test"),
        run=looks.append,
    )
    return checker, printer, alerts, looks


def test_a_model_error_or_a_print_ended_during_the_look_holds_nothing():
    checker, printer, alerts, looks = bed_check(AnalysisError("Bedrock ThrottlingException"), bed_check_hold=True)
    checker.print_started()
    assert checker.result["state"] == "checking"
    looks.pop()()
    assert checker.result["state"] == "error" and "Throttling" in checker.result["explanation"]
    assert printer.calls == [] and alerts == []

    checker, printer, alerts, looks = bed_check(PlateReading("objects", "a part"), bed_check_hold=True)
    checker.print_started()
    checker.print_ended()  # cancelled while the model was looking
    printer.state = PrinterState.IDLE
    looks.pop()()
    assert printer.calls == [] and alerts == [] and checker.picture is None


def test_objects_alert_with_the_picture_and_hold_only_when_allowed():
    checker, printer, alerts, looks = bed_check(PlateReading("objects", "a part on the plate"))
    checker.print_started()
    looks.pop()()
    assert alerts == [("objects", b"\xff\xd8 a picture", False)] and printer.calls == []
    assert checker.print_anyway() == (False, "no print is held by the bed check")

    checker, printer, alerts, looks = bed_check(PlateReading("objects", "a part on the plate"), bed_check_hold=True)
    checker.print_started()
    looks.pop()()
    assert alerts[0][2] is True and printer.calls == ["pause"]
    assert checker.print_anyway() == (True, "print resumed: printing anyway")
    assert printer.calls == ["pause", "resume"] and checker.print_anyway()[0] is False


def test_the_offline_backend_and_test_mode_ask_no_model():
    checker, _, _, looks = bed_check(PlateReading("clear", "empty"), model_backend="local", local_detector="printnanny")
    checker.print_started()
    assert checker.result["state"] == "unavailable" and "vision model" in checker.result["explanation"]
    checker, _, _, looks = bed_check(PlateReading("clear", "empty"), test_mode=True)
    checker.print_started()
    checker, _, _, looks2 = bed_check(PlateReading("clear", "empty"), bed_check=False)
    checker.print_started()
    assert looks == [] and looks2 == [] and checker.result is None


def test_a_plate_answer_is_validated_and_the_alert_says_what_to_do():
    assert parse_plate({"plate": "objects", "explanation": " a scraper "}).explanation == "a scraper"
    for garbage in (None, {"plate": "maybe", "explanation": "x"}, {"plate": "clear", "explanation": " "}):
        with pytest.raises(AnalysisError):
            parse_plate(garbage)
    held = wording(Alert(BED, "mk4", text="a part", action="held", job={"file": "cube.gcode"}))
    assert held.kind == "bed" and "Print anyway" in held.text and ("File", "cube.gcode") in held.facts
    assert "goes on" in wording(Alert(BED, "mk4", text="a part", action="notified")).text
