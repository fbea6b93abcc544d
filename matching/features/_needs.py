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
    ValueLabels,
    as_matrix,
    block_product,
    rowwise_dot,
    title_of,
)
from matching.features._parse import (
    LEVEL_MAX,
    RowError,
    normalise,
    parse_column,
    parse_distinct,
    parse_levelled,
)
from matching.messages import Evidence, Label
from matching.model import NeedsCriterion, SimilarityEntry

LEVELS = LEVEL_MAX
BoolArray = NDArray[np.bool_]


def credit(mentor_level: NDArray[Any], need_level: int, full_credit_gap: int) -> NDArray[Any]:
    """Credit a mentor at ``mentor_level`` gives a need at ``need_level`` (0 when absent)."""
    raw = (mentor_level - need_level + 1) / (full_credit_gap + 1)
    return np.where(mentor_level > 0, np.clip(raw, 0.0, 1.0), 0.0)


def _tag_set(parsed: list[dict[str, int]]) -> set[str]:
    """The tags of parsed cells."""
    return {tag for person in parsed for tag in person}


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
        return self._fit_tags(_tag_set(parse_column(X, self._parse)))

    def _parse(self, cell: object) -> dict[str, int]:
        """One cell as {tag: level}, with this encoder's default level."""
        return parse_levelled(cell, self.default_level)

    def _fit_tags(self, tags: set[str]) -> Self:
        """Learn from the tags of the cells (the default level plays no part in them)."""
        tags = (
            tags | {normalise(e.a) for e in self.related} | {normalise(e.b) for e in self.related}
        )
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
        return self._levels(parse_column(X, self._parse))

    def _levels(self, parsed: list[dict[str, int]]) -> NDArray[np.int64]:
        """:meth:`levels` of parsed cells."""
        index = self._index
        entries = [
            (r, index[tag], level)
            for r, person in enumerate(parsed)
            for tag, level in person.items()
            if tag in index
        ]
        out = np.zeros((len(parsed), len(self.tags_)), dtype=np.int64)
        if entries:
            rows, cols, vals = zip(*entries, strict=True)
            out[list(rows), list(cols)] = vals
        return out

    def transform(self, X: Cells) -> Matrix:
        """Needs profile (CSR) or credit profile (dense), columns as the feature names."""
        return self._encode(self.levels(X))

    def _encode(self, levels: NDArray[np.int64]) -> Matrix:
        """:meth:`transform` of known levels."""
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

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Encode needs (mentees) and credit profiles (mentors) over shared tags."""
        c = self.criterion
        needs = NeedsEncoder("needs", c.default_mentee_level, c.full_credit_gap, c.related)
        expertise = NeedsEncoder("expertise", c.default_mentor_level, c.full_credit_gap, c.related)
        # Each side is parsed once, with its own default level: the tags, and the cells
        # refused, do not depend on the default level.
        # Levels are worked out once per distinct cell, then spread to the rows.
        mentee_codes, mentees = parse_distinct(mentee_cells, needs._parse)
        try:
            mentor_codes, mentors = parse_distinct(mentor_cells, expertise._parse)
        except RowError as exc:  # numbered as in both sides' cells, concatenated
            raise RowError(mentee_codes.size + exc.row, exc.reason) from None
        tags = _tag_set(mentees) | _tag_set(mentors)
        needs._fit_tags(tags)
        expertise._fit_tags(tags)
        self.needs_encoder_, self.expertise_encoder_ = needs, expertise
        self._need_levels = needs._levels(mentees)[mentee_codes]
        self._mentor_levels = expertise._levels(mentors)[mentor_codes]
        self._f: Matrix = as_matrix(needs._encode(self._need_levels))
        self._g: Matrix = as_matrix(expertise._encode(self._mentor_levels))
        self._g_cache = CastCache(self._g)
        self.n_mentees_, self.n_mentors_ = mentee_codes.size, mentor_codes.size
        return self

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """``F[rows] @ G.T``."""
        return block_product(self._f, rows, self._g_cache, dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Row-wise ``F[i] . G[j]`` in float64."""
        return rowwise_dot(self._f, self._g, mentee_idx, mentor_idx)

    def _lookups(self) -> _Lookups:
        """The tables :meth:`phrases` reads, made once."""
        if not hasattr(self, "_phrase_lookups"):
            self._phrase_lookups = _Lookups(self)
        return self._phrase_lookups

    def _credit(self, level: int, need: int) -> float:
        """Scalar :func:`credit` (the explanations' own arithmetic, tabulated once)."""
        gap = self.criterion.full_credit_gap
        return min(1.0, max(0.0, (level - need + 1) / (gap + 1))) if level else 0.0

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """``covers SEO (mentor level 4 for need level 1); does not cover export``.

        Every need of every pair at once: a need is covered when the mentor's own level
        earns credit; otherwise the related tag giving the most credit is named (the
        first one among equals, by tag order), if any gives some; the needs left without
        either are named as not covered. A pair with neither gets no evidence here (the
        scorer says it covers none of her needs)."""
        look = self._lookups()
        counts = look.need_ptr[mentee_idx + 1] - look.need_ptr[mentee_idx]
        pair = np.repeat(np.arange(mentee_idx.size), counts)
        ends = np.cumsum(counts)
        entry = np.arange(ends[-1] if ends.size else 0) + np.repeat(
            look.need_ptr[mentee_idx] - (ends - counts), counts
        )
        tag, need = look.need_tag[entry], look.need_level[entry]
        mentor = mentor_idx[pair]
        level = self._mentor_levels[mentor, tag]
        covered = np.asarray(look.credit[level, need] > 0, dtype=bool)
        text = look.covered_text[tag, level, need]
        related = np.zeros(entry.size, dtype=bool)
        if look.has_partners:
            rest = np.flatnonzero(~covered & look.has_partner[tag])
            # similarity x credit of every tag of the mentor, for each uncovered need
            credit = look.credit[self._mentor_levels[mentor[rest]], need[rest, None]]
            value = look.partner_similarity[tag[rest]] * credit
            via = np.argmax(value, axis=1)
            found = np.asarray(value[np.arange(rest.size), via] > 0, dtype=bool)
            related[rest[found]] = True
            text[rest[found]] = look.related_text[tag[rest[found]], via[found]]
        found = covered | related
        text[~found] = look.missing_text[tag[~found]]
        return _join_pieces(title_of(self.criterion), text, pair, found, covered, mentee_idx.size)


