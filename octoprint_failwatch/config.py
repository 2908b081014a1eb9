"""Typed configuration: every setting, its default, its environment variable and its validation.

One declaration — the typed, frozen `FailwatchConfig`, each field with its rules — gives `FIELDS`, which
drives the OctoPrint settings defaults, the standalone mode's environment variables and validation, so
the three can never drift apart and editors and type checkers see every setting. Validation never raises: it returns
one clear message per bad field, and `build_config` falls back to the default for that field.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional
from urllib.parse import urlsplit

FAILURE_ACTIONS = ("notify", "pause", "cancel")
CAMERA_SOURCES = ("auto", "webcam", "rtsp", "snapshot", "mjpeg", "printer")  # printer: the daemon's printer's
SOURCE_URLS = {"rtsp": "rtsp_url", "snapshot": "snapshot_url", "mjpeg": "mjpeg_url"}  # a camera source's URL setting
PRINTER_SCHEMES = ("moonraker", "moonraker+https", "octoprint", "octoprint+https")
MODEL_BACKENDS = ("bedrock", "openai", "local")  # local: the on-device detector alone, no cloud
_ROI = re.compile(r"^\s*(0|1|0?\.\d+)\s*(,\s*(0|1|0?\.\d+)\s*){3}$")

_ARN_OR_MODEL_ID = re.compile(
    r"^(arn:aws[a-z-]*:bedrock:[a-z0-9-]+:(\d{12})?:"
    r"(inference-profile|application-inference-profile|foundation-model|provisioned-model)/\S+"
    r"|(?!arn:)[a-z0-9][a-z0-9.:_-]*)$"
)
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_MQTT_TOPIC = re.compile(r"^[^#+\x00]+$")
_INSTANCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _url_check(*schemes: str) -> Callable[[str], Optional[str]]:
    def check(value: str) -> Optional[str]:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            return "must be a URL starting with " + " or ".join(f"{s}://" for s in schemes)
        return None

    return check


def _pattern_check(pattern: re.Pattern, what: str) -> Callable[[str], Optional[str]]:
    def check(value: str) -> Optional[str]:
        if value and not pattern.match(value):
            return f"is not a valid {what}"
        return None

    return check


def split_urls(text: str) -> list[str]:
    """A list of URLs as typed: one per line, or separated by spaces or commas."""
    return [url for url in text.replace(",", " ").split() if url]


def _urls_check(value: str) -> Optional[str]:
    # the scheme picks the service (tgram://, ntfy://, mailto://...); Apprise itself judges the rest when it loads
    if any(not re.match(r"^[a-z][a-z0-9+.-]*://\S", url, re.I) for url in split_urls(value)):
        return "must be notification URLs such as ntfy://topic or tgram://token/chat, one per line"
    return None


def _detector_check(value: str) -> Optional[str]:
    if value in ("off", "printnanny") or value.endswith(".tflite"):
        return None
    return "must be off, printnanny or the path of a .tflite model"


def _choice_check(choices: tuple) -> Callable[[str], Optional[str]]:
    def check(value: str) -> Optional[str]:
        return None if value in choices else "must be one of " + ", ".join(choices)

    return check


@dataclass(frozen=True)
class Field:
    """One setting: its key in OctoPrint's settings, type, default, env var and rules."""

    key: str
    kind: type
    default: Any
    env: Optional[str] = None
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    check: Optional[Callable[[Any], Optional[str]]] = None
    secret: bool = False
    part: str = ""  # what a change restarts: camera, model, detection, actions, alerts, logging


def setting(
    default: Any,
    env: Optional[str] = None,
    *,
    minimum: Optional[float] = None,
    maximum: Optional[float] = None,
    check: Optional[Callable[[Any], Optional[str]]] = None,
    secret: bool = False,
    part: str = "",
) -> Any:
    """One field of FailwatchConfig with its rules (FIELDS reads them back); a secret is left out of its repr,
    so a logged config shows none."""
    rules = {"env": env, "minimum": minimum, "maximum": maximum, "check": check, "secret": secret, "part": part}
    return dataclasses.field(default=default, repr=not secret, metadata=rules)


