"""The engine in simulated time: default timings, verification, cooldown, error backoff, lifecycle."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from demo.scene import SceneCamera
from octoprint_failwatch.analysis import AnalysisError, Verdict
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.engine import Engine, EngineParts, SystemClock
from octoprint_failwatch.engine.evidence import LookAlike
from octoprint_failwatch.engine.model_calls import RETRY_ATTEMPTS
from octoprint_failwatch.engine.verification import SERIES_GAP

from engine_fakes import Harness, ScriptedModel, always, model_error


def test_the_standalone_schedule_analyses_series_of_three_frames_ten_seconds_apart():
    h = Harness(always(False), quick_check=False)
    h.engine.start()
    h.run(65)
    assert h.camera.times == [1000 + 10 * i for i in range(7)]
    assert [[f.captured_at for f in call] for call in h.model.calls] == [
        [1000, 1010, 1020],
        [1030, 1040, 1050],
    ]
    assert h.state() == "watching"
    assert h.named("failure_detected") == []


def test_failure_is_confirmed_by_three_of_four_fresh_verification_series():
    h = Harness(always(True), quick_check=False)
    h.engine.start()
    h.run(60)
    detected = h.named("failure_detected")
    confirmed = h.named("failure_confirmed")
    assert len(detected) == 1 and len(confirmed) == 1
    trigger_frames = h.model.calls[0]
    verification = h.model.calls[1:]
    assert not {f.captured_at for f in trigger_frames} & {f.captured_at for call in verification for f in call}
    for call in verification:  # every series keeps the 2 s between its own frames
        times = [f.captured_at for f in call]
        assert [round(b - a, 6) for a, b in zip(times, times[1:])] == [2.0, 2.0]
    # interleaved: the series start a camera frame apart; K=3 positives are in once the third series is complete
    assert len(verification) == 3
    assert confirmed[0][1].positives == 3
    assert confirmed[0][0] == pytest.approx(1020.1 + 4 + 3 * SERIES_GAP + 0.1, abs=0.11)
    assert h.state() == "cooldown"


def test_alarm_is_rejected_as_soon_as_three_positives_cannot_be_reached():
    h = Harness(ScriptedModel(lambda n, frames: n == 1), quick_check=False)
    h.engine.start()
    h.run(40)
    rejected = h.named("verification_rejected")
    assert len(rejected) == 1
    assert rejected[0][1].positives == 0
    assert h.named("failure_confirmed") == []
    assert len(h.model.calls) == 3  # the trigger + two negatives make 3 of 4 unreachable
    assert h.state() == "watching"


def test_verification_with_errors_never_confirms():
    h = Harness(ScriptedModel(lambda n, frames: True if n == 1 else model_error()))
    h.engine.start()
    h.run(40)
    assert h.named("failure_confirmed") == []
    assert len(h.named("verification_rejected")) == 1


def test_sequential_verification_waits_for_each_verdict_when_pipelining_is_off():
    h = Harness(always(True), latency=3.0, pipeline_verification=False)
    h.engine.start()
    h.run(80)
    starts = [call[0].captured_at for call in h.model.calls[1:]]
    ends = [call[-1].captured_at for call in h.model.calls[1:]]
    for previous_end, next_start in zip(ends, starts[1:]):
        assert next_start >= previous_end + 3.0


def test_interleaved_verification_decides_much_sooner_than_one_series_after_the_other():
    sequential = Harness(always(True), latency=3.0, pipeline_verification=False, quick_check=False)
    interleaved = Harness(always(True), latency=3.0, quick_check=False)
    for h in (sequential, interleaved):
        h.engine.start()
        h.run(90)
        assert len(h.named("failure_confirmed")) == 1
    t_sequential = sequential.named("failure_confirmed")[0][0] - sequential.named("failure_detected")[0][0]
    t_interleaved = interleaved.named("failure_confirmed")[0][0] - interleaved.named("failure_detected")[0][0]
    assert t_sequential == pytest.approx(3 * (4 + 3) + 0.1 * 3, abs=1.0)  # three series of 4 s + 3 s latency
    assert t_interleaved == pytest.approx(4 + 3 * SERIES_GAP + 3, abs=0.3)  # three series, a frame apart, together


def test_a_frame_and_an_answer_are_handled_as_they_arrive_not_at_the_next_beat():
    # real threads for the camera and the model, and a beat of an hour: the look is taken, sent and its
    # answer recorded only because each arrival wakes the engine
    model = always(False)
    settings = {"inference_profile_arn": "us.amazon.nova-lite-v1:0", "images_per_series": 1}
    config, _ = build_config(settings)
    camera = SceneCamera(SystemClock())
    with ThreadPoolExecutor(2) as calls, ThreadPoolExecutor(1) as captures:
        parts = EngineParts(capture=camera, analyse=model, executor=calls, camera_executor=captures)
        engine = Engine(config, parts, lambda event: None)
        engine.start()
        stopping = threading.Event()
        runner = threading.Thread(
            target=engine.run, args=(stopping, 3600.0, lambda: engine.status()["last_verdict"] is not None)
        )
        runner.start()
        runner.join(timeout=30)
        stopping.set()
    assert not runner.is_alive(), "the engine waited for its next beat"
    assert model.quick == [True] and engine.status()["last_verdict"]["print_failed"] is False


def test_quick_check_looks_at_the_newest_frame_alone_at_every_frame():
    h = Harness(always(False))
    h.engine.start()
    h.run(45)
    # from the watch's first frame, each new frame is asked about alone, with the short question
    assert [[f.captured_at for f in call] for call in h.model.calls] == [[1000], [1010], [1020], [1030], [1040]]
    assert h.model.quick == [True] * 5
    assert h.named("failure_detected") == []


def failing_from(moment: float) -> ScriptedModel:
    """A print that fails at `moment`: every call whose newest frame is from then on says failed."""
    return ScriptedModel(lambda n, frames: frames[-1].captured_at >= moment)


def test_quick_alarm_is_confirmed_on_full_evidence_a_positive_series_and_three_of_four():
    h = Harness(failing_from(1020), latency=3.0)
    h.engine.start()
    h.run(40)
    healthy, (quick, series, *verification) = h.model.calls[:2], h.model.calls[2:]
    assert [[f.captured_at for f in call] for call in healthy] == [[1000], [1010]]
    assert [f.captured_at for f in quick] == [1020]
    # at the quick alarm the full series (the newest three frames) is sent beside the verification
    assert [f.captured_at for f in series] == [1000, 1010, 1020] and h.model.quick[3] is False
    assert not {1000, 1010, 1020} & {f.captured_at for call in verification for f in call}
    confirmed = h.named("failure_confirmed")
    assert len(confirmed) == 1
    decided = confirmed[0][1]
    assert decided.series_check is True and decided.positives == 3
    assert decided.trigger.explanation == "tangled filament"  # the series' full answer, not the quick one
    assert decided.quick.explanation == "quick: tangled filament"
    # verification frames are taken from a frame after 1020, while the quick look is still out (its answer:
    # 1023); the third series is complete at 1020 + 4 + 3 frames, its verdict comes 3 s later
    assert min(f.captured_at for call in verification for f in call) == pytest.approx(1020 + SERIES_GAP, abs=0.11)
    assert confirmed[0][0] == pytest.approx(1020 + 4 + 3 * SERIES_GAP + 3, abs=0.2)


def test_quick_alarm_is_rejected_when_the_full_series_says_healthy():
    def answer(n, frames):  # from 1020 the quick look and the verification say failed, the full series does not
        return frames[-1].captured_at >= 1020 and not (len(frames) == 3 and frames[0].captured_at == 1000)

    h = Harness(ScriptedModel(answer), latency=3.0)
    h.engine.start()
    h.run(30)  # rejected at 1026 (the quick look's answer at 1023, the series' 3 s later)
    assert h.named("failure_confirmed") == []
    rejected = h.named("verification_rejected")
    assert len(rejected) == 1 and rejected[0][1].series_check is False
    assert h.state() == "watching"


def test_cooldown_makes_no_model_calls_and_logs_at_most_every_30_seconds(caplog):
    h = Harness(failing_from(1020))
    h.engine.start()
    h.run(40)
    assert h.state() == "cooldown"
    calls_before = len(h.model.calls)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        h.run(15 * 60 - 20)  # the cooldown, confirmed at about 1027, ends at about 1927
        assert len(h.model.calls) == calls_before
        cooldown_lines = [r for r in caplog.records if "cooldown" in r.getMessage()]
        assert 25 <= len(cooldown_lines) <= 31
        h.run(20)
    assert any("watching again after cooldown" in r.getMessage() for r in caplog.records)
    assert len(h.model.calls) > calls_before  # the model still says failed: it looks again


def test_five_consecutive_errors_wait_sixty_seconds_then_monitoring_goes_on():
    h = Harness(ScriptedModel(lambda n, frames: model_error()), quick_check=False)
    h.engine.start()
    # each failed series takes 20 s of frames + the next frame 10 s later: the 5th fails at 1140.1
    h.run(5 * 30)
    status = h.engine.status()
    assert status["state"] == "error_backoff"
    assert "AccessDeniedException" in status["error"]
    calls = len(h.model.calls)
    assert calls == 5
    h.run(45)  # the backoff lasts until 1200.1
    assert len(h.model.calls) == calls and h.state() == "error_backoff"
    h.run(40)
    assert h.state() == "watching"
    assert len(h.model.calls) == calls + 1


def test_camera_outage_is_its_own_state_and_no_series_spans_the_gap():
    h = Harness(always(False), quick_check=False)
    h.engine.start()
    h.run(15)  # frames at 0 and 10
    h.camera.broken = True
    h.run(30)
    status = h.engine.status()
    assert status["state"] == "camera_problem" and status["camera_problem"] == "unreachable"
    assert "connection refused" in status["error"]
    assert [name for _, name, _ in h.events].count("camera_problem") == 1  # reported once, not per retry
    h.camera.broken = False
    h.run(40)
    assert h.state() == "watching" and h.engine.status()["error"] == ""
    assert len(h.named("camera_recovered")) == 1
    for call in h.model.calls:
        assert call[-1].captured_at - call[0].captured_at == pytest.approx(20.0)


@pytest.mark.parametrize("scene, kind", [("black", "black")])
def test_a_black_picture_is_never_analysed(scene, kind):
    h = Harness(always(True))
    h.camera.scene = scene
    h.engine.start()
    h.run(120)
    assert h.model.calls == [] and h.engine.status()["camera_problem"] == kind
    assert h.named("failure_confirmed") == []
    h.camera.scene = "healthy"
    h.run(15)
    assert h.state() in ("watching", "verifying")


def test_a_frozen_picture_is_reported_after_the_frozen_time_and_stops_analysis():
    h = Harness(always(False), frozen_seconds=60)
    h.engine.start()
    h.run(25)
    h.camera.frozen_at = h.clock.now
    h.run(120)
    status = h.engine.status()
    assert status["state"] == "camera_problem" and status["camera_problem"] == "frozen"
    assert "has not changed for" in status["error"]
    assert h.named("camera_problem")[0][0] == pytest.approx(1090, abs=0.2)  # 60 s after the last change
    calls = len(h.model.calls)
    h.run(120)
    assert len(h.model.calls) == calls
    h.camera.frozen_at = None
    h.run(15)
    assert h.state() == "watching"


def test_a_camera_failing_during_verification_abandons_it_without_an_alarm():
    h = Harness(failing_from(1020), latency=3.0)
    h.engine.start()
    h.run(24)  # the trigger series is positive at 1023; verification starts
    assert h.state() == "verifying"
    h.camera.broken = True
    h.run(60)
    assert h.named("failure_confirmed") == [] and h.named("verification_rejected") == []
    assert h.state() == "camera_problem"


def test_unconfigured_engine_says_what_is_missing():
    h = Harness(always(False), inference_profile_arn="")
    h.engine.start()
    status = h.engine.status()
    assert status["state"] == "not_configured"
    assert "model id" in status["message"]
    h.run(30)
    assert h.camera.times == []


def test_a_verdict_arriving_after_stop_is_dropped():
    h = Harness(failing_from(1020), latency=5.0)
    h.engine.start()
    h.run(21)  # the series is with the model
    h.engine.stop()
    h.run(10)
    assert h.state() == "idle"
    assert h.named("failure_detected") == []


def test_paused_print_is_not_watched_and_resume_starts_a_fresh_series():
    h = Harness(always(False))
    h.engine.start()
    h.run(15)
    h.engine.suspend()
    frames, calls = len(h.camera.times), len(h.model.calls)
    h.run(60)
    assert len(h.camera.times) == frames and h.state() == "paused"
    h.engine.start()
    h.run(25)
    assert h.model.calls[calls][0].captured_at >= 1075


def test_a_short_pause_leaves_the_watch_as_it_was_and_the_next_frame_comes_on_schedule():
    """A macro's pause (a timelapse frame parking the head for two seconds every twenty) never blinds the watch: the
    frames go on at their 10 s schedule, a series' frames taken before a pause count after it."""
    h = Harness(always(False), quick_check=False, start_spread=1.0, seed=3)
    h.engine.start()
    for _ in range(6):  # a pause of 2 s every 20 s, for two minutes
        h.run(18)
        h.engine.suspend()
        h.run(2)
        h.engine.start(resumed=True)
    h.run(1)
    times = h.camera.times
    assert times[0] <= 1010.1  # the print's first look within one interval
    assert max(b - a for a, b in zip(times, times[1:])) <= 12.0  # at most a pause late, never restarted
    assert len(times) >= 12 and len(h.model.calls) >= 3  # series made of frames from both sides of pauses


