"""Model backends with real boto3 and requests against the local Converse/STS/OpenAI-compatible server."""

import time
from datetime import date

import pytest

from octoprint_failwatch.analysis import Analyser, AnalysisError, DailySpend, make_backend
from octoprint_failwatch.analysis.aws import AwsSession
from octoprint_failwatch.analysis.bedrock import BedrockBackend
from octoprint_failwatch.analysis.openai import OpenAIBackend
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.engine import SystemClock
from octoprint_failwatch.frame import Frame

from conftest import MODEL_ID

ROLE = "arn:aws:iam::123456789012:role/failwatch-bedrock"


@pytest.fixture
def server(model):
    model.verdict, model.hang_seconds = "scene", 3.0
    model.faults.clear()
    model.expired_keys.clear()
    model.denied_roles.clear()
    model.chat_api_key = ""
    yield model
    model.faults.clear()


def frames_from(camera, mode="healthy", count=3):
    camera.mode = mode
    clock = SystemClock()
    frames = [Frame(camera.snapshot(), clock.monotonic(), clock.time()) for _ in range(count)]
    camera.mode = "healthy"
    return frames


def bedrock(server, **settings):
    config, errors = build_config(
        {
            "inference_profile_arn": MODEL_ID,
            "bedrock_endpoint_url": server.url,
            "sts_endpoint_url": server.url,
            "aws_access_key_id": "AKIASTATICKEY",
            "aws_secret_access_key": "static-secret",
            "model_timeout": 10,
            **settings,
        }
    )
    assert not errors, errors
    return config, BedrockBackend(config, AwsSession(config, SystemClock()))


def write_credentials(path, key):
    path.write_text(f"[printer]\naws_access_key_id = {key}\naws_secret_access_key = secret-of-{key}\n")


def test_a_series_is_one_converse_call_with_labelled_frames_a_forced_tool_and_temperature_zero(server, camera):
    _, backend = bedrock(server, about_printer="Textured PEI sheet with a printed logo")
    healthy = backend(frames_from(camera))
    failed = backend(frames_from(camera, "failed"))
    assert (healthy.print_failed, failed.print_failed) == (False, True)
    assert failed.explanation and 0 <= failed.confidence <= 1 and failed.input_tokens > 0
    request = server.converse_requests[-1]
    assert len(request["images"]) == 3 and request["model_id"] == MODEL_ID
    assert request["texts"][0].startswith("Frame 1 of 3 (oldest)") and "(newest)" in request["texts"][2]
    assert request["tool_choice"] == {"tool": {"name": "report_print_status"}}
    assert request["temperature"] == 0


