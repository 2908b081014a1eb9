"""paho-mqtt 1.6 and 2.x behind one way of making a client and of reading its connect/disconnect callbacks.

OctoPrint-MQTT, a common plugin, pins paho-mqtt<2, so a user may have either; Failwatch works with both.
"""

from __future__ import annotations

from typing import Callable, Literal

import paho.mqtt.client as mqtt

PAHO_2 = hasattr(mqtt, "CallbackAPIVersion")


def new_client(client_id: str, transport: Literal["tcp", "websockets", "unix"]) -> mqtt.Client:
    if PAHO_2:
        return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, transport=transport)
    return mqtt.Client(client_id=client_id, transport=transport)


def on_connect(handler: Callable[[mqtt.Client, bool, str], None]) -> Callable:
    """paho's on_connect for `handler(client, refused, reason)`, whichever paho calls it."""

    def callback(client, userdata, flags, code, properties=None):
        refused = code.is_failure if PAHO_2 else code != 0
        handler(client, refused, str(code) if PAHO_2 else mqtt.connack_string(code))

    return callback


def on_disconnect(handler: Callable[[mqtt.Client, bool, str], None]) -> Callable:
    """paho's on_disconnect for `handler(client, unexpected, reason)`: paho 2 passes flags and properties."""

    def callback(client, userdata, *args):
        code = args[1] if PAHO_2 else args[0]  # 2.x: (flags, reason_code, properties); 1.6: (rc,)
        handler(client, code != 0, str(code))

    return callback
