"""OctoPrint's hooks that need none of the plugin's state: permissions, custom events, software update, and
who may receive Failwatch's pushes. `__plugin_load__` registers them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from flask_babel import gettext
from octoprint.access import ADMIN_GROUP, READONLY_GROUP, USER_GROUP
from octoprint.access.permissions import Permissions

from ..outcomes.dispatch import OUTCOMES

IDENTIFIER = "failwatch"


def permissions(*args, **kwargs) -> list[dict]:
    return [
        {
            "key": "VIEW",
            "name": "View status",
            "roles": ["view"],
            "description": gettext("Allows to see Failwatch's monitoring status"),
            "default_groups": [ADMIN_GROUP, USER_GROUP, READONLY_GROUP],
        },
        {
            "key": "CONTROL",
            "name": "Control",
            "roles": ["control"],
            "description": gettext("Allows to run Test now, snooze and acknowledge Failwatch alerts"),
            "default_groups": [ADMIN_GROUP],
        },
    ]


def custom_events(*args, **kwargs) -> list[str]:
    return list(OUTCOMES)


def update_information(*args, **kwargs) -> dict:
    try:
        current = version("OctoPrint-Failwatch")
    except PackageNotFoundError:  # run from a source tree that was never installed
        current = "0"
    return {
        IDENTIFIER: {
            "displayName": "Failwatch",
            "displayVersion": current,
            "current": current,
            "type": "github_release",
            "user": "failwatch",
            "repo": "OctoPrint-Failwatch",
            "pip": "https://github.com/failwatch/OctoPrint-Failwatch/archive/{target_version}.zip",
        }
    }


def may_receive(socket, user, message, payload, *args, **kwargs) -> bool:
    """Failwatch's pushes — its status, verdicts and explanations, and its events — reach only the browsers of
    users allowed to see Failwatch; everything else is OctoPrint's to decide (`octoprint.server.sockjs.emit`)."""
    payload = payload if isinstance(payload, dict) else {}
    ours = (message == "plugin" and payload.get("plugin") == IDENTIFIER) or (
        message == "event" and str(payload.get("type", "")).lower().startswith("plugin_failwatch_")
    )
    return not ours or bool(user and user.has_permission(Permissions.PLUGIN_FAILWATCH_VIEW))
