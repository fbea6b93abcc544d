"""Intakes in waves: a programme's waves, the runs of each, what carries over from one
wave to the next, and each wave's report.

A wave groups the runs of one intake. Its runs match the programme's participants as
stored when they are queued (the coordinator adds the intake's sign-ups and removes who
left). Two rules tie a wave to the ones before it:

- **Previous pairs are never proposed again**: every pair published by a run outside
  the wave (approved or locked in a published run) is a forbidden pair of its runs.
- **Carry-over**: the mentees a published run of the wave before left without an
  approved or locked pair (and who are still participants) are *carried over*; the
  wave's runs favour them as the programme's settings say (:data:`PRIORITIES`):
  ``bonus`` (each of their pairs counts ``bonus`` more) or ``first`` (as many of them
  matched as can be before anyone else). :mod:`service.carry_over` turns that into the
  engine's quotas. A ``stable`` run has no carry-over priority: stable matching takes
  no quotas (its notion of fairness is the preferences' own).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db import lock_row
from service.models import (
    Participant,
    Programme,
    Run,
    RunPair,
    RunUnmatched,
    Wave,
    WaveSettings,
    new_id,
    utcnow,
)
from service.ops.contacts import run_programme
from service.ops.errors import ConflictError, NotFoundError

__all__ = [
    "GroupLine",
    "WaveReport",
    "attach",
    "carried_into",
    "close",
    "create",
    "previous_pairs",
    "published_run",
    "report",
    "settings_of",
]

HOLDS = ("approved", "locked")
"""The decisions publishing makes active (a pair with another decision is not published)."""


def settings_of(session: Session, programme_id: str) -> WaveSettings:
    """The programme's wave settings, the defaults when it has none stored (not added)."""
    stored = session.get(WaveSettings, programme_id)
    if stored is not None:
        return stored
    return WaveSettings(
        programme_id=programme_id,
        priority="bonus",
        bonus=0.1,
        choices=False,
        choices_k=3,
        choice_days=7,
    )


def create(session: Session, programme: Programme, name: str | None) -> Wave:
    """Open the programme's next wave; 409 while another wave is open. Holds the
    programme's row lock: two requests at once open one wave, the other gets 409."""
    lock_row(session, Programme.id, programme.id, touch=Programme.name)
    open_wave = session.scalar(
        select(Wave.id).where(Wave.programme_id == programme.id, Wave.status == "open")
    )
    if open_wave is not None:
        raise ConflictError("wave_open", "close the open wave before opening the next one")
    last = session.scalar(select(func.max(Wave.number)).where(Wave.programme_id == programme.id))
    number = int(last or 0) + 1
    wave = Wave(
        id=new_id("wave"),
        programme_id=programme.id,
        number=number,
        name=name or f"{number}",
        status="open",
        created_at=utcnow(),
    )
    session.add(wave)
    session.flush()
    return wave


def close(wave: Wave) -> None:
    """Close a wave: it takes no more runs (its published pairs and report stay)."""
    if wave.status == "closed":
        raise ConflictError("wave_closed", "this wave is closed")
    wave.status, wave.closed_at = "closed", utcnow()


def published_run(session: Session, wave: Wave) -> Run | None:
    """The wave's run published last, if any."""
    return session.scalars(
        select(Run)
        .where(Run.wave_id == wave.id, Run.published_at.is_not(None))
        .order_by(Run.published_at.desc(), Run.id.desc())
    ).first()


def _wave_before(session: Session, wave: Wave) -> Wave | None:
    return session.scalars(
        select(Wave)
        .where(Wave.programme_id == wave.programme_id, Wave.number < wave.number)
        .order_by(Wave.number.desc())
    ).first()


def _held_and_left(session: Session, run: Run) -> tuple[set[str], set[str]]:
    """The mentees ``run`` matched (an approved or locked pair) and those it left."""
    pairs = session.execute(
        select(RunPair.mentee_id, RunPair.decision).where(RunPair.run_id == run.id)
    ).all()
    unmatched = session.scalars(select(RunUnmatched.mentee_id).where(RunUnmatched.run_id == run.id))
    held = {mentee for mentee, decision in pairs if decision in HOLDS}
    everyone = {mentee for mentee, _ in pairs} | set(unmatched)
    return held, everyone - held


