"""Precomputed score files (long ``mentee_id, mentor_id, score``), CSV or Parquet.

Built for tens of millions of rows: files are parsed by Arrow, ids are dictionary-encoded
so only the distinct ids are looked up, and every check is a vectorised array operation.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from matching._io_tables import (
    CSV_SUFFIXES,
    MAX_PROBLEMS,
    check_utf8_stream,
    file_label,
    raise_problems,
    sniff_delimiter,
)
from matching.errors import InputError, Problem
from matching.messages import Message
from matching.model import MAX_SCORE

__all__ = ["SCORE_COLUMNS", "read_scores"]

SCORE_COLUMNS = ("mentee_id", "mentor_id", "score")


def read_scores(
    path: str | Path, mentee_ids: Collection[str], mentor_ids: Collection[str]
) -> pd.DataFrame:
    """Read a long score table and check it against the participants' ids.

    See :func:`matching.io.read_scores`.
    """
    path = Path(path)
    label = file_label(path)
    if not path.is_file():
        raise InputError(Message("file not found"), file=label)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        table, delimiter, first_row = _read_csv(path, label), True, 2
    elif suffix == ".parquet":
        table, delimiter, first_row = _read_parquet(path, label), False, 1
    else:
        raise InputError(Message("unknown file type for scores: use .csv or .parquet"), file=label)
    return _validate(table, label, first_row, delimiter, mentee_ids, mentor_ids)


def _read_csv(path: Path, label: str) -> pa.Table:
    """Arrow's multithreaded CSV reader, all three columns as text first."""
    if path.stat().st_size == 0:
        raise InputError(Message("the file is empty"), file=label)
    with path.open("rb") as stream:
        head = stream.read(1 << 16)
        stream.seek(0)
        delimiter = sniff_delimiter(head.decode("utf-8-sig", errors="replace"))
        check_utf8_stream(stream, label, delimiter)
    ragged: list[int | None] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        """Remember ragged rows (their number only: their text is personal data)."""
        ragged.append(row.number)
        return "skip"

    def parse(threads: bool) -> pa.Table:
        """Parse with or without threads (row numbers are only known without)."""
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in SCORE_COLUMNS},
                strings_can_be_null=True,
            ),
        )

    try:
        table = parse(threads=True)
        if ragged and None in ragged:
            ragged.clear()
            table = parse(threads=False)
    except pa.ArrowInvalid:
        raise InputError(
            Message("not a readable CSV file (check the header row)"), file=label
        ) from None
    if ragged:
        raise_problems(
            [
                Problem(label, number, None, Message("the number of cells differs from the header"))
                for number in ragged[:MAX_PROBLEMS]
            ]
        )
    table = table.rename_columns([name.strip().lstrip("\ufeff") for name in table.column_names])
    if delimiter == ";" and "score" in table.column_names:
        # French decimal commas: only ';' files use them, and a score holds no list.
        score = pc.replace_substring(table.column("score"), ",", ".")
        table = table.set_column(table.column_names.index("score"), "score", score)
    return table


