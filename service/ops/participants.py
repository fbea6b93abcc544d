"""Participants: validated upsert, the researcher's pseudonymised view, export, erasure."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Text, cast, delete, select
from sqlalchemy.orm import Session

from matching import prepare_participants
from matching.model import Programme as EngineProgramme
from service.db import bulk_insert, json_value
from service.models import (
    ActivePair,
    CheckIn,
    ChoiceLink,
    ChoiceOption,
    ChoiceRound,
    Decision,
    Erasure,
    Message,
    Participant,
    Run,
    RunAlternative,
    RunPair,
    RunUnmatched,
    utcnow,
)
from service.pseudonyms import pseudonym

__all__ = [
    "COUNT_COLUMNS",
    "EngineSide",
    "check_records",
    "erase",
    "export",
    "frame_records",
    "research_view",
    "side_frame",
    "upsert",
]

EngineSide = Literal["mentee", "mentor"]

COUNT_COLUMNS: dict[EngineSide, tuple[str, ...]] = {
    "mentee": ("demand",),
    "mentor": ("capacity", "min_load"),
}
"""The count roles of each side: stored under these, the engine's names, whatever the
programme's files call them (its ``[fields]``), as its id is stored as ``person_id``."""


def _plain(value: Any) -> Any:
    """A JSON-ready cell: numpy scalars unwrapped, NaN as missing."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a participant table as records with JSON-ready values."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def check_records(
    records: list[dict[str, Any]], programme: EngineProgramme, side: EngineSide
) -> list[dict[str, Any]]:
    """Validate JSON participants as the engine would, in the programme's own column
    names (its field map renames the id and count columns to the engine's, as for a
    file); raises InputError / InputErrors naming the programme's columns."""
    # Imported on first use, not at start-up: the criteria's checks bring scikit-learn and
    # SciPy, a second of every API process's start.
    from matching.errors import InputErrors
    from matching.features import check_participants

    if not records:
        return []
    frame = prepare_participants(records, programme, side)
    problems = check_participants(frame, programme, side)
    if problems:
        raise InputErrors(problems)
    return frame_records(frame)


def side_frame(
    session: Session, programme_id: str, side: EngineSide, programme: EngineProgramme
) -> pd.DataFrame:
    """One side's approved participants as the programme's own files hold them: its id and
    count columns under the names its ``[fields]`` give them (stored under the engine's),
    every other field as stored, in id order — what :func:`matching.match` and
    :func:`matching.check_inputs` read through the programme's field map."""
    fields = programme.fields.mentee if side == "mentee" else programme.fields.mentor
    roles = fields.role_columns()
    renames = {role: roles[role] for role in ("id", *COUNT_COLUMNS[side]) if roles[role] != role}
    # Two columns, not ORM objects: at 30,000 participants the objects cost seconds. The
    # fields as their JSON text, decoded here: through SQLAlchemy's result processing the
    # same decoding took about twice as long.
    rows = session.execute(
        select(Participant.person_id, cast(Participant.data, Text))
        .where(
            Participant.programme_id == programme_id,
            Participant.side == side,
            Participant.status == "approved",  # sign-ups wait for a coordinator
        )
        .order_by(Participant.person_id)
    ).all()
    if not rows:
        return pd.DataFrame({roles["id"]: []})
    frame = pd.DataFrame.from_records(
        [{"id": person_id, **json_value(data)} for person_id, data in rows]
    )
    # A field stored under a role's own column name (kept from before the mapping) would
    # collide with the role renamed to it: the role wins.
    frame = frame.drop(columns=[c for c in renames.values() if c in frame.columns])
    return frame.rename(columns=renames)


LOOKUP_BATCH = 500
"""Ids looked up per statement: one IN list of a whole upload would pass SQLite's limit of
32,766 bound variables (an upload of 33,000 people failed) and plans slowly on PostgreSQL."""


def upsert(
    session: Session, programme_id: str, side: EngineSide, records: Iterable[Mapping[str, Any]]
) -> tuple[int, int]:
    """Insert or replace participants by id, approved (a file or JSON upload is the
    coordinator's own: it approves a pending sign-up it names); returns (created,
    updated)."""
    by_id = {str(r["id"]): {k: v for k, v in r.items() if k != "id"} for r in records}
    ids = list(by_id)
    existing: dict[str, Participant] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        found = session.scalars(
            select(Participant).where(
                Participant.programme_id == programme_id,
                Participant.side == side,
                Participant.person_id.in_(ids[start : start + LOOKUP_BATCH]),
            )
        )
        existing.update((p.person_id, p) for p in found)
    created: list[dict[str, Any]] = []
    now = utcnow()
    for person_id, data in by_id.items():
        if person_id in existing:
            existing[person_id].data = data
            existing[person_id].status = "approved"
        else:
            created.append(
                {
                    "programme_id": programme_id,
                    "side": side,
                    "person_id": person_id,
                    "data": data,
                    "updated_at": now,
                    "status": "approved",
                }
            )
    session.flush()
    bulk_insert(session, Participant, created)
    return len(by_id) - len(existing), len(existing)


