"""Frame sources against real servers: the demo RTSP camera (GStreamer), snapshot and MJPEG HTTP."""

import threading

import pytest

from demo.octoprint_instance import wait_for
from demo.rtsp_camera import RtspCamera as RtspServer
from demo.scene import shows_failure
from octoprint_failwatch.engine.engine import SystemClock
from octoprint_failwatch.frame import CameraError
from octoprint_failwatch.plugin.webcam import orient
from octoprint_failwatch.redaction import mask_url
from octoprint_failwatch.sources import MjpegCamera, SnapshotCamera
from octoprint_failwatch.sources.rtsp import RtspCamera

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


@pytest.mark.parametrize(
    "mode, message",
    [
        ("html", "did not return a JPEG image"),
        ("error", "answered HTTP 500"),
        ("down", "camera unreachable"),
    ],
)
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
    assert mask_url("http://cam/snap?token=abc") == "http://cam/snap?token=***"
    assert mask_url("http://cam/snap") == "http://cam/snap"
    # which URL is meant stays readable: mjpg-streamer's snapshot and stream
    assert mask_url("http://cam:8080/?action=snapshot") == "http://cam:8080/?action=snapshot"
    # credentials in the path or the query, and a password with '#', '?' or '@' in it
    assert (
        mask_url("rtsp://cam:554/user=admin&password=hunter2&channel=1")
        == "rtsp://cam:554/user=admin&password=***&channel=1"
    )
    assert mask_url("http://cam/cgi?usr=admin&pwd=hunter2") == "http://cam/cgi?usr=admin&pwd=***"
    assert mask_url("http://cam/snap?authKey=abc&x-api-key=def") == "http://cam/snap?authKey=***&x-api-key=***"
    for password in ("hun#ter2", "hun?ter2", "hu@nter2"):
        masked = mask_url(f"rtsp://admin:{password}@cam/live")
        assert masked == "rtsp://admin:***@cam/live" and "ter2" not in masked


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


class LoginCamera:
    """A snapshot endpoint behind a login, as IP cameras have: Digest (Hikvision, Dahua) or Basic."""

    USER, PASSWORD, REALM, NONCE = "admin", "pa#ss word", "camera", "5f0c1d2e"

    def __init__(self, scheme: str, jpeg: bytes):
        import base64
        import hashlib
        from http.server import BaseHTTPRequestHandler

        from demo.http_service import HttpService

        camera = self
        self.attempts: list[str] = []

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        def authorised(header: str, path: str) -> bool:
            if scheme == "basic":
                return header == "Basic " + base64.b64encode(f"{self.USER}:{self.PASSWORD}".encode()).decode()
            if not header.startswith("Digest "):
                return False
            fields = dict(part.strip().split("=", 1) for part in header[7:].split(","))
            fields = {key: value.strip('"') for key, value in fields.items()}
            ha1, ha2 = md5(f"{self.USER}:{self.REALM}:{self.PASSWORD}"), md5(f"GET:{path}")
            expected = md5(f"{ha1}:{self.NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
            return fields.get("username") == self.USER and fields.get("response") == expected

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                header = self.headers.get("Authorization", "")
                camera.attempts.append(header.split(" ")[0])
                if not authorised(header, self.path):
                    self.send_response(401)
                    self.send_header(
                        "WWW-Authenticate",
                        f'Digest realm="{camera.REALM}", nonce="{camera.NONCE}", qop="auth"'
                        if scheme == "digest"
                        else f'Basic realm="{camera.REALM}"',
                    )
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(jpeg)))
                self.end_headers()
                self.wfile.write(jpeg)

        self.server = HttpService(Handler, name=f"{scheme}-camera").start()

    def url(self, password: str) -> str:
        from urllib.parse import quote

        return f"http://{self.USER}:{quote(password)}@127.0.0.1:{self.server.port}/ISAPI/Streaming/channels/101/picture"


@pytest.mark.parametrize("scheme", ["digest", "basic"])
def test_a_snapshot_behind_a_login_is_taken_and_a_wrong_password_is_said(scheme, scene):
    jpeg = scene.snapshot()
    camera = LoginCamera(scheme, jpeg)
    try:
        source = SnapshotCamera(camera.url(LoginCamera.PASSWORD), 5, CLOCK)
        assert source().jpeg == jpeg and source().jpeg == jpeg
        if scheme == "digest":  # Basic first (the URL's login); when asked, Digest (requests' own challenge
            # round comes first), and Digest from then on
            assert camera.attempts == ["Basic", "", "Digest", "Digest"]
        with pytest.raises(CameraError, match=r"refused the login \(HTTP 401\): check the user and password") as err:
            SnapshotCamera(camera.url("wrong"), 5, CLOCK)()
        assert "wrong" not in str(err.value) and "admin:***@" in str(err.value)
    finally:
        camera.server.stop()