def test_a_quick_check_is_one_image_a_short_question_and_a_short_answer_on_both_backends(server, camera):
    _, backend = bedrock(server)
    series = backend(frames_from(camera, "failed"))
    quick = backend(frames_from(camera, "failed", count=1), quick=True)
    assert quick.print_failed is True and 0 <= quick.confidence <= 1
    assert quick.explanation == "a quick look at the newest frame alone"  # no explanation asked for
    request = server.converse_requests[-1]
    assert len(request["images"]) == 1 and request["texts"][0].startswith("Frame 1 of 1 (newest) captured at")
    # a third of the input and no explanation in the answer (its type only): it is asked at every frame
    assert quick.input_tokens < series.input_tokens / 2 and quick.output_tokens < series.output_tokens * 0.7
    assert quick.failure_type == "spaghetti"
    backend = make_backend(openai(server), SystemClock())
    answer = backend(frames_from(camera, count=1), quick=True)
    assert answer.print_failed is False
    schema = server.chat_requests[-1]["request"]["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["print_failed", "confidence", "failure_type"]


def test_throttling_and_5xx_are_one_request_each_and_say_they_may_pass(server, camera):
    """The engine retries on its own clock (tests/test_engine.py); botocore must not retry with real sleeps too."""
    _, backend = bedrock(server)
    for fault, code, throttled in (
        ("throttle", "ThrottlingException", True),
        ("5xx", "InternalServerException", False),
        ("unavailable", "ServiceUnavailableException", False),
    ):
        before = len(server.converse_requests)
        server.faults.append(fault)
        with pytest.raises(AnalysisError, match=code) as raised:
            backend(frames_from(camera))
        assert len(server.converse_requests) == before + 1
        assert raised.value.retryable and raised.value.throttled is throttled
    server.faults.append("denied")
    with pytest.raises(AnalysisError, match="AccessDeniedException") as raised:
        backend(frames_from(camera))
    assert not raised.value.retryable  # waiting will not grant access
    assert backend(frames_from(camera)).explanation  # and the next call goes through


def test_a_hanging_model_is_a_timeout_error(server, camera):
    _, backend = bedrock(server, model_timeout=1)
    server.faults.extend(["hang"] * 4)
    with pytest.raises(AnalysisError, match="did not answer within 1 s"):
        backend(frames_from(camera))


def test_expired_token_rereads_the_rewritten_file_assumes_the_role_again_and_retries(server, camera, tmp_path):
    credentials = tmp_path / "credentials"
    write_credentials(credentials, "AKIAFILEKEYONE")
    _, backend = bedrock(
        server,
        aws_access_key_id="",
        aws_secret_access_key="",
        credentials_file=str(credentials),
        aws_profile="printer",
        aws_role_arn=ROLE,
    )
    backend(frames_from(camera))
    assert server.assume_role_requests[-1] == {"role": ROLE, "access_key": "AKIAFILEKEYONE"}
    first_session_key = server.converse_requests[-1]["access_key"]
    assert first_session_key.startswith("ASIASESSION")

    server.expired_keys.add(first_session_key)
    write_credentials(credentials, "AKIAFILEKEYTWO")  # an outside tool refreshed the file
    verdict = backend(frames_from(camera))
    assert verdict.explanation
    assert server.assume_role_requests[-1] == {"role": ROLE, "access_key": "AKIAFILEKEYTWO"}
    assert server.converse_requests[-1]["access_key"] not in (first_session_key, "")


def test_assume_role_denied_names_the_role_and_the_credentials(server, camera, tmp_path):
    credentials = tmp_path / "credentials"
    write_credentials(credentials, "AKIAFILEKEYONE")
    server.denied_roles.add(ROLE)
    _, backend = bedrock(
        server,
        aws_access_key_id="",
        aws_secret_access_key="",
        credentials_file=str(credentials),
        aws_profile="printer",
        aws_role_arn=ROLE,
    )
    with pytest.raises(AnalysisError) as error:
        backend(frames_from(camera))
    assert ROLE in str(error.value) and "AccessDenied" in str(error.value)
    assert f"profile 'printer' in {credentials}" in str(error.value)


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("missing file", "does not exist"),
        ("missing profile", "profile 'printer' is not in"),
    ],
)
def test_credential_file_problems_are_named(server, camera, tmp_path, problem, expected):
    credentials = tmp_path / "credentials"
    if problem == "missing profile":
        credentials.write_text("[other]\naws_access_key_id = A\naws_secret_access_key = B\n")
    _, backend = bedrock(
        server,
        aws_access_key_id="",
        aws_secret_access_key="",
        credentials_file=str(credentials),
        aws_profile="printer",
        aws_role_arn=ROLE,
    )
    with pytest.raises(AnalysisError, match=expected):
        backend(frames_from(camera))


def test_a_bedrock_api_key_is_sent_as_a_bearer_token_and_nothing_is_signed_or_assumed(server, camera):
    _, backend = bedrock(
        server, aws_bearer_token="BEARERMARKER-4711", aws_access_key_id="", aws_secret_access_key="", aws_role_arn=ROLE
    )
    roles = len(server.assume_role_requests)
    verdict = backend(frames_from(camera))
    assert verdict.print_failed is False and verdict.input_tokens > 0
    assert server.converse_requests[-1]["access_key"] == "bearer:BEARERMARKER-4711"
    assert len(server.assume_role_requests) == roles  # the key is the credential: no role in between


def test_no_credentials_anywhere_is_said_as_credentials_with_what_was_tried(server, camera):
    from botocore.exceptions import NoCredentialsError

    config, _ = bedrock(server, aws_access_key_id="", aws_secret_access_key="", credentials_file="")

    class NoCredentials(AwsSession):  # boto3's chain found nothing (no network asked here: no instance role probed)
        def bedrock_client(self):
            class Client:
                def converse(self, **request):
                    raise NoCredentialsError()

            return Client()

    backend = BedrockBackend(config, NoCredentials(config, SystemClock()))
    with pytest.raises(AnalysisError) as error:
        backend(frames_from(camera))
    said = str(error.value)
    assert said.startswith("no AWS credentials found: tried no access key in the settings, no credentials file")
    assert "~/.aws/credentials" in said and "unreachable" not in said and error.value.retryable is False


@pytest.mark.parametrize(
    "fault, expected",
    [
        ("malformed", "print_failed"),
        ("max_tokens", "max_tokens"),
        ("text", "did not use the report_print_status tool"),
        ("denied", "AccessDeniedException"),
        ("model_timeout", "ModelTimeoutException"),
    ],
)
def test_bad_answers_are_errors_never_verdicts(server, camera, fault, expected):
    _, backend = bedrock(server)
    server.faults.append(fault)
    with pytest.raises(AnalysisError, match=expected):
        backend(frames_from(camera, "failed"))