class _Lookups:
    """What :meth:`NeedsSimilarity.phrases` reads: each mentee's needs as flat arrays, the
    credit of every (mentor level, need level), the related tags' similarities, and the
    text of every possible piece of a phrase."""

    def __init__(self, similarity: NeedsSimilarity) -> None:
        levels = similarity._need_levels
        rows, self.need_tag = np.nonzero(levels)  # each mentee's needs in tag order
        self.need_level = levels[rows, self.need_tag]
        self.need_ptr = np.zeros(levels.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=levels.shape[0]), out=self.need_ptr[1:])
        span = range(LEVELS + 1)
        self.credit = np.array([[similarity._credit(lv, n) for n in span] for lv in span])
        partner = similarity.needs_encoder_.tag_similarity_.copy()
        np.fill_diagonal(partner, 0.0)
        self.partner_similarity = partner
        self.has_partner = np.asarray((partner > 0).any(axis=1), dtype=bool)
        self.has_partners = bool(self.has_partner.any())
        shown = ValueLabels(similarity.criterion)
        tags = [shown(t) for t in similarity.needs_encoder_.tags_]
        # Every piece of evidence a need can give, made once (never changed: shared).
        covered_items = [
            [[{"need": t, "mentor_level": lv, "need_level": n} for n in span] for lv in span]
            for t in tags
        ]
        self.covered_text = np.empty((len(tags), LEVELS + 1, LEVELS + 1), dtype=object)
        for k, table in enumerate(covered_items):
            for lv, row in enumerate(table):
                self.covered_text[k, lv, :] = row
        self.missing_text = np.empty(len(tags), dtype=object)
        self.missing_text[:] = [{"need": t} for t in tags]
        self.related_text = np.empty((len(tags), len(tags)), dtype=object)
        for k, t in enumerate(tags):
            self.related_text[k, :] = [{"need": t, "via": via} for via in tags]


def _join_pieces(
    title: Label,
    text: NDArray[np.object_],
    pair: IntArray,
    found: BoolArray,
    covered: BoolArray,
    n_pairs: int,
) -> list[Evidence | None]:
    """Each pair's evidence from the pieces of its needs (``pair`` numbers them, in order):
    ``found`` needs are covered (``covered``) or met through a related tag, the others
    missing. A pair with no need found gets none. Pairs with the same pieces share one
    evidence object (rendered once)."""
    groups = (covered, found & ~covered, ~found)  # covered, related, missing
    pieces = [text[group].tolist() for group in groups]
    ends = [np.cumsum(np.bincount(pair[group], minlength=n_pairs)).tolist() for group in groups]
    # The pieces are the lookup tables' own objects, alive throughout: their identity is
    # their content.
    made: dict[tuple[tuple[int, ...], ...], Evidence] = {}
    out: list[Evidence | None] = []
    starts = [0, 0, 0]
    for row_ends in zip(*ends, strict=True):
        spans = [group[s:e] for group, s, e in zip(pieces, starts, row_ends, strict=True)]
        starts = list(row_ends)
        if not (spans[0] or spans[1]):
            out.append(None)
            continue
        key = tuple(tuple(map(id, span)) for span in spans)
        evidence = made.get(key)
        if evidence is None:
            values = {"covered": spans[0], "related": spans[1]}
            if spans[2]:
                values["missing"] = spans[2]
            evidence = made[key] = Evidence("needs", title, values)
        out.append(evidence)
    return out
