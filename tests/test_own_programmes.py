"""Three programmes written as their coordinators would (tests/data/programmes): their own
column names, separators and values run through ``marraine check`` and ``marraine
match``; every rule is honoured; renaming any column is either refused or named in a
warning, never a silently different matching."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import matching
from matching.cli import app
from matching.errors import InputError
from matching.features import fit_rule
from matching.inputs import rule_columns
from matching.io import file_sha256, read_participants
from matching.model import Programme

PROGRAMMES = Path(__file__).parent / "data" / "programmes"
NAMES = ("lycee", "maroc", "dix-pays")
EXPECTED_WARNINGS = {"lycee": [], "maroc": [], "dix-pays": [("mentee", "how_did_you_hear")]}

runner = CliRunner()


def _files(name: str) -> tuple[Path, Path, Path]:
    folder = PROGRAMMES / name
    return folder / "mentees.csv", folder / "mentors.csv", folder / "programme.toml"


def _rows(path: Path) -> dict[str, dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    rows = list(csv.DictReader(text.splitlines(), delimiter=delimiter))
    first = next(iter(rows[0]))
    return {row[first]: row for row in rows}


def _match(name: str, tmp_path: Path, *extra: str) -> tuple[int, str, Path]:
    mentees, mentors, config = _files(name)
    out = tmp_path / "out"
    args = ["match", "--mentees", str(mentees), "--mentors", str(mentors), "--config", str(config)]
    done = runner.invoke(app, [*args, "--out", str(out), *extra])
    return done.exit_code, done.stderr, out


@pytest.mark.parametrize("name", NAMES)
def test_a_programme_runs_through_the_command_line_with_its_expected_warnings(
    name: str, tmp_path: Path
) -> None:
    code, stderr, out = _match(name, tmp_path)
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    warned = [(w["side"], w["column"]) for w in summary["warnings"]]
    assert warned == EXPECTED_WARNINGS[name]
    for _, column in warned:
        assert column in stderr
    mentees, mentors, config = _files(name)
    assert summary["inputs_sha256"] == {
        "mentees": file_sha256(mentees),
        "mentors": file_sha256(mentors),
        "config": file_sha256(config),
    }
    assert summary["matched"] > 0.6 * summary["mentees"]


@pytest.mark.parametrize("name", NAMES)
def test_check_reports_every_rule_and_exits_0(name: str) -> None:
    mentees, mentors, config = _files(name)
    args = ["check", "--mentees", str(mentees), "--mentors", str(mentors), "--config", str(config)]
    done = runner.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    programme = Programme.from_file(config)
    assert [r["name"] for r in report["rules"]] == [r.name for r in programme.rules]
    assert all(r["status"] == "on" and r["excluded_pairs"] > 0 for r in report["rules"])
    assert all(c[side]["found"] for c in report["criteria"] for side in ("mentee", "mentor"))
    assert report["unread"] == [
        {"side": side, "column": column} for side, column in EXPECTED_WARNINGS[name]
    ]
    text = runner.invoke(app, args)
    assert text.exit_code == 0
    assert all(rule.name in text.stdout for rule in programme.rules)


def _pairs(out: Path) -> list[tuple[str, str]]:
    frame = pd.read_csv(out / "pairs.csv", dtype=str)
    return list(zip(frame["mentee_id"], frame["mentor_id"], strict=True))


def test_the_lycee_rules_are_honoured(tmp_path: Path) -> None:
    code, stderr, out = _match("lycee", tmp_path)
    assert code == 0, stderr
    mentees, mentors = (_rows(path) for path in _files("lycee")[:2])
    pairs = _pairs(out)
    assert len(pairs) > 120  # capacité read: 142 seats among the women
    for girl, marraine in pairs:
        assert mentors[marraine]["genre"] == "femme"
        school = mentees[girl]["établissement"]
        assert school != mentors[marraine]["établissement"]
    load = pd.Series([m for _, m in pairs]).value_counts()
    assert all(load[m] <= int(mentors[m]["capacité"]) for m in load.index)


def test_the_maroc_rules_and_quota_are_honoured(tmp_path: Path) -> None:
    code, stderr, out = _match("maroc", tmp_path)
    assert code == 0, stderr
    mentees, mentors = (_rows(path) for path in _files("maroc")[:2])
    pairs = _pairs(out)
    for mentee, mentor in pairs:
        coop = mentees[mentee]["coopérative"]
        assert not coop or coop != mentors[mentor]["coopérative"]
    members = [k for k, row in mentees.items() if row["statut"] == "coopérative"]
    matched = {mentee for mentee, _ in pairs}
    assert len(matched & set(members)) >= 0.4 * len(members)
    load = pd.Series([m for _, m in pairs]).value_counts()
    assert all(load[m] <= int(mentors[m]["nombre_max"]) for m in load.index)


def test_the_ten_countries_rules_are_honoured(tmp_path: Path) -> None:
    code, stderr, out = _match("dix-pays", tmp_path)
    assert code == 0, stderr
    mentees, mentors = (_rows(path) for path in _files("dix-pays")[:2])
    pairs = _pairs(out)
    for mentee, mentor in pairs:
        assert mentees[mentee]["country"] == mentors[mentor]["country"]
        group = mentees[mentee]["employer_or_group"]
        assert not group or group != mentors[mentor]["employer_or_group"]
    per_mentee = pd.Series([m for m, _ in pairs]).value_counts()
    assert all(per_mentee[m] <= int(mentees[m]["mentors_wanted"]) for m in per_mentee.index)


def test_strict_refuses_the_run_with_a_warning_and_writes_nothing(tmp_path: Path) -> None:
    code, stderr, out = _match("dix-pays", tmp_path, "--strict")
    assert code == 1
    assert "how_did_you_hear" in stderr
    assert not out.exists()


# --------------------------------------------------------------------------- renames


def _columns(name: str) -> list[tuple[str, str]]:
    mentees, mentors, _ = _files(name)
    return [
        (side, column)
        for side, path in (("mentee", mentees), ("mentor", mentors))
        for column in next(iter(_rows(path).values()))
    ]


RENAMES = [(name, side, column) for name in NAMES for side, column in _columns(name)]


@pytest.mark.parametrize(("name", "side", "column"), RENAMES)
def test_renaming_any_column_is_refused_or_named_in_a_warning(
    name: str, side: str, column: str, tmp_path: Path
) -> None:
    mentees_path, mentors_path, config = _files(name)
    programme = Programme.from_file(config)
    paths = {"mentee": mentees_path, "mentor": mentors_path}
    renamed = tmp_path / paths[side].name
    text = paths[side].read_text(encoding="utf-8-sig")
    header, rest = text.split("\n", 1)
    delimiter = ";" if name == "lycee" else ","
    cells = header.split(delimiter)
    cells[cells.index(column)] = f"{column}_old"
    renamed.write_text(delimiter.join(cells) + "\n" + rest, encoding="utf-8-sig")
    paths[side] = renamed
    named = _columns_named(programme, paths["mentee"], paths["mentor"], side)
    assert column in named or f"{column}_old" in named or any(column in n for n in named)


def _columns_named(programme: Programme, mentees: Path, mentors: Path, side: str) -> set[str]:
    """The columns a refusal names, or else the warnings of the run about one side."""
    try:
        result = matching.match(
            read_participants(mentees, "mentee", programme),
            read_participants(mentors, "mentor", programme),
            programme,
        )
    except InputError as refused:
        problems = getattr(refused, "problems", (refused.problem,))
        return {p.column or "" for p in problems} | {str(refused)}
    return {w.column or "" for w in result.warnings if w.side == side}


def test_check_exits_1_naming_a_rule_whose_column_was_renamed(tmp_path: Path) -> None:
    mentees, mentors, config = _files("lycee")
    renamed = tmp_path / "marraines.csv"
    text = mentors.read_text(encoding="utf-8-sig")
    renamed.write_text(text.replace(";genre;", ";sexe;", 1), encoding="utf-8-sig")
    args = ["check", "--mentees", str(mentees), "--mentors", str(renamed), "--config", str(config)]
    done = runner.invoke(app, [*args, "--json"])
    assert done.exit_code == 1
    report = json.loads(done.stdout)
    refused = {r["name"]: r["status"] for r in report["rules"]}
    assert refused == {
        "souhaite_une_marraine": "refused",
        "marraines_femmes": "refused",
        "meme_lycee": "on",
    }
    assert {(p["file"], p["column"]) for p in report["problems"]} == {("marraines.csv", "genre")}
    assert {"side": "mentor", "column": "sexe"} in report["unread"]
    text = runner.invoke(app, args)
    assert text.exit_code == 1
    assert "genre" in text.stdout


def test_a_renamed_capacity_under_the_default_programme_is_named_not_silent(
    tmp_path: Path,
) -> None:
    example = Path(__file__).parents[1] / "examples" / "digital-business"
    mentors = tmp_path / "mentors.csv"
    text = (example / "mentors.csv").read_text(encoding="utf-8")
    mentors.write_text(text.replace(",capacity,", ",capacité,", 1), encoding="utf-8")
    args = ["--mentees", str(example / "mentees.csv"), "--mentors", str(mentors)]
    done = runner.invoke(app, ["match", *args, "--out", str(tmp_path / "out"), "--lang", "fr"])
    assert done.exit_code == 0, done.stderr
    assert "« capacity »" in done.stderr
    assert "« capacité »" in done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert {(w["code"], w["column"]) for w in summary["warnings"]} == {
        ("capacity_absent", "capacity"),
        ("unread_column", "capacité"),
    }


def test_version_needs_no_command() -> None:
    done = runner.invoke(app, ["--version"])
    assert done.exit_code == 0
    assert done.stdout.strip() == f"marraine {matching.__version__}"


def test_a_bad_capacity_cell_is_refused_naming_file_row_and_the_programme_column(
    tmp_path: Path,
) -> None:
    mentees, mentors, config = _files("lycee")
    lines = mentors.read_text(encoding="utf-8-sig").split("\n")
    header = lines[0].split(";")
    cells = lines[3].split(";")
    cells[header.index("capacité")] = "beaucoup"
    cells[header.index("identifiant")] = lines[2].split(";")[header.index("identifiant")]
    lines[3] = ";".join(cells)
    broken = tmp_path / "marraines.csv"
    broken.write_text("\n".join(lines), encoding="utf-8-sig")
    args = ["--mentees", str(mentees), "--mentors", str(broken), "--config", str(config)]
    done = runner.invoke(app, ["match", *args, "--lang", "en", "--out", str(tmp_path / "out")])
    assert done.exit_code == 1
    assert "marraines.csv, row 4, capacité: capacité must be a whole number" in done.stderr
    assert "marraines.csv, row 4, identifiant: duplicate id (first used in row 3)" in done.stderr
    assert "beaucoup" not in done.stderr
    assert not (tmp_path / "out").exists()
    french = runner.invoke(app, ["match", *args, "--out", str(tmp_path / "out")])  # its language
    assert french.exit_code == 1
    assert "marraines.csv, ligne 4, capacité : capacité doit être" in french.stderr


# --------------------------------------------------------------------------- fail safe


def _read(name: str) -> tuple[pd.DataFrame, pd.DataFrame, Programme]:
    mentees, mentors, config = _files(name)
    programme = Programme.from_file(config)
    return (
        read_participants(mentees, "mentee", programme),
        read_participants(mentors, "mentor", programme),
        programme,
    )


RULE_TARGETS = [
    (name, side, column)
    for name in NAMES
    for rule in Programme.from_file(_files(name)[2]).rules
    for side, column in rule_columns(rule)
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(RULE_TARGETS),
    action=st.sampled_from(["rename", "empty", "remove"]),
)
def test_a_damaged_rule_column_never_lets_an_excluded_pair_through_silently(
    target: tuple[str, str, str], action: str
) -> None:
    name, side, column = target
    mentees, mentors, programme = _read(name)
    frames = {"mentee": mentees.copy(), "mentor": mentors.copy()}
    frame = frames[side]
    if action == "rename":
        frames[side] = frame.rename(columns={column: f"{column}_2"})
    elif action == "empty":
        frames[side] = frame.assign(**{column: None})
    else:
        frames[side] = frame.drop(columns=[column])
    try:
        result = matching.match(frames["mentee"], frames["mentor"], programme)
    except InputError as refused:
        named = {p.column or "" for p in getattr(refused, "problems", (refused.problem,))}
        result = None
    if result is None:
        assert column in named
        return
    if column in {w.column for w in result.warnings}:
        return  # announced: an emptied column is named in a warning
    index = {"mentee": pd.Index(mentees["id"]), "mentor": pd.Index(mentors["id"])}
    i = index["mentee"].get_indexer([p.mentee_id for p in result.pairs]).astype(np.int64)
    j = index["mentor"].get_indexer([p.mentor_id for p in result.pairs]).astype(np.int64)
    for rule in programme.rules:
        assert fit_rule(rule, mentees, mentors).pairs(i, j).all(), rule.name


def test_check_reports_each_quota_and_exits_1_when_a_hard_one_cannot_be_met(
    tmp_path: Path,
) -> None:
    mentees, mentors, config = _files("maroc")
    args = ["check", "--mentees", str(mentees), "--config"]
    done = runner.invoke(app, [*args, str(config), "--mentors", str(mentors), "--json"])
    assert done.exit_code == 0, done.stderr
    (quota,) = json.loads(done.stdout)["quotas"]
    assert quota["meetable"]
    assert quota["reachable"] >= quota["required"] > 0
    # Three mentors left: the cooperative members cannot all be matched.
    text = config.read_text(encoding="utf-8")
    assert "min_share" in text
    strict = tmp_path / "programme.toml"
    strict.write_text(
        "\n".join(
            "min_share = 1.0" if line.strip().startswith("min_share") else line
            for line in text.splitlines()
        ),
        encoding="utf-8",
    )
    few = tmp_path / "mentors.csv"
    lines = mentors.read_text(encoding="utf-8-sig").splitlines()
    few.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    refused = runner.invoke(app, [*args, str(strict), "--mentors", str(few), "--json"])
    assert refused.exit_code == 1
    report = json.loads(refused.stdout)
    (quota,) = report["quotas"]
    assert not report["ok"]
    assert not quota["meetable"]
    assert quota["reachable"] < quota["required"] == quota["members"]
    assert quota["limit"]
    words = runner.invoke(app, [*args, str(strict), "--mentors", str(few), "--lang", "fr"])
    assert words.exit_code == 1
    assert f"demande {quota['required']} sur {quota['members']}" in words.stdout
