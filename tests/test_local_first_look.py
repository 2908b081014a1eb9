"""The local first look in simulated time: the on-device detector at every frame, the model as the judge and
the safety net. (The real detector on real photos: test_local_detector.py; in a real OctoPrint:
test_octoprint_detector.py.)"""

from __future__ import annotations

from demo.scene import shows_failure
from octoprint_failwatch.engine.evidence import LookAlike
from octoprint_failwatch.engine.local_looks import MUTE_MAX

from engine_fakes import Harness, SceneDetector, ScriptedModel, always


def sees_the_scene() -> ScriptedModel:
    """A model that is right: failed when the newest frame shows the strands."""
    return ScriptedModel(lambda n, frames: shows_failure(frames[-1].jpeg))


def model_calls_between(h: Harness, start: float, end: float) -> list[bool]:
    """Whether each model call made in [start, end) was a quick look."""
    return [quick for quick, at in zip(h.model.quick, h.model.times) if start <= at < end]


def test_with_the_detector_every_frame_is_looked_at_locally_and_the_model_only_every_30_s():
    h = Harness(always(False), detector=SceneDetector())
    h.engine.start()
    h.run(600)
    looked = h.engine.status()["counters"]["local_looks"]
    assert 295 <= looked <= 301  # a frame every 2 s
    quick = model_calls_between(h, 1000, 1600)
    assert all(quick) and 19 <= len(quick) <= 20  # the safety net: one look every 30 s (today: 60 in 10 min)
    assert h.named("failure_detected") == []


def test_a_flagged_frame_starts_the_series_and_the_verification_at_once_with_no_quick_look_first():
    h = Harness(sees_the_scene(), latency=3.0, detector=SceneDetector())
    h.engine.start()
    h.run(101)  # healthy for 100 s: the detector's frames fill the span of a series
    calls_before = len(h.model.calls)
    h.camera.scene = "failed"
    h.run(40)
    detected = h.named("failure_detected")
    assert len(detected) == 1 and detected[0][0] - 1101 <= 2.1  # the next detector frame, not the next model look
    assert detected[0][1].verdict.source == "detector"
    first_call = h.model.calls[calls_before]
    assert h.model.quick[calls_before] is False  # the full series, no quick look first
    # the series is the regular cadence's: three frames 10 s apart, ending with the flagged one
    times = [f.captured_at for f in first_call]
    assert len(times) == 3 and [round(b - a) for a, b in zip(times, times[1:])] == [10, 10]
    confirmed = h.named("failure_confirmed")
    assert len(confirmed) == 1 and confirmed[0][1].quick.source == "detector"
    assert confirmed[0][0] - 1101 < 12  # flagged at once, the series and verification judged by a 3 s model


def test_a_persistent_look_alike_the_model_rejects_costs_fewer_calls_than_todays_quick_looks():
    # the detector flags every frame; the model sees a healthy print
    h = Harness(always(False), latency=3.0, detector=SceneDetector(lambda frame: 0.9))
    h.engine.start()
    h.run(3600)
    rejected = h.named("verification_rejected")
    assert 5 <= len(rejected) <= 10  # muted 1, 2, 4, 8, 15, 15... minutes after each rejection
    assert len(h.model.calls) <= 360  # today's defaults: a quick look every 10 s
    gaps = [b[0] - a[0] for a, b in zip(rejected, rejected[1:])]
    assert max(gaps) <= MUTE_MAX + 10 and gaps == sorted(gaps)
    assert h.state() in ("watching", "verifying")


def test_not_a_failure_silences_the_detectors_alarms_for_that_look_alike():
    h = Harness(always(True), latency=1.0, detector=SceneDetector(lambda frame: 0.8))
    h.engine.start()
    h.run(60)
    decided = h.named("failure_confirmed")[0][1]
    assert decided.quick.source == "detector"
    verdicts = [decided.quick.as_dict(), decided.trigger.as_dict(), *[v.as_dict() for v in decided.results]]
    h.engine.dismiss(LookAlike.of("incident-1", verdicts), grace_seconds=0)
    h.run(600)  # the model still says "failed" at its safety-net looks: those are judged as before
    detector_alarms = [e for _, e in h.named("failure_detected") if e.verdict.source == "detector"]
    assert len(detector_alarms) == 1  # the look-alike's score does not raise an alarm again
    assert h.engine.status()["counters"]["local_looks"] > 250


