"""Mail sent by the programme (confirmation links, request status changes, finished jobs).

Settings from ``DINAMIS_SMTP_*``; with no host configured nothing is sent and callers carry on:
a notification is never a reason for the action that caused it to fail.
"""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_SMTP_", env_file=".env", extra="ignore")

    host: str | None = None
    """SMTP server; mail is off when unset."""
    port: int = 25
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    """Upgrade the connection with STARTTLS before authenticating (submission port 587)."""
    ssl: bool = False
    """Implicit TLS from the first byte (port 465)."""
    sender: str = "DINAMIS <no-reply@dinamis.invalid>"
    timeout: float = 10
    """Seconds before an unresponsive server is given up on."""

    @property
    def enabled(self) -> bool:
        return bool(self.host)


def send_mail(
    settings: MailSettings,
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
) -> bool:
    """Send one message; ``True`` when the server accepted it, ``False`` when mail is off or
    the server failed (logged with the reason, never raised)."""
    if not settings.enabled:
        log.info("mail off (no DINAMIS_SMTP_HOST): not sending '%s' to %s", subject, to)
        return False
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(to) if isinstance(to, list) else to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="dinamis")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    try:
        smtp_class = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
        with smtp_class(settings.host or "", settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls and not settings.ssl:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username and settings.password:
                smtp.login(settings.username, settings.password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail '%s' to %s not sent: %s", subject, to, error)
        return False
    log.info("mail '%s' sent to %s", subject, to)
    return True
