"""Bank-transfer details: ISO 11649 RF references and the EPC (GiroCode) QR payload."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditflow import BankAccount, Money
from creditflow._banking import TransferDetails, epc_qr_payload, is_rf_reference, rf_reference
from creditflow.errors import ValidationError


def test_rf_reference_matches_the_standards_example() -> None:
    """ISO 11649's example reference 539007547034 gets check digits 18."""
    assert rf_reference("5390 0754 7034") == "RF18539007547034"
    assert is_rf_reference("RF18 5390 0754 7034")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=21))
def test_every_rf_reference_made_is_valid(text: str) -> None:
    """Any invoice number of up to 21 letters and digits gives a reference that validates."""
    if not text.replace("-", ""):
        return
    assert is_rf_reference(rf_reference(text))


def test_rf_reference_with_a_wrong_check_digit_is_invalid() -> None:
    """A mistyped reference fails its check digits."""
    assert not is_rf_reference("RF19539007547034")
    assert not is_rf_reference("XX18539007547034")


def test_rf_reference_of_a_too_long_number_is_refused() -> None:
    """More than 21 letters and digits cannot become an RF reference."""
    with pytest.raises(ValidationError, match="21"):
        rf_reference("A" * 22)


def test_epc_payload_has_the_exact_line_layout() -> None:
    """The EPC069-12 v002 payload lists its fields on fixed lines, trailing empties dropped."""
    payload = epc_qr_payload(
        beneficiary="Acme B.V.",
        iban="NL91 ABNA 0417 1643 00",
        bic="ABNANL2A",
        amount=Money("161", "EUR"),
        reference="RF8820260042",
    )
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "ABNANL2A",
        "Acme B.V.",
        "NL91ABNA0417164300",
        "EUR161.00",
        "",
        "RF8820260042",
    ]


def test_epc_payload_with_remittance_text_and_no_bic() -> None:
    """Without a BIC its line stays empty; a remittance text goes on line 11."""
    payload = epc_qr_payload(
        beneficiary="Acme",
        iban="NL91ABNA0417164300",
        amount=Money("1.5", "EUR"),
        remittance="Invoices 1, 2",
    )
    lines = payload.split("\n")
    assert lines[4] == ""
    assert lines[7] == "EUR1.50"
    assert lines[9] == ""
    assert lines[10] == "Invoices 1, 2"
    assert len(lines) == 11


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"amount": Money("10", "USD")}, "euro"),
        ({"amount": Money("0", "EUR")}, "between"),
        ({"reference": "RF18539007547034", "remittance": "x"}, "not both"),
        ({"beneficiary": "x" * 71}, "70"),
    ],
)
def test_epc_payload_refuses_what_the_standard_does_not_allow(
    kwargs: dict[str, object], match: str
) -> None:
    """Non-euro amounts, zero, both remittances and long names are refused."""
    base: dict[str, object] = {"beneficiary": "Acme", "iban": "NL91ABNA0417164300"}
    with pytest.raises(ValidationError, match=match):
        epc_qr_payload(**{**base, **kwargs})  # type: ignore[arg-type]


def test_transfer_details_for_several_invoices_use_a_remittance_text() -> None:
    """Two invoices cannot share one RF reference: the remittance names both."""
    account = BankAccount(iban="NL91ABNA0417164300", holder="Acme B.V.")
    details = TransferDetails.for_invoices(account, ["A-1", "A-2"], Money("20", "EUR"))
    assert details.reference is None
    assert details.reference_display == "A-1, A-2"
    assert details.epc_qr is not None
    assert details.epc_qr.endswith("\nA-1, A-2")


def test_transfer_details_in_another_currency_have_no_qr() -> None:
    """The EPC QR code is for euro only; other currencies still get IBAN and reference."""
    account = BankAccount(iban="NL91ABNA0417164300", holder="Acme B.V.")
    details = TransferDetails.for_invoices(account, ["7"], Money("20", "SEK"))
    assert details.epc_qr is None
    assert details.reference == rf_reference("7")
