"""The parties of a claim: the creditor who is owed and the debtor who owes."""

from __future__ import annotations

import enum
import re
from typing import Any, ClassVar, Final

import attrs
from attrs import field, frozen

from . import _validate as v
from ._locale import normalise_locale
from .errors import ValidationError

__all__ = ["Address", "BankAccount", "Brand", "Channel", "Creditor", "Debtor", "DebtorKind"]

_CHANNEL_NAME: Final = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@frozen
class Channel:
    """A way to reach a debtor: ``Channel.EMAIL``, ``Channel.SMS``, ``Channel.LETTER``, or a plugin's.

    Plugin channels are named by their entry point in the ``creditflow.channels`` group, e.g.
    ``Channel("whatsapp")``.
    """

    name: str = field()

    EMAIL: ClassVar[Channel]
    SMS: ClassVar[Channel]
    LETTER: ClassVar[Channel]

    @name.validator
    def _check_name(self, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not _CHANNEL_NAME.match(value):
            raise ValidationError(
                f"channel name {value!r} must be lower case letters, digits, '_', '.' or '-', "
                f"starting with a letter (e.g. 'email', 'whatsapp')"
            )

    def __str__(self) -> str:
        return self.name


Channel.EMAIL = Channel("email")
Channel.SMS = Channel("sms")
Channel.LETTER = Channel("letter")


class DebtorKind(enum.Enum):
    """Whether the debtor is a consumer or a business; the law treats them differently."""

    PERSON = "person"
    """A natural person not acting in a profession or business (B2C): consumer protection applies."""
    COMPANY = "company"
    """A business or a person acting in their profession (B2B)."""


@frozen(kw_only=True)
class Address:
    """A postal address; ``country`` is an ISO 3166-1 alpha-2 code."""

    street: str = field(validator=v.non_empty)
    postal_code: str = ""
    city: str = field(validator=v.non_empty)
    country: str = field(converter=v.upper, validator=v.country)
    region: str = ""

    def lines(self) -> tuple[str, ...]:
        """The address as lines for a letter window."""
        city_line = " ".join(part for part in (self.postal_code, self.city) if part)
        return tuple(line for line in (self.street, city_line, self.region) if line)


def _e164(value: str | None) -> str | None:
    """Parse a mobile number into E.164; bare national numbers need a leading '+' country code."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"mobile must be a string, got {type(value).__name__} ({value!r})")
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            f"Debtor.mobile {value!r} is not a phone number in international form; "
            f"write it with its country code, e.g. '+31612345678'"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            f"Debtor.mobile {value!r} is not a valid phone number for its country code"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@frozen(kw_only=True)
class Debtor:
    """The party that owes: a consumer or a company, and how to reach them.

    ``unreachable`` lists channels the debtor cannot be reached on (a bounced address, an opt-out),
    so the engine goes to a step's fallback channel. ``tags`` are free segment labels
    (``"new"``, ``"regular"``, ``"risky"``) that schema-selection rules match.
    """

    code: str = field(validator=v.non_empty)
    kind: DebtorKind = field(validator=attrs.validators.instance_of(DebtorKind))
    name: str = field(validator=v.non_empty)
    address: Address | None = field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Address))
    )
    email: str | None = field(default=None, validator=v.email)
    mobile: str | None = field(default=None, converter=_e164)
    locale: str = field(default="en", converter=normalise_locale)
    time_zone: str = field(default="Europe/Amsterdam", validator=v.time_zone)
    unreachable: frozenset[Channel] = field(default=frozenset(), converter=frozenset)
    vat_number: str | None = None
    coc_number: str | None = None
    """Chamber-of-commerce (KvK, KBO, Handelsregister, SIREN) number."""
    tags: frozenset[str] = field(default=frozenset(), converter=v.frozen_tags)

    @property
    def country(self) -> str | None:
        """The country of the debtor's address, which selects the rule pack."""
        return self.address.country if self.address else None

    @property
    def is_consumer(self) -> bool:
        """Whether consumer protection applies (B2C)."""
        return self.kind is DebtorKind.PERSON

    def reachable_on(self, channel: Channel) -> bool:
        """Whether the debtor has what *channel* needs and is not flagged unreachable on it."""
        if channel in self.unreachable:
            return False
        if channel == Channel.EMAIL:
            return self.email is not None
        if channel == Channel.SMS:
            return self.mobile is not None
        if channel == Channel.LETTER:
            return self.address is not None
        return True


def _iban(value: str | None) -> str | None:
    if value is None:
        return None
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise ValidationError(f"IBAN {value!r} is not valid: {exc}") from None


def _bic(value: str | None) -> str | None:
    if value is None:
        return None
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(value, allow_invalid=False).compact)
    except SchwiftyException as exc:
        raise ValidationError(f"BIC {value!r} is not valid: {exc}") from None


@frozen(kw_only=True)
class BankAccount:
    """Where the creditor receives transfers; the IBAN is checked (checksum, country format)."""

    iban: str = field(converter=_iban)
    bic: str | None = field(default=None, converter=_bic)
    holder: str = field(validator=v.non_empty)


@frozen(kw_only=True)
class Brand:
    """The creditor's house style for messages and documents."""

    name: str = field(validator=v.non_empty)
    primary_color: str = "#1a1a2e"
    accent_color: str = "#e94560"
    logo_url: str | None = None
    email_from: str | None = field(default=None, validator=v.email)
    reply_to: str | None = field(default=None, validator=v.email)
    sms_sender: str | None = None
    website: str | None = None
    phone: str | None = None


def _default_brand(creditor: Any) -> Brand:
    return Brand(name=creditor.name)


@frozen(kw_only=True)
class Creditor:
    """The party that is owed; letters and invoices must show its legal details.

    ``key`` identifies the creditor in a shared store: an invoicing platform that bills for many
    creditors keeps them all in one database, each manager acting for one.
    """

    key: str = field(validator=v.non_empty)
    name: str = field(validator=v.non_empty)
    address: Address = field(validator=attrs.validators.instance_of(Address))
    vat_number: str | None = None
    coc_number: str | None = None
    bank_account: BankAccount | None = None
    brand: Brand = field(default=attrs.Factory(_default_brand, takes_self=True))
    time_zone: str = field(default="Europe/Amsterdam", validator=v.time_zone)
    can_deduct_vat: bool = True
    """Whether the creditor deducts VAT; only a creditor who cannot may add VAT to Dutch collection
    costs (BIK art. 2 lid 3)."""

    @property
    def country(self) -> str:
        """The creditor's country: its business-day calendar is used for step dates."""
        return self.address.country