def test_a_stream_url_in_the_snapshot_field_and_a_trickling_snapshot_are_said_at_once(scene):
    from http.server import BaseHTTPRequestHandler

    from demo.http_service import HttpService

    with pytest.raises(CameraError, match="sends a stream, not a snapshot: set this URL as the MJPEG stream URL"):
        SnapshotCamera(scene.stream_url, 5, CLOCK)()

    stop = threading.Event()
    jpeg = scene.snapshot()

    class Trickle(BaseHTTPRequestHandler):  # a camera on a bad link: the picture a few bytes at a time
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(jpeg)))
            self.end_headers()
            for start in range(0, len(jpeg), 512):
                if stop.wait(0.2):  # bounded by the test's end
                    return
                self.wfile.write(jpeg[start : start + 512])
                self.wfile.flush()

    server = HttpService(Trickle, name="trickle-camera").start()
    try:
        with pytest.raises(CameraError, match="took longer than 1 s to come"):
            SnapshotCamera(f"http://127.0.0.1:{server.port}/snap.jpg", 1, CLOCK)()
    finally:
        stop.set()
        server.stop()


def test_an_rtsp_camera_that_does_not_open_says_why(camera):
    """A wrong password, no login, a wrong path, nothing listening, a silent port and a web server all read
    differently — through the real reader, with the password never in the words."""
    import socket
    from urllib.parse import quote

    from octoprint_failwatch.sources.rtsp_probe import diagnose

    secret = "hun#ter 2"  # a password with the characters that break URL parsing
    server = RtspServer("--mjpeg", camera.stream_url, "--user", "viewer", "--password", secret).start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, then says nothing
    base = f"127.0.0.1:{server.port}/printer"
    try:
        assert_fresh(RtspCamera(f"rtsp://viewer:{quote(secret)}@{base}", "tcp", 5, CLOCK))  # the right login works
        for url, words in (
            (f"rtsp://viewer:wrong@{base}", "refused the login (RTSP 401): check the user and password"),
            (f"rtsp://{base}", "asks for a login: put user:password@ in the URL"),
        ):
            with pytest.raises(CameraError) as error:
                RtspCamera(url, "tcp", 3, CLOCK)()
            assert words in str(error.value) and "wrong" not in str(error.value)
        assert "has no stream at /elsewhere (RTSP 404)" in diagnose(
            f"rtsp://viewer:{quote(secret)}@127.0.0.1:{server.port}/elsewhere", "tcp", 3
        )
        assert "connection refused" in diagnose("rtsp://127.0.0.1:9/live", "tcp", 3)
        assert "accepted the connection but sent no RTSP answer" in diagnose(
            f"rtsp://127.0.0.1:{silent.getsockname()[1]}/live", "tcp", 1
        )
        http = camera.url.replace("http://", "rtsp://")  # a web server where a camera was meant
        assert "is not an RTSP camera" in diagnose(http, "tcp", 3)
    finally:
        silent.close()
        server.stop()


def test_a_camera_sending_a_keyframe_every_8_s_gives_a_frame_within_a_3_s_timeout():
    """Cameras often send a keyframe only every 4-8 s; a capture must start from the one a new session
    begins with, not wait for the next (which a 3 s camera timeout would not survive)."""
    server = RtspServer("--keyframe-seconds", "8", "--width", "320", "--height", "240", "--fps", "10").start()
    try:
        for _ in range(2):  # a fresh session each time: the stream is opened anew
            source = RtspCamera(server.url, "tcp", 3, CLOCK)
            assert source().jpeg.startswith(b"\xff\xd8")
            source.close()
    finally:
        server.stop()


