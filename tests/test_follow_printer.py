"""How the watch follows a printer's states (the daemon's), on a simulated clock: the edges the real-part tests
(test_klipper.py) cannot reach in seconds — a user's long pause gets the grace period, a macro's short one not,
a printer back after an outage mid-print keeps its watch."""

from __future__ import annotations

import logging

from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.status import State
from octoprint_failwatch.outcomes.actions import PrintAction
from octoprint_failwatch.printers.base import PrinterBase, PrinterState
from octoprint_failwatch.session.follower import MACRO_PAUSE_SECONDS, PrintFollower

from conftest import MODEL_ID

OFFLINE, IDLE, PRINTING, PAUSED = (PrinterState.OFFLINE, PrinterState.IDLE, PrinterState.PRINTING, PrinterState.PAUSED)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class Printer(PrinterBase):
    name, via, pause_note = "Moonraker", "through Moonraker", ""

    def __init__(self):
        self.current, self.file, self.paused = IDLE, "part.gcode", 0

    @property
    def state(self):
        return self.current

    def job(self) -> dict:
        return {"file": self.file, "progress": 10.0, "elapsed": 60.0}

    def pause_print(self, tags=None):
        self.paused += 1


class Watch:
    """What the follower does to the watch, recorded."""

    def __init__(self):
        self.calls: list[str] = []
        self.state = State.IDLE

    def start(self, reason: str, test_mode: bool, same_print: bool = False) -> None:
        self.calls.append(("resume: " if same_print else "start: ") + reason)
        self.state = State.WATCHING

    def stop(self) -> None:
        self.calls.append("stop")
        self.state = State.IDLE

    def control(self, action):
        class Engine:
            def grace(_, seconds):
                self.calls.append(f"grace {seconds:g}")

            def suspend(_):
                self.calls.append("suspend")

        return action(Engine())


class Feedback:
    """What the follower tells of a resume: whether our pause held the print."""

    def __init__(self, action: PrintAction):
        self._action = action

    def user_resumed(self):
        return self._action.user_resumed()


def follower(**settings):
    config, errors = build_config(
        {"inference_profile_arn": MODEL_ID, "failure_action": "pause", "resume_grace_minutes": 2, **settings}
    )
    assert not errors
    printer, watch, clock = Printer(), Watch(), Clock()
    action = PrintAction(lambda: config, logging.getLogger("test"), printer)
    follow = PrintFollower(
        watch=watch,
        action=action,
        feedback=Feedback(action),
        gate=None,
        config=lambda: config,
        new_print=lambda: None,
        clock=clock,
        logger=logging.getLogger("test"),
        printer=printer,
        macro_pause_seconds=MACRO_PAUSE_SECONDS,
    )
    return follow, printer, watch, clock, action


def test_a_users_long_pause_ends_with_the_grace_period_and_a_macros_short_one_without():
    follow, printer, watch, clock, _ = follower()
    follow.changed(IDLE, PRINTING)
    follow.changed(PRINTING, PAUSED)
    clock.now += MACRO_PAUSE_SECONDS - 1  # a timelapse frame
    follow.changed(PAUSED, PRINTING)
    follow.changed(PRINTING, PAUSED)
    clock.now += 300  # the user paused to look
    follow.changed(PAUSED, PRINTING)
    assert watch.calls == [
        "start: print started (part.gcode)",
        "suspend",
        "resume: a short pause ended (a macro's, such as a timelapse frame): watching on",
        "suspend",
        "resume: print resumed",
        "grace 120",
    ]


def test_a_short_pause_of_failwatchs_own_is_no_macro_and_gets_the_grace_period():
    follow, printer, watch, clock, action = follower()
    follow.changed(IDLE, PRINTING)
    printer.current = PRINTING
    assert action.on_confirmed_failure(test_run=False) == "paused" and printer.paused == 1
    action.paused_for("incident-1")
    follow.changed(PRINTING, PAUSED)
    clock.now += 5  # resumed at once from Mainsail
    follow.changed(PAUSED, PRINTING)
    assert watch.calls[-2:] == ["resume: print resumed", "grace 120"]


def test_a_printer_back_after_an_outage_mid_print_keeps_its_watch_and_a_new_file_is_a_new_print():
    follow, printer, watch, clock, _ = follower()
    follow.changed(IDLE, PRINTING)
    follow.changed(PRINTING, OFFLINE)  # Moonraker restarted: nothing known meanwhile, the watch goes on
    follow.changed(OFFLINE, PRINTING)
    assert watch.calls == ["start: print started (part.gcode)"]
    follow.changed(PRINTING, IDLE)
    printer.file = "next.gcode"
    follow.changed(IDLE, PRINTING)
    assert watch.calls[1:] == ["stop", "start: print started (next.gcode)"]


def test_the_alert_says_through_which_printer_the_print_was_paused_and_what_a_long_pause_does():
    _, printer, _, _, action = follower()
    printer.pause_note = "Klipper turns the heaters and motors off after 10 min paused"
    assert action.describe("paused") == (
        "Print paused through Moonraker (Klipper turns the heaters and motors off after 10 min paused)"
    )
    assert action.describe("notified") == "Only notified"


def test_a_printer_that_cannot_be_reached_at_the_failure_leaves_it_alerted_as_only_notified(caplog):
    from octoprint_failwatch.printers.base import PrinterError

    _, printer, _, _, action = follower()
    printer.current = PRINTING

    def unreachable(tags=None):
        raise PrinterError("Moonraker at http://pi:7125 unreachable: ConnectionError")

    printer.pause_print = unreachable
    assert action.on_confirmed_failure(test_run=False) == "notified"
    assert "could not pause the print: Moonraker at http://pi:7125 unreachable" in caplog.text
    assert action.auto_pauses_this_print == 0 and not action.holds_print()  # the next failure may still pause it
