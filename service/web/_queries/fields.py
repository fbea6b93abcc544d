"""Participants' fields as the review page reads them: names, regions, groups, tags and
mentor capacities, by person id (which columns hold them: :mod:`.columns`).

A programme can hold 30,000 mentees, so nothing here loads participants as ORM entities
or binds thousands of ids in an ``IN`` list (SQLite refuses more than 32,766 variables;
PostgreSQL plans such lists slowly): a few ids are looked up (in bounded batches),
anything bigger reads the whole side of the programme in one query, extracting only the
fields asked for with SQL's JSON accessors. Those read strings exactly but may misread
numbers and flags (SQLite), so a side holding any in the fields asked for is decoded in
Python instead: fields read the same as ``str(value).strip()`` of the stored value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, Text, cast, select
from sqlalchemy.orm import Session

from service.db import BIND_LIMIT, batches
from service.models import Participant

Ts = TypeVarTuple("Ts")

__all__ = [
    "BIND_LIMIT",
    "COUNT_FIELDS",
    "batches",
    "capacity",
    "certain",
    "extractable",
    "field",
    "from_json",
    "people",
    "rows",
    "stored_values",
    "tags",
    "text",
    "values",
]

COUNT_FIELDS = frozenset({"capacity", "demand", "min_load"})
"""Fields read as whole numbers (for these, ``true`` and ``1`` mean the same)."""


def text(value: Any) -> str:
    """A field as text: missing, None and NaN give ``""``, anything else ``str`` stripped."""
    if type(value) is str:
        return value.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def tags(value: Any) -> list[str]:
    """A multi-valued field as tags, levels dropped (``seo:3`` -> ``seo``)."""
    items = value if isinstance(value, list) else text(value).split("|")
    return [str(item).split(":")[0].strip() for item in items if str(item).strip()]


def capacity(value: Any) -> int:
    """A mentor's seats: her ``capacity`` if it is a number, else 1."""
    return int(value) if isinstance(value, int | float) and not math.isnan(value) else 1


def rows(session: Session, statement: Select[*Ts]) -> Sequence[Row[*Ts]]:
    """The rows of a column query, read through Core: on 30,000 rows the ORM's loading
    costs three times the query. Pending changes are flushed first, as ORM reads do."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement).all()


def people(
    session: Session, programme_id: str, side: str, ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Participants' fields by id (all of one side, or only ``ids``, in bounded batches)."""
    query = select(Participant.person_id, Participant.data).where(
        Participant.programme_id == programme_id,
        Participant.side == side,
        Participant.status == "approved",
    )
    if ids is None:
        return {person_id: data for person_id, data in rows(session, query)}
    found: dict[str, dict[str, Any]] = {}
    for batch in batches(ids):
        for person_id, data in rows(session, query.where(Participant.person_id.in_(batch))):
            found[person_id] = data
    return found


def values(
    session: Session,
    programme_id: str,
    side: str,
    names: Sequence[str],
    ids: Collection[str] | None = None,
) -> dict[str, tuple[Any, ...]]:
    """The fields ``names`` of participants by id, as stored (``None`` when missing).

    Only ``ids`` are looked up when they are few; otherwise (or with ``ids=None``) the
    whole side is read, so the answer may hold more people than asked for.
    """
    if ids is not None and len(ids) <= BIND_LIMIT:
        found = people(session, programme_id, side, ids)
        return {person_id: tuple(data.get(n) for n in names) for person_id, data in found.items()}
    return _side_values(session, programme_id, side, names)


def field(participant: type[Participant], name: str) -> ColumnElement[str | None]:
    """One field of ``participant.data`` as JSON text (NULL when missing), extracted in
    SQL; :func:`from_json` reads it, :func:`certain` says whether to trust it."""
    return cast(participant.data[name], Text)


def extractable(names: Sequence[str]) -> bool:
    """Whether SQL's JSON functions find the fields ``names``: documents are stored with
    non-ASCII characters escaped (``acad\\u00e9mie``) and SQLite matches a path against
    the stored key as written, so a name beyond plain ASCII (or holding a quote) is read
    in Python instead."""
    return all(n.isascii() and n.isprintable() and '"' not in n and "\\" not in n for n in names)


def stored_values(
    session: Session, programme_id: str, side: str, names: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """The fields ``names`` of every participant of one side, decoded in Python from the
    stored documents: exact whatever the values hold, and slower than :func:`values`."""
    query = select(Participant.person_id, Participant.data).where(
        Participant.programme_id == programme_id,
        Participant.side == side,
        Participant.status == "approved",
    )
    return {pid: tuple(data.get(n) for n in names) for pid, data in rows(session, query)}


def _side_values(
    session: Session, programme_id: str, side: str, names: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """Some fields of every participant of one side, extracted in SQL."""
    if not extractable(names):
        return stored_values(session, programme_id, side, names)
    query = select(Participant.person_id, *(field(Participant, n) for n in names)).where(
        Participant.programme_id == programme_id,
        Participant.side == side,
        Participant.status == "approved",
    )
    found = rows(session, query)
    if not found:
        return {}
    person_ids, *texts = zip(*found, strict=True)
    columns = [[from_json(t) for t in column] for column in texts]
    if not all(
        all(type(v) is str or v is None for v in column) or all(certain(name, v) for v in column)
        for name, column in zip(names, columns, strict=True)
    ):
        return stored_values(session, programme_id, side, names)  # rare: numbers, flags
    return dict(zip(person_ids, zip(*columns, strict=True), strict=True))


def from_json(value: str | None) -> Any:
    """One field's JSON text as a Python value (a plain string without parsing)."""
    if value is None:
        return None
    if value[:1] == '"' and "\\" not in value:
        return value[1:-1]
    if value.isdigit():
        return int(value)
    return json.loads(value)


def certain(name: str, value: Any) -> bool:
    """Whether a value read through SQL's JSON functions is the stored one: SQLite reads
    ``true`` / ``false`` as 1 / 0 and prints reals with 15 digits, so a number in a text
    field (``str(True)`` is not ``str(1)``) or a real anywhere is read again in Python."""
    if isinstance(value, float):
        return False
    if isinstance(value, int):
        return name in COUNT_FIELDS
    return True
