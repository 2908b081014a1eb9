"""Reliability: hostile settings, a long run with a fault mix, model faults inside a real OctoPrint."""

import logging
import math
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.endurance import endurance
from demo.octoprint_instance import wait_for
from octoprint_failwatch.config import DEFAULTS, FIELDS, build_config, validate
from octoprint_failwatch.engine.pacing import QUOTA_WINDOW

values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5000)
    | st.lists(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(DEFAULTS)), values, max_size=len(DEFAULTS)))
def test_any_settings_give_a_valid_config_and_messages_never_an_exception(raw):
    config, errors = build_config(raw)
    for field in FIELDS:
        value = getattr(config, field.key)
        assert isinstance(value, field.kind)
        if field.kind is float:
            assert math.isfinite(value)
        if field.minimum is not None and field.kind in (int, float):
            assert field.minimum <= value <= field.maximum
    assert config.verification_required <= config.verification_series
    assert set(errors) <= set(DEFAULTS)
    assert validate({**raw, **{k: getattr(config, k) for k in DEFAULTS}})[1] == {}  # the result is valid


def test_eight_print_hours_with_a_fault_mix_keep_threads_sockets_and_memory_flat(model, monkeypatch):
    """Camera outages, model faults, alarms and cooldowns for 8 simulated hours, real boto3 to the local model."""
    # pytest keeps every log record of a test in memory: that is the test's growth, not the engine's
    monkeypatch.setattr(logging.getLogger("octoprint_failwatch.engine.engine"), "disabled", True)
    model.false_positive_rate, model.verdict = 0.03, "scene"
    try:
        hours = list(endurance(model, 8))  # every fault: throttling and 5xx are retried on the simulated clock
    finally:
        model.false_positive_rate = 0.0
    first = hours[1]  # after the first hour: connection pools, caches and boto3's models are in place
    for hour in hours[2:]:
        assert hour["threads"] == first["threads"] and hour["sockets"] == first["sockets"], hour
        assert hour["heap_mb"] < first["heap_mb"] + 0.5, hour
    last = hours[-1]
    assert last["calls"] > 2000 and last["errors"] > 8 * 5 and last["alarms"] > 8


def _threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def _open_files(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


@pytest.mark.octoprint
def test_model_faults_during_a_print_are_reported_never_pause_and_leak_no_threads(printing, camera, model):
    printing.save_settings({"failure_action": "pause", "model_timeout": 2})
    try:
        printing.wait_for_state("watching")
        wait_for(lambda: printing.plugin_status()["last_verdict"], 30, "a first verdict")
        threads, files = _threads(printing.process.pid), _open_files(printing.process.pid)
        camera.mode = "failed"
        for fault, text in (
            ("hang", "did not answer within 2 s"),
            ("malformed", "print_failed"),
            ("expired", "ExpiredTokenException"),
            ("max_tokens", "max_tokens"),
            ("throttle", "ThrottlingException"),
            ("5xx", "InternalServerException"),
            ("denied", "AccessDeniedException"),
        ):
            model.faults.extend([fault] * 8)
            status = wait_for(
                lambda text=text: text in (s := printing.plugin_status())["error"] and s,
                60,
                f"the status to say {text}",
            )
            assert printing.job_state().startswith("Printing") and status["counters"]["confirmed"] == 0
            model.faults.clear()
        camera.mode = "healthy"
        wait_for(
            lambda: printing.plugin_status()["error"] == "" and printing.plugin_status()["state"] == "watching",
            60,
            "recovery once the faults end",
        )
        assert _threads(printing.process.pid) <= threads + 2  # executor workers may have started, no more
        assert _open_files(printing.process.pid) <= files + 4  # sockets are reused, not leaked
    finally:
        model.faults.clear()
        camera.mode = "healthy"
        printing.save_settings({"failure_action": "notify", "model_timeout": 60})


@pytest.mark.octoprint
def test_a_burst_of_mixed_model_faults_is_back_to_the_normal_pace_within_90_s(printing, model):
    """14 faults, one per call, mid-print (the quota carried the looks for a minute first): throttles (the only
    quota signal), 5xx, timeouts, expired credentials."""
    burst = ["throttle"] * 4 + [
        "5xx",
        "model_timeout",
        "unavailable",
        "expired",
        "5xx",
        "throttle",
        "unavailable",
        "5xx",
        "model_timeout",
        "5xx",
    ]
    printing.wait_for_state("watching")
    watching = time.monotonic()
    wait_for(
        lambda: time.monotonic() - watching > QUOTA_WINDOW + 2 and printing.plugin_status()["error"] == "",
        QUOTA_WINDOW + 30,
        "a minute of looks through",
    )
    events_before = len(printing.events())
    model.faults.extend(burst)
    wait_for(lambda: not model.faults, 180, "the 14 faults to be used")
    last_fault = time.monotonic()
    interval = 1.0  # the tests' interval between images (fast_settings)

    def normal_pace() -> bool:
        now = time.monotonic()
        looks = [r["time"] for r in list(model.converse_requests) if r["quick"] and r["time"] > now - 6]
        gaps = [b - a for a, b in zip(looks, looks[1:])]
        return len(gaps) >= 3 and max(gaps) <= 1.6 * interval and printing.plugin_status()["error"] == ""

    wait_for(normal_pace, 90, "the looks at their normal pace")
    assert time.monotonic() - last_fault <= 90
    status = printing.plugin_status()
    assert status["state"] == "watching" and status["counters"]["confirmed"] == 0
    assert printing.job_state().startswith("Printing")  # never paused for its own errors
    assert len(printing.events()) == events_before  # no alarm and no alert storm from the burst


@pytest.mark.octoprint
def test_an_octoprint_restart_keeps_the_history_and_sets_a_corrupt_incident_aside(octoprint):
    from octoprint_failwatch.frame import Frame
    from octoprint_failwatch.outcomes.history import IncidentHistory

    folder = octoprint.basedir / "data" / "failwatch" / "incidents"
    history = IncidentHistory(folder)
    kept = history.record("rejected", {"trigger": {"explanation": "glare"}}, {"trigger": [Frame(b"\xff\xd8", 0, 0)]})
    broken = history.record("confirmed", {"trigger": {"explanation": "spaghetti"}}, {})
    (folder / broken / "incident.json").write_text('{"id": "trunc')  # a write cut short by a power loss
    octoprint.restart()
    ids = [i["id"] for i in octoprint.failwatch("GET", "incidents").json()["incidents"]]
    assert kept in ids and broken not in ids
    assert "is unreadable" in octoprint.log_text()
    assert octoprint.plugin_status()["state"] in ("idle", "not_configured")
