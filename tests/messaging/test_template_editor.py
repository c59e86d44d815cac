"""The template editor API: variables, validation with line numbers, preview, and the sandbox."""

from __future__ import annotations

import pytest

import creditflow as cf
from creditflow import MessageKind
from creditflow.errors import TemplateError, ValidationError
from creditflow.render import TemplatePart, Templates


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


def test_variables_list_what_a_kind_offers_and_what_the_law_requires(
    templates: Templates,
) -> None:
    """The 14-day letter marks ``announced_fee`` and ``pay_by`` required; a reminder marks none."""
    letter = {v.name: v for v in templates.variables(MessageKind.FOURTEEN_DAY_LETTER)}
    assert letter["announced_fee"].required
    assert letter["pay_by"].required
    assert not letter["debtor"].required
    assert {"creditor", "brand", "invoices", "payment_url", "transfer"} <= set(letter)
    assert not any(v.required for v in templates.variables(MessageKind.REMINDER))
    assert all(v.description for v in templates.variables(MessageKind.REMINDER))


def test_template_error_is_a_validation_error() -> None:
    """Template errors are caught by code that catches ValidationError or ValueError."""
    assert issubclass(TemplateError, ValidationError)
    assert issubclass(TemplateError, ValueError)


def test_syntax_error_names_its_line(templates: Templates) -> None:
    """A syntax error is reported with its line number."""
    source = "Dear {{ debtor.name }},\n\n{% if open_amount %}\nPay now.\n"
    with pytest.raises(TemplateError, match="syntax error") as caught:
        templates.validate(source, kind=MessageKind.REMINDER, part=TemplatePart.TEXT)
    assert caught.value.lineno == 4


def test_unknown_variable_names_its_line(templates: Templates) -> None:
    """A variable the kind does not offer is reported with the line it is on."""
    source = "Dear {{ debtor.name }},\n\nYou owe {{ amount_due }}.\n"
    with pytest.raises(TemplateError, match="unknown variable 'amount_due'") as caught:
        templates.validate(source, kind=MessageKind.REMINDER, part=TemplatePart.TEXT)
    assert caught.value.lineno == 3


def test_all_problems_are_listed_in_order(templates: Templates) -> None:
    """Several unknown variables are all reported, first line first."""
    source = "{{ foo }}\n{{ debtor.name }}\n{{ bar }}\n"
    with pytest.raises(TemplateError) as caught:
        templates.validate(source, kind=MessageKind.REMINDER, part=TemplatePart.TEXT)
    assert caught.value.problems == (
        (1, "unknown variable 'foo'"),
        (3, "unknown variable 'bar'"),
    )


def test_fourteen_day_letter_without_the_fee_is_refused(templates: Templates) -> None:
    """A 14-day letter that does not show the collection costs fails validation."""
    source = "Please pay {{ open_amount|money }} by {{ pay_by|date }}.\n"
    with pytest.raises(TemplateError, match="must show 'announced_fee'"):
        templates.validate(source, kind=MessageKind.FOURTEEN_DAY_LETTER, part=TemplatePart.LETTER)


def test_fourteen_day_letter_subject_need_not_show_the_fee(templates: Templates) -> None:
    """The legal content is required in the body, not in the subject."""
    templates.validate(
        "Final reminder: {{ invoice.number }}",
        kind=MessageKind.FOURTEEN_DAY_LETTER,
        part=TemplatePart.SUBJECT,
    )


def test_unknown_attribute_is_found_by_rendering_sample_data(templates: Templates) -> None:
    """``debtor.nmae`` is caught by rendering with sample data, with its line."""
    source = "Hello,\n\nDear {{ debtor.nmae }}\n"
    with pytest.raises(TemplateError, match="nmae") as caught:
        templates.validate(source, kind=MessageKind.REMINDER, part=TemplatePart.TEXT)
    assert caught.value.lineno == 3


@pytest.mark.parametrize("locale", ["nl", "en", "de", "fr"])
@pytest.mark.parametrize("kind", list(MessageKind), ids=lambda k: k.value)
def test_every_builtin_kind_template_passes_validation(
    templates: Templates, kind: MessageKind, locale: str
) -> None:
    """The shipped templates pass the same validation as a user's (legal content included)."""
    from jinja2 import PackageLoader

    source, _, _ = PackageLoader("creditflow.render", "templates").get_source(
        templates.environment("sample", locale, autoescape=False), f"{locale}/{kind.value}.j2"
    )
    templates.validate(source, kind=kind, locale=locale)


