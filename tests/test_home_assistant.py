"""Home Assistant's side of Failwatch over a real Mosquitto: the failure snapshot as an image entity, the
buttons (off by default), commands answered on their result topic, retained commands never run — and the
buttons driving a real OctoPrint's virtual printer."""

import json
import logging

import pytest

from demo.octoprint_instance import wait_for
from octoprint_failwatch.config import build_config
from octoprint_failwatch.outcomes.alerts import FAILURE, Alert, make_channels
from octoprint_failwatch.outcomes.alerts.mqtt_identity import COMMANDS, Identity
from octoprint_failwatch.outcomes.alerts.paho_compat import new_client

JPEG = b"\xff\xd8\xff\xe0 the failure"


@pytest.fixture
def publisher(broker):
    """What Home Assistant does when a button is pressed: publish the payload to the command topic."""
    client = new_client("", "tcp")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    retained = []

    def publish(topic: str, payload: str, retain: bool = False) -> None:
        client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)
        if retain:
            retained.append(topic)

    yield publish
    for topic in retained:  # the broker forgets them again: other tests start clean
        client.publish(topic, "", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def channels(broker, record, commands, **settings):
    config, errors = build_config({"mqtt_broker_url": broker.url, "mqtt_topic": "farm/mk4", **settings})
    assert not errors, errors
    return make_channels(
        config,
        Identity.of("mk4", "MK4", config.mqtt_topic),
        logging.getLogger("test"),
        record=record,
        commands=commands,
    )


def answers(sub) -> list[dict]:
    return [json.loads(payload) for payload in sub.on("farm/mk4/command/result")]


def test_buttons_are_announced_only_when_turned_on_and_a_retained_command_is_never_run(
    broker, subscriber, publisher, tmp_path
):
    ran = []

    def run(command: str) -> tuple[bool, str]:
        ran.append(command)
        return True, f"did {command}"

    publisher("farm/mk4/command", "pause_print", retain=True)  # left on the broker by someone, long ago
    sub = subscriber("#")
    assert sub.subscribed.wait(10)
    alerts = channels(broker, tmp_path / "retained.json", run, mqtt_ha_controls=True)
    try:
        wait_for(lambda: answers(sub), 10, "an answer to the retained command")
        assert answers(sub)[0] == {
            **answers(sub)[0],
            "command": "pause_print",
            "ok": False,
            "message": "ignored: a retained command is never run",
        }
        buttons = {
            name: json.loads(sub.on(f"homeassistant/button/failwatch_mk4/{name}/config")[-1]) for name in COMMANDS
        }
        assert {b["name"] for b in buttons.values()} == {
            "Acknowledge",
            "Not a failure",
            "Snooze 30 min",
            "Resume watching",
            "Pause print",
            "Resume print",
            "Print anyway",
        }
        assert all(
            b["command_topic"] == "farm/mk4/command" and b["payload_press"] == name for name, b in buttons.items()
        )
        publisher("farm/mk4/command", "snooze")
        wait_for(lambda: len(answers(sub)) == 2, 10, "the snooze answered")
        assert ran == ["snooze"] and answers(sub)[1]["ok"] is True and answers(sub)[1]["message"] == "did snooze"
        assert not [m for t, m, retained in sub.messages if t == "farm/mk4/command/result" and retained]
        alerts.publish(
            Alert(
                FAILURE,
                "MK4",
                verdict={"print_failed": True, "confidence": 0.9},
                action="paused",
                snapshot=lambda: JPEG,
            )
        )
        wait_for(lambda: sub.on("farm/mk4/snapshot"), 10, "the failure snapshot")
        assert sub.on("farm/mk4/snapshot")[-1] == JPEG
        image = json.loads(sub.on("homeassistant/image/failwatch_mk4/snapshot/config")[-1])
        assert image["image_topic"] == "farm/mk4/snapshot" and image["content_type"] == "image/jpeg"
    finally:
        alerts.close()
    # buttons off (the default): their configs are removed, commands are not listened to, the picture stays
    alerts = channels(broker, tmp_path / "retained.json", run)
    try:
        wait_for(
            lambda: sub.on("homeassistant/button/failwatch_mk4/pause_print/config")[-1] == b"",
            10,
            "the buttons removed",
        )
        publisher("farm/mk4/command", "pause_print")
        wait_for(lambda: sub.on("farm/mk4/availability")[-1] == b"online", 10, "the second connection")
        assert ran == ["snooze"] and len(answers(sub)) == 2
        assert json.loads(sub.on("homeassistant/image/failwatch_mk4/snapshot/config")[-1])
    finally:
        alerts.close()
    retained = new_client("", "tcp")  # what a Home Assistant restarting now would get: the last failure's picture
    pictures = []
    retained.on_message = lambda c, u, message: pictures.append(message.payload)
    retained.connect("127.0.0.1", broker.port)
    retained.subscribe("farm/mk4/snapshot", qos=1)
    retained.loop_start()
    try:
        wait_for(lambda: pictures, 10, "the retained picture")
        assert pictures[0] == JPEG
    finally:
        retained.disconnect()
        retained.loop_stop()


@pytest.mark.octoprint
def test_buttons_pause_and_resume_a_real_print_and_refuse_what_the_moment_does_not_allow(
    printing, broker, subscriber, publisher
):
    sub = subscriber("farm/mk4/command/result")
    assert sub.subscribed.wait(10)
    publisher("farm/mk4/command", "pause_print", retain=True)

    def press(button: str) -> dict:
        count = len(answers(sub))
        publisher("farm/mk4/command", button)
        return wait_for(lambda: answers(sub)[count:] and answers(sub)[count], 20, f"the answer to {button}")

    printing.save_settings({"mqtt_broker_url": broker.url, "mqtt_topic": "farm/mk4", "mqtt_ha_controls": True})
    try:
        ignored = wait_for(lambda: answers(sub) and answers(sub)[0], 30, "the retained command answered")
        assert ignored["ok"] is False and "never run" in ignored["message"]
        assert printing.job_state().startswith("Printing")
        for button in ("resume_print", "acknowledge", "not_a_failure"):
            assert press(button)["ok"] is False
        assert press("resume_print")["message"].startswith("no paused print to resume (the printer is Printing")

        lifted = printing.serial_log().count("G1 Z5 F600")
        assert press("pause_print") == {**answers(sub)[-1], "ok": True, "message": "print paused"}
        wait_for(lambda: printing.job_state() == "Paused", 30, "the print to pause")
        wait_for(lambda: printing.serial_log().count("G1 Z5 F600") > lifted, 30, "the safe sequence (lift)")
        assert press("pause_print")["ok"] is False
        assert press("resume_print")["message"] == "print resumed"
        wait_for(lambda: printing.job_state().startswith("Printing"), 30, "the print to resume")

        printing.api("POST", "/api/job", json={"command": "pause", "action": "pause"})  # a pause at OctoPrint
        wait_for(lambda: printing.job_state() == "Paused", 30, "the user's pause")
        answer = press("resume_print")
        assert answer["ok"] is False and "did not pause this print" in answer["message"]
        assert printing.job_state() == "Paused"
        printing.api("POST", "/api/job", json={"command": "pause", "action": "resume"})
        wait_for(lambda: printing.job_state().startswith("Printing"), 30, "the user's resume")

        printing.failwatch("POST", "resume")  # past the grace period of that resume
        assert press("snooze")["message"] == "watching snoozed for 30 min"
        assert printing.plugin_status()["state"] == "snoozed"
        assert press("resume_watching")["ok"] is True and printing.plugin_status()["state"] != "snoozed"
        log = printing.log_text()
        assert "Home Assistant command 'pause_print': print paused" in log
        assert "ignored the retained command 'pause_print'" in log
    finally:
        printing.save_settings({"mqtt_broker_url": "", "mqtt_topic": "", "mqtt_ha_controls": False})


@pytest.mark.octoprint
def test_not_a_failure_from_home_assistant_keeps_our_pause_until_resume_print_is_pressed(
    printing, camera, broker, subscriber, publisher
):
    sub = subscriber("farm/mk4/#")
    assert sub.subscribed.wait(10)
    printing.save_settings(
        {"mqtt_broker_url": broker.url, "mqtt_topic": "farm/mk4", "mqtt_ha_controls": True, "failure_action": "pause"}
    )

    def press(button: str) -> dict:
        count = len(answers(sub))
        publisher("farm/mk4/command", button)
        return wait_for(lambda: answers(sub)[count:] and answers(sub)[count], 20, f"the answer to {button}")

    try:
        printing.wait_for_state("watching")
        camera.mode = "failed"
        wait_for(lambda: printing.job_state() == "Paused", 60, "our pause after the confirmed failure")
        picture = wait_for(lambda: sub.on("farm/mk4/snapshot"), 30, "the failure picture for Home Assistant")[-1]
        assert picture.startswith(b"\xff\xd8")
        camera.mode = "healthy"
        answer = press("not_a_failure")
        assert answer["ok"] is True and "stays paused until you resume it" in answer["message"]
        assert printing.job_state() == "Paused" and printing.plugin_status()["last_failure"] is None
        assert press("resume_print")["message"] == "print resumed"
        wait_for(lambda: printing.job_state().startswith("Printing"), 30, "the print to resume")
        incident = printing.failwatch("GET", "incidents").json()["incidents"][0]
        assert incident["label"] == "not_a_failure"
        assert [entry["what"] for entry in incident["log"]][-1] == "print resumed by the user"
    finally:
        camera.mode = "healthy"
        printing.save_settings(
            {"mqtt_broker_url": "", "mqtt_topic": "", "mqtt_ha_controls": False, "failure_action": "notify"}
        )


def sensor(sub, topic: str, entity: tuple) -> list[str]:
    """What a Home Assistant entity showed for each status message, by its discovery value template."""
    import jinja2

    config = json.loads(sub.on(f"homeassistant/{entity[0]}/failwatch_ha1/{entity[1]}/config")[-1])
    template = jinja2.Environment().from_string(config["value_template"])
    return [template.render(value_json=json.loads(payload)) for payload in sub.on(topic)]


def test_the_failure_sensor_turns_on_for_a_confirmed_failure_only_and_after_its_picture(broker, subscriber, tmp_path):
    from demo.scene import shows_failure
    from octoprint_failwatch.analysis.spend import DailySpend
    from octoprint_failwatch.outcomes.actions import PrintAction
    from octoprint_failwatch.outcomes.dispatch import Dispatcher

    from engine_fakes import Harness, ScriptedModel

    calls = {"quick": 0}

    def answer(n, frames):  # the first alarm is a look the full series rejects; then a real failure
        if len(frames) == 1 and not shows_failure(frames[0].jpeg):
            calls["quick"] += 1
            return calls["quick"] == 3
        return shows_failure(frames[-1].jpeg)

    h = Harness(ScriptedModel(answer), latency=1.0)
    h.engine.start()
    h.run(60)
    assert len(h.named("verification_rejected")) == 1
    h.camera.scene = "failed"
    h.run(40)
    assert len(h.named("failure_confirmed")) == 1
    h.engine.resume_watching()  # the cooldown ends: watching again
    sub = subscriber("#")
    assert sub.subscribed.wait(10)
    config, errors = build_config({"mqtt_broker_url": broker.url, "mqtt_topic": "farm/ha1"})  # a topic of its own
    assert not errors
    alerts = make_channels(
        config,
        Identity.of("ha1", "HA1", config.mqtt_topic),
        logging.getLogger("test"),
        record=tmp_path / "retained.json",
    )
    notify_only = PrintAction(lambda: config, logging.getLogger("test"))  # no printer: failures are only alerted
    dispatcher = Dispatcher(
        config,
        alerts,
        notify_only,
        None,
        lambda: "HA1",
        job=lambda: {},
        snapshot=lambda: JPEG,
        spend=DailySpend(),
        logger=logging.getLogger("test"),
    )
    try:
        wait_for(lambda: sub.on("farm/ha1/availability") == [b"online"], 10, "the channel connected")
        for _, _, event in h.events:  # what the engine said, in its order, through the real edges
            dispatcher.handle(event)
        dispatcher.handle(h.events[-1][2])
        wait_for(
            lambda: (
                sub.on("farm/ha1/snapshot")
                and any(json.loads(p)["state"] == "watching" for p in sub.on("farm/ha1")[-2:])
            ),
            10,
            "the end",
        )
        failure = sensor(sub, "farm/ha1", ("binary_sensor", "failure"))
        looks = sensor(sub, "farm/ha1", ("binary_sensor", "look_failed"))
        first_on = failure.index("ON")
        statuses = [json.loads(p) for p in sub.on("farm/ha1")]
        # the rejected look said "failed" on the look sensor, never on the failure sensor
        rejected_look = next(i for i, s in enumerate(statuses) if s["print_failed"] and s["state"] != "failure")
        assert rejected_look < first_on and looks[rejected_look] == "ON" and failure[rejected_look] == "OFF"
        assert statuses[first_on]["state"] == "failure"
        # the picture reached the image entity before the sensor turned on
        order = [topic for topic, _, _ in sub.messages if topic in ("farm/ha1", "farm/ha1/snapshot")]
        assert order.index("farm/ha1/snapshot") < [i for i, t in enumerate(order) if t == "farm/ha1"][first_on]
        assert failure[-1] == "OFF"  # watching again: no failure in force
    finally:
        alerts.close()
