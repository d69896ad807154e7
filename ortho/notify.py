"""Mail to the requesters of an ortho-rectification when it ends (never failing the job)."""

from dinamis.mail import MailSettings, send_mail


def ended_message(source: str, item_url: str | None, reason: str | None) -> tuple[str, str]:
    """Subject and text (French, then English) of the mail at the end of a job."""
    if item_url:
        subject = f"DINAMIS: ortho-rectification of {source} ready"
        french = f"L'ortho-rectification de la scène {source} est prête : {item_url}"
        english = f"The ortho-rectification of scene {source} is ready: {item_url}"
    else:
        subject = f"DINAMIS: ortho-rectification of {source} failed"
        french = f"L'ortho-rectification de la scène {source} a échoué. Motif : {reason}"
        english = f"The ortho-rectification of scene {source} failed. Reason: {reason}"
    return subject, f"{french}\n\n-- English --\n{english}\n"


def notify(
    mail: MailSettings,
    recipients: list[str],
    source: str,
    item_url: str | None,
    reason: str | None = None,
) -> None:
    subject, text = ended_message(source, item_url, reason)
    for recipient in sorted(set(recipients)):
        send_mail(mail, recipient, subject, text)