def parse_roi(text: str) -> Optional[tuple[float, float, float, float]]:
    """The region of interest as (x, y, width, height) fractions; None for the whole frame. `text` has passed
    the field's pattern check."""
    if not text:
        return None
    x, y, width, height = (float(part) for part in text.split(","))
    return x, y, width, height


class _DerivedSettings:
    """What the engine and its edges read off the settings besides the fields themselves."""

    # the fields these read, declared on FailwatchConfig below (named here for the type checker)
    model_backend: str
    openai_model: str
    inference_profile_arn: str
    local_failure_labels: str
    local_detector: str
    region_of_interest: str
    cooldown_minutes: float
    resume_grace_minutes: float
    camera_source: str

    @property
    def model_name(self) -> str:
        if self.model_backend == "local":
            return "on-device detector"
        return self.openai_model if self.model_backend == "openai" else self.inference_profile_arn

    @property
    def failure_labels(self) -> tuple[str, ...]:
        return tuple(label.strip().lower() for label in self.local_failure_labels.split(",") if label.strip())

    @property
    def detector_on(self) -> bool:
        return self.local_detector != "off"

    @property
    def roi(self) -> Optional[tuple[float, float, float, float]]:
        return parse_roi(self.region_of_interest)

    @property
    def cooldown_seconds(self) -> float:
        return self.cooldown_minutes * 60.0

    @property
    def resume_grace_seconds(self) -> float:
        return self.resume_grace_minutes * 60.0

    def missing_model_settings(self) -> list[str]:
        """Keys of the model settings still empty (the backend cannot be called without them)."""
        if self.model_backend == "openai":
            return [key for key in ("openai_base_url", "openai_model") if not getattr(self, key)]
        if self.model_backend == "local":
            return [] if self.detector_on else ["local_detector"]
        return [] if self.inference_profile_arn else ["inference_profile_arn"]

    def missing_for_monitoring(self) -> list[str]:
        """What still has to be set before a print can be watched, in words (empty when ready)."""
        source_url = SOURCE_URLS.get(self.camera_source)
        missing = [source_url] if source_url and not getattr(self, source_url) else []
        return [label(key) for key in missing + self.missing_model_settings()]

    def not_ready(self) -> str:
        """Why a print cannot be watched yet, in words; empty when it can."""
        missing = self.missing_for_monitoring()
        return "not configured: set the " + ", ".join(missing) if missing else ""


