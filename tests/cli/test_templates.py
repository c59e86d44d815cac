"""``creditflow templates check`` and ``preview``: the template editor's back end in a terminal."""

from __future__ import annotations

import pathlib
import shutil

import pytest

import creditflow.render
from creditflow.cli import main

BUILT_INS = pathlib.Path(creditflow.render.__file__).parent / "templates"

REMINDER = """{% set numbers = invoices|map(attribute="number")|join(", ") %}
{% extends layout %}
{% block subject %}Herinnering: factuur {{ numbers }}{% endblock %}
{% block body %}
Wij hebben uw betaling van {{ open_amount|money }} nog niet ontvangen.
{% endblock %}
"""


def write(folder: pathlib.Path, name: str, source: str) -> pathlib.Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def check(folder: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["templates", "check", str(folder)])
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


class TestCheck:
    def test_valid_templates_pass_with_exit_0(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A kind template and a part template in place are reported ok."""
        write(tmp_path, "nl/reminder.j2", REMINDER)
        write(tmp_path, "acme/de/reminder.subject.j2", "Zahlungserinnerung {{ invoice.number }}")
        code, out, _ = check(tmp_path, capsys)
        assert code == 0, out
        assert f"{tmp_path / 'nl' / 'reminder.j2'}: ok (reminder, every part)" in out
        assert "reminder.subject.j2: ok (reminder, subject)" in out
        assert "2 template files checked, all valid." in out

    def test_copied_built_ins_are_all_valid(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every built-in template, copied as a starting point, passes the check."""
        shutil.copytree(BUILT_INS, tmp_path / "templates")
        code, out, err = check(tmp_path / "templates", capsys)
        assert code == 0, out + err
        assert "all valid" in out

    def test_syntax_error_names_file_and_line_and_exits_3(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unclosed tag is reported as file:line with Jinja's explanation."""
        broken = write(tmp_path, "nl/reminder.text.j2", "Beste {{ debtor.name }},\n{% if x %}\n")
        code, out, err = check(tmp_path, capsys)
        assert code == 3
        assert f"{broken}:2: syntax error" in out
        assert "1 of 1 template files are invalid" in err

    def test_unknown_variables_are_listed_with_their_lines(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every variable the kind does not offer is reported on its own line."""
        path = write(
            tmp_path, "en/reminder.text.j2", "{{ amount_due }}\n{{ debtor.name }}\n{{ foo }}\n"
        )
        code, out, _ = check(tmp_path, capsys)
        assert code == 3
        assert f"{path}:1: unknown variable 'amount_due'" in out
        assert f"{path}:3: unknown variable 'foo'" in out

    def test_unknown_attribute_is_found_by_rendering(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A misspelt attribute is caught by the render with sample data, with its line."""
        path = write(
            tmp_path, "fr/reminder.text.j2", "Bonjour {{ debtor.name }},\n{{ debtor.nickname }}\n"
        )
        code, out, _ = check(tmp_path, capsys)
        assert code == 3
        assert f"{path}:2:" in out
        assert "nickname" in out

    def test_missing_legally_required_variables_in_a_14_day_letter(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A 14-day letter without the costs and the last day to pay is refused."""
        path = write(
            tmp_path,
            "acme/nl/fourteen_day_letter.letter.j2",
            "Geachte {{ debtor.name }},\nBetaal {{ open_amount|money }}.\n",
        )
        code, out, _ = check(tmp_path, capsys)
        assert code == 3
        assert f"{path}:1: a fourteen_day_letter must show 'announced_fee'" in out
        assert f"{path}:1: a fourteen_day_letter must show 'pay_by'" in out

    def test_a_broken_layout_is_blamed_not_the_kind_template_using_it(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An error in the user's layout is reported in the layout, with the layout's line."""
        write(tmp_path, "nl/reminder.j2", REMINDER)
        layout = write(
            tmp_path,
            "nl/_sms.j2",
            "{{ brand.name }}: {% block sms %}{% endblock %}\n{{ creditor.foo }}\n",
        )
        code, out, _ = check(tmp_path, capsys)
        assert code == 3
        assert f"{layout}:2: " in out
        assert "has no attribute 'foo'" in out
        assert f"{tmp_path / 'nl' / 'reminder.j2'}: ok" in out

    def test_a_partial_the_built_in_layouts_cannot_use(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An empty ``_phrases.j2`` is blamed, naming the built-in layout that needs its macros."""
        phrases = write(tmp_path, "nl/_phrases.j2", "{# nothing yet #}\n")
        code, out, _ = check(tmp_path, capsys)
        assert code == 3
        assert f"{phrases}: the built-in template en/_html.j2 fails with it" in out
        assert "no attribute 'greeting'" in out

    def test_sandbox_refusals_are_problems(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Python internals are refused in user templates, as the manager refuses them."""
        path = write(tmp_path, "en/reminder.subject.j2", "Hi\n{{ ''.__class__.__mro__ }}")
        code, out, _ = check(tmp_path, capsys)
        assert code == 3
        assert f"{path}:2: not allowed" in out

    def test_misplaced_and_misnamed_files(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Files where creditflow never looks, and unknown parts, are reported."""
        write(tmp_path, "reminder.j2", REMINDER)
        write(tmp_path, "nl/reminder.pdf.j2", "x")
        code, out, _ = check(tmp_path, capsys)
        assert code == 3
        assert "creditflow does not look here" in out
        assert "'pdf' is not a part of a message" in out

    def test_own_templates_are_checked_as_the_kind_given(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A template of the user's own name is checked as --kind (the legal content included)."""
        write(tmp_path, "nl/strict_letter.letter.j2", "Betaal {{ open_amount|money }}.\n")
        assert main(["templates", "check", str(tmp_path)]) == 0
        assert "own template, checked as a reminder" in capsys.readouterr().out
        code = main(["templates", "check", str(tmp_path), "--kind", "fourteen_day_letter"])
        assert code == 3
        assert "must show 'pay_by'" in capsys.readouterr().out

    @pytest.mark.parametrize("make", ["missing", "empty"])
    def test_no_folder_or_no_templates_is_bad_input(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], make: str
    ) -> None:
        """A folder that does not exist, or holds no templates, is one sentence and exit 3."""
        folder = tmp_path / "templates"
        if make == "empty":
            folder.mkdir()
        code, _, err = check(folder, capsys)
        assert code == 3
        assert ("does not exist" if make == "missing" else "there are no templates") in err
        assert "Traceback" not in err


class TestPreview:
    def test_a_built_in_kind_in_a_locale(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Subject and text of the Dutch reminder, with sample data."""
        assert main(["templates", "preview", "reminder", "--locale", "nl-NL"]) == 0
        out = capsys.readouterr().out
        assert "--- subject ---\nHerinnering: factuur 2026-0042" in out
        assert "--- text ---\nGeachte Jan de Vries," in out

    def test_one_part_alone_for_redirecting(self, capsys: pytest.CaptureFixture[str]) -> None:
        """With one --part only that part is printed: ``--part html > preview.html``."""
        assert main(["templates", "preview", "reminder", "--part", "html", "--grouped"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("<!DOCTYPE html>")
        assert "2026-0057" in out  # the second invoice of the grouped sample

    def test_the_users_folder_overrides_the_built_ins(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A folder's template is found through the locale chain (nl-BE → nl) and creditor."""
        write(tmp_path, "nl/reminder.subject.j2", "Algemeen {{ invoice.number }}")
        write(tmp_path, "acme/nl/reminder.subject.j2", "Acme {{ invoice.number }}")
        arguments = [
            "templates",
            "preview",
            "reminder",
            "--dir",
            str(tmp_path),
            "--part",
            "subject",
        ]
        assert main([*arguments, "--locale", "nl-BE"]) == 0
        assert capsys.readouterr().out == "Algemeen 2026-0042\n"
        assert main([*arguments, "--locale", "nl-BE", "--creditor", "acme"]) == 0
        assert capsys.readouterr().out == "Acme 2026-0042\n"

    def test_a_file_being_edited(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A .j2 path is previewed as its kind and part (from the file name)."""
        draft = write(
            tmp_path, "drafts/reminder.sms.j2", "{{ brand.name }}: pay {{ open_amount|money }}"
        )
        assert main(["templates", "preview", str(draft), "--locale", "de-DE"]) == 0
        assert capsys.readouterr().out == "Voorbeeld Energie: pay 161,00\xa0€\n"

    def test_own_template_names_must_exist(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A name that is not a kind and has no file is refused instead of silently falling back."""
        write(tmp_path, "en/gentle_reminder.j2", REMINDER.replace("Herinnering", "Gentle"))
        assert main(["templates", "preview", "gentle_reminder", "--dir", str(tmp_path)]) == 0
        assert "Gentle: factuur" in capsys.readouterr().out
        assert main(["templates", "preview", "gentel_reminder", "--dir", str(tmp_path)]) == 3
        assert "there is no template 'gentel_reminder'" in capsys.readouterr().err

    def test_a_broken_template_is_one_sentence_with_file_and_line(
        self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A render error names the template file and its line; exit 3."""
        write(tmp_path, "en/reminder.text.j2", "Dear {{ debtor.name }},\n{{ debtor.nickname }}\n")
        assert main(["templates", "preview", "reminder", "--dir", str(tmp_path)]) == 3
        err = " ".join(capsys.readouterr().err.split())
        assert "reminder.text.j2, line 2" in err
        assert "nickname" in err
        assert "Traceback" not in err