def _participants(session: Session, programme_id: str, side: str) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(Participant.person_id, Participant.data).where(
            Participant.programme_id == programme_id, Participant.side == side
        )
    )
    return {person: data for person, data in rows}


def carried_into(session: Session, wave: Wave) -> list[str]:
    """The mentees carried over into ``wave``: those the wave before's published run left
    unmatched, still participants (none when that wave published no run)."""
    before = _wave_before(session, wave)
    run = published_run(session, before) if before is not None else None
    if run is None:
        return []
    _held, left = _held_and_left(session, run)
    present = _participants(session, wave.programme_id, "mentee")
    return sorted(m for m in left if m in present)


def previous_pairs(session: Session, wave: Wave) -> list[list[str]]:
    """Every pair published by a run of the programme outside ``wave``."""
    rows = session.execute(
        select(RunPair.mentee_id, RunPair.mentor_id)
        .join(Run, Run.id == RunPair.run_id)
        .where(
            Run.programme_id == wave.programme_id,
            Run.published_at.is_not(None),
            (Run.wave_id.is_(None)) | (Run.wave_id != wave.id),
            RunPair.decision.in_(HOLDS),
        )
    ).all()
    return [list(pair) for pair in sorted(set(rows))]


def attach(session: Session, run: Run, wave_id: str) -> None:
    """Put a new run in its wave: the previous pairs forbidden and, unless the run is
    stable, the carried-over mentees' priority as the programme sets it."""
    wave = session.get(Wave, wave_id)
    if wave is None or wave.programme_id != run.programme_id:
        raise NotFoundError("wave_not_found", "wave not found")
    if wave.status != "open":
        raise ConflictError("wave_closed", "this wave is closed")
    run.wave_id = wave.id
    forbidden = {tuple(p) for p in run.forbidden or []}
    forbidden |= {tuple(p) for p in previous_pairs(session, wave)}
    run.forbidden = [list(p) for p in sorted(forbidden)]
    carried = carried_into(session, wave)
    if carried and not _is_stable(session, run):
        stored = settings_of(session, run.programme_id)
        run.priority = {"mode": stored.priority, "bonus": stored.bonus, "carried": carried}


def _is_stable(session: Session, run: Run) -> bool:
    if run.objective is not None:
        return run.objective == "stable"
    if run.ranks is not None:
        return True
    config = run_programme(session, run.programme_id, run.version)
    return config is not None and config.is_stable


@dataclass(frozen=True)
class GroupLine:
    """One value of one mentee group column (``column`` None: everyone)."""

    column: str | None
    value: str | None
    participants: int
    matched: int
    carried_in: int
    carried_over: int


@dataclass(frozen=True)
class WaveReport:
    wave: Wave
    run_id: str
    lines: list[GroupLine]


def report(session: Session, wave: Wave) -> WaveReport:
    """The wave's figures from its published run: participants (mentees in the run),
    matched (an approved or locked pair), carried in (from the wave before) and carried
    over (left unmatched: the next wave's carried-in), in all and per value of each
    mentee group column."""
    run = published_run(session, wave)
    if run is None:
        raise ConflictError("wave_not_published", "this wave has no published run yet")
    held, left = _held_and_left(session, run)
    carried = set((run.priority or {}).get("carried") or carried_into(session, wave))
    everyone = held | left
    lines = [_line(None, None, everyone, held, carried)]
    config = run_programme(session, run.programme_id, run.version)
    data = _participants(session, run.programme_id, "mentee")
    for column in config.fields.mentee.groups if config is not None else ():
        by_value: dict[str, set[str]] = defaultdict(set)
        for mentee in everyone:
            by_value[str((data.get(mentee) or {}).get(column, ""))].add(mentee)
        for value in sorted(by_value):
            lines.append(_line(column, value, by_value[value], held, carried))
    return WaveReport(wave=wave, run_id=run.id, lines=lines)


def _line(
    column: str | None, value: str | None, members: set[str], held: set[str], carried: set[str]
) -> GroupLine:
    counts = Counter("matched" if m in held else "left" for m in members)
    return GroupLine(
        column=column,
        value=value,
        participants=len(members),
        matched=counts["matched"],
        carried_in=len(members & carried),
        carried_over=counts["left"],
    )
