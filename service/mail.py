"""Sending e-mail: messages built with the standard library's ``EmailMessage``, sent
through the SMTP server the settings name (``smtplib``), one connection per batch.

Each message's outcome is ``None`` (accepted by the server) or a reason code, never the
server's words (they can quote an address):

- ``connection_failed``: the server could not be reached or dropped the connection;
- ``tls_failed``: STARTTLS was asked for and failed;
- ``auth_failed``: the server refused the credentials;
- ``recipient_refused``: the server refused the address;
- ``smtp_error``: the server refused the message for another reason.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from service.settings import Settings

__all__ = ["Letter", "SmtpMailer", "build_message"]


@dataclass(frozen=True)
class Letter:
    """One message ready to send: recipient, language, subject and plain-text body."""

    to: str
    language: str
    subject: str
    body: str


def build_message(letter: Letter, sender: str) -> EmailMessage:
    """The letter as a MIME message (UTF-8 plain text, its language declared)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(letter.body)
    # After set_content, which clears every Content-* header.
    message["Content-Language"] = letter.language
    return message


class SmtpMailer:
    """Sends letters through the SMTP server of the settings (``smtp_host`` must be set)."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_host is None:
            raise ValueError("no SMTP server is configured (MARRAINE_SMTP_HOST)")
        self.settings = settings
        self.host: str = settings.smtp_host

    def send(self, letters: Sequence[Letter]) -> list[str | None]:
        """Send each letter; returns each one's outcome (``None``: accepted)."""
        if not letters:
            return []
        try:
            with smtplib.SMTP(
                self.host, self.settings.smtp_port, timeout=self.settings.smtp_timeout_seconds
            ) as server:
                failure = self._open(server)
                if failure is not None:
                    return [failure] * len(letters)
                return [self._send_one(server, letter) for letter in letters]
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError):
            return ["connection_failed"] * len(letters)

    def _open(self, server: smtplib.SMTP) -> str | None:
        """STARTTLS and the login the settings ask for; a reason code if one fails."""
        if self.settings.smtp_tls == "starttls":
            try:
                server.starttls(context=ssl.create_default_context())
            except (smtplib.SMTPException, ssl.SSLError):
                return "tls_failed"
        password = self.settings.smtp_password
        if self.settings.smtp_username and password is not None:
            try:
                server.login(self.settings.smtp_username, password.get_secret_value())
            except smtplib.SMTPException:
                return "auth_failed"
        return None

    def _send_one(self, server: smtplib.SMTP, letter: Letter) -> str | None:
        try:
            server.send_message(build_message(letter, self.settings.smtp_from))
        except smtplib.SMTPRecipientsRefused:
            return "recipient_refused"
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPException:
            return "smtp_error"
        return None
