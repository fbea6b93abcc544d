"""Ranked preferences for stable matching: files and tables ``mentee_id, mentor_id, rank``.

A side's rank table says whom each person ranks, in which order: ``rank`` 1 is her first
choice, a larger number a later one. Rules, stated once here and in the README:

- **Incomplete lists.** A pair missing from a side's table is not acceptable to that side
  and is never matched. With both tables, a pair must be in both.
- **Ties.** Equal ranks are allowed; a tie is broken by the other person's id order
  (ids sorted as text), which makes the order strict. The result is then stable for the
  tie-broken order, hence *weakly* stable for the preferences as given: no pair whose
  members both rank each other strictly higher than what they got.
- **With scores or criteria.** Ranks decide the order of the side that gives them; the
  other side ranks by the pair score (or, for mentors, by ``stable.mentor_weights``). A
  pair must also be allowed by the rules, forbidden and previous pairs, and the minimum
  score (criteria), or be listed in the scores (a score table).
- **Ranks alone** (no scores and no programme): the acceptable pairs are the ranked ones
  and a pair's reported score is ``1 / rank`` of the mentee's rank (of the mentor's when
  only mentors ranked).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching._io_tables import MAX_PROBLEMS, RawTable, raise_problems, read_table
from matching._pairs import ScoredPairs, pair_keys
from matching.errors import InputError, Problem
from matching.messages import Message
from matching.solver import ArcLists, Proposing, oriented_lists

__all__ = [
    "RANK_COLUMNS",
    "RankTable",
    "rank_table",
    "ranked_lists",
    "read_ranks",
    "scores_from_ranks",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

RANK_COLUMNS = ("mentee_id", "mentor_id", "rank")
MAX_RANK = 10**9


def read_ranks(
    path: str | Path, mentee_ids: Collection[str], mentor_ids: Collection[str]
) -> pd.DataFrame:
    """Read a rank file (any participant file format) and check every row.

    Returns
    -------
    pandas.DataFrame
        ``mentee_id``, ``mentor_id`` (text) and ``rank`` (int64), in file order.

    Raises
    ------
    InputError
        A column missing; an id empty or unknown; a rank that is not a whole number from
        1; a pair listed twice — each named by file, row and column (never by value).
    """
    table = read_table(path)
    problems: list[Problem] = list(table.problems)
    for column in RANK_COLUMNS:
        if column not in table.frame.columns:
            raise InputError(
                Message("there is no '{column}' column", column=column),
                file=table.file,
                row=table.header_row,
                column=column,
            )
    frame = table.frame
    known = {"mentee_id": set(map(str, mentee_ids)), "mentor_id": set(map(str, mentor_ids))}
    ids: dict[str, pd.Series] = {}
    for column, members in known.items():
        text = frame[column].astype("string").str.strip()
        ids[column] = text
        empty = text.isna() | (text == "")
        problems += _located(table, empty, column, Message("the id is empty"))
        unknown = ~empty & ~text.isin(members)
        unknown_id = Message("unknown id: not in the participant file")
        problems += _located(table, unknown, column, unknown_id)
    rank = _ranks(frame["rank"])
    problems += _located(table, rank.isna(), "rank", _RANK_RULE)
    pair = ids["mentee_id"].fillna("") + "\x00" + ids["mentor_id"].fillna("")
    problems += _located(table, pair.duplicated(), "mentor_id", _RANKED_TWICE)
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    raise_problems(problems)
    return pd.DataFrame(
        {
            "mentee_id": ids["mentee_id"].astype(object),
            "mentor_id": ids["mentor_id"].astype(object),
            "rank": rank.astype("int64"),
        }
    ).reset_index(drop=True)


def _ranks(column: pd.Series) -> pd.Series:
    """Whole numbers from 1 (``3`` or ``3.0``); anything else NaN."""
    text = column.astype("string").str.strip()
    value = pd.to_numeric(text, errors="coerce")
    whole = (value >= 1) & (value <= MAX_RANK) & (value % 1 == 0)
    return value.where(whole)


_RANK_RULE = Message("the rank must be a whole number from 1")
_RANKED_TWICE = Message("this pair is ranked twice")


def _located(table: RawTable, mask: pd.Series, column: str, reason: Message) -> list[Problem]:
    positions = np.flatnonzero(mask.fillna(False).to_numpy(bool))[:MAX_PROBLEMS]
    return [table.problem(int(p), column, reason) for p in positions]


@dataclass(frozen=True)
class RankTable:
    """One side's ranks as index arrays, sorted by ``mentee x n_mentors + mentor``."""

    key: IntArray
    rank: IntArray

    def lookup(self, key: IntArray) -> tuple[NDArray[np.bool_], IntArray]:
        """Whether each pair is ranked, and its rank (0 where it is not)."""
        at = np.minimum(np.searchsorted(self.key, key), max(self.key.size - 1, 0))
        found = self.key[at] == key if self.key.size else np.zeros(key.size, dtype=bool)
        return found, np.where(found, self.rank[at] if self.key.size else 0, 0)


