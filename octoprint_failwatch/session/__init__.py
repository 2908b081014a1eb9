"""The one assembly of a watch for every host: the OctoPrint plugin, the standalone daemon and the replay.

`assembly.Assembly` puts an engine together (analyser, on-device detector, executors, gate); `session.Session`
builds everything around a live watch from the settings and a host (`host.Host`: the printer, the camera, a data
folder, a clock, where events go) — the incident history, the print action, the alert channels, the failure
notice, the user's controls, Home Assistant's buttons — and `follower.PrintFollower` follows the print's
lifecycle for it. Nothing here imports OctoPrint.
"""
