"""Errors and warnings in French, Arabic and English: the engine keeps each as data (a
catalogue message and the values it names), ``str()`` stays English for logs, and the
command line says it in the reader's language, naming file, row and column."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import matching
from matching.cli import app
from matching.errors import ConfigError, InputErrors, Problem, RuleError
from matching.messages import Message, plural_message, render_message

runner = CliRunner()

ENGLISH = re.compile(
    r"\b(error|row|column|must|whole number|from \d+ to|Nothing|written|setting|or more|"
    r"problems?|the|is|not|no)\b"
)
"""Words of the English messages that no French or Arabic text of them contains."""

PROGRAMME = """\
language = "en"

[fields.mentee]
id = "identifiant"

[fields.mentor]
id = "identifiant"
capacity = "capacité"

[[criteria]]
name = "besoins"
kind = "needs"
mentee_field = "besoins"
mentor_field = "compétences"
weight = 1.0
"""


def _files(tmp_path: Path) -> dict[str, Path]:
    """A semicolon CSV with French headings whose mentor on row 3 offers -2 seats."""
    mentees = tmp_path / "inscrites.csv"
    mentees.write_text("identifiant;besoins\nf1;site_web\nf2;comptabilité\n", encoding="utf-8")
    mentors = tmp_path / "marraines.csv"
    mentors.write_text(
        "identifiant;compétences;capacité\nm1;site_web;2\nm2;comptabilité;-2\n", encoding="utf-8"
    )
    config = tmp_path / "programme.toml"
    config.write_text(PROGRAMME, encoding="utf-8")
    return {"mentees": mentees, "mentors": mentors, "config": config}


def _match(files: dict[str, Path], *extra: str) -> tuple[int, str]:
    args = ["match", *(f"--{name}={path}" for name, path in files.items()), *extra]
    result = runner.invoke(app, [*args, "--out", str(files["config"].parent / "out")])
    return result.exit_code, " ".join(result.output.split())  # Rich wraps long lines


@pytest.mark.parametrize(
    ("language", "where"),
    [
        ("fr", "marraines.csv, ligne 3, capacité :"),
        ("ar", "marraines.csv، الصف 3، capacité:"),
    ],
)
def test_a_bad_cell_is_said_in_the_chosen_language_with_file_row_and_column(
    tmp_path: Path, language: str, where: str
) -> None:
    files = _files(tmp_path)
    code, output = _match(files, f"--lang={language}")
    assert code == 1
    assert where in output
    assert "Traceback" not in output
    assert not ENGLISH.search(output), output
    assert "-2" not in output  # the cell's content is never echoed
    assert not (tmp_path / "out").exists()
    code, english = _match(files)
    assert code == 1
    assert "marraines.csv, row 3, capacité: capacité must be a whole number from 0 to" in english


def test_the_programme_language_is_used_once_the_programme_is_read(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files["config"].write_text(PROGRAMME.replace('"en"', '"fr"'), encoding="utf-8")
    code, output = _match(files)
    assert code == 1
    assert "ligne 3" in output
    assert not ENGLISH.search(output), output


@pytest.mark.parametrize(
    ("language", "reason"), [("fr", "doit valoir au moins 0"), ("ar", "يجب أن يكون 0")]
)
def test_an_invalid_programme_names_its_key_in_the_chosen_language(
    tmp_path: Path, language: str, reason: str
) -> None:
    files = _files(tmp_path)
    files["config"].write_text(PROGRAMME.replace("weight = 1.0", "weight = -1.0"), encoding="utf-8")
    code, output = _match(files, f"--lang={language}")
    assert code == 1
    assert "programme.toml" in output.replace(" ", "")  # Rich breaks a long path anywhere
    assert "criteria.0.needs.weight" in output
    assert reason in output
    assert not ENGLISH.search(output.replace("criteria.0.needs.weight", "")), output
    code, english = _match(files)
    assert "criteria.0.needs.weight: must be 0.0 or more" in english


@pytest.mark.parametrize(
    ("language", "unknown", "place"),
    [
        ("fr", "réglage inconnu", "ligne 16, colonne 11"),
        ("ar", "إعداد غير معروف", "السطر 16، العمود 11"),
    ],
)
def test_an_unknown_setting_and_a_syntax_error_are_said_in_the_language(
    tmp_path: Path, language: str, unknown: str, place: str
) -> None:
    files = _files(tmp_path)
    files["config"].write_text("colour = 3\n" + PROGRAMME, encoding="utf-8")
    code, output = _match(files, f"--lang={language}")
    assert (code, unknown in output) == (1, True), output
    files["config"].write_text(PROGRAMME + "[[criteria]\n", encoding="utf-8")
    code, output = _match(files, f"--lang={language}")
    assert code == 1
    assert place in output
    assert "(syntax)" not in output  # the place is said in the language too
    assert not ENGLISH.search(output), output


def _problems(count: int) -> InputErrors:
    return InputErrors(
        [Problem("a.csv", row, "capacité", Message("the id is empty")) for row in range(count)]
    )


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [
        ("en", "(and 1 more problem)", "(and 3 more problems)"),
        ("fr", "(et 1 autre problème)", "(et 3 autres problèmes)"),
        ("ar", "(ومشكلة أخرى)", "(و3 مشاكل أخرى)"),
    ],
)
def test_counts_take_the_plural_forms_of_each_language(language: str, one: str, three: str) -> None:
    assert _problems(2).render(language).endswith(one)
    assert _problems(4).render(language).endswith(three)
    locked = {
        count: RuleError(
            plural_message(
                "{count} locked pair is also forbidden or a previous pair",
                "{count} locked pairs are also forbidden or previous pairs",
                count,
            )
        ).render(language)
        for count in (1, 2, 3, 11)
    }
    forms = {re.sub(r"\d+", "N", text) for text in locked.values()}
    assert len(forms) == (4 if language == "ar" else 2)  # Arabic: one, two, few, many


def test_str_stays_english_and_the_message_is_data_that_survives_json() -> None:
    error = _problems(4)
    assert str(error) == "a.csv, row 0, capacité: the id is empty (and 3 more problems)"
    assert error.reason == "the id is empty"
    assert (error.file, error.row, error.column) == ("a.csv", 0, "capacité")
    again = Message.from_dict(error.message.to_dict())
    assert again == error.message
    assert render_message(again, "fr") == error.render("fr")
    assert render_message(again, "fr").startswith("a.csv, ligne 0, capacité : l'identifiant")


def test_a_run_error_from_the_engine_is_said_in_every_language() -> None:
    mentees = [{"id": "a"}, {"id": "b"}]
    mentors = [{"id": "m", "capacity": 2}]
    with pytest.raises(matching.RuleError) as caught:
        matching.match(
            mentees,
            mentors,
            scores=_scores(),
            locked=[("a", "m"), ("b", "m")],
            forbidden=[("a", "m"), ("b", "m")],
        )
    assert str(caught.value) == "2 locked pairs are also forbidden or previous pairs"
    assert caught.value.render("fr") == (
        "2 paires verrouillées sont aussi interdites ou déjà formées"
    )
    assert caught.value.render("ar") == "زوجان مثبّتان ممنوعان أيضًا أو سابقان"


def _scores() -> pd.DataFrame:
    return pd.DataFrame({"mentee_id": ["a", "b"], "mentor_id": ["m", "m"], "score": [0.5, 0.4]})


def test_warnings_are_said_in_the_language_and_name_the_file(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files["mentors"].write_text(
        "identifiant;compétences;capacité;bureau\nm1;site_web;2;x\nm2;comptabilité;1;y\n",
        encoding="utf-8",
    )
    code, output = _match(files, "--lang=fr")
    assert code == 0, output
    assert "colonne « bureau » de marraines.csv n'est lue par rien" in output


def test_an_error_crosses_processes_whole() -> None:
    """A Dask worker's error reaches the caller with its fields and message."""
    errors = [
        _problems(3),
        ConfigError("criteria.0.weight", Message("must be {limit} or more", limit=0), "p.toml"),
        RuleError(Message("the 'stable' objective cannot honour quotas")),
    ]
    for error in errors:
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert again.render("ar") == error.render("ar")
        assert again.__dict__.keys() == error.__dict__.keys()


def test_a_missing_programme_file_is_said_in_the_language(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files["config"] = tmp_path / "absent.toml"
    code, output = _match(files, "--lang=fr")
    assert code == 1
    assert "(fichier) : fichier introuvable" in output
    code, output = _match(files)
    assert "(file): file not found" in output
