"""Metrics of a matching result: what researchers compare between weightings and runs.

This module owns the measures of a :class:`~matching.result.MatchResult` against its
participant tables, each a small public function, and :func:`evaluate`, which gathers them
into one tidy table (columns ``metric``, ``group``, ``value``; ``group`` is ``"all"`` for
cohort-wide metrics, the column name for a summary over its groups, and ``column=value``
for one group):

- :func:`score_statistics`: total, mean, minimum, maximum and percentiles of pair scores;
- :func:`coverage`: share of mentees matched, of demand met, of needs covered;
- :func:`load_balance`: Gini of mentor load / capacity, share of mentors at capacity;
- :func:`group_fairness`: match rate and mean score per group, and ratios to the best group;
- :func:`blocking_pairs` and :func:`stability`: pairs who would both rather be together;
- :func:`churn` and :func:`mentor_changes`: what changed between two results.

Everything that grows with mentees x mentors (blocking pairs) is computed block by block
with numpy; the rest is linear in the number of pairs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching._pairs import pair_keys
from matching.errors import InputError
from matching.messages import Message
from matching.model import Mentee, Mentor, NeedsCriterion, Programme, participants_frame
from matching.result import MatchResult

__all__ = [
    "DEFAULT_PERCENTILES",
    "BlockScorer",
    "blocking_pairs",
    "churn",
    "coverage",
    "evaluate",
    "gini",
    "group_fairness",
    "load_balance",
    "mentor_changes",
    "pairs_table",
    "score_statistics",
    "stability",
]

FloatArray = NDArray[np.float64]
People = pd.DataFrame | Sequence[Mentee] | Sequence[Mentor]

DEFAULT_PERCENTILES: tuple[int, ...] = (10, 25, 50, 75, 90)
"""Percentiles of the pair scores reported by :func:`score_statistics`."""

ALL = "all"
"""The ``group`` label of cohort-wide metrics in :func:`evaluate`'s table."""

_RATIOS = ("match_rate_ratio", "mean_score_ratio")

MISSING_GROUP = "(missing)"
"""The group label of mentees whose group column is empty."""


class BlockScorer(Protocol):
    """Anything that scores a block of mentees against every mentor, like a fitted
    :class:`matching.scoring.PairScorer`. ``score_block(mentee_idx)`` returns either an
    object with ``score`` and ``allowed`` arrays of shape ``(len(mentee_idx), n_mentors)``
    (a :class:`matching.scoring.ScoreBlock`) or such a score array alone, where a pair that
    is not allowed is not finite (``nan`` or ``-inf``)."""

    def score_block(self, mentee_idx: NDArray[np.int64]) -> Any: ...


# --------------------------------------------------------------------------- helpers


def pairs_table(result: MatchResult) -> pd.DataFrame:
    """Return the result's pairs as ``mentee_id``, ``mentor_id``, ``score`` (one row a pair).

    Parameters
    ----------
    result
        A matching result.

    Returns
    -------
    pandas.DataFrame
        Ids as strings and scores as float64, in the result's order.
    """
    return pd.DataFrame(
        {
            "mentee_id": pd.Series([p.mentee_id for p in result.pairs], dtype=object),
            "mentor_id": pd.Series([p.mentor_id for p in result.pairs], dtype=object),
            "score": np.fromiter((p.score for p in result.pairs), np.float64, len(result.pairs)),
        }
    )


def _frame(people: People, side: str) -> pd.DataFrame:
    """Participants as a DataFrame with ``id`` and the count columns filled in."""
    return participants_frame(people, "mentee" if side == "mentee" else "mentor")


def _positions(ids: pd.Series, index: pd.Index, column: str) -> NDArray[np.int64]:
    """Positions of ``ids`` in ``index``; an id the table does not know is an input error."""
    found = index.get_indexer(pd.Index(ids.astype(str)))
    if (found < 0).any():
        raise InputError(
            Message("the result names a participant absent from the table"),
            row=int(np.argmax(found < 0)),
            column=column,
        )
    return found.astype(np.int64)


