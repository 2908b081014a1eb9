"""Secrets stay secret, probed with marker values: a login or token inside a URL is admin-only in OctoPrint's settings
and masked in what every Failwatch viewer hears of a refused save; a stored secret is never sent to an endpoint the
user has just typed; a body nested thousands of levels deep is a bad request; the daemon's log at VERBOSE_LOGGING
holds no secret, whoever logs the line."""

from __future__ import annotations

import json
import logging

import pytest
from test_standalone import daemon

from demo.octoprint_instance import wait_for
from octoprint_failwatch.config import build_config
from octoprint_failwatch.redaction import SecretsFilter, secrets_of

URL_MARKER = "URLMARKER-pw-4711"
TOKEN_MARKER = "TOKMARKER-4711"


@pytest.mark.octoprint
def test_a_login_inside_a_url_is_for_admins_only_and_a_refused_save_says_it_masked(octoprint):
    url = f"http://user:{URL_MARKER}@127.0.0.1:9/v1?token={TOKEN_MARKER}"
    octoprint.save_settings({"openai_base_url": url})
    try:
        viewer = octoprint.api("GET", "/api/settings", octoprint.viewer).json()["plugins"]["failwatch"]
        assert viewer["openai_base_url"] is None and viewer["snapshot_url"] is None  # OctoPrint's users group
        assert octoprint.api("GET", "/api/settings").json()["plugins"]["failwatch"]["openai_base_url"] == url

        octoprint.save_settings({"openai_base_url": f"ftp://user:{URL_MARKER}@127.0.0.1/v1"})  # refused: kept
        status = octoprint.plugin_status(octoprint.viewer)  # what a viewer's page is told of the save
        refusal = status["last_save"]["refused"][0]
        assert refusal["refused"] == "ftp://user:***@127.0.0.1/v1"
        assert refusal["kept"] == "http://user:***@127.0.0.1:9/v1?token=***"
        said = json.dumps(status)
        assert URL_MARKER not in said and TOKEN_MARKER not in said
    finally:
        octoprint.save_settings({"openai_base_url": ""})


@pytest.mark.octoprint
def test_a_stored_secret_goes_only_to_the_endpoint_it_was_stored_for(octoprint, model):
    endpoint = model.url + "/v1"
    octoprint.save_settings({"openai_base_url": endpoint, "openai_api_key": "KEYMARKER-4711", "openai_model": "llava"})
    try:

        def test_connection(settings: dict) -> dict:
            form = {"model_backend": "openai", "openai_api_key": "********", **settings}
            return octoprint.failwatch("POST", "test_connection", json={"settings": form}).json()

        asked = len(model.chat_requests)
        answer = test_connection({"openai_base_url": "http://127.0.0.1:9/v1"})  # typed, not saved
        assert answer["ok"] is False and "type OpenAI-compatible API key again" in answer["error"]
        assert len(model.chat_requests) == asked  # nothing was sent anywhere
        assert test_connection({"openai_base_url": endpoint})["ok"] is True  # where it was stored for: sent
        assert model.chat_requests[-1]["api_key"] == "KEYMARKER-4711"
    finally:
        octoprint.save_settings({"openai_base_url": "", "openai_api_key": "", "openai_model": ""})


@pytest.mark.octoprint
def test_a_bedrock_api_key_typed_in_the_form_reaches_bedrock_as_a_bearer_token(octoprint, model):
    answer = octoprint.failwatch("POST", "test_connection", json={"settings": {"aws_bearer_token": "BEARER-4711"}})
    assert answer.json()["ok"] is True
    assert model.converse_requests[-1]["access_key"] == "bearer:BEARER-4711"


def test_the_daemon_takes_a_bedrock_api_key_from_aws_bearer_token_bedrock(tmp_path, camera, model):
    env = {
        "SNAPSHOT_URL": camera.url,
        "INFERENCE_PROFILE_ARN": "us.amazon.nova-lite-v1:0",
        "AWS_BEARER_TOKEN_BEDROCK": "DAEMON-BEARER-4711",
        "AWS_CREDENTIALS_FILE": str(tmp_path / "none"),
        "BEDROCK_ENDPOINT_URL": model.url,
        "INTERVAL_BETWEEN_IMAGES": "0.5",
        "DATA_FOLDER": str(tmp_path / "data"),
    }
    process = daemon(env, "once")
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    assert "bearer:DAEMON-BEARER-4711" in {r["access_key"] for r in model.converse_requests}
    assert "DAEMON-BEARER-4711" not in output


@pytest.mark.octoprint
def test_a_body_nested_thousands_of_levels_deep_is_a_bad_request(octoprint):
    deep = '{"minutes": ' * 5000 + "1" + "}" * 5000
    answer = octoprint.failwatch("POST", "snooze", data=deep, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "RecursionError" not in octoprint.log_text()


def test_the_daemon_log_at_verbose_logging_holds_no_secret(tmp_path, camera, model, webhook):
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIAMARKER4711\naws_secret_access_key = SECRETMARKER4711\n")
    env = {
        "SNAPSHOT_URL": f"{camera.url}?user=admin&password={URL_MARKER}",
        "DISCORD_WEBHOOK_URL": webhook.url,
        "INFERENCE_PROFILE_ARN": "us.amazon.nova-lite-v1:0",
        "AWS_REGION": "us-west-2",
        "AWS_CREDENTIALS_FILE": str(credentials),
        "BEDROCK_ENDPOINT_URL": model.url,
        "STS_ENDPOINT_URL": model.url,
        "INTERVAL_BETWEEN_IMAGES": "1",
        "VERBOSE_LOGGING": "true",
        "DATA_FOLDER": str(tmp_path / "data"),
    }
    process = daemon(env)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        wait_for(lambda: lines.append(process.stdout.readline()) or "model answer" in lines[-1], 60, "a verdict")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    log = "".join(lines) + output
    assert "DEBUG model answer: 1 image(s)" in log  # verbose: Failwatch's own detail is there
    token = webhook.url.rsplit("/", 1)[-1]
    for secret in (URL_MARKER, "AKIAMARKER4711", "SECRETMARKER4711", token):
        assert secret not in log, secret
    assert len(log) < 200_000  # no image bodies


def test_a_library_line_with_a_secret_in_it_is_masked_before_it_is_written(caplog):
    config = build_config(
        {
            "rtsp_url": f"rtsp://admin:{URL_MARKER}@cam/live",
            "discord_webhook_url": "https://discord.com/api/webhooks/1/WEBHOOKMARKER",
            "aws_secret_access_key": "SECRETMARKER4711",
        }
    )[0]
    record = logging.LogRecord("botocore", logging.DEBUG, "x", 1, "sent %s to %s", ("SECRETMARKER4711", None), None)
    record.args = ("SECRETMARKER4711", f"rtsp://admin:{URL_MARKER}@cam/live and /webhooks/1/WEBHOOKMARKER")
    assert SecretsFilter(secrets_of(config)).filter(record)
    assert record.getMessage() == "sent *** to rtsp://admin:***@cam/live and /webhooks/1/***"