def test_a_long_pause_looks_again_at_once_on_resume():
    h = Harness(always(False))
    h.engine.start()
    h.run(15)
    h.engine.suspend()
    h.run(60)
    h.engine.start(resumed=True)
    h.run(0.5)
    assert h.camera.times[-1] == pytest.approx(1075, abs=0.11)


def test_once_mode_runs_one_cycle_and_returns_to_idle():
    h = Harness(always(False))
    h.engine.start(test_run=True)
    h.run(60)
    assert len(h.model.calls) == 1
    assert h.state() == "idle"


def test_a_broken_event_handler_does_not_stop_detection():
    def explode(event):
        raise RuntimeError("webhook down")

    h = Harness(always(True), on_event=explode)
    h.engine.start()
    h.run(60)
    assert h.state() == "cooldown"


def test_snooze_stops_captures_until_the_time_is_up_and_acknowledge_clears_the_alarm():
    h = Harness(failing_from(1020))
    h.engine.start()
    h.run(40)
    assert h.engine.status()["acknowledged"] is False
    h.engine.acknowledge()
    assert h.engine.status()["acknowledged"] is True
    # a cooldown is already quiet: a snooze is refused (the page offers none), Resume watching ends it
    assert h.engine.status()["can_snooze"] is False and h.engine.snooze(10 * 60) is False
    assert h.state() == "cooldown" and h.engine.status()["can_resume"] is True
    h.engine.resume_watching()
    assert h.engine.status()["can_snooze"] is True and h.engine.snooze(10 * 60) is True
    assert h.engine.status()["can_snooze"] is False and h.engine.status()["can_resume"] is True
    frames = len(h.camera.times)
    h.run(10 * 60 - 1)
    assert h.state() == "snoozed" and len(h.camera.times) == frames
    h.run(2)  # the snooze is over: a look at once (the model still sees the failure: verifying it again)
    assert h.state() in ("watching", "verifying") and len(h.camera.times) > frames