def gini(values: Sequence[float] | NDArray[Any]) -> float:
    """Return the Gini coefficient of non-negative values (0 equal, towards 1 concentrated).

    ``sum_ij |x_i - x_j| / (2 n^2 mean(x))``, computed from the sorted values in
    ``O(n log n)``. All zeros (or no values) give 0.

    Parameters
    ----------
    values
        Non-negative numbers, e.g. each mentor's load divided by her capacity.

    Returns
    -------
    float
        The Gini coefficient, in ``[0, 1 - 1/n]``.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if (x < 0).any():
        raise ValueError("gini needs non-negative values")
    if x.size == 0 or x.sum() <= 0:
        return 0.0
    n = x.size
    rank = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.dot(rank, x) / (n * x.sum()) - (n + 1) / n)


# --------------------------------------------------------------------------- scores


def score_statistics(
    result: MatchResult, *, percentiles: Sequence[float] = DEFAULT_PERCENTILES
) -> dict[str, float]:
    """Return statistics of the pair scores.

    Parameters
    ----------
    result
        A matching result.
    percentiles
        Which percentiles to report (0-100), linear interpolation.

    Returns
    -------
    dict
        ``pairs``, ``total_score``, ``mean_score``, ``min_score``, ``max_score`` and
        ``score_p<q>`` for each percentile. Without pairs the total is 0 and the others
        are ``nan``.
    """
    scores = pairs_table(result)["score"].to_numpy()
    stats: dict[str, float] = {"pairs": float(scores.size), "total_score": float(scores.sum())}
    empty = scores.size == 0
    stats["mean_score"] = float("nan") if empty else float(scores.mean())
    stats["min_score"] = float("nan") if empty else float(scores.min())
    stats["max_score"] = float("nan") if empty else float(scores.max())
    for q in percentiles:
        value = float("nan") if empty else float(np.percentile(scores, q))
        stats[f"score_p{q:g}"] = value
    return stats


# --------------------------------------------------------------------------- coverage


def coverage(
    result: MatchResult,
    mentees: People,
    *,
    programme: Programme | None = None,
) -> dict[str, float]:
    """Return how much of the cohort's demand the result meets.

    Parameters
    ----------
    result
        A matching result.
    mentees
        The mentees it was computed for (``id`` and, optionally, ``demand``).
    programme
        The programme whose scores the result holds. When it has a ``needs`` criterion
        with a positive weight, ``needs_covered`` is reported too.

    Returns
    -------
    dict
        ``coverage``: share of mentees with at least one mentor. ``fully_matched``: share
        of mentees who got all the mentors they asked for. ``demand_met``: mentors
        assigned over mentors asked for. ``needs_covered`` (with a needs criterion): the
        mean over *all* mentees (unmatched count as 0) of the needs similarity of her best
        pair, read from the pairs' ``needs`` contribution divided by the criterion's
        weight. That similarity is the credited share of her needs her mentor covers
        (levels and related tags give partial credit, see
        :class:`~matching.model.NeedsCriterion`); with several mentors it is a lower bound
        of what they cover together.
    """
    frame = _frame(mentees, "mentee")
    index = pd.Index(frame["id"])
    pairs = pairs_table(result)
    position = _positions(pairs["mentee_id"], index, "mentee_id")
    n = len(frame)
    got = np.bincount(position, minlength=n)
    demand = frame["demand"].to_numpy(np.int64)
    out = {
        "coverage": float((got > 0).mean()) if n else float("nan"),
        "fully_matched": float((got >= demand).mean()) if n else float("nan"),
        "demand_met": float(np.minimum(got, demand).sum() / demand.sum())
        if demand.sum()
        else float("nan"),
    }
    needs = _needs_criterion(programme)
    if needs is not None:
        name, weight = needs
        similarity = np.array(
            [float(p.contributions.get(name, 0.0)) / weight for p in result.pairs]
        )
        best = np.zeros(n)
        # max per mentee, unmatched stay 0: np.maximum.at is the unbuffered scatter-max
        np.maximum.at(best, position, similarity)
        out["needs_covered"] = float(best.mean()) if n else float("nan")
    return out


def _needs_criterion(programme: Programme | None) -> tuple[str, float] | None:
    """Name and weight of the programme's first weighted ``needs`` criterion."""
    if programme is None:
        return None
    for criterion in programme.criteria:
        if isinstance(criterion, NeedsCriterion) and criterion.weight > 0:
            return criterion.name, float(criterion.weight)
    return None


