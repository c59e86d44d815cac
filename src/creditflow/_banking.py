"""Bank-transfer details for debtors who pay by transfer: IBAN, BIC, structured reference, EPC QR.

The structured reference is an ISO 11649 creditor reference (``RF`` + two check digits + up to
21 letters or digits), which banks across the SEPA area carry unchanged to the creditor. The EPC
QR payload ("GiroCode") follows EPC069-12 version 002: a banking app that scans it fills in the
transfer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from attrs import frozen

from ._money import Money, Rounding
from ._parties import BankAccount
from .errors import ValidationError

__all__ = ["TransferDetails", "epc_qr_payload", "is_rf_reference", "rf_reference"]

_RF_BODY: Final = re.compile(r"^[A-Z0-9]{1,21}$")
_RF: Final = re.compile(r"^RF[0-9]{2}[A-Z0-9]{1,21}$")
_EPC_MAX_BYTES: Final = 331
_EPC_MAX_AMOUNT: Final = Decimal("999999999.99")


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 over *text*, letters counted as A=10 … Z=35."""
    digits = "".join(str(int(char, 36)) for char in text)
    return int(digits) % 97


def rf_reference(text: str) -> str:
    """The ISO 11649 creditor reference for *text* (e.g. an invoice number).

    Spaces, dashes and other punctuation are dropped and letters upper-cased; what is left must be
    1 to 21 letters or digits. ``rf_reference("2026-0042")`` gives ``"RF8820260042"``.

    Raises:
        ValidationError: *text* has no letters or digits, or more than 21 of them.
    """
    body = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    if not _RF_BODY.match(body):
        raise ValidationError(
            f"cannot make an RF creditor reference from {text!r}: it needs 1 to 21 letters or "
            f"digits, it has {len(body)}"
        )
    check = 98 - _mod97(body + "RF00")
    return f"RF{check:02d}{body}"


def is_rf_reference(reference: str) -> bool:
    """Whether *reference* (spaces allowed) is a well-formed ISO 11649 reference with valid check digits."""
    compact = reference.replace(" ", "").upper()
    if not _RF.match(compact):
        return False
    return _mod97(compact[4:] + compact[:4]) == 1


def _group(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def epc_qr_payload(
    *,
    beneficiary: str,
    iban: str,
    amount: Money | None = None,
    bic: str | None = None,
    reference: str | None = None,
    remittance: str | None = None,
    purpose: str = "",
    note: str = "",
) -> str:
    """The EPC069-12 (version 002) QR payload of a SEPA credit transfer, lines joined by line feeds.

    The lines are: ``BCD``, ``002``, ``1`` (UTF-8), ``SCT``, BIC (may be empty), beneficiary name,
    IBAN, amount (``EUR12.50``, may be empty), purpose code, structured reference, unstructured
    remittance, note. Only one of *reference* and *remittance* may be given. Trailing empty lines
    are left out.

    Raises:
        ValidationError: the amount is not in euro or out of range, the name or a text is too
            long, both kinds of remittance are given, or the payload exceeds 331 bytes.
    """
    if reference and remittance:
        raise ValidationError(
            "an EPC QR code carries either a structured reference or a remittance text, not both"
        )
    if not beneficiary.strip() or len(beneficiary) > 70:
        raise ValidationError(f"EPC QR beneficiary {beneficiary!r} must be 1 to 70 characters")
    amount_line = ""
    if amount is not None:
        if amount.currency != "EUR":
            raise ValidationError(
                f"an EPC QR code is for euro transfers only, the amount is {amount}"
            )
        value = amount.round(Rounding.HALF_UP).amount
        if not Decimal("0.01") <= value <= _EPC_MAX_AMOUNT:
            raise ValidationError(
                f"EPC QR amount {amount} must be between EUR 0.01 and EUR 999999999.99"
            )
        amount_line = f"EUR{value:.2f}"
    if reference is not None and len(reference) > 35:
        raise ValidationError(f"EPC QR reference {reference!r} is longer than 35 characters")
    if remittance is not None and len(remittance) > 140:
        raise ValidationError(
            f"EPC QR remittance text is longer than 140 characters: {remittance!r}"
        )
    if len(note) > 70:
        raise ValidationError(f"EPC QR note is longer than 70 characters: {note!r}")
    if purpose and not re.fullmatch(r"[A-Z0-9]{4}", purpose):
        raise ValidationError(f"EPC QR purpose {purpose!r} must be a 4-character ISO 20022 code")
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic or "",
        beneficiary.strip(),
        iban.replace(" ", "").upper(),
        amount_line,
        purpose,
        reference or "",
        remittance or "",
        note,
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode()) > _EPC_MAX_BYTES:
        raise ValidationError(f"the EPC QR payload is {len(payload.encode())} bytes, over 331")
    return payload


@frozen(kw_only=True)
class TransferDetails:
    """What a debtor needs to pay by bank transfer; templates show it as ``transfer``.

    ``reference`` is the structured RF reference when the invoice numbers allow one (one invoice
    whose number has at most 21 letters and digits); otherwise ``remittance`` names the invoices.
    ``epc_qr`` is the GiroCode payload for euro amounts (``None`` in other currencies).
    """

    iban: str
    bic: str | None
    beneficiary: str
    amount: Money
    reference: str | None
    remittance: str
    epc_qr: str | None

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of four (``NL91 ABNA 0417 1643 00``)."""
        return _group(self.iban)

    @property
    def reference_display(self) -> str:
        """What the debtor must quote: the RF reference in groups of four, else the remittance."""
        return _group(self.reference) if self.reference else self.remittance

    @classmethod
    def for_invoices(
        cls, account: BankAccount, invoice_numbers: Sequence[str], amount: Money
    ) -> TransferDetails:
        """Transfer details to pay *amount* for *invoice_numbers* into *account*."""
        reference: str | None = None
        if len(invoice_numbers) == 1:
            try:
                reference = rf_reference(invoice_numbers[0])
            except ValidationError:
                reference = None
        remittance = ", ".join(invoice_numbers)[:140]
        epc: str | None = None
        rounded = amount.round(Rounding.HALF_UP)
        if rounded.currency == "EUR" and rounded.is_positive:
            epc = epc_qr_payload(
                beneficiary=account.holder[:70],
                iban=account.iban,
                bic=account.bic,
                amount=rounded,
                reference=reference,
                remittance=None if reference else remittance,
            )
        return cls(
            iban=account.iban,
            bic=account.bic,
            beneficiary=account.holder,
            amount=rounded,
            reference=reference,
            remittance=remittance,
            epc_qr=epc,
        )
