"""OctoPrint's settings for Failwatch: the defaults declared once in `config.py`, the secrets admin-only and masked,
a save that keeps refused values out and tells the page what it changed for the print being watched.

A mixin of the plugin class (OctoPrint calls SettingsPlugin's methods on the plugin object); the session applies
what was saved.
"""

from __future__ import annotations

import time
from typing import Optional

import octoprint.plugin

from .. import config as cfg
from ..session.session import Session
from . import settings_form


class FailwatchSettings(octoprint.plugin.SettingsPlugin):
    session: Session  # made by the plugin's `initialize`

    def __init__(self) -> None:
        super().__init__()
        self._settings_errors: dict[str, str] = {}
        self._last_save: Optional[dict] = None  # what the last save kept out and changed, for the settings page

    def get_settings_defaults(self):
        return dict(cfg.PLUGIN_DEFAULTS)

    def get_settings_restricted_paths(self):
        # a URL may hold a login or a token: readers of OctoPrint's settings who are not admins get None for it
        return {"admin": [[key] for key in (*cfg.SECRET_KEYS, *cfg.URL_KEYS)]}

    def on_settings_load(self):
        # non-admins already get None for the secrets here; admins get the placeholder
        return settings_form.masked(octoprint.plugin.SettingsPlugin.on_settings_load(self))

    def on_settings_save(self, data):
        stored = self._settings.get_all_data(merged=True)
        accepted, refused = settings_form.accepted_and_refused(stored, data)
        for line in cfg.describe_errors(refused):
            self._logger.warning("Failwatch did not save a setting: %s", line)
        result = octoprint.plugin.SettingsPlugin.on_settings_save(self, accepted)
        self._last_save = {
            "time": time.time(),
            "notes": self.session.apply(self.stored_config()),
            "refused": settings_form.refusals(refused, data, stored),
        }
        self._send_to_browser({"type": "settings_saved", **self._last_save})
        self._push_status()
        return result

    def stored_config(self) -> cfg.FailwatchConfig:
        """The settings as stored; a bad value is said in the log and its default used."""
        config, self._settings_errors = cfg.build_config(self._settings.get_all_data(merged=True))
        for line in cfg.describe_errors(self._settings_errors):
            self._logger.warning("Failwatch setting ignored, default used: %s", line)
        return config

    def _send_to_browser(self, message: dict) -> None:
        raise NotImplementedError

    def _push_status(self) -> None:
        raise NotImplementedError