# --------------------------------------------------------------------------- mentor load


def load_balance(result: MatchResult, mentors: People) -> dict[str, float]:
    """Return how evenly mentees are spread over mentors.

    Parameters
    ----------
    result
        A matching result.
    mentors
        The mentors it was computed for (``id`` and, optionally, ``capacity``).

    Returns
    -------
    dict
        Over mentors with a capacity above 0: ``load_gini``, the Gini coefficient of
        load / capacity (0 when every mentor is equally used); ``at_capacity``, the share
        of mentors whose capacity is full; ``unused_mentors``, the share with no mentee;
        ``utilisation``, assigned seats over all seats.
    """
    frame = _frame(mentors, "mentor")
    pairs = pairs_table(result)
    position = _positions(pairs["mentor_id"], pd.Index(frame["id"]), "mentor_id")
    load = np.bincount(position, minlength=len(frame)).astype(np.float64)
    capacity = frame["capacity"].to_numpy(np.float64)
    open_ = capacity > 0
    if not open_.any():
        nan = float("nan")
        return {"load_gini": nan, "at_capacity": nan, "unused_mentors": nan, "utilisation": nan}
    ratio = load[open_] / capacity[open_]
    return {
        "load_gini": gini(ratio),
        "at_capacity": float((load[open_] >= capacity[open_]).mean()),
        "unused_mentors": float((load[open_] == 0).mean()),
        "utilisation": float(load[open_].sum() / capacity[open_].sum()),
    }


# --------------------------------------------------------------------------- fairness


def group_fairness(result: MatchResult, mentees: People, column: str) -> pd.DataFrame:
    """Return match rate and mean score for each group of mentees.

    Parameters
    ----------
    result
        A matching result.
    mentees
        The mentees it was computed for, with the grouping ``column`` (e.g. ``status``:
        self-employed, cooperative, student). Empty cells form the group ``(missing)``.
    column
        The mentee column that defines the groups.

    Returns
    -------
    pandas.DataFrame
        One row a group, sorted by group: ``group``, ``mentees``, ``matched``,
        ``match_rate`` (share of the group with at least one mentor), ``mean_score``
        (mean score of the group's pairs, ``nan`` without pairs), and
        ``match_rate_ratio`` / ``mean_score_ratio``: each divided by the best group's
        value (1 for the best group; the smallest ratio is the fairness gap).
    """
    frame = _frame(mentees, "mentee")
    if column not in frame.columns:
        raise InputError(Message("the mentee table has no such group column"), column=column)
    labels = frame[column].astype(object).where(frame[column].notna(), MISSING_GROUP)
    labels = labels.map(lambda v: str(v).strip() or MISSING_GROUP)
    pairs = pairs_table(result)
    position = _positions(pairs["mentee_id"], pd.Index(frame["id"]), "mentee_id")
    got = np.bincount(position, minlength=len(frame))
    people = pd.DataFrame({"group": labels.to_numpy(), "matched": got > 0})
    per_group = people.groupby("group", sort=True).agg(
        mentees=("matched", "size"), matched=("matched", "sum")
    )
    per_group["match_rate"] = per_group["matched"] / per_group["mentees"]
    pair_groups = pd.DataFrame(
        {"group": labels.to_numpy()[position], "score": pairs["score"].to_numpy()}
    )
    per_group["mean_score"] = pair_groups.groupby("group")["score"].mean()
    for metric in ("match_rate", "mean_score"):
        best = per_group[metric].max()
        per_group[f"{metric}_ratio"] = per_group[metric] / best if best > 0 else np.nan
    per_group["matched"] = per_group["matched"].astype(np.int64)
    return per_group.reset_index()


# --------------------------------------------------------------------------- stability


