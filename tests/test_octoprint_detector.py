"""The on-device detector in a real OctoPrint: PrintNanny's model on its real photos, served by an HTTP snapshot
camera, watching a print on the virtual printer and pausing it — with the vision model (the local Bedrock
stand-in, through boto3) as the judge, and with no cloud at all. Beside it the picture-change eye: a part knocked
loose on a working printer (its head and bed moving), which the detector does not see, is raised and paused."""

from __future__ import annotations

import shutil

import pytest

from demo.octoprint_instance import wait_for

pytestmark = pytest.mark.octoprint

DETECTOR_SETTINGS = {
    "local_detector": "printnanny",
    "local_interval": 1,
    # the model's safety-net look comes at a random point of the first hour, most likely after the test: the alarm
    # under test is a local eye's (at 30 s, a look falling in the second a failure appeared now and then raised it)
    "model_look_interval": 3600,
    "failure_action": "pause",
}
RESTORED = {
    "local_detector": "off",
    "local_interval": 2,
    "model_look_interval": 30,
    "failure_action": "notify",
    "model_backend": "bedrock",
}


@pytest.fixture
def detector_on(octoprint, printnanny, camera, model):
    """PrintNanny's model in the plugin's data folder (as a first fetch leaves it); healthy photos on the camera."""
    models = octoprint.basedir / "data" / "failwatch" / "models"
    shutil.copytree(printnanny.cache, models, dirs_exist_ok=True)
    camera.show_photos([printnanny.photo(2), printnanny.photo(4)])
    model.verdict = "healthy"
    yield octoprint
    if octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
        octoprint.cancel_print()  # a test that failed halfway leaves no print for the next ones
    octoprint.failwatch("POST", "acknowledge", json={})  # the next tests start with no alarm on show
    octoprint.save_settings(RESTORED)
    camera.mode = "healthy"
    model.verdict = "scene"


def detector_ready(octoprint) -> dict:
    return wait_for(
        lambda: (d := octoprint.plugin_status().get("detector")) and d["state"] == "ready" and d,
        60,
        "the on-device detector to load",
    )


def test_the_detector_raises_the_alarm_the_model_confirms_it_and_the_print_is_paused(
    detector_on, printnanny, camera, model
):
    octoprint = detector_on
    octoprint.save_settings(DETECTOR_SETTINGS)
    assert octoprint.plugin_status()["last_save"]["notes"][0] == "the on-device detector: loading printnanny…"
    assert "ready" in detector_ready(octoprint)["message"]
    octoprint.start_print()
    octoprint.wait_for_state("watching")
    wait_for(lambda: octoprint.plugin_status()["counters"]["local_looks"] >= 5, 60, "the detector's looks")
    status = octoprint.plugin_status()
    assert status["counters"]["detections"] == 0 and status["detector"]["last"]["flagged"] is False
    before = len(model.converse_requests)

    camera.show_photos([printnanny.photo(0), printnanny.photo(6)])  # spaghetti
    model.verdict = "failed"  # the stand-in vision model sees it too
    status = octoprint.wait_for_state("cooldown", timeout=60)
    assert status["counters"]["confirmed"] == 1 and status["last_failure"]["action"] == "paused"
    wait_for(lambda: octoprint.job_state() == "Paused", 30, "the print to be paused")
    after = model.converse_requests[before:]
    assert after and not after[0]["quick"]  # the detector's alarm went straight to the full series
    incident = octoprint.failwatch("GET", "incidents").json()["incidents"][0]
    assert incident["quick"]["source"] == "detector" and incident["quick"]["explanation"].startswith("spaghetti, ")
    timeline = octoprint.failwatch("GET", "timeline").json()["timeline"]
    assert any(p["source"] == "detector" and p["failed"] for p in timeline)
    assert any(p["source"] == "model" for p in timeline)
    assert octoprint.plugin_status()["detector"]["last"]["flagged"] is True
    octoprint.cancel_print()
    camera.show_photos([printnanny.photo(2), printnanny.photo(4)])  # the next print is a healthy one
    octoprint.start_print()
    last = octoprint.plugin_status()["detector"]["last"]  # the last print's flagged score is not this one's
    assert last is None or last["flagged"] is False
    octoprint.cancel_print()


