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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from matching._check_text import print_check_report, warning_text
from matching._objective import Objective, Proposing
from matching._runtime import process_settings
from matching._version import VERSION
from matching.errors import InputErrors, InputWarning, MatchingError
from matching.messages import Language, label_text, translator

if TYPE_CHECKING:
    from matching.model import Programme
    from matching.result import MatchResult, RecruitmentGap

# ``marraine --help`` and ``--version`` answer at once: the configuration and result types
# (pandas, pydantic) and the engine are imported by the commands that use them.

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
ProposingOption = Annotated[
    Proposing | None,
    typer.Option(
        "--proposing",
        help="For --objective stable: mentees (the mentee-optimal stable matching, the "
        "default) | mentors (the mentor-optimal one). Overrides [stable] proposing.",
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


def _print_version(value: bool) -> None:
    """``--version``: print and stop before any command is required."""
    if value:
        console.print(f"marraine {VERSION}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Marraine matches mentees with mentors and explains every pair."""


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
    """Generate a seeded synthetic programme, match it and write its input files
    (mentees.csv, mentors.csv, programme.toml: the format to follow) and output files."""
    from matching import match
    from matching.io import write_demo_inputs, write_result
    from matching.synthetic import generate_cohort

    with _refusing_bad_input(lang), process_settings(), _progress() as report:
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
        inputs = write_demo_inputs(cohort.mentees, cohort.mentors, out)
        written = write_result(result, out, inputs)
    _print_warnings(result.warnings, lang or "en", {})
    _print_summary(
        result, [*inputs.values(), *written], lang or cohort.programme.language, cohort.programme
    )


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
    proposing: ProposingOption = None,
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
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse the run when the input draws any warning (a column nobody reads, "
            "an absent count column, an optional rule switched off).",
        ),
    ] = False,
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

    with _refusing_bad_input(lang) as reader, process_settings():
        programme = reader.read(Programme.from_file(config) if config else default_programme())
        ranks_only = not (config or scores) and bool(mentee_ranks or mentor_ranks)
        criteria = None if scores or ranks_only else programme
        checked = criteria is not None
        mentee_frame = read_participants(mentees, "mentee", programme, check_fields=checked)
        mentor_frame = read_participants(mentors, "mentor", programme, check_fields=checked)
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
                proposing=proposing,
                progress=report,
                mentee_ranks=mentee_rank_frame,
                mentor_ranks=mentor_rank_frame,
                language=lang,
                strict=strict,
                dask=dask or False,
                **pairs,
            )
            inputs = {"mentees": mentees, "mentors": mentors}
            if config:
                inputs["config"] = config
            written = write_result(result, out, inputs)
    _print_warnings(
        result.warnings,
        lang or programme.language,
        {"mentee": mentees.name, "mentor": mentors.name},
    )
    _print_summary(result, written, lang or programme.language, programme)


@app.command(name="check")
def check_files(
    mentees: Annotated[
        Path, typer.Option("--mentees", help="Mentees: CSV (, ; or tab), .xlsx, .parquet, .json.")
    ],
    mentors: Annotated[Path, typer.Option("--mentors", help="Mentors, same formats.")],
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Programme configuration (.toml or .json)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    lang: LanguageOption = None,
) -> None:
    """Check participant files against a programme before matching: which column each
    criterion, rule and role reads, columns nobody reads, values, pairs each rule
    excludes. Exit code 0 when a run would start, 1 when it would be refused."""
    from matching.check import check_inputs
    from matching.defaults import default_programme
    from matching.io import read_participants
    from matching.model import Programme

    with _refusing_bad_input(lang, written=False) as reader:
        programme = reader.read(Programme.from_file(config) if config else default_programme())
        report = check_inputs(
            read_participants(mentees, "mentee", programme, check_fields=False),
            read_participants(mentors, "mentor", programme, check_fields=False),
            programme,
            language=lang or programme.language,
        )
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        files = {"mentee": mentees.name, "mentor": mentors.name}
        print_check_report(console, report, lang or programme.language, files)
    raise typer.Exit(0 if report.ok else 1)


# --------------------------------------------------------------------------- config

config_app = typer.Typer(
    help="Programme configurations: the schema they follow.", no_args_is_help=True
)
app.add_typer(config_app, name="config")

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_json_schema() -> dict[str, object]:
    """The JSON Schema of a programme configuration (the TOML ``--config`` reads and the
    API's ``config``), tagged with the version of Marraine that validates it."""
    from matching.model import Programme

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


class _Reader:
    """The language errors are said in: ``--lang``, else the programme's once it is read."""

    def __init__(self, language: Language | None) -> None:
        self.chosen = language
        self.language: str = language or "en"

    def read(self, programme: Programme) -> Programme:
        """Say errors in ``programme``'s language unless ``--lang`` chose one."""
        self.language = self.chosen or programme.language
        return programme


@contextmanager
def _refusing_bad_input(chosen: Language | None, *, written: bool = True) -> Iterator[_Reader]:
    """Turn engine errors into a clear message and exit code 1 (no traceback), in the
    reader's language (``chosen``, else the programme's once the command has it): each
    problem names file, row and column. ``written``: the command writes files, so say
    that nothing was."""
    reader = _Reader(chosen)
    try:
        yield reader
    except InputErrors as exc:
        language = reader.language
        t = translator(language)
        label = escape(t.gettext("error:"))
        for problem in exc.problems[:PROBLEMS_SHOWN]:
            text = escape(problem.render(language))
            errors.print(f"[red]{label}[/red] {text}", highlight=False)
        hidden = len(exc.problems) - PROBLEMS_SHOWN
        if hidden > 0:
            more = t.ngettext(
                "... and {count} more problem", "... and {count} more problems", hidden
            )
            errors.print(more.format(count=hidden), highlight=False)
        if written:
            errors.print(t.gettext("Nothing was written."), highlight=False)
        raise typer.Exit(1) from None
    except MatchingError as exc:
        t = translator(reader.language)
        label = escape(t.gettext("error:"))
        errors.print(f"[red]{label}[/red] {escape(exc.render(reader.language))}", highlight=False)
        if written:
            errors.print(t.gettext("Nothing was written."), highlight=False)
        raise typer.Exit(1) from None


def _print_warnings(warnings: Sequence[InputWarning], language: str, files: dict[str, str]) -> None:
    """Each warning on stderr, in the reader's language (``files``: each side's file)."""
    t = translator(language)
    label = escape(t.gettext("warning:"))
    for warning in warnings:
        text = warning_text(language, warning, files.get(warning.side or ""))
        errors.print(f"[yellow]{label}[/yellow] {escape(text)}", highlight=False)


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
    for line in _quota_lines(result, t, number):
        console.print(line, highlight=False)
    for gap in result.gaps[:3]:
        # One line a gap, however long (a gap by group names its group): easy to grep.
        console.print(_gap_line(gap, t, language, programme), highlight=False, soft_wrap=True)
    files = ", ".join(str(path) for path in written)
    console.print(t.gettext("wrote {files}").format(files=files), highlight=False)


def _quota_lines(result: MatchResult, t: Translations, number: Callable[..., str]) -> list[str]:
    """One line per quota: how many of the required members were matched, met or short
    (a soft quota also says the score it cost)."""
    lines = []
    for quota in result.quotas:
        counts = {"name": quota.name, "matched": number(quota.matched)}
        counts |= {"required": number(quota.required), "short": number(quota.short)}
        if quota.met:
            text = t.gettext("quota {name}: {matched} matched, {required} required, met")
        elif quota.hard:  # a refused run never gets here; kept for completeness
            text = t.gettext("quota {name}: {matched} matched, {required} required, {short} short")
        else:
            text = t.gettext(
                "quota {name} (soft): {matched} matched, {required} required, {short} short, "
                "score given up {penalty}"
            )
            counts["penalty"] = number(quota.penalty, "#,##0.####")
        lines.append(text.format(**counts))
    return lines


def _gap_line(gap: RecruitmentGap, t: Translations, language: str, programme: Programme) -> str:
    """A recruitment gap in words: by group when the programme has groups."""
    from matching._labels import gap_labels

    need, spoken = gap_labels(programme, gap)
    words = {"need": label_text(need, language), "language": label_text(spoken, language)}
    if gap.group:
        text = t.ngettext(
            "recruit: {count} unmatched ({group}); {sharing} of them need {need} in {language}",
            "recruit: {count} unmatched ({group}); {sharing} of them need {need} in {language}",
            gap.mentees,
        )
        # "country: Côte d'Ivoire" reads right for any group column (status, city ...).
        separator = t.gettext("{criterion}: {phrase}")
        # Values as written, underscores as spaces (as the review page shows them).
        group = ", ".join(
            separator.format(criterion=column, phrase=value.replace("_", " "))
            for column, value in gap.group.items()
        )
        return text.format(count=gap.mentees, group=group, sharing=gap.sharing, **words)
    recruit = t.ngettext(
        "recruit: {count} unmatched mentee needs {need} in {language}",
        "recruit: {count} unmatched mentees need {need} in {language}",
        gap.mentees,
    )
    return recruit.format(count=gap.mentees, **words)


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
