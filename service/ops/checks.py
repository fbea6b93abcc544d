"""The check before a run: what a run of the programme's current configuration would read
of its stored participants (:func:`matching.check_inputs`), without matching anyone."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from matching import check_inputs, prepare_participants, quota_outlook
from matching.messages import Language
from matching.model import Programme as EngineProgramme
from service.models import Programme, ProgrammeVersion
from service.ops.errors import ConflictError
from service.ops.participants import side_frame

__all__ = ["check_programme"]


def check_programme(
    session: Session, programme: Programme, language: Language | None = None
) -> dict[str, Any]:
    """The engine's input report on the programme's participants and configuration:
    roles, criteria, rules (pairs excluded), unread columns, quotas, warnings, and the
    problems that would refuse a run (as JSON-ready data); its words in ``language``
    (default: the programme's)."""
    version = session.get(ProgrammeVersion, (programme.id, programme.version))
    if version is None:  # every programme is created with its version 1
        raise ConflictError("no_configuration", "programme has no configuration")
    config = EngineProgramme.from_dict(version.config)
    mentees = side_frame(session, programme.id, "mentee", config)
    mentors = side_frame(session, programme.id, "mentor", config)
    report = check_inputs(mentees, mentors, config, language).to_dict()
    if config.quotas and report["ok"]:
        report["quotas"] = _quotas(mentees, mentors, config, language)
    return report


def _quotas(
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    config: EngineProgramme,
    language: Language | None,
) -> list[dict[str, Any]]:
    """Whether each quota can be met: what it asks of its group and the most of the group
    that can be matched, and what limits it, in words."""
    outlook = quota_outlook(
        prepare_participants(mentees, config, "mentee"),
        prepare_participants(mentors, config, "mentor"),
        config,
        language=language,
    )
    return [
        {
            "name": q.name,
            "hard": q.hard,
            "required": q.required,
            "members": q.members,
            "reachable": q.reachable,
            "meetable": q.meetable,
            "limit": q.limit,
        }
        for q in outlook
    ]
