"""Settings: the standalone tool's defaults, clear messages for bad values, its environment variable names."""

import pytest

from octoprint_failwatch.config import DEFAULTS, PLUGIN_DEFAULTS, build_config, describe_errors, from_environment

PROFILE_ARN = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.amazon.nova-premier-v1:0"


def test_defaults_are_the_standalone_tools():
    config, errors = build_config({})
    assert errors == {}
    assert (config.images_per_series, config.interval_between_images) == (3, 10.0)
    assert (config.verification_series, config.verification_required) == (4, 3)
    assert config.verification_interval == 2.0
    assert config.cooldown_minutes == 15.0
    assert (config.error_limit, config.error_backoff_seconds) == (5, 60.0)
    assert config.aws_region == "us-west-2" and config.aws_profile == "default"
    assert config.failure_action == "notify"
    assert config.test_mode is False and config.verbose_logging is False


@pytest.mark.parametrize(
    "raw, key, text",
    [
        ({"interval_between_images": -5}, "interval_between_images", "at least"),
        ({"interval_between_images": "ten"}, "interval_between_images", "number"),
        ({"images_per_series": 2.5}, "images_per_series", "whole number"),
        ({"verification_required": 5}, "verification_required", "cannot be more than"),
        ({"rtsp_url": "http://cam/stream"}, "rtsp_url", "rtsp://"),
        ({"aws_role_arn": "role/failwatch"}, "aws_role_arn", "IAM role ARN"),
        ({"inference_profile_arn": "arn:aws:s3:::bucket"}, "inference_profile_arn", "ARN or model id"),
        ({"discord_webhook_url": "javascript:alert(1)"}, "discord_webhook_url", "https://"),
        ({"mqtt_broker_url": "ftp://broker"}, "mqtt_broker_url", "mqtt://"),
        ({"failure_action": "cancel"}, "failure_action", "opt-in"),
        ({"cooldown_minutes": float("nan")}, "cooldown_minutes", "finite"),
    ],
)
def test_a_bad_value_gets_a_clear_message_and_the_default(raw, key, text):
    config, errors = build_config(raw)
    assert text in errors[key]
    assert getattr(config, key) == DEFAULTS[key] or key == "verification_required"
    assert any(text in line for line in describe_errors(errors))


def test_good_values_are_typed():
    config, errors = build_config(
        {
            "images_per_series": "2",
            "interval_between_images": "15",
            "verbose_logging": "true",
            "inference_profile_arn": PROFILE_ARN,
            "aws_role_arn": "arn:aws:iam::123456789012:role/bedrock-caller",
            "failure_action": "cancel",
            "allow_cancel": True,
        }
    )
    assert errors == {}
    assert config.images_per_series == 2 and config.interval_between_images == 15.0
    assert config.verbose_logging is True and config.failure_action == "cancel"


def test_the_standalone_tools_environment_variables_configure_standalone_mode():
    config, errors = from_environment(
        {
            "RTSP_URL": "rtsp://user:pw@cam:8554/printer",
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/bedrock-caller",
            "INFERENCE_PROFILE_ARN": "us.amazon.nova-pro-v1:0",
            "APP_AWS_PROFILE": "printer",
            "IMAGES_PER_SERIES": "2",
            "INTERVAL_BETWEEN_IMAGES": "5",
            "TEST_MODE": "true",
            "MQTT_BROKER_URL": "mqtt://broker:1883",
            "MQTT_TOPIC": "printer/failwatch",
        }
    )
    assert errors == {}
    assert config.camera_source == "rtsp"
    assert config.aws_profile == "printer" and config.images_per_series == 2
    assert config.interval_between_images == 5.0 and config.test_mode is True
    assert config.credentials_file == "/creds/credentials"  # the daemon's container mounts it there
    assert config.missing_for_monitoring() == []
    from octoprint_failwatch.config import PLUGIN_DEFAULTS

    assert PLUGIN_DEFAULTS["credentials_file"] == ""  # in OctoPrint no such path: boto3's own chain


def test_every_setting_has_a_field_on_the_settings_page():
    import re
    from pathlib import Path

    import octoprint_failwatch

    template = Path(octoprint_failwatch.__file__).with_name("templates") / "failwatch_settings.jinja2"
    on_page = set(re.findall(r'field\("(\w+)"', template.read_text()))
    daemon_only = {"printer_url", "printer_api_key", "data_folder"}
    assert on_page == set(PLUGIN_DEFAULTS) and set(DEFAULTS) - on_page == daemon_only