def test_preview_renders_with_sample_data(templates: Templates) -> None:
    """Preview shows a template with realistic sample data, in the chosen locale."""
    out = templates.preview(
        "{{ debtor.name }} owes {{ open_amount|money }} for {{ invoice.number }}",
        kind=MessageKind.REMINDER,
        part=TemplatePart.TEXT,
        locale="nl-NL",
    )
    assert out.startswith("Jan de Vries owes € 161,00 for 2026-0042".replace(" 1", "\xa01"))


def test_preview_of_a_kind_template_uses_the_layout(templates: Templates) -> None:
    """A kind template with blocks previews inside the built-in layout of the part."""
    html = templates.preview(
        "{% extends layout %}{% block body %}Hello <b>{{ debtor.name }}</b>{% endblock %}",
        kind=MessageKind.REMINDER,
        part=TemplatePart.HTML,
    )
    assert "<p>Hello <b>Jan de Vries</b></p>" in html
    assert "<!DOCTYPE html>" in html


def test_template_names_list_the_builtins(templates: Templates) -> None:
    """The built-in templates can be listed, e.g. to copy one as a starting point."""
    names = set(templates.template_names())
    assert "nl/fourteen_day_letter.j2" in names
    assert "en/_html.j2" in names


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("{{ ''.__class__.__mro__ }}", "not allowed"),
        ("{{ debtor.__init__.__globals__ }}", "not allowed"),
        ("{{ open_amount._amount }}", "not allowed"),
        ("{{ creditor.__class__ }}", "not allowed"),
        ("{% set items = [] %}{{ items.append(1) }}", "not allowed"),
        ("{% include '/etc/passwd' %}", "not found"),
        ("{% include '../../../../etc/passwd' %}", "not found"),
        ("{% extends 'C:/Windows/win.ini' %}", "not found"),
    ],
    ids=["mro", "globals", "private", "class", "mutation", "abs-path", "dotdot", "drive"],
)
def test_sandbox_refuses_unsafe_templates(templates: Templates, source: str, match: str) -> None:
    """Python internals, private attributes, mutation and reading files are refused clearly."""
    with pytest.raises(TemplateError, match=match):
        templates.preview(source, kind=MessageKind.REMINDER, part=TemplatePart.TEXT)
    with pytest.raises(TemplateError):
        templates.validate(source, kind=MessageKind.REMINDER, part=TemplatePart.TEXT)


def test_sandbox_error_in_a_user_template_names_its_line() -> None:
    """A refused expression in a stored user template is reported with template and line."""
    from creditflow.render import sample_request

    templates = Templates({"en/reminder.subject.j2": "Hi\n{{ ''.__class__ }}"})
    with pytest.raises(TemplateError, match=r"reminder\.subject\.j2") as caught:
        templates.compose(sample_request(MessageKind.REMINDER))
    assert caught.value.lineno == 2


def test_a_problem_in_a_layout_file_is_reported_in_the_layout(tmp_path) -> None:
    """Validating a kind template names the user's layout file and line where rendering failed."""
    from creditflow.render import sample_request

    (tmp_path / "en").mkdir()
    layout = tmp_path / "en" / "_sms.j2"
    layout.write_text("{% block sms %}{% endblock %}\n{{ creditor.foo }}\n")
    templates = Templates.from_directory(tmp_path)
    source = "{% extends layout %}{% block sms %}Pay {{ open_amount|money }}{% endblock %}"
    with pytest.raises(TemplateError) as caught:
        templates.validate(source, kind=MessageKind.REMINDER)
    assert caught.value.template_name == str(layout)
    assert caught.value.lineno == 2
    with pytest.raises(TemplateError, match="_sms.j2, line 2") as composed:
        templates.compose(sample_request(MessageKind.REMINDER, channel=cf.Channel.SMS))
    assert composed.value.template_name == str(layout)


def test_a_problem_in_the_template_itself_names_no_other_file(tmp_path) -> None:
    """``template_name`` stays None when the source being validated is to blame."""
    templates = Templates.from_directory(tmp_path)
    with pytest.raises(TemplateError) as caught:
        templates.validate(
            "Hi\n{{ debtor.nickname }}", kind=MessageKind.REMINDER, part=TemplatePart.TEXT
        )
    assert caught.value.template_name is None
    assert caught.value.lineno == 2
