"""A local SMTP server (aiosmtpd) that keeps the e-mails it is given, parsed, for tests of e-mail alerts."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class SmtpReceiver:
    """Accepts one login (user, password) over plain SMTP, as a home mail relay might."""

    def __init__(self, user: str, password: str):
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        self.user, self.password = user, password
        receiver = self

        def authenticate(server, session, envelope, mechanism, auth_data):
            accepted = (auth_data.login.decode(), auth_data.password.decode()) == (user, password)
            receiver.logins.append((auth_data.login.decode(), accepted))
            return AuthResult(success=accepted)

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append(email.message_from_bytes(envelope.content, policy=default))
                return "250 OK"

        # port 0 is not supported by the controller's readiness check, so a free port is picked first
        self._controller = Controller(
            Handler(), hostname="127.0.0.1", port=_free_port(), authenticator=authenticate, auth_require_tls=False
        )
        self.port = self._controller.port

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def url(self) -> str:
        """Apprise's URL for this server: plain SMTP with a login."""
        return (
            f"mailto://{self.user}:{self.password}@127.0.0.1:{self.port}"
            f"?from=failwatch@example.com&to=printer-owner@example.com&mode=insecure"
        )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
