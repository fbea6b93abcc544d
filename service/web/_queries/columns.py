"""Which participant columns the review page reads, from the programme's configuration
(its ``[fields]`` and criteria), never from the example's column names: a person's
name, the mentee's group columns and region, and the needs and languages the help for
an unmatched mentee speaks of."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from matching.defaults import default_programme
from matching.errors import ConfigError
from matching.explain import language_field
from matching.model import NeedsCriterion
from matching.model import Programme as EngineProgramme
from service.models import Programme, ProgrammeVersion, Run

__all__ = ["DEFAULT_NAME", "Columns", "columns_of", "programme_columns", "run_columns"]

DEFAULT_NAME = "name"
"""The name column of a side whose ``fields.<side>.name`` is unset: the engine's
convention (:class:`matching.model.FieldMap`) is the column ``name`` when the data has
one, else the id alone (an absent column reads as empty, and the page shows the id)."""


@dataclass(frozen=True)
class Columns:
    """The columns one programme's page reads (``None``: the programme has none)."""

    mentee_name: str
    mentor_name: str
    groups: tuple[str, ...]
    """The mentee's group columns (status, country, city ...), in configuration order."""
    region: str | None
    """The mentee's region (or country) column."""
    mentor_region: str | None
    needs: str | None
    """The mentee column of the programme's first ``needs`` criterion."""
    languages: str | None
    """The mentee column compared for a shared language."""

    @property
    def traits(self) -> tuple[str, ...]:
        """The mentee columns the filters and charts read: region first, then groups."""
        return ((self.region,) if self.region else ()) + self.groups


def columns_of(programme: EngineProgramme) -> Columns:
    """The columns ``programme`` names for display, groups and help."""
    mentee, mentor = programme.fields.mentee, programme.fields.mentor
    needs = next((c for c in programme.criteria if isinstance(c, NeedsCriterion)), None)
    region = mentee.region
    return Columns(
        mentee_name=mentee.name or DEFAULT_NAME,
        mentor_name=mentor.name or DEFAULT_NAME,
        groups=tuple(g for g in mentee.groups if g != region),
        region=region,
        mentor_region=mentor.region,
        needs=needs.mentee_field if needs is not None else None,
        languages=language_field(programme),
    )


def _engine_programme(version: ProgrammeVersion | None) -> EngineProgramme:
    """A stored configuration as the engine reads it; one that no longer validates (a
    run made under an older model) reads as the default programme's columns."""
    if version is None:
        return default_programme()
    try:
        return EngineProgramme.from_dict(version.config)
    except ConfigError:
        return default_programme()


def run_columns(session: Session, run: Run) -> Columns:
    """The columns of the configuration ``run`` ran with."""
    return columns_of(
        _engine_programme(session.get(ProgrammeVersion, (run.programme_id, run.version)))
    )


def programme_columns(session: Session, programme_id: str) -> Columns:
    """The columns of a programme's current configuration."""
    programme = session.get(Programme, programme_id)
    version = (
        session.get(ProgrammeVersion, (programme_id, programme.version))
        if programme is not None
        else None
    )
    return columns_of(_engine_programme(version))
