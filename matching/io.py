"""Reading participant, score and pair files, and writing a result's output files.

Formats (README, "Command line"): CSV with ``,`` ``;`` or tab, UTF-8 with or without BOM, any line
endings, surrounding spaces trimmed, French decimal commas in ``;`` files; ``.xlsx``
(first sheet); ``.parquet``; ``.json`` (a list of objects). Multi-valued cells are
separated by ``|`` and a level is written ``tag:3``; lists in JSON / Parquet are joined
with ``|``. Every cell is read as text first, so an id like ``007`` survives.

Bad input is refused with :class:`~matching.errors.InputErrors` listing, for each problem,
the file, the row and the column and the reason — never a cell's content, which is
personal data. **Rows** are numbered as a person finds them: in CSV and Excel files the
spreadsheet row (the header is row 1, so the first participant is row 2); in JSON and
Parquet files the record number (the first object or record is row 1).

Output (:func:`write_result`): ``pairs.csv``, ``unmatched.csv``, ``summary.json``, written
atomically: all three are rendered and written to temporary files first, then renamed,
so a failure leaves the previous output untouched.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from matching import _io_scores, _preferences
from matching._io_participants import validate_participants
from matching._io_tables import MAX_PROBLEMS, raise_problems, read_table
from matching.defaults import default_programme_text
from matching.errors import InputError, Problem
from matching.messages import Message
from matching.model import Programme
from matching.result import MatchResult

__all__ = [
    "DEMO_INPUT_FILES",
    "OUTPUT_FILES",
    "file_sha256",
    "read_pairs",
    "read_participants",
    "read_ranks",
    "read_scores",
    "write_demo_inputs",
    "write_result",
]

OUTPUT_FILES = ("pairs.csv", "unmatched.csv", "summary.json")
"""The files :func:`write_result` writes, in this order."""


def read_participants(
    path: str | Path,
    side: Literal["mentee", "mentor"],
    programme: Programme | None = None,
    *,
    check_fields: bool = True,
) -> pd.DataFrame:
    """Read and check a mentee or mentor file.

    Parameters
    ----------
    path
        ``.csv`` / ``.tsv`` / ``.txt`` (``,`` ``;`` or tab, detected), ``.xlsx``,
        ``.parquet`` or ``.json``.
    side
        ``"mentee"`` or ``"mentor"``: decides the count columns (``demand`` for mentees,
        ``capacity`` and ``min_load`` for mentors).
    programme
        When given, its ``fields`` name the id and count columns
        (:func:`matching.apply_field_map`), and the fields its criteria read are checked
        too (:func:`matching.features.check_participants`) unless ``check_fields`` is
        false (precomputed scores read no criterion).

    Returns
    -------
    pandas.DataFrame
        One row a participant in file order, ``id`` first; every other cell is text
        (``None`` when empty) except the integer count columns, which always exist. The
        frame remembers its file and original columns, so :func:`matching.match` and
        :func:`matching.check_inputs` name them in warnings.

    Raises
    ------
    InputError
        The file is missing, empty, not UTF-8, of an unknown type, or has no header or
        no ``id`` column.
    InputErrors
        Row-level problems (empty or repeated ids, bad counts, ragged rows, fields the
        programme cannot read), at most 50, each with file, row, column and reason.
    """
    table = read_table(path)
    return validate_participants(table, side, programme, check_fields=check_fields)


def read_scores(
    path: str | Path, mentee_ids: Collection[str], mentor_ids: Collection[str]
) -> pd.DataFrame:
    """Read precomputed pair scores (long format) and check them against the ids.

    Parameters
    ----------
    path
        ``.csv`` (``,`` ``;`` or tab; decimal commas in ``;`` files) or ``.parquet``, with
        the columns ``mentee_id``, ``mentor_id``, ``score`` (others are ignored).
    mentee_ids, mentor_ids
        The participants' ids; a score naming any other id is refused.

    Returns
    -------
    pandas.DataFrame
        ``mentee_id`` and ``mentor_id`` as categoricals whose categories are the given ids
        (compact for tens of millions of rows: ``.cat.codes`` are the positions in the
        id lists), ``score`` as float64, in file order.

    Raises
    ------
    InputError
        Missing or unreadable file, missing column, unknown or empty ids, duplicate pairs,
        scores that are not finite numbers (rows as in :func:`read_participants`).
    """
    return _io_scores.read_scores(path, mentee_ids, mentor_ids)


def read_ranks(
    path: str | Path, mentee_ids: Collection[str], mentor_ids: Collection[str]
) -> pd.DataFrame:
    """Read one side's ranked preferences: columns ``mentee_id``, ``mentor_id``, ``rank``.

    Parameters
    ----------
    path
        Any participant file format. ``rank`` is a whole number from 1 (first choice);
        equal ranks are ties (broken by id), and a pair absent is not acceptable to that
        side (see ``matching.match(mentee_ranks=...)``).
    mentee_ids, mentor_ids
        The participants' ids; a row naming any other id is refused.

    Returns
    -------
    pandas.DataFrame
        ``mentee_id``, ``mentor_id`` (text) and ``rank`` (int64), in file order.

    Raises
    ------
    InputError
        Missing column, empty or unknown id, a rank that is not a whole number from 1, a
        pair ranked twice (rows as in :func:`read_participants`).
    """
    return _preferences.read_ranks(path, mentee_ids, mentor_ids)


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """Read a list of pairs (locked, forbidden or previous) with columns ``mentee_id``,
    ``mentor_id``.

    Parameters
    ----------
    path
        Any participant file format; a file with a header and no rows is an empty list.

    Returns
    -------
    list of (str, str)
        ``(mentee_id, mentor_id)`` in file order (repeats are kept; ``match`` ignores them).

    Raises
    ------
    InputError
        A column is missing or a cell is empty.
    """
    table = read_table(path)
    problems: list[Problem] = list(table.problems)
    for column in ("mentee_id", "mentor_id"):
        if column not in table.frame.columns:
            raise InputError(
                Message("there is no '{column}' column", column=column),
                file=table.file,
                row=table.header_row,
                column=column,
            )
        for position in table.frame.index[table.frame[column].isna()][:MAX_PROBLEMS]:
            problems.append(table.problem(int(position), column, Message("the id is empty")))
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    raise_problems(problems)
    mentees = table.frame["mentee_id"].astype(str).tolist()
    mentors = table.frame["mentor_id"].astype(str).tolist()
    return list(zip(mentees, mentors, strict=True))


DEMO_INPUT_FILES = ("mentees.csv", "mentors.csv", "programme.toml")
"""The input files ``marraine demo`` writes next to its output, to show the format."""


def write_demo_inputs(
    mentees: pd.DataFrame, mentors: pd.DataFrame, out_dir: str | Path
) -> dict[str, Path]:
    """Write a demo's participants and the default programme (``DEMO_INPUT_FILES``) as a
    newcomer would write her own: CSV, ``|`` between the values of a cell.

    Returns
    -------
    dict of str to Path
        ``mentees``, ``mentors`` and ``config``, the paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "mentees": out / DEMO_INPUT_FILES[0],
        "mentors": out / DEMO_INPUT_FILES[1],
        "config": out / DEMO_INPUT_FILES[2],
    }
    mentees.to_csv(paths["mentees"], index=False, lineterminator="\n")
    mentors.to_csv(paths["mentors"], index=False, lineterminator="\n")
    paths["config"].write_text(default_programme_text(), encoding="utf-8")
    return paths


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (recorded in ``summary.json`` for each input file)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_result(
    result: MatchResult, out_dir: str | Path, inputs: Mapping[str, str | Path] | None = None
) -> list[Path]:
    """Write ``pairs.csv``, ``unmatched.csv`` and ``summary.json`` (README's output files), UTF-8.

    Parameters
    ----------
    result
        What :func:`matching.match` returned.
    out_dir
        Created when missing. Existing files of the same names are replaced.
    inputs
        The input files by role (``mentees``, ``mentors``, ``config`` ...): their
        SHA-256 go in ``summary.json`` under ``inputs_sha256``, so a result can be traced
        to the very files it came from.

    Returns
    -------
    list of Path
        The written files, in the order of :data:`OUTPUT_FILES`.
    """
    out = Path(out_dir)
    summary = {
        **result.summary.to_dict(),
        "warnings": [w.to_dict() for w in result.warnings],
        **result.outcomes_dict(),
        "inputs_sha256": {role: file_sha256(path) for role, path in (inputs or {}).items()},
    }
    out.mkdir(parents=True, exist_ok=True)
    # Everything is rendered before anything touches the disk.
    contents = {
        "pairs.csv": result.pairs_frame().to_csv(index=False, lineterminator="\n"),
        "unmatched.csv": result.unmatched_frame().to_csv(index=False, lineterminator="\n"),
        "summary.json": json.dumps(
            _json_safe(summary), indent=2, ensure_ascii=False, allow_nan=False
        )
        + "\n",
    }
    staged: dict[str, Path] = {}
    try:
        for name in OUTPUT_FILES:
            handle, temporary_name = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
            staged[name] = Path(temporary_name)
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(contents[name])
        for name, staged_path in staged.items():
            os.replace(staged_path, out / name)
    finally:
        for staged_path in staged.values():
            staged_path.unlink(missing_ok=True)
    return [out / name for name in OUTPUT_FILES]


def _json_safe(value: Any) -> Any:
    """Non-finite floats as ``null`` (JSON has no NaN or infinity), recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value
