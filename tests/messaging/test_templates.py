"""Built-in templates: every kind in every language, legal content, overrides and the locale chain."""

from __future__ import annotations

import os
import pathlib

import pytest
from jinja2 import DictLoader

from creditflow import Channel, MessageKind, Money
from creditflow.errors import TemplateError
from creditflow.render import ComposedMessage, TemplatePart, Templates, sample_request

SNAPSHOTS = pathlib.Path(__file__).parent / "snapshots"
LOCALES = ("nl", "en", "de", "fr", "nl-BE", "fr-BE", "de-AT")
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel("whatsapp"))


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


@pytest.mark.parametrize("grouped", [False, True], ids=["single", "grouped"])
@pytest.mark.parametrize("channel", CHANNELS, ids=str)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(MessageKind), ids=lambda k: k.value)
def test_every_builtin_template_renders(
    templates: Templates, kind: MessageKind, locale: str, channel: Channel, grouped: bool
) -> None:
    """Each kind renders in each locale on each channel with StrictUndefined, single or grouped."""
    request = sample_request(kind, locale=locale, channel=channel, grouped=grouped)
    message = templates.compose(request)
    assert isinstance(message, ComposedMessage)
    assert message.subject
    assert "\n" not in message.subject
    assert "2026-0042" in message.subject
    assert message.text.strip()
    if grouped:
        assert "2026-0057" in message.subject
    if channel == Channel.EMAIL:
        assert message.html is not None
        assert message.html.startswith("<!DOCTYPE html>")
        assert "Jan de Vries" in message.html
    else:
        assert message.html is None
    if channel == Channel.SMS:
        assert "\n" not in message.text
        assert len(message.text) < 400


@pytest.mark.parametrize("locale", ["nl", "en", "de", "fr"])
def test_reminder_html_matches_snapshot(templates: Templates, locale: str) -> None:
    """The HTML reminder of each language is exactly the checked-in snapshot."""
    html = templates.compose(sample_request(MessageKind.REMINDER, locale=locale)).html
    assert html is not None
    path = SNAPSHOTS / f"reminder.{locale}.html"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("channel", [Channel.LETTER, Channel.EMAIL, Channel.SMS], ids=str)
def test_dutch_fourteen_day_letter_states_costs_and_term(
    templates: Templates, channel: Channel
) -> None:
    """The 14-day letter names the collection costs, the statutory term and the last day."""
    request = sample_request(MessageKind.FOURTEEN_DAY_LETTER, locale="nl-NL", channel=channel)
    text = templates.compose(request).text
    if channel != Channel.SMS:
        assert Money("40.00", "EUR").format("nl-NL") in text
        assert "binnen 14 dagen na de dag waarop deze brief bij u is bezorgd" in text
        assert "17 februari 2026" in text
    else:  # SMS: plain spaces keep the text in the GSM-7 alphabet
        assert "€ 40,00" in text
        assert "17 feb 2026" in text


@pytest.mark.parametrize(
    ("locale", "phrase"),
    [
        ("nl-BE", "Deze eerste herinnering is kosteloos."),
        ("fr-BE", "Ce premier rappel est gratuit."),
        ("de-BE", "Diese erste Zahlungserinnerung ist kostenlos."),
        ("en", "This first reminder is free of charge."),
    ],
)
def test_belgian_first_reminder_says_it_is_free(
    templates: Templates, locale: str, phrase: str
) -> None:
    """The Belgian first reminder says it costs nothing, in the debtor's language."""
    for channel in (Channel.EMAIL, Channel.LETTER):
        message = templates.compose(
            sample_request(MessageKind.FIRST_REMINDER_BE, locale=locale, channel=channel)
        )
        assert phrase in message.text


def test_fourteen_day_letter_without_pay_by_is_refused(templates: Templates) -> None:
    """A 14-day letter without its last day to pay cannot be rendered."""
    import attrs

    request = attrs.evolve(sample_request(MessageKind.FOURTEEN_DAY_LETTER), pay_by=None)
    with pytest.raises(TemplateError, match="date") as caught:
        templates.compose(request)
    assert caught.value.lineno is not None