@dataclass(frozen=True)
class FailwatchConfig(_DerivedSettings):
    """The validated settings the engine and its edges run on: every setting, its default, its environment
    variable for the daemon, its rules and the part of the watch a change of it touches."""

    # ----- camera -----
    camera_source: str = setting("auto", "CAMERA_SOURCE", check=_choice_check(CAMERA_SOURCES), part="camera")
    rtsp_url: str = setting("", "RTSP_URL", check=_url_check("rtsp", "rtsps"), part="camera")
    rtsp_transport: str = setting("tcp", "RTSP_TRANSPORT", check=_choice_check(("tcp", "udp")), part="camera")
    snapshot_url: str = setting("", "SNAPSHOT_URL", check=_url_check("http", "https"), part="camera")
    mjpeg_url: str = setting("", "MJPEG_URL", check=_url_check("http", "https"), part="camera")
    webcam_name: str = setting("", "WEBCAM_NAME", part="camera")
    camera_timeout: float = setting(10.0, "CAMERA_TIMEOUT", minimum=1, maximum=120, part="camera")
    frozen_seconds: float = setting(90.0, "FROZEN_SECONDS", minimum=5, maximum=3600, part="camera")
    # ----- model: the model, AWS, image preparation and cost -----
    aws_region: str = setting("us-west-2", "AWS_REGION", check=_pattern_check(_REGION, "AWS region"), part="model")
    aws_role_arn: str = setting("", "AWS_ROLE_ARN", check=_pattern_check(_ROLE_ARN, "IAM role ARN"), part="model")
    inference_profile_arn: str = setting(
        "",
        "INFERENCE_PROFILE_ARN",
        check=_pattern_check(_ARN_OR_MODEL_ID, "inference profile ARN or model id"),
        part="model",
    )
    aws_profile: str = setting("default", "APP_AWS_PROFILE", part="model")
    credentials_file: str = setting("/creds/credentials", "AWS_CREDENTIALS_FILE", part="model")
    # a Bedrock API key (one key, sent as a bearer token): used before any other credentials when set
    aws_bearer_token: str = setting("", "AWS_BEARER_TOKEN_BEDROCK", secret=True, part="model")
    aws_access_key_id: str = setting("", "AWS_ACCESS_KEY_ID", secret=True, part="model")
    aws_secret_access_key: str = setting("", "AWS_SECRET_ACCESS_KEY", secret=True, part="model")
    bedrock_endpoint_url: str = setting("", "BEDROCK_ENDPOINT_URL", check=_url_check("http", "https"), part="model")
    sts_endpoint_url: str = setting("", "STS_ENDPOINT_URL", check=_url_check("http", "https"), part="model")
    model_timeout: float = setting(60.0, "MODEL_TIMEOUT", minimum=1, maximum=600, part="model")
    about_printer: str = setting("", "ABOUT_PRINTER", part="model")
    model_backend: str = setting("bedrock", "MODEL_BACKEND", check=_choice_check(MODEL_BACKENDS), part="model")
    openai_base_url: str = setting("", "OPENAI_BASE_URL", check=_url_check("http", "https"), part="model")
    openai_model: str = setting("", "OPENAI_MODEL", part="model")
    openai_api_key: str = setting("", "OPENAI_API_KEY", secret=True, part="model")
    image_long_side: int = setting(768, "IMAGE_LONG_SIDE", minimum=0, maximum=8000, part="model")
    jpeg_quality: int = setting(80, "JPEG_QUALITY", minimum=30, maximum=100, part="model")
    region_of_interest: str = setting(
        "",
        "REGION_OF_INTEREST",
        check=_pattern_check(_ROI, "region (x, y, width, height as fractions 0-1)"),
        part="model",
    )
    daily_budget_usd: float = setting(0.0, "DAILY_BUDGET_USD", minimum=0, maximum=10000, part="model")
    price_input_per_1k: float = setting(0.0, "PRICE_INPUT_PER_1K", minimum=0, maximum=100, part="model")
    price_output_per_1k: float = setting(0.0, "PRICE_OUTPUT_PER_1K", minimum=0, maximum=100, part="model")
    # the on-device detector (analysis/local_detector.py): off, printnanny, or a .tflite file with its labels beside it
    local_detector: str = setting("off", "LOCAL_DETECTOR", check=_detector_check, part="model")
    local_failure_labels: str = setting("spaghetti", "LOCAL_FAILURE_LABELS", part="model")
    # PrintNanny's model scores its photos' spaghetti 0.84-0.97 and their healthy prints below 0.02 (bench/detector.py);
    # halfway keeps a margin both ways, and the vision model judges whatever it raises
    local_threshold: float = setting(0.5, "LOCAL_THRESHOLD", minimum=0.05, maximum=0.99, part="model")
    # ----- detection: series, verification, cooldown, error backoff -----
    test_mode: bool = setting(False, "TEST_MODE", part="detection")
    images_per_series: int = setting(3, "IMAGES_PER_SERIES", minimum=1, maximum=20, part="detection")
    interval_between_images: float = setting(
        10.0, "INTERVAL_BETWEEN_IMAGES", minimum=0.5, maximum=3600, part="detection"
    )
    verification_series: int = setting(4, "VERIFICATION_SERIES", minimum=1, maximum=10, part="detection")
    verification_required: int = setting(3, "VERIFICATION_REQUIRED", minimum=1, maximum=10, part="detection")
    verification_interval: float = setting(2.0, "VERIFICATION_INTERVAL", minimum=0.5, maximum=600, part="detection")
    pipeline_verification: bool = setting(True, "PIPELINE_VERIFICATION", part="detection")
    quick_check: bool = setting(True, "QUICK_CHECK", part="detection")
    local_interval: float = setting(2.0, "LOCAL_INTERVAL", minimum=0.5, maximum=600, part="detection")
    # with the detector ready, the vision model's quick look is the safety net for what the detector cannot see
    model_look_interval: float = setting(30.0, "MODEL_LOOK_INTERVAL", minimum=1, maximum=3600, part="detection")
    prefetch_verification: bool = setting(True, "PREFETCH_VERIFICATION", part="detection")
    min_failure_confidence: float = setting(0.0, "MIN_FAILURE_CONFIDENCE", minimum=0, maximum=1, part="detection")
    cooldown_minutes: float = setting(15.0, "COOLDOWN_MINUTES", minimum=0, maximum=24 * 60, part="detection")
    error_limit: int = setting(5, "ERROR_LIMIT", minimum=1, maximum=100, part="detection")
    error_backoff_seconds: float = setting(60.0, "ERROR_BACKOFF_SECONDS", minimum=0, maximum=3600, part="detection")
    # ----- actions: what is done to the print, and when the print is worth judging -----
    failure_action: str = setting("notify", "FAILURE_ACTION", check=_choice_check(FAILURE_ACTIONS), part="actions")
    allow_cancel: bool = setting(False, "ALLOW_CANCEL", part="actions")
    max_auto_pauses: int = setting(1, "MAX_AUTO_PAUSES", minimum=1, maximum=20, part="actions")
    pause_retract_mm: float = setting(1.0, "PAUSE_RETRACT_MM", minimum=0, maximum=20, part="actions")
    pause_lift_mm: float = setting(5.0, "PAUSE_LIFT_MM", minimum=0, maximum=50, part="actions")
    pause_park: bool = setting(False, "PAUSE_PARK", part="actions")
    pause_park_x: float = setting(0.0, "PAUSE_PARK_X", minimum=-1000, maximum=1000, part="actions")
    pause_park_y: float = setting(0.0, "PAUSE_PARK_Y", minimum=-1000, maximum=1000, part="actions")
    pause_hotend_off: bool = setting(False, "PAUSE_HOTEND_OFF", part="actions")
    warmup_minutes: float = setting(2.0, "WARMUP_MINUTES", minimum=0, maximum=240, part="actions")
    warmup_layers: int = setting(0, "WARMUP_LAYERS", minimum=0, maximum=1000, part="actions")
    resume_grace_minutes: float = setting(2.0, "RESUME_GRACE_MINUTES", minimum=0, maximum=240, part="actions")
    # one look at the build plate as a print starts: leftovers are alerted; held only when the user allows it
    bed_check: bool = setting(True, "BED_CHECK", part="actions")
    bed_check_hold: bool = setting(False, "BED_CHECK_HOLD", part="actions")
    # ----- alerts -----
    # this instance's name on MQTT and in Home Assistant: generated once by the plugin, never the display name
    instance_id: str = setting(
        "", "INSTANCE_ID", check=_pattern_check(_INSTANCE_ID, "instance id (a-z, 0-9, _ -)"), part="alerts"
    )
    discord_webhook_url: str = setting(
        "", "DISCORD_WEBHOOK_URL", check=_url_check("https", "http"), secret=True, part="alerts"
    )
    notify_urls: str = setting("", "NOTIFY_URLS", check=_urls_check, secret=True, part="alerts")
    mqtt_broker_url: str = setting(
        "", "MQTT_BROKER_URL", check=_url_check("mqtt", "mqtts", "ws", "wss", "tcp"), part="alerts"
    )
    mqtt_topic: str = setting("", "MQTT_TOPIC", check=_pattern_check(_MQTT_TOPIC, "MQTT topic"), part="alerts")
    mqtt_username: str = setting("", "MQTT_USERNAME", part="alerts")
    mqtt_password: str = setting("", "MQTT_PASSWORD", secret=True, part="alerts")
    mqtt_client_id: str = setting("", "MQTT_CLIENT_ID", part="alerts")
    mqtt_qos: int = setting(0, "MQTT_QOS", minimum=0, maximum=2, part="alerts")
    mqtt_retain: bool = setting(True, "MQTT_RETAIN", part="alerts")
    mqtt_ca_file: str = setting("", "MQTT_CA_FILE", part="alerts")
    mqtt_ha_discovery: bool = setting(True, "MQTT_HA_DISCOVERY", part="alerts")
    mqtt_ha_controls: bool = setting(False, "MQTT_HA_CONTROLS", part="alerts")
    alert_camera_problems: bool = setting(True, "ALERT_CAMERA_PROBLEMS", part="alerts")
    alert_monitoring_stopped: bool = setting(True, "ALERT_MONITORING_STOPPED", part="alerts")
    # ----- the printer (the daemon's; the plugin watches OctoPrint's own) -----
    printer_url: str = setting("", "PRINTER_URL", check=_url_check(*PRINTER_SCHEMES), part="printer")
    printer_api_key: str = setting("", "PRINTER_API_KEY", secret=True, part="printer")
    # where the daemon keeps its incidents, the day's spend and MQTT's retained topics (the plugin: its data folder);
    # empty: $XDG_DATA_HOME/failwatch, else ~/.local/share/failwatch
    data_folder: str = setting("", "DATA_FOLDER", part="printer")
    # ----- logging -----
    verbose_logging: bool = setting(False, "VERBOSE_LOGGING", part="logging")