def test_image_limits_are_enforced_before_sending(server, camera):
    _, backend = bedrock(server)
    before = len(server.converse_requests)
    with pytest.raises(AnalysisError, match="at most 20 images"):
        backend(frames_from(camera, count=21))
    huge = Frame(b"\xff\xd8" + b"0" * 4_000_000, 0.0, time.time())
    with pytest.raises(AnalysisError, match="3.75 MB"):
        backend([huge])
    assert len(server.converse_requests) == before


def test_frames_are_scaled_to_the_long_side_which_cuts_image_tokens(server, camera):
    full_config, full_backend = bedrock(server, image_long_side=0)
    small_config, small_backend = bedrock(server)
    frames = frames_from(camera)
    full = Analyser(full_config, full_backend, DailySpend())(frames)
    small = Analyser(small_config, small_backend, DailySpend())(frames)
    assert small.input_tokens < full.input_tokens / 2
    assert small.cost_usd == pytest.approx(small.input_tokens / 1000 * 0.00006 + small.output_tokens / 1000 * 0.00024)
    import cv2
    import numpy as np

    sent = cv2.imdecode(np.frombuffer(server.converse_requests[-1]["images"][0], np.uint8), cv2.IMREAD_COLOR)
    assert max(sent.shape[:2]) == 768


def test_the_daily_budget_stops_model_calls_and_says_so(server, camera, tmp_path):
    config, backend = bedrock(server, daily_budget_usd=0.0001)
    spend = DailySpend(tmp_path / "spend.json", today=lambda: date(2026, 11, 27))
    analyser = Analyser(config, backend, spend)
    analyser(frames_from(camera))
    assert spend.today() > 0.0001
    before = len(server.converse_requests)
    with pytest.raises(AnalysisError, match=r"daily budget of \$0.00 reached"):
        analyser(frames_from(camera))
    assert len(server.converse_requests) == before
    reloaded = DailySpend(tmp_path / "spend.json", today=lambda: date(2026, 11, 27))
    assert reloaded.today() == pytest.approx(spend.today())
    assert DailySpend(tmp_path / "spend.json", today=lambda: date(2026, 11, 28)).today() == 0


def openai(server, **settings):
    config, errors = build_config(
        {
            "model_backend": "openai",
            "openai_base_url": server.url + "/v1",
            "openai_model": "qwen2.5-vl:7b",
            "openai_api_key": "local-model-secret-key",
            **settings,
        }
    )
    assert not errors, errors
    return config


def test_openai_compatible_backend_uses_the_same_schema_and_validation(server, camera):
    server.chat_api_key = "local-model-secret-key"
    config = openai(server)
    backend = make_backend(config, SystemClock())
    assert backend(frames_from(camera, "failed")).print_failed is True
    request = server.chat_requests[-1]
    assert request["api_key"] == "local-model-secret-key" and len(request["images"]) == 3
    assert request["request"]["response_format"]["json_schema"]["schema"]["required"] == [
        "print_failed",
        "confidence",
        "failure_type",
        "explanation",
    ]
    for fault, expected in (("malformed", "not JSON"), ("max_tokens", "max_tokens")):
        server.faults.append(fault)
        with pytest.raises(AnalysisError, match=expected):
            backend(frames_from(camera))
    server.chat_api_key = "another-key"
    with pytest.raises(AnalysisError, match="refused the API key"):
        backend(frames_from(camera))


def test_openai_backend_backs_off_with_full_jitter_within_bounds(server, camera):
    delays = []
    backend = OpenAIBackend(openai(server), sleep=delays.append)
    server.faults.extend(["throttle", "5xx"])
    assert backend(frames_from(camera)).explanation
    assert len(delays) == 2
    assert 0 <= delays[0] <= 1.0 and 0 <= delays[1] <= 2.0
    server.faults.extend(["throttle"] * 10)
    with pytest.raises(AnalysisError, match="HTTP 429"):
        backend(frames_from(camera))


def test_a_model_that_refuses_forced_tool_choice_is_asked_for_json_in_text_from_then_on(server, camera):
    server.forced_tool_choice = False
    try:
        _, backend = bedrock(server)
        before = len(server.converse_requests)
        verdict = backend(frames_from(camera, "failed"))
        assert verdict.print_failed is True and verdict.failure_type == "spaghetti" and verdict.explanation
        quick = backend(frames_from(camera, count=1), quick=True)
        assert quick.print_failed is False
        tried = server.converse_requests[before:]
        # the first call was refused; the next ones ask for JSON in text without tools
        assert [r["tool_choice"] is not None for r in tried] == [True, False, False]
    finally:
        server.forced_tool_choice = True


def test_a_botocore_without_converse_is_named_with_the_way_out(server, camera, monkeypatch):
    import botocore

    monkeypatch.setattr(botocore, "__version__", "1.34.50")
    _, backend = bedrock(server)
    with pytest.raises(AnalysisError, match=r"botocore 1.34.50 has no Converse API .*pip install -U boto3"):
        backend(frames_from(camera))
