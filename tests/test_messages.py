"""The message catalogues: complete, compiled, and explanations free of English in French
and Arabic, from the engine to the command line."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from matching import match
from matching.cli import app
from matching.messages import LANGUAGES, LOCALE_DIR, Evidence, negotiate, render, render_why
from matching.model import Programme

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digital-business"
SOURCES = tuple(sorted([*(ROOT / "matching").rglob("*.py"), *(ROOT / "service").rglob("*.py")]))
"""Every module: explanations, the CLI, errors raised anywhere in the engine, and the
service's own refusals said in its error bodies."""
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "Message": None, "plural_message": (1, 2)}

ENGLISH_WORDS = re.compile(
    r"\b(covers|mentor level|need level|through|related|both speak|in common|same|similar|"
    r"apart|hours?|week|allowed|capacity|rules?|excludes|minimum|none of|mentees?)\b"
)


def _source_messages() -> set[str]:
    found = set()
    for path in SOURCES:
        for _, message, _, _ in extract_from_file("python", str(path), keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "marraine.po", "rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_every_message_in_the_code_is_translated(language: str) -> None:
    catalogue = _catalogue(language)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue if m.id and m.string
    }
    missing = _source_messages() - set(translated)
    assert not missing, f"untranslated in {language}: {sorted(missing)}"
    stale = set(translated) - _source_messages()
    assert not stale, f"stale in {language}: {sorted(stale)}"
    for message in translated.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: a plural form is empty for {message.id!r}"
        assert len(strings) in (1, catalogue.num_plurals)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_translations_keep_the_placeholders(language: str) -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for message in _catalogue(language):
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        strings = (message.string,) if isinstance(message.string, str) else message.string
        allowed = set().union(*(fields(i) for i in ids))
        for text in strings:
            assert fields(text) <= allowed, (language, message.id, text)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_compiled_catalogues_match_their_sources(language: str) -> None:
    """A fresh clone works without a compile step: the .mo beside each .po is current."""
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "marraine.mo", "rb") as handle:
        compiled = read_mo(handle)

    def table(catalogue):  # type: ignore[no-untyped-def]
        return {
            (m.id if isinstance(m.id, str) else tuple(m.id)): (
                m.string if isinstance(m.string, str) else tuple(m.string)
            )
            for m in catalogue
            if m.id
        }

    assert table(compiled) == table(_catalogue(language))


def test_plural_forms_follow_each_language() -> None:
    one = Evidence("none_allowed", values={"total": 1})
    two = Evidence("none_allowed", values={"total": 2})
    many = Evidence("none_allowed", values={"total": 30})
    assert render(one) == "the only mentor is not allowed for her"
    assert render(many) == "none of the 30 mentors is allowed for her"
    assert render(many, "fr") == "aucun des 30 mentors n'est possible pour elle"
    assert render(one, "ar") != render(two, "ar") != render(many, "ar")
    hours = Evidence("hours", values={"hours": 1.5})
    assert render(hours, "fr") == "1,5 heure par semaine en commun"


def test_accept_language_is_negotiated() -> None:
    assert negotiate("fr-MA,fr;q=0.9,en;q=0.8") == "fr"
    assert negotiate("de-DE, ar;q=0.5, en;q=0.4") == "ar"
    assert negotiate("en;q=0, fr;q=0.1") == "fr"
    assert negotiate("de") == "en"
    assert negotiate(None, default="fr") == "fr"
    assert negotiate("fr;q=abc, ar") == "ar"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        render_why([Evidence("hours", values={"hours": 2})], "de")


