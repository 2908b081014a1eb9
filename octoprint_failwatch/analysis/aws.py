"""AWS credentials the standalone tool's way and boto3's way, refreshed before they expire.

A Bedrock API key (`aws_bearer_token`, the daemon's `AWS_BEARER_TOKEN_BEDROCK`) comes first: Converse calls go
unsigned with `Authorization: Bearer <key>` (added to each request here, so any botocore with Converse takes it),
and no role is assumed. Otherwise base credentials come from, in order: the access key in the (admin-only) settings,
the credentials
file + profile (the standalone tool's `/creds/credentials` and `APP_AWS_PROFILE`), or boto3's default chain
(env, SSO, instance/container role). With a role ARN they are exchanged through STS AssumeRole;
the temporary keys are renewed five minutes before expiry and at once when a call reports them
expired — re-reading the file first, since an outside tool may have rewritten it.
"""

from __future__ import annotations

import configparser
import os
import threading
from datetime import datetime, timezone
from typing import Any, Optional

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..config import FailwatchConfig

_SESSION_LOCK = threading.Lock()  # guards the one boto3 session every client is made from
_boto_session = None
REFRESH_MARGIN = 300.0  # renew assumed-role keys this many seconds before they expire
SESSION_SECONDS = 3600  # role chaining caps sessions at one hour
DAEMON_CREDENTIALS = "/creds/credentials"  # the standalone tool's mount in its container
EXPIRED_CODES = {"ExpiredTokenException", "ExpiredToken", "UnrecognizedClientException", "InvalidClientTokenId"}


class CredentialError(Exception):
    """Credentials could not be loaded or a role not assumed; the text names the file/profile/role."""


def is_expired_error(error: Exception) -> bool:
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in EXPIRED_CODES


