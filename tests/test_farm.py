"""A print farm: many Failwatch instances on one AWS account's quota and one MQTT broker.

The quota is the local Converse server's (`AccountQuota`), the engines are real with the real Bedrock
backend through boto3, all on one simulated clock (bench/farm.py measures fifty; here a few, to show
the behaviour). The broker is a real Mosquitto with fifty real publishers on it.
"""

from __future__ import annotations

import json
import math

from bench.farm import peak_minute, run_farm
from demo.model_server import AccountQuota
from demo.octoprint_instance import wait_for
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.simulation import SimulatedClock
from octoprint_failwatch.outcomes.alerts.mqtt import MqttPublisher
from octoprint_failwatch.outcomes.alerts.mqtt_identity import Identity


def test_the_account_quota_counts_requests_and_tokens_in_any_minute_and_refused_ones_not_at_all():
    clock = SimulatedClock()
    quota = AccountQuota(requests_per_minute=3, tokens_per_minute=1000, clock=clock)
    first = quota.admit(500)  # reserves input + maxTokens ...
    quota.settle(first, 200)  # ... and keeps what the answer used
    assert quota.admit(700) is not None  # 200 + 700 fit
    assert quota.admit(200) is None  # 900 + 200 do not: throttled, and not counted
    clock.now = 30.0
    assert quota.admit(100) is not None  # the third request of the minute
    assert quota.admit(1) is None  # a fourth is one request too many
    clock.now = 60.0  # the first request (at 0) has left the minute
    assert quota.admit(100) is not None
    assert [t for t, _ in quota.admitted] == [0.0, 0.0, 30.0, 60.0] and quota.throttled == [0.0, 30.0]


def test_a_farm_over_its_quota_confirms_its_failure_and_never_stops_watching(model):
    """Ten printers sharing 60 % of the quota their healthy load needs: looks are throttled and back off, the
    failing printer's series and verification calls are retried until they get through, nobody alerts."""
    printers = list(range(10))
    healthy = run_farm(model, printers, 3 * 60, {}, (math.inf, math.inf), draw=3)
    requests, tokens = peak_minute(healthy)
    run = run_farm(model, printers, 8 * 60, {4: 4 * 60.0}, (requests * 0.6, tokens * 0.6), draw=3)
    try:
        assert run.quota.throttled, "half the quota must throttle"
        detection = run.detection()
        assert detection[0] is not None and detection[0] < 120, detection
        for printer in run.printers:
            status = printer.engine.status()
            assert status["counters"]["throttled"] > 0 or printer.index == 4
            assert status["counters"]["confirmed"] == (1 if printer.index == 4 else 0)
            # still watched: each printer's calls kept getting through during the whole run
            assert status["counters"]["input_tokens"] > 0
        late = [t for t, _ in run.quota.admitted if t > 7 * 60]
        assert len(late) >= len(printers)  # in the last minute too
        assert all(printer.engine.status()["consecutive_errors"] < 5 for printer in run.printers)
    finally:
        model.quota = None


def test_fifty_printers_with_one_name_on_one_broker_are_fifty_devices_each_with_its_own_state(
    broker, subscriber, tmp_path
):
    config, errors = build_config({"mqtt_broker_url": broker.url})
    assert not errors, errors
    retained = subscriber("#")
    publishers = [
        MqttPublisher(config, Identity.of(f"farm{number:02d}", "Prusa MK4"), record=tmp_path / f"{number}").start()
        for number in range(50)
    ]
    try:
        for number, publisher in enumerate(publishers):
            publisher.publish_status({"state": "watching" if number % 2 else "cooldown", "printer": "Prusa MK4"})

        def settled():
            topics = retained.latest()
            states = [topics.get(f"octoprint/failwatch/farm{n:02d}") for n in range(50)]
            online = [topics.get(f"octoprint/failwatch/farm{n:02d}/availability") for n in range(50)]
            return all(states) and all(value == b"online" for value in online) and topics

        topics = wait_for(settled, 30, "fifty states and availabilities")
        for number in range(50):
            state = json.loads(topics[f"octoprint/failwatch/farm{number:02d}"])["state"]
            assert state == ("watching" if number % 2 else "cooldown")
        configs = [
            json.loads(payload)
            for topic, payload in topics.items()  # the broker is shared with other tests
            if topic.startswith("homeassistant/") and "failwatch_farm" in topic and payload
        ]
        devices = {config["device"]["identifiers"][0] for config in configs}
        assert devices == {f"failwatch_farm{number:02d}" for number in range(50)}
        assert len({config["unique_id"] for config in configs}) == len(configs)  # no entity shared
        names = {config["device"]["identifiers"][0]: config["device"]["name"] for config in configs}
        assert set(names.values()) == {"Failwatch Prusa MK4"}  # one name, still fifty devices
        publishers.pop(7).stop()  # one printer goes away: only its device turns unavailable
        wait_for(
            lambda: retained.latest().get("octoprint/failwatch/farm07/availability") == b"offline", 10, "farm07 offline"
        )
        assert retained.latest()["octoprint/failwatch/farm08/availability"] == b"online"
    finally:
        for publisher in publishers:
            publisher.stop()
        for topic in [t for t in retained.latest() if "farm" in t]:  # the broker is shared with other tests
            retained.client.publish(topic, "", qos=1, retain=True).wait_for_publish(5)
