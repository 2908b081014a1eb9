/*
 * Failwatch's API for the browser: OctoPrint.plugins.failwatch.<method>. The view models never build URLs.
 */
(function (global, factory) {
    if (typeof define === "function" && define.amd) {
        define(["OctoPrintClient"], factory);
    } else {
        factory(global.OctoPrintClient);
    }
})(this, function (OctoPrintClient) {
    var FailwatchClient = function (base) {
        this.base = base;
    };

    FailwatchClient.prototype.path = function (tail) {
        return this.base.getBlueprintUrl("failwatch") + tail;
    };

    // for <img src>: an absolute URL, with a stamp so the browser never shows a cached picture
    FailwatchClient.prototype.imageUrl = function (tail, stamp) {
        return this.base.getBaseUrl() + this.path(tail) + "?at=" + encodeURIComponent(stamp || Date.now());
    };

    FailwatchClient.prototype.status = function (opts) {
        return this.base.get(this.path("status"), opts);
    };
    FailwatchClient.prototype.timeline = function (opts) {
        return this.base.get(this.path("timeline"), opts);
    };
    FailwatchClient.prototype.incidents = function (page, opts) {
        return this.base.getWithQuery(this.path("incidents"), page || {}, opts);
    };
    // label: "not_a_failure", "confirmed" or null; extra: {resume_print: true} once the user has confirmed it
    FailwatchClient.prototype.label = function (incident, label, extra, opts) {
        return this.base.postJson(this.path("incidents/" + encodeURIComponent(incident) + "/label"),
            $.extend({label: label}, extra || {}), opts);
    };
    FailwatchClient.prototype.deleteIncident = function (incident, opts) {
        return this.base.delete(this.path("incidents/" + encodeURIComponent(incident)), opts);
    };
    FailwatchClient.prototype.resume = function (opts) {
        return this.base.postJson(this.path("resume"), {}, opts);
    };
    FailwatchClient.prototype.acknowledge = function (opts) {
        return this.base.postJson(this.path("acknowledge"), {}, opts);
    };
    FailwatchClient.prototype.snooze = function (minutes, opts) {
        return this.base.postJson(this.path("snooze"), {minutes: minutes}, opts);
    };
    FailwatchClient.prototype.testNow = function (opts) {
        return this.base.postJson(this.path("test_now"), {}, opts);
    };
    FailwatchClient.prototype.testConnection = function (settings, opts) {
        return this.base.postJson(this.path("test_connection"), {settings: settings}, opts);
    };
    FailwatchClient.prototype.cameraPicture = function (settings, opts) {
        return this.base.postJson(this.path("camera_picture"), {settings: settings}, opts);
    };
    FailwatchClient.prototype.wizardAgain = function (opts) {
        return this.base.postJson(this.path("wizard/again"), {}, opts);
    };
    FailwatchClient.prototype.testAlert = function (opts) {
        return this.base.postJson(this.path("test_alert"), {}, opts);
    };
    FailwatchClient.prototype.validateSettings = function (settings, opts) {
        return this.base.postJson(this.path("settings/validate"), {settings: settings}, opts);
    };

    // "What would Failwatch have done?": OctoPrint's timelapses, and the replay of one (withModel: the cloud too)
    FailwatchClient.prototype.pastPrints = function (opts) {
        return this.base.get(this.path("past_prints"), opts);
    };
    FailwatchClient.prototype.replayPastPrint = function (name, withModel, opts) {
        return this.base.postJson(this.path("past_prints/replay"), {name: name, with_model: !!withModel}, opts);
    };
    FailwatchClient.prototype.cancelReplay = function (opts) {
        return this.base.delete(this.path("past_prints/replay"), opts);
    };
    FailwatchClient.prototype.replayTimelineUrl = function (stamp) {
        return this.imageUrl("past_prints/replay/timeline.svg", stamp);
    };

    FailwatchClient.prototype.latestFrameUrl = function (index, stamp) {
        return this.imageUrl("latest/" + index + ".jpg", stamp);
    };
    FailwatchClient.prototype.incidentFrameUrl = function (incident, file) {
        return this.imageUrl("incidents/" + encodeURIComponent(incident) + "/" + encodeURIComponent(file), incident);
    };
    FailwatchClient.prototype.printAnyway = function (opts) {
        return this.base.postJson(this.path("bed_check/print_anyway"), {}, opts);
    };
    FailwatchClient.prototype.bedCheckPictureUrl = function (stamp) {
        return this.imageUrl("bed_check.jpg", stamp);
    };
    FailwatchClient.prototype.failureSnapshotUrl = function (stamp) {
        return this.imageUrl("failure_snapshot.jpg", stamp);
    };
    FailwatchClient.prototype.liveSnapshotUrl = function () {
        return this.imageUrl("snapshot.jpg");
    };

    OctoPrintClient.registerPluginComponent("failwatch", FailwatchClient);
    return FailwatchClient;
});