def test_without_a_ready_detector_the_watch_is_todays():
    detector = SceneDetector()
    detector.ready = False  # still fetching, or not installed
    h = Harness(always(False), detector=detector)
    h.engine.start()
    h.run(300)
    assert detector.looked == [] and h.engine.status()["counters"]["local_looks"] == 0
    assert len(model_calls_between(h, 1000, 1300)) >= 27  # a quick look every 10 s
    detector.ready = True  # loaded: the next frames go to the detector
    h.run(60)
    assert len(detector.looked) >= 25  # from the next frame due, every 2 s


def test_a_detector_that_fails_leaves_the_models_looks_at_todays_pace_and_is_logged_once(caplog):
    detector = SceneDetector()
    detector.broken = True
    h = Harness(always(False), detector=detector)
    h.engine.start()
    h.run(300)
    assert len(model_calls_between(h, 1000, 1300)) >= 27
    assert caplog.text.count("on-device detector failed") == 1
    assert h.state() == "watching"


def test_the_offline_watch_makes_no_quick_looks_of_its_own():
    h = Harness(
        ScriptedModel(lambda n, frames: True),
        latency=0.05,
        detector=SceneDetector(),
        model_backend="local",
        local_detector="printnanny",
    )
    h.engine.start()
    h.run(120)
    assert h.model.calls == []  # healthy: the detector alone looked
    h.camera.scene = "failed"
    h.run(30)
    assert len(h.named("failure_confirmed")) == 1 and not any(h.model.quick)
    # the alarm waited for a second flagged frame, so its series (the newest frames) was not rejected by its own rule
    assert h.named("verification_rejected") == []
    assert sum(frame.captured_at >= 1120 for frame in h.model.calls[0]) >= 2  # frames of the onset, flagged


def test_a_part_knocked_off_is_raised_by_the_picture_change_eye_said_in_the_status_and_confirmed_by_the_model():
    from demo.scene import shows_leftover

    # the detector sees no strands in it; the model knows a part lying where it was not printed
    h = Harness(ScriptedModel(lambda n, frames: shows_leftover(frames[-1].jpeg)), latency=3.0, detector=SceneDetector())
    h.engine.start()
    h.run(200)  # past the change eye's learning: a healthy print, its head moving
    assert h.named("failure_detected") == []
    h.camera.scene = "leftover"  # the part gone from the middle, one lying on the left
    h.run(40)
    detected = h.named("failure_detected")
    assert len(detected) == 1 and detected[0][1].verdict.source == "change"
    assert detected[0][0] - 1200 <= 6.1  # three looks 2 s apart
    said = [event.status["message"] for _, event in h.named("status") if event.status["state"] == "verifying"]
    assert said and said[0] == "possible failure seen by the picture-change eye, verifying"
    confirmed = h.named("failure_confirmed")
    assert len(confirmed) == 1 and confirmed[0][1].quick.source == "change"
    assert confirmed[0][0] - 1200 < 13  # the verification's frames were taken while the change lasted its looks


def test_a_rejected_picture_change_waits_alone_the_detector_still_raises_its_alarm_at_once():
    h = Harness(sees_the_scene(), latency=1.0, detector=SceneDetector())
    h.engine.start()
    h.run(200)
    h.camera.scene = "leftover"  # a change the model calls healthy: rejected, its blocks the print's own
    h.run(60)
    rejected = h.named("verification_rejected")
    assert len(rejected) == 1 and rejected[0][1].quick.source == "change"
    h.camera.scene = "failed"  # strands: the detector's flag is not muted by the change eye's rejection
    h.run(30)
    detected = h.named("failure_detected")
    assert detected[-1][1].verdict.source == "detector" and detected[-1][0] - 1260 <= 2.1
    assert len(h.named("failure_confirmed")) == 1
