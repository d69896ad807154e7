"""Mail goes through a real SMTP server, and its absence or failure breaks nothing."""

from dinamis.mail import MailSettings, send_mail
from dinamis.serve import free_port
from tests.mail import SmtpServer


def test_message_reaches_the_server(smtp: SmtpServer) -> None:
    sent = send_mail(
        smtp.settings, "ada@inrae.fr", "Demande reçue", "Votre demande 12 est reçue.", "<p>12</p>"
    )
    assert sent
    [message] = smtp.mailbox.to("ada@inrae.fr")
    assert message["Subject"] == "Demande reçue"
    assert "Votre demande 12 est reçue." in smtp.mailbox.body(message)


def test_no_host_sends_nothing() -> None:
    assert not send_mail(MailSettings(host=None), "ada@inrae.fr", "s", "t")


def test_unreachable_server_is_reported_not_raised() -> None:
    settings = MailSettings(host="127.0.0.1", port=free_port(), timeout=2)
    assert not send_mail(settings, "ada@inrae.fr", "s", "t")
