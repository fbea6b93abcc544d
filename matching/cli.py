"""The ``marraine`` command: ``demo``, ``match``, and the service's ``serve``, ``worker`` and
``keys`` (DESIGN §5). Bad input ends with the file, row, column and reason and exit code 1,
never a traceback, and nothing is written."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from matching._labels import gap_labels
from matching._version import VERSION
from matching.errors import InputErrors, MatchingError
from matching.messages import Language, label_text, translator
from matching.model import Objective, Programme
from matching.result import MatchResult

app = typer.Typer(
    name="marraine",
    help="Match mentees with mentors: whole cohorts, explained pair by pair.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

PROBLEMS_SHOWN = 20
"""Input problems printed before "... and N more": enough to fix a file in one go."""

ObjectiveOption = Annotated[
    Objective | None,
    typer.Option(
        "--objective",
        help="coverage: as many mentees matched as rules and seats allow, then the best "
        "total score (default) | total: best total score | fair: as many matched as "
        "coverage, with the lowest pair score as high as possible.",
        show_default=False,
    ),
]
LanguageOption = Annotated[
    Language | None,
    typer.Option(
        "--lang",
        help="Language of the explanations and of this summary: en, fr or ar "
        "(default: the programme's language setting, else en).",
        show_default=False,
    ),
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Folder for pairs.csv, unmatched.csv and summary.json.")
]


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", is_eager=True)
    ] = False,
) -> None:
    """Marraine matches mentees with mentors and explains every pair."""
    if version:
        console.print(f"marraine {VERSION}")
        raise typer.Exit()


@app.command()
def demo(
    mentees: Annotated[int, typer.Option("--mentees", min=1, help="Synthetic mentees.")] = 300,
    mentors: Annotated[
        int | None,
        typer.Option("--mentors", min=1, help="Synthetic mentors (default: mentees / 10)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic programme.")] = 0,
    objective: ObjectiveOption = None,
    out: OutOption = Path("marraine-demo"),
    lang: LanguageOption = None,
) -> None:
    """Generate a seeded synthetic programme, match it and write the output files."""
    from matching import match
    from matching.io import write_result
    from matching.synthetic import generate_cohort

    with _refusing_bad_input(lang or "en"), _progress() as report:
        report("generate", 0.0)
        cohort = generate_cohort(mentees, mentors, seed=seed)
        result = match(
            cohort.mentees,
            cohort.mentors,
            cohort.programme,
            objective=objective,
            progress=report,
            language=lang,
        )
        written = write_result(result, out)
    _print_summary(result, written, lang or cohort.programme.language, cohort.programme)


@app.command(name="match")
def match_files(
    mentees: Annotated[
        Path, typer.Option("--mentees", help="Mentees: CSV (, ; or tab), .xlsx, .parquet, .json.")
    ],
    mentors: Annotated[Path, typer.Option("--mentors", help="Mentors, same formats.")],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Programme configuration (.toml or .json). Default: the digital-business "
            "example's criteria.",
        ),
    ] = None,
    scores: Annotated[
        Path | None,
        typer.Option(
            "--scores",
            help="Precomputed scores instead of criteria: columns mentee_id, mentor_id, "
            "score (CSV or .parquet). A pair absent from it is not allowed.",
        ),
    ] = None,
    objective: ObjectiveOption = None,
    locked: Annotated[
        Path | None,
        typer.Option("--locked", help="Pairs that must be kept (mentee_id, mentor_id)."),
    ] = None,
    forbidden: Annotated[
        Path | None, typer.Option("--forbidden", help="Pairs that must not be proposed.")
    ] = None,
    previous: Annotated[
        Path | None, typer.Option("--previous", help="Earlier pairs, not to be repeated.")
    ] = None,
    out: OutOption = Path("marraine-output"),
    lang: LanguageOption = None,
) -> None:
    """Match participant files under a programme configuration, or from precomputed scores."""
    from matching import match
    from matching.defaults import default_programme
    from matching.io import read_pairs, read_participants, read_scores, write_result
    from matching.model import Programme

    with _refusing_bad_input(lang or "en"):
        programme = Programme.from_file(config) if config else default_programme()
        criteria = None if scores else programme
        mentee_frame = read_participants(mentees, "mentee", criteria)
        mentor_frame = read_participants(mentors, "mentor", criteria)
        score_frame = (
            read_scores(scores, mentee_frame["id"].tolist(), mentor_frame["id"].tolist())
            if scores
            else None
        )
        pairs = {
            name: read_pairs(path) if path else []
            for name, path in (("locked", locked), ("forbidden", forbidden), ("previous", previous))
        }
        with _progress() as report:
            result = match(
                mentee_frame,
                mentor_frame,
                programme if config or not scores else None,
                scores=score_frame,
                objective=objective,
                progress=report,
                language=lang,
                **pairs,
            )
            written = write_result(result, out)
    _print_summary(result, written, lang or programme.language, programme)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Start the HTTP service, its worker and the review page (embedded SQLite by default)."""
    from service.cli import serve as run_service

    run_service(host, port)