def test_pausing_and_resuming_during_cooldown_keeps_the_cooldown_as_a_grace_period():
    h = Harness(failing_from(1020))
    h.engine.start()
    h.run(40)
    calls = len(h.model.calls)
    h.engine.suspend()  # our own pause arrives as a PrintPaused event
    assert h.state() == "cooldown"
    h.run(60)
    h.engine.start()  # the user resumes
    assert h.state() == "cooldown"
    h.run(60)
    assert len(h.model.calls) == calls
    ends = h.named("failure_confirmed")[0][0] + 15 * 60
    h.run(ends + 1 - h.clock.now)  # once the cooldown ends, a look at once
    assert len(h.model.calls) > calls and h.model.times[calls] == pytest.approx(ends, abs=0.2)


def test_no_analysis_while_the_gate_says_warming_up_then_watching():
    h = Harness(always(False), gate=lambda: ("heating", "heating: hotend 150/215 °C") if h.clock.now < 1060 else None)
    h.engine.start()
    h.run(50)
    assert h.state() == "heating" and h.camera.times == [1000] and "heating" in h.engine.status()["message"]
    h.run(40)
    assert h.state() == "watching" and h.model.calls and h.model.calls[0][0].captured_at >= 1060


def test_a_resume_gives_a_grace_period_before_detection_restarts():
    h = Harness(always(False))
    h.engine.start()
    h.run(15)
    h.engine.suspend()
    h.engine.start()
    h.engine.grace(120)
    frames = len(h.camera.times)
    h.run(119)
    assert h.state() == "grace" and len(h.camera.times) == frames
    h.run(2)
    assert h.state() == "watching"