def test_amounts_and_dates_follow_the_debtors_locale(templates: Templates) -> None:
    """Amounts and dates are written as the debtor's locale writes them."""
    nl = templates.compose(sample_request(MessageKind.REMINDER, locale="nl-NL")).text
    en = templates.compose(sample_request(MessageKind.REMINDER, locale="en-GB")).text
    de = templates.compose(sample_request(MessageKind.REMINDER, locale="de-DE")).text
    assert Money("161.00", "EUR").format("nl-NL") in nl
    assert "17 februari 2026" in nl
    assert "€161.00" in en
    assert "161,00" in nl
    assert "17 February 2026" in en
    assert Money("161.00", "EUR").format("de-DE") in de
    assert "161,00" in de
    assert "17. Februar 2026" in de


def test_grouped_message_lists_each_invoice_with_its_own_link(templates: Templates) -> None:
    """A grouped reminder lists every invoice with its open amount and link, and the total."""
    message = templates.compose(sample_request(MessageKind.REMINDER, locale="en", grouped=True))
    assert "2026-0042" in message.text
    assert "2026-0057" in message.text
    assert "https://pay.example.test/2026-0042" in message.text
    assert "https://pay.example.test/2026-0057" in message.text
    assert "Total to pay: €221.50" in message.text
    assert message.html is not None
    assert 'href="https://pay.example.test/2026-0057"' in message.html


def test_transfer_details_and_structured_reference_are_shown(templates: Templates) -> None:
    """Debtors who pay by transfer get IBAN, BIC, beneficiary and the RF reference."""
    text = templates.compose(sample_request(MessageKind.REMINDER, locale="en")).text
    assert "IBAN: NL91 ABNA 0417 1643 00" in text
    assert "BIC: ABNANL2A" in text
    assert "Payment reference: RF88 2026 0042" in text


def test_user_template_overrides_builtin_and_locale_falls_back() -> None:
    """A user's nl template serves nl-BE debtors; other languages keep the built-in one."""
    templates = Templates(
        {"nl/reminder.j2": "{% extends layout %}{% block subject %}Eigen onderwerp{% endblock %}"}
    )
    nl_be = templates.compose(sample_request(MessageKind.REMINDER, locale="nl-BE"))
    assert nl_be.subject == "Eigen onderwerp"
    assert nl_be.text.startswith("Geachte Jan de Vries,")
    en = templates.compose(sample_request(MessageKind.REMINDER, locale="en"))
    assert en.subject == "Reminder: invoice 2026-0042 is overdue"


def test_creditor_override_wins_over_general_override() -> None:
    """``<creditor>/<locale>/...`` beats ``<locale>/...`` for that creditor only."""
    templates = Templates(
        loader=DictLoader(
            {
                "en/reminder.subject.j2": "general",
                "sample/en/reminder.subject.j2": "for the sample creditor",
                "other/en/reminder.subject.j2": "for another creditor",
            }
        )
    )
    message = templates.compose(sample_request(MessageKind.REMINDER, locale="en-GB"))
    assert message.subject == "for the sample creditor"


def test_part_template_replaces_the_layout_for_that_part() -> None:
    """``reminder.sms.j2`` replaces the SMS text only; e-mail keeps the built-in layout."""
    templates = Templates({"en/reminder.sms.j2": "Pay {{ open_amount|money }} now, please."})
    sms = templates.compose(sample_request(MessageKind.REMINDER, channel=Channel.SMS))
    assert sms.text == "Pay €161.00 now, please."
    email = templates.compose(sample_request(MessageKind.REMINDER))
    assert email.text.startswith("Dear Jan de Vries,")


def test_user_layout_restyles_every_kind() -> None:
    """Overriding ``_html.j2`` changes the HTML of every kind of that language."""
    layout = "<main>{% block body %}{% endblock %}</main>"
    templates = Templates({"de/_html.j2": layout})
    for kind in (MessageKind.REMINDER, MessageKind.FINAL_NOTICE):
        html = templates.compose(sample_request(kind, locale="de-DE")).html
        assert html is not None
        assert html.startswith("<main>")