_KINDS = {"str": str, "int": int, "float": float, "bool": bool}
FIELDS: tuple[Field, ...] = tuple(
    Field(field.name, _KINDS[str(field.type)], field.default, **field.metadata)
    for field in dataclasses.fields(FailwatchConfig)
)
FIELDS_BY_KEY = {field.key: field for field in FIELDS}
SECRET_KEYS = tuple(field.key for field in FIELDS if field.secret)
# where each secret is sent: a stored secret goes only to the endpoint it was stored with (a Test connection to a
# changed endpoint needs the secret typed again)
SECRET_ENDPOINTS = {
    "openai_api_key": ("openai_base_url",),
    "aws_bearer_token": ("bedrock_endpoint_url",),
    "aws_access_key_id": ("bedrock_endpoint_url", "sts_endpoint_url"),
    "aws_secret_access_key": ("bedrock_endpoint_url", "sts_endpoint_url"),
    "mqtt_password": ("mqtt_broker_url",),
}
# URLs that may carry a login or a token (rtsp://user:pass@, ?token=): admin-only, and masked wherever shown
URL_KEYS = tuple(field.key for field in FIELDS if field.key.endswith("_url") and not field.secret)
DEFAULTS = {field.key: field.default for field in FIELDS}
# the plugin's settings: all but the daemon's printer and data folder (the plugin watches OctoPrint's own)
PLUGIN_DEFAULTS = {key: default for key, default in DEFAULTS.items() if FIELDS_BY_KEY[key].part != "printer"}
# /creds/credentials is the daemon's container's path: in OctoPrint no file unless one is named (boto3's own chain)
PLUGIN_DEFAULTS["credentials_file"] = ""
# the settings a connection test (one frame, one model call) depends on: a change makes its last answer stale
CONNECTION_KEYS = tuple(field.key for field in FIELDS if field.part in ("camera", "model"))