def test_frames_taken_while_a_quick_look_is_out_are_dropped_when_it_says_healthy_and_cost_no_calls():
    h = Harness(always(False), latency=3.0)
    h.engine.start()
    h.run(60)
    assert all(quick for quick in h.model.quick)  # only quick looks: one per regular frame
    assert len(h.model.calls) == 7  # frames at 1000, 1010 … 1060
    prefetched = [t for t in h.camera.times if t % 10]
    assert prefetched and all(0 < t % 10 <= 3.0 + 0.11 for t in prefetched)  # only while a look was out


def failure(confidence: float, failure_type: str = "spaghetti") -> Verdict:
    return Verdict(True, confidence, failure_type, f"{failure_type} at {confidence:.0%}")


def test_a_dismissed_look_alike_is_not_alarmed_again_but_a_clearly_worse_failure_is():
    scene = {"verdict": failure(0.7)}
    h = Harness(ScriptedModel(lambda n, frames: scene["verdict"]), latency=3.0)
    h.engine.start()
    h.run(40)
    first = h.named("failure_confirmed")
    assert len(first) == 1
    decided = first[0][1]
    h.engine.dismiss(
        LookAlike.of("incident-1", [decided.trigger.as_dict(), *[v.as_dict() for v in decided.results]]),
        grace_seconds=120,
    )
    assert h.state() == "grace"
    calls = len(h.model.calls)
    h.run(30 * 60)  # half an hour of the same look-alike: looked at, never verified, never alarmed
    assert len(h.named("failure_confirmed")) == 1 and len(h.named("failure_detected")) == 1
    assert h.engine.status()["counters"]["like_dismissed"] >= 150 and h.state() == "watching"
    assert all(h.model.quick[calls:])  # no series and no verification calls for the look-alike
    assert h.engine.status()["last_verdict"]["like_dismissed"] == "incident-1"
    scene["verdict"] = failure(0.9)  # the same type, clearly more confident
    h.run(30)
    assert len(h.named("failure_confirmed")) == 2
    h.engine.withdraw_dismissal("incident-1")
    h.engine.resume_watching()
    scene["verdict"] = failure(0.7)  # the look-alike counts again once the user withdraws "not a failure"
    h.run(30)
    assert len(h.named("failure_confirmed")) == 3