class AwsSession:
    """Hands out boto3 clients with current credentials; `invalidate()` forces a refresh."""

    def __init__(self, config: FailwatchConfig, clock):
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()  # guards the cached keys and client
        self._keys: Optional[dict[str, Any]] = None
        self._expires_at: Optional[float] = None
        self._client = None

    def describe(self) -> str:
        """Where the credentials come from, for the status and error texts (never the keys)."""
        config = self._config
        if config.aws_bearer_token:
            return "Bedrock API key from the settings"
        if config.aws_access_key_id:
            source = "access key from the settings"
        elif self._file_in_use():
            source = f"profile '{config.aws_profile}' in {config.credentials_file}"
        else:
            source = "boto3's default credential chain"
        if config.aws_role_arn:
            source += f", assuming role {config.aws_role_arn}"
        return source

    def bedrock_client(self):
        with self._lock:
            if self._client is None or self._needs_refresh():
                if self._config.aws_bearer_token:
                    self._client = self._bearer_client()
                else:
                    self._keys = self._load_keys()
                    self._client = self._make_client("bedrock-runtime", self._config.bedrock_endpoint_url, self._keys)
            return self._client

    def _bearer_client(self):
        """A Bedrock client that sends the API key as a bearer token instead of signing."""
        client = self._make_client("bedrock-runtime", self._config.bedrock_endpoint_url, {}, signed=False)
        token = self._config.aws_bearer_token

        def authorize(request, **_):
            request.headers["Authorization"] = f"Bearer {token}"

        client.meta.events.register("before-send.bedrock-runtime.*", authorize)
        return client

    def invalidate(self) -> None:
        with self._lock:
            self._client = None
            self._keys = None

    # ----- loading -----

    def _needs_refresh(self) -> bool:
        return self._expires_at is not None and self._clock.time() >= self._expires_at - REFRESH_MARGIN

    def _file_in_use(self) -> bool:
        """A named file; the daemon's default path only when something is mounted there."""
        path = self._config.credentials_file
        return bool(path) and (os.path.exists(path) or path != DAEMON_CREDENTIALS)

    def tried(self) -> str:
        """What was tried for credentials, in words, for a message that none were found."""
        config = self._config
        file = (
            f"the credentials file {config.credentials_file}"
            if self._file_in_use()
            else "no credentials file (none named)"
            if not config.credentials_file
            else f"the credentials file {config.credentials_file} (not there)"
        )
        return (
            f"no access key in the settings, {file}, then boto3's chain: the AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY variables, ~/.aws/credentials and ~/.aws/config of the user OctoPrint runs as, "
            "an instance or container role"
        )

    def _base_keys(self) -> dict[str, Any]:
        config = self._config
        if config.aws_access_key_id:
            return {
                "aws_access_key_id": config.aws_access_key_id,
                "aws_secret_access_key": config.aws_secret_access_key,
            }
        if not self._file_in_use():
            return {}  # boto3's default chain
        parser = configparser.ConfigParser()
        try:
            with open(config.credentials_file, encoding="utf-8") as handle:
                parser.read_file(handle)
        except FileNotFoundError:
            raise CredentialError(f"credentials file {config.credentials_file} does not exist") from None
        except (OSError, configparser.Error) as exc:
            raise CredentialError(f"credentials file {config.credentials_file} cannot be read: {exc}") from None
        if not parser.has_section(config.aws_profile):
            raise CredentialError(f"profile '{config.aws_profile}' is not in {config.credentials_file}")
        section = parser[config.aws_profile]
        if not section.get("aws_access_key_id") or not section.get("aws_secret_access_key"):
            raise CredentialError(
                f"profile '{config.aws_profile}' in {config.credentials_file} has no access key and secret"
            )
        keys = {
            "aws_access_key_id": section["aws_access_key_id"].strip(),
            "aws_secret_access_key": section["aws_secret_access_key"].strip(),
        }
        if section.get("aws_session_token"):
            keys["aws_session_token"] = section["aws_session_token"].strip()
        return keys

    def _load_keys(self) -> dict[str, Any]:
        base = self._base_keys()
        self._expires_at = None
        if not self._config.aws_role_arn:
            return base
        sts = self._make_client("sts", self._config.sts_endpoint_url, base)
        try:
            answer = sts.assume_role(
                RoleArn=self._config.aws_role_arn,
                RoleSessionName="octoprint-failwatch",
                DurationSeconds=SESSION_SECONDS,
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise CredentialError(
                f"AssumeRole into {self._config.aws_role_arn} failed ({error.get('Code')}): "
                f"{error.get('Message', '')} — credentials: {self.describe()}"
            ) from None
        except BotoCoreError as exc:
            raise CredentialError(f"AssumeRole into {self._config.aws_role_arn} failed: {exc}") from None
        credentials = answer["Credentials"]
        expiration = credentials["Expiration"]
        if isinstance(expiration, datetime):
            self._expires_at = expiration.replace(tzinfo=expiration.tzinfo or timezone.utc).timestamp()
        return {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }

    def _make_client(self, service: str, endpoint_url: str, keys: dict[str, Any], signed: bool = True):
        config = self._config
        botocore_config = Config(
            **({} if signed else {"signature_version": UNSIGNED}),
            region_name=config.aws_region,
            # Converse calls are retried by the engine on its clock (analysis/bedrock.py); STS by botocore
            retries={"mode": "standard", "total_max_attempts": 1 if service == "bedrock-runtime" else 4},
            connect_timeout=10,
            read_timeout=config.model_timeout,
        )
        kwargs: dict[str, Any] = {"config": botocore_config, "region_name": config.aws_region, **keys}
        if endpoint_url:  # only when set, so AWS_ENDPOINT_URL_* env overrides keep working
            kwargs["endpoint_url"] = endpoint_url
        try:
            return _shared_session().client(service, **kwargs)
        except BotoCoreError as exc:
            raise CredentialError(f"cannot create the {service} client: {exc}") from None


def _shared_session():
    """One boto3 session for every client (keys are given per client): its service models load once, which
    on a Raspberry Pi is tens of MB not spent again at every credential refresh or Test connection."""
    global _boto_session
    with _SESSION_LOCK:
        if _boto_session is None:
            _boto_session = boto3.session.Session()
        return _boto_session
