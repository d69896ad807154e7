"""Mail to the requester at every status change of their order (never failing the change)."""

from dinamis.mail import MailSettings, send_mail
from orders.rules import ProductRules
from orders.store import OrderRecord, StatusRecord

# What the requester reads first: the programme's users are French institutions.
STATUS_FR = {
    "received": "reçue",
    "accepted": "acceptée",
    "rejected": "refusée",
    "reserved": "en attente de votre accord sur le devis",
    "tasked": "transmise au fournisseur pour programmation",
    "scheduled": "programmée (nouvelle tentative d'acquisition)",
    "processing": "en production",
    "completed": "livrée",
    "failed": "échouée",
    "expired": "expirée",
    "cancelled": "annulée",
    "user_cancelled": "annulée à votre demande",
    "held": "suspendue",
}


def status_message(
    order: OrderRecord, status: StatusRecord, product: ProductRules | None, order_url: str | None
) -> tuple[str, str]:
    """Subject and text (French, then English) of the mail telling the requester their
    order's new status."""
    title = product.title if product else order.product_id
    code = status.status_code.value
    subject = f"DINAMIS request {order.id} ({title}): {code}"
    quote = order.quote
    figures = [
        f"  {line['label']}: {line['quantity']:g} {line['unit']} → {line['amount']} "
        f"{quote['currency']}"
        for line in quote["lines"]
    ]
    items = [f"  {c}/{i}" for c, i in order.items]
    french = [
        f"Votre demande d'imagerie DINAMIS n° {order.id} ({title}, {order.area_km2:,.1f} km²) "
        f"est {STATUS_FR.get(code, code)}.",
        *([f"Motif : {status.reason_text}"] if status.reason_text else []),
        f"Montant à votre charge : {quote['due']} {quote['currency']} "
        f"(règles {quote['rules_version']}).",
        *(
            ["Pour que la demande suive son cours, acceptez le devis : POST …/actions/agree."]
            if code == "reserved"
            else []
        ),
        *(["Produits livrés :", *items] if items else []),
        *([f"Suivi : {order_url}"] if order_url else []),
    ]
    english = [
        f"Your DINAMIS imagery request {order.id} ({title}, {order.area_km2:,.1f} km²) is now "
        f"'{code}'.",
        *([f"Reason: {status.reason_text}"] if status.reason_text else []),
        f"By: {status.actor}, at {status.at.isoformat(timespec='seconds')}",
        "",
        f"Quote (rules {quote['rules_version']}):",
        *figures,
        f"  Due: {quote['due']} {quote['currency']}",
        *(
            ["Agree to the quote to let the request go ahead: POST …/actions/agree on the order."]
            if code == "reserved"
            else []
        ),
        *(["", "Delivered items:", *items] if items else []),
        *(["", f"Follow it at {order_url}"] if order_url else []),
    ]
    return subject, "\n".join([*french, "", "-- English --", *english])


def notify(
    mail: MailSettings,
    order: OrderRecord,
    status: StatusRecord,
    product: ProductRules | None,
    order_url: str | None = None,
) -> bool:
    subject, text = status_message(order, status, product, order_url)
    return send_mail(mail, order.user_email, subject, text)
