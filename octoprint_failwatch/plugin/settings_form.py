"""What the settings page gets and sends: secrets masked, placeholders resolved, refused values kept out."""

from __future__ import annotations

from typing import Any, Mapping

from ..config import DEFAULTS, SECRET_ENDPOINTS, SECRET_KEYS, URL_KEYS, label, validate
from ..redaction import mask_url

SECRET_PLACEHOLDER = "********"  # what the settings page shows for a secret that is set


def masked(data: dict) -> dict:
    """A secret never goes back to a browser, not even an admin's: a set one shows as the placeholder."""
    return {**data, **{key: SECRET_PLACEHOLDER for key in SECRET_KEYS if data.get(key)}}


def with_stored_secrets(stored: Mapping[str, Any], form: Mapping[str, Any]) -> dict:
    """The stored settings with the form's values on top; a placeholder keeps the stored secret."""
    return {
        **stored,
        **{key: value for key, value in form.items() if not (key in SECRET_KEYS and value == SECRET_PLACEHOLDER)},
    }


def stored_secrets_for_test(stored: Mapping[str, Any], form: Mapping[str, Any]) -> tuple[dict, list[str]]:
    """Like `with_stored_secrets`, for a test that sends the secrets: a stored one goes only to the endpoint it was
    stored with. A placeholder beside a changed endpoint is refused: what the user must type again, in words."""
    retype = [
        label(key)
        for key, endpoints in SECRET_ENDPOINTS.items()
        if form.get(key) == SECRET_PLACEHOLDER
        and stored.get(key)
        and any(key_ in form and form[key_] != stored.get(key_, DEFAULTS.get(key_)) for key_ in endpoints)
    ]
    return with_stored_secrets(stored, form), retype


def accepted_and_refused(stored: Mapping[str, Any], form: Mapping[str, Any]) -> tuple[dict, dict[str, str]]:
    """The form's values that may be saved, and the refused ones with why (the last good value stays)."""
    changes = {key: value for key, value in form.items() if not (key in SECRET_KEYS and value == SECRET_PLACEHOLDER)}
    _, errors = validate({**stored, **changes})
    refused = {key: message for key, message in errors.items() if key in changes}
    return {key: value for key, value in changes.items() if key not in refused}, refused


def refusals(refused: Mapping[str, str], form: Mapping[str, Any], stored: Mapping[str, Any]) -> list[dict]:
    """What the user is told at Save: the setting, the value refused, why, and the value kept — secrets unsaid and
    URLs masked, as every page with Failwatch's View permission hears of it."""

    def shown(key: str, value: Any) -> Any:
        if key in SECRET_KEYS:
            return "(hidden)" if value else ""
        return mask_url(value) if key in URL_KEYS and isinstance(value, str) else value

    return [
        {
            "key": key,
            "setting": label(key),
            "refused": shown(key, form.get(key)),
            "why": message,
            "kept": shown(key, stored.get(key, DEFAULTS.get(key))),
        }
        for key, message in refused.items()
    ]
