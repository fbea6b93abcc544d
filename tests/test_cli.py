"""The ``marraine`` command as a user runs it: files in, the three output files out, exact
optimum on precomputed scores, and bad input refused with file, row and column."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from matching.cli import app
from tests.oracle import optimum

runner = CliRunner()

SUMMARY_KEYS = {
    "objective",
    "total_score",
    "upper_bound",
    "gap",
    "mentees",
    "mentors",
    "matched",
    "unmatched",
    "criteria",
    "seconds",
    "config_sha256",
    "version",
}


def _write_instance(folder: Path, seed: int, n: int, m: int, density: float) -> pd.DataFrame:
    """Random mentees/mentors/scores files; returns the scores table."""
    rng = np.random.default_rng(seed)
    mentees = pd.DataFrame({"id": [f"e{i:03d}" for i in range(n)]})
    mentees["demand"] = rng.choice([1, 1, 1, 2], size=n)
    mentors = pd.DataFrame({"id": [f"r{j:02d}" for j in range(m)]})
    mentors["capacity"] = rng.integers(0, 4, size=m)
    pairs = [(i, j) for i in range(n) for j in range(m) if rng.random() < density]
    scores = pd.DataFrame(
        {
            "mentee_id": [mentees.id[i] for i, _ in pairs],
            "mentor_id": [mentors.id[j] for _, j in pairs],
            # few distinct values: ties are where determinism and "fair" get tested
            "score": rng.choice(np.round(rng.random(6), 3), size=len(pairs)),
        }
    )
    mentees.to_csv(folder / "mentees.csv", index=False)
    mentors.to_csv(folder / "mentors.csv", sep=";", index=False)
    scores.sample(frac=1.0, random_state=seed).to_csv(folder / "scores.csv", index=False)
    return scores.assign(mentee_idx=[i for i, _ in pairs], mentor_idx=[j for _, j in pairs]).merge(
        mentees, left_on="mentee_id", right_on="id"
    )


@pytest.mark.parametrize("objective", ["coverage", "total", "fair"])
@pytest.mark.parametrize("seed", range(6))
def test_match_scores_reaches_the_exact_optimum(tmp_path: Path, objective: str, seed: int) -> None:
    n, m = 8 + seed * 3, 3 + seed
    scores = _write_instance(tmp_path, seed, n, m, density=0.5)
    out = tmp_path / "out"
    args = ["match", "--scores", str(tmp_path / "scores.csv"), "--objective", objective]
    args += ["--mentees", str(tmp_path / "mentees.csv"), "--mentors", str(tmp_path / "mentors.csv")]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output

    mentees = pd.read_csv(tmp_path / "mentees.csv")
    mentors = pd.read_csv(tmp_path / "mentors.csv", sep=";")
    best = optimum(
        scores.mentee_idx.to_numpy(),
        scores.mentor_idx.to_numpy(),
        scores.score.to_numpy(),
        mentees.demand.to_numpy(),
        mentors.capacity.to_numpy(),
        objective,
    )
    summary = json.loads((out / "summary.json").read_text())
    pairs = pd.read_csv(out / "pairs.csv", dtype={"mentee_id": str, "mentor_id": str})
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["objective"] == objective
    assert len(pairs) == best.matched
    assert summary["total_score"] == pytest.approx(best.total, rel=1e-6, abs=1e-9)
    assert pairs.score.sum() == pytest.approx(best.total, rel=1e-6, abs=1e-9)
    if objective == "fair" and best.min_score is not None:
        assert pairs.score.min() == pytest.approx(best.min_score, abs=1e-9)
    assert summary["gap"] <= 1e-6
    # every pair is allowed, with its given score, within capacities and demands
    given = scores.set_index(["mentee_id", "mentor_id"]).score
    assert np.allclose(
        given.loc[list(zip(pairs.mentee_id, pairs.mentor_id, strict=True))], pairs.score
    )
    load = pairs.mentor_id.value_counts()
    assert (load <= mentors.set_index("id").capacity.loc[load.index]).all()
    got = pairs.mentee_id.value_counts()
    assert (got <= mentees.set_index("id").demand.loc[got.index]).all()


def test_match_scores_is_identical_for_shuffled_rows(tmp_path: Path) -> None:
    _write_instance(tmp_path, 11, 30, 6, density=0.6)
    first = runner.invoke(
        app,
        [
            "match",
            "--mentees",
            str(tmp_path / "mentees.csv"),
            "--mentors",
            str(tmp_path / "mentors.csv"),
            "--scores",
            str(tmp_path / "scores.csv"),
            "--out",
            str(tmp_path / "a"),
        ],
    )
    assert first.exit_code == 0, first.output
    for name, sep in (("mentees.csv", ","), ("mentors.csv", ";"), ("scores.csv", ",")):
        table = pd.read_csv(tmp_path / name, sep=sep, dtype=str)
        table.sample(frac=1.0, random_state=3).to_csv(tmp_path / name, sep=sep, index=False)
    second = runner.invoke(
        app,
        [
            "match",
            "--mentees",
            str(tmp_path / "mentees.csv"),
            "--mentors",
            str(tmp_path / "mentors.csv"),
            "--scores",
            str(tmp_path / "scores.csv"),
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert second.exit_code == 0, second.output
    assert (tmp_path / "a" / "pairs.csv").read_text() == (tmp_path / "b" / "pairs.csv").read_text()


def test_demo_writes_the_three_files_with_the_contract_columns(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--mentees", "80", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "total score" in result.output
    assert "gap" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= summary.keys()
    pairs = pd.read_csv(out / "pairs.csv")
    criteria = summary["criteria"]
    assert list(pairs.columns) == ["mentee_id", "mentor_id", "score", *criteria, "why"]
    assert np.allclose(pairs[criteria].sum(axis=1), pairs.score, atol=1e-9)
    unmatched = pd.read_csv(out / "unmatched.csv")
    assert list(unmatched.columns) == ["mentee_id", "reason", "detail"]
    assert summary["matched"] + summary["unmatched"] == summary["mentees"] == 80
    assert set(unmatched.reason) <= {"no_allowed_mentor", "capacity_exhausted", "below_min_score"}


def test_bad_file_is_refused_with_location_and_nothing_written(tmp_path: Path) -> None:
    (tmp_path / "mentees.csv").write_text("id,languages\nA1,fr\nA2,fr\n", encoding="utf-8")
    (tmp_path / "mentors.csv").write_text(
        "id;capacity;languages\nM1;2;fr\nM2;deux;fr\n", encoding="utf-8"
    )
    (tmp_path / "programme.toml").write_text(
        '[[criteria]]\nname = "language"\nkind = "overlap"\n'
        'mentee_field = "languages"\nmentor_field = "languages"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "match",
            "--mentees",
            str(tmp_path / "mentees.csv"),
            "--mentors",
            str(tmp_path / "mentors.csv"),
            "--config",
            str(tmp_path / "programme.toml"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "mentors.csv" in result.output
    assert "row 3" in result.output
    assert "capacity" in result.output
    assert "deux" not in result.output  # the submitted value is never echoed
    assert not out.exists()


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "mentees.csv").write_text("id,languages\nA1,fr\n", encoding="utf-8")
    (tmp_path / "mentors.csv").write_text("id,capacity\nM1,2\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["match", "--mentees", str(tmp_path / "mentees.csv"), "--mentors",
         str(tmp_path / "mentors.csv"), "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "mentees.csv" in result.output
    assert "needs" in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_objective_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--objective", "best", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "objective" in result.output.lower()


def test_locked_and_forbidden_pair_files_are_honoured(tmp_path: Path) -> None:
    scores = _write_instance(tmp_path, 5, 12, 4, density=1.0)
    base = ["match", "--mentees", str(tmp_path / "mentees.csv"), "--mentors",
            str(tmp_path / "mentors.csv"), "--scores", str(tmp_path / "scores.csv")]  # fmt: skip
    first = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    chosen = pd.read_csv(tmp_path / "a" / "pairs.csv", dtype=str).iloc[0]
    pair = pd.DataFrame({"mentee_id": [chosen.mentee_id], "mentor_id": [chosen.mentor_id]})
    pair.to_csv(tmp_path / "pair.csv", index=False)
    forbidden = runner.invoke(
        app, [*base, "--forbidden", str(tmp_path / "pair.csv"), "--out", str(tmp_path / "b")]
    )
    assert forbidden.exit_code == 0, forbidden.output
    pairs = pd.read_csv(tmp_path / "b" / "pairs.csv", dtype=str)
    assert not ((pairs.mentee_id == chosen.mentee_id) & (pairs.mentor_id == chosen.mentor_id)).any()
    # lock an unattractive but allowed pair (with a mentor who has a seat): it is kept
    mentors = pd.read_csv(tmp_path / "mentors.csv", sep=";")
    seated = set(mentors.id[mentors.capacity > 0])
    worst = scores[scores.mentor_id.isin(seated)].sort_values("score").iloc[0]
    lock = pd.DataFrame({"mentee_id": [worst.mentee_id], "mentor_id": [worst.mentor_id]})
    lock.to_csv(tmp_path / "lock.csv", index=False)
    locked = runner.invoke(
        app, [*base, "--locked", str(tmp_path / "lock.csv"), "--out", str(tmp_path / "c")]
    )
    assert locked.exit_code == 0, locked.output
    pairs = pd.read_csv(tmp_path / "c" / "pairs.csv", dtype=str)
    assert ((pairs.mentee_id == worst.mentee_id) & (pairs.mentor_id == worst.mentor_id)).any()


def test_negative_scores_are_refused_with_their_row(tmp_path: Path) -> None:
    (tmp_path / "mentees.csv").write_text("id\na0\na1\n", encoding="utf-8")
    (tmp_path / "mentors.csv").write_text("id,capacity\nb0,1\n", encoding="utf-8")
    (tmp_path / "scores.csv").write_text(
        "mentee_id;mentor_id;score\na0;b0;0,5\na1;b0;-0,25\n", encoding="utf-8"
    )
    result = runner.invoke(
        app,
        ["match", "--mentees", str(tmp_path / "mentees.csv"), "--mentors",
         str(tmp_path / "mentors.csv"), "--scores", str(tmp_path / "scores.csv"),
         "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "scores.csv, row 3, score" in result.output
    assert not (tmp_path / "out").exists()


def test_help_starts_without_loading_the_matching_engine() -> None:
    """``marraine --help`` and code that only reads programmes must not wait for
    scikit-learn, SciPy and OR-Tools; ``matching.match`` loads them when first used."""
    engine = ("sklearn", "ortools", "networkx", "scipy")
    probe = (
        "import sys, matching.cli, matching; "
        f"print([m for m in {engine!r} if m in sys.modules]); "
        "matching.match; "
        f"print([m for m in {engine!r} if m not in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "[]"]


def test_import_and_help_load_neither_pandas_nor_pydantic() -> None:
    """``import matching`` and ``marraine --help`` / ``--version`` answer without the data
    libraries; the first public name that needs them loads them."""
    heavy = ("pandas", "pydantic", "numpy", "sklearn")
    probe = (
        "import sys, matching\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
        "from matching.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:], prog_name='marraine')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
        "matching.Programme\n"
        "print('pydantic' in sys.modules and 'pandas' in sys.modules)\n"
    )
    for flag in ("--help", "--version"):
        out = subprocess.run(
            [sys.executable, "-c", probe, flag], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        assert out[0] == "[]"
        assert out[-2:] == ["[]", "True"], flag


def test_every_public_name_of_the_package_resolves() -> None:
    """``__all__`` and the lazily loaded names agree: each one is found where it lives."""
    import matching

    names = [name for name in matching.__all__ if name != "__version__"]
    assert sorted(names) == sorted(matching._HOME_OF)
    for name in names:
        assert getattr(matching, name) is not None, name


# The extras' top-level modules: an install without ``[service]`` or ``[research]`` lacks them.
SERVICE_AND_RESEARCH = (
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "pydantic_settings",
    "jinja2",
    "multipart",
    "itsdangerous",
    "matplotlib",
)


def _marraine_without_extras(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``marraine ARGS`` in a process where the extras' packages cannot be imported."""
    program = (
        "import sys\n"
        f"for name in {SERVICE_AND_RESEARCH!r}:\n"
        "    sys.modules[name] = None  # import fails as if not installed\n"
        "from matching.cli import app\n"
        f"app({list(args)!r}, prog_name='marraine')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_the_engine_command_never_imports_the_service() -> None:
    probe = (
        "import sys, matching.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('service', 'fastapi', 'sqlalchemy', 'uvicorn', 'matplotlib')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_engine_alone_matches_the_demo(tmp_path: Path) -> None:
    done = _marraine_without_extras("demo", "--mentees", "40", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "mentees.csv",
        "mentors.csv",
        "programme.toml",
        "pairs.csv",
        "unmatched.csv",
        "summary.json",
    }


@pytest.mark.parametrize(
    "args", [("serve",), ("worker",), ("keys", "create", "--role", "admin"), ("serve", "--help")]
)
def test_service_commands_without_the_service_extra_say_what_to_install(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = _marraine_without_extras(*args, cwd=tmp_path)
    assert done.returncode == 1
    assert "pip install 'marraine[service]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_service_commands_are_listed_and_answer_help_when_installed() -> None:
    listing = runner.invoke(app, ["--help"])
    assert listing.exit_code == 0
    for name in ("demo", "match", "serve", "worker", "keys"):
        assert name in listing.output
    serve_help = runner.invoke(app, ["serve", "--help"])
    assert serve_help.exit_code == 0
    assert "--port" in serve_help.output
    keys_help = runner.invoke(app, ["keys", "create", "--help"])
    assert keys_help.exit_code == 0
    assert "--role" in keys_help.output


def _ranked_files(folder: Path, rank_cell: str) -> list[str]:
    (folder / "mentees.csv").write_text("id\na\nb\nc\n")
    (folder / "mentors.csv").write_text("id,capacity\nX,1\nY,1\n")
    (folder / "wishes.csv").write_text(
        f"mentee_id,mentor_id,rank\na,X,1\nb,X,{rank_cell}\nb,Y,2\nc,X,1\nc,Y,2\n"
    )
    (folder / "choices.csv").write_text(
        "mentee_id,mentor_id,rank\na,X,1\nb,X,2\nc,X,3\nb,Y,2\nc,Y,1\n"
    )
    return [
        "match",
        "--mentees",
        str(folder / "mentees.csv"),
        "--mentors",
        str(folder / "mentors.csv"),
        "--mentee-ranks",
        str(folder / "wishes.csv"),
        "--mentor-ranks",
        str(folder / "choices.csv"),
        "--out",
        str(folder / "out"),
    ]


def test_ranked_choices_give_a_stable_matching_with_its_check(tmp_path: Path) -> None:
    done = runner.invoke(app, _ranked_files(tmp_path, "1"))
    assert done.exit_code == 0, done.output
    assert "blocking pairs" in done.output
    pairs = pd.read_csv(tmp_path / "out" / "pairs.csv")
    assert set(zip(pairs["mentee_id"], pairs["mentor_id"], strict=True)) == {("a", "X"), ("c", "Y")}
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["objective"] == "stable"
    assert (summary["blocking_pairs"], summary["pairs_checked"]) == (0, 6)
    unmatched = pd.read_csv(tmp_path / "out" / "unmatched.csv")
    assert unmatched["detail"][0].startswith("every mentor she ranked (2 acceptable)")


def test_proposing_mentors_gives_the_mentor_optimal_matching_without_a_config(
    tmp_path: Path,
) -> None:
    (tmp_path / "mentees.csv").write_text("id\na\nb\n")
    (tmp_path / "mentors.csv").write_text("id,capacity\nX,1\nY,1\n")
    (tmp_path / "wishes.csv").write_text("mentee_id,mentor_id,rank\na,X,1\na,Y,2\nb,Y,1\nb,X,2\n")
    (tmp_path / "choices.csv").write_text("mentee_id,mentor_id,rank\nb,X,1\na,X,2\na,Y,1\nb,Y,2\n")
    files = ["--mentees", str(tmp_path / "mentees.csv"), "--mentors", str(tmp_path / "mentors.csv")]
    ranks = ["--mentee-ranks", str(tmp_path / "wishes.csv")]
    ranks += ["--mentor-ranks", str(tmp_path / "choices.csv")]
    found = {}
    for side in ("mentees", "mentors"):
        out = tmp_path / side
        done = runner.invoke(app, ["match", *files, *ranks, "--proposing", side, "--out", str(out)])
        assert done.exit_code == 0, done.output
        pairs = pd.read_csv(out / "pairs.csv")
        found[side] = set(zip(pairs["mentee_id"], pairs["mentor_id"], strict=True))
        assert json.loads((out / "summary.json").read_text())["proposing"] == side
    assert found == {"mentees": {("a", "X"), ("b", "Y")}, "mentors": {("b", "X"), ("a", "Y")}}
    refused = runner.invoke(app, ["match", *files, *ranks, "--proposing", "everyone"])
    assert refused.exit_code == 2
    assert "everyone" in refused.output


def test_a_bad_rank_is_refused_by_file_row_and_column(tmp_path: Path) -> None:
    done = runner.invoke(app, _ranked_files(tmp_path, "first"))
    assert done.exit_code == 1
    assert "wishes.csv, row 3, rank: the rank must be a whole number from 1" in done.output
    assert "first" not in done.output
    assert not (tmp_path / "out").exists()


def test_demo_with_the_stable_objective(tmp_path: Path) -> None:
    done = runner.invoke(
        app, ["demo", "--mentees", "300", "--objective", "stable", "--out", str(tmp_path)]
    )
    assert done.exit_code == 0, done.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["method"], summary["blocking_pairs"]) == ("stable", 0)
    assert summary["pairs_checked"] == 300 * 30


def test_config_schema_validates_the_example_programme() -> None:
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    example = Path(__file__).resolve().parents[1] / "examples" / "digital-business"
    config = tomllib.loads((example / "programme.toml").read_text(encoding="utf-8"))
    jsonschema.validate(config, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**config, "unknown": 1}, schema)
