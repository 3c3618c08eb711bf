"""How a notice reaches a contact: email over SMTP, a signed webhook, an SMS gateway webhook,
or (development default) the console log.

``channel_for(contact_channel, settings)`` picks the sender: an email contact uses SMTP when
``TIPLINE_SMTP_HOST`` is set, a phone contact the SMS gateway when ``TIPLINE_SMS_WEBHOOK_URL``
is set, a webhook contact its own address; anything unconfigured goes to the console. A failed
send raises ``DeliveryError`` with a short reason that never holds content or secrets.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Protocol

from tipline.settings import Settings
from triage.notify import signing
from triage.notify.message import Notice

log = logging.getLogger("triage.notify")

TIMEOUT_SECONDS = 10
SMS_SCHEMA = "tipline.sms/1"


class DeliveryError(Exception):
    """The notice did not go out; ``str()`` says why, briefly (kept in ``last_error``)."""


class Channel(Protocol):
    name: str

    def send(self, notice: Notice, address: str) -> None: ...


class ConsoleChannel:
    """Development default: writes the notice (which holds no content) to the worker's log."""

    name = "console"

    def __init__(self, why: str) -> None:
        self.why = why

    def send(self, notice: Notice, address: str) -> None:
        log.warning(
            "NOTIFICATION (console: %s) %s | %s | unit %s | item #%d | tier %s | due %s UTC"
            " | item %s | acknowledge %s",
            self.why,
            notice.notification_id,
            notice.headline,
            notice.unit,
            notice.item_id,
            notice.tier,
            f"{notice.due_at:%Y-%m-%d %H:%M}",
            notice.item_url,
            notice.ack_url or "-",
        )


class SmtpChannel:
    """Email over SMTP, with STARTTLS and login as configured."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.sender = settings.smtp_from

    def send(self, notice: Notice, address: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = notice.subject()
        message["X-Tipline-Notification"] = notice.notification_id
        message.set_content(notice.text())
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP error {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc.__class__.__name__}") from None


def post_signed(url: str, payload: dict[str, object], secret: bytes, delivery_id: str) -> None:
    """POST ``payload`` as JSON with the ``signing`` headers; any non-2xx answer is a failure."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    # The real time of sending: a receiver checks it against its own clock.
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (an https:// or http:// address an admin set)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "tipline-notify/1",
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.sign(secret, timestamp, body),
            signing.DELIVERY_HEADER: delivery_id,
        },
    )
    if not url.startswith(("https://", "http://")):
        raise DeliveryError("webhook address is not an http(s) URL")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"webhook: {exc.__class__.__name__}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


class WebhookChannel:
    """A JSON POST (``tipline.notification/1``) to the contact's address, signed."""

    name = "webhook"

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def send(self, notice: Notice, address: str) -> None:
        post_signed(address, notice.as_json(), self.secret, notice.notification_id)


class SmsChannel:
    """A JSON POST (``tipline.sms/1``: ``to`` and ``text``) to the SMS gateway, signed."""

    name = "sms"

    def __init__(self, url: str, secret: bytes) -> None:
        self.url = url
        self.secret = secret

    def send(self, notice: Notice, address: str) -> None:
        payload: dict[str, object] = {
            "schema": SMS_SCHEMA,
            "id": notice.notification_id,
            "to": address,
            "text": notice.short_text(),
        }
        post_signed(self.url, payload, self.secret, notice.notification_id)


def channel_for(contact_channel: str, settings: Settings) -> Channel:
    """The sender for a contact of channel ``email``, ``webhook`` or ``phone``."""
    secret = settings.webhook_secret or b""
    if contact_channel == "email":
        return SmtpChannel(settings) if settings.smtp_host else ConsoleChannel("no SMTP host")
    if contact_channel == "phone":
        if settings.sms_webhook_url:
            return SmsChannel(settings.sms_webhook_url, secret)
        return ConsoleChannel("no SMS gateway")
    if contact_channel == "webhook":
        return WebhookChannel(secret) if secret else ConsoleChannel("no webhook secret")
    return ConsoleChannel(f"unknown channel {contact_channel!r}")
