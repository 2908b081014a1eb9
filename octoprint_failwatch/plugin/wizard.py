"""The first-run wizard (OctoPrint's wizard dialog): the camera with a picture from it, the model and its
credentials, one test, and what to do on a failure — the few settings a new owner needs, out of the settings page's
sixty. Shown while Failwatch is not configured; *Run the setup wizard* on the settings page shows it again.

A mixin of the plugin class. OctoPrint saves the wizard's fields with the settings when it is finished.
"""

from __future__ import annotations

import octoprint.plugin

from .. import config as cfg

WIZARD_VERSION = 1


class FailwatchWizard(octoprint.plugin.WizardPlugin):
    # the user asked for it again from the settings page, until it is finished (a class default: OctoPrint's mixins
    # do not all hand __init__ on, so one here would not run)
    _wizard_asked_for = False

    def is_wizard_required(self):
        config, _ = cfg.build_config(self._settings.get_all_data(merged=True))
        return self._wizard_asked_for or bool(config.not_ready())

    def get_wizard_version(self):
        return WIZARD_VERSION

    def on_wizard_finish(self, handled):
        self._wizard_asked_for = False

    def ask_for_wizard_again(self) -> None:
        """The next page load shows the wizard: asked for, and no longer among the wizards OctoPrint has shown."""
        self._wizard_asked_for = True
        seen = dict(self._settings.global_get(["server", "seenWizards"]) or {})
        if seen.pop(self._identifier, None) is not None:
            self._settings.global_set(["server", "seenWizards"], seen)
            self._settings.save()