def test_a_failure_of_another_type_is_confirmed_after_a_dismissal_whatever_its_confidence():
    scene = {"verdict": failure(0.7)}
    h = Harness(ScriptedModel(lambda n, frames: scene["verdict"]))
    h.engine.start()
    h.run(40)
    h.engine.dismiss(LookAlike("incident-1", frozenset({"spaghetti"}), 0.7), grace_seconds=0)
    assert h.state() == "watching"
    h.run(60)
    assert len(h.named("failure_confirmed")) == 1
    scene["verdict"] = failure(0.6, "layer_shift")
    h.run(30)
    assert len(h.named("failure_confirmed")) == 2


def test_sensitivity_a_verdict_below_the_confidence_needed_does_not_count():
    h = Harness(ScriptedModel(lambda n, frames: failure(0.6)), min_failure_confidence=0.8)
    h.engine.start()
    h.run(120)
    assert h.named("failure_detected") == [] and h.state() == "watching"
    assert h.engine.status()["last_verdict"]["counted"] is False


def test_resume_watching_ends_a_snooze_a_cooldown_or_a_grace_and_snooze_needs_a_watch():
    h = Harness(always(True))
    assert h.engine.snooze(600) is False and h.engine.resume_watching() is False  # nothing is watched yet
    h.engine.start()
    h.run(40)
    assert h.state() == "cooldown"
    assert h.engine.resume_watching() is True and h.state() == "watching"
    assert h.engine.status()["acknowledged"] is True
    assert h.engine.snooze(600) is True and h.state() == "snoozed"
    assert h.engine.resume_watching() is True and h.state() == "watching"
    h.engine.grace(120)
    assert h.engine.resume_watching() is True and h.state() == "watching"
    assert h.engine.resume_watching() is False


