"""Sample data for previewing templates and for testing them against every kind and locale."""

from __future__ import annotations

import datetime as dt

from .._invoice import Invoice
from .._message_kind import MessageKind
from .._money import Money
from .._parties import Address, BankAccount, Brand, Channel, Creditor, Debtor, DebtorKind
from ._compose import ComposeRequest, InvoiceItem

__all__ = ["sample_request"]


def sample_request(
    kind: MessageKind,
    *,
    locale: str = "en",
    channel: Channel = Channel.EMAIL,
    grouped: bool = False,
    debtor_name: str = "Jan de Vries",
) -> ComposeRequest:
    """A realistic request for *kind*: a Dutch creditor, a consumer in *locale*, EUR amounts.

    With *grouped*, the message lists two invoices, each with its own open amount and link.
    """
    creditor = Creditor(
        key="sample",
        name="Voorbeeld Energie B.V.",
        address=Address(
            street="Stationsplein 12", postal_code="3511 ED", city="Utrecht", country="NL"
        ),
        vat_number="NL000099998B57",
        coc_number="12345678",
        bank_account=BankAccount(
            iban="NL91ABNA0417164300", bic="ABNANL2A", holder="Voorbeeld Energie B.V."
        ),
        brand=Brand(
            name="Voorbeeld Energie",
            primary_color="#0b3d91",
            accent_color="#f28c28",
            logo_url="https://example.test/logo.png",
            email_from="billing@example.test",
            reply_to="support@example.test",
            website="https://example.test",
            phone="+31 30 123 4567",
        ),
    )
    debtor = Debtor(
        code="D-1001",
        kind=DebtorKind.PERSON,
        name=debtor_name,
        address=Address(
            street="Lindelaan 5", postal_code="1234 AB", city="Amersfoort", country="NL"
        ),
        email="jan@example.test",
        mobile="+31612345678",
        locale=locale,
    )
    first = Invoice(
        number="2026-0042",
        debtor_code=debtor.code,
        issued_on=dt.date(2026, 1, 2),
        due_on=dt.date(2026, 1, 16),
        currency="EUR",
        total=Money("121.00", "EUR"),
    )
    invoices: tuple[Invoice, ...] = (first,)
    items: tuple[InvoiceItem, ...] = (
        InvoiceItem(
            invoice=first,
            open_amount=Money("161.00", "EUR"),
            payment_url="https://pay.example.test/2026-0042",
        ),
    )
    if grouped:
        second = Invoice(
            number="2026-0057",
            debtor_code=debtor.code,
            issued_on=dt.date(2026, 1, 9),
            due_on=dt.date(2026, 1, 23),
            currency="EUR",
            total=Money("60.50", "EUR"),
        )
        invoices = (first, second)
        items = (
            *items,
            InvoiceItem(
                invoice=second,
                open_amount=Money("60.50", "EUR"),
                payment_url="https://pay.example.test/2026-0057",
            ),
        )
    open_amount = sum((i.open_amount for i in items), Money.zero("EUR"))
    return ComposeRequest(
        kind=kind,
        template=kind.value,
        channel=channel,
        creditor=creditor,
        debtor=debtor,
        invoices=invoices,
        items=items,
        open_amount=open_amount,
        open_principal=open_amount - Money("40.00", "EUR"),
        open_costs=Money("40.00", "EUR"),
        open_interest=Money.zero("EUR"),
        today=dt.date(2026, 2, 2),
        payment_url=None if grouped else items[0].payment_url,
        announced_fee=Money("40.00", "EUR"),
        pay_by=dt.date(2026, 2, 17),
    )
