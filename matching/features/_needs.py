"""Needs with levels vs expertise with levels: the ``needs`` criterion, as one product.

A mentee's needs become a profile over (tag, need level): one-hot, divided by her number
of needs. A mentor's expertise becomes a *credit profile* over the same columns: for a
need of tag ``t`` at level ``n``, the best credit she can give,
``max over her tags t' of similarity(t, t') * credit(level(t'), n)`` with
``credit(l, n) = clip((l - n + 1) / (full_credit_gap + 1), 0, 1)`` and
``similarity(t, t) = 1`` (the criterion's ``related`` table gives partial credit). The
needs similarity of every pair is then ``needs_profile @ credit_profile.T``, exactly.
"""

from __future__ import annotations

from typing import Any, Literal, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin

from matching.features._base import (
    CastCache,
    Cells,
    FloatArray,
    IntArray,
    Matrix,
    Similarity,
    as_matrix,
    block_product,
    display,
    join_words,
    rowwise_dot,
)
from matching.features._parse import LEVEL_MAX, normalise, parse_column, parse_levelled
from matching.model import NeedsCriterion, SimilarityEntry

LEVELS = LEVEL_MAX


def credit(mentor_level: NDArray[Any], need_level: int, full_credit_gap: int) -> NDArray[Any]:
    """Credit a mentor at ``mentor_level`` gives a need at ``need_level`` (0 when absent)."""
    raw = (mentor_level - need_level + 1) / (full_credit_gap + 1)
    return np.where(mentor_level > 0, np.clip(raw, 0.0, 1.0), 0.0)


class NeedsEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Encode ``tag:level`` cells over (tag, need level) columns.

    Parameters
    ----------
    role
        ``"needs"``: a mentee's needs, one-hot over (tag, level) divided by her number of
        needs. ``"expertise"``: a mentor's credit profile (see the module docstring).
    default_level
        Level of a tag written without ``:level``.
    full_credit_gap
        Levels above the need at which a mentor earns full credit.
    related
        Partial credit between tags (symmetric).

    Attributes
    ----------
    tags_ : list of str
        Normalised tags of both sides (and of the ``related`` table), sorted.
    tag_similarity_ : ndarray (n_tags, n_tags)
        Similarity between tags, 1 on the diagonal.
    """

    def __init__(
        self,
        role: Literal["needs", "expertise"] = "needs",
        default_level: int = 1,
        full_credit_gap: int = 2,
        related: tuple[SimilarityEntry, ...] = (),
    ) -> None:
        self.role = role
        self.default_level = default_level
        self.full_credit_gap = full_credit_gap
        self.related = related

    def fit(self, X: Cells, y: object = None) -> Self:
        """Learn the tags of every cell in ``X`` (both sides' cells, concatenated)."""
        parsed = parse_column(X, lambda c: parse_levelled(c, self.default_level))
        tags = {t for row in parsed for t in row}
        tags |= {normalise(e.a) for e in self.related} | {normalise(e.b) for e in self.related}
        self.tags_ = sorted(tags)
        index = {t: k for k, t in enumerate(self.tags_)}
        similarity = np.eye(len(self.tags_))
        for entry in self.related:
            a, b = index[normalise(entry.a)], index[normalise(entry.b)]
            if a != b:
                value = max(similarity[a, b], entry.similarity)
                similarity[a, b] = similarity[b, a] = value
        self.tag_similarity_ = similarity
        self._index = index
        return self

    def levels(self, X: Cells) -> NDArray[np.int64]:
        """Level of each known tag per row (0 when absent): (n_rows, n_tags)."""
        parsed = parse_column(X, lambda c: parse_levelled(c, self.default_level))
        rows, cols, vals = [], [], []
        for r, person in enumerate(parsed):
            for tag, level in person.items():
                k = self._index.get(tag)
                if k is not None:
                    rows.append(r)
                    cols.append(k)
                    vals.append(level)
        out = np.zeros((len(parsed), len(self.tags_)), dtype=np.int64)
        out[rows, cols] = vals
        return out

    def transform(self, X: Cells) -> Matrix:
        """Needs profile (CSR) or credit profile (dense), columns as the feature names."""
        levels = self.levels(X)
        n_rows, n_tags = levels.shape
        if self.role == "needs":
            r, t = np.nonzero(levels)
            counts = np.count_nonzero(levels, axis=1)
            cols = t * LEVELS + (levels[r, t] - 1)
            values = 1.0 / counts[r]
            return sp.csr_matrix((values, (r, cols)), shape=(n_rows, n_tags * LEVELS))
        profile = np.zeros((n_rows, n_tags, LEVELS))
        # Only tags with a related partner need the max-product below.
        present = np.flatnonzero((self.tag_similarity_ > 0).sum(axis=1) > 1)
        for n in range(1, LEVELS + 1):
            own = credit(levels, n, self.full_credit_gap)  # (rows, tags)
            # max over t' of sim(t, t') * credit(t'): a max-product, looped over the tags
            # actually related (the table is small), never over people.
            best = own.copy()
            for a in present:
                partners = np.flatnonzero(self.tag_similarity_[a] > 0)
                partners = partners[partners != a]
                if partners.size:
                    scaled = own[:, partners] * self.tag_similarity_[a, partners]
                    best[:, a] = np.maximum(best[:, a], scaled.max(axis=1))
            profile[:, :, n - 1] = best
        return profile.reshape(n_rows, n_tags * LEVELS)

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """``<tag>@<need level>`` for each column."""
        return np.asarray(
            [f"{t}@{n}" for t in self.tags_ for n in range(1, LEVELS + 1)], dtype=object
        )


class NeedsSimilarity(Similarity):
    """Share of a mentee's needs a mentor covers, credited by level and related tags."""

    def __init__(self, criterion: NeedsCriterion) -> None:
        self.criterion = criterion

    def _encoder(self, role: Literal["needs", "expertise"], both: list[Any]) -> NeedsEncoder:
        """An encoder for one side, fitted on both sides' cells."""
        c = self.criterion
        level = c.default_mentee_level if role == "needs" else c.default_mentor_level
        return NeedsEncoder(role, level, c.full_credit_gap, c.related).fit(both)

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Encode needs (mentees) and credit profiles (mentors) over shared tags."""
        mentees, mentors = list(mentee_cells), list(mentor_cells)
        needs = self._encoder("needs", mentees + mentors)
        expertise = self._encoder("expertise", mentees + mentors)
        self.needs_encoder_, self.expertise_encoder_ = needs, expertise
        self._f: Matrix = as_matrix(needs.transform(mentees))
        self._g: Matrix = as_matrix(expertise.transform(mentors))
        self._g_cache = CastCache(self._g)
        self._need_levels = needs.levels(mentees)
        self._mentor_levels = expertise.levels(mentors)
        self.n_mentees_, self.n_mentors_ = len(mentees), len(mentors)
        return self

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """``F[rows] @ G.T``."""
        return block_product(self._f, rows, self._g_cache, dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Row-wise ``F[i] . G[j]`` in float64."""
        return rowwise_dot(self._f, self._g, mentee_idx, mentor_idx)

    def _lookups(self) -> tuple[list[list[tuple[int, int]]], list[dict[int, int]]]:
        """Per mentee (tag, need level) lists and per mentor {tag: level}, made once."""
        if not hasattr(self, "_needs_list"):
            self._needs_list = [
                [(t, int(row[t])) for t in np.flatnonzero(row).tolist()]
                for row in self._need_levels
            ]
            self._have = [
                {t: int(row[t]) for t in np.flatnonzero(row).tolist()}
                for row in self._mentor_levels
            ]
            sim = self.needs_encoder_.tag_similarity_
            self._partners = [
                [(k, float(sim[t, k])) for k in np.flatnonzero(sim[t]).tolist() if k != t]
                for t in range(sim.shape[0])
            ]
        return self._needs_list, self._have

    def _credit(self, level: int, need: int) -> float:
        """Scalar :func:`credit` (pure Python: called per pair in explanations)."""
        gap = self.criterion.full_credit_gap
        return min(1.0, max(0.0, (level - need + 1) / (gap + 1))) if level else 0.0

    def phrases(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[str | None]:
        """``covers SEO (mentor level 4 for need level 1) and social media``."""
        tags = [display(t) for t in self.needs_encoder_.tags_]
        needs_list, have_list = self._lookups()
        out: list[str | None] = []
        for i, j in zip(mentee_idx.tolist(), mentor_idx.tolist(), strict=True):
            have = have_list[j]
            covered, related = [], []
            for t, n in needs_list[i]:
                level = have.get(t, 0)
                if self._credit(level, n) > 0:
                    covered.append(f"{tags[t]} (mentor level {level} for need level {n})")
                    continue
                best, via = 0.0, -1
                for k, similarity in self._partners[t]:
                    value = similarity * self._credit(have.get(k, 0), n)
                    if value > best:
                        best, via = value, k
                if via >= 0:
                    related.append(f"{tags[t]} through {tags[via]}")
            parts = []
            if covered:
                parts.append("covers " + join_words(covered))
            if related:
                parts.append("related expertise for " + join_words(related))
            out.append("; ".join(parts) or None)
        return out