def _example(language: str) -> tuple[list[str], list[str]]:
    programme = Programme.from_file(EXAMPLE / "programme.toml")
    mentees = pd.read_csv(EXAMPLE / "mentees.csv", dtype=str)
    mentors = pd.read_csv(EXAMPLE / "mentors.csv", dtype=str)
    # Fewer seats than mentees, so that some details are written too.
    mentors["capacity"] = "1"
    result = match(mentees, mentors, programme, language=language)  # type: ignore[arg-type]
    return [p.why for p in result.pairs], [u.detail for u in result.unmatched]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_example_explains_every_pair_without_english(language: str) -> None:
    why, details = _example(language)
    assert why
    assert details
    for text in [*why, *details]:
        assert not ENGLISH_WORDS.search(text), text
        assert not re.search(r"[a-z]+_[a-z]+", text), text  # no raw value code
        if language == "ar":
            assert not re.search(r"[A-Za-z]", text), text


def test_a_result_renders_again_in_another_language() -> None:
    programme = Programme.from_file(EXAMPLE / "programme.toml")
    mentees = pd.read_csv(EXAMPLE / "mentees.csv", dtype=str)
    mentors = pd.read_csv(EXAMPLE / "mentors.csv", dtype=str)
    english = match(mentees, mentors, programme)
    french = english.in_language("fr")
    assert [p.why for p in french.pairs] == [
        p.why for p in match(mentees, mentors, programme, language="fr").pairs
    ]
    assert french.pairs[0].why != english.pairs[0].why
    assert render_why(french.pairs[0].evidence, "en") == english.pairs[0].why
    assert [Evidence.from_dict(e.to_dict()) for e in english.pairs[0].evidence] == list(
        english.pairs[0].evidence
    )


@pytest.mark.parametrize(("language", "heading"), [("fr", "mentorées"), ("ar", "المستفيدات")])
def test_cli_lang_writes_explanations_and_summary_in_that_language(
    tmp_path: Path, language: str, heading: str
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "match",
            "--mentees",
            str(EXAMPLE / "mentees.csv"),
            "--mentors",
            str(EXAMPLE / "mentors.csv"),
            "--config",
            str(EXAMPLE / "programme.toml"),
            "--lang",
            language,
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert heading in result.output
    pairs = pd.read_csv(tmp_path / "pairs.csv")
    assert not any(ENGLISH_WORDS.search(text) for text in pairs["why"])


def test_programme_language_sets_the_files_language(tmp_path: Path) -> None:
    text = (EXAMPLE / "programme.toml").read_text(encoding="utf-8")
    config = tmp_path / "programme.toml"
    config.write_text(text.replace('language = "en"', 'language = "fr"'), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "match",
            "--mentees",
            str(EXAMPLE / "mentees.csv"),
            "--mentors",
            str(EXAMPLE / "mentors.csv"),
            "--config",
            str(config),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "pairs.csv")["why"].str.contains("couvre").any()


def test_cli_refuses_an_unknown_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--mentees", "20", "--lang", "de"])
    assert result.exit_code != 0
    assert "de" in result.output


def test_languages_are_the_three_of_the_programmes() -> None:
    assert set(LANGUAGES) == {"en", "fr", "ar"}


def test_cli_errors_are_framed_in_the_chosen_language(tmp_path: Path) -> None:
    mentees = tmp_path / "mentees.csv"
    mentees.write_text("id,needs\n,seo\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "match",
            "--mentees",
            str(mentees),
            "--mentors",
            str(EXAMPLE / "mentors.csv"),
            "--lang",
            "fr",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert "erreur :" in result.output
    assert "Rien n'a été écrit." in result.output
    assert not (tmp_path / "out").exists()


def test_demo_summary_names_recruitment_gaps_with_the_programme_labels(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["demo", "--mentees", "300", "--mentors", "12", "--lang", "fr", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    # One gap a line, wrapped by the console: rejoined, then the need and language read.
    text = " ".join(result.output.split())
    recruit = [part.split("fichiers écrits")[0] for part in text.split("à recruter")[1:]]
    assert recruit
    for line in recruit:
        need = line.split("besoin de", 1)[1]
        assert not re.search(r"[a-z]+_[a-z]+", need), line
        assert " en " in need
    details = pd.read_csv(tmp_path / "unmatched.csv")["detail"]
    assert not any(ENGLISH_WORDS.search(text) for text in details)