def blocking_pairs(
    result: MatchResult,
    scores: pd.DataFrame | BlockScorer,
    mentees: People,
    mentors: People,
    *,
    block_size: int = 1024,
    tolerance: float = 1e-6,
) -> pd.DataFrame:
    """Return the pairs that would both rather be together than in their current situation.

    An allowed pair ``(i, j)`` that is not in the result *blocks* when mentee ``i``
    prefers ``j`` (she has a free seat — fewer mentors than her ``demand`` — or ``j``
    scores higher for her than her worst current mentor) **and** mentor ``j`` prefers
    ``i`` (she has spare capacity, or ``i`` scores higher for her than her worst current
    mentee). Differences up to ``tolerance`` are ties, and ties do not block. A matching
    without blocking pairs is stable in the sense of Gale and Shapley; optimising the total
    score usually leaves some, which is what this measures.

    Parameters
    ----------
    result
        A matching result.
    scores
        Each side's preferences. Either a long table ``mentee_id, mentor_id, score`` (a pair
        absent from it is not allowed), optionally with ``mentee_score`` and
        ``mentor_score`` columns when the two sides rank differently; or an object with
        ``score_block(mentee_idx)`` such as a fitted :class:`matching.scoring.PairScorer`,
        fitted on exactly ``mentees`` and ``mentors`` in this order (both sides then rank
        by the pair score; a pair whose score is not finite is not allowed).
    mentees, mentors
        The participants (``demand`` and ``capacity`` default to 1).
    block_size
        Mentees compared at once against all mentors; bounds memory to
        ``block_size x n_mentors`` floats.
    tolerance
        Score differences this small are ties. The default suits a
        :class:`~matching.scoring.PairScorer`, whose block scores are float32 (about 1e-7
        relative precision) while the result's pair scores are exact.

    Returns
    -------
    pandas.DataFrame
        One row a blocking pair, sorted by ids: ``mentee_id``, ``mentor_id``,
        ``mentee_score`` and ``mentor_score`` (the pair's score for each side),
        ``mentee_current`` and ``mentor_current`` (the score of the worst current partner,
        ``nan`` when that side has a free seat).
    """
    mentee_frame = _frame(mentees, "mentee")
    mentor_frame = _frame(mentors, "mentor")
    mentee_index = pd.Index(mentee_frame["id"])
    mentor_index = pd.Index(mentor_frame["id"])
    n, m = len(mentee_index), len(mentor_index)
    pairs = pairs_table(result)
    pi = _positions(pairs["mentee_id"], mentee_index, "mentee_id")
    pj = _positions(pairs["mentor_id"], mentor_index, "mentor_id")
    source = _source(scores, mentee_index, mentor_index)
    mentee_side, mentor_side = source.pair_scores(pi, pj, pairs["score"].to_numpy())

    # Each side's current situation: the worst partner's score, or -inf with a free seat
    # (any allowed pair is better than an empty seat) and +inf with no seat at all.
    mentee_worst = _worst(pi, mentee_side, n)
    mentor_worst = _worst(pj, mentor_side, m)
    demand = mentee_frame["demand"].to_numpy(np.int64)
    capacity = mentor_frame["capacity"].to_numpy(np.int64)
    mentee_threshold = np.where(np.bincount(pi, minlength=n) < demand, -np.inf, mentee_worst)
    mentor_threshold = np.where(np.bincount(pj, minlength=m) < capacity, -np.inf, mentor_worst)
    mentor_threshold[capacity == 0] = np.inf
    paired = pair_keys(pi, pj, m)

    found: list[tuple[NDArray[np.int64], NDArray[np.int64], FloatArray, FloatArray]] = []
    for start, for_mentee, for_mentor in source.blocks(block_size):
        mentee_bar = mentee_threshold[start : start + len(for_mentee), None] + tolerance
        with np.errstate(invalid="ignore"):
            blocks = (for_mentee > mentee_bar) & (
                for_mentor > mentor_threshold[None, :] + tolerance
            )
        rows, cols = np.nonzero(blocks)
        rows = rows.astype(np.int64) + start
        cols = cols.astype(np.int64)
        keep = ~np.isin(pair_keys(rows, cols, m), paired)
        local = rows[keep] - start
        found.append(
            (rows[keep], cols[keep], for_mentee[local, cols[keep]], for_mentor[local, cols[keep]])
        )
    rows = np.concatenate([f[0] for f in found]) if found else np.zeros(0, np.int64)
    cols = np.concatenate([f[1] for f in found]) if found else np.zeros(0, np.int64)
    out = pd.DataFrame(
        {
            "mentee_id": mentee_index.to_numpy()[rows].astype(object),
            "mentor_id": mentor_index.to_numpy()[cols].astype(object),
            "mentee_score": np.concatenate([f[2] for f in found]) if found else np.zeros(0),
            "mentor_score": np.concatenate([f[3] for f in found]) if found else np.zeros(0),
            "mentee_current": _finite_or_nan(mentee_threshold[rows]),
            "mentor_current": _finite_or_nan(mentor_threshold[cols]),
        }
    )
    return out.sort_values(["mentee_id", "mentor_id"], kind="stable").reset_index(drop=True)


