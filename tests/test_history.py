"""Incident history on disk: frames and verdicts kept, limits, corrupt files set aside, no path escapes."""

import json

import pytest

from octoprint_failwatch.frame import Frame
from octoprint_failwatch.outcomes.history import IncidentHistory


def find(history, incident_id):
    return next((incident for incident in history.list() if incident["id"] == incident_id), None)


PAYLOAD = {
    "trigger": {"print_failed": True, "explanation": "spaghetti"},
    "results": [None],
    "positives": 3,
    "required": 3,
    "series": 4,
    "seconds": 9.5,
    "action": "paused",
    "log": "Print paused",
}


def frames(count=3, size=100):
    return {
        "trigger": [Frame(b"\xff\xd8" + bytes([n]) * size, 1.0 + n, 1.7e9 + n) for n in range(count)],
        "verification": [[Frame(b"\xff\xd8v" * size, 5.0, 1.7e9 + 5)]],
    }


def test_an_incident_keeps_its_frames_verdicts_and_labels(tmp_path):
    history = IncidentHistory(tmp_path)
    incident_id = history.record("confirmed", PAYLOAD, frames())
    incident = find(history, incident_id)
    assert incident["kind"] == "confirmed" and incident["action"] == "paused" and incident["positives"] == 3
    assert [s["name"] for s in incident["series"]] == ["trigger", "verification-1"]
    first = incident["series"][0]["frames"][0]["file"]
    assert history.frame(incident_id, first).startswith(b"\xff\xd8")
    history.set_label(incident_id, "not_a_failure")
    history.set_label(incident_id, "not_a_failure")  # said again: nothing new to log
    history.set_label(incident_id, "confirmed")  # one current label, changeable
    history.note(incident_id, "resumed by user")
    history.set_label(incident_id, None)
    reread = find(IncidentHistory(tmp_path), incident_id)
    assert reread["label"] is None
    assert [entry["what"] for entry in reread["log"]] == [
        "Print paused",
        "labelled not a failure",
        "labelled confirmed",
        "resumed by user",
        "label taken back",
    ]
    with pytest.raises(ValueError):
        history.set_label(incident_id, "<script>")


def test_incidents_are_paged_newest_first_and_can_be_deleted(tmp_path):
    history = IncidentHistory(tmp_path, max_incidents=10)
    ids = sorted(history.record("rejected", PAYLOAD, frames(1)) for _ in range(5))
    page, total = history.page(1, 2)
    assert total == 5 and [i["id"] for i in page] == [ids[3], ids[2]]
    assert history.delete(ids[3]) is True and history.delete(ids[3]) is False
    assert history.delete("../x") is False
    assert [i["id"] for i in history.page(0, 10)[0]] == [ids[4], ids[2], ids[1], ids[0]]


def test_an_incident_written_by_an_earlier_version_reads_as_one_label_and_a_log(tmp_path):
    history = IncidentHistory(tmp_path)
    incident_id = history.record("confirmed", PAYLOAD, frames(1))
    path = tmp_path / incident_id / "incident.json"
    old = json.loads(path.read_text())
    for key in ("label", "acknowledged", "log"):
        old.pop(key)
    old["labels"] = [
        {"label": "confirmed", "time": 1.0},
        {"label": "not_a_failure", "time": 2.0},
        {"label": "acknowledged", "time": 3.0},
    ]
    path.write_text(json.dumps(old))
    incident = find(history, incident_id)
    assert incident["label"] == "not_a_failure" and incident["acknowledged"] is True
    assert [entry["what"] for entry in incident["log"]] == ["confirmed", "not a failure", "acknowledged"]


def test_retention_is_bounded_by_count_and_size(tmp_path):
    history = IncidentHistory(tmp_path, max_incidents=3)
    ids = [history.record("rejected", PAYLOAD, frames()) for _ in range(5)]
    assert [i["id"] for i in history.list()] == sorted(ids, reverse=True)[:3]
    small = IncidentHistory(tmp_path / "small", max_bytes=10_000)
    for _ in range(5):
        small.record("rejected", PAYLOAD, frames(size=2000))
    assert 1 <= len(small.list()) < 5


def test_a_corrupt_incident_is_set_aside_not_fatal(tmp_path, caplog):
    history = IncidentHistory(tmp_path)
    good = history.record("confirmed", PAYLOAD, frames())
    bad = history.record("confirmed", PAYLOAD, frames())
    (tmp_path / bad / "incident.json").write_text("{not json")
    assert [i["id"] for i in history.list()] == [good]
    assert any(p.name.startswith("incident.json.corrupt") for p in (tmp_path / bad).iterdir())
    assert "unreadable" in caplog.text
    json.loads((tmp_path / good / "incident.json").read_text())


@pytest.mark.parametrize(
    "incident_id, filename",
    [
        ("../../etc", "passwd"),
        ("20261127T054512-abcdef", "../incident.json"),
        ("20261127T054512-abcdef/..", "x.jpg"),
        ("", ""),
    ],
)
def test_ids_and_file_names_from_the_api_cannot_escape_the_folder(tmp_path, incident_id, filename):
    history = IncidentHistory(tmp_path)
    assert history.frame(incident_id, filename) is None
    assert find(history, incident_id) is None
