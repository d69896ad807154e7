"""A real SMTP server (aiosmtpd) that keeps what it receives, for tests of mail."""

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from dinamis.mail import MailSettings


@dataclass
class Mailbox:
    """Messages received, oldest first."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.messages.append(
            message_from_bytes(envelope.original_content or b"", policy=policy.default)  # type: ignore[arg-type]
        )
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class SmtpServer:
    controller: Controller
    mailbox: Mailbox

    @property
    def settings(self) -> MailSettings:
        return MailSettings(host="127.0.0.1", port=self.controller.port)
