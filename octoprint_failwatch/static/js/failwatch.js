/*
 * Failwatch UI: the navbar indicator, the settings page and the Failwatch tab.
 * All model text is bound with Knockout `text:` so it is shown as text, never run as HTML.
 */
$(function () {
    // OctoPrint's gettext may not be defined yet when plugin scripts load: translate when text is shown
    function tr(text) {
        return typeof window.gettext === "function" ? window.gettext(text) : text;
    }

    var STATES = {
        idle: {label: tr("Idle"), icon: "fa-eye-slash"},
        not_configured: {label: tr("Not configured"), icon: "fa-wrench"},
        watching: {label: tr("Watching"), icon: "fa-eye"},
        verifying: {label: tr("Verifying"), icon: "fa-search"},
        cooldown: {label: tr("Cooldown"), icon: "fa-hourglass-half"},
        error_backoff: {label: tr("Error"), icon: "fa-exclamation-triangle"},
        paused: {label: tr("Paused"), icon: "fa-pause"},
        snoozed: {label: tr("Snoozed"), icon: "fa-bell-slash"},
        grace: {label: tr("Grace"), icon: "fa-hourglass-start"},
        warming_up: {label: tr("Warming up"), icon: "fa-thermometer-half"},
        camera_problem: {label: tr("Camera problem"), icon: "fa-video-slash"},
        failure: {label: tr("FAILURE"), icon: "fa-exclamation-circle"}
    };

    var api = OctoPrint.plugins.failwatch;

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
            if (self.state() === "cooldown" && status.until) {
                var minutes = Math.max(0, Math.ceil((status.until * 1000 - Date.now()) / 60000));
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
            return (verdict.print_failed ? tr("failing") : tr("OK")) + " (" +
                Math.round(verdict.confidence * 100) + "%): " + verdict.explanation;
        });
        self.cost = ko.pureComputed(function () {
            var status = self.status();
            if (!status.counters) return "";
            var text = "$" + status.counters.cost_usd.toFixed(4) + " " + tr("this print");
            if (status.cost_per_hour !== null && status.cost_per_hour !== undefined) {
                text += " ($" + status.cost_per_hour.toFixed(3) + "/h)";
            }
            return text + ", $" + (status.spent_today || 0).toFixed(4) + " " + tr("today");
        });
        self.lastCheck = ko.pureComputed(function () {
            var when = self.status().last_check;
            return when ? new Date(when * 1000).toLocaleTimeString() : "";
        });
        self.tooltip = ko.pureComputed(function () {
            return "Failwatch: " + self.message() + (self.lastExplanation() ? "\n" + self.lastExplanation() : "");
        });
        self.needsAcknowledge = ko.pureComputed(function () { return self.state() === "failure"; });
        self.testText = ko.pureComputed(function () {
            var test = self.status().test;
            if (!test) return "";
            var text = test.message || "";
            if (test.verdict) text += " — " + test.verdict.explanation;
            if (test.error) text += " — " + test.error;
            return text;
        });
        self.canControl = ko.pureComputed(function () {
            return self.loginState.hasPermission(self.access.permissions.PLUGIN_FAILWATCH_CONTROL);
        });

        self.refresh = function () {
            if (!self.loginState.hasPermission(self.access.permissions.PLUGIN_FAILWATCH_VIEW)) return;
            api.status().done(function (status) { self.status(status); });
        };
        self.testNow = function () { api.testNow(); };
        self.snooze = function (minutes) { api.snooze(minutes).done(self.status); };
        self.acknowledge = function () { api.acknowledge().done(self.status); };

        self.onUserLoggedIn = self.refresh;
        self.onStartupComplete = self.refresh;
        self.onUserLoggedOut = function () { self.status({}); };

        self.onDataUpdaterPluginMessage = function (plugin, message) {
            if (plugin !== "failwatch" || !message) return;
            if (message.type === "status") {
                self.status(message.status);
            } else if (message.type === "failure") {
                // model text is escaped before it goes into the notice; the snapshot comes from our API
                var html = "<p>" + _.escape(message.explanation) + "</p><p>" + _.escape(tr("Action")) + ": " +
                    _.escape(message.action) + ". " + _.escape(tr("Please check the printer in person.")) + "</p>";
                if (message.snapshot) {
                    html += '<img class="failwatch-snapshot" src="' + _.escape(api.failureSnapshotUrl(message.time)) +
                        '">';
                }
                new PNotify({
                    title: tr("Print failure detected"),
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
        self.settings = undefined;
        self.onBeforeBinding = function () {
            // the settings observables exist only once OctoPrint has loaded them
            self.settings = self.settingsViewModel.settings;
        };
        self.localErrors = ko.observable(null);

        self.errors = ko.pureComputed(function () {
            return self.localErrors() || self.navbar.status().settings_errors || {};
        });
        self.errorMessages = ko.pureComputed(function () { return self.navbar.settingsMessages(); });
        self.canControl = self.navbar.canControl;
        self.testMessage = self.navbar.testText;
        self.testNow = self.navbar.testNow;

        self.alertResult = ko.observable("");
        self.alertStatus = ko.pureComputed(function () {
            return self.navbar.status().alerts || {discord: "", mqtt: ""};
        });
        self.testAlert = function () {
            self.alertResult(tr("Sending…"));
            api.testAlert().done(function (answer) {
                self.alertResult((answer.ok ? tr("Delivered") : tr("Not delivered")) + ": " + answer.message);
            });
        };

        // region of interest, drawn on a live snapshot; stored as fractions "x, y, width, height"
        self.snapshotUrl = ko.observable("");
        self.snapshotError = ko.observable("");
        self.roiBox = ko.observable(null);
        var dragStart = null;
        self.takeSnapshot = function () {
            self.snapshotError("");
            var url = api.liveSnapshotUrl();
            var probe = new Image();
            probe.onload = function () { self.snapshotUrl(url); self.showRegion(); };
            probe.onerror = function () { self.snapshotError(tr("The camera gave no picture.")); };
            probe.src = url;
        };
        self.clearRegion = function () {
            self.settings.plugins.failwatch.region_of_interest("");
            self.roiBox(null);
        };
        function fraction(event) {
            var box = event.currentTarget.getBoundingClientRect();
            return {x: Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)),
                    y: Math.min(1, Math.max(0, (event.clientY - box.top) / box.height))};
        }
        function boxStyle(x, y, w, h) {
            return {left: (100 * x) + "%", top: (100 * y) + "%", width: (100 * w) + "%", height: (100 * h) + "%"};
        }
        self.showRegion = function () {
            var parts = (self.settings.plugins.failwatch.region_of_interest() || "").split(",").map(parseFloat);
            self.roiBox(parts.length === 4 && parts.every(isFinite) ? boxStyle.apply(null, parts) : null);
        };
        self.roiStart = function (data, event) { dragStart = fraction(event); return false; };
        self.roiMove = function (data, event) {
            if (!dragStart) return true;
            var now = fraction(event);
            self.roiBox(boxStyle(Math.min(dragStart.x, now.x), Math.min(dragStart.y, now.y),
                Math.abs(now.x - dragStart.x), Math.abs(now.y - dragStart.y)));
            return true;
        };
        self.roiEnd = function (data, event) {
            if (!dragStart) return true;
            var now = fraction(event), x = Math.min(dragStart.x, now.x), y = Math.min(dragStart.y, now.y);
            var w = Math.abs(now.x - dragStart.x), h = Math.abs(now.y - dragStart.y);
            dragStart = null;
            if (w < 0.02 || h < 0.02) return true;  // a click, not a region
            self.settings.plugins.failwatch.region_of_interest(
                [x, y, w, h].map(function (v) { return v.toFixed(3); }).join(", "));
            self.showRegion();
            return true;
        };

        self.connectionTesting = ko.observable(false);
        self.connectionResult = ko.observable("");
        self.connectionFailed = ko.observable(false);
        self.testConnection = function () {
            self.connectionTesting(true);
            self.connectionResult(tr("Testing…"));
            var data = ko.mapping.toJS(self.settings.plugins.failwatch);
            api.testConnection(data).done(function (answer) {
                self.connectionFailed(!answer.ok);
                if (!answer.ok) {
                    self.connectionResult(answer.error);
                    return;
                }
                var verdict = answer.verdict;
                self.connectionResult(
                    (verdict.print_failed ? tr("Failing") : tr("OK")) + " (" +
                    Math.round(verdict.confidence * 100) + "%) — " + verdict.explanation + " — " +
                    verdict.latency.toFixed(1) + " s, " + verdict.input_tokens + " + " + verdict.output_tokens +
                    " tokens, $" + verdict.cost_usd.toFixed(5));
            }).fail(function (xhr) {
                self.connectionFailed(true);
                self.connectionResult(tr("Request failed") + ": HTTP " + xhr.status);
            }).always(function () { self.connectionTesting(false); });
        };

        self.onSettingsShown = function () { self.localErrors(null); };
        self.onSettingsBeforeSave = function () {
            var data = ko.mapping.toJS(self.settings.plugins.failwatch);
            api.validateSettings(data).done(function (answer) {
                self.localErrors(answer.errors);
            });
        };
        self.onSettingsSaved = function () { self.localErrors(null); };
    }

    function FailwatchTabViewModel(parameters) {
        var self = this;
        self.navbar = parameters[0];
        self.timeline = ko.observableArray([]);
        self.incidents = ko.observableArray([]);

        self.latestFrames = ko.pureComputed(function () {
            var status = self.navbar.status();
            var frames = [];
            for (var n = 0; n < (status.latest_frames || 0); n++) {
                frames.push(api.latestFrameUrl(n, status.last_check));
            }
            return frames;
        });
        self.checks = ko.pureComputed(function () { return self.timeline().length; });
        self.timelinePoints = ko.pureComputed(function () {
            var points = self.timeline();
            if (!points.length) return "";
            var first = points[0].time, span = Math.max(1, points[points.length - 1].time - first);
            return points.map(function (p) {
                return (300 * (p.time - first) / span).toFixed(1) + "," + (100 - 100 * p.confidence).toFixed(1);
            }).join(" ");
        });

        function describe(incident) {
            var trigger = incident.trigger || {};
            var labels = (incident.labels || []).map(function (l) { return l.label.replace(/_/g, " "); });
            var thumbnails = ((incident.series || [])[0] || {frames: []}).frames.map(function (frame) {
                return api.incidentFrameUrl(incident.id, frame.file);
            });
            return {
                id: incident.id,
                when: new Date(incident.time * 1000).toLocaleString(),
                what: (incident.kind === "confirmed" ? tr("Failure confirmed") : tr("Alarm rejected")) +
                    " (" + incident.positives + "/" + incident.series_count + ")",
                explanation: trigger.explanation || "",
                action: incident.action || "–",
                labels: labels.join(", "),
                thumbnails: thumbnails
            };
        }

        self.loadIncidents = function () {
            api.incidents().done(function (answer) {
                self.incidents(answer.incidents.map(describe));
            });
        };
        self.loadTimeline = function () {
            api.timeline().done(function (answer) { self.timeline(answer.timeline); });
        };
        self.feedback = function (incident, label) {
            api.label(incident.id, label).done(self.loadIncidents);
        };

        var lastCheck = null;
        self.navbar.status.subscribe(function (status) {
            if (status.last_check !== lastCheck) {
                lastCheck = status.last_check;
                self.loadTimeline();
            }
        });
        self.onDataUpdaterPluginMessage = function (plugin, message) {
            if (plugin === "failwatch" && message && message.type === "failure") self.loadIncidents();
        };
        self.onTabChange = function (current) {
            if (current === "#tab_plugin_failwatch") {
                self.loadIncidents();
                self.loadTimeline();
            }
        };
        self.onStartupComplete = self.loadIncidents;
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
    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchTabViewModel,
        dependencies: ["failwatchNavbarViewModel"],
        elements: ["#tab_plugin_failwatch"]
    });
});
