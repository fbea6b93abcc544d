"""``marraine check``'s readable report, in the reader's language (the JSON is
:meth:`matching.check.InputReport.to_dict`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from babel.support import Translations
from rich.console import Console
from rich.markup import escape

from matching.errors import InputWarning
from matching.messages import translator

if TYPE_CHECKING:
    from matching.check import InputReport

__all__ = ["print_check_report", "warning_text"]


def warning_text(language: str, warning: InputWarning, file: str | None) -> str:
    """A warning in the reader's language (``file``: the side's file, when known)."""
    return warning.render(language, file)


def print_check_report(
    console: Console, report: InputReport, language: str, files: dict[str, str]
) -> None:
    """Roles, criteria, rules, unread columns, warnings and the verdict (``files``: each
    side's file name), in ``language``."""
    t = translator(language)
    out = _Printer(console)
    out.heading(t.gettext("Roles"))
    for side, roles in report.roles.items():
        for role in roles:
            mark = _found(t, role["found"]) if "default" not in role or role["found"] else "-"
            out.line(mark, f"{_side(t, side)} {role['role']}: {role['column']}")
    out.heading(t.gettext("Criteria"))
    for criterion in report.criteria:
        for side in ("mentee", "mentor"):
            out.line(*_criterion_side(t, criterion["name"], side, criterion[side]))
    out.heading(t.gettext("Rules"))
    for rule in report.rules:
        out.line(*_rule(t, rule))
    if report.quotas is not None:
        out.heading(t.gettext("Quotas"))
        for quota in report.quotas:
            out.line(*_quota(t, quota))
    out.heading(t.gettext("Columns nobody reads"))
    for column in report.unread:
        out.line("!", f"{_side(t, column['side'])}: {column['column']}")
    if not report.unread:
        out.line("", t.gettext("none"))
    for warning in report.warnings:
        text = warning_text(language, warning, files.get(warning.side or ""))
        out.line(t.gettext("warning:"), text)
    for problem in report.problems:
        out.line(t.gettext("error:"), problem.render(language))
    verdict = t.gettext("A run would start.") if report.ok else t.gettext("A run would be refused.")
    console.print(verdict, highlight=False)


class _Printer:
    def __init__(self, console: Console) -> None:
        self.console = console

    def heading(self, text: str) -> None:
        self.console.print(f"[bold]{escape(text)}[/bold]", highlight=False)

    def line(self, mark: str, text: str) -> None:
        self.console.print(f"  {escape(mark)} {escape(text)}".rstrip(), highlight=False)


def _found(t: Translations, found: bool) -> str:
    return t.gettext("found") if found else t.gettext("MISSING")


def _side(t: Translations, side: str | None) -> str:
    return t.gettext("mentees") if side == "mentee" else t.gettext("mentors")


def _criterion_side(
    t: Translations, name: str, side: str, entry: dict[str, Any]
) -> tuple[str, str]:
    where = f"{name} ({_side(t, side)}: {entry['column']})"
    if not entry["found"]:
        return _found(t, False), where
    text = t.gettext("{where}: {distinct} distinct values, {empty} empty cells").format(
        where=where, distinct=entry["distinct"], empty=entry["empty"]
    )
    if entry.get("unknown"):
        text += "; " + t.gettext("{count} unknown: {values}").format(
            count=entry["unknown"], values=", ".join(entry["unknown_values"])
        )
    if entry.get("unshared"):
        unshared = (
            t.gettext("values no mentor has ({count}): {values}")
            if side == "mentee"
            else t.gettext("values no mentee has ({count}): {values}")
        )
        text += "; " + unshared.format(
            count=entry["unshared"], values=", ".join(entry["unshared_values"])
        )
    return _found(t, True), text


def _quota(t: Translations, quota: dict[str, Any]) -> tuple[str, str]:
    """One quota: what it asks, the most its group can get, and what limits it."""
    kind = t.gettext("hard") if quota["hard"] else t.gettext("soft")
    text = f"{quota['name']} ({kind})"
    if "required" in quota:
        text += ": " + t.gettext(
            "asks for {required} of {members}; at most {reachable} can be matched"
        ).format(**{k: quota[k] for k in ("required", "members", "reachable")})
    if quota["limit"]:
        text += " — " + escape(str(quota["limit"]))
    return ("" if quota["meetable"] else "!"), text


def _rule(t: Translations, rule: dict[str, Any]) -> tuple[str, str]:
    columns = ", ".join(
        f"{_side(t, c['side'])}: {c['column']}"
        + ("" if c["found"] else " (" + _found(t, False) + ")")
        for c in rule["columns"]
    )
    status = {
        "on": t.gettext("on"),
        "off": t.gettext("off (optional, column absent)"),
        "refused": t.gettext("refuses the run (column absent)"),
    }[rule["status"]]
    text = f"{rule['name']} [{columns}]: {status}"
    if rule["excluded_pairs"] is not None:
        text += "; " + t.gettext("excludes {count} pairs").format(count=rule["excluded_pairs"])
    return "", text
