/*
 * Failwatch UI: the navbar indicator and the settings page.
 * All model text is bound with Knockout `text:` so it is shown as text, never run as HTML.
 */
$(function () {
    var STATES = {
        idle: {label: gettext("Idle"), icon: "fa-eye-slash"},
        not_configured: {label: gettext("Not configured"), icon: "fa-wrench"},
        watching: {label: gettext("Watching"), icon: "fa-eye"},
        verifying: {label: gettext("Verifying"), icon: "fa-search"},
        cooldown: {label: gettext("Cooldown"), icon: "fa-hourglass-half"},
        error_backoff: {label: gettext("Error"), icon: "fa-exclamation-triangle"},
        paused: {label: gettext("Paused"), icon: "fa-pause"},
        snoozed: {label: gettext("Snoozed"), icon: "fa-bell-slash"},
        grace: {label: gettext("Grace"), icon: "fa-hourglass-start"},
        warming_up: {label: gettext("Warming up"), icon: "fa-thermometer-half"},
        camera_problem: {label: gettext("Camera problem"), icon: "fa-video-slash"},
        failure: {label: gettext("FAILURE"), icon: "fa-exclamation-circle"}
    };

    function callCommand(command, data) {
        return OctoPrint.simpleApiCommand("failwatch", command, data || {});
    }

    function FailwatchNavbarViewModel(parameters) {
        var self = this;
        self.loginState = parameters[0];
        self.access = parameters[1];

        self.status = ko.observable({});
        self.state = ko.pureComputed(function () {
            var status = self.status();
            if (status.last_failure && !status.acknowledged) return "failure";
            return status.state || "idle";
        });
        self.stateClass = ko.pureComputed(function () { return "failwatch-" + self.state(); });
        self.icon = ko.pureComputed(function () { return (STATES[self.state()] || STATES.idle).icon; });
        self.label = ko.pureComputed(function () {
            var status = self.status();
            var text = (STATES[self.state()] || STATES.idle).label;
            if (self.state() === "verifying" && status.verification) {
                text += " " + status.verification.done + "/" + status.verification.series;
            }
            if (self.state() === "cooldown" && status.cooldown_until) {
                var minutes = Math.max(0, Math.ceil((status.cooldown_until * 1000 - Date.now()) / 60000));
                text += " " + minutes + " min";
            }
            return text;
        });
        self.message = ko.pureComputed(function () { return self.status().message || ""; });
        self.error = ko.pureComputed(function () { return self.status().error || ""; });
        self.settingsMessages = ko.pureComputed(function () { return self.status().settings_messages || []; });
        self.lastExplanation = ko.pureComputed(function () {
            var verdict = self.status().last_verdict;
            if (!verdict) return "";
            return (verdict.print_failed ? gettext("failing") : gettext("OK")) + " (" +
                Math.round(verdict.confidence * 100) + "%): " + verdict.explanation;
        });
        self.cost = ko.pureComputed(function () {
            var status = self.status();
            if (!status.counters) return "";
            var text = "$" + status.counters.cost_usd.toFixed(4) + " " + gettext("this print");
            if (status.cost_per_hour !== null && status.cost_per_hour !== undefined) {
                text += " ($" + status.cost_per_hour.toFixed(3) + "/h)";
            }
            return text + ", $" + (status.spent_today || 0).toFixed(4) + " " + gettext("today");
        });
        self.lastCheck = ko.pureComputed(function () {
            var when = self.status().last_check;
            return when ? new Date(when * 1000).toLocaleTimeString() : "";
        });
        self.tooltip = ko.pureComputed(function () {
            return "Failwatch: " + self.message() + (self.lastExplanation() ? "\n" + self.lastExplanation() : "");
        });
        self.needsAcknowledge = ko.pureComputed(function () { return self.state() === "failure"; });
        self.canControl = ko.pureComputed(function () {
            return self.loginState.hasPermission(self.access.permissions.PLUGIN_FAILWATCH_CONTROL);
        });

        self.refresh = function () {
            if (!self.loginState.hasPermission(self.access.permissions.PLUGIN_FAILWATCH_VIEW)) return;
            OctoPrint.simpleApiGet("failwatch").done(function (status) { self.status(status); });
        };
        self.testNow = function () { callCommand("test_now"); };
        self.snooze = function (minutes) { callCommand("snooze", {minutes: minutes}).done(self.status); };
        self.acknowledge = function () { callCommand("acknowledge").done(self.status); };

        self.onUserLoggedIn = self.refresh;
        self.onStartupComplete = self.refresh;
        self.onUserLoggedOut = function () { self.status({}); };

        self.onDataUpdaterPluginMessage = function (plugin, message) {
            if (plugin !== "failwatch" || !message) return;
            if (message.type === "status") {
                self.status(message.status);
            } else if (message.type === "failure") {
                // model text is escaped before it goes into the notice; the snapshot comes from our API
                var html = "<p>" + _.escape(message.explanation) + "</p><p>" + _.escape(gettext("Action")) + ": " +
                    _.escape(message.action) + ". " + _.escape(gettext("Please check the printer in person.")) + "</p>";
                if (message.snapshot) {
                    html += '<img class="failwatch-snapshot" src="' + OctoPrint.getSimpleApiUrl("failwatch") +
                        "?failure_snapshot=" + encodeURIComponent(message.time) + '">';
                }
                new PNotify({
                    title: gettext("Print failure detected"),
                    text: html,
                    text_escape: false,
                    type: "error",
                    hide: false
                });
            }
        };
    }

    function FailwatchSettingsViewModel(parameters) {
        var self = this;
        self.settingsViewModel = parameters[0];
        self.navbar = parameters[1];
        self.settings = self.settingsViewModel.settings;
        self.localErrors = ko.observable(null);

        self.errors = ko.pureComputed(function () {
            return self.localErrors() || self.navbar.status().settings_errors || {};
        });
        self.errorMessages = ko.pureComputed(function () { return self.navbar.settingsMessages(); });
        self.canControl = self.navbar.canControl;
        self.testMessage = ko.pureComputed(function () {
            var test = self.navbar.status().test;
            if (!test) return "";
            var text = test.message || "";
            if (test.verdict) text += " — " + test.verdict.explanation;
            if (test.error) text += " — " + test.error;
            return text;
        });
        self.testNow = self.navbar.testNow;

        self.alertResult = ko.observable("");
        self.alertStatus = ko.pureComputed(function () {
            return self.navbar.status().alerts || {discord: "", mqtt: ""};
        });
        self.testAlert = function () {
            self.alertResult(gettext("Sending…"));
            callCommand("test_alert").done(function (answer) {
                self.alertResult((answer.ok ? gettext("Delivered") : gettext("Not delivered")) + ": " + answer.message);
            });
        };

        self.connectionTesting = ko.observable(false);
        self.connectionResult = ko.observable("");
        self.connectionFailed = ko.observable(false);
        self.testConnection = function () {
            self.connectionTesting(true);
            self.connectionResult(gettext("Testing…"));
            var data = ko.mapping.toJS(self.settings.plugins.failwatch);
            callCommand("test_connection", {settings: data}).done(function (answer) {
                self.connectionFailed(!answer.ok);
                if (!answer.ok) {
                    self.connectionResult(answer.error);
                    return;
                }
                var verdict = answer.verdict;
                self.connectionResult(
                    (verdict.print_failed ? gettext("Failing") : gettext("OK")) + " (" +
                    Math.round(verdict.confidence * 100) + "%) — " + verdict.explanation + " — " +
                    verdict.latency.toFixed(1) + " s, " + verdict.input_tokens + " + " + verdict.output_tokens +
                    " tokens, $" + verdict.cost_usd.toFixed(5));
            }).fail(function (xhr) {
                self.connectionFailed(true);
                self.connectionResult(gettext("Request failed") + ": HTTP " + xhr.status);
            }).always(function () { self.connectionTesting(false); });
        };

        self.onSettingsShown = function () { self.localErrors(null); };
        self.onSettingsBeforeSave = function () {
            var data = ko.mapping.toJS(self.settings.plugins.failwatch);
            callCommand("validate_settings", {settings: data}).done(function (answer) {
                self.localErrors(answer.errors);
            });
        };
        self.onSettingsSaved = function () { self.localErrors(null); };
    }

    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchNavbarViewModel,
        dependencies: ["loginStateViewModel", "accessViewModel"],
        elements: ["#navbar_plugin_failwatch"]
    });
    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchSettingsViewModel,
        dependencies: ["settingsViewModel", "failwatchNavbarViewModel"],
        elements: ["#settings_plugin_failwatch"]
    });
});
