"""Mail to the requester at every status change of their order (never failing the change)."""

from dinamis.mail import MailSettings, send_mail
from orders.rules import ProductRules
from orders.store import OrderRecord, StatusRecord


def status_message(
    order: OrderRecord, status: StatusRecord, product: ProductRules | None, order_url: str | None
) -> tuple[str, str]:
    """Subject and text of the mail telling the requester their order's new status."""
    title = product.title if product else order.product_id
    subject = f"DINAMIS request {order.id} ({title}): {status.status_code.value}"
    lines = [
        f"Your DINAMIS imagery request {order.id} ({title}, {order.area_km2:,.1f} km²) is now "
        f"'{status.status_code.value}'.",
    ]
    if status.reason_text:
        lines.append(f"Reason: {status.reason_text}")
    lines.append(f"By: {status.actor}, at {status.at.isoformat(timespec='seconds')}")
    quote = order.quote
    lines += ["", f"Quote (rules {quote['rules_version']}):"]
    lines += [
        f"  {line['label']}: {line['quantity']:g} {line['unit']} → {line['amount']} "
        f"{quote['currency']}"
        for line in quote["lines"]
    ]
    lines.append(f"  Due: {quote['due']} {quote['currency']}")
    if status.status_code.value == "reserved":
        lines.append("Agree to the quote to let the request go ahead: POST …/agree on the order.")
    if order.items:
        lines += ["", "Delivered items:"] + [f"  {c}/{i}" for c, i in order.items]
    if order_url:
        lines += ["", f"Follow it at {order_url}"]
    return subject, "\n".join(lines)


def notify(
    mail: MailSettings,
    order: OrderRecord,
    status: StatusRecord,
    product: ProductRules | None,
    order_url: str | None = None,
) -> bool:
    subject, text = status_message(order, status, product, order_url)
    return send_mail(mail, order.user_email, subject, text)
