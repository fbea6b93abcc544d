"""The ``marraine`` command: ``demo`` and ``match`` here, and the commands other packages
add through the ``marraine.commands`` entry-point group: the service's ``serve``, ``worker``
and ``keys`` when Marraine is installed with its ``[service]`` extra. Bad input ends with the
file, row, column and reason and exit code 1, never a traceback, and nothing is written.

The engine never imports the service: a plugin command is loaded from its entry point only
when it is invoked (or listed by ``--help``), and a plugin whose dependencies are missing
becomes a command that says what to install.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from importlib.metadata import EntryPoint, entry_points
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
from matching._runtime import process_settings
from matching._version import VERSION
from matching.errors import InputErrors, MatchingError
from matching.messages import Language, label_text, translator
from matching.model import Objective, Programme
from matching.result import MatchResult

console = Console()
errors = Console(stderr=True)

PLUGIN_GROUP = "marraine.commands"
"""Entry points adding commands to ``marraine``: the name is the command's, the value a
``typer.Typer`` (pyproject's ``[project.entry-points."marraine.commands"]``)."""

EXTRA_FOR = {"service": "service"}
"""The extra that installs a plugin's dependencies, by the plugin's top-level package."""


app = typer.Typer(
    name="marraine",
    help="Match mentees with mentors: whole cohorts, explained pair by pair.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PROBLEMS_SHOWN = 20
"""Input problems printed before "... and N more": enough to fix a file in one go."""

ObjectiveOption = Annotated[
    Objective | None,
    typer.Option(
        "--objective",
        help="coverage: as many mentees matched as rules and seats allow, then the best "
        "total score (default) | total: best total score | fair: as many matched as "
        "coverage, with the lowest pair score as high as possible | stable: no mentee and "
        "mentor who both prefer each other to what they got (deferred acceptance).",
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

    with _refusing_bad_input(lang or "en"), process_settings(), _progress() as report:
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
    mentee_ranks: Annotated[
        Path | None,
        typer.Option(
            "--mentee-ranks",
            help="Mentees' ranked choices: mentee_id, mentor_id, rank (1 = first). Implies "
            "--objective stable; unranked pairs are not acceptable.",
        ),
    ] = None,
    mentor_ranks: Annotated[
        Path | None,
        typer.Option("--mentor-ranks", help="Mentors' ranked choices, same columns."),
    ] = None,
    out: OutOption = Path("marraine-output"),
    lang: LanguageOption = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            envvar="MARRAINE_DASK_SCHEDULER",
            help="A Dask scheduler's address (tcp://host:8786): score every pair and scan "
            "for the certificate on that cluster's workers (the [dask] extra). The result "
            "is the same as without.",
        ),
    ] = None,
) -> None:
    """Match participant files under a programme configuration, or from precomputed scores."""
    from matching import match
    from matching.defaults import default_programme
    from matching.io import read_pairs, read_participants, read_ranks, read_scores, write_result
    from matching.model import Programme

    with _refusing_bad_input(lang or "en"), process_settings():
        programme = Programme.from_file(config) if config else default_programme()
        ranks_only = not (config or scores) and bool(mentee_ranks or mentor_ranks)
        criteria = None if scores or ranks_only else programme
        mentee_frame = read_participants(mentees, "mentee", criteria)
        mentor_frame = read_participants(mentors, "mentor", criteria)
        score_frame = (
            read_scores(scores, mentee_frame["id"].tolist(), mentor_frame["id"].tolist())
            if scores
            else None
        )
        mentee_ids, mentor_ids = mentee_frame["id"].tolist(), mentor_frame["id"].tolist()
        mentee_rank_frame, mentor_rank_frame = (
            read_ranks(path, mentee_ids, mentor_ids) if path else None
            for path in (mentee_ranks, mentor_ranks)
        )
        pairs = {
            name: read_pairs(path) if path else []
            for name, path in (("locked", locked), ("forbidden", forbidden), ("previous", previous))
        }
        with _progress() as report:
            result = match(
                mentee_frame,
                mentor_frame,
                programme if config or not (scores or ranks_only) else None,
                scores=score_frame,
                objective=objective,
                progress=report,
                mentee_ranks=mentee_rank_frame,
                mentor_ranks=mentor_rank_frame,
                language=lang,
                locked=pairs["locked"],
                forbidden=pairs["forbidden"],
                previous=pairs["previous"],
                dask=dask or False,
            )
            written = write_result(result, out)
    _print_summary(result, written, lang or programme.language, programme)


# --------------------------------------------------------------------------- config

config_app = typer.Typer(
    help="Programme configurations: the schema they follow.", no_args_is_help=True
)
app.add_typer(config_app, name="config")

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_json_schema() -> dict[str, object]:
    """The JSON Schema of a programme configuration (the TOML ``--config`` reads and the
    API's ``config``), tagged with the version of Marraine that validates it."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **Programme.model_json_schema(),
        "x-marraine-version": VERSION,
    }


@config_app.command("schema")
def config_schema() -> None:
    """Print the JSON Schema of a programme configuration, for editors and validators
    (e.g. Taplo or VS Code's "Even Better TOML" for TOML files)."""
    sys.stdout.write(json.dumps(config_json_schema(), indent=2) + "\n")


# --------------------------------------------------------------------------- plugins


def _add_plugin(name: str, entry: EntryPoint) -> None:
    """Add ``marraine NAME``, which loads the plugin's ``typer.Typer`` when invoked and hands
    it the rest of the command line (``--help`` included), or says which extra to install
    when the plugin's dependencies are missing."""
    package = entry.value.split(":", 1)[0].split(".", 1)[0]
    extra = EXTRA_FOR.get(package, package)

    def run(ctx: typer.Context) -> None:
        try:
            plugin = entry.load()
        except ModuleNotFoundError as exc:
            missing = (exc.name or "?").split(".")[0]
            message = (
                f"`marraine {name}` needs Marraine's [{extra}] extra (module {missing!r} is "
                f"missing): pip install 'marraine[{extra}]'"
            )
            errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        if not isinstance(plugin, typer.Typer):
            raise TypeError(f"entry point {entry.value!r} of {PLUGIN_GROUP} is not a typer.Typer")
        command = typer.main.get_command(plugin)
        command.main(args=ctx.args, prog_name=f"marraine {name}")

    app.command(
        name,
        help=f"The {extra} extra's command: `marraine {name} --help` tells more.",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(run)


def _add_plugins() -> None:
    """Every installed plugin command whose name is not one of ``marraine``'s own."""
    own = {info.name or info.callback.__name__ for info in app.registered_commands if info.callback}
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda entry: entry.name):
        if entry.name not in own:
            _add_plugin(entry.name, entry)


_add_plugins()


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


def _stability_rows(
    result: MatchResult, t: Translations, number: Callable[..., str]
) -> list[tuple[str, str]]:
    """The stable objective's rows: who proposed, and the blocking-pair check."""
    s = result.summary
    if s.proposing is None:
        return []
    if s.blocking_pairs is None or s.pairs_checked is None:
        checked = t.gettext("not checked")
    else:
        checked = t.gettext("{blocking} of {checked} pairs").format(
            blocking=number(s.blocking_pairs), checked=number(s.pairs_checked)
        )
    proposing = t.gettext("mentees") if s.proposing == "mentees" else t.gettext("mentors")
    return [(t.gettext("optimal for"), proposing), (t.gettext("blocking pairs"), checked)]


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
    ]
    if s.proposing is None:  # a stable matching maximises no score: no bound, no gap
        rows += [
            (t.gettext("upper bound"), number(s.upper_bound, "#,##0.0000")),
            (t.gettext("gap"), f"{s.gap:.2e}{optimal}"),
        ]
    rows += [
        (t.gettext("lowest pair score"), lowest),
        *_stability_rows(result, t, number),
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
        "stable": t.gettext("stable"),
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