def rank_table(
    frame: pd.DataFrame, mentee_index: pd.Index, mentor_index: pd.Index, what: str
) -> RankTable:
    """Validate a rank table given as a DataFrame (``match(mentee_ranks=...)``).

    Raises
    ------
    InputError
        Named by ``what`` (``mentee_ranks`` or ``mentor_ranks``), the 0-based row and the
        column: a column missing, an unknown id, a rank not a whole number from 1, a pair
        ranked twice.
    """
    for column in RANK_COLUMNS:
        if column not in frame.columns:
            missing = Message("there is no '{column}' column", column=column)
            raise InputError(_in_table(what, missing), column=column)
    mentee = mentee_index.get_indexer(pd.Index(frame["mentee_id"].astype(str).str.strip()))
    mentor = mentor_index.get_indexer(pd.Index(frame["mentor_id"].astype(str).str.strip()))
    rank = _ranks(frame["rank"].reset_index(drop=True))
    for column, bad, reason in (
        ("mentee_id", mentee < 0, Message("unknown id")),
        ("mentor_id", mentor < 0, Message("unknown id")),
        ("rank", rank.isna().to_numpy(bool), _RANK_RULE),
    ):
        if bad.any():
            raise InputError(_in_table(what, reason), row=int(np.argmax(bad)), column=column)
    key = pair_keys(mentee, mentor, len(mentor_index))
    order = np.argsort(key, kind="stable")
    twice = np.flatnonzero(np.diff(key[order]) == 0)
    if twice.size:
        row = int(order[twice[0] + 1])
        raise InputError(_in_table(what, _RANKED_TWICE), row=row, column="mentor_id")
    return RankTable(key[order], rank.to_numpy(np.int64)[order])


def scores_from_ranks(
    mentee_ranks: pd.DataFrame | None, mentor_ranks: pd.DataFrame | None
) -> pd.DataFrame:
    """The score table of a ranks-only run: the pairs the given tables rank (in both when
    both are given), scored ``1 / rank`` by the mentee's rank (the mentor's without it)."""
    tables = [t for t in (mentee_ranks, mentor_ranks) if t is not None]
    first = tables[0][list(RANK_COLUMNS)].copy()
    for column in ("mentee_id", "mentor_id"):
        first[column] = first[column].astype(str).str.strip()
    first = first.drop_duplicates(["mentee_id", "mentor_id"])
    if len(tables) == 2:
        other = tables[1][["mentee_id", "mentor_id"]].astype(str)
        other = other.apply(lambda c: c.str.strip()).drop_duplicates()
        first = first.merge(other, on=["mentee_id", "mentor_id"], how="inner")
    rank = pd.to_numeric(first["rank"], errors="coerce")
    return pd.DataFrame(
        {
            "mentee_id": first["mentee_id"].to_numpy(),
            "mentor_id": first["mentor_id"].to_numpy(),
            "score": (1.0 / rank.where(rank >= 1)).fillna(0.0).to_numpy(np.float64),
        }
    )


def ranked_lists(
    n_mentees: int,
    n_mentors: int,
    pairs: ScoredPairs,
    mentor_value: FloatArray | None,
    ranks: tuple[RankTable | None, RankTable | None],
    proposing: Proposing,
) -> ArcLists:
    """Both sides' lists over explicit acceptable pairs.

    Parameters
    ----------
    pairs
        The pairs the rules allow, with their scores (locked pairs left out).
    mentor_value
        The mentors' own score of each pair; default the pair score.
    ranks
        (mentee ranks, mentor ranks): a side with ranks orders by them (``-rank``) and
        accepts only the pairs it ranks.
    proposing
        Whose lists are walked: ``mentees`` or ``mentors``.
    """
    mentee, mentor, score = pairs.arrays()
    key = pairs.keys(n_mentors)
    keep = np.ones(key.size, dtype=bool)
    values = [score, score if mentor_value is None else mentor_value]
    for side, table in enumerate(ranks):
        if table is None:
            continue
        found, rank = table.lookup(key)
        keep &= found
        values[side] = -rank.astype(np.float64)
    return oriented_lists(
        n_mentees,
        n_mentors,
        mentee[keep],
        mentor[keep],
        score[keep],
        values[0][keep],
        values[1][keep],
        proposing,
    )


def _in_table(what: str, reason: Message) -> Message:
    """A reason prefixed by the table it is about (``mentee_ranks``, ``mentor_ranks``)."""
    return Message("{table}: {reason}", table=what, reason=reason)