def stability(
    result: MatchResult,
    scores: pd.DataFrame | BlockScorer,
    mentees: People,
    mentors: People,
    *,
    block_size: int = 1024,
) -> dict[str, float]:
    """Return how far the result is from stable (see :func:`blocking_pairs`).

    Returns
    -------
    dict
        ``blocking_pairs``: their number; ``blocking_mentees``: the share of mentees in at
        least one blocking pair.
    """
    blocking = blocking_pairs(result, scores, mentees, mentors, block_size=block_size)
    n = len(_frame(mentees, "mentee"))
    return {
        "blocking_pairs": float(len(blocking)),
        "blocking_mentees": float(blocking["mentee_id"].nunique() / n) if n else float("nan"),
    }


def _worst(position: NDArray[np.int64], score: FloatArray, size: int) -> FloatArray:
    """Lowest score per index (``+inf`` where an index has no pair)."""
    worst = np.full(size, np.inf)
    np.minimum.at(worst, position, score)
    return worst


def _finite_or_nan(values: FloatArray) -> FloatArray:
    """Infinite thresholds (free seat, no seat) reported as ``nan``."""
    return np.where(np.isfinite(values), values, np.nan)


class _Source(Protocol):
    """Both sides' scores, per result pair and per block of mentees."""

    def pair_scores(
        self, mentee_idx: NDArray[np.int64], mentor_idx: NDArray[np.int64], score: FloatArray
    ) -> tuple[FloatArray, FloatArray]: ...

    def blocks(self, block_size: int) -> Iterator[tuple[int, FloatArray, FloatArray]]: ...


