/*
 * Failwatch UI: the navbar indicator and its failure notice, the settings page and the Failwatch tab.
 * All model text is bound with Knockout `text:` (or escaped) so it is shown as text, never run as HTML.
 * Every request goes through OctoPrint.plugins.failwatch (static/clientjs/failwatch.js).
 */
$(function () {
    // OctoPrint's gettext may not be defined yet when plugin scripts load: translate when text is shown
    // translated text; whole sentences with named %(gaps)s, so a translation can put the values where its
    // language needs them (never a sentence glued from fragments)
    function tr(text, values) {
        var translated = typeof window.gettext === "function" ? window.gettext(text) : text;
        return values ? translated.replace(/%\((\w+)\)s/g, function (gap, name) { return values[name]; })
            : translated;
    }

    var api = OctoPrint.plugins.failwatch;

    // the local eye that raised an alarm (undefined: the model), as the incidents and the replay name it
    function eyeWords(source) {
        return {detector: tr("the on-device detector"), change: tr("the picture-change eye")}[source];
    }

    // one word per state, the same in the navbar, the tab and the README
    var STATES = {
        idle: {label: tr("Idle"), icon: "fa-eye-slash"},
        not_configured: {label: tr("Not configured"), icon: "fa-wrench"},
        warming_up: {label: tr("Warming up"), icon: "fa-hourglass-start"},
        heating: {label: tr("Heating"), icon: "fa-thermometer-half"},
        watching: {label: tr("Watching"), icon: "fa-eye"},
        retrying: {label: tr("Analysis failing"), icon: "fa-exclamation-triangle"},
        verifying: {label: tr("Verifying"), icon: "fa-search"},
        failure: {label: tr("FAILURE"), icon: "fa-exclamation-circle"},
        cooldown: {label: tr("Cooldown"), icon: "fa-hourglass-half"},
        snoozed: {label: tr("Snoozed"), icon: "fa-bell-slash"},
        grace: {label: tr("Grace"), icon: "fa-hourglass-start"},
        paused: {label: tr("Paused"), icon: "fa-pause"},
        camera_problem: {label: tr("Camera problem"), icon: "fa-video-slash"},
        error_backoff: {label: tr("Errors"), icon: "fa-exclamation-triangle"}
    };
    var ACTION_WORDS = {paused: tr("Print paused"), cancelled: tr("Print cancelled"), notified: tr("Only notified")};

    function minutesLeft(until) {
        return Math.max(0, Math.ceil((until * 1000 - Date.now()) / 60000));
    }

    function percent(value) {
        return Math.round((value || 0) * 100) + "%";
    }

    // "looks fine — failure likelihood 8 %" / "failing (spaghetti) — 92 %" / "like the alarm you dismissed"
    function describeVerdict(verdict) {
        if (!verdict) return "";
        var text;
        if (!verdict.print_failed) {
            text = tr("looks fine");
        } else if (verdict.like_dismissed) {
            text = tr("like the alarm you dismissed (ignored)");
        } else if (verdict.counted === false) {
            text = tr("failing, below the confidence needed (ignored)");
        } else {
            text = tr("failing (%(type)s)", {type: verdict.failure_type === "other" ? tr("unspecified")
                : verdict.failure_type.replace(/_/g, " ")});
        }
        return tr("%(verdict)s — failure likelihood %(likelihood)s", {verdict: text, likelihood: percent(verdict.confidence)});
    }

    function describeTest(test) {
        if (!test) return "";
        var parts = [];
        if (test.running) {
            parts.push(test.message || tr("running"));
        } else {
            parts.push(test.decision || (test.error ? tr("failed") : tr("healthy: no alarm")));
        }
        if (test.verdict) {
            parts.push(describeVerdict(test.verdict) + ": " + test.verdict.explanation);
            parts.push(tr("the model answered in %(seconds)s s", {seconds: test.verdict.latency.toFixed(1)}));
        }
        if (test.seconds !== undefined && !test.running) {
            parts.push(tr("the test took %(seconds)s s", {seconds: test.seconds.toFixed(0)}));
        }
        if (test.counters) {
            parts.push(tr("%(calls)s calls, $%(cost)s",
                          {calls: test.counters.calls, cost: test.counters.cost_usd.toFixed(5)}));
        }
        if (test.error) parts.push(test.error);
        return parts.join(" — ");
    }

    // a notice that waits for the user (a failure, a plate not clear): at the bottom right, never over the tabs or
    // the navbar; `html` is built from escaped text and our own API's URLs
    function stickyNotice(title, html, type, buttons, extraClass) {
        return new PNotify({
            title: title,
            text: html,
            text_escape: false,
            type: type,
            hide: false,
            addclass: "stack-bottomright failwatch-notice" + (extraClass ? " " + extraClass : ""),
            stack: {dir1: "up", dir2: "left", firstpos1: 25, firstpos2: 25},
            confirm: {confirm: true, buttons: buttons},
            buttons: {closer: true, sticker: false}
        });
    }

    // a toast shows text, never HTML: server answers and refused values go in as they are (lines kept)
    function notify(title, text, type) {
        new PNotify({title: _.escape(title), text: _.escape(text), text_escape: false, type: type || "info",
                     hide: type !== "error", addclass: "failwatch-toast"});
    }

    // The one store of the page: the status the server pushes, what it says the user may do now, the actions,
    // the failure notice and the save toasts. The navbar, the tab and the settings page all read it.
    function FailwatchStoreViewModel(parameters) {
        var self = this;
        self.loginState = parameters[0];
        self.access = parameters[1];

        self.status = ko.observable({});
        self.now = ko.observable(Date.now());  // minutes left in the label count down
        setInterval(function () { self.now(Date.now()); }, 15000);

        self.state = ko.pureComputed(function () {
            var status = self.status();
            if (status.can_acknowledge) return "failure";  // a confirmed failure waits for the user
            if (status.state === "watching" && status.consecutive_errors > 0) return "retrying";
            return status.state || "idle";
        });
        self.stateClass = ko.pureComputed(function () { return "failwatch-" + self.state(); });
        self.icon = ko.pureComputed(function () { return (STATES[self.state()] || STATES.idle).icon; });
        self.label = ko.pureComputed(function () {
            self.now();
            var status = self.status(), state = self.state();
            var text = (STATES[state] || STATES.idle).label;
            if (state === "verifying" && status.verification) {
                // how many of the verification series the model has judged so far
                text = tr("Verifying: %(done)s of %(series)s checked",
                          {done: status.verification.done, series: status.verification.series});
            }
            if (status.until && state !== "failure") {  // a hold that ends by itself: how long is left
                text = tr("%(state)s %(minutes)s min", {state: text, minutes: minutesLeft(status.until)});
            }
            if (status.test && status.test.running) {  // Test now runs beside the watch: the navbar says so
                text = tr("%(state)s · test running", {state: text});
            }
            return text;
        });
        self.message = ko.pureComputed(function () {
            var status = self.status();
            if (self.state() === "failure") {
                return tr("failure confirmed: %(explanation)s", {explanation: status.last_failure.explanation});
            }
            return status.message || "";
        });
        // the message where it says more than the state's own name ("Watching — watching" says nothing twice)
        self.detail = ko.pureComputed(function () {
            var message = self.message(), name = (STATES[self.state()] || STATES.idle).label;
            return message.trim().toLowerCase() === name.trim().toLowerCase() ? "" : message;
        });
        self.error = ko.pureComputed(function () { return self.status().error || ""; });
        self.settingsMessages = ko.pureComputed(function () { return self.status().settings_messages || []; });
        self.lastVerdict = ko.pureComputed(function () {
            var verdict = self.status().last_verdict;
            return verdict ? describeVerdict(verdict) + ": " + verdict.explanation : "";
        });
        self.cost = ko.pureComputed(function () {
            var status = self.status();
            if (!status.counters) return "";
            var values = {print: status.counters.cost_usd.toFixed(4), today: (status.spent_today || 0).toFixed(4)};
            if (status.cost_per_hour !== null && status.cost_per_hour !== undefined) {
                values.hour = status.cost_per_hour.toFixed(3);
                return tr("$%(print)s this print ($%(hour)s/h), $%(today)s today", values);
            }
            return tr("$%(print)s this print, $%(today)s today", values);
        });
        self.lastCheck = ko.pureComputed(function () {
            var when = self.status().last_check;
            return when ? new Date(when * 1000).toLocaleTimeString() : "";
        });
        self.tooltip = ko.pureComputed(function () {
            var text = tr("Failwatch: %(message)s", {message: self.message()});
            return self.lastVerdict() ? text + "\n" + self.lastVerdict() : text;
        });
        self.testText = ko.pureComputed(function () { return describeTest(self.status().test); });
        self.testRunning = ko.pureComputed(function () { return !!(self.status().test || {}).running; });
        self.canControl = ko.pureComputed(function () {
            return self.loginState.hasPermission(self.access.permissions.PLUGIN_FAILWATCH_CONTROL);
        });
        // what the user may do now, as the server says
        self.canSnooze = ko.pureComputed(function () { return !!self.status().can_snooze; });
        self.canResume = ko.pureComputed(function () { return !!self.status().can_resume; });
        self.needsAcknowledge = ko.pureComputed(function () { return !!self.status().can_acknowledge; });
        self.canDismiss = ko.pureComputed(function () { return !!self.status().can_dismiss; });

        function failed(what) {
            return function (xhr) {
                var answer = xhr.responseJSON || {};
                notify("Failwatch", tr("%(what)s: %(why)s", {what: what,
                    why: answer.error || tr("HTTP %(status)s", {status: xhr.status})}), "error");
            };
        }
        self.refresh = function () {
            if (!self.loginState.hasPermission(self.access.permissions.PLUGIN_FAILWATCH_VIEW)) return;
            api.status().done(function (status) {
                self.status(status);
                // a page opened (or reloaded) while a failure is on show shows its notice too
                if (status.last_failure && !notice) showFailure(status.last_failure);
                showBedCheck(status.bed_check);
            });
        };
        self.testNow = function () { api.testNow().done(self.status).fail(failed(tr("Test now"))); };
        self.snooze = function (minutes) { api.snooze(minutes).done(self.status).fail(failed(tr("Snooze"))); };
        self.resume = function () { api.resume().done(self.status).fail(failed(tr("Resume watching"))); };
        self.acknowledge = function () { api.acknowledge().done(self.status); };
        self.openTab = function () {
            $("#tab_plugin_failwatch_link a").tab("show");
        };

        // "Not a failure" on the alarm being shown: the print is resumed only after the user confirms it
        // bumped when an incident changes from here (the notice, the dropdown): an open tab reloads its list
        self.incidentsChanged = ko.observable(0);
        self.notAFailure = function (incident, done) {
            var finished = function (answer) {
                self.incidentsChanged(self.incidentsChanged() + 1);
                if (done) done(answer);
            };
            api.label(incident, "not_a_failure").done(function (answer) {
                if (!answer.confirm_resume) {
                    finished(answer);
                    return;
                }
                showConfirmationDialog({
                    title: tr("Resume the print?"),
                    message: tr("Failwatch paused this print for this alarm. If it really is not a failure, the " +
                        "print resumes now and is watched again after the grace period."),
                    question: tr("Resume the print?"),
                    proceed: tr("Resume the print"),
                    proceedClass: "primary",
                    onproceed: function () {
                        api.label(incident, "not_a_failure", {resume_print: true}).done(finished);
                    },
                    oncancel: function () { finished(answer); }
                });
            });
        };

        self.onUserLoggedIn = self.refresh;
        self.onStartupComplete = self.refresh;
        self.onUserLoggedOut = function () { self.status({}); };

        var notice = null;
        function showFailure(message) {
            if (notice) notice.remove();
            // model text is escaped before it goes into the notice; the snapshot comes from our API
            var html = "<p>" + _.escape(message.explanation) + "</p><p>" + _.escape(ACTION_WORDS[message.action] ||
                message.action) + ". " + _.escape(tr("Please check the printer in person.")) + "</p>";
            if (message.snapshot) {
                html += '<img class="failwatch-snapshot" src="' + _.escape(api.failureSnapshotUrl(message.time)) +
                    '">';
            }
            var buttons = [{text: tr("Open"), click: function () { self.openTab(); }}];
            if (self.canControl()) {
                if (self.canDismiss()) buttons.push({text: tr("Not a failure"), click: function (n) {
                    self.notAFailure(message.incident, function () { n.remove(); });
                }});
                buttons.push({text: tr("Acknowledge"), addClass: "btn-primary", click: function (n) {
                    self.acknowledge();
                    n.remove();
                }});
            }
            notice = stickyNotice(message.test_run ? tr("Test: print failure detected") : tr("Print failure detected"),
                html, "error", buttons);
        }

        // the bed check's notice: something on the build plate as the print started; Print anyway while it holds
        var bedNotice = null, bedShown = null;
        self.bedCheck = ko.pureComputed(function () { return self.status().bed_check || null; });
        var BED_WORDS = {
            checking: tr("looking at the build plate…"),
            clear: tr("the plate is clear"),
            objects: tr("something on the plate"),
            cannot_see: tr("the camera could not see the plate (no alarm)"),
            error: tr("could not check (the print goes on)"),
            unavailable: tr("not available")
        };
        self.bedCheckWords = ko.pureComputed(function () {
            var check = self.bedCheck();
            if (!check) return "";
            var words = BED_WORDS[check.state] || check.state;
            return check.state === "checking" ? words : words + ": " + check.explanation;
        });
        self.canPrintAnyway = ko.pureComputed(function () {
            var check = self.bedCheck();
            return !!(check && check.held) && self.canControl();
        });
        self.printAnyway = function () {
            api.printAnyway().done(self.status).fail(failed(tr("Print anyway")));
        };
        function showBedCheck(check) {
            // shown while it is news: once the user printed anyway it is not shown again
            var shown = check && check.state === "objects" && !check.printed_anyway ? check.time + ":" + check.held
                : null;
            if (shown === bedShown) return;
            bedShown = shown;
            if (bedNotice) bedNotice.remove();
            bedNotice = null;
            if (!shown) return;
            var html = "<p>" + _.escape(check.explanation) + "</p><p>" + _.escape(check.held
                ? tr("The print is held before its first layer: clear the plate, then press Print anyway.")
                : tr("The print goes on: check the plate before its first layer.")) + "</p>" +
                '<img class="failwatch-snapshot" src="' + _.escape(api.bedCheckPictureUrl(check.time)) + '">';
            var buttons = [{text: tr("Open"), click: function () { self.openTab(); }}];
            if (check.held && self.canControl()) {
                buttons.push({text: tr("Print anyway"), addClass: "btn-primary", click: function (n) {
                    self.printAnyway();
                    n.remove();
                }});
            }
            bedNotice = stickyNotice(tr("Something on the build plate"), html, "notice", buttons, "failwatch-bed-notice");
        }

        function showSaved(message) {
            _.each(message.refused || [], function (refusal) {
                // an empty value kept is said in words: "Kept: " with nothing after it says nothing
                var kept = String(refusal.kept === null || refusal.kept === undefined ? "" : refusal.kept);
                var values = {setting: refusal.setting, value: String(refusal.refused), why: refusal.why, kept: kept};
                notify(tr("Failwatch did not save a setting"), kept === ""
                    ? tr("%(setting)s: %(value)s — %(why)s. It stays empty.", values)
                    : tr("%(setting)s: %(value)s — %(why)s. Kept: %(kept)s", values), "error");
            });
            if ((message.notes || []).length) {
                notify(tr("Failwatch settings applied"), message.notes.join("\n"), "info");
            }
        }

        self.onDataUpdaterPluginMessage = function (plugin, message) {
            if (plugin !== "failwatch" || !message) return;
            if (message.type === "status") {
                self.status(message.status);
                showBedCheck(message.status.bed_check);
                if (notice && !message.status.last_failure) {
                    notice.remove();  // acknowledged or dismissed elsewhere
                    notice = null;
                }
            } else if (message.type === "failure") {
                showFailure(message);
            } else if (message.type === "settings_saved") {
                showSaved(message);
            }
        };
    }

    // the navbar's indicator and menu: the store, shown
    function FailwatchNavbarViewModel(parameters) {
        this.store = parameters[0];
    }

    function FailwatchSettingsViewModel(parameters) {
        var self = this;
        self.settingsViewModel = parameters[0];
        self.store = parameters[1];
        self.settings = undefined;
        self.formErrors = ko.observable({});  // what is wrong with the values in the form right now
        self.errors = self.formErrors;
        // what is wrong with the stored values (config.yaml edited by hand); a refused save is told at once
        self.errorMessages = ko.pureComputed(function () { return self.store.settingsMessages(); });
        self.canControl = self.store.canControl;
        self.testMessage = self.store.testText;
        self.testNow = self.store.testNow;
        // the on-device detector's loading, as the server reports it
        self.detectorText = ko.pureComputed(function () {
            var detector = self.store.status().detector;
            return detector ? detector.message : "";
        });
        self.detectorFailed = ko.pureComputed(function () {
            var detector = self.store.status().detector;
            return !!detector && (detector.state === "failed" || detector.state === "not installed");
        });

        var validating = null;
        var connectionKeys = [];  // the settings the connection test depends on, as the server says
        self.region = ko.observable(null);  // the region of interest as the server reads it: [x, y, w, h] or null
        function validateForm() {
            if (!self.settings) return;
            clearTimeout(validating);
            validating = setTimeout(function () {
                api.validateSettings(ko.mapping.toJS(self.settings.plugins.failwatch)).done(function (answer) {
                    self.formErrors(answer.errors);
                    connectionKeys = answer.connection_keys || [];
                    self.region(answer.region_of_interest || null);
                    if (self.snapshotUrl()) self.showRegion();
                });
            }, 300);
        }
        self.onBeforeBinding = function () {
            // the settings observables exist only once OctoPrint has loaded them
            self.settings = self.settingsViewModel.settings;
            _.each(self.settings.plugins.failwatch, function (value, key) {
                if (ko.isObservable(value)) {
                    value.subscribe(function () {
                        validateForm();
                        if (connectionKeys.indexOf(key) >= 0) self.connectionResult("");  // an old answer no longer holds
                        if (key === "region_of_interest") self.snapshotError("");
                    });
                }
            });
        };

        // the detector setting (off, printnanny or a path) as a choice and, for a file of one's own, its path;
        // "a file of my own" chosen before a path is typed changes nothing yet
        var typedFile = ko.observable(""), fileChosen = ko.observable(false);
        function detectorSetting() { return self.settings.plugins.failwatch.local_detector; }
        function ownFile(value) { return value !== "off" && value !== "printnanny"; }
        self.detectorChoice = ko.pureComputed({
            read: function () {
                var value = detectorSetting()();
                return fileChosen() || ownFile(value) ? "file" : value;
            },
            write: function (choice) {
                fileChosen(choice === "file");
                if (choice !== "file") detectorSetting()(choice);
                else if (typedFile()) detectorSetting()(typedFile());
            }
        });
        self.detectorFile = ko.pureComputed({
            read: function () {
                var value = detectorSetting()();
                return ownFile(value) ? value : typedFile();
            },
            write: function (path) {
                typedFile(path);
                if (path) detectorSetting()(path);
            }
        });

        self.alertResult = ko.observable("");
        self.alertStatus = ko.pureComputed(function () {
            return self.store.status().alerts || {discord: "", notify: "", mqtt: ""};
        });
        self.testAlert = function () {
            self.alertResult(tr("Sending…"));
            api.testAlert().done(function (answer) {
                var values = {message: answer.message};
                self.alertResult(answer.ok ? tr("Delivered: %(message)s", values)
                    : tr("Not delivered: %(message)s", values));
            }).fail(function (xhr) {
                self.alertResult(tr("Request failed: HTTP %(status)s", {status: xhr.status}));
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
            self.region(null);
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
            var region = self.region();
            self.roiBox(region ? boxStyle.apply(null, region) : null);
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
            self.roiBox(boxStyle(x, y, w, h));  // drawn as dragged; the server's reading follows the validation
            return true;
        };

        self.connectionTesting = ko.observable(false);
        self.connectionResult = ko.observable("");
        self.connectionFailed = ko.observable(false);
        self.testConnection = function () {
            self.connectionTesting(true);
            self.connectionFailed(false);
            self.connectionResult(tr("Testing…"));
            api.testConnection(ko.mapping.toJS(self.settings.plugins.failwatch)).done(function (answer) {
                self.connectionFailed(!answer.ok);
                if (!answer.ok) {
                    self.connectionResult(answer.error);
                    return;
                }
                var verdict = answer.verdict;
                self.connectionResult(tr("%(verdict)s — %(explanation)s — %(seconds)s s, %(input)s + %(output)s " +
                    "tokens, $%(cost)s", {verdict: describeVerdict(verdict), explanation: verdict.explanation,
                    seconds: verdict.latency.toFixed(1), input: verdict.input_tokens, output: verdict.output_tokens,
                    cost: verdict.cost_usd.toFixed(5)}));
            }).fail(function (xhr) {
                self.connectionFailed(true);
                self.connectionResult(tr("Request failed: HTTP %(status)s", {status: xhr.status}));
            }).always(function () { self.connectionTesting(false); });
        };

        self.runWizard = function () {
            api.wizardAgain().done(function () { location.reload(); }).fail(function (xhr) {
                notify("Failwatch", tr("Setup wizard: HTTP %(status)s", {status: xhr.status}), "error");
            });
        };

        self.onSettingsShown = function () {
            fileChosen(false);  // what the dialog shows is what is saved, not a choice left in a cancelled one
            typedFile("");
            self.connectionResult("");
            self.snapshotError("");
            self.alertResult("");
            validateForm();
        };
    }

    // "What would Failwatch have done?": OctoPrint's timelapses, one replayed through what ships, its alarms shown
    function PastPrintsModel(store) {
        var self = this;
        self.prints = ko.observableArray([]);
        self.spacing = ko.observable("");
        self.replay = ko.pureComputed(function () { return store.status().replay || {}; });
        self.running = ko.pureComputed(function () { return !!self.replay().running; });
        self.load = function () {
            api.pastPrints().done(function (answer) {
                self.spacing(tr("The timelapses' captures are taken as %(seconds)s s apart: %(source)s.",
                                {seconds: answer.frame_interval, source: answer.frame_interval_source}));
                self.prints(answer.prints.map(function (print) {
                    return {name: print.name, when: new Date(print.date * 1000).toLocaleString(),
                            length: tr("%(minutes)s min", {minutes: print.minutes}),
                            cost: print.estimated_cost_usd.toFixed(3)};
                }));
            });
        };
        function refused(xhr) {
            var answer = xhr.responseJSON || {};
            notify("Failwatch", tr("Replay: %(why)s", {why: answer.error || tr("HTTP %(status)s",
                                                                              {status: xhr.status})}), "error");
        }
        self.start = function (print, withModel) {
            function go() { api.replayPastPrint(print.name, withModel).fail(refused); }
            if (!withModel) return go();
            showConfirmationDialog({
                title: tr("Replay with the model?"),
                message: tr("The model is asked as the watch would ask it: about $%(cost)s for %(name)s.",
                            {cost: print.cost, name: print.name}),
                proceed: tr("Replay"),
                onproceed: go
            });
        };
        self.cancel = function () { api.cancelReplay().fail(refused); };
        self.progress = ko.pureComputed(function () {
            var replay = self.replay();
            return tr("Replaying %(name)s: %(percent)s", {name: replay.file, percent: percent(replay.progress)});
        });
        self.error = ko.pureComputed(function () {
            var replay = self.replay();
            return replay.error ? tr("The replay of %(name)s did not finish: %(why)s",
                                     {name: replay.file, why: replay.error}) : "";
        });
        self.result = ko.pureComputed(function () { return self.replay().result || null; });
        self.summary = ko.pureComputed(function () {
            var replay = self.replay(), result = self.result();
            if (!result) return "";
            var values = {name: replay.file, minutes: replay.minutes, alarms: result.alarms.length,
                          confirmed: result.confirmed_at.length,
                          eyes: replay.with_model ? tr("the model") : tr("the on-device detector alone")};
            return result.alarms.length
                ? tr("%(name)s (%(minutes)s min), judged by %(eyes)s: %(alarms)s alarm(s), %(confirmed)s confirmed.", values)
                : tr("%(name)s (%(minutes)s min), judged by %(eyes)s: no alarm — Failwatch would have stayed quiet.", values);
        });
        self.alarms = ko.pureComputed(function () {
            var result = self.result();
            return result ? result.alarms.map(function (alarm) {
                var values = {minutes: (alarm.at / 60).toFixed(1),
                              eye: eyeWords(alarm.eye) || tr("the model")};
                if (alarm.confirmed === true) return tr("%(minutes)s min in: raised by %(eye)s, confirmed", values);
                if (alarm.confirmed === false) return tr("%(minutes)s min in: raised by %(eye)s, not confirmed", values);
                return tr("%(minutes)s min in: raised by %(eye)s, still verifying at the end", values);
            }) : [];
        });
        self.timelineUrl = ko.pureComputed(function () {
            return self.result() ? api.replayTimelineUrl(self.replay().file + self.result().calls) : "";
        });
    }

    function FailwatchTabViewModel(parameters) {
        var self = this;
        self.store = parameters[0];
        self.timeline = ko.observableArray([]);
        self.incidents = ko.observableArray([]);
        self.total = ko.observable(0);
        self.offset = ko.observable(0);
        self.pageSize = 10;
        self.viewer = ko.observable(null);  // the frame shown full size
        self.pastPrints = new PastPrintsModel(self.store);

        self.latestFrames = ko.pureComputed(function () {
            var status = self.store.status();
            var frames = [];
            for (var n = 0; n < (status.latest_frames || 0); n++) {
                frames.push(api.latestFrameUrl(n, status.last_check));
            }
            return frames;
        });
        self.testResult = self.store.testText;
        // the model's checks and the on-device detector's scores share the time axis
        self.modelChecks = ko.pureComputed(function () {
            return self.timeline().filter(function (p) { return p.source !== "detector"; });
        });
        self.detectorLooks = ko.pureComputed(function () {
            return self.timeline().filter(function (p) { return p.source === "detector"; });
        });
        self.checks = ko.pureComputed(function () { return self.modelChecks().length; });

        // the confidence timeline: time along, failure likelihood up, the confidence needed marked
        var WIDTH = 300, HEIGHT = 100;
        self.threshold = ko.pureComputed(function () {
            var needed = (self.store.status().min_failure_confidence || 0);
            return {y: (HEIGHT - HEIGHT * needed).toFixed(1), label: needed > 0
                ? tr("grey line: %(needed)s needed", {needed: percent(needed)}) : tr("any 'failed' counts")};
        });
        function scale(points) {
            var all = self.timeline();
            var first = all[0].time, span = Math.max(1, all[all.length - 1].time - first);
            return points.map(function (p) {
                return {x: (WIDTH * (p.time - first) / span).toFixed(1), y: (HEIGHT - HEIGHT * p.confidence).toFixed(1),
                        failed: p.failed};
            });
        }
        // steps, not slopes: a look's likelihood holds until the next look (a line from 8 % to 92 % drew a rise
        // that never happened)
        function line(points) {
            if (!points.length) return "";
            var corners = [];
            scale(points).forEach(function (p, i, all) {
                if (i > 0) corners.push(p.x + "," + all[i - 1].y);
                corners.push(p.x + "," + p.y);
            });
            return corners.join(" ");
        }
        self.timelinePoints = ko.pureComputed(function () { return line(self.modelChecks()); });
        self.detectorPoints = ko.pureComputed(function () { return line(self.detectorLooks()); });
        self.failedPoints = ko.pureComputed(function () {
            var points = self.modelChecks();
            return points.length ? scale(points).filter(function (p) { return p.failed; }) : [];
        });
        self.timeAxis = ko.pureComputed(function () {
            var points = self.timeline();
            if (!points.length) return [];
            var first = points[0].time, last = points[points.length - 1].time;
            return [0, 0.5, 1].map(function (f) {
                return {x: WIDTH * f, text: new Date((first + (last - first) * f) * 1000).toLocaleTimeString()};
            });
        });

        function seriesOf(incident) {
            var results = incident.results || [];
            return (incident.series || []).map(function (series, index) {
                var verdict, title;
                if (series.name === "trigger") {
                    verdict = incident.trigger;
                    title = incident.quick ? tr("Alarm: newest frames (quick look, then full series)")
                        : tr("Alarm: full series");
                } else {
                    verdict = results[index - 1];
                    title = tr("Verification %(number)s", {number: index});
                }
                return {
                    title: title,
                    verdict: verdict ? describeVerdict(verdict) : tr("model error"),
                    frames: series.frames.map(function (frame) {
                        return {url: api.incidentFrameUrl(incident.id, frame.file),
                                caption: title + " — " + new Date(frame.time * 1000).toLocaleTimeString() + " — " +
                                    (verdict ? describeVerdict(verdict) : "")};
                    })
                };
            });
        }

        function describe(incident) {
            var trigger = incident.trigger || {}, job = incident.job || {};
            var eye = incident.quick ? eyeWords(incident.quick.source) || tr("the model's quick look")
                : tr("the model's series check");
            var counts = {positives: incident.positives, series: incident.series_count};
            var what = incident.kind === "confirmed" ? tr("Failure confirmed (%(positives)s of %(series)s)", counts)
                : tr("Alarm rejected (%(positives)s of %(series)s)", counts);
            var view = {
                id: incident.id,
                when: new Date(incident.time * 1000).toLocaleString(),
                what: what,
                raisedBy: tr("raised by %(eye)s", {eye: eye}),
                test: !!incident.test_run,
                file: (job.file || "–") + (job.progress !== null && job.progress !== undefined
                    ? " (" + Math.round(job.progress) + "%)" : ""),
                explanation: trigger.explanation || "",
                // incidents kept before the print's context was recorded have none: nothing is said of them
                context: incident.context === undefined ? ""
                    : incident.context ? tr("What the printer said of the print: %(words)s", {words: incident.context})
                    : tr("The printer said nothing of the print (an SD print, or no printer)."),
                lacking: (incident.context_lacking || []).length
                    ? tr("Not known: %(what)s.", {what: incident.context_lacking.join(", ")}) : "",
                log: (incident.log || []).map(function (entry) { return entry.what; }).join(" → ") || "–",
                label: ko.observable(incident.label || null),
                open: ko.observable(false),
                series: seriesOf(incident),
                preview: incident.preview ? {url: api.incidentFrameUrl(incident.id, incident.preview),
                    caption: tr("The slicer's preview of the finished object, as the model was shown it")} : null,
                confirmed: incident.kind === "confirmed"
            };
            return view;
        }

        self.loadIncidents = function () {
            api.incidents({offset: self.offset(), limit: self.pageSize}).done(function (answer) {
                self.total(answer.total);
                self.incidents(answer.incidents.map(describe));
            });
        };
        self.pageText = ko.pureComputed(function () {
            if (!self.total()) return "";
            return tr("%(first)s–%(last)s of %(total)s", {first: self.offset() + 1,
                last: Math.min(self.total(), self.offset() + self.pageSize), total: self.total()});
        });
        self.hasPrevious = ko.pureComputed(function () { return self.offset() > 0; });
        self.hasNext = ko.pureComputed(function () { return self.offset() + self.pageSize < self.total(); });
        self.previous = function () { self.offset(Math.max(0, self.offset() - self.pageSize)); self.loadIncidents(); };
        self.next = function () { self.offset(self.offset() + self.pageSize); self.loadIncidents(); };

        self.store.incidentsChanged.subscribe(function () { self.loadIncidents(); });

        self.loadTimeline = function () {
            api.timeline().done(function (answer) { self.timeline(answer.timeline); });
        };
        // the buttons show the current label; pressing the active one takes it back
        self.setLabel = function (incident, label) {
            var next = incident.label() === label ? null : label;
            if (next === "not_a_failure") {
                self.store.notAFailure(incident.id, self.loadIncidents);
            } else {
                api.label(incident.id, next).done(self.loadIncidents);
            }
        };
        self.remove = function (incident) {
            showConfirmationDialog({
                title: tr("Delete this incident?"),
                message: tr("Its frames and verdicts are deleted for good."),
                proceed: tr("Delete"),
                onproceed: function () { api.deleteIncident(incident.id).done(self.loadIncidents); }
            });
        };
        self.show = function (frame) { self.viewer(frame); $("#failwatch-viewer").modal("show"); };

        var lastCheck = null;
        self.store.status.subscribe(function (status) {
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
                self.pastPrints.load();
            }
        };
        self.onStartupComplete = self.loadIncidents;
    }

    // the first-run wizard: the camera (with a picture from it), the model and its credentials, one test, the action;
    // its fields are OctoPrint's settings observables, saved by OctoPrint when the wizard is finished
    function FailwatchWizardViewModel(parameters) {
        var self = this;
        self.settingsViewModel = parameters[0];
        self.settings = undefined;
        self.picture = ko.observable("");
        self.pictureError = ko.observable("");
        self.pictureLoading = ko.observable(false);
        self.testResult = ko.observable("");
        self.testFailed = ko.observable(false);
        self.testing = ko.observable(false);
        var choice = ko.observable("bedrock_key");
        function form() { return ko.mapping.toJS(self.settings.plugins.failwatch); }

        self.onBeforeBinding = function () {
            self.settings = self.settingsViewModel.settings;
            var s = self.settings.plugins.failwatch;
            // what is set already: the wizard starts from it
            choice(s.model_backend() === "openai" ? "openai" : s.model_backend() === "local" ? "detector"
                : s.aws_access_key_id() ? "access_key" : s.aws_role_arn() || s.credentials_file() ? "role"
                : "bedrock_key");
        };
        self.modelChoice = ko.pureComputed({
            read: choice,
            write: function (value) {
                var s = self.settings.plugins.failwatch;
                choice(value);
                s.model_backend(value === "openai" ? "openai" : value === "detector" ? "local" : "bedrock");
                if (value === "detector" && s.local_detector() === "off") s.local_detector("printnanny");
            }
        });
        self.bedrock = ko.pureComputed(function () {
            return ["bedrock_key", "access_key", "role", "machine"].indexOf(choice()) >= 0;
        });
        self.showPicture = function () {
            self.pictureLoading(true);
            self.pictureError("");
            api.cameraPicture(form()).done(function (answer) {
                self.picture(answer.ok ? answer.picture : "");
                self.pictureError(answer.ok ? "" : answer.error);
            }).fail(function (xhr) {
                self.picture("");
                self.pictureError(tr("Request failed: HTTP %(status)s", {status: xhr.status}));
            }).always(function () { self.pictureLoading(false); });
        };
        self.test = function () {
            self.testing(true);
            self.testFailed(false);
            self.testResult(tr("Testing…"));
            api.testConnection(form()).done(function (answer) {
                self.testFailed(!answer.ok);
                self.testResult(answer.ok ? tr("It works: %(verdict)s — %(explanation)s", {
                    verdict: describeVerdict(answer.verdict), explanation: answer.verdict.explanation})
                    : answer.error);
            }).fail(function (xhr) {
                self.testFailed(true);
                self.testResult(tr("Request failed: HTTP %(status)s", {status: xhr.status}));
            }).always(function () { self.testing(false); });
        };
    }

    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchStoreViewModel,
        dependencies: ["loginStateViewModel", "accessViewModel"],
        elements: []
    });
    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchNavbarViewModel,
        dependencies: ["failwatchStoreViewModel"],
        elements: ["#navbar_plugin_failwatch"]
    });
    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchSettingsViewModel,
        dependencies: ["settingsViewModel", "failwatchStoreViewModel"],
        elements: ["#settings_plugin_failwatch"]
    });
    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchWizardViewModel,
        dependencies: ["settingsViewModel"],
        elements: ["#wizard_plugin_failwatch"]
    });
    OCTOPRINT_VIEWMODELS.push({
        construct: FailwatchTabViewModel,
        dependencies: ["failwatchStoreViewModel"],
        elements: ["#tab_plugin_failwatch"]
    });
});