def _read_parquet(path: Path, label: str) -> pa.Table:
    """The three score columns of a Parquet file."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError):
        raise InputError(Message("not a valid Parquet file"), file=label) from None
    columns = [c for c in SCORE_COLUMNS if c in schema.names]
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError):
        raise InputError(Message("not a valid Parquet file"), file=label) from None


def _validate(
    table: pa.Table,
    label: str,
    first_row: int,
    from_csv: bool,
    mentee_ids: Collection[str],
    mentor_ids: Collection[str],
) -> pd.DataFrame:
    """Ids known, pairs unique, scores finite; returns the scores with categorical ids."""
    for column in SCORE_COLUMNS:
        if column not in table.column_names:
            row = 1 if from_csv else None
            reason = Message("there is no '{column}' column", column=column)
            raise InputError(reason, file=label, row=row, column=column)
    mentees = pd.Index(list(dict.fromkeys(str(i) for i in mentee_ids)))
    mentors = pd.Index(list(dict.fromkeys(str(i) for i in mentor_ids)))
    problems: list[Problem] = []
    mentee_idx = _id_codes(table.column("mentee_id"), mentees, "mentee_id", problems)
    mentor_idx = _id_codes(table.column("mentor_id"), mentors, "mentor_id", problems)
    score = _scores(table.column("score"), problems)
    if not problems:
        key = mentee_idx.astype(np.int64) * max(len(mentors), 1) + mentor_idx
        problems += _rows(_repeated(key), "mentor_id", Message("this pair is listed twice"))
    problems = [
        replace(p, file=label, row=None if p.row is None else p.row + first_row) for p in problems
    ]
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    raise_problems(problems)
    return pd.DataFrame(
        {
            "mentee_id": pd.Categorical.from_codes(mentee_idx, categories=mentees),
            "mentor_id": pd.Categorical.from_codes(mentor_idx, categories=mentors),
            "score": score,
        }
    )


def _id_codes(
    column: pa.ChunkedArray, known: pd.Index, name: str, problems: list[Problem]
) -> NDArray[np.int32]:
    """Each row's index in ``known`` (-1 if unknown), looking up each distinct id once."""
    # Work on the dictionary (one entry per distinct id), never on the millions of cells.
    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    unified = pa.table({name: encoded}).unify_dictionaries().column(name)
    if unified.num_chunks == 0:
        return np.zeros(0, dtype=np.int32)
    dictionary = unified.chunk(0).dictionary
    if not pa.types.is_string(dictionary.type):
        dictionary = pc.cast(dictionary, pa.string())
    distinct = pc.utf8_trim_whitespace(dictionary).to_pylist()
    lookup = known.get_indexer(pd.Index(distinct, dtype=object)).astype(np.int32)
    blank = np.asarray([not value for value in distinct], dtype=bool)
    lookup[blank] = -2  # -2: empty id, -1: unknown id
    codes = np.concatenate(
        [pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False) for chunk in unified.chunks]
    ).astype(np.int64)
    result = np.where(codes < 0, -2, lookup[np.maximum(codes, 0)] if lookup.size else -1)
    problems += _rows(result == -2, name, Message("the id is empty"))
    problems += _rows(result == -1, name, Message("unknown id: not in the participant file"))
    return np.maximum(result, -1).astype(np.int32)


def _scores(column: pa.ChunkedArray, problems: list[Problem]) -> NDArray[np.float64]:
    """Scores as float64; text that is no number, and NaN / infinity, are refused."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        text = pc.utf8_trim_whitespace(column)
        try:
            values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:
            # Only on the error path: locate the rows Arrow could not parse.
            values = pd.to_numeric(
                pd.Series(text.to_numpy(zero_copy_only=False)), errors="coerce"
            ).to_numpy(np.float64)
    else:
        try:
            values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            problems.append(
                Problem(None, None, "score", Message("the score column is not numeric"))
            )
            return np.zeros(len(column), dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    missing = Message("the score is missing or not a finite number")
    problems += _rows(~np.isfinite(values), "score", missing)
    # The assignment maximises scores: a negative score has no meaning it could keep.
    problems += _rows(values < 0, "score", Message("the score must be 0 or more"))
    most = f"{MAX_SCORE:g}"
    above = Message("the score must be at most {most}", most=most)
    problems += _rows(values > MAX_SCORE, "score", above)
    return values


def _repeated(key: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Rows whose key appeared in an earlier row (sort-based: faster than hashing here)."""
    repeated = np.zeros(key.size, dtype=bool)
    if key.size < 2 or bool(np.all(key[1:] > key[:-1])):
        return repeated  # files written in pair order need no sort
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    repeated[order[1:][ordered[1:] == ordered[:-1]]] = True
    return repeated


def _rows(mask: NDArray[np.bool_], column: str, reason: Message) -> list[Problem]:
    """Problems at the first flagged 0-based positions (file and row offset added later)."""
    positions = np.flatnonzero(mask)[:MAX_PROBLEMS]
    return [Problem(None, int(p), column, reason) for p in positions]