def test_offline_the_detector_alone_confirms_and_pauses_with_no_cloud_call(detector_on, printnanny, camera, model):
    octoprint = detector_on
    octoprint.save_settings({**DETECTOR_SETTINGS, "model_backend": "local"})
    detector_ready(octoprint)
    before = len(model.converse_requests)
    octoprint.start_print()
    octoprint.wait_for_state("watching")
    wait_for(lambda: octoprint.plugin_status()["counters"]["local_looks"] >= 5, 60, "the detector's looks")
    camera.show_photos([printnanny.photo(3), printnanny.photo(5)])
    status = octoprint.wait_for_state("cooldown", timeout=60)
    wait_for(lambda: octoprint.job_state() == "Paused", 30, "the print to be paused")
    assert status["counters"]["confirmed"] == 1 and status["counters"]["cost_usd"] == 0
    assert status["counters"]["rejected"] == 0  # the alarm waited for the evidence its series needs
    assert status["last_failure"]["explanation"].startswith("spaghetti, ")
    assert len(model.converse_requests) == before  # no cloud at all
    octoprint.cancel_print()


def test_test_connection_offline_asks_the_on_device_detector_once_with_no_cloud_call(detector_on, model):
    octoprint = detector_on
    offline = {**DETECTOR_SETTINGS, "model_backend": "local"}
    octoprint.save_settings(offline)
    detector_ready(octoprint)
    before = len(model.converse_requests)
    answer = octoprint.failwatch("POST", "test_connection", json={"settings": offline}).json()
    assert answer["ok"] is True, answer
    assert answer["verdict"]["model"] == "on-device detector" and answer["verdict"]["print_failed"] is False
    assert len(model.converse_requests) == before


def test_a_part_knocked_loose_is_raised_by_the_picture_change_eye_confirmed_by_the_model_and_paused(
    detector_on, printnanny, camera, model
):
    from demo.photo_judge import PhotoJudge
    from demo.printnanny_motion import WORKING, failed_photo, moving_frames
    from octoprint_failwatch.analysis.picture_change import KEEP_EVERY, LEARNING_LOOKS, MIN_HELD, SETTLE

    octoprint = detector_on
    photo = printnanny.photo(WORKING)
    healthy = moving_frames(photo, WORKING, 40, draw=1)  # a working printer: its head and bed move every frame
    moved = moving_frames(failed_photo(photo, WORKING, "moved"), WORKING, 40, draw=2)  # the part knocked aside
    model.verdict = "scene"  # the model judges each picture; the detector sees no strands in either
    model.judge = PhotoJudge([*((jpeg, False) for jpeg in healthy), *((jpeg, True) for jpeg in moved)])
    try:
        camera.show_photos(healthy)
        octoprint.save_settings(DETECTOR_SETTINGS)
        detector_ready(octoprint)
        octoprint.start_print()
        octoprint.wait_for_state("watching")
        looks = octoprint.plugin_status()["counters"]["local_looks"]
        # a look a second: the eye holds frames SETTLE s old, then learns which blocks of the picture are restless
        learning = SETTLE + MIN_HELD * KEEP_EVERY + LEARNING_LOOKS + 10
        wait_for(
            lambda: octoprint.plugin_status()["counters"]["local_looks"] >= looks + learning,
            3 * learning,
            "the picture-change eye to learn the picture",
        )
        status = octoprint.plugin_status()
        assert status["state"] == "watching" and status["counters"]["confirmed"] == 0  # moving, nothing failed
        before = len(model.converse_requests)

        camera.show_photos(moved)
        status = octoprint.wait_for_state("cooldown", timeout=60)
        assert status["counters"]["confirmed"] == 1 and status["last_failure"]["action"] == "paused"
        wait_for(lambda: octoprint.job_state() == "Paused", 30, "the print to be paused")
        after = model.converse_requests[before:]
        assert after and not after[0]["quick"]  # the change eye's alarm went straight to the full series
        incident = octoprint.failwatch("GET", "incidents").json()["incidents"][0]
        assert incident["quick"]["source"] == "change"
        assert incident["quick"]["explanation"].startswith("the picture changed beyond the print's own growth")
        octoprint.cancel_print()
    finally:
        model.judge = None