def test_a_cooldown_that_ends_while_our_pause_holds_the_print_captures_nothing():
    h = Harness(always(True))
    h.engine.start()
    h.run(40)
    h.engine.suspend()  # our pause
    frames = len(h.camera.times)
    h.run(20 * 60)
    assert h.state() == "paused" and len(h.camera.times) == frames
    h.engine.start()  # the user resumes
    h.run(15)
    assert len(h.camera.times) > frames


def test_the_first_failed_model_call_says_so_while_still_watching():
    h = Harness(ScriptedModel(lambda n, frames: model_error()))
    h.engine.start()
    h.run(1)  # the watch's first look, at its first frame
    status = h.engine.status()
    assert status["state"] == "watching" and status["consecutive_errors"] == 1
    assert status["message"].startswith("analysis failing (1 in a row), retrying: model: Bedrock AccessDeniedException")


def test_new_settings_keep_a_snooze_and_take_effect_at_once():
    h = Harness(always(False))
    h.engine.start()
    h.run(15)
    h.engine.snooze(30 * 60)
    config, _ = build_config({"inference_profile_arn": "us.amazon.nova-lite-v1:0", "interval_between_images": 5})
    h.engine.reconfigure(config)
    assert h.state() == "snoozed"
    h.engine.resume_watching()
    times = len(h.camera.times)
    h.run(20)
    assert h.camera.times[times:] == [1015, 1020, 1025, 1030, 1035]  # at once, then every 5 s


def test_a_doubtful_look_waits_for_the_full_series_before_verification_calls_are_spent():
    def answer(n, frames):  # a glare from 1020: the quick look says failed at 0.6, the full series sees nothing
        glare = frames[-1].captured_at >= 1020 and len(frames) == 1
        return failure(0.6) if glare else Verdict(False, 0.1, "none", "fine")

    h = Harness(ScriptedModel(answer), latency=3.0)
    h.engine.start()
    h.run(40)
    assert len(h.named("verification_rejected")) >= 1
    # the healthy looks, the doubtful one and the series: no verification call
    assert [len(call) for call in h.model.calls] == [1, 1, 1, 3]


def test_a_doubtful_look_is_still_confirmed_once_the_series_agrees():
    doubtful_from_1020 = ScriptedModel(
        lambda n, frames: failure(0.7) if frames[-1].captured_at >= 1020 else Verdict(False, 0.1, "none", "fine")
    )
    h = Harness(doubtful_from_1020, latency=3.0)
    h.engine.start()
    h.run(40)
    confirmed = h.named("failure_confirmed")
    assert len(confirmed) == 1
    # the verification's frames were taken during the look; their calls went out with the series' verdict
    assert confirmed[0][0] == pytest.approx(1020 + 3 + 3 + 3, abs=0.3)


def throttled() -> AnalysisError:
    return AnalysisError("Bedrock ThrottlingException: Too many requests", throttled=True)


def test_throttled_series_and_verification_calls_are_retried_with_jitter_and_still_confirm():
    """The account's quota refuses the first two tries of every call that decides: the failure is confirmed."""
    tries: dict[tuple, int] = {}

    def answer(n, frames):
        key = tuple(f.captured_at for f in frames)
        tries[key] = tries.get(key, 0) + 1
        return True if len(frames) == 1 or tries[key] > 2 else throttled()

    h = Harness(ScriptedModel(answer), latency=3.0)
    h.engine.start()
    h.run(90)
    confirmed = h.named("failure_confirmed")
    assert len(confirmed) == 1 and confirmed[0][1].series_check is True
    counters = h.engine.status()["counters"]
    assert counters["errors"] == 0 and counters["throttled"] == counters["retries"] > 0
    # a throttle answers at once; each retry waited at random within its bound (1 s x 2**attempt)
    starts = {}
    for call_time, frames in zip(h.model.times, h.model.calls):
        starts.setdefault(tuple(f.captured_at for f in frames), []).append(call_time)
    assert sum(len(times) == 3 for times in starts.values()) >= 4  # the series and three verifications
    for times in starts.values():
        if len(times) == 3:
            assert 0.0 <= times[1] - times[0] <= 2.0 + 0.2
            assert 0.0 <= times[2] - times[1] <= 4.0 + 0.2
    waits = [b - a for times in starts.values() if len(times) == 3 for a, b in zip(times, times[1:])]
    assert len(set(waits)) > 1  # at random, not in step