def _grey(frame):
    import cv2
    import numpy as np

    return cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE).astype(float)


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_a_camera_sending_each_picture_in_several_slices_is_read_whole(transport):
    """Many cameras (and x264's zero-latency mode) send a picture as several slices; a reader that drops part
    of the keyframe a session starts with hands over pictures with whole bands smeared. Against a one-slice
    stream of the same still picture: a clean four-slice picture differs by 1.4 grey levels on average and
    by at most ~32 in its worst 32x32 block; a smeared one by 6.3 and 80 (measured with the old reader)."""
    picture = ("--width", "1920", "--height", "1080", "--fps", "30", "--still")
    reference_server = RtspServer(*picture, "--slices", "1").start()
    try:
        source = RtspCamera(reference_server.url, "tcp", 10, CLOCK)
        reference = _grey(source())
        source.close()
    finally:
        reference_server.stop()
    server = RtspServer(*picture, "--slices", "4").start()
    try:
        for _ in range(3):  # each a fresh session, starting from the keyframe it is sent
            source = RtspCamera(server.url, transport, 10, CLOCK)
            difference = abs(_grey(source()) - reference)
            source.close()
            blocks = difference[:1056, :1920].reshape(33, 32, 60, 32).mean(axis=(1, 3))
            assert difference.mean() < 3 and blocks.max() < 50, (difference.mean(), blocks.max())
    finally:
        server.stop()


class HoldingProxy:
    """A TCP relay in front of a camera whose `hold(seconds)` keeps what the camera sends back for a while, then
    lets it all through at once — a stalled network or camera that then delivers its backlog."""

    def __init__(self, target_port: int):
        import socket

        self._target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._held_until = 0.0
        self.holding = threading.Event()  # the camera's pictures are being held back now
        self._closed = threading.Event()
        self._sockets: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self, seconds: float) -> None:
        self.holding.clear()
        self._held_until = CLOCK.monotonic() + seconds

    def _accept(self) -> None:
        import socket

        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            camera = socket.create_connection(("127.0.0.1", self._target_port))
            self._sockets += [client, camera]
            threading.Thread(target=self._relay, args=(client, camera, False), daemon=True).start()
            threading.Thread(target=self._relay, args=(camera, client, True), daemon=True).start()

    def _relay(self, source, target, holdable: bool) -> None:
        backlog = b""
        try:
            while not self._closed.is_set():
                data = source.recv(65536)
                if not data:
                    return
                backlog += data
                if holdable and CLOCK.monotonic() < self._held_until:
                    self.holding.set()
                else:
                    target.sendall(backlog)
                    backlog = b""
        except OSError:
            return

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        for sock in self._sockets:
            sock.close()


def test_a_stream_that_stalls_and_then_sends_its_backlog_hands_over_a_live_picture(rtsp, scene):
    """The camera's pictures are held back 5 s and then arrive all at once: the picture asked for during the
    stall is a live one (a new session's first: about 1.2 s old through the demo's re-encoding, 0.4 s after),
    not the backlog's first, 5 s old and stamped "now"."""
    from demo.scene import read_stamp
    from octoprint_failwatch.sources.rtsp import STALL_SECONDS

    proxy = HoldingProxy(rtsp.port)
    source = RtspCamera(rtsp.url.replace(f":{rtsp.port}/", f":{proxy.port}/"), "tcp", 10, CLOCK)
    try:
        assert_fresh(source)
        proxy.hold(5)
        assert proxy.holding.wait(5)
        frame = source()  # asked for during the stall: waits for it to end
        age = frame.captured_at - scene.started - read_stamp(frame.jpeg)
        assert age < STALL_SECONDS, f"a picture {age:.1f} s old handed over as new"
        assert_fresh(source)
    finally:
        source.close()
        proxy.close()


def test_the_printers_camera_is_asked_for_at_the_first_capture_and_kept_while_the_printer_cannot_say(scene):
    from octoprint_failwatch.printers.base import PrinterError
    from octoprint_failwatch.sources.printer_camera import PrinterCamera

    answers = [("", ""), (scene.url, scene.stream_url), PrinterError("Moonraker at http://pi:7125 unreachable")]

    def urls():
        answer = answers[0] if len(answers) == 1 else answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    source = PrinterCamera(urls, 5, CLOCK)
    with pytest.raises(CameraError, match="has no webcam configured"):
        source()
    assert_fresh(source)  # the webcam the printer lists now
    scene.mode = "down"
    with pytest.raises(CameraError):
        source()  # the camera fails: the printer is asked again at the next capture...
    scene.mode = "healthy"
    assert_fresh(source)  # ...and while it cannot say (Moonraker away), the camera it said last is kept