def coerce(field: Field, raw: Any) -> tuple[Any, Optional[str]]:
    """Turns a raw value (settings JSON or env string) into the field's type, or an error text."""
    if raw is None:
        return field.default, None
    if field.kind is bool:
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True, None
        if text in ("false", "0", "no", "off", ""):
            return False, None
        return field.default, "must be true or false"
    if field.kind in (int, float):
        if isinstance(raw, bool):
            return field.default, "must be a number"
        try:
            number = field.kind(float(raw)) if field.kind is int else float(raw)
        except (TypeError, ValueError, OverflowError):
            return field.default, "must be a number"
        if field.kind is int and float(raw) != number:
            return field.default, "must be a whole number"
        if math.isnan(number) or math.isinf(number):
            return field.default, "must be a finite number"
        if field.minimum is not None and number < field.minimum:
            return field.default, f"must be at least {field.minimum:g}"
        if field.maximum is not None and number > field.maximum:
            return field.default, f"must be at most {field.maximum:g}"
        return number, None
    if not isinstance(raw, str):
        return field.default, "must be text"
    value = raw.strip()
    if len(value) > 4096:
        return field.default, "is too long"
    if field.check:
        problem = field.check(value)
        if problem:
            return field.default, problem
    return value, None


def validate(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Returns (typed values, errors by key); a bad field keeps its default in the values."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        value, problem = coerce(field, raw.get(field.key))
        values[field.key] = value
        if problem:
            errors[field.key] = problem
    if (
        "verification_required" not in errors
        and "verification_series" not in errors
        and values["verification_required"] > values["verification_series"]
    ):
        errors["verification_required"] = (
            f"cannot be more than the number of verification series ({values['verification_series']})"
        )
        values["verification_required"] = min(DEFAULTS["verification_required"], values["verification_series"])
    roi = parse_roi(values["region_of_interest"]) if "region_of_interest" not in errors else None
    if roi:
        x, y, width, height = roi
        if width <= 0 or height <= 0 or x + width > 1 or y + height > 1:
            errors["region_of_interest"] = "must lie inside the image (x + width and y + height at most 1)"
            values["region_of_interest"] = ""
    if values["failure_action"] == "cancel" and not values["allow_cancel"]:
        errors["failure_action"] = "cancel needs the explicit opt-in 'allow cancelling prints'"
        values["failure_action"] = DEFAULTS["failure_action"]
    return values, errors


def build_config(raw: Mapping[str, Any]) -> tuple[FailwatchConfig, dict[str, str]]:
    """Builds the typed config; invalid fields fall back to defaults and are reported."""
    values, errors = validate(raw)
    return FailwatchConfig(**values), errors


def changed_parts(old: Optional[FailwatchConfig], new: FailwatchConfig) -> set[str]:
    """Which parts the change of settings touches (camera, model, detection, actions, alerts, logging)."""
    if old is None:
        return {field.part for field in FIELDS}
    return {field.part for field in FIELDS if getattr(old, field.key) != getattr(new, field.key)}


def describe_errors(errors: Mapping[str, str]) -> list[str]:
    """Human sentences for the UI and log, e.g. 'Interval between images: must be at least 0.5'."""
    return [f"{label(key)}: {message}" for key, message in errors.items()]


_WORDS = {
    "aws": "AWS",
    "arn": "ARN",
    "rtsp": "RTSP",
    "mqtt": "MQTT",
    "url": "URL",
    "id": "ID",
    "sts": "STS",
    "roi": "ROI",
    "usd": "USD",
    "api": "API",
    "qos": "QoS",
    "ca": "CA",
    "ha": "Home Assistant",
    "openai": "OpenAI",
    "1k": "1K",
    "jpeg": "JPEG",
    "mjpeg": "MJPEG",
}


_LABELS = {
    "inference_profile_arn": "Inference profile ARN or model id",
    "openai_base_url": "OpenAI-compatible server URL",
    "openai_model": "OpenAI-compatible model",
    "openai_api_key": "OpenAI-compatible API key",
    "aws_bearer_token": "Bedrock API key",
    "local_detector": "On-device detector",
}


def label(key: str) -> str:
    """A readable name for a settings key: 'aws_role_arn' -> 'AWS role ARN'."""
    if key in _LABELS:
        return _LABELS[key]
    words = [_WORDS.get(word, word) for word in key.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def raw_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings the environment sets, by settings key (RTSP_URL, APP_AWS_PROFILE... as the standalone tool)."""
    raw = {field.key: environ[field.env] for field in FIELDS if field.env and field.env in environ}
    if "rtsp_url" in raw and "camera_source" not in raw:
        raw["camera_source"] = "rtsp"
    if "printer_url" in raw and "camera_source" not in raw and not ({"snapshot_url", "mjpeg_url"} & set(raw)):
        raw["camera_source"] = "printer"  # a Mainsail or OctoPrint user's camera is already known to the printer
    return raw


def from_environment(environ: Mapping[str, str]) -> tuple[FailwatchConfig, dict[str, str]]:
    """The standalone mode's config, read from the standalone tool's environment variable names."""
    return build_config(raw_from_environment(environ))