def research_view(
    participant: Participant, programme: EngineProgramme, secret: bytes
) -> tuple[str, dict[str, Any]]:
    """What a researcher sees of a person: a pseudonym and the fields the programme reads,
    without free-text fields (goals, bios), which can identify someone."""
    side: EngineSide = "mentee" if participant.side == "mentee" else "mentor"
    text_fields = {getattr(c, f"{side}_field") for c in programme.criteria if c.kind == "text"}
    counts = {"demand"} if side == "mentee" else {"capacity", "min_load"}
    keep = (set(programme.fields_read(side)) | counts) - text_fields
    fields = {k: v for k, v in participant.data.items() if k in keep}
    return pseudonym(secret, participant.programme_id, participant.person_id), fields


def export(session: Session, participant: Participant) -> dict[str, Any]:
    """Everything stored about one person in her programme (right of access)."""
    side: EngineSide = "mentee" if participant.side == "mentee" else "mentor"
    person_id = participant.person_id
    column = RunPair.mentee_id if side == "mentee" else RunPair.mentor_id
    runs = select(Run.id).where(Run.programme_id == participant.programme_id)
    pairs = session.scalars(
        select(RunPair).where(RunPair.run_id.in_(runs), column == person_id)
    ).all()
    active_column = ActivePair.mentee_id if side == "mentee" else ActivePair.mentor_id
    active = session.scalars(
        select(ActivePair).where(
            ActivePair.programme_id == participant.programme_id, active_column == person_id
        )
    ).all()
    decisions = [
        d
        for d in session.scalars(
            select(Decision)
            .where(Decision.programme_id == participant.programme_id)
            .order_by(Decision.id)
        )
        if (side == "mentee" and d.mentee_id == person_id)
        or (side == "mentor" and person_id in (d.before.get("mentor_id"), d.after.get("mentor_id")))
    ]
    return {
        "programme_id": participant.programme_id,
        "side": f"{side}s",
        "id": person_id,
        "fields": participant.data,
        "status": participant.status,
        "updated_at": participant.updated_at,
        "suggested_pairs": [
            {
                "run_id": p.run_id,
                "mentee_id": p.mentee_id,
                "mentor_id": p.mentor_id,
                "score": p.score,
                "why": p.why,
                "decision": p.decision,
            }
            for p in pairs
        ],
        "active_pairs": [
            {"mentee_id": a.mentee_id, "mentor_id": a.mentor_id, "run_id": a.run_id} for a in active
        ],
        "decisions": [
            {
                "run_id": d.run_id,
                "action": d.action,
                "before": d.before,
                "after": d.after,
                "created_at": d.created_at.isoformat(),
            }
            for d in decisions
        ],
    }


def erase(
    session: Session, participant: Participant, secret: bytes, key_id: str
) -> tuple[str, dict[str, int]]:
    """Remove a person from participants, runs' results, published pairs and run inputs;
    the audit log keeps her decisions under a pseudonym. Returns (pseudonym, counts)."""
    side: EngineSide = "mentee" if participant.side == "mentee" else "mentor"
    programme_id, person_id = participant.programme_id, participant.person_id
    alias = pseudonym(secret, programme_id, person_id)
    runs = select(Run.id).where(Run.programme_id == programme_id)
    removed: dict[str, int] = {}

    pair_column = RunPair.mentee_id if side == "mentee" else RunPair.mentor_id
    removed["pairs"] = _delete(
        session, delete(RunPair).where(RunPair.run_id.in_(runs), pair_column == person_id)
    )
    alt_column = RunAlternative.mentee_id if side == "mentee" else RunAlternative.mentor_id
    removed["alternatives"] = _delete(
        session,
        delete(RunAlternative).where(RunAlternative.run_id.in_(runs), alt_column == person_id),
    )
    removed["unmatched"] = (
        _delete(
            session,
            delete(RunUnmatched).where(
                RunUnmatched.run_id.in_(runs), RunUnmatched.mentee_id == person_id
            ),
        )
        if side == "mentee"
        else 0
    )
    active_column = ActivePair.mentee_id if side == "mentee" else ActivePair.mentor_id
    removed["active_pairs"] = _delete(
        session,
        delete(ActivePair).where(
            ActivePair.programme_id == programme_id, active_column == person_id
        ),
    )
    removed.update(_erase_follow_up(session, programme_id, side, person_id))
    removed.update(_erase_choices(session, programme_id, side, person_id))
    index = 0 if side == "mentee" else 1
    for run in session.scalars(select(Run).where(Run.programme_id == programme_id)):
        for name in ("locked", "forbidden", "incumbent"):
            pairs: list[list[str]] = getattr(run, name) or []
            kept = [p for p in pairs if p[index] != person_id]
            if len(kept) != len(pairs):
                setattr(run, name, kept)
        carried = (run.priority or {}).get("carried") or []
        if side == "mentee" and person_id in carried:
            run.priority = {
                **(run.priority or {}),
                "carried": [c for c in carried if c != person_id],
            }
    _pseudonymise_decisions(session, participant, alias)
    _forget_idempotency_keys(session, participant, secret)
    session.delete(participant)
    session.add(Erasure(programme_id=programme_id, side=side, pseudonym=alias, key_id=key_id))
    session.flush()
    return alias, removed


