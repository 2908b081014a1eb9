"""Failwatch's pushes reach only the browsers of users allowed to see it: a real OctoPrint, three users on
OctoPrint's own socket (as a browser connects), one without Failwatch's View permission."""

from __future__ import annotations

import json
import secrets
import threading

import pytest
import websocket

from demo.octoprint_instance import wait_for

pytestmark = pytest.mark.octoprint


class Socket:
    """OctoPrint's SockJS socket, logged in as a user, collecting what is pushed to it."""

    def __init__(self, octoprint, session_key: str):
        self.messages: list[dict] = []
        # SockJS over a websocket: /sockjs/<server>/<session>/websocket, "o" to open, then arrays of messages
        session = secrets.token_hex(4)
        self._ws = websocket.create_connection(
            f"ws://127.0.0.1:{octoprint.port}/sockjs/000/{session}/websocket", timeout=10
        )
        assert self._ws.recv() == "o"
        self._ws.send(json.dumps([json.dumps({"auth": session_key})]))
        self._ws.settimeout(None)  # quiet spells are normal; close() ends the reading
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                frame = self._ws.recv()
                if frame.startswith("a"):  # a SockJS array of messages
                    self.messages.extend(json.loads(frame[1:]))
        except (websocket.WebSocketException, OSError, ValueError):
            return

    def failwatch(self) -> list[dict]:
        return [
            m
            for m in list(self.messages)
            if (m.get("plugin") or {}).get("plugin") == "failwatch"
            or str((m.get("event") or {}).get("type", "")).lower().startswith("plugin_failwatch_")
        ]

    def authed(self) -> bool:
        return any("connected" in m for m in self.messages)

    def close(self) -> None:
        self._ws.close()
        self._thread.join(timeout=10)


def session_of(octoprint, user: str, password: str) -> str:
    session = octoprint._session()
    session.get(f"{octoprint.url}/", timeout=30)
    session.headers["X-CSRF-Token"] = session.cookies.get(f"csrf_token_P{octoprint.port}", "")
    answer = session.post(f"{octoprint.url}/api/login", json={"user": user, "pass": password}, timeout=30)
    answer.raise_for_status()
    return f"{user}:{answer.json()['session']}"


def test_a_user_without_failwatch_view_is_pushed_nothing_of_failwatch(octoprint):
    # a user of OctoPrint who may see the printer's state but not Failwatch
    if octoprint.api("GET", "/api/access/users/outsider").status_code == 404:
        octoprint.api(
            "POST",
            "/api/access/users",
            json={
                "name": "outsider",
                "password": "outsider-password",
                "active": True,
                "groups": [],
                "permissions": ["STATUS", "CONNECTION", "WEBCAM"],
            },
        ).raise_for_status()
    sockets = {
        user: Socket(octoprint, session_of(octoprint, user, password))
        for user, password in (
            ("admin", octoprint.admin_password),
            ("viewer", "viewer-password"),
            ("outsider", "outsider-password"),
        )
    }
    try:
        wait_for(lambda: all(s.authed() for s in sockets.values()), 30, "the three sockets")
        for _ in range(2):  # a save pushes the status and the save's notes to the browsers
            seen = len(sockets["viewer"].failwatch())
            octoprint.save_settings({"cooldown_minutes": 1})
            wait_for(lambda seen=seen: len(sockets["viewer"].failwatch()) > seen, 30, "Failwatch's push to the viewer")
        assert sockets["admin"].failwatch()
        wait_for(lambda: len(sockets["outsider"].messages) > 1, 30, "OctoPrint's own pushes to the outsider")
        assert sockets["outsider"].failwatch() == []
        assert "explanation" not in json.dumps(sockets["outsider"].messages)
    finally:
        for socket in sockets.values():
            socket.close()
