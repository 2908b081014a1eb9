"""The print gate: warm-up by minutes and layers, heating, and no warm-up for a print joined midway."""

import logging

from octoprint_failwatch.config import build_config
from octoprint_failwatch.session.gate import PrintGate


class Printer:
    """What the gate reads from the printer: the job's progress, time printed and Z height, and the heaters."""

    def __init__(self):
        self.completion, self.print_time, self.z = 0.0, 0, None
        self.heaters = {"tool0": {"actual": 210.0, "target": 210.0}}

    def job(self):
        return {"file": "part.gcode", "progress": self.completion, "elapsed": self.print_time, "z": self.z}

    def temperatures(self):
        return self.heaters


def gate_for(printer, **settings) -> PrintGate:
    config, errors = build_config({"inference_profile_arn": "m", **settings})
    assert not errors
    gate = PrintGate(printer, lambda: config, logging.getLogger("test"))
    gate.new_print()
    return gate


def test_a_new_print_waits_its_warm_up_minutes_then_its_layers():
    printer = Printer()
    gate = gate_for(printer, warmup_minutes=2, warmup_layers=2)
    printer.print_time = 30
    assert gate.reason_to_wait() == ("warming_up", "warming up: analysis starts 90 s into the print")
    printer.print_time, printer.z = 130, 0.2
    assert gate.reason_to_wait() == ("warming_up", "warming up: layer 1 of 2")
    printer.z = 0.4
    assert gate.reason_to_wait() is None


def test_heaters_below_target_hold_analysis_back():
    printer = Printer()
    gate = gate_for(printer, warmup_minutes=0, warmup_layers=0)
    printer.heaters = {"bed": {"actual": 40.0, "target": 60.0}}
    assert gate.reason_to_wait() == ("heating", "heating: bed at 40 of 60 °C")


def test_a_print_joined_well_under_way_gets_no_warm_up_but_heating_still_counts():
    printer = Printer()
    gate = gate_for(printer, warmup_minutes=10, warmup_layers=5)
    printer.completion, printer.print_time = 42.0, 2  # first seen at 42 %, two seconds after "start"
    assert gate.reason_to_wait() is None
    printer.heaters = {"tool0": {"actual": 150.0, "target": 210.0}}
    assert gate.reason_to_wait()[0] == "heating"


def test_a_print_seen_from_its_start_is_not_taken_for_a_joined_one_later():
    printer = Printer()
    gate = gate_for(printer, warmup_minutes=10)
    printer.completion, printer.print_time = 0.5, 1
    assert gate.reason_to_wait()[0] == "warming_up"
    printer.completion, printer.print_time = 40.0, 20  # far along now, but it was seen starting
    assert gate.reason_to_wait()[0] == "warming_up"


def test_octoprint_started_during_a_print_skips_the_warm_up():
    printer = Printer()
    gate = gate_for(printer, warmup_minutes=10)
    gate.new_print(already_running=True)
    assert gate.reason_to_wait() is None
