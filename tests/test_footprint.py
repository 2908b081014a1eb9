"""Light on a Raspberry Pi: the heavy libraries are loaded only by what uses them."""

import json
import subprocess
import sys

CHECK = """
import json, sys
import octoprint_failwatch
from octoprint_failwatch.analysis import DailySpend, make_analyser
from octoprint_failwatch.sources import make_camera
from octoprint_failwatch.sources.health import CameraHealth
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.engine import SystemClock
config, errors = build_config(json.loads(sys.argv[1]))
assert not errors, errors
frame = make_camera(config, SystemClock())()
CameraHealth(90).check(frame.jpeg, 0.0)
verdict = make_analyser(config, SystemClock(), DailySpend())([frame])
assert verdict.explanation
heavy = ("cv2", "numpy", "boto3", "botocore", "paho", "apprise")
print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def loaded(settings: dict) -> list:
    run = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(settings)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


def test_a_snapshot_camera_with_a_local_model_loads_neither_opencv_nor_botocore(camera, model):
    model.verdict, model.faults[:] = "scene", []
    local = {
        "snapshot_url": camera.url,
        "model_backend": "openai",
        "openai_base_url": model.url + "/v1",
        "openai_model": "llava:13b",
    }
    assert loaded(local) == []
    bedrock = {
        "snapshot_url": camera.url,
        "inference_profile_arn": "us.amazon.nova-lite-v1:0",
        "bedrock_endpoint_url": model.url,
        "aws_access_key_id": "AKIAFOOTPRINT",
        "aws_secret_access_key": "footprint",
        "credentials_file": "/nonexistent",
    }
    assert loaded(bedrock) == ["boto3", "botocore"]  # Bedrock needs them; OpenCV is still not loaded