def test_templates_load_from_a_directory(tmp_path: pathlib.Path) -> None:
    """``Templates.from_directory`` reads ``<locale>/<name>`` files from disk."""
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "reminder.subject.j2").write_text("Petit rappel", encoding="utf-8")
    templates = Templates.from_directory(tmp_path)
    message = templates.compose(sample_request(MessageKind.REMINDER, locale="fr-BE"))
    assert message.subject == "Petit rappel"


def test_step_template_falls_back_to_the_kind_template(templates: Templates) -> None:
    """A step naming a template nobody wrote gets its kind's built-in template."""
    import attrs

    request = attrs.evolve(sample_request(MessageKind.REMINDER), template="gentle_reminder")
    assert templates.compose(request).subject == "Reminder: invoice 2026-0042 is overdue"


def test_step_template_is_used_when_it_exists() -> None:
    """A step's own template name is looked up first."""
    import attrs

    templates = Templates({"en/gentle_reminder.subject.j2": "Just a nudge"})
    request = attrs.evolve(sample_request(MessageKind.REMINDER), template="gentle_reminder")
    assert templates.compose(request).subject == "Just a nudge"


def test_user_values_are_escaped_in_html_but_not_in_text(templates: Templates) -> None:
    """A debtor named ``<script>`` is escaped in HTML mail and left as is in the text part."""
    request = sample_request(MessageKind.REMINDER, debtor_name="<script>alert(1)</script> & Co")
    message = templates.compose(request)
    assert message.html is not None
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in message.html
    assert "<script>alert(1)</script> & Co" in message.text


def test_brand_colour_that_is_not_a_colour_is_refused() -> None:
    """A brand colour carrying CSS (``red;background:url(...)``) is refused, not rendered."""
    import attrs

    request = sample_request(MessageKind.REMINDER)
    brand = attrs.evolve(request.creditor.brand, primary_color="red;background:url(x)")
    request = attrs.evolve(request, creditor=attrs.evolve(request.creditor, brand=brand))
    with pytest.raises(TemplateError, match="colour"):
        Templates().compose(request)


def test_money_filter_refuses_what_is_not_money() -> None:
    """``money`` on a number (not an amount) is a clear template error."""
    with pytest.raises(TemplateError, match="money"):
        Templates().preview("{{ 12|money }}", kind=MessageKind.REMINDER, part=TemplatePart.TEXT)


def test_announced_fee_is_formatted_like_other_amounts(templates: Templates) -> None:
    """The announced fee goes through the same locale formatting."""
    import attrs

    request = attrs.evolve(
        sample_request(MessageKind.FINAL_NOTICE, locale="fr-FR"),
        announced_fee=Money("1234.5", "EUR"),
    )
    assert "1\u202f234,50\u00a0€" in templates.compose(request).text


def test_templates_are_a_message_composer() -> None:
    """``Templates`` satisfies the ``MessageComposer`` port the manager uses."""
    from creditflow.render import MessageComposer

    assert isinstance(Templates(), MessageComposer)


def test_edited_template_file_is_picked_up_with_auto_reload(tmp_path: pathlib.Path) -> None:
    """With auto_reload, a template file changed on disk is used at the next message."""
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "reminder.subject.j2"
    path.write_text("first", encoding="utf-8")
    templates = Templates.from_directory(tmp_path, auto_reload=True)
    assert templates.compose(sample_request(MessageKind.REMINDER)).subject == "first"
    path.write_text("second", encoding="utf-8")
    os.utime(path, (path.stat().st_atime + 5, path.stat().st_mtime + 5))
    assert templates.compose(sample_request(MessageKind.REMINDER)).subject == "second"


def test_without_auto_reload_templates_are_read_once(tmp_path: pathlib.Path) -> None:
    """By default a template is loaded once: later edits need a new Templates (a restart)."""
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "reminder.subject.j2"
    path.write_text("first", encoding="utf-8")
    templates = Templates.from_directory(tmp_path)
    assert templates.compose(sample_request(MessageKind.REMINDER)).subject == "first"
    path.write_text("second", encoding="utf-8")
    os.utime(path, (path.stat().st_atime + 5, path.stat().st_mtime + 5))
    assert templates.compose(sample_request(MessageKind.REMINDER)).subject == "first"
    assert (
        Templates.from_directory(tmp_path).compose(sample_request(MessageKind.REMINDER)).subject
        == "second"
    )