@app.command()
def worker() -> None:
    """Run a match-run worker against the configured database (``marraine serve`` starts one)."""
    from service.cli import run_worker

    run_worker()


keys_app = typer.Typer(help="Create API keys for the HTTP service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="admin, coordinator or researcher.")],
    programme: Annotated[
        str | None,
        typer.Option("--programme", help="Programme id; omit for a global admin key."),
    ] = None,
    label: Annotated[str, typer.Option("--label", help="A note to recognise the key by.")] = "",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from service.cli import create

    create(role=role, programme=programme, label=label)


# --------------------------------------------------------------------------- output


@contextmanager
def _refusing_bad_input(language: str) -> Iterator[None]:
    """Turn engine errors into a clear message and exit code 1 (no traceback); the frame
    of the message in ``language`` (the problem itself names file, row and column)."""
    t = translator(language)
    label = escape(t.gettext("error:"))
    try:
        yield
    except InputErrors as exc:
        for problem in exc.problems[:PROBLEMS_SHOWN]:
            errors.print(f"[red]{label}[/red] {escape(str(problem))}", highlight=False)
        hidden = len(exc.problems) - PROBLEMS_SHOWN
        if hidden > 0:
            more = t.ngettext(
                "... and {count} more problem", "... and {count} more problems", hidden
            )
            errors.print(more.format(count=hidden), highlight=False)
        errors.print(t.gettext("Nothing was written."), highlight=False)
        raise typer.Exit(1) from None
    except MatchingError as exc:
        errors.print(f"[red]{label}[/red] {escape(str(exc))}", highlight=False)
        errors.print(t.gettext("Nothing was written."), highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def _progress() -> Iterator[Callable[[str, float], None]]:
    """A progress bar fed by ``match(progress=...)``; silent when not on a terminal."""
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=errors, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("start", total=1.0)

        def report(step: str, done: float) -> None:
            bar.update(task, description=step, completed=done)

        yield report


def _print_summary(
    result: MatchResult, written: list[Path], language: str, programme: Programme
) -> None:
    """The summary table a coordinator reads first, in her language (values of the
    recruitment gaps as the programme labels them)."""
    t = translator(language)
    s = result.summary
    title = t.gettext("Marraine {version} — {objective} objective")
    objective = _objective_name(t, s.objective)
    table = Table(title=title.format(version=VERSION, objective=objective), show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    number = partial(format_decimal, locale=language, numbering_system="latn")
    share = format_percent(s.matched / max(1, s.mentees), "#,##0.0%", locale=language)
    optimal = t.gettext(" (proven optimal)") if s.status == "optimal" else ""
    lowest = "-" if s.min_score is None else number(s.min_score, "0.0000")
    rows = [
        (t.gettext("mentees"), number(s.mentees)),
        (t.gettext("mentors"), number(s.mentors)),
        (t.gettext("matched"), f"{number(s.matched)} ({share})"),
        (t.gettext("unmatched"), number(s.unmatched)),
        (t.gettext("pairs"), number(s.pairs)),
        (t.gettext("total score"), number(s.total_score, "#,##0.0000")),
        (t.gettext("upper bound"), number(s.upper_bound, "#,##0.0000")),
        (t.gettext("gap"), f"{s.gap:.2e}{optimal}"),
        (t.gettext("lowest pair score"), lowest),
        (t.gettext("seconds"), number(s.seconds, "0.00")),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    reasons = Counter(u.reason for u in result.unmatched)
    if reasons:
        counts = [
            t.gettext("{count} {reason}").format(count=n, reason=_reason_name(t, r))
            for r, n in sorted(reasons.items())
        ]
        line = t.gettext("unmatched: {reasons}").format(reasons=", ".join(counts))
        console.print(line, highlight=False)
    for gap in result.gaps[:3]:
        recruit = t.ngettext(
            "recruit: {count} unmatched mentee needs {need} in {language}",
            "recruit: {count} unmatched mentees need {need} in {language}",
            gap.mentees,
        )
        need, spoken = gap_labels(programme, gap)
        text = recruit.format(
            count=gap.mentees,
            need=label_text(need, language),
            language=label_text(spoken, language),
        )
        console.print(text, highlight=False)
    files = ", ".join(str(path) for path in written)
    console.print(t.gettext("wrote {files}").format(files=files), highlight=False)


def _objective_name(t: Translations, objective: str) -> str:
    """An objective's name in the reader's language."""
    names = {
        "coverage": t.gettext("coverage"),
        "total": t.gettext("total"),
        "fair": t.gettext("fair"),
    }
    return names.get(objective, objective)


def _reason_name(t: Translations, reason: str) -> str:
    """An unmatched reason's name in the reader's language."""
    names = {
        "capacity_exhausted": t.gettext("mentors at capacity"),
        "below_min_score": t.gettext("below the minimum score"),
        "no_allowed_mentor": t.gettext("no allowed mentor"),
    }
    return names.get(reason, reason)