def _erase_follow_up(
    session: Session, programme_id: str, side: EngineSide, person_id: str
) -> dict[str, int]:
    """Her pairs' messages and check-ins, her partners' answers about her included (a
    check-in names the pair, and its free text may name her)."""
    removed = {}
    for name, entity in (("messages", Message), ("checkins", CheckIn)):
        column = entity.mentee_id if side == "mentee" else entity.mentor_id
        removed[name] = _delete(
            session,
            delete(entity).where(entity.programme_id == programme_id, column == person_id),
        )
    return removed


def _erase_choices(
    session: Session, programme_id: str, side: EngineSide, person_id: str
) -> dict[str, int]:
    """Her lines on everyone's short lists, and her own choice link."""
    rounds = select(ChoiceRound.id).where(ChoiceRound.programme_id == programme_id)
    column = ChoiceOption.mentee_id if side == "mentee" else ChoiceOption.mentor_id
    return {
        "choices": _delete(
            session,
            delete(ChoiceOption).where(ChoiceOption.round_id.in_(rounds), column == person_id),
        )
        + _delete(
            session,
            delete(ChoiceLink).where(
                ChoiceLink.round_id.in_(rounds),
                ChoiceLink.side == side,
                ChoiceLink.person_id == person_id,
            ),
        )
    }


SHORT_TEXT = 60
"""Text fields up to this length (names, e-mails, cities) are also matched word by word
in the reasons of decisions about the erased person."""


def _identifying_texts(participant: Participant) -> tuple[list[str], list[str]]:
    """What can name a person in free text: (her id and whole text values — matched in
    every decision — , the words of her short text values — matched in decisions about
    her), longest first so a longer match wins."""
    values: list[str] = [participant.person_id]
    for value in participant.data.values():
        items = value if isinstance(value, list) else [value]
        values += [item.strip() for item in items if isinstance(item, str)]
    whole = {v for v in values if len(v) >= 3 or v == participant.person_id}
    words = {
        word
        for v in values
        if len(v) <= SHORT_TEXT
        for word in re.findall(r"[^\W\d_][\w'.@-]{2,}", v)
    }
    return sorted(whole, key=len, reverse=True), sorted(words - whole, key=len, reverse=True)


def _scrubber(texts: list[str]) -> re.Pattern[str] | None:
    if not texts:
        return None
    return re.compile("|".join(re.escape(t) for t in texts), re.IGNORECASE)


def _pseudonymise_decisions(session: Session, participant: Participant, alias: str) -> None:
    """The audit log keeps her decisions under her pseudonym: her id in the pair and
    before/after states, and her id and field values in the coordinators' reasons."""
    person_id = participant.person_id
    whole, words = _identifying_texts(participant)
    everywhere, about_her = _scrubber(whole), _scrubber(whole + words)
    decisions = session.scalars(
        select(Decision).where(Decision.programme_id == participant.programme_id)
    )
    for decision in decisions:
        if participant.side == "mentee":
            concerns = decision.mentee_id == person_id
            if concerns:
                decision.mentee_id = alias
        else:
            concerns = person_id in (
                decision.before.get("mentor_id"),
                decision.after.get("mentor_id"),
            )
            decision.before = _alias_mentor(decision.before, person_id, alias)
            decision.after = _alias_mentor(decision.after, person_id, alias)
        scrub = about_her if concerns else everywhere
        if scrub is not None and decision.reason:
            decision.reason = scrub.sub(alias, decision.reason)


def _forget_idempotency_keys(session: Session, participant: Participant, secret: bytes) -> None:
    """Idempotency keys are the caller's free text: one that holds her id or a field value
    is replaced by a keyed hash of itself (still unique; it no longer names her)."""
    whole, words = _identifying_texts(participant)
    scrub = _scrubber(whole + words)
    if scrub is None:
        return
    runs = session.scalars(
        select(Run).where(
            Run.programme_id == participant.programme_id, Run.idempotency_key.is_not(None)
        )
    )
    for run in runs:
        if run.idempotency_key is not None and scrub.search(run.idempotency_key):
            run.idempotency_key = "erased-" + pseudonym(
                secret, run.programme_id, run.idempotency_key
            )


def _alias_mentor(state: dict[str, Any], person_id: str, alias: str) -> dict[str, Any]:
    if state.get("mentor_id") == person_id:
        return {**state, "mentor_id": alias}
    return state


def _delete(session: Session, statement: Any) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
