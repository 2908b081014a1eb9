"""Frame sources against real servers: the demo RTSP camera (GStreamer), snapshot and MJPEG HTTP."""

import pytest

from demo.octoprint_instance import wait_for
from demo.rtsp_camera import RtspCamera as RtspServer
from demo.scene import shows_failure
from octoprint_failwatch.engine.monitor import SystemClock
from octoprint_failwatch.frame import CameraError
from octoprint_failwatch.redaction import mask_url
from octoprint_failwatch.sources import MjpegCamera, SnapshotCamera
from octoprint_failwatch.sources.rtsp import RtspCamera
from octoprint_failwatch.sources.webcam import orient

CLOCK = SystemClock()


@pytest.fixture
def scene(camera):
    camera.mode = "healthy"
    yield camera
    camera.mode = "healthy"


def assert_fresh(take):
    """A frame is captured during the call and handed over within a second of its capture."""
    called = CLOCK.monotonic()
    frame = take()
    returned = CLOCK.monotonic()
    assert called <= frame.captured_at <= returned
    assert returned - frame.captured_at <= 1.0
    assert frame.jpeg.startswith(b"\xff\xd8")
    return frame


def test_rtsp_frames_are_live_not_buffered(rtsp, scene):
    source = RtspCamera(rtsp.url, "tcp", 10, CLOCK)
    assert not shows_failure(assert_fresh(source).jpeg)
    scene.mode = "failed"
    # the demo server re-encodes its MJPEG input: the new scene reaches the stream within a moment
    wait_for(lambda: shows_failure(assert_fresh(source).jpeg), 5, "the failed scene in a live frame")


def test_quick_rtsp_captures_keep_the_stream_open_and_stay_fresh(rtsp, scene):
    source = RtspCamera(rtsp.url, "tcp", 10, CLOCK)
    frames = [assert_fresh(source) for _ in range(5)]
    assert len({frame.jpeg for frame in frames}) == 5  # never the same frame twice
    assert source._reader is not None and not source._reader.stopped.is_set()
    source.close()


def test_rtsp_outage_is_a_clear_error_with_masked_credentials_and_recovery_follows(camera):
    server = RtspServer("--mjpeg", camera.stream_url).start()
    url = f"rtsp://viewer:camera-secret@127.0.0.1:{server.port}/printer"
    source = RtspCamera(url, "tcp", 3, CLOCK)
    assert_fresh(source)
    server.stop()
    if source._reader is not None:  # a reader kept open notices that the stream is gone
        wait_for(lambda: source._reader.stopped.is_set(), 15, "the reader to see the outage")
    with pytest.raises(CameraError) as error:
        source()
    assert "camera unreachable" in str(error.value) and "viewer:***@127.0.0.1" in str(error.value)
    assert "camera-secret" not in str(error.value)
    server.start()
    try:
        assert_fresh(source)
    finally:
        server.stop()


@pytest.mark.parametrize("mode, message", [
    ("html", "did not return a JPEG image"),
    ("error", "answered HTTP 500"),
    ("down", "camera unreachable"),
])
def test_snapshot_faults_are_reported_in_words(scene, mode, message):
    scene.mode = mode
    with pytest.raises(CameraError, match=message):
        SnapshotCamera(scene.url, 3, CLOCK)()


def test_snapshot_and_mjpeg_sources_give_fresh_frames(scene):
    assert_fresh(SnapshotCamera(scene.url, 5, CLOCK))
    scene.mode = "failed"
    assert shows_failure(assert_fresh(MjpegCamera(scene.stream_url, 5, CLOCK)).jpeg)


def test_refused_snapshot_url_names_the_camera():
    with pytest.raises(CameraError, match="connection refused at http://127.0.0.1:9/snap"):
        SnapshotCamera("http://127.0.0.1:9/snap", 3, CLOCK)()


def test_urls_are_masked_for_messages():
    assert mask_url("rtsp://admin:hunter2@cam:554/live") == "rtsp://admin:***@cam:554/live"
    assert mask_url("http://cam/snap?token=abc") == "http://cam/snap?***"
    assert mask_url("http://cam/snap") == "http://cam/snap"


def test_octoprint_orientation_settings_are_applied(scene):
    import cv2
    import numpy as np

    jpeg = scene.snapshot()
    original = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    mirrored = cv2.imdecode(np.frombuffer(orient(jpeg, True, False, False), np.uint8), cv2.IMREAD_COLOR)
    rotated = cv2.imdecode(np.frombuffer(orient(jpeg, False, False, True), np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(mirrored.astype(int) - cv2.flip(original, 1).astype(int)).mean() < 3
    assert rotated.shape[:2] == original.shape[1::-1]


def test_an_alert_snapshot_is_taken_once_and_shared_and_a_failed_one_is_retried():
    from octoprint_failwatch.outcomes.dispatch import SharedSnapshot

    answers = [CameraError("camera unreachable"), b"\xff\xd8picture", b"\xff\xd8later"]
    taken = []

    def capture():
        taken.append(True)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    snapshot = SharedSnapshot(capture)
    with pytest.raises(CameraError):
        snapshot()
    assert snapshot() == snapshot() == b"\xff\xd8picture"
    assert len(taken) == 2


@pytest.mark.parametrize("scene", ["healthy", "failed"])
def test_the_demo_scene_moves_as_a_printer_does_and_is_never_taken_for_a_frozen_camera(scene):
    """The demo's failure must stay a failure on screen: a still tangle would read as a frozen camera (at the
    default 10 s between frames the head used to be hidden under it for minutes)."""
    from demo.scene import encode_jpeg, render
    from octoprint_failwatch.sources.health import CameraHealth

    health = CameraHealth(90.0)
    problems = [health.check(encode_jpeg(render(scene, 1000.0 + t, 1280, 720)), float(t)) for t in range(0, 600, 10)]
    assert problems == [None] * len(problems)