def test_a_call_that_keeps_failing_is_tried_a_bounded_number_of_times_and_never_confirms():
    def answer(n, frames):  # from 1020 the series (frames 10 s apart) keeps failing; the rest says failed
        series = len(frames) == 3 and frames[1].captured_at - frames[0].captured_at > 5
        if series:
            return AnalysisError("Bedrock InternalServerException: oops", retryable=True)
        return frames[-1].captured_at >= 1020

    h = Harness(ScriptedModel(answer), latency=1.0)
    h.engine.start()
    h.run(300)
    assert h.named("failure_confirmed") == [] and len(h.named("verification_rejected")) >= 1
    series = [call for call in h.model.calls if len(call) == 3 and call[1].captured_at - call[0].captured_at > 5]
    first = tuple(f.captured_at for f in series[0])
    assert sum(tuple(f.captured_at for f in call) == first for call in series) == RETRY_ATTEMPTS
    assert h.engine.status()["counters"]["errors"] >= 1


def test_throttled_quick_looks_are_not_retried_nor_errors_they_slow_down_and_the_status_says_so():
    h = Harness(ScriptedModel(lambda n, frames: throttled() if n <= 10 else False))
    h.engine.start()
    for _ in range(1000):
        if len(h.model.calls) == 10:
            break
        h.run(1)
    h.run(0.5)  # the tenth answer comes back
    status = h.engine.status()
    assert len({f.captured_at for call in h.model.calls for f in call}) == 10  # one call per look: none retried
    assert status["state"] == "watching" and status["consecutive_errors"] == 0
    assert status["counters"]["throttled"] == 10 and status["counters"]["errors"] == 0
    assert "quota refused the last 10 look(s)" in status["message"] and "ThrottlingException" in status["error"]
    gaps = [b - a for a, b in zip(h.model.times, h.model.times[1:])]
    assert all(10 - 0.2 <= gap <= 4 * 10 + 0.2 for gap in gaps) and max(gaps) > 15  # slowed down, within bounds
    assert h.named("monitoring_stopped") == []  # a farm over its quota does not alert everybody
    h.run(4 * 10 + 1)
    status = h.engine.status()
    assert status["message"] == "watching" and status["error"] == "" and len(h.model.calls) > 10


def test_retries_of_an_ended_run_are_not_made():
    h = Harness(ScriptedModel(lambda n, frames: True if len(frames) == 1 else throttled()), latency=1.0)
    h.engine.start()
    h.run(25)  # the quick alarm at 1020, its series throttled at 1021 and waiting to be tried again
    assert h.state() == "verifying"
    calls = len(h.model.calls)
    h.engine.stop()
    h.run(30)
    assert len(h.model.calls) == calls


def test_start_spread_sets_printers_started_together_apart_within_one_interval():
    firsts = []
    for seed in range(8):
        h = Harness(always(False), seed=seed, start_spread=1.0)
        h.engine.start()
        h.run(12)
        firsts.append(h.camera.times[0])
    assert all(1000 <= first <= 1010.1 for first in firsts)
    assert max(firsts) - min(firsts) > 5  # spread, not in step


def test_at_the_default_interval_a_burst_of_faults_is_back_to_the_normal_pace_within_90_s_of_the_last():
    """The burst seen in a real OctoPrint at the default 10 s interval, mid-print (the quota carried the looks
    for a minute first): four throttles, other faults, one more throttle, more faults, one per look; the looks
    are 10 s apart again within 90 s of the last fault."""
    calls = [False] * 8 + [throttled()] * 4 + [model_error()] * 2 + [throttled()] + [model_error()] * 2
    h = Harness(ScriptedModel(lambda n, frames: calls[n - 1] if n <= len(calls) else False))
    h.engine.start()
    for _ in range(1000):
        if len(h.model.calls) == len(calls):
            break
        h.run(1)
    last_fault = h.model.times[-1]
    h.run(90)
    gaps = [b - a for a, b in zip(h.model.times, h.model.times[1:]) if a >= last_fault + 60]
    assert gaps and max(gaps) <= 1.6 * 10 and h.state() == "watching"