class _ScorerSource:
    """Scores from a fitted block scorer; both sides rank by the pair score."""

    def __init__(self, scorer: BlockScorer, n_mentees: int) -> None:
        self._scorer = scorer
        self._n = n_mentees
        n_fitted = getattr(scorer, "n_mentees_", n_mentees)
        if n_fitted != n_mentees:
            raise InputError(Message("the scorer was fitted on another mentee table"), column="id")

    def pair_scores(
        self, mentee_idx: NDArray[np.int64], mentor_idx: NDArray[np.int64], score: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        # The result's scores are the scorer's scores of those pairs (same programme).
        return score, score

    def blocks(self, block_size: int) -> Iterator[tuple[int, FloatArray, FloatArray]]:
        for start in range(0, self._n, block_size):
            idx = np.arange(start, min(start + block_size, self._n), dtype=np.int64)
            scored = self._scorer.score_block(idx)
            if hasattr(scored, "allowed"):
                block = np.where(scored.allowed, np.asarray(scored.score, np.float64), np.nan)
            else:
                block = np.asarray(scored, dtype=np.float64)
                block = np.where(np.isfinite(block), block, np.nan)
            yield start, block, block


class _TableSource:
    """Scores from a long ``mentee_id, mentor_id, score`` table; absent pairs not allowed."""

    def __init__(self, table: pd.DataFrame, mentees: pd.Index, mentors: pd.Index) -> None:
        for column in ("mentee_id", "mentor_id"):
            if column not in table.columns:
                reason = Message("the scores have no '{column}' column", column=column)
                raise InputError(reason, column=column)
        both = {"mentee_score", "mentor_score"} <= set(table.columns)
        if not both and "score" not in table.columns:
            raise InputError(Message("the scores have no 'score' column"), column="score")
        i = _positions(table["mentee_id"].astype(str).str.strip(), mentees, "mentee_id")
        j = _positions(table["mentor_id"].astype(str).str.strip(), mentors, "mentor_id")
        mentee_col, mentor_col = ("mentee_score", "mentor_score") if both else ("score", "score")
        order = np.lexsort((j, i))
        self._i, self._j = i[order], j[order]
        self._for_mentee = pd.to_numeric(table[mentee_col]).to_numpy(np.float64)[order]
        self._for_mentor = pd.to_numeric(table[mentor_col]).to_numpy(np.float64)[order]
        self._n, self._m = len(mentees), len(mentors)
        key = pair_keys(self._i, self._j, self._m)
        if (np.diff(key) == 0).any():
            raise InputError(Message("pair listed twice in the scores"), column="mentor_id")
        self._key = key

    def pair_scores(
        self, mentee_idx: NDArray[np.int64], mentor_idx: NDArray[np.int64], score: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        key = pair_keys(mentee_idx, mentor_idx, self._m)
        at = np.searchsorted(self._key, key)
        at = np.minimum(at, max(self._key.size - 1, 0))
        if key.size and (self._key.size == 0 or (self._key[at] != key).any()):
            raise InputError(
                Message("a pair of the result is absent from the scores"), column="score"
            )
        return self._for_mentee[at], self._for_mentor[at]

    def blocks(self, block_size: int) -> Iterator[tuple[int, FloatArray, FloatArray]]:
        bounds = np.searchsorted(self._i, np.arange(0, self._n + block_size, block_size))
        for b, start in enumerate(range(0, self._n, block_size)):
            rows = min(block_size, self._n - start)
            lo, hi = bounds[b], bounds[b + 1]
            for_mentee = np.full((rows, self._m), np.nan)
            for_mentor = np.full((rows, self._m), np.nan)
            for_mentee[self._i[lo:hi] - start, self._j[lo:hi]] = self._for_mentee[lo:hi]
            for_mentor[self._i[lo:hi] - start, self._j[lo:hi]] = self._for_mentor[lo:hi]
            yield start, for_mentee, for_mentor


def _source(scores: pd.DataFrame | BlockScorer, mentees: pd.Index, mentors: pd.Index) -> _Source:
    """Wrap a scores table or a block scorer behind one interface."""
    if isinstance(scores, pd.DataFrame):
        return _TableSource(scores, mentees, mentors)
    if not hasattr(scores, "score_block"):
        raise TypeError("scores must be a DataFrame or have a score_block(mentee_idx) method")
    return _ScorerSource(scores, len(mentees))


# --------------------------------------------------------------------------- churn


def mentor_changes(before: MatchResult, after: MatchResult) -> pd.DataFrame:
    """Return, per mentee, her mentors in two results and whether they changed.

    Parameters
    ----------
    before, after
        Two results for (mostly) the same cohort, e.g. a match and a rematch.

    Returns
    -------
    pandas.DataFrame
        One row per mentee who has a pair in either result, sorted by id: ``mentee_id``,
        ``before`` and ``after`` (sorted tuples of mentor ids), ``kept`` (mentors in both)
        and ``changed`` (the two sets differ).
    """
    old, new = _mentors_by_mentee(before), _mentors_by_mentee(after)
    ids = sorted(set(old) | set(new))
    was = [old.get(i, ()) for i in ids]
    now = [new.get(i, ()) for i in ids]
    return pd.DataFrame(
        {
            "mentee_id": pd.Series(ids, dtype=object),
            "before": pd.Series(was, dtype=object),
            "after": pd.Series(now, dtype=object),
            "kept": [len(set(b) & set(a)) for b, a in zip(was, now, strict=True)],
            "changed": [b != a for b, a in zip(was, now, strict=True)],
        }
    )


def _mentors_by_mentee(result: MatchResult) -> dict[str, tuple[str, ...]]:
    """Each matched mentee's mentor ids, sorted."""
    mentors: dict[str, list[str]] = {}
    for pair in result.pairs:
        mentors.setdefault(pair.mentee_id, []).append(pair.mentor_id)
    return {mentee: tuple(sorted(ids)) for mentee, ids in mentors.items()}


def churn(before: MatchResult, after: MatchResult) -> dict[str, float]:
    """Return how much a second result changes the first.

    Parameters
    ----------
    before, after
        Two results, e.g. before and after changing weights, or a match and a rematch.

    Returns
    -------
    dict
        ``pairs_changed``: share of ``before``'s pairs not in ``after`` (0 when there were
        none); ``pairs_added`` and ``pairs_removed``: counts; ``mentees_changed``: share of
        the mentees with a pair in either result whose mentors differ.
    """
    old = set(zip(*_id_columns(before), strict=True))
    new = set(zip(*_id_columns(after), strict=True))
    per_mentee = mentor_changes(before, after)
    return {
        "pairs_changed": len(old - new) / len(old) if old else 0.0,
        "pairs_added": float(len(new - old)),
        "pairs_removed": float(len(old - new)),
        "mentees_changed": float(per_mentee["changed"].mean()) if len(per_mentee) else 0.0,
    }


def _id_columns(result: MatchResult) -> tuple[list[str], list[str]]:
    """Mentee ids and mentor ids of the result's pairs."""
    return [p.mentee_id for p in result.pairs], [p.mentor_id for p in result.pairs]


# --------------------------------------------------------------------------- everything


def evaluate(
    result: MatchResult,
    mentees: People,
    mentors: People,
    *,
    groups: Sequence[str] = (),
    programme: Programme | None = None,
    scores: pd.DataFrame | BlockScorer | None = None,
    baseline: MatchResult | None = None,
) -> pd.DataFrame:
    """Return every metric of a result as one tidy table.

    Parameters
    ----------
    result
        A matching result.
    mentees, mentors
        The participants it was computed for.
    groups
        Mentee columns to report fairness for (e.g. ``("status", "country")``).
    programme
        The programme of the result; adds ``needs_covered`` when it has a needs criterion.
    scores
        Preferences for the stability metrics (see :func:`blocking_pairs`); skipped when
        not given, since they compare every mentee with every mentor.
    baseline
        An earlier result; adds the churn metrics (see :func:`churn`).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``group``, ``value``. ``group`` is ``"all"`` for the cohort
        (from :func:`score_statistics`, :func:`coverage`, :func:`load_balance`,
        :func:`stability`, :func:`churn`), ``"<column>=<value>"`` for one group
        (``mentees``, ``matched``, ``match_rate``, ``mean_score`` and their ratios to the
        best group) and ``"<column>"`` for the worst ratio over its groups
        (``min_match_rate_ratio``, ``min_mean_score_ratio``).

    Examples
    --------
    >>> table = evaluate(result, mentees, mentors, groups=["status"])  # doctest: +SKIP
    >>> table.pivot_table(index="metric", columns="group", values="value")  # doctest: +SKIP
    """
    rows: list[tuple[str, str, float]] = []
    cohort: dict[str, float] = {}
    cohort |= score_statistics(result)
    cohort |= coverage(result, mentees, programme=programme)
    cohort |= load_balance(result, mentors)
    if scores is not None:
        cohort |= stability(result, scores, mentees, mentors)
    if baseline is not None:
        cohort |= churn(baseline, result)
    rows.extend((metric, ALL, float(value)) for metric, value in cohort.items())
    for column in groups:
        table = group_fairness(result, mentees, column)
        metrics = ("mentees", "matched", "match_rate", "mean_score", *_RATIOS)
        for record in table.itertuples(index=False):
            label = f"{column}={record.group}"
            rows.extend((metric, label, float(getattr(record, metric))) for metric in metrics)
        for metric in _RATIOS:
            rows.append((f"min_{metric}", column, float(table[metric].min())))
    return pd.DataFrame.from_records(rows, columns=["metric", "group", "value"])
